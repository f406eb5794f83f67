"""Authoring: editing course drafts, publishing, translation status, package import/export."""

import csv
import io
import json
import tempfile
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from navigator.accounts.models import Membership, User
from navigator.accounts.services import Principal
from navigator.authoring import quizedit
from navigator.db import utcnow
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import CODES, _
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import (
    Course,
    CourseVersion,
    Enrollment,
    Lesson,
    LessonText,
    Module,
    PackageFile,
    ProgrammeCourse,
    Quiz,
)
from navigator.spreadsheets import safe_cell

# --- access ---------------------------------------------------------------------------------


def trainer_programme_ids(s: Session, actor: Principal) -> set[int]:
    """Programmes whose courses the actor may author (all for administrators)."""
    if actor.user.is_admin:
        return set(s.exec(select(ProgrammeCourse.programme_id)))
    return actor.programme_ids("trainer")


def authorable_courses(s: Session, actor: Principal) -> list[Course]:
    """Courses offered to a programme the actor trains in (every course for administrators)."""
    query = select(Course).order_by(Course.slug)
    if not actor.user.is_admin:
        ids = learning.offered_course_ids(s, actor.programme_ids("trainer"))
        query = query.where(Course.id.in_(ids or {-1}))
    return list(s.exec(query))


def get_course(s: Session, actor: Principal, course_id: int) -> Course:
    """A course the actor may author; NotFound otherwise."""
    course = s.get(Course, course_id)
    if course is None or course not in authorable_courses(s, actor):
        raise NotFound()
    return course


def versions(s: Session, course_id: int) -> list[CourseVersion]:
    return list(s.exec(select(CourseVersion).where(CourseVersion.course_id == course_id)
                       .order_by(CourseVersion.number.desc())))


def draft_of(s: Session, course_id: int) -> CourseVersion | None:
    return s.exec(select(CourseVersion).where(CourseVersion.course_id == course_id,
                                              CourseVersion.status == "draft")).first()


def _draft(s: Session, version_id: int) -> CourseVersion:
    version = s.get(CourseVersion, version_id)
    if version is None:
        raise NotFound()
    if version.status != "draft":
        raise Conflict(_("A published version cannot change. Start a new draft to edit."))
    return version


def get_module(s: Session, actor: Principal, module_id: int) -> tuple[Course, CourseVersion,
                                                                       Module]:
    """A module of a course the actor may author, with its course and version."""
    module = s.get(Module, module_id)
    if module is None:
        raise NotFound()
    version = s.get(CourseVersion, module.version_id)
    return get_course(s, actor, version.course_id), version, module


def get_lesson(s: Session, actor: Principal, lesson_id: int
               ) -> tuple[Course, CourseVersion, Module, Lesson]:
    lesson = s.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound()
    course, version, module = get_module(s, actor, lesson.module_id)
    return course, version, module, lesson


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


def _locale(locale: str) -> None:
    if locale not in CODES:
        raise Invalid(_("Choose one of the listed languages."), field="locale")


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


def quiz_of(s: Session, version_id: int, module_id: int | None) -> Quiz | None:
    """A module's quiz, or the final assessment when module_id is None."""
    return s.exec(select(Quiz).where(Quiz.version_id == version_id,
                                     Quiz.module_id == module_id)).first()


def quiz_files(s: Session, quiz: Quiz, locale: str, default: str) -> tuple[str, str]:
    """A quiz's answer key and one locale's texts as the YAML a trainer edits."""
    texts = quiz.texts.get(locale, {})
    source_hash = texts.get("source_hash", "") if locale != default else ""
    return (package.quiz_key_file(quiz.pass_mark, quiz.key),
            package.quiz_text_file(texts.get("questions", {}), source_hash,
                                   texts.get("reviewed_by", "")))


def _check_quiz_files(s: Session, course: Course, module: Module | None, draft: CourseVersion,
                      key_yaml: str, texts: dict[str, str]
                      ) -> tuple[list[package.Problem], Quiz | None, package.QuizFile | None]:
    """Check a quiz's answer key and its texts (the given locales replacing the stored ones)
    as the package files they are, with the package loader; (problems, the quiz row, made if
    new, the quiz as loaded). Only the quiz's own files are read: publishing checks the rest."""
    quiz = quiz_of(s, draft.id, module.id if module else None)
    folder = module.slug if module else (draft.final_quiz_slug or "final")
    stem = quiz.slug.rsplit("/", 1)[-1] if quiz and module else "quiz"
    default = course.default_locale
    files = {f"{stem}.yaml": key_yaml}
    for locale, entry in (quiz.texts if quiz else {}).items():
        if locale not in texts:  # stored, and unchanged: read as it is
            files[f"{stem}.{locale}.yaml"] = _as_yaml({
                "source_hash": "" if locale == default else entry.get("source_hash", ""),
                "reviewed_by": entry.get("reviewed_by", ""),
                "questions": entry.get("questions") or {}})
    files.update({f"{stem}.{locale}.yaml": text for locale, text in texts.items()})
    if f"{stem}.{default}.yaml" not in files:
        return [package.Problem(package.Path(f"{folder}/{stem}.{default}.yaml"), 1,
                                _("Write the quiz in the course's main language first."))], \
            None, None
    found: list[package.Problem] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = package.Path(tmp) / folder
        root.mkdir(parents=True)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        loaded = package.load_quiz(root, stem, f"{module.slug}/{stem}" if module else folder,
                                   default, found)
        problems = [package.Problem(package.Path(folder) / p.path.relative_to(root), p.line,
                                    p.message) for p in found if p.severity == "error"]
    if problems or loaded is None:
        return problems or [package.Problem(package.Path(f"{folder}/{stem}.yaml"), 1,
                                            _("The quiz could not be read."))], None, None
    if quiz is None:
        quiz = Quiz(version_id=draft.id, module_id=module.id if module else None,
                    slug=f"{module.slug}/{stem}" if module else folder)
        if module is None:
            draft.final_quiz_slug = folder
    quiz.pass_mark, quiz.key = loaded.pass_mark, loaded.key
    return [], quiz, loaded


def _as_yaml(data) -> str:
    """Data for the package loader to read, quickly: JSON is YAML. Files a person reads are
    written by package.dump_yaml; this is only for checking, line numbers do not matter."""
    return json.dumps(data, ensure_ascii=False)


def save_quiz(s: Session, course: Course, module: Module | None, version_id: int,
              locale: str, *, key_yaml: str, texts_yaml: str) -> list[package.Problem]:
    """Validate and store a quiz's key and one locale's texts given as YAML; returns problems
    (none: saved)."""
    draft = _draft(s, version_id)
    _locale(locale)
    problems, quiz, loaded = _check_quiz_files(s, course, module, draft, key_yaml,
                                               {locale: texts_yaml})
    if problems:
        return problems
    texts = dict(quiz.texts)
    new = loaded.texts[locale]
    if locale != course.default_locale:
        new["source_hash"] = pkg_source_hash(loaded, course.default_locale)
    texts[locale] = new
    if locale == course.default_locale:
        texts[locale]["hash"] = loaded.texts[locale].get("hash", "")
    quiz.texts = texts
    s.add(quiz)
    s.flush()
    return []


def pkg_source_hash(quiz: package.QuizFile, default: str) -> str:
    return quiz.texts.get(default, {}).get("hash", "")


def stored_source_hash(quiz: Quiz, default: str) -> str:
    """The hash of a stored quiz's texts in its main language, as translations record it."""
    source = quiz.texts.get(default) or {}
    return source.get("hash") or package.quiz_source_hash(source.get("questions") or {})


def quiz_status(quiz: Quiz | None, locale: str, default: str) -> str:
    """missing / outdated / current / reviewed for one translation of a quiz."""
    text = quiz.texts.get(locale) if quiz else None
    if not text or default not in quiz.texts:
        return "missing"
    if text.get("source_hash") != stored_source_hash(quiz, default):
        return "outdated"
    return "reviewed" if text.get("reviewed_by") else "current"


def quiz_draft(quiz: Quiz | None, locale: str, default: str) -> quizedit.Draft:
    """A quiz as the question editor shows it in one language: the main language's structure
    with this language's texts (empty where there are none yet); a new quiz has one blank
    question."""
    if quiz is None:
        draft = quizedit.Draft()
        draft.questions.append(quizedit.blank_question(draft))
        return draft
    texts = (quiz.texts.get(locale) or {}).get("questions") or {}
    return quizedit.from_quiz(quiz.pass_mark, quiz.key, texts)


def save_questions(s: Session, course: Course, module: Module | None, version_id: int,
                   locale: str, edited: quizedit.Draft) -> list[package.Problem]:
    """Store a quiz edited in the question editor; returns problems (none: saved).

    In the main language the answer key and the texts are saved, and every translation is
    fitted to the new key (see quizedit.adapt_translation); in another language only its texts,
    recorded as following the current source. Either way the quiz is checked as the package
    files it becomes, and stored as the package loader reads them, so an exported package
    holds exactly what the editor saved.
    """
    draft = _draft(s, version_id)
    _locale(locale)
    default = course.default_locale
    quiz = quiz_of(s, draft.id, module.id if module else None)
    stored = dict(quiz.texts) if quiz else {}
    if locale == default:
        pass_mark, key, questions = quizedit.to_quiz(edited)
        files = {default: _as_yaml({"reviewed_by": (stored.get(default) or {})
                                    .get("reviewed_by", ""), "questions": questions})}
        for other, entry in stored.items():
            if other == default:
                continue
            before = entry.get("questions") or {}
            fitted = quizedit.adapt_translation(before, key, questions)
            if fitted != before:  # the key changed under it; else it stays as stored
                files[other] = _as_yaml({"source_hash": entry.get("source_hash", ""),
                                         "reviewed_by": "", "questions": fitted})
    else:
        if quiz is None or default not in stored:
            return [package.Problem(package.Path("quiz"), 1, _(
                "Write the quiz in the course's main language first."))]
        pass_mark, key = quiz.pass_mark, quiz.key
        _mark, _key, questions = quizedit.to_quiz(quizedit.Draft(str(pass_mark),
                                                                 edited.questions))
        current = stored.get(locale) or {}
        reviewed = current.get("reviewed_by", "") if current.get("questions") == questions \
            else ""
        files = {locale: _as_yaml({"source_hash": stored_source_hash(quiz, default),
                                   "reviewed_by": reviewed, "questions": questions})}
    problems, quiz, loaded = _check_quiz_files(
        s, course, module, draft, _as_yaml({"pass_mark": pass_mark, **key}), files)
    if problems:
        return problems
    quiz.texts = {code: loaded.texts[code] for code in CODES if code in loaded.texts}
    s.add(quiz)
    s.flush()
    return []


# --- translation status ---------------------------------------------------------------------

STATUSES = ("missing", "outdated", "current", "reviewed")


@dataclass
class MatrixRow:
    module: Module
    title: str
    cells: dict[str, str]  # locale → one of STATUSES ("source" for the default locale)


def lesson_status(text: LessonText | None, source: LessonText | None) -> str:
    """missing / outdated / current / reviewed for one translation of one lesson."""
    if text is None or source is None:
        return "missing"
    if text.source_hash != body_hash(source.body):
        return "outdated"
    return "reviewed" if text.reviewed_by else "current"


def translation_matrix(s: Session, version: CourseVersion, default: str,
                       locale: str) -> list[MatrixRow]:
    """For each module and locale, the worst status of its lessons' translations."""
    rows = []
    modules = learning.modules_of(s, version.id)
    lessons = learning.lessons_of(s, [m.id for m in modules])
    texts = learning.lesson_texts(s, [x.id for x in lessons])
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
        rows.append(MatrixRow(module, learning.pick(module.texts, locale, default)[1]
                              .get("title", module.slug), cells))
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


# --- following learners ---------------------------------------------------------------------

@dataclass
class LearnerRow:
    user: User
    progress: learning.CourseProgress | None


def learners(s: Session, actor: Principal, course: Course) -> list[LearnerRow]:
    """Navigators of the actor's programmes who take the course, with their progress."""
    programme_ids = (set(s.exec(select(ProgrammeCourse.programme_id)
                                .where(ProgrammeCourse.course_id == course.id)))
                     if actor.user.is_admin else
                     actor.programme_ids("trainer", "manager"))
    user_ids = select(Membership.user_id).where(Membership.programme_id.in_(programme_ids
                                                                          or {-1}),
                                                Membership.role == "navigator")
    people = s.exec(select(User).where(User.id.in_(user_ids), User.is_active)
                    .order_by(func.lower(User.display_name))).all()
    enrolments = {e.user_id: e for e in s.exec(select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.user_id.in_([u.id for u in people]
                                                                  or [-1])))}
    rows = []
    for person in people:
        enrolled = enrolments.get(person.id)
        progress = None
        if enrolled:
            progress = learning.course_progress(s, person.id,
                                                s.get(CourseVersion, enrolled.version_id))
        rows.append(LearnerRow(person, progress))
    return rows


def learners_csv(rows: list[LearnerRow], module_titles: list[str]) -> str:
    """The learner table as CSV, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Course version"), _("Progress (%)")]
                    + [f"{t}: {_('quiz best score')}" for t in module_titles]
                    + [_("Final assessment best score"), _("Final assessment passed")])
    for row in rows:
        p = row.progress
        cells = [row.user.display_name, p.version.number if p else "", p.percent if p else 0]
        modules = p.modules if p else []
        cells += [m.best_score if m.best_score is not None else "" for m in modules]
        cells += [""] * (len(module_titles) - len(modules))
        cells += [p.final_best if p and p.final_best is not None else "",
                  _("yes") if p and p.final_passed else _("no")]
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()


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
        pending = sum(1 for row in rows for status in row.cells.values()
                      if status in ("missing", "outdated", "current"))
        title = learning.pick(version.texts, locale, course.default_locale)[1].get("title")
        cards.append(ReviewCard(course, title or course.slug, draft, pending))
    return {"review_cards": cards}
