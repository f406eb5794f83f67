"""Database engine and per-request session, SQLite pragmas, and migrations."""

import fcntl
import importlib
import importlib.util
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from navigator import tables  # noqa: F401  (the ground's own tables, in the metadata)
from navigator.config import ROOT, database_url

# Stable constraint names, so migrations can alter SQLite tables in batch mode.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Capabilities whose models.py holds tables; imported so the metadata is complete.
CAPABILITIES = ("accounts", "learning", "authoring", "sandbox", "certification", "outreach",
                "checks")
MIGRATIONS = ROOT / "migrations"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: every stored time is UTC."""
    return datetime.now(UTC)


def load_models() -> None:
    """Import every capability's models so SQLModel.metadata lists all tables."""
    for name in CAPABILITIES:
        if importlib.util.find_spec(f"navigator.{name}") is None:
            continue
        if importlib.util.find_spec(f"navigator.{name}.models") is not None:
            importlib.import_module(f"navigator.{name}.models")


def _sqlite_pragmas(engine: Engine, busy_seconds: float) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN emitted by us so writes can be IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        # Autocommit at the driver level: SQLAlchemy's begin event below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A read-then-write transaction that began DEFERRED can fail to upgrade its lock
        # under concurrency; IMMEDIATE takes the write lock up front and waits politely.
        # "AUTOCOMMIT" (see write_apart) begins nothing: each statement is its own transaction.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "AUTOCOMMIT":
            conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, busy_seconds: float = 10) -> Engine:
    """Create the engine for a URL, with SQLite tuned for a web server."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": busy_seconds})
        _sqlite_pragmas(engine, busy_seconds)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_app(app: Flask) -> None:
    """Create the app's engine and close the request session at teardown."""
    engine = make_engine(database_url(app.config), app.config["SQLITE_BUSY_SECONDS"])
    app.extensions["navigator.db"] = engine
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["navigator.db"]


def write_engine(eng: Engine | None = None) -> Engine:
    """The engine whose transactions begin IMMEDIATE on SQLite."""
    eng = eng or engine()
    if eng.dialect.name == "sqlite":
        return eng.execution_options(sqlite_begin="IMMEDIATE")
    return eng


def session() -> Session:
    """The request's session; on POST its transaction takes the SQLite write lock up front."""
    if "db_session" not in g:
        writes = (has_request_context() and request.method in WRITE_METHODS
                  and not g.get("db_read_only"))
        g.db_session = Session(write_engine() if writes else engine(), expire_on_commit=False,
                               info={"writes": writes})
    return g.db_session


@contextmanager
def write_session(eng: Engine | None = None):
    """A session for CLI commands and jobs: commits on success, rolls back on error."""
    with Session(write_engine(eng), expire_on_commit=False, info={"writes": True}) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def read_only() -> None:
    """Drop the request's session; the rest of the request only reads (an error page)."""
    _close_session()
    g.db_read_only = True  # in WAL mode a reader never waits for the writer holding the lock


def write_apart(s: Session, statement) -> list:
    """Run one writing statement for a page that otherwise only reads; its rows (RETURNING).

    In a write transaction (a POST's session, write_session()) it simply joins it, and the
    caller commits as usual. A reading session (a GET's, or one made by hand) commits it at
    once, as a page that only reads commits nothing else; on SQLite, where a transaction that
    has read cannot safely start writing (another writer may have committed since it began, and
    SQLite then refuses rather than waits), the read ends first and the statement runs on its
    own in SQLite's autocommit mode: the write lock is held for this one statement only, and
    the statement must be right on its own (an upsert, or an UPDATE that says in its WHERE
    what it expects).
    """
    if s.info.get("writes"):
        return _rows(s.execute(statement))
    if s.get_bind().dialect.name != "sqlite":
        rows = _rows(s.execute(statement))
        s.commit()
        return rows
    if s.in_transaction():
        if s.connection().get_execution_options().get("sqlite_begin") == "IMMEDIATE":
            return _rows(s.execute(statement))
        s.commit()  # ends the read; a page that only read has nothing pending
    s.connection(execution_options={"sqlite_begin": "AUTOCOMMIT"})
    try:
        rows = _rows(s.execute(statement))
    except BaseException:
        s.rollback()
        raise
    s.commit()  # nothing is left to commit at the driver: this ends the session's transaction
    return rows


def _rows(result) -> list:
    return result.all() if result.returns_rows else []


def insert_once(s: Session, row) -> bool:
    """Insert a row unless a unique constraint says it exists; True when inserted."""
    from sqlalchemy.exc import IntegrityError

    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        return False
    return True


def release(response):
    """End the request's transaction before the response leaves.

    Views commit what they mean to keep; whatever is left is rolled back here, so a
    read-then-write transaction never holds SQLite's write lock while other after-request
    work (rate-limit counters) needs it.
    """
    _close_session()
    return response


def _close_session(_exc=None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def alembic_config(url: str):
    """An Alembic configuration for the project's migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, lock_dir: Path) -> None:
    """Apply all migrations; a file lock keeps several workers from racing on SQLite."""
    from alembic import command

    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        command.upgrade(alembic_config(url), "head")
