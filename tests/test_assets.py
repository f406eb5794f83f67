"""Static files: hashed addresses, a year of caching at the current address, compressed copies."""

import gzip
import re

from flask import url_for


def _address(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_static_addresses_carry_the_file_hash(app, client):
    address = _address(app, "navigator.css")
    assert re.fullmatch(r"/static/navigator\.css\?v=[0-9a-f]{12}", address)
    page = client.get("/sign-in").get_data(as_text=True)
    assert f'href="{address}"' in page
    with app.test_request_context():  # no file, no hash: the PDF helpers build prefixes so
        assert url_for("static", filename="STATIC") == "/static/STATIC"
        assert url_for("static", filename="") == "/static/"


def test_the_current_address_is_cached_for_a_year_and_compressed(app, client):
    address = _address(app, "navigator.css")
    with client.get(address, headers={"Accept-Encoding": "gzip, deflate"}) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.mimetype == "text/css"
        css = gzip.decompress(response.get_data())
        etag = response.headers["ETag"]
    plain = client.get(address, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == css
    assert len(css) > 3 * len(gzip.compress(css)) > 0
    again = client.get(address, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304


def test_other_addresses_are_revalidated_and_scripts_compressed_too(app, client):
    for path in ("/static/navigator.css", "/static/navigator.css?v=000000000000"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["ETag"]
    script = client.get(_address(app, "sandbox.js"), headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip"
    assert script.mimetype == "text/javascript"
    assert client.get("/static/no-such-file.css").status_code == 404
    assert client.get("/static/../navigator/config.py").status_code == 404


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    from navigator.assets import Assets

    (tmp_path / "x.css").write_text("a { color: red }")
    (tmp_path / "x.png").write_bytes(b"\x89PNG not compressed again")
    assets = Assets(str(tmp_path))
    assert assets.get("x.png").mimetype == "image/png" and not assets.get("x.png").compressed
    first = assets.get("x.css").digest
    (tmp_path / "x.css").write_text("a { color: blue }")
    assert assets.get("x.css").digest != first
    assert assets.get("../x.css") is None and assets.get("") is None


def test_a_changed_file_gets_a_new_address_within_the_check_interval(app, tmp_path):
    import time

    from navigator.assets import Assets

    (tmp_path / "x.css").write_text("a { color: red }")
    assets = Assets(str(tmp_path))
    assets.check_seconds = 60  # so a slow machine cannot pass the interval between the lines
    first = assets.digest("x.css")
    assert first == assets.get("x.css").digest and assets.digest("none.css") is None
    (tmp_path / "x.css").write_text("a { color: blue; }")
    assert assets.digest("x.css") == first  # kept: looked at again only after the interval
    assets.check_seconds = 0.05
    time.sleep(0.1)
    assert assets.digest("x.css") == assets.get("x.css").digest != first
