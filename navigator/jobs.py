"""Background jobs on a Huey queue: SQLite under instance/ by default, Redis when configured.

Capabilities mark job functions with @job at import; each app binds them to its own queue in
init_app, so nothing is created at import time. The queue is a file (or Redis), so queued
jobs survive a restart and every app server sees the same queue.

Every process that runs jobs also keeps a heartbeat row in the database (job_worker), so pages
can tell people when nothing is picking up queued work, and runs the capabilities' sweepers
(@sweeper) every few seconds: they find work whose worker died and start it again or fail it.

Some jobs carry what must not sit in a queue or a log (an e-mail with a password-reset link)
and must not be lost when a server fails: enqueue_kept() keeps their arguments in the database
(job_kept) until they succeed, then deletes them; while they fail they are tried again after
growing pauses. Log lines name such a job by its row number and the kind of error only.
"""

import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context
from huey import PriorityRedisHuey, SqliteHuey

from navigator import db
from navigator.tables import kept_table, worker_table

_JOBS: dict[str, Callable] = {}
_SWEEPERS: dict[str, Callable] = {}
log = logging.getLogger(__name__)
BEAT_SECONDS = 5       # how often a worker says it is alive, and sweeps (JOBS_BEAT_SECONDS)

LONGEST_PAUSE = 3600   # pauses grow to an hour, no more
STUCK_SECONDS = 300    # a kept job running this long lost its worker
OVERDUE_SECONDS = 30   # a kept job due this long and not picked up lost its queue message


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
        # Ordered by priority, as the SQLite queue is: a PDF someone waits for goes ahead of
        # background work. (Its keys differ from the plain queue's, which held a list.)
        huey = PriorityRedisHuey("navigator-by-priority", url=app.config["REDIS_URL"])
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


def enqueue_in(seconds: float, fn: Callable, *args, **kwargs):
    """Queue a registered job to run after a pause (a retry's back-off)."""
    tasks = current_app.extensions["navigator.jobs.tasks"]
    return tasks[f"{fn.__module__}.{fn.__qualname__}"].schedule(args, kwargs, delay=seconds)


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


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def start_worker(app: Flask, workers: int = 2) -> Worker:
    """Run the queue's consumer in background threads of this process (development server)."""
    consumer = app.extensions["navigator.jobs"].create_consumer(workers=workers,
                                                                worker_type="thread")
    # huey's start() installs SIGINT, SIGTERM and SIGHUP handlers that only its own run() loop
    # acts on; here the web server owns the main thread, so with them Ctrl-C had to be pressed
    # twice and SIGTERM did nothing. The process keeps the handlers it had.
    before = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    consumer.start()
    for sig, handler in before.items():
        if handler is not None:
            signal.signal(sig, handler)
    return Worker(consumer, Maintenance(app).start())


class GiveUp(Exception):
    """Raised by a kept job when trying again cannot help (the address is refused)."""


def _name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def enqueue_kept(fn: Callable, **data) -> int:
    """Queue a registered job whose keyword arguments (JSON) stay in the database, not in the
    queue, until it succeeds; it is tried again after growing pauses while it fails."""
    now = time.time()
    insert = sa.insert(kept_table).values(job=_name(fn), data=json.dumps(data),
                                          status="queued", attempts=0, created_at=now,
                                          due_at=now, touched_at=now)
    if has_request_context():
        # Through the request's session, committed at once: on SQLite a second connection
        # would wait for the write lock that session holds, and the worker needs the row.
        s = db.session()
        kept_id = s.execute(insert).inserted_primary_key[0]
        s.commit()
    else:
        with db.write_engine().begin() as conn:
            kept_id = conn.execute(insert).inserted_primary_key[0]
    try:
        enqueue(run_kept, kept_id)
    except Exception:  # noqa: BLE001 - the queue is down: the row stays, a sweeper queues it
        log.warning("kept job %s is not queued yet; a worker's sweeper will queue it", kept_id)
    return kept_id


def pause(attempts: int) -> float:
    """Seconds to wait after a kept job's attempts-th failure: doubling, to an hour at most."""
    first = current_app.config["JOBS_RETRY_SECONDS"]  # then doubled
    return min(first * 2 ** (attempts - 1), LONGEST_PAUSE)


@job
def run_kept(kept_id: int) -> None:
    """Run a kept job once: delete it when it succeeds, else queue it again after a pause."""
    t = kept_table
    now = time.time()
    with db.write_engine().begin() as conn:
        # Claimed by one worker only, however many queue messages name it.
        claimed = conn.execute(sa.update(t).where(
            t.c.id == kept_id, t.c.status == "queued", t.c.due_at <= now + 1).values(
            status="running", attempts=t.c.attempts + 1, touched_at=now)).rowcount
        if not claimed:
            return
        row = conn.execute(sa.select(t).where(t.c.id == kept_id)).one()
    try:
        _JOBS[row.job](**json.loads(row.data))
    except Exception as exc:  # noqa: BLE001 - any failure is tried again, or given up
        # The kind of error only: messages can quote what the job carries.
        reason = type(exc.__cause__ or exc).__name__
        hours = current_app.config["JOBS_GIVE_UP_HOURS"]
        if isinstance(exc, GiveUp) or now - row.created_at > hours * 3600:
            with db.write_engine().begin() as conn:
                conn.execute(sa.update(t).where(t.c.id == kept_id).values(
                    status="failed", data="", touched_at=time.time()))
            log.error("kept job %s (%s) given up after %s attempts (%s)", kept_id, row.job,
                      row.attempts + 1, reason)
            return
        delay = pause(row.attempts + 1)
        with db.write_engine().begin() as conn:
            conn.execute(sa.update(t).where(t.c.id == kept_id).values(
                status="queued", due_at=time.time() + delay, touched_at=time.time()))
        log.warning("kept job %s (%s) failed (%s); trying again in %.0f s", kept_id, row.job,
                    reason, delay)
        enqueue_in(delay, run_kept, kept_id)
        return
    with db.write_engine().begin() as conn:
        conn.execute(sa.delete(t).where(t.c.id == kept_id))


@sweeper
def requeue_kept() -> int:
    """Queue again kept jobs whose worker died mid-run or whose queue message was lost.

    A job may then run twice (a worker killed after its e-mail went out, before the row was
    deleted), never not at all. Returns how many were queued.
    """
    t = kept_table
    now = time.time()
    with db.write_engine().begin() as conn:
        # Due long ago, so the query below queues it at once.
        conn.execute(sa.update(t).where(t.c.status == "running",
                                        t.c.touched_at < now - STUCK_SECONDS)
                     .values(status="queued", due_at=0, touched_at=0))
        late = list(conn.execute(sa.select(t.c.id).where(
            t.c.status == "queued", t.c.due_at < now - OVERDUE_SECONDS,
            t.c.touched_at < now - OVERDUE_SECONDS)).scalars())
        if late:
            conn.execute(sa.update(t).where(t.c.id.in_(late)).values(touched_at=now))
    for kept_id in late:
        enqueue(run_kept, kept_id)
    return len(late)
