"""The SQL a request sends: the one instrument of the page-cost tests."""

import re
from contextlib import contextmanager

import sqlalchemy as sa

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


@contextmanager
def recorded(app):
    """The statements the app's engine sends inside the block, BEGIN and COMMIT included."""
    seen: list[str] = []
    engine = app.extensions["navigator.db"]

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def statements_of(app, client, url: str) -> list[str]:
    """The statements one successful GET of `url` sends."""
    with recorded(app) as seen:
        assert client.get(url).status_code == 200
    return seen


def writes_or_locks(seen: list[str]) -> list[str]:
    """The statements that write, or take SQLite's write lock (BEGIN IMMEDIATE)."""
    return [s for s in seen if WRITES.match(s) or "IMMEDIATE" in s]
