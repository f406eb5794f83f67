"""Fixtures: the real app on a real, migrated database; factories; a CSRF-aware client."""

import os
import re
import shutil
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy.orm import object_session
from sqlmodel import Session, SQLModel

from navigator import create_app, db
from navigator.accounts import services as accounts
from navigator.accounts.models import Programme, User

# NAVIGATOR_TEST_DATABASE_URL=postgresql://... runs the whole suite on PostgreSQL.
PG_URL = os.environ.get("NAVIGATOR_TEST_DATABASE_URL", "")
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                      r'|name="csrf_token" value="([^"]+)"')
PASSWORD = "plum-kettle-harbour-42"


@pytest.fixture(scope="session", autouse=True)
def _fast_hashing():
    """Cheaper argon2 parameters for tests only: the algorithm stays argon2id."""
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("dummy")
    yield
    accounts._hasher = original


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A database migrated once with Alembic; each test gets a fresh copy of it."""
    instance = tmp_path_factory.mktemp("instance")
    if PG_URL:
        from navigator.config import database_url

        url = database_url({"DATABASE_URL": PG_URL})
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
        db.upgrade(url, instance)
        _add_unmigrated_tables(url)
        return url
    path = instance / "template.db"
    db.upgrade(f"sqlite:///{path}", instance)
    _add_unmigrated_tables(f"sqlite:///{path}")
    return path


def _add_unmigrated_tables(url: str) -> None:
    """Create tables whose migration is not written yet, so work in progress can be tested.

    tests/test_migrations.py fails while any exist, so nothing lands without its migration.
    """
    db.load_models()
    engine = sa.create_engine(url)
    SQLModel.metadata.create_all(engine, checkfirst=True)
    engine.dispose()


def _clean_postgres(url: str) -> None:
    db.load_models()
    engine = sa.create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture
def app_factory(migrated_db, tmp_path):
    """Build apps on this test's own database, with optional setting overrides."""
    if PG_URL:
        _clean_postgres(migrated_db)
        url = PG_URL
    else:
        shutil.copy(migrated_db, tmp_path / "navigator.db")
        url = f"sqlite:///{tmp_path / 'navigator.db'}"
    apps = []

    def make(**overrides):
        settings = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                    "BASE_URL": "http://navigator.test", "SECRET_KEY": "test-secret",
                    "RATELIMIT_ENABLED": False, "TESTING": True, **overrides}
        app = create_app(settings)
        app.test_client_class = Client
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["navigator.db"].dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


class Client(FlaskClient):
    """A test client that reads the CSRF token from a page, as a browser form would."""

    def csrf(self) -> str:
        html = self.get("/").get_data(as_text=True)
        match = TOKEN_RE.search(html)
        assert match, "no CSRF token on the home page"
        return match.group(1) or match.group(2)

    def form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """A database session outside any request, committed by the factories.

    No app context stays pushed: requests made during the test must each get their own `g`.
    """
    with Session(app.extensions["navigator.db"], expire_on_commit=False) as s:
        yield s


@pytest.fixture
def make_programme(session):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None) -> Programme:
        programme = accounts.create_programme(session, name=name or f"Programme {next(counter)}")
        session.commit()
        return programme

    return make


@pytest.fixture
def make_user(session, make_programme):
    """Create a user holding `role` in `programme` ('admin' makes an administrator)."""
    counter = iter(range(1, 10_000))

    def make(role: str = "navigator", programme: Programme | None = None, *,
             email: str | None = None, password: str = PASSWORD, name: str | None = None,
             locale: str = "") -> User:
        n = next(counter)
        user = accounts.create_user(session, email=email or f"{role}{n}@example.org",
                                    password=password, display_name=name or f"{role.title()} {n}",
                                    is_admin=role == "admin", locale=locale, min_length=10)
        if role != "admin":
            accounts.add_role(session, user, programme or make_programme(), role)
        session.commit()
        return user

    return make


def login(client: FlaskClient, user: User) -> FlaskClient:
    """Sign a client in as the user without going through the form (a server-side session)."""
    owner = object_session(user)
    if owner is not None:
        # The test's own session: on SQLite a second writer would leave it a stale snapshot
        # that can no longer write ("database is locked").
        key = accounts.start_session(owner, user, hours=12)
        owner.commit()
        ident = f"{user.id}.{user.session_nonce}.{key}"
    else:
        with client.application.app_context(), db.write_session() as s:
            stored = s.get(User, user.id)
            key = accounts.start_session(s, stored, hours=12)
            ident = f"{stored.id}.{stored.session_nonce}.{key}"
    with client.session_transaction() as sess:
        sess["_user_id"] = ident
        sess["_fresh"] = True
    return client


@dataclass
class World:
    """Two programmes and one person per role; 'other' manages only programme B."""

    a: Programme
    b: Programme
    actors: dict[str, User | None]
    target: User            # a navigator of programme A, acted upon
    extra: dict


@pytest.fixture
def world(make_programme, make_user) -> World:
    a, b = make_programme("Alpha"), make_programme("Beta")
    actors = {
        "anonymous": None,
        "navigator": make_user("navigator", a),
        "trainer": make_user("trainer", a),
        "manager": make_user("manager", a),
        "admin": make_user("admin"),
        "other": make_user("manager", b),
    }
    return World(a=a, b=b, actors=actors, target=make_user("navigator", a), extra={})
