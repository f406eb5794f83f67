"""Static files: content-hashed addresses, a year of caching, and compressed copies.

`url_for('static', filename=...)` adds `?v=` and the start of the file's SHA-256, so the address
changes whenever the file does. Asked for at its current address, a file is served with a
year-long, immutable Cache-Control; at any other address (an old hash, none at all, as the
service worker's importScripts asks) it must be revalidated by its ETag, so nobody is stuck on
an old copy. Text files are compressed once per version and kept compressed: gzip for browsers
that accept it, brotli where the brotli module is installed and the browser prefers it.

A file's bytes and its compressed copies are kept in the process, looked up by the file's size
and modification time, so a deployed change is served at the next request; the hash in a page's
addresses is looked up again at most once a second (pages ask for the same few files on every
request), so addresses follow within that second. Every server works out the same hash from the
same file, so the addresses agree across servers.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".webmanifest", ".map"}
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
         ".webmanifest": "application/manifest+json"}
EXTENSION = "navigator.assets"
ADDRESS_CHECK_SECONDS = 1.0  # how long a page's address for a file may lag a change to it
ADDRESSES_KEPT = 1024

try:  # brotli comes with flask-compress's usual extras; gzip is always there
    import brotli
except ImportError:  # pragma: no cover - depends on the installation
    brotli = None


@dataclass
class Asset:
    """One static file as it is now: its bytes, its hash and its compressed copies."""

    stamp: tuple[int, int]
    data: bytes
    digest: str
    mimetype: str
    compressed: dict[str, bytes] = field(default_factory=dict)


class Assets:
    """The static folder's files, read and hashed once per version of each."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.files: dict[str, Asset] = {}
        self.check_seconds = ADDRESS_CHECK_SECONDS
        self.digests: dict[str, tuple[float, str | None]] = {}  # name → (checked at, hash)

    def digest(self, filename: str) -> str | None:
        """The hash for the file's address, the file looked at again at most once a second."""
        now = time.monotonic()
        kept = self.digests.get(filename)
        if kept is not None and now - kept[0] < self.check_seconds:
            return kept[1]
        asset = self.get(filename)
        found = asset.digest if asset is not None else None
        if len(self.digests) >= ADDRESSES_KEPT:
            self.digests.clear()
        self.digests[filename] = (now, found)
        return found

    def get(self, filename: str) -> Asset | None:
        """The file as it is on disk now, or None when there is no such file."""
        found = safe_join(self.folder, filename) if filename else None
        if found is None:
            return None
        path = Path(found)
        try:
            stat = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self.lock:
            asset = self.files.get(filename)
        if asset is None or asset.stamp != stamp:
            data = path.read_bytes()
            kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
            asset = Asset(stamp, data, hashlib.sha256(data).hexdigest()[:12],
                          kind or "application/octet-stream")
            if path.suffix in COMPRESSIBLE:
                asset.compressed["gzip"] = gzip.compress(data, compresslevel=9, mtime=0)
                if brotli is not None:
                    asset.compressed["br"] = brotli.compress(data)
            with self.lock:
                self.files[filename] = asset
        return asset


def _assets(app: Flask) -> Assets:
    return app.extensions[EXTENSION]


def _encoding(asset: Asset) -> str | None:
    """The compressed copy the browser accepts, its own preference first, then the smaller."""
    accepted = request.accept_encodings
    offered = [(accepted[name], -len(body), name) for name, body in asset.compressed.items()
               if accepted[name] > 0]
    return max(offered)[2] if offered else None


def init_app(app: Flask) -> None:
    """Hash static addresses in url_for and serve the static folder ourselves."""
    assets = app.extensions[EXTENSION] = Assets(app.static_folder)

    @app.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            digest = assets.digest(values.get("filename") or "")
            if digest is not None:
                values["v"] = digest

    _versioned.static_only = True  # create_app's fixed addresses of other endpoints stay valid

    def static(filename: str):
        asset = _assets(app).get(filename)
        if asset is None:
            raise NotFound()
        encoding = _encoding(asset)
        body = asset.compressed[encoding] if encoding else asset.data
        response = app.response_class(body, mimetype=asset.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if asset.compressed:
            response.vary.add("Accept-Encoding")
        response.set_etag(asset.digest + (f"-{encoding}" if encoding else ""))
        if request.args.get("v") == asset.digest:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:  # an old or missing hash: check back each time, cheaply, by the ETag
            response.headers["Cache-Control"] = "no-cache"
        return response.make_conditional(request)

    app.view_functions["static"] = static
