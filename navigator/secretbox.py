"""Secrets stored in the database (model endpoints' API keys), encrypted with keys that are not.

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` library) under a MultiFernet:
the first key encrypts, every key listed decrypts, so keys can be rotated without downtime.

The keys come from NAVIGATOR_ENCRYPTION_KEYS (comma-separated, newest first) or, failing that,
from `encryption.keys` in the instance folder (one a line, newest first), which is created with
a fresh key on first start. Several servers must share the same keys: set the variable on
every one. Rotating: put a new key first, run `flask secrets rotate`, then drop the old key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy.types import Text, TypeDecorator

PREFIX = "fernet:"  # marks a stored value as encrypted; a value without it predates encryption
KEYS_FILE = "encryption.keys"
log = logging.getLogger(__name__)


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys can decrypt (a key was dropped too soon)."""


class Keyring:
    """Encrypts with the newest key, decrypts with any of them."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plain: str) -> str:
        """The stored form of a secret; the empty string stays empty (no secret set)."""
        if not plain:
            return ""
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The secret; a value stored before encryption existed is returned as it is."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured key decrypts this value") from None

    def rotate(self, stored: str) -> str:
        """The value re-encrypted with the newest key (plain values get encrypted)."""
        if not stored:
            return ""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        try:
            return PREFIX + self._fernet.rotate(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("no configured key decrypts this value") from None


def _parse(text: str) -> list[str]:
    """Keys from lines or comma-separated text; lines starting with # are comments."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    return [k.strip() for line in lines for k in line.split(",") if k.strip()]


def load_keys(configured: str, instance_path: str) -> list[str]:
    """The configured keys, else those of the instance folder's file (created when missing)."""
    if configured.strip():
        return _parse(configured)
    path = Path(instance_path) / KEYS_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by the platform's own user only; created atomically so two workers
        # starting together cannot write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write("# Navigator's encryption keys, newest first. Keep a copy apart from\n"
                          "# the database backups: without it, stored API keys cannot be read.\n"
                          + Fernet.generate_key().decode() + "\n")
    return _parse(path.read_text())


class EncryptedText(TypeDecorator):
    """A text column stored encrypted: Python sees the secret, the database only ciphertext.

    The keyring travels on the engine's dialect (set by init_app), so every session on the
    app's engine encrypts and decrypts, in requests, jobs, commands and tests alike; an engine
    without one refuses to write a secret rather than store it in the clear.
    """

    impl = Text
    cache_ok = True

    @staticmethod
    def _ring(dialect) -> Keyring:
        ring = getattr(dialect, "navigator_keyring", None)
        if ring is None:
            raise RuntimeError("this database engine has no encryption keys (secretbox.init_app)")
        return ring

    def process_bind_param(self, value, dialect):
        if not value or value.startswith(PREFIX):
            return value
        return self._ring(dialect).encrypt(value)

    def process_result_value(self, value, dialect):
        if not value or not value.startswith(PREFIX):
            return value
        return self._ring(dialect).decrypt(value)


def init_app(app: Flask) -> None:
    """Build the app's keyring and hand it to the app's engine.

    A bad key stops the start with a message naming the setting.
    """
    try:
        keys = load_keys(app.config["ENCRYPTION_KEYS"], app.instance_path)
        ring = app.extensions["navigator.secrets"] = Keyring(keys)
    except (ValueError, TypeError):
        raise SystemExit("NAVIGATOR_ENCRYPTION_KEYS (or instance/encryption.keys) must hold "
                         "Fernet keys, newest first, e.g. the output of: python -c 'from "
                         "cryptography.fernet import Fernet; print(Fernet.generate_key()"
                         ".decode())'") from None
    app.extensions["navigator.db"].dialect.navigator_keyring = ring
    if app.config["ENV"] == "production" and not app.config["ENCRYPTION_KEYS"].strip():
        log.warning("Stored API keys are encrypted with the key in %s. On several servers, set "
                    "NAVIGATOR_ENCRYPTION_KEYS to the same keys on every one instead.",
                    Path(app.instance_path) / KEYS_FILE)


def keyring() -> Keyring:
    """The current app's keyring."""
    return current_app.extensions["navigator.secrets"]


def encrypt(plain: str) -> str:
    return keyring().encrypt(plain)


def decrypt(stored: str) -> str:
    return keyring().decrypt(stored)


def rotate_all(engine) -> int:
    """Re-encrypt every encrypted column's values with the newest key (plain ones included).

    Returns how many values were rewritten. Safe to run again; run it after putting a new key
    first, before dropping the old one.
    """
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    ring: Keyring = engine.dialect.navigator_keyring
    changed = 0
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, EncryptedText):
                    continue
                raw = sa.type_coerce(column, Text)  # the stored text, not decrypted
                key = list(table.primary_key.columns)[0]
                for ident, stored in conn.execute(sa.select(key, raw).where(raw != "")):
                    fresh = ring.rotate(stored)
                    if fresh != stored:
                        conn.execute(sa.update(table).where(key == ident)
                                     .values({column.name: sa.type_coerce(fresh, Text)}))
                        changed += 1
    return changed
