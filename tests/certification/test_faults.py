"""A worker process killed during a certificate export: the failure is reported, the
platform stays up, and a new export completes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from navigator.certification.models import ExportJob
from tests.certification.test_exports import _start, make_certificates, manager  # noqa: F401
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def _worker(app) -> subprocess.Popen:
    """`flask worker` in its own process, on the test's database and queue."""
    env = {**os.environ, "NAVIGATOR_DATABASE_URL": app.config["DATABASE_URL"],
           "NAVIGATOR_INSTANCE_PATH": app.instance_path,
           "NAVIGATOR_SECRET_KEY": app.config["SECRET_KEY"],
           "NAVIGATOR_BASE_URL": app.config["BASE_URL"],
           "NAVIGATOR_EXPORT_PARALLEL_FROM": "1000000"}  # render in the worker itself
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker",
                             "--workers", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _job(session, export_id: int) -> ExportJob:
    session.rollback()  # a fresh snapshot, to see the worker's writes
    session.expire_all()
    return session.get(ExportJob, export_id)


def _wait(session, export_id: int, ready, timeout: float = 60) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(session, export_id)
        if ready(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"export {export_id} never reached the expected state")


def test_a_killed_worker_is_reported_and_a_new_export_completes(app_factory, session, setup,
                                                                manager):  # noqa: F811
    app = app_factory(EXPORT_STALLED_SECONDS=2)
    make_certificates(session, setup, [f"Navigator {n}" for n in range(60)])
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="zip")
    worker = _worker(app)
    try:
        _wait(session, export_id, lambda job: job.status == "running" and job.done > 0)
    finally:
        worker.send_signal(signal.SIGKILL)  # no chance to say goodbye
        worker.wait(timeout=30)
    assert _job(session, export_id).status == "running"  # the job cannot know it died
    time.sleep(2.5)
    page = client.get(f"/certificates/exports/{export_id}").get_data(as_text=True)
    assert "The export failed" in page and "Download" not in page
    assert client.get("/health").status_code == 200
    assert client.get(f"/certificates/exports/{export_id}/download").status_code == 404
    again = _start(client, kind="zip")
    worker = _worker(app)
    try:
        job = _wait(session, again, lambda job: job.status in ("done", "failed"), timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert (job.status, job.done) == ("done", 60)
