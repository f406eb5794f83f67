"""What a course version holds, read once per published version and shared by every page.

A published version never changes: authoring edits drafts only, and publishing a draft makes a
new version with ids of its own. So the modules, lessons, lesson texts and quizzes of a
published (or retired) version are read once and kept, keyed by the version's id, in a bounded
LRU per database (per engine pool: two apps on two databases never share one). Drafts are read
afresh on every call, so a trainer's preview is never stale. Nothing here belongs to a person:
progress is read per request, beside it.

The rows are plain frozen snapshots with the columns' names, so pages and services read them as
they read the tables' rows; nobody can attach one to a session and change it by accident.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from sqlmodel import Session, select

from navigator.errors import NotFound
from navigator.learning.models import CourseVersion, Lesson, LessonText, Module, Quiz
from navigator.learning.package import source_hash

KEEP_VERSIONS = 8  # a deployment rarely has more than a few courses with a version or two each


@dataclass(frozen=True, eq=False)
class VersionRow:
    id: int
    course_id: int
    number: int
    status: str
    texts: dict
    track: dict
    final_quiz_slug: str
    published_at: datetime | None


@dataclass(frozen=True, eq=False)
class ModuleRow:
    id: int
    version_id: int
    slug: str
    position: int
    minutes: int
    texts: dict
    references: list


@dataclass(frozen=True, eq=False)
class LessonRow:
    id: int
    module_id: int
    slug: str
    position: int
    minutes: int


@dataclass(frozen=True, eq=False)
class TextRow:
    id: int
    lesson_id: int
    locale: str
    title: str
    body: str
    source_hash: str
    reviewed_by: str


@dataclass(frozen=True, eq=False)
class QuizRow:
    id: int
    version_id: int
    module_id: int | None
    slug: str
    pass_mark: int
    key: dict
    texts: dict


@dataclass(eq=False)
class Content:
    """A version's modules, lessons in reading order, texts by lesson and locale, quizzes."""

    version: VersionRow
    modules: tuple[ModuleRow, ...]
    ordered: tuple[tuple[ModuleRow, LessonRow], ...]   # every lesson, in reading order
    texts: dict[int, dict[str, TextRow]]               # lesson id → locale → text
    quizzes: dict[int | None, QuizRow]                 # module id (None: the final) → quiz
    _index: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _hashes: dict[tuple[int, str], str] = field(default_factory=dict, repr=False)

    def lessons_of(self, module_id: int) -> list[LessonRow]:
        return [lesson for m, lesson in self.ordered if m.id == module_id]

    @property
    def lessons(self) -> list[LessonRow]:
        return [lesson for _m, lesson in self.ordered]

    def module(self, slug: str) -> ModuleRow | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def place_of(self, module_slug: str, lesson_slug: str) -> int | None:
        """The lesson's position in reading order, or None when the version has no such lesson."""
        return self._index.get((module_slug, lesson_slug))

    @property
    def quiz_ids(self) -> list[int]:
        return [q.id for q in self.quizzes.values()]

    def source_hash(self, lesson_id: int, locale: str) -> str | None:
        """The source hash of a lesson's text in a locale (what its translations follow)."""
        key = (lesson_id, locale)
        if key not in self._hashes:
            text = self.texts.get(lesson_id, {}).get(locale)
            self._hashes[key] = source_hash(text.body) if text else None
        return self._hashes[key]

    def title(self, lesson_id: int, locale: str, default: str) -> str:
        """A lesson's title in the locale, else in the default locale."""
        texts = self.texts.get(lesson_id, {})
        text = texts.get(locale) or texts.get(default) or next(iter(texts.values()), None)
        return text.title if text else ""


_caches: WeakKeyDictionary = WeakKeyDictionary()  # engine pool → LRUCache(version id → Content)
_lock = threading.Lock()


def _cache(s: Session) -> LRUCache:
    pool = s.get_bind().pool
    with _lock:
        found = _caches.get(pool)
        if found is None:
            found = _caches[pool] = LRUCache(maxsize=KEEP_VERSIONS)
        return found


def _read(s: Session, version: CourseVersion) -> Content:
    v = VersionRow(version.id, version.course_id, version.number, version.status,
                   version.texts, version.track, version.final_quiz_slug, version.published_at)
    modules = tuple(ModuleRow(*row) for row in s.exec(
        select(Module.id, Module.version_id, Module.slug, Module.position, Module.minutes,
               Module.texts, Module.references)
        .where(Module.version_id == version.id).order_by(Module.position)))
    by_id = {m.id: m for m in modules}
    lessons = [LessonRow(*row) for row in s.exec(
        select(Lesson.id, Lesson.module_id, Lesson.slug, Lesson.position, Lesson.minutes)
        .join(Module, Module.id == Lesson.module_id)
        .where(Module.version_id == version.id).order_by(Module.position, Lesson.position))]
    texts: dict[int, dict[str, TextRow]] = {}
    for row in s.exec(
            select(LessonText.id, LessonText.lesson_id, LessonText.locale, LessonText.title,
                   LessonText.body, LessonText.source_hash, LessonText.reviewed_by)
            .join(Lesson, Lesson.id == LessonText.lesson_id)
            .join(Module, Module.id == Lesson.module_id)
            .where(Module.version_id == version.id)):
        text = TextRow(*row)
        texts.setdefault(text.lesson_id, {})[text.locale] = text
    quizzes = {row[2]: QuizRow(*row) for row in s.exec(
        select(Quiz.id, Quiz.version_id, Quiz.module_id, Quiz.slug, Quiz.pass_mark, Quiz.key,
               Quiz.texts).where(Quiz.version_id == version.id))}
    ordered = tuple((by_id[lesson.module_id], lesson) for lesson in lessons)
    index = {(m.slug, lesson.slug): i for i, (m, lesson) in enumerate(ordered)}
    return Content(v, modules, ordered, texts, quizzes, index)


def of(s: Session, version: CourseVersion | VersionRow | int) -> Content:
    """The content of a version: from the cache when published, read afresh when a draft."""
    version_id = version if isinstance(version, int) else version.id
    cache = _cache(s)
    with _lock:
        found = cache.get(version_id)
    if found is not None:
        return found
    row = version if isinstance(version, CourseVersion) else s.get(CourseVersion, version_id)
    if row is None:
        raise NotFound()
    content = _read(s, row)
    if row.status != "draft":  # frozen from now on: safe to share
        with _lock:
            cache[version_id] = content
    return content
