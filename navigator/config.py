"""Settings: defaults, then NAVIGATOR_* environment variables, then overrides from create_app."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret"

DEFAULTS: dict = {
    "ENV": "development",                # "production" turns on the strict checks below
    "SECRET_KEY": DEV_SECRET,
    "DATABASE_URL": "",                  # empty: SQLite file under INSTANCE_PATH
    "INSTANCE_PATH": str(ROOT / "instance"),
    "CURRICULA_PATH": str(ROOT / "curricula"),
    "BASE_URL": "http://127.0.0.1:5000",  # used in e-mails, QR codes and exports
    "MAIL_SERVER": "",                   # empty: e-mails are printed to the console
    "MAIL_PORT": 587,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_USE_TLS": True,
    "MAIL_FROM": "navigator@localhost",
    "RATELIMIT_STORAGE_URI": "",         # empty: the platform's own database (shared by workers)
    "RATELIMIT_ENABLED": True,
    "REDIS_URL": "",                     # set: job queue and rate-limit counters on Redis
    "STORAGE": "",                       # generated files: "local" (default) or "database"
    "NARRATION": "auto",                 # computer voices for lessons: "auto" (espeak-ng), "off"
    "INVITATION_DAYS": 14,
    "RESET_HOURS": 2,
    "PASSWORD_MIN_LENGTH": 10,
    "SESSION_HOURS": 12,
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "DEMO": None,                        # None: seed the demo programme when using embedded SQLite
    "OUTREACH_EDIT_DAYS": 14,
    "SUPPRESSION_THRESHOLD": 5,
    "SANDBOX_RATE_LIMIT": "60 per minute;1000 per day",  # model runs per person
    "EXPORT_STALLED_SECONDS": 30,        # a running export silent this long lost its worker
    "JOBS_BEAT_SECONDS": 5,              # how often job workers say they are alive, and sweep
    "JOBS_RETRY_SECONDS": 30,            # a kept job's (an e-mail's) first pause after failing
    "JOBS_GIVE_UP_HOURS": 48,            # a kept job still failing after this is dropped
    "EXPORT_PROCESSES": 0,               # PDF worker processes for large exports; 0: one a core
    "EXPORT_PARALLEL_FROM": 50,          # exports this large use worker processes
    "SQLITE_BUSY_SECONDS": 10,           # how long a request waits for SQLite's write lock
    "PROXIES": 0,                        # trusted reverse proxies in front (X-Forwarded-*)
    "BADGE_KEYS": "",                    # Open Badges signing keys (PEM); empty: BADGE_KEYS_PATH
    "BADGE_KEYS_PATH": "",               # folder of key-NNNN.pem; empty: instance/badge-keys
    "BADGE_KEY_TYPE": "P-256",           # type of a new badge key: P-256 (ES256) or Ed25519
    "ENCRYPTION_KEYS": "",               # Fernet keys for stored secrets; empty: instance file
    "ENDPOINTS_ALLOW_PRIVATE": False,    # model endpoints may be on loopback/private networks
    "MODEL_WAIT_SECONDS": 20,            # a page calling a real model ends its wait by then
}

_BOOL = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False}


def _coerce(default, raw: str):
    """Convert an environment string to the type of its default."""
    if isinstance(default, bool) or default is None and raw.lower() in _BOOL:
        try:
            return _BOOL[raw.lower()]
        except KeyError:
            raise ValueError(f"expected true or false, got {raw!r}") from None
    if isinstance(default, int):
        return int(raw)
    return raw


def load(overrides: dict | None = None, environ=None) -> dict:
    """Return the settings: defaults, then NAVIGATOR_* variables, then overrides."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = environ.get(f"NAVIGATOR_{key}")
        if raw is not None:
            try:
                settings[key] = _coerce(default, raw)
            except ValueError as exc:
                raise SystemExit(f"NAVIGATOR_{key}: {exc}") from None
    settings.update(overrides or {})
    check(settings)
    return settings


def check(settings: dict) -> None:
    """Refuse unsafe production settings with a message naming the variable to set."""
    if settings["ENV"] != "production":
        return
    key = settings["SECRET_KEY"]
    if not key or key == DEV_SECRET or len(key) < 32:
        raise SystemExit(
            "Navigator will not start in production without a real secret key. Set "
            "NAVIGATOR_SECRET_KEY to a random value of at least 32 characters, e.g. the output "
            "of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def database_url(settings: dict) -> str:
    """The SQLAlchemy URL: the configured one, or a SQLite file under the instance folder."""
    if settings["DATABASE_URL"]:
        url = settings["DATABASE_URL"]
        # Hosting providers hand out postgres:// URLs; SQLAlchemy wants the driver named.
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return "sqlite:///" + str(Path(settings["INSTANCE_PATH"]) / "navigator.db")
