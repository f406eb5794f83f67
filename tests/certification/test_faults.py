"""A worker process killed during a certificate export: the export starts again (or fails
visibly, to be tried again), its partial file and PDF helper processes go, and a page says when
no worker is there to pick work up."""

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from navigator import jobs
from navigator.certification.models import ExportJob
from navigator.db import utcnow
from tests.certification.test_exports import (  # noqa: F401
    _start,
    finish,
    make_certificates,
    manager,
)
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def _worker(app, **settings) -> subprocess.Popen:
    """`flask worker` in its own process, on the test's database and queue."""
    env = {**os.environ, "NAVIGATOR_DATABASE_URL": app.config["DATABASE_URL"],
           "NAVIGATOR_INSTANCE_PATH": app.instance_path,
           "NAVIGATOR_SECRET_KEY": app.config["SECRET_KEY"],
           "NAVIGATOR_BASE_URL": app.config["BASE_URL"],
           "NAVIGATOR_EXPORT_PARALLEL_FROM": "1000000",  # render in the worker itself
           "NAVIGATOR_EXPORT_STALLED_SECONDS": str(app.config["EXPORT_STALLED_SECONDS"]),
           "NAVIGATOR_JOBS_BEAT_SECONDS": str(app.config["JOBS_BEAT_SECONDS"]),
           **{f"NAVIGATOR_{k}": str(v) for k, v in settings.items()}}
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


def _children(pid: int) -> set[int]:
    """Processes whose parent is pid (the PDF helpers of a worker)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _page(client, export_id: int) -> str:
    return client.get(f"/certificates/exports/{export_id}").get_data(as_text=True)


def test_a_killed_worker_s_export_starts_again_with_nothing_left_behind(
        app_factory, session, setup, manager):  # noqa: F811
    app = app_factory(EXPORT_STALLED_SECONDS=3, JOBS_BEAT_SECONDS=1)
    make_certificates(session, setup, [f"Navigator {n}" for n in range(60)])
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="zip")
    part = Path(app.instance_path) / "exports" / f"certificates-{export_id}.part"
    # PDFs rendered by two helper processes, as a large export is.
    worker = _worker(app, EXPORT_PARALLEL_FROM=10, EXPORT_PROCESSES=2)
    try:
        _wait(session, export_id, lambda job: job.status == "running" and job.done > 0)
        helpers = _children(worker.pid)
        assert len(helpers) >= 2 and part.exists(), list(part.parent.iterdir())
    finally:
        worker.send_signal(signal.SIGKILL)  # no chance to say goodbye
        worker.wait(timeout=30)
    killed = time.monotonic()
    deadline = time.monotonic() + 5
    while _alive(helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(helpers), "PDF helper processes outlived their worker"
    # Within the stalled limit the page says what happened, and that nobody is at work.
    time.sleep(4.5)
    page = _page(client, export_id)
    assert "stopped before it finished" in page and "No job worker is running" in page
    # A worker comes back (a restart, another machine): it starts the export again.
    worker = _worker(app)
    try:
        job = _wait(session, export_id, lambda job: job.status in ("done", "failed"),
                    timeout=90)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    took = time.monotonic() - killed
    assert (job.status, job.done, job.attempts) == ("done", 60, 2)
    assert took < 60, f"{took:.0f} s from the worker's death to the finished export"
    assert not part.exists()
    response = client.get(f"/certificates/exports/{export_id}/download")
    names = zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()
    response.close()
    assert len(names) == 61  # the register and every certificate, none twice


def test_an_export_whose_last_attempt_dies_fails_visibly_and_can_be_tried_again(
        app_factory, session, setup, manager):  # noqa: F811
    app = app_factory(EXPORT_STALLED_SECONDS=3)
    make_certificates(session, setup, ["Amina"])
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="csv")
    # What a worker that died on its second attempt leaves: a silent row and a partial file.
    job = _job(session, export_id)
    job.status, job.attempts, job.worker = "running", 2, "gone:1"
    job.updated_at = utcnow() - timedelta(seconds=10)
    session.commit()
    part = Path(app.instance_path) / "exports" / f"certificates-{export_id}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"half a register")
    assert "The export failed" in _page(client, export_id)  # shown so before any sweep
    jobs.sweep(app)  # what every live worker does every few seconds
    job = _job(session, export_id)
    assert (job.status, job.error) == ("failed", "WorkerLost") and not part.exists()
    page = _page(client, export_id)
    assert "The export failed" in page and "Try again" in page
    again = client.form(f"/certificates/exports/{export_id}/retry")
    assert again.status_code == 302
    new_id = int(again.headers["Location"].rsplit("/", 1)[1])
    assert new_id != export_id and _job(session, new_id).status == "queued"
    assert finish(app, session, new_id).status == "done"


def test_the_sweeper_starts_an_interrupted_export_again_once(app_factory, session, setup,
                                                              manager):  # noqa: F811
    app = app_factory(EXPORT_STALLED_SECONDS=3)
    make_certificates(session, setup, ["Amina", "Baraka"])
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="csv")
    job = _job(session, export_id)
    job.status, job.attempts, job.worker, job.done = "running", 1, "gone:1", 1
    job.updated_at = utcnow() - timedelta(seconds=10)
    session.commit()
    assert "stopped before it finished" in _page(client, export_id)
    jobs.sweep(app)
    jobs.sweep(app)  # a second sweeper (another worker) changes nothing more
    job = _job(session, export_id)
    assert (job.status, job.done, job.worker) == ("queued", 0, "")
    job = finish(app, session, export_id)
    assert (job.status, job.done, job.attempts) == ("done", 2, 2)


def test_the_page_says_when_no_worker_picks_up_queued_work(app_factory, session, setup,
                                                             manager):  # noqa: F811
    app = app_factory(JOBS_BEAT_SECONDS=1)
    make_certificates(session, setup, ["Amina"])
    client = login(app.test_client(), manager)
    export_id = _start(client, kind="csv")
    assert "No job worker is running" in _page(client, export_id)
    worker = jobs.start_worker(app, workers=1)
    try:
        job = _wait(session, export_id, lambda job: job.status == "done")
        assert job.status == "done"
        page = _page(client, export_id)
        assert "No job worker is running" not in page and "Download" in page
    finally:
        worker.stop()
