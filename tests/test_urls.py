"""Addresses of endpoints without values, kept per path prefix by create_app's app class."""

from flask import url_for


def test_fixed_addresses_follow_the_path_prefix_and_the_options(app):
    for _ in range(2):  # the second round is served from what the first kept
        with app.test_request_context(base_url="http://localhost/one"):
            assert url_for("accounts.profile") == "/one/account"
        with app.test_request_context(base_url="http://localhost/two"):
            assert url_for("accounts.profile") == "/two/account"
        with app.test_request_context():
            assert url_for("accounts.profile") == "/account"
            assert url_for("accounts.profile", _external=True) == "http://localhost/account"
            assert url_for("accounts.profile", _anchor="keys") == "/account#keys"
            assert url_for("static", filename="navigator.css").startswith(
                "/static/navigator.css?v=")
            assert url_for("static", filename="STATIC") == "/static/STATIC"


def test_a_static_address_follows_its_file(app, tmp_path):
    app.static_folder = str(tmp_path)
    assets = app.extensions["navigator.assets"]
    assets.folder, assets.check_seconds = str(tmp_path), 0
    (tmp_path / "x.css").write_text("a { color: red }")
    with app.test_request_context():
        first = url_for("static", filename="x.css")
        assert first == url_for("static", filename="x.css")
        assert first == f"/static/x.css?v={assets.digest('x.css')}"
        (tmp_path / "x.css").write_text("a { color: blue; }")
        second = url_for("static", filename="x.css")
        assert second != first and second == f"/static/x.css?v={assets.get('x.css').digest}"


def test_a_url_defaults_hook_is_still_heard(app):
    with app.test_request_context():
        assert url_for("accounts.profile") == "/account"

    @app.url_defaults
    def _tag(endpoint, values):
        if endpoint == "accounts.profile":
            values.setdefault("from", "menu")

    with app.test_request_context():
        assert url_for("accounts.profile") == "/account?from=menu"
