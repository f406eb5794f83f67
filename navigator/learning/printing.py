"""Courses and modules as PDF: made once per version, language, module and paper size, then kept.

A published version never changes, so its PDF, in one language, of one module or the whole
course, on one paper size, is the same for everyone who follows that version: it is made once,
in the job queue (a whole course takes seconds of CPU, which no page may make a person wait
for), and kept through navigator.storage, where every server reads it. Asking again sends the
stored file. A newly published version has a new id, so its PDFs are new files: nothing stale
is ever sent. Navigators only follow published versions, so a draft is never printed here.

The page asking for a PDF not made yet queues it (once per process per PENDING seconds; a
second server asking too only costs a job that finds the file there) and says it is being
prepared; it refreshes itself until the file is there.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from flask import Response, current_app
from sqlmodel import Session

from navigator import db, jobs, storage
from navigator.errors import NotFound
from navigator.learning import content, study
from navigator.learning.progress import CourseRow, Place, enroll, find_place

log = logging.getLogger(__name__)

PAPERS = ("a4", "letter")
PENDING = 600  # seconds before a PDF asked for and still missing is asked for again
# Someone is waiting on a page for this one: ahead of background work (computer voices) in
# the queue, which orders by priority (on SQLite and on Redis alike).
PRIORITY = 10
# The learning pages put here the function that turns a study.Book into (HTML, base URL,
# folders the renderer may read): it needs their templates and URLs.
BOOK_HTML = "navigator.learning.book_html"

_lock = threading.Lock()
_asked: WeakKeyDictionary = WeakKeyDictionary()  # per queue: file name → when it was asked for


@dataclass(frozen=True)
class Printout:
    """A PDF someone asked for: which version of which course, in what language and size."""

    version_id: int
    course: CourseRow
    locale: str
    module_slug: str | None
    paper: str

    @property
    def name(self) -> str:
        """The stored file's name: one per version, module, language and paper size."""
        return (f"course-{self.version_id}-{self.module_slug or 'all'}-{self.locale}-"
                f"{self.paper}.pdf")

    @property
    def download_name(self) -> str:
        parts = (self.course.slug, self.module_slug, self.locale,
                 self.paper if self.paper != "a4" else None)
        return "-".join(filter(None, parts)) + ".pdf"


def printout(s: Session, user_id: int, slug: str, locale: str, module_slug: str | None,
             paper: str) -> Printout:
    """The PDF a navigator asks for: of the version they follow; NotFound for a module that
    version does not have."""
    place = enroll(s, find_place(s, user_id, slug))
    c = content.of(s, place.version_id)
    if module_slug is not None and c.module(module_slug) is None:
        raise NotFound()
    return Printout(place.version_id, place.course, locale, module_slug,
                    paper if paper in PAPERS else "a4")


def send(wanted: Printout) -> Response | None:
    """The stored PDF as a download; None when it is not made yet."""
    return storage.send(wanted.name, wanted.download_name, "application/pdf")


def ask_for(wanted: Printout) -> None:
    """Queue the making of the PDF, unless this process asked for it a little while ago."""
    queue = current_app.extensions["navigator.jobs"]
    now = time.monotonic()
    with _lock:
        asked = _asked.get(queue)
        if asked is None:
            asked = _asked[queue] = LRUCache(maxsize=1024)
        if now - asked.get(wanted.name, -PENDING) < PENDING:
            return
        asked[wanted.name] = now
    try:
        jobs.enqueue(make, wanted.version_id, wanted.course.id, wanted.course.slug,
                     wanted.course.default_locale, wanted.locale, wanted.module_slug,
                     wanted.paper, priority=PRIORITY)
    except Exception:
        with _lock:
            asked.pop(wanted.name, None)
        raise


@jobs.job
def make(version_id: int, course_id: int, slug: str, default_locale: str, locale: str,
         module_slug: str | None, paper: str) -> None:
    """Make one PDF and store it; nothing to do when it is there already."""
    # WeasyPrint loads native libraries on import: only the processes that print pay for it.
    from navigator.learning import pdf

    course = CourseRow(course_id, slug, default_locale)
    wanted = Printout(version_id, course, locale, module_slug, paper)
    store = storage.storage()
    if store.size(wanted.name) is not None:
        return
    started = time.perf_counter()
    with Session(db.engine()) as s:
        c = content.of(s, version_id)
    book = study.book_of(Place(0, course, None, version_id, None, None, None), c, locale,
                         module_slug)
    app = current_app._get_current_object()
    # The book's links and images point at the site, as from a page of it.
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        markup, base, roots = app.extensions[BOOK_HTML](book)
    data = pdf.write_pdf(markup, base, roots, paper)
    with tempfile.TemporaryDirectory(prefix="navigator-print-") as folder:
        target = Path(folder) / wanted.name
        target.write_bytes(data)
        store.put(wanted.name, target)
    log.info("printed %s in %.1f s", wanted.name, time.perf_counter() - started)
