"""Background jobs on a Huey queue: SQLite under instance/ by default, Redis when configured.

Capabilities mark job functions with @job at import; each app binds them to its own queue in
init_app, so nothing is created at import time. The queue is a file (or Redis), so queued
jobs survive a restart and every app server sees the same queue.
"""

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey

_JOBS: dict[str, Callable] = {}
log = logging.getLogger(__name__)


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


def start_worker(app: Flask, workers: int = 2):
    """Run the queue's consumer in background threads of this process (development server)."""
    consumer = app.extensions["navigator.jobs"].create_consumer(workers=workers,
                                                                worker_type="thread")
    consumer.start()
    return consumer
