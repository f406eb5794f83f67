"""Sandbox activities inside lessons: a pre-computed example run and a link to the sandbox.

A lesson page shows the same activity to everyone in a programme, so its HTML is kept, per app,
under a key that changes whenever what it shows could: the page's language, the activity, the
programme, the newest of the programme's corpus and scenario edits (edits are only ever added,
so any edit or reset makes a new newest one), and the shipped sandbox files as they were when
last looked at (Sandbox.files(): at most FILES_RECHECK_SECONDS ago; they change when a
package is deployed).
Checking that key costs one small query; nothing is read from disk and nothing is trained.
The example run itself is the programme's, never a person's own corpus copy.

The run behind it is also stored (navigator.storage, as JSON, named by a digest of the same
key), so it is computed once for every process and server: computing it needs the model, which
takes seconds to load or train; reading it back takes a millisecond.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from pathlib import Path

from cachetools import LRUCache
from flask import current_app, render_template, request, session
from flask_login import current_user
from markupsafe import Markup

from navigator import db, storage
from navigator.errors import NotFound
from navigator.i18n import language
from navigator.sandbox import services, web

KEEP_EMBEDS = 256  # activities × languages × programmes in use
EXTENSION = "navigator.sandbox.embeds"


class _Store:
    """One app's embeds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.embeds: LRUCache = LRUCache(maxsize=KEEP_EMBEDS)


def _store() -> _Store:
    app = current_app._get_current_object()
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions.setdefault(EXTENSION, _Store())
    return found


def _programme_id() -> int | None:
    """web.programme_id() without a query where the person's memberships already say it."""
    if not current_user.is_authenticated:
        return None
    ids = current_user.programme_ids()
    chosen = session.get(web.CHOSEN)
    if chosen in ids:
        return chosen
    if chosen is None or not current_user.user.is_admin:
        return min(ids) if ids else None
    return web.programme_id()  # an administrator looking at another programme


def _stored_run(name: str) -> dict | None:
    store = storage.storage()
    if store.size(name) is None:
        return None
    try:
        return json.loads(store.read(name))
    except (OSError, ValueError):  # removed or cut short meanwhile: computed again
        return None


def _store_run(name: str, result: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="navigator-example-") as folder:
        target = Path(folder) / name
        target.write_text(json.dumps(result), encoding="utf-8")
        storage.storage().put(name, target)


def _render(name: str, locale: str, programme_id: int | None,
            stored_as: str | None = None) -> Markup | None:
    s, box = db.session(), web.box()
    try:
        scenario = services.scenario_for(s, box, programme_id, name)
    except NotFound:
        return None
    result = _stored_run(stored_as) if stored_as else None
    if result is None:
        engine = services.engine_for(s, box, programme_id)
        result = services.example_run(box, engine, scenario, locale)
        if stored_as:
            _store_run(stored_as, result)
    return Markup(render_template("sandbox/_embed.html", s=scenario, r=result,
                                  text_language=language(result["locale"])))


def embed(name: str, locale: str, programme_id: int | None = None) -> Markup | None:
    """An activity's example run, compact, with "Open in the sandbox"; None if it is unknown.

    Computed once per engine, activity and locale; its HTML kept per key (see the module).
    """
    box, store = web.box(), _store()
    what = (name, locale, programme_id, services.newest_edits(db.session(), programme_id),
            box.files())
    key = (*what, request.script_root)
    with store.lock:
        if key in store.embeds:
            return store.embeds[key]
    digest = hashlib.sha256(repr(what).encode()).hexdigest()[:40]
    found = _render(name, locale, programme_id, f"sandbox-example-{digest}.json")
    with store.lock:
        store.embeds[key] = found
    return found


def lesson_embed(name: str) -> Markup | None:
    """embed() for the lesson renderer: the page's locale and the reader's programme."""
    try:
        return embed(name, web.locale(), _programme_id())
    except NotFound:
        return None  # no package with a sandbox: the lesson links to the activity instead
