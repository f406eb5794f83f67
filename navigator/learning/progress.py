"""Where a navigator stands: the course they may open, their enrollment, what they have read.

A page reads a person's state in as few statements as it can (one for the course, the
enrollment and the newest version; one for lessons read and best scores) and the course's
content from navigator.learning.content, which is shared. Writes happen only when something
changed, each one statement on its own (db.write_apart): a page never holds SQLite's write lock
while it reads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cache
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from navigator import db
from navigator.accounts.models import Membership
from navigator.db import utcnow
from navigator.errors import NotFound
from navigator.learning import content
from navigator.learning.content import Content, LessonRow, ModuleRow, QuizRow
from navigator.learning.models import (
    Course,
    CourseVersion,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
    ProgrammeCourse,
    QuizAttempt,
)


@dataclass(frozen=True)
class CourseRow:
    id: int
    slug: str
    default_locale: str


@dataclass(frozen=True)
class Place:
    """A navigator in a course: the version they follow (None before their first visit), the
    lesson they were last on, the newest published version, and whether a lesson asked about
    is read."""

    user_id: int
    course: CourseRow
    enrollment_id: int | None
    version_id: int | None
    last_lesson_id: int | None
    latest_id: int | None
    latest_number: int | None
    lesson_done: bool = False


def offered(user_id):
    """SQL: the course (Course, in the outer query) is offered to a programme of the navigator."""
    pc, m = ProgrammeCourse.__table__.c, Membership.__table__.c
    return (sa.select(pc.id).join(Membership.__table__, m.programme_id == pc.programme_id)
            .where(pc.course_id == Course.__table__.c.id, m.user_id == user_id,
                   m.role == "navigator").exists())


def _latest(column):
    v = CourseVersion.__table__.c
    return (sa.select(column).where(v.course_id == Course.__table__.c.id, v.status == "published")
            .order_by(v.number.desc()).limit(1).scalar_subquery())


@cache
def _places(lesson: bool, one: bool):
    """The statement behind find_place and places, built once (with parameters) and reused:
    building and keying a statement this size costs more than running it."""
    course, e = Course.__table__, Enrollment.__table__.c
    v = CourseVersion.__table__.c
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    done = sa.literal(False)
    if lesson:
        lc, le, mo = (LessonCompletion.__table__.c, Lesson.__table__.c, Module.__table__.c)
        done = (sa.select(lc.id).join(Lesson.__table__, le.id == lc.lesson_id)
                .join(Module.__table__, mo.id == le.module_id)
                .where(lc.user_id == user_id, mo.version_id == e.version_id,
                       mo.slug == sa.bindparam("module_slug"),
                       le.slug == sa.bindparam("lesson_slug")).exists())
    query = (sa.select(course.c.id, course.c.slug, course.c.default_locale, e.id, e.version_id,
                       e.last_lesson_id, _latest(v.id), _latest(v.number), done)
             .select_from(course)
             .outerjoin(Enrollment.__table__, sa.and_(e.course_id == course.c.id,
                                                      e.user_id == user_id))
             .where(offered(user_id)))
    if one:
        return query.where(course.c.slug == sa.bindparam("slug"))
    return query.order_by(course.c.slug)


def _place(user_id: int, row) -> Place:
    cid, slug, default, eid, vid, last, latest_id, latest_number, done = row
    return Place(user_id, CourseRow(cid, slug, default), eid, vid, last, latest_id,
                 latest_number, bool(done))


def find_place(s: Session, user_id: int, slug: str,
               lesson: tuple[str, str] | None = None) -> Place:
    """One statement: the course if it is offered to one of the person's programmes (NotFound
    otherwise), their enrollment, the newest published version, and whether `lesson`
    ((module slug, lesson slug) of the version they follow) is read."""
    params = {"user_id": user_id, "slug": slug}
    if lesson is not None:
        params.update(module_slug=lesson[0], lesson_slug=lesson[1])
    row = s.connection().execute(_places(lesson is not None, True), params).first()
    if row is None:
        raise NotFound()
    return _place(user_id, row)


def places(s: Session, user_id: int) -> list[Place]:
    """Every course offered to the person, by slug, with their enrollment: one statement."""
    rows = s.connection().execute(_places(False, False), {"user_id": user_id})
    return [_place(user_id, row) for row in rows]


def _insert(s: Session, table: sa.Table):
    dialect = s.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def enroll(s: Session, place: Place, lesson: tuple[str, str] | None = None) -> Place:
    """The place with an enrollment, made on the first visit in the newest published version.

    One statement (an insert that a parallel first visit cannot duplicate); `lesson` is passed
    on when that visit made it first and the place is read again.
    """
    if place.enrollment_id is not None:
        return place
    if place.latest_id is None:
        raise NotFound()
    now = utcnow()
    table = Enrollment.__table__
    rows = db.write_apart(s, _insert(s, table).values(
        user_id=place.user_id, course_id=place.course.id, version_id=place.latest_id,
        last_lesson_id=None, started_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["user_id", "course_id"]).returning(table.c.id))
    if not rows:  # a parallel first visit made it
        return find_place(s, place.user_id, place.course.slug, lesson)
    return replace(place, enrollment_id=rows[0][0], version_id=place.latest_id,
                   last_lesson_id=None)


def remember_visit(s: Session, place: Place, lesson_id: int) -> None:
    """'Continue where you left off': written only when the navigator moved."""
    if place.enrollment_id is None or place.last_lesson_id == lesson_id:
        return
    table = Enrollment.__table__
    db.write_apart(s, sa.update(table).where(table.c.id == place.enrollment_id)
                   .values(last_lesson_id=lesson_id, updated_at=utcnow()))


# --- lessons read and quizzes passed ---------------------------------------------------------

@cache
def _progress():
    """The statement behind progress_of: every lesson the person read and their best score per
    quiz, built once. It names no ids: expanding a list of forty ids into a statement cost
    three times what reading a navigator's few hundred rows and keeping the asked-for ones
    does, and every learner page asks."""
    lc, qa = LessonCompletion.__table__.c, QuizAttempt.__table__.c
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    return sa.union_all(
        sa.select(sa.literal_column("0"), lc.lesson_id, sa.cast(sa.null(), sa.Integer),
                  sa.cast(sa.null(), sa.Integer))
        .where(lc.user_id == user_id),
        sa.select(sa.literal_column("1"), qa.quiz_id, func.max(qa.score),
                  func.max(sa.cast(qa.passed, sa.Integer)))
        .where(qa.user_id == user_id, qa.submitted_at.is_not(None))
        .group_by(qa.quiz_id))


def progress_of(s: Session, user_id: int, lesson_ids: list[int], quiz_ids: list[int]
                ) -> tuple[set[int], dict[int, tuple[int, bool]]]:
    """Which of the lessons the person has read, and per quiz their best score and whether
    any attempt passed: one statement."""
    done: set[int] = set()
    scores: dict[int, tuple[int, bool]] = {}
    if not lesson_ids and not quiz_ids:
        return done, scores
    lessons, quizzes = set(lesson_ids), set(quiz_ids)
    for kind, ref, best, passed in s.connection().execute(_progress(), {"user_id": user_id}):
        if kind == 0:
            if ref in lessons:
                done.add(ref)
        elif ref in quizzes:
            scores[ref] = (best, bool(passed))
    return done, scores


def best_scores(s: Session, user_id: int, quiz_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """Per quiz: the best score and whether any attempt passed."""
    return progress_of(s, user_id, [], quiz_ids)[1]


def completed_lesson_ids(s: Session, user_id: int, lesson_ids: list[int]) -> set[int]:
    return progress_of(s, user_id, lesson_ids, [])[0]


@dataclass
class ModuleProgress:
    """How far a person is in one module."""

    module: ModuleRow
    lessons_done: int
    lessons_total: int
    quiz: QuizRow | None
    best_score: int | None
    quiz_passed: bool
    carried_from: int | None = None  # the earlier version it was completed in, unchanged since

    @property
    def done_here(self) -> bool:
        """Every lesson read and the quiz passed in this version."""
        return self.lessons_done >= self.lessons_total and (self.quiz is None or self.quiz_passed)

    @property
    def complete(self) -> bool:
        """Done in this version, or carried over from an earlier one."""
        return self.carried_from is not None or self.done_here


@dataclass
class CourseProgress:
    """A person's progress through one version of a course."""

    version: object  # the CourseVersion (or its snapshot) the progress is in
    modules: list[ModuleProgress]
    final: QuizRow | None
    final_best: int | None
    final_passed: bool
    next_lesson: tuple[ModuleRow, LessonRow] | None
    done_lessons: set[int] = field(default_factory=set)

    @property
    def modules_complete(self) -> int:
        return sum(1 for m in self.modules if m.complete)

    @property
    def percent(self) -> int:
        total = sum(m.lessons_total + (1 if m.quiz else 0) for m in self.modules) + (
            1 if self.final else 0)
        done = sum(m.lessons_total + (1 if m.quiz else 0) if m.carried_from is not None
                   else m.lessons_done + (1 if m.quiz_passed else 0) for m in self.modules) + (
            1 if self.final_passed else 0)
        return round(100 * done / total) if total else 0

    @property
    def complete(self) -> bool:
        return all(m.complete for m in self.modules) and (self.final is None or self.final_passed)


def progress_in(c: Content, done: set[int], scores: dict[int, tuple[int, bool]],
                last_lesson_id: int | None = None, version: object = None,
                carried: dict[str, int] | None = None) -> CourseProgress:
    """Progress through a version from what the person has read and passed (no query);
    `carried` (module slug → earlier version number, from carried_over) counts as complete."""
    done = {lesson.id for lesson in c.lessons if lesson.id in done}
    carried = carried or {}
    result = []
    for module in c.modules:
        mine = c.lessons_of(module.id)
        quiz = c.quizzes.get(module.id)
        best, passed = scores.get(quiz.id, (None, False)) if quiz else (None, False)
        mp = ModuleProgress(module, sum(1 for x in mine if x.id in done), len(mine), quiz, best,
                            passed)
        if module.slug in carried and not mp.done_here:
            mp.carried_from = carried[module.slug]
        result.append(mp)
    # A carried module's lessons need not be read again: "continue" skips them.
    skip = done | {lesson.id for m, lesson in c.ordered if m.slug in carried}
    ordered = c.ordered
    next_lesson = None
    if last_lesson_id is not None:
        # Continue after the last lesson visited, or on it if it is not read yet.
        for i, (_m, lesson) in enumerate(ordered):
            if lesson.id == last_lesson_id:
                next_lesson = next((pair for pair in ordered[i:] if pair[1].id not in skip), None)
                break
    if next_lesson is None:
        next_lesson = next((pair for pair in ordered if pair[1].id not in skip), None)
    final = c.quizzes.get(None)
    fbest, fpassed = scores.get(final.id, (None, False)) if final else (None, False)
    return CourseProgress(version if version is not None else c.version, result, final, fbest,
                          fpassed, next_lesson, done)


def course_progress(s: Session, user_id: int, version: CourseVersion,
                    last_lesson_id: int | None = None) -> CourseProgress:
    """Progress through a version: lessons read, quizzes passed, the next lesson to read."""
    c = content.of(s, version)
    done, scores = progress_of(s, user_id, [lesson.id for lesson in c.lessons], c.quiz_ids)
    return progress_in(c, done, scores, last_lesson_id, version)


# --- progress that carries over from an earlier version --------------------------------------

_signatures: WeakKeyDictionary = WeakKeyDictionary()  # Content → {module slug: digest}


def module_signatures(c: Content, default: str) -> dict[str, str]:
    """A digest per module of its lessons' text (in the course's default language) and its
    quiz's key and pass mark: two versions' modules with the same digest teach the same.
    Kept beside the version's shared content (a draft's is read afresh, so never stale)."""
    found = _signatures.setdefault(c, {})
    if default in found:
        return found[default]
    digests = {}
    for m in c.modules:
        h = hashlib.sha256()
        for lesson in c.lessons_of(m.id):
            text = c.texts.get(lesson.id, {}).get(default)
            if text is not None:
                h.update(f"{lesson.slug}\0{text.body}\0".encode())
        quiz = c.quizzes.get(m.id)
        if quiz is not None:
            h.update(repr((quiz.pass_mark, quiz.key)).encode())
        digests[m.slug] = h.hexdigest()
    found[default] = digests
    return digests


def carried_over(s: Session, user_id: int, default: str, version_id: int,
                 earlier: list[int]) -> dict[str, int]:
    """Modules of a version the person need not take again, with the version they came from.

    A module carries over when the person completed it in one of the `earlier` versions (ids,
    the ones that count: certification says which) and it is the same there as here: the same
    module signature. One statement for the progress in all of them; the content is shared.
    """
    if not earlier:
        return {}
    before = [content.of(s, v) for v in earlier]
    done, scores = progress_of(s, user_id, [x.id for c in before for x in c.lessons],
                               [q for c in before for q in c.quiz_ids])
    return carried_in(content.of(s, version_id), before, default, done, scores)


def carried_in(now_content: Content, before: list[Content], default: str, done: set[int],
               scores: dict[int, tuple[int, bool]]) -> dict[str, int]:
    """carried_over, from progress already read (it must cover the `before` versions)."""
    now = module_signatures(now_content, default)
    carried: dict[str, int] = {}
    for c in sorted(before, key=lambda c: -c.version.number):
        signatures = module_signatures(c, default)
        for m in progress_in(c, done, scores).modules:
            slug = m.module.slug
            if m.done_here and slug in now and signatures.get(slug) == now[slug]:
                carried.setdefault(slug, c.version.number)
    return carried
