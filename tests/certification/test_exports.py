"""Manager exports: CSV safe in spreadsheets, ZIP of PDFs, failures, permissions, restarts."""

import csv
import io
import subprocess
import time
import zipfile
from datetime import date, timedelta

import pytest

from navigator import jobs
from navigator.certification import codes, exports
from navigator.certification.models import Certificate, ExportJob
from tests.conftest import login


def make_certificates(session, setup, names, locale="en") -> list[Certificate]:
    certs = []
    for n, name in enumerate(names):
        cert = Certificate(code=codes.new_code(), completion_key=f"x:{n}:{name}",
                           user_id=setup.navigator.id, programme_id=setup.programme.id,
                           course_id=setup.course.id, version_id=setup.version.id,
                           track_id="tester", printed_name=name, locale=locale,
                           issued_on=date(2026, 3, 1), expires_on=date(2028, 3, 1))
        session.add(cert)
        certs.append(cert)
    session.commit()
    return certs


def finish(app, session, export_id: int, timeout: float = 30) -> ExportJob:
    """Run a worker until the export is done or failed."""
    consumer = jobs.start_worker(app, workers=1)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            session.rollback()  # end the read snapshot, to see the worker's writes
            session.expire_all()
            job = session.get(ExportJob, export_id)
            if job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        raise AssertionError("the export did not finish")
    finally:
        consumer.stop(graceful=True)
        # The worker's last write (its heartbeat row going) came after this session's read:
        # on SQLite that snapshot could no longer write.
        session.rollback()


@pytest.fixture
def manager(make_user, setup):
    return make_user("manager", setup.programme)


def _start(client, kind="csv", **filters) -> int:
    response = client.form("/certificates/exports", {"kind": kind, "paper": "a4", **filters})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_csv_register_from_the_queue(app, client, session, setup, manager):
    make_certificates(session, setup, ['=HYPERLINK("http://evil.example","click")', "Amina"])
    login(client, manager)
    export_id = _start(client, status="valid")
    page = client.get(f"/certificates/exports/{export_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page and "<progress" in page
    job = finish(app, session, export_id)
    assert (job.status, job.total, job.done) == ("done", 2, 2)
    page = client.get(f"/certificates/exports/{export_id}").get_data(as_text=True)
    assert "http-equiv" not in page and "Download" in page
    response = client.get(f"/certificates/exports/{export_id}/download")
    text = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200 and text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Verification code", "Verification address", "Status"]
    names = {row[3] for row in rows[1:]}
    assert names == {"'=HYPERLINK(\"http://evil.example\",\"click\")", "Amina"}
    code = rows[1][0]
    assert rows[1][1] == f"http://navigator.test/verify/{code}" and rows[1][2] == "Valid"
    assert rows[1][8:10] == ["2026-03-01", "2028-03-01"]


def test_a_zip_of_pdfs_with_the_register(app, client, session, setup, manager):
    certs = make_certificates(session, setup, ["Amina", "Bola", "Chen"])
    login(client, manager)
    export_id = _start(client, kind="zip")
    assert finish(app, session, export_id).status == "done"
    response = client.get(f"/certificates/exports/{export_id}/download")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    expected = {f"{codes.display(c.code)}.pdf" for c in certs} | {"register.csv"}
    assert set(archive.namelist()) == expected
    assert all(archive.read(n).startswith(b"%PDF") for n in expected if n.endswith(".pdf"))


def test_large_exports_render_in_worker_processes(app_factory, session, setup, manager,
                                                  tmp_path):
    app = app_factory(EXPORT_PROCESSES=2, EXPORT_PARALLEL_FROM=5)  # "large" made small
    certs = make_certificates(session, setup, [f"Navigator {n}" for n in range(6)], locale="ar")
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="zip")
    job = finish(app, session, export_id, timeout=120)
    assert (job.status, job.done) == ("done", len(certs))
    response = client.get(f"/certificates/exports/{export_id}/download")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    assert len(archive.namelist()) == len(certs) + 1
    for n, cert in enumerate(certs):  # each PDF in its place, in order
        (tmp_path / "c.pdf").write_bytes(archive.read(f"{codes.display(cert.code)}.pdf"))
        text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert f"Navigator {n}" in text


def test_a_failure_is_reported_and_leaves_no_short_zip(app, client, session, setup, manager):
    make_certificates(session, setup, ["Amina", "Bola"])
    make_certificates(session, setup, ["Broken"], locale="zz")  # no such language: render fails
    login(client, manager)
    export_id = _start(client, kind="zip")
    job = finish(app, session, export_id)
    assert job.status == "failed" and job.file_name == ""
    assert list(exports.exports_folder(app.instance_path).iterdir()) == []
    page = client.get(f"/certificates/exports/{export_id}").get_data(as_text=True)
    assert "The export failed" in page and "Download" not in page
    assert client.get(f"/certificates/exports/{export_id}/download").status_code == 404


def test_only_the_manager_who_asked_downloads(app, client, session, setup, manager, make_user):
    make_certificates(session, setup, ["Amina"])
    login(client, manager)
    export_id = _start(client)
    finish(app, session, export_id)
    for other in (make_user("manager", setup.programme), make_user("admin")):
        login(client, other)
        assert client.get(f"/certificates/exports/{export_id}").status_code == 404
        assert client.get(f"/certificates/exports/{export_id}/download").status_code == 404
    login(client, setup.navigator)
    assert client.get(f"/certificates/exports/{export_id}/download").status_code == 403


def test_another_programmes_certificates_are_never_exported(app, client, session, setup,
                                                            make_user, make_programme):
    make_certificates(session, setup, ["Amina"])
    elsewhere = make_programme("Elsewhere")
    login(client, make_user("manager", elsewhere))
    refused = client.form("/certificates/exports", {"kind": "csv", "paper": "a4",
                                                    "programme": str(setup.programme.id)})
    assert refused.status_code == 404
    export_id = _start(client)  # all of this manager's programmes: none of Amina's
    assert finish(app, session, export_id).total == 0


def test_the_queue_survives_a_restart(app_factory, session, setup, manager, tmp_path):
    make_certificates(session, setup, ["Amina"])
    first = app_factory()
    client = login(first.test_client(), manager)
    export_id = _start(client)
    del first  # the app that queued it is gone; its queue file stays under instance/
    second = app_factory()
    assert finish(second, session, export_id).status == "done"


def test_bad_export_choices_keep_the_form(client, setup, manager):
    login(client, manager)
    response = client.form("/certificates/exports", {"kind": "pdf", "paper": "a4",
                                                     "status": "valid"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not a valid choice" in html
    assert 'name="status" type="hidden" value="valid"' in html


def test_finished_exports_are_deleted_after_a_week(app, client, session, setup, manager):
    make_certificates(session, setup, ["Amina"])
    login(client, manager)
    export_id = _start(client)
    job = finish(app, session, export_id)
    folder = exports.exports_folder(app.instance_path)
    assert (folder / job.file_name).is_file()
    job.finished_at -= exports.KEEP + timedelta(minutes=1)
    session.commit()
    _start(client)  # asking for a new export clears out the old files
    session.expire_all()
    assert session.get(ExportJob, export_id).file_name == ""
    assert list(folder.iterdir()) == []
    page = client.get(f"/certificates/exports/{export_id}").get_data(as_text=True)
    assert "deleted after seven days" in page


def test_an_export_made_on_one_server_downloads_from_another_without_a_shared_disk(
        app_factory, session, setup, manager, tmp_path):
    """Two apps on one database, each with its own instance folder, stand for two servers."""
    server_a = app_factory(STORAGE="database", INSTANCE_PATH=str(tmp_path / "a"))
    server_b = app_factory(STORAGE="database", INSTANCE_PATH=str(tmp_path / "b"))
    make_certificates(session, setup, ["Amina", "Baraka", "Chidi"])
    export_id = _start(login(server_a.test_client(), manager), kind="zip")
    # The worker beside server A (the queue is A's own here; tests/test_several_servers.py
    # runs it on Redis, from a third machine's folder).
    assert finish(server_a, session, export_id, timeout=120).status == "done"
    client_b = login(server_b.test_client(), manager)
    response = client_b.get(f"/certificates/exports/{export_id}/download")
    data = response.get_data()
    response.close()
    assert response.status_code == 200 and response.headers["Content-Length"] == str(len(data))
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 4
    # Nothing of it on either server's disk, and the worker's own folder holds no leftovers.
    for folder in ("a", "b"):
        assert not [p for p in (tmp_path / folder).rglob("certificates-*")], folder
