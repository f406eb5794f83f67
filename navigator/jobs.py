"""Background jobs on a Huey queue: SQLite under instance/ by default, Redis when configured.

Capabilities mark job functions with @job at import; each app binds them to its own queue in
init_app, so nothing is created at import time. The queue is a file (or Redis), so queued
jobs survive a restart and every app server sees the same queue.

Every process that runs jobs also keeps a heartbeat row in the database (job_worker), so pages
can tell people when nothing is picking up queued work, and runs the capabilities' sweepers
(@sweeper) every few seconds: they find work whose worker died and start it again or fail it.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey
from sqlmodel import SQLModel

from navigator import db

_JOBS: dict[str, Callable] = {}
_SWEEPERS: dict[str, Callable] = {}
log = logging.getLogger(__name__)
BEAT_SECONDS = 5       # how often a worker says it is alive, and sweeps (JOBS_BEAT_SECONDS)

# One row per process running jobs; written by its maintenance thread, read by pages.
worker_table = sa.Table(
    "job_worker", SQLModel.metadata,
    sa.Column("name", sa.String(120), primary_key=True),   # host:pid
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False),
)


def job(fn: Callable) -> Callable:
    """Register a function as a background job; call it later with enqueue(fn, ...)."""
    _JOBS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def _bind(app: Flask, fn: Callable) -> Callable:
    def run_in_app(*args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)

    run_in_app.__name__ = fn.__name__
    return run_in_app


def init_app(app: Flask) -> None:
    """Create the app's queue and bind every registered job to it."""
    if app.config["REDIS_URL"]:
        huey = RedisHuey("navigator", url=app.config["REDIS_URL"])
    else:
        huey = SqliteHuey("navigator", filename=str(Path(app.instance_path) / "jobs.db"),
                          immediate=bool(app.config.get("JOBS_IMMEDIATE")))
    app.extensions["navigator.jobs"] = huey
    app.extensions["navigator.jobs.tasks"] = {}
    bind_jobs(app)


def bind_jobs(app: Flask) -> None:
    """Bind jobs registered since init_app (capabilities imported later) to the queue."""
    huey, tasks = app.extensions["navigator.jobs"], app.extensions["navigator.jobs.tasks"]
    for name, fn in _JOBS.items():
        if name not in tasks:
            tasks[name] = huey.task(name=name, retries=1, retry_delay=5)(_bind(app, fn))


def enqueue(fn: Callable, *args, **kwargs):
    """Queue a registered job for the current app's workers."""
    tasks = current_app.extensions["navigator.jobs.tasks"]
    return tasks[f"{fn.__module__}.{fn.__qualname__}"](*args, **kwargs)


def sweeper(fn: Callable) -> Callable:
    """Register a function its capability wants run every few seconds in every job worker.

    It takes no arguments and runs inside the app; it must be safe to run in several workers
    at once (an UPDATE ... WHERE that only one of them wins).
    """
    _SWEEPERS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(engine, name: str, started_at: float) -> None:
    """Say this worker is alive now."""
    t = worker_table
    now = time.time()
    with db.write_engine(engine).begin() as conn:
        updated = conn.execute(sa.update(t).where(t.c.name == name).values(seen_at=now))
        if not updated.rowcount:
            conn.execute(sa.insert(t).values(name=name, started_at=started_at, seen_at=now))
        # Rows of workers long gone are cleared by whoever is still here.
        conn.execute(sa.delete(t).where(t.c.seen_at < now - 24 * 3600))


def workers_alive(app: Flask) -> int:
    """How many job workers said they were alive lately (within three heartbeats)."""
    t = worker_table
    within = 3 * app.config.get("JOBS_BEAT_SECONDS", BEAT_SECONDS) + 1
    with app.extensions["navigator.db"].connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t)
                            .where(t.c.seen_at >= time.time() - within)).scalar_one()


def sweep(app: Flask) -> None:
    """Run every registered sweeper once, inside the app; one failing does not stop the rest."""
    with app.app_context():
        for name, fn in _SWEEPERS.items():
            try:
                fn()
            except Exception:  # noqa: BLE001 - the next beat tries again
                log.exception("sweeper %s failed", name)


class Maintenance:
    """The thread that keeps a worker's heartbeat and runs the sweepers, until stopped."""

    def __init__(self, app: Flask) -> None:
        self.app, self.name = app, worker_name()
        self.every = app.config.get("JOBS_BEAT_SECONDS", BEAT_SECONDS)
        self.started_at = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="navigator-maintenance",
                                        daemon=True)

    def start(self) -> "Maintenance":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:  # a clean stop leaves no heartbeat behind to mislead the pages
            with db.write_engine(self.app.extensions["navigator.db"]).begin() as conn:
                conn.execute(sa.delete(worker_table).where(worker_table.c.name == self.name))
        except sa.exc.SQLAlchemyError:
            pass

    def _run(self) -> None:
        engine = self.app.extensions["navigator.db"]
        while not self._stop.is_set():
            try:
                beat(engine, self.name, self.started_at)
            except sa.exc.SQLAlchemyError:
                log.warning("the job worker could not write its heartbeat; trying again")
            sweep(self.app)
            self._stop.wait(self.every)


class Worker:
    """A queue consumer and its maintenance thread, run and stopped together."""

    def __init__(self, consumer, maintenance: Maintenance) -> None:
        self.consumer, self.maintenance = consumer, maintenance

    def stop(self, graceful: bool = True) -> None:
        self.consumer.stop(graceful=graceful)
        self.maintenance.stop()


def start_worker(app: Flask, workers: int = 2) -> Worker:
    """Run the queue's consumer in background threads of this process (development server)."""
    consumer = app.extensions["navigator.jobs"].create_consumer(workers=workers,
                                                                worker_type="thread")
    consumer.start()
    return Worker(consumer, Maintenance(app).start())
