"""Generated files (certificate exports) behind one small interface, with two backends.

- "local" (the default, for the embedded set-up): files in a folder under instance/.
- "database": files in the platform's database, in 1 MiB chunks, so every app server and job
  worker reads what any of them wrote, with no shared disk. NAVIGATOR_STORAGE=database.

A job builds a file on its own machine's disk, then hands it over with put(); a view sends it
with send(), a chunk at a time, so a large file never sits whole in memory.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, current_app

from navigator import db
from navigator.tables import chunk_table, file_table

CHUNK = 1024 * 1024
KINDS = ("local", "database")



class Storage:
    """Where finished files live. Names are flat (no folders) and chosen by the platform."""

    def put(self, name: str, source: Path) -> None:
        """Store the file at source under name; source is gone afterwards."""
        raise NotImplementedError

    def size(self, name: str) -> int | None:
        """The stored file's size in bytes; None when there is no such file."""
        raise NotImplementedError

    def chunks(self, name: str) -> Iterator[bytes]:
        """The file's bytes, a piece at a time."""
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove the file; nothing happens when there is none."""
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))


def _check(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("a stored file's name is one plain file name")
    return name


class LocalStorage(Storage):
    """A folder on this machine: for one server, or a folder every server mounts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / _check(name)

    def put(self, name: str, source: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, self._path(name))  # atomic on one file system
        except OSError:
            shutil.move(str(source), self._path(name))

    def size(self, name: str) -> int | None:
        path = self._path(name)
        return path.stat().st_size if path.is_file() else None

    def chunks(self, name: str) -> Iterator[bytes]:
        with open(self._path(name), "rb") as f:
            while block := f.read(CHUNK):
                yield block

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class DatabaseStorage(Storage):
    """The platform's database: shared by every server with nothing else to set up."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def put(self, name: str, source: Path) -> None:
        _check(name)
        size = 0
        with db.write_engine(self.engine).begin() as conn, open(source, "rb") as f:
            conn.execute(sa.delete(chunk_table).where(chunk_table.c.name == name))
            conn.execute(sa.delete(file_table).where(file_table.c.name == name))
            seq = 0
            while block := f.read(CHUNK):
                conn.execute(sa.insert(chunk_table).values(name=name, seq=seq, data=block))
                size += len(block)
                seq += 1
            # The file row last, in the same transaction: a reader sees all of it or nothing.
            conn.execute(sa.insert(file_table).values(name=name, size=size,
                                                      created_at=time.time()))
        source.unlink(missing_ok=True)

    def size(self, name: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(file_table.c.size)
                                .where(file_table.c.name == name)).scalar_one_or_none()

    def chunks(self, name: str) -> Iterator[bytes]:
        seq = 0
        while True:
            # One short read per chunk: a slow download holds no transaction open.
            with self.engine.connect() as conn:
                block = conn.execute(sa.select(chunk_table.c.data).where(
                    chunk_table.c.name == name, chunk_table.c.seq == seq)).scalar_one_or_none()
            if block is None:
                return
            yield bytes(block)
            seq += 1

    def delete(self, name: str) -> None:
        with db.write_engine(self.engine).begin() as conn:
            conn.execute(sa.delete(file_table).where(file_table.c.name == name))
            conn.execute(sa.delete(chunk_table).where(chunk_table.c.name == name))


def init_app(app: Flask) -> None:
    """The app's storage, as NAVIGATOR_STORAGE says: local (default) or database."""
    kind = (app.config["STORAGE"] or "local").strip().lower()
    if kind not in KINDS:
        raise SystemExit(f"NAVIGATOR_STORAGE must be one of {', '.join(KINDS)}, not {kind!r}")
    app.extensions["navigator.storage"] = (
        DatabaseStorage(app.extensions["navigator.db"]) if kind == "database"
        else LocalStorage(Path(app.instance_path) / "exports"))


def storage() -> Storage:
    """The current app's storage."""
    return current_app.extensions["navigator.storage"]


def send(name: str, download_name: str, mimetype: str) -> Response | None:
    """A response sending the stored file as an attachment; None when it is not there."""
    store = storage()
    size = store.size(name)
    if size is None:
        return None
    response = Response(store.chunks(name), mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
