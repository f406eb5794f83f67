"""Authoring: editing course drafts, publishing, translation status, package import/export.

Who may author what is in access.py, quizzes in quizzes.py, following learners in learners.py;
their names stay importable from here.
"""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from navigator.accounts.services import Principal
from navigator.authoring.access import (
    _draft,
    _locale,
    authorable_courses,
    draft_of,
    get_course,
    get_lesson,
    get_module,
    trainer_programme_ids,
    versions,
)
from navigator.authoring.learners import LearnerRow, learners, learners_csv
from navigator.authoring.quizzes import (
    _as_yaml,
    _check_quiz_files,
    pkg_source_hash,
    quiz_draft,
    quiz_files,
    quiz_of,
    quiz_status,
    save_questions,
    save_quiz,
    stored_source_hash,
)
from navigator.db import utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import (
    Course,
    CourseVersion,
    Lesson,
    LessonText,
    Module,
    PackageFile,
    Quiz,
)

__all__ = [
    "STATUSES", "LearnerRow", "MatrixRow", "ReviewCard", "_as_yaml", "_check_quiz_files",
    "_draft", "_locale", "add_lesson", "add_module", "authorable_courses", "body_hash",
    "create_course", "discard_draft", "draft_of", "export_zip", "get_course", "get_lesson",
    "get_module", "home_panel_context", "import_zip", "learners", "learners_csv", "lesson_status",
    "mark_reviewed", "move_lesson", "move_module", "pkg_source_hash", "publish", "quiz_draft",
    "quiz_files", "quiz_of", "quiz_status", "remove_module", "save_lesson_text", "save_questions",
    "save_quiz", "start_draft", "stored_source_hash", "trainer_programme_ids", "translation_matrix",
    "update_course_texts", "update_module", "version_problems", "versions",
]


# --- creating, drafting, publishing ---------------------------------------------------------

def create_course(s: Session, actor: Principal, *, slug: str, title: str, programme_id: int,
                  default_locale: str = "en") -> CourseVersion:
    """A new course with an empty draft, offered to one of the actor's programmes."""
    if not package.SLUG.match(slug):
        raise Invalid(_("Use lower-case letters, digits and hyphens, starting with a letter or "
                        "digit."), field="slug")
    if programme_id not in trainer_programme_ids(s, actor) and not actor.user.is_admin:
        raise NotFound()
    if s.exec(select(Course).where(Course.slug == slug)).first():
        raise Conflict(_("A course with this id already exists."), field="slug")
    if default_locale not in CODES:
        raise Invalid(_("Choose one of the listed languages."), field="default_locale")
    course = Course(slug=slug, default_locale=default_locale)
    s.add(course)
    s.flush()
    draft = CourseVersion(course_id=course.id, number=1, status="draft",
                          texts={default_locale: {"title": title.strip(), "description": "",
                                                  "track_title": ""}})
    s.add(draft)
    learning.offer_course(s, programme_id, course.id)
    s.flush()
    return draft


def start_draft(s: Session, course: Course) -> CourseVersion:
    """The course's draft: the existing one, or a copy of the newest published version."""
    existing = draft_of(s, course.id)
    if existing:
        return existing
    source = learning.published_version(s, course.id)
    if source is None:
        raise NotFound()
    files = learning.export_files(s, source)
    pkg = package.load_files(files)
    latest = s.exec(select(func.max(CourseVersion.number))
                    .where(CourseVersion.course_id == course.id)).one()
    pkg.version = latest + 1
    return learning.store_package(s, pkg, status="draft")


def version_problems(s: Session, version: CourseVersion) -> list[package.Problem]:
    """Problems the package checker finds in a version (translation gaps not included)."""
    return package.load_files(learning.export_files(s, version)).errors


def publish(s: Session, actor: Principal, version_id: int) -> CourseVersion:
    """Freeze a draft as the newest published version, after the package checks pass."""
    draft = _draft(s, version_id)
    problems = version_problems(s, draft)
    if problems:
        raise Invalid(_("The draft has %(n)d problem(s); fix them before publishing.",
                        n=len(problems)))
    draft.status = "published"
    draft.published_at = utcnow()
    draft.published_by = actor.user.id
    return draft


def discard_draft(s: Session, version_id: int) -> None:
    """Delete a draft and everything in it (nobody can have studied a draft)."""
    draft = _draft(s, version_id)
    modules = learning.modules_of(s, draft.id)
    lessons = learning.lessons_of(s, [m.id for m in modules])
    for row in s.exec(select(LessonText).where(
            LessonText.lesson_id.in_([x.id for x in lessons] or [-1]))):
        s.delete(row)
    for rows in (s.exec(select(Quiz).where(Quiz.version_id == draft.id)),
                 s.exec(select(PackageFile).where(PackageFile.version_id == draft.id))):
        for row in rows:
            s.delete(row)
    s.flush()
    for lesson in lessons:
        s.delete(lesson)
    s.flush()
    for module in modules:
        s.delete(module)
    s.flush()
    s.delete(draft)


# --- editing a draft ------------------------------------------------------------------------

def update_course_texts(s: Session, version_id: int, locale: str, *, title: str,
                        description: str, track_title: str = "") -> None:
    draft = _draft(s, version_id)
    _locale(locale)
    draft.texts = {**draft.texts, locale: {"title": title.strip(),
                                           "description": description.strip(),
                                           "track_title": track_title.strip()}}


def add_module(s: Session, version_id: int, *, slug: str, title: str, locale: str) -> Module:
    draft = _draft(s, version_id)
    if not package.SLUG.match(slug):
        raise Invalid(_("Use lower-case letters, digits and hyphens, starting with a letter or "
                        "digit."), field="slug")
    modules = learning.modules_of(s, draft.id)
    if any(m.slug == slug for m in modules):
        raise Conflict(_("This course already has a module with this id."), field="slug")
    module = Module(version_id=draft.id, slug=slug, position=len(modules) + 1,
                    texts={locale: {"title": title.strip(), "summary": ""}})
    s.add(module)
    s.flush()
    return module


def update_module(s: Session, module: Module, locale: str, *, title: str, summary: str,
                  minutes: int | None = None) -> None:
    _draft(s, module.version_id)
    _locale(locale)
    module.texts = {**module.texts, locale: {"title": title.strip(), "summary": summary.strip()}}
    if minutes is not None:
        module.minutes = max(0, minutes)


def _reorder(items: list, item_id: int, direction: int) -> None:
    index = next(i for i, x in enumerate(items) if x.id == item_id)
    other = index + direction
    if 0 <= other < len(items):
        items[index].position, items[other].position = items[other].position, \
            items[index].position


def move_module(s: Session, module: Module, direction: int) -> None:
    _draft(s, module.version_id)
    _reorder(learning.modules_of(s, module.version_id), module.id, direction)


def remove_module(s: Session, module: Module) -> None:
    _draft(s, module.version_id)
    lessons = learning.lessons_of(s, [module.id])
    for row in s.exec(select(LessonText).where(
            LessonText.lesson_id.in_([x.id for x in lessons] or [-1]))):
        s.delete(row)
    for row in s.exec(select(Quiz).where(Quiz.module_id == module.id)):
        s.delete(row)
    s.flush()
    for lesson in lessons:
        s.delete(lesson)
    s.flush()
    s.delete(module)


def add_lesson(s: Session, module: Module, *, slug: str, title: str, locale: str) -> Lesson:
    _draft(s, module.version_id)
    if not package.SLUG.match(slug):
        raise Invalid(_("Use lower-case letters, digits and hyphens, starting with a letter or "
                        "digit."), field="slug")
    lessons = learning.lessons_of(s, [module.id])
    if any(x.slug == slug for x in lessons):
        raise Conflict(_("This module already has a lesson with this id."), field="slug")
    lesson = Lesson(module_id=module.id, slug=slug, position=len(lessons) + 1, minutes=5)
    s.add(lesson)
    s.flush()
    s.add(LessonText(lesson_id=lesson.id, locale=locale, title=title.strip(), body=""))
    s.flush()
    return lesson


def move_lesson(s: Session, module: Module, lesson: Lesson, direction: int) -> None:
    _draft(s, module.version_id)
    _reorder(learning.lessons_of(s, [module.id]), lesson.id, direction)


def body_hash(body: str) -> str:
    """The hash a translation records of the source text it follows."""
    return package.source_hash(body, markdown=False)


def save_lesson_text(s: Session, course: Course, module: Module, lesson: Lesson, locale: str,
                     *, title: str, body: str, minutes: int | None = None) -> LessonText:
    """Save a lesson's text in one locale; a translation records the source it follows."""
    _draft(s, module.version_id)
    _locale(locale)
    if not title.strip():
        raise Invalid(_("This field is required."), field="title")
    texts = learning.lesson_texts(s, [lesson.id]).get(lesson.id, {})
    row = texts.get(locale) or LessonText(lesson_id=lesson.id, locale=locale, title="", body="")
    if locale != course.default_locale:
        source = texts.get(course.default_locale)
        if source is None:
            raise Invalid(_("Write the lesson in %(language)s first.",
                            language=course.default_locale), field="body")
        row.source_hash = body_hash(source.body)
    if row.body.strip() != body.strip() or row.title != title.strip():
        row.reviewed_by = ""  # a changed text has not been checked by anyone yet
    row.title, row.body, row.updated_at = title.strip(), body.strip(), utcnow()
    if minutes is not None and locale == course.default_locale:
        lesson.minutes = max(1, minutes)
    s.add(row)
    s.flush()
    return row


def mark_reviewed(s: Session, module: Module, text: LessonText, reviewer: str) -> None:
    """Record that a fluent reader checked this text."""
    _draft(s, module.version_id)
    if not reviewer.strip():
        raise Invalid(_("Say who reviewed the text."), field="reviewer")
    text.reviewed_by = f"{reviewer.strip()}, {utcnow():%Y-%m-%d}"[:120]


# --- translation status ---------------------------------------------------------------------

STATUSES = ("missing", "outdated", "current", "reviewed")


@dataclass
class MatrixRow:
    module: Module | None  # None only for the final assessment's row
    title: str  # the module's title
    cells: dict[str, str]  # locale → one of STATUSES ("source" for the default locale)
    quiz: bool = False  # the module's quiz (or the final assessment), not its lessons


def lesson_status(text: LessonText | None, source: LessonText | None) -> str:
    """missing / outdated / current / reviewed for one translation of one lesson."""
    if text is None or source is None:
        return "missing"
    if text.source_hash != body_hash(source.body):
        return "outdated"
    return "reviewed" if text.reviewed_by else "current"


def _quiz_row(quiz: Quiz, module: Module | None, title: str, default: str) -> MatrixRow:
    """A quiz's row: each locale's status as the question editor shows it."""
    cells = {code: "source" if code == default else quiz_status(quiz, code, default)
             for code in CODES}
    return MatrixRow(module, title, cells, quiz=True)


def translation_matrix(s: Session, version: CourseVersion, default: str,
                       locale: str) -> list[MatrixRow]:
    """For each module and locale, the worst status of its lessons' translations; after each
    module its quiz's row, and last the final assessment's, where they exist."""
    rows = []
    modules = learning.modules_of(s, version.id)
    lessons = learning.lessons_of(s, [m.id for m in modules])
    texts = learning.lesson_texts(s, [x.id for x in lessons])
    quizzes = {q.module_id: q for q in s.exec(select(Quiz).where(Quiz.version_id == version.id))}
    for module in modules:
        mine = [x for x in lessons if x.module_id == module.id]
        cells = {}
        for code in CODES:
            if code == default:
                cells[code] = "source"
                continue
            statuses = [lesson_status(texts.get(x.id, {}).get(code),
                                      texts.get(x.id, {}).get(default)) for x in mine]
            cells[code] = min(statuses, key=STATUSES.index) if statuses else "missing"
        title = learning.pick(module.texts, locale, default)[1].get("title", module.slug)
        rows.append(MatrixRow(module, title, cells))
        if module.id in quizzes:
            rows.append(_quiz_row(quizzes[module.id], module, title, default))
    if None in quizzes:
        rows.append(_quiz_row(quizzes[None], None, "", default))
    return rows


# --- packages -------------------------------------------------------------------------------

def export_zip(s: Session, version: CourseVersion) -> tuple[str, bytes]:
    """A version as a zip in the curricula/ format: (file name, bytes)."""
    course = s.get(Course, version.course_id)
    return (f"{course.slug}-v{version.number}.zip",
            package.write_zip(learning.export_files(s, version), course.slug))


def import_zip(s: Session, actor: Principal, data: bytes, programme_id: int
               ) -> tuple[CourseVersion | None, list[str]]:
    """Import a package zip as a draft; on any problem, report all of them and change nothing."""
    if programme_id not in trainer_programme_ids(s, actor) and not actor.user.is_admin:
        raise NotFound()
    try:
        files = package.read_zip(data)
    except package.BadArchive as exc:
        return None, [_("The file is not a course package: %(reason)s", reason=str(exc))]
    pkg = package.load_files(files)
    if pkg.errors:
        return None, [str(p) for p in pkg.errors]
    course = s.exec(select(Course).where(Course.slug == pkg.slug)).first()
    if course is not None:
        if course not in authorable_courses(s, actor):
            return None, [_("A course with the id %(id)s exists in another programme.",
                            id=pkg.slug)]
        if draft_of(s, course.id):
            return None, [_("This course already has a draft. Publish or discard it first.")]
        latest = s.exec(select(func.max(CourseVersion.number))
                        .where(CourseVersion.course_id == course.id)).one() or 0
        pkg.version = max(pkg.version, latest + 1)
    version = learning.store_package(s, pkg, status="draft")
    learning.offer_course(s, programme_id, version.course_id)
    return version, []


# --- the home page panel ----------------------------------------------------------------------

@dataclass
class ReviewCard:
    course: Course
    title: str
    draft: CourseVersion | None
    to_review: int  # module × language cells that are missing, outdated or not reviewed


def home_panel_context(s: Session, actor: Principal, locale: str) -> dict:
    """What authoring/home_panel.html needs: each course and how much awaits review."""
    cards = []
    for course in authorable_courses(s, actor):
        draft = draft_of(s, course.id)
        version = draft or learning.published_version(s, course.id)
        if version is None:
            continue
        rows = translation_matrix(s, version, course.default_locale, locale)
        # The panel counts module translations, as its wording says; quizzes show in the matrix.
        pending = sum(1 for row in rows if not row.quiz for status in row.cells.values()
                      if status in ("missing", "outdated", "current"))
        title = learning.pick(version.texts, locale, course.default_locale)[1].get("title")
        cards.append(ReviewCard(course, title or course.slug, draft, pending))
    return {"review_cards": cards}
