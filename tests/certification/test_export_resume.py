"""A certificate export whose worker is killed resumes: the certificates already rendered are
kept in storage and not rendered again, and the ZIP is complete."""

import io
import logging
import signal
import subprocess
import time
import zipfile
from pathlib import Path

from navigator import jobs
from navigator.certification import codes, exports
from tests.certification.test_exports import (  # noqa: F401
    _start,
    make_certificates,
    manager,
)
from tests.certification.test_faults import _wait, _worker
from tests.conftest import login


def test_a_killed_export_resumes_rendering_only_what_is_missing(
        app_factory, session, setup, manager, caplog, tmp_path):  # noqa: F811
    app = app_factory(EXPORT_STALLED_SECONDS=5, JOBS_BEAT_SECONDS=1)  # beats every 3 s
    certs = make_certificates(session, setup, [f"Navigator {n}" for n in range(20)])
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="zip")
    folder = Path(app.instance_path) / "exports"
    pattern = f"export-{export_id}-certificate-*.pdf"
    worker = _worker(app)  # a worker process of its own, rendering one certificate at a time
    try:
        deadline = time.monotonic() + 90
        while len(list(folder.glob(pattern))) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)  # mid-export, with no chance to say goodbye
        worker.wait(timeout=30)
    kept = {int(p.stem.rsplit("-", 1)[1]): p for p in folder.glob(pattern)}
    assert 4 <= len(kept) < len(certs), f"{len(kept)} certificates rendered before the kill"
    for cert_id, piece in kept.items():
        # Marked, so the ZIP shows which certificates were taken from the first attempt.
        piece.write_bytes(f"%PDF kept from the first attempt: {cert_id}".encode())
    caplog.set_level(logging.INFO, logger="navigator.certification.exports")
    # Another worker notices the silence, queues the export again and picks it up.
    worker = jobs.start_worker(app, workers=1)
    try:
        job = _wait(session, export_id, lambda job: job.status in ("done", "failed"), 90)
    finally:
        worker.stop()
        session.rollback()
    assert (job.status, job.done, job.attempts) == ("done", len(certs), 2)
    assert f"{len(kept)} of {len(certs)} certificates kept from an earlier attempt" in caplog.text
    response = client.get(f"/certificates/exports/{export_id}/download")
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    response.close()
    assert archive.namelist()[0] == "register.csv" and len(archive.namelist()) == len(certs) + 1
    for n, cert in enumerate(certs):  # each certificate once, in order, rendered once
        data = archive.read(f"{codes.display(cert.code)}.pdf")
        if cert.id in kept:
            assert data == f"%PDF kept from the first attempt: {cert.id}".encode()
            continue
        assert data.startswith(b"%PDF-") and b"kept from the first attempt" not in data
        if n == len(certs) - 1:  # the last one: rendered by the second attempt, for its owner
            (tmp_path / "c.pdf").write_bytes(data)
            text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], check=True,
                                  capture_output=True, text=True).stdout
            assert f"Navigator {n}" in text
    # Once done, nothing of the attempts is left: only the finished ZIP.
    assert [p.name for p in folder.iterdir()] == [job.file_name]


def test_a_failed_export_keeps_no_rendered_certificates(app, client, session, setup,
                                                         manager):  # noqa: F811
    make_certificates(session, setup, ["Amina", "Bola"])
    make_certificates(session, setup, ["Broken"], locale="zz")  # no such language: fails
    login(client, manager)
    export_id = _start(client, kind="zip")
    from tests.certification.test_exports import finish

    assert finish(app, session, export_id).status == "failed"
    assert list(exports.exports_folder(app.instance_path).iterdir()) == []
