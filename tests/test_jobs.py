"""The job queue: jobs queued by the app run in a worker and survive in the queue file."""

import signal
import time
from pathlib import Path

from navigator import jobs


@jobs.job
def write_marker(path: str, text: str) -> str:
    """A tiny job for the test: write a file."""
    Path(path).write_text(text)
    return text


def test_queued_job_runs_in_a_worker_thread(app_factory, tmp_path):
    app = app_factory()
    jobs.bind_jobs(app)
    marker = tmp_path / "marker.txt"
    with app.app_context():
        result = jobs.enqueue(write_marker, str(marker), "done")
    consumer = jobs.start_worker(app, workers=1)
    try:
        deadline = time.monotonic() + 15
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "done"
        assert result.get(blocking=True, timeout=5) == "done"
    finally:
        consumer.stop(graceful=True)


def test_queue_survives_a_restart(app_factory, tmp_path):
    """A job queued by one app instance is still there for the next one (same instance dir)."""
    first = app_factory()
    jobs.bind_jobs(first)
    with first.app_context():
        jobs.enqueue(write_marker, str(tmp_path / "later.txt"), "kept")
    second = app_factory()
    assert len(second.extensions["navigator.jobs"]) == 1  # pending in the queue file


def test_a_worker_in_the_server_leaves_its_stop_signals_alone(app_factory):
    """Ctrl-C and SIGTERM still stop `python app.py`: huey's handlers would swallow them."""
    app = app_factory()
    jobs.bind_jobs(app)
    before = [signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
    consumer = jobs.start_worker(app, workers=1)
    try:
        assert [signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM,
                                                  signal.SIGHUP)] == before
    finally:
        consumer.stop(graceful=True)
