"""The platform's signing keys for Open Badges: made on first use, rotated, never logged.

Keys live outside the database, so a database dump holds no private key:
- NAVIGATOR_BADGE_KEYS: one or more PEM private keys, oldest first; the last one signs.
- otherwise the folder NAVIGATOR_BADGE_KEYS_PATH (default instance/badge-keys/), one
  key-NNNN.pem file per key, readable by the platform's user only; the highest number signs.
  The first key is created there on first use; `flask badges rotate-key` adds the next one.

Every key ever used stays in the public key set (JWKS), so credentials signed before a
rotation keep verifying. A key is named by a URL ending in its RFC 7638 thumbprint, which
dereferences to its public JWK, as Open Badges 3.0 asks of the JOSE header's `kid`.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

KEY_TYPES = {"P-256": "ES256", "Ed25519": "EdDSA"}
FILE = re.compile(r"^key-(\d{4,})\.pem$")
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.+?-----END [A-Z ]*PRIVATE KEY-----",
                       re.DOTALL)
_lock = threading.Lock()
_parsed: dict[bytes, ECKey | OKPKey] = {}


class BadgeKeyError(Exception):
    """The badge keys cannot be read; the message names the setting, never the key."""


def _import(pem: bytes) -> ECKey | OKPKey:
    """A private key from PEM; parsed once per process (PEM text is the cache key)."""
    with _lock:
        key = _parsed.get(pem)
        if key is None:
            for kind in (ECKey, OKPKey):
                try:
                    key = kind.import_key(pem)
                    break
                except Exception:  # noqa: BLE001 - the next kind may read it
                    continue
            if key is None or not key.is_private:
                raise BadgeKeyError("a badge key is not a P-256 or Ed25519 private key in PEM")
            if key.as_dict(private=False).get("crv") not in KEY_TYPES:
                raise BadgeKeyError("badge keys must be P-256 or Ed25519")
            _parsed[pem] = key
        return key


def generate(key_type: str) -> bytes:
    """A new private key of the type (P-256 or Ed25519), as PEM."""
    if key_type not in KEY_TYPES:
        raise BadgeKeyError("NAVIGATOR_BADGE_KEY_TYPE must be P-256 or Ed25519")
    key = ECKey.generate_key("P-256") if key_type == "P-256" else OKPKey.generate_key("Ed25519")
    return key.as_pem(private=True)


def _numbered(folder: Path) -> list[tuple[int, Path]]:
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = FILE.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def _create(folder: Path, number: int, key_type: str) -> bool:
    """Write key number `number` unless it exists; atomic, so two workers make one key."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"key-{number:04d}.pem"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(generate(key_type))
    return True


def rotate(folder: Path, key_type: str) -> Path:
    """Add the next key to the folder; it signs from now on, the older ones still verify."""
    while True:
        numbered = _numbered(folder)
        number = numbered[-1][0] + 1 if numbered else 1
        if _create(folder, number, key_type):
            return folder / f"key-{number:04d}.pem"


@dataclass(frozen=True)
class SigningKey:
    key: ECKey | OKPKey
    kid: str  # a URL that dereferences to the public JWK
    thumbprint: str

    @property
    def alg(self) -> str:
        return KEY_TYPES[self.key.as_dict(private=False)["crv"]]

    def public_jwk(self) -> dict:
        """The public JWK (never "d"), with the kid and algorithm it signs with."""
        public = self.key.as_dict(private=False)
        assert "d" not in public
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}


class Keyring:
    """The keys, oldest first: the last signs, every one verifies."""

    def __init__(self, pems: list[bytes], base_url: str) -> None:
        if not pems:
            raise BadgeKeyError("no badge key")
        self.base_url = base_url.rstrip("/")
        self.keys = []
        for pem in pems:
            key = _import(pem)
            thumb = key.thumbprint()
            self.keys.append(SigningKey(key, f"{self.base_url}/badges/keys/{thumb}", thumb))

    @property
    def signing(self) -> SigningKey:
        return self.keys[-1]

    def by_kid(self, kid: str) -> SigningKey | None:
        return next((k for k in self.keys if kid in (k.kid, k.thumbprint)), None)

    def by_thumbprint(self, thumb: str) -> SigningKey | None:
        return next((k for k in self.keys if k.thumbprint == thumb), None)

    def jwks(self) -> dict:
        return {"keys": [k.public_jwk() for k in self.keys]}

    def sign(self, header: dict, payload: bytes) -> str:
        """A compact JWS of the payload with the signing key."""
        key = self.signing
        with warnings.catch_warnings():
            # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519"; verifiers in use
            # today (PyJWT, jose, …) know only "EdDSA", so that is the name we sign with.
            warnings.simplefilter("ignore")
            return jws.serialize_compact({**header, "alg": key.alg, "kid": key.kid}, payload,
                                         key.key, algorithms=[key.alg])

    def verify(self, token: str) -> tuple[dict, bytes, SigningKey] | None:
        """(header, payload, key) when one of our keys signed the token; None otherwise."""
        try:
            header = jws.extract_compact(token.encode()).headers()
        except Exception:  # noqa: BLE001 - not a compact JWS at all
            return None
        key = self.by_kid(str(header.get("kid", "")))
        if key is None or header.get("alg") != key.alg:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = jws.deserialize_compact(token, key.key, algorithms=[key.alg])
            except Exception:  # noqa: BLE001 - a bad signature, or a malformed token
                return None
        return header, result.payload, key


def load_pems(configured: str, folder: Path, key_type: str) -> list[bytes]:
    """The configured PEM keys, else the folder's (the first one made when there is none)."""
    if configured.strip():
        blocks = PEM_BLOCK.findall(configured.replace("\\n", "\n"))
        if not blocks:
            raise BadgeKeyError("NAVIGATOR_BADGE_KEYS holds no PEM private key")
        return [block.encode() + b"\n" for block in blocks]
    if not _numbered(folder):
        _create(folder, 1, key_type)
    return [path.read_bytes() for _n, path in _numbered(folder)]


def keys_folder(config: dict, instance_path: str) -> Path:
    return Path(config.get("BADGE_KEYS_PATH") or Path(instance_path) / "badge-keys")


def keyring(app) -> Keyring:
    """The app's keyring, read again when the folder's keys change (a rotation elsewhere)."""
    config = app.config
    pems = load_pems(config.get("BADGE_KEYS", ""), keys_folder(config, app.instance_path),
                     config.get("BADGE_KEY_TYPE", "P-256"))
    cached = app.extensions.get("navigator.badge_keys")
    if cached is not None and cached[0] == pems:
        return cached[1]
    ring = Keyring(pems, config["BASE_URL"])
    app.extensions["navigator.badge_keys"] = (pems, ring)
    return ring
