"""Security headers, CSRF, rate limits (in the shared database, or Redis), sign-in, role checks."""

import hashlib
import random
import time
import weakref
from functools import wraps

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from limits.storage import Storage

from navigator import db
from navigator.i18n import _l
from navigator.tables import rate_limit_table

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "accounts.sign_in"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.session_protection = "basic"



_engines: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id → the app's engine


class DatabaseStorage(Storage):
    """A fixed-window limits storage in the platform's own database."""

    STORAGE_SCHEME = ["navigator+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions)
        # The URI names the app's engine (see init_app), not storage options: the limiter is
        # shared by every app of a process and keeps the options it was ever given.
        self.engine = _engines[(uri or "").split("://", 1)[1]]

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def _insert(self):
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(rate_limit_table)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        t = rate_limit_table
        stmt = self._insert().values(key=key, count=amount, expires_at=now + expiry)
        expired = t.c.expires_at <= now
        # One atomic statement: restart the window when expired, else add to it.
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={"count": sa.case((expired, amount), else_=t.c.count + amount),
                  "expires_at": sa.case((expired, now + expiry), else_=t.c.expires_at)},
        ).returning(t.c.count)
        with db.write_engine(self.engine).begin() as conn:
            count = conn.execute(stmt).scalar_one()
            if random.random() < 0.01:  # occasional sweep keeps the table small
                conn.execute(sa.delete(t).where(t.c.expires_at < now))
        return count

    def _row(self, key: str):
        t = rate_limit_table
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c.count, t.c.expires_at)
                                .where(t.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(sa.select(1))
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(rate_limit_table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(rate_limit_table).where(rate_limit_table.c.key == key))


limiter = Limiter(get_remote_address, strategy="fixed-window", headers_enabled=True)


def hashed(value: str) -> str:
    """A short one-way digest, so rate-limit keys never hold an e-mail address."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")


def _headers(response):
    """Strict headers on every response; no-store where a page may hold personal data."""
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and "Cache-Control" not in h:
        h["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """CSRF on every form, rate limits, the login manager and the headers."""
    production = app.config["ENV"] == "production"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=production,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead: slow readers keep their form
        # A signed-in session ends when its server-side row says (a fixed time after sign-in),
        # so re-signing the cookie with a later expiry on every page bought nothing.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    # Counters in Redis when the platform has one (several machines), else in the database.
    uri = app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"]
    if not uri:
        engine = app.extensions["navigator.db"]
        _engines[str(id(engine))] = engine
        uri = f"navigator+db://{id(engine)}"
    app.config["RATELIMIT_STORAGE_URI"] = uri
    limiter.init_app(app)
    app.after_request(_headers)


def role_required(*roles: str):
    """Let through users holding any of these roles in some programme; others get 403."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
