"""Courses, progress and quizzes: the learning domain, as plain functions."""

import hashlib
import random
import re
import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, select

from navigator import db
from navigator.accounts.models import Membership
from navigator.db import insert_once, utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.learning import content, package
from navigator.learning import items as tallies
from navigator.learning.content import ModuleRow, QuizRow
from navigator.learning.models import (
    Course,
    CourseVersion,
    Enrollment,
    Lesson,
    LessonCompletion,
    LessonText,
    Module,
    PackageFile,
    ProgrammeCourse,
    Quiz,
    QuizAttempt,
)
from navigator.learning.package import Package, QuizFile
from navigator.learning.progress import (  # noqa: F401 (re-exported: services is the door)
    CourseProgress,
    CourseRow,
    ModuleProgress,
    Place,
    best_scores,
    carried_in,
    carried_over,
    completed_lesson_ids,
    course_progress,
    enroll,
    find_place,
    module_signatures,
    places,
    progress_in,
    progress_of,
    remember_visit,
)

# --- importing packages ---------------------------------------------------------------------


def _store_quiz(s: Session, version: CourseVersion, quiz: QuizFile,
                module_id: int | None) -> Quiz:
    row = Quiz(version_id=version.id, module_id=module_id, slug=quiz.slug,
               pass_mark=quiz.pass_mark, key=quiz.key, texts=quiz.texts)
    s.add(row)
    return row


def store_package(s: Session, package: Package, *, status: str = "published",
                  user_id: int | None = None) -> CourseVersion:
    """Store a validated package as a new version of its course."""
    if package.errors:
        raise Invalid(_("The course package has errors; nothing was imported."))
    course = s.exec(select(Course).where(Course.slug == package.slug)).first()
    if course is None:
        course = Course(slug=package.slug, default_locale=package.default_locale)
        s.add(course)
        s.flush()
    latest = s.exec(select(func.max(CourseVersion.number))
                    .where(CourseVersion.course_id == course.id)).one() or 0
    version = CourseVersion(course_id=course.id, number=max(package.version, latest + 1),
                            status=status, texts=package.texts, track=package.track,
                            final_quiz_slug=package.final.slug if package.final else "",
                            published_at=utcnow() if status == "published" else None,
                            published_by=user_id)
    s.add(version)
    s.flush()
    for position, mod in enumerate(package.modules, start=1):
        module = Module(version_id=version.id, slug=mod.slug, position=position,
                        minutes=mod.minutes, texts=mod.texts, references=mod.references)
        s.add(module)
        s.flush()
        for lpos, lesson_file in enumerate(mod.lessons, start=1):
            lesson = Lesson(module_id=module.id, slug=lesson_file.slug, position=lpos,
                            minutes=lesson_file.minutes)
            s.add(lesson)
            s.flush()
            for locale, text in lesson_file.texts.items():
                s.add(LessonText(lesson_id=lesson.id, locale=locale, title=text["title"],
                                 body=text["body"], source_hash=text["source_hash"],
                                 reviewed_by=text["reviewed_by"]))
        if mod.quiz:
            _store_quiz(s, version, mod.quiz, module.id)
    if package.final:
        _store_quiz(s, version, package.final, None)
    for path, data in package.extras.items():
        s.add(PackageFile(version_id=version.id, path=path, data=data))
    s.flush()
    return version


def export_files(s: Session, version: CourseVersion) -> dict[str, bytes]:
    """A version as the files of a course package (canonical form), path → bytes."""
    course = s.get(Course, version.course_id)
    default = course.default_locale
    files: dict[str, str | bytes] = {}
    modules = modules_of(s, version.id)
    quizzes = {q.module_id: q for q in s.exec(select(Quiz).where(Quiz.version_id == version.id))}
    head = {"id": course.slug, "version": version.number, "default_locale": default,
            "title": version.texts.get(default, {}).get("title", ""),
            "description": version.texts.get(default, {}).get("description", ""),
            "modules": [m.slug for m in modules]}
    if version.final_quiz_slug:
        head["final_assessment"] = version.final_quiz_slug
    if version.track:
        head["track"] = dict(version.track)
    files["course.yaml"] = package.dump_yaml(head)
    for locale, texts in version.texts.items():
        if locale != default:
            files[f"course.{locale}.yaml"] = package.dump_yaml(
                {k: texts.get(k, "") for k in ("title", "description", "track_title")})
    all_lessons = lessons_of(s, [m.id for m in modules])
    texts_by_lesson = lesson_texts(s, [lesson.id for lesson in all_lessons])
    for module in modules:
        lessons = [lesson for lesson in all_lessons if lesson.module_id == module.id]
        quiz = quizzes.get(module.id)
        meta = {"title": module.texts.get(default, {}).get("title", ""),
                "summary": module.texts.get(default, {}).get("summary", ""),
                "minutes": module.minutes, "lessons": [lesson.slug for lesson in lessons]}
        if quiz:
            meta["quiz"] = quiz.slug.rsplit("/", 1)[-1]
        meta["references"] = module.references
        files[f"{module.slug}/module.yaml"] = package.dump_yaml(meta)
        for locale, texts in module.texts.items():
            if locale != default:
                files[f"{module.slug}/module.{locale}.yaml"] = package.dump_yaml(
                    {"title": texts.get("title", ""), "summary": texts.get("summary", "")})
        for lesson in lessons:
            for locale, text in texts_by_lesson.get(lesson.id, {}).items():
                files[f"{module.slug}/lessons/{lesson.slug}.{locale}.md"] = package.lesson_file(
                    text.title, lesson.minutes, text.body, text.source_hash, text.reviewed_by)
        if quiz:
            files.update(_quiz_files(quiz, module.slug, quiz.slug.rsplit("/", 1)[-1], default))
    final = quizzes.get(None)
    if final:
        files.update(_quiz_files(final, final.slug, "quiz", default))
    for extra in s.exec(select(PackageFile).where(PackageFile.version_id == version.id)):
        files[extra.path] = extra.data
    return {path: data if isinstance(data, bytes) else data.encode()
            for path, data in sorted(files.items())}


def _quiz_files(quiz: Quiz, folder: str, stem: str, default: str) -> dict[str, str]:
    files = {f"{folder}/{stem}.yaml": package.quiz_key_file(quiz.pass_mark, quiz.key)}
    for locale, texts in sorted(quiz.texts.items()):
        files[f"{folder}/{stem}.{locale}.yaml"] = package.quiz_text_file(
            texts.get("questions", {}), "" if locale == default else texts.get("source_hash", ""),
            texts.get("reviewed_by", ""))
    return files


def import_package(s: Session, package: Package, *, user_id: int | None = None
                   ) -> tuple[CourseVersion, bool]:
    """Import a package unless that version is already published; (version, imported)."""
    course = s.exec(select(Course).where(Course.slug == package.slug)).first()
    if course is not None:
        same = s.exec(select(CourseVersion).where(CourseVersion.course_id == course.id,
                                                  CourseVersion.number >= package.version)
                      .order_by(CourseVersion.number.desc())).first()
        if same is not None:
            return same, False
    return store_package(s, package, user_id=user_id), True


def offer_course(s: Session, programme_id: int, course_id: int) -> None:
    """Make a course available to a programme's navigators (no-op when it already is)."""
    insert_once(s, ProgrammeCourse(programme_id=programme_id, course_id=course_id))


# --- reading courses ------------------------------------------------------------------------

def published_version(s: Session, course_id: int) -> CourseVersion | None:
    """The newest published version of a course."""
    return s.exec(select(CourseVersion).where(CourseVersion.course_id == course_id,
                                              CourseVersion.status == "published")
                  .order_by(CourseVersion.number.desc())).first()


def pick(texts: dict, locale: str, default: str) -> tuple[str, dict]:
    """The texts in the wanted locale, else the default locale: (locale used, texts)."""
    if locale in texts:
        return locale, texts[locale]
    if default in texts:
        return default, texts[default]
    first = next(iter(texts), default)
    return first, texts.get(first, {})


def offered_course_ids(s: Session, programme_ids: set[int]) -> set[int]:
    """Courses offered to any of these programmes."""
    return set(s.exec(select(ProgrammeCourse.course_id)
                      .where(ProgrammeCourse.programme_id.in_(programme_ids or {-1}))))


def learner_programme_ids(s: Session, user_id: int) -> set[int]:
    """Programmes where the person is a navigator."""
    return set(s.exec(select(Membership.programme_id).where(
        Membership.user_id == user_id, Membership.role == "navigator")))


def get_course(s: Session, slug: str, user_id: int) -> Course:
    """A course offered to one of the person's programmes; NotFound otherwise."""
    course = s.exec(select(Course).where(Course.slug == slug)).first()
    if course is None or course.id not in offered_course_ids(s, learner_programme_ids(s,
                                                                                       user_id)):
        raise NotFound()
    return course


def modules_of(s: Session, version_id: int) -> list[Module]:
    return list(s.exec(select(Module).where(Module.version_id == version_id)
                       .order_by(Module.position)))


def lessons_of(s: Session, module_ids: list[int]) -> list[Lesson]:
    return list(s.exec(select(Lesson).where(Lesson.module_id.in_(module_ids or [-1]))
                       .order_by(Lesson.module_id, Lesson.position)))


def lesson_texts(s: Session, lesson_ids: list[int]) -> dict[int, dict[str, LessonText]]:
    """Every locale's text of the given lessons."""
    result: dict[int, dict[str, LessonText]] = {}
    for row in s.exec(select(LessonText).where(LessonText.lesson_id.in_(lesson_ids or [-1]))):
        result.setdefault(row.lesson_id, {})[row.locale] = row
    return result


def lesson_titles(s: Session, lesson_ids: list[int], locale: str,
                  default: str) -> dict[int, str]:
    """Each lesson's title in the locale, or the default locale's."""
    titles = {}
    for lesson_id, texts in lesson_texts(s, lesson_ids).items():
        titles[lesson_id] = pick({k: v.title for k, v in texts.items()}, locale, default)[1]
    return titles


# --- progress -------------------------------------------------------------------------------

def enrollment(s: Session, user_id: int, course: Course) -> Enrollment:
    """The person's enrollment, made with the newest published version if there is none.

    For jobs, commands and set-ups; pages use find_place() and enroll(), which read less.
    """
    row = find_enrollment(s, user_id, course.id)
    if row is None:
        version = published_version(s, course.id)
        if version is None:
            raise NotFound()
        row = Enrollment(user_id=user_id, course_id=course.id, version_id=version.id)
        if not insert_once(s, row):  # a parallel first visit made it
            row = find_enrollment(s, user_id, course.id)
    return row


def find_enrollment(s: Session, user_id: int, course_id: int) -> Enrollment | None:
    return s.exec(select(Enrollment).where(Enrollment.user_id == user_id,
                                           Enrollment.course_id == course_id)).first()


def switch_version(s: Session, place: Place) -> int:
    """Move a navigator to the newest published version; what they completed stays recorded.

    Returns the version's number.
    """
    if place.enrollment_id is None or place.latest_id is None:
        raise NotFound()
    table = Enrollment.__table__
    db.write_apart(s, sa.update(table).where(table.c.id == place.enrollment_id).values(
        version_id=place.latest_id, last_lesson_id=None, updated_at=utcnow()))
    return place.latest_number


def complete_lesson(s: Session, user_id: int, lesson_id: int) -> bool:
    """Mark a lesson read; a repeat is harmless. True when newly completed."""
    return insert_once(s, LessonCompletion(user_id=user_id, lesson_id=lesson_id))


def module_topics(s: Session, programme_id: int, locale: str) -> list[tuple[str, str]]:
    """Modules of the courses a programme offers, as (course/module key, title) for outreach.

    One statement (the courses with their newest published version); the modules come from
    the versions' shared content."""
    topics = []
    for slug, default, version_id in s.connection().execute(_offered_versions(),
                                                            {"programme_id": programme_id}):
        if version_id is None:
            continue
        for module in content.of(s, version_id).modules:
            title = pick(module.texts, locale, default)[1].get("title", module.slug)
            topics.append((f"{slug}/{module.slug}", title))
    return topics


@cache
def _offered_versions():
    course, pc, v = Course.__table__.c, ProgrammeCourse.__table__.c, CourseVersion.__table__.c
    newest = (sa.select(v.id).where(v.course_id == course.id, v.status == "published")
              .order_by(v.number.desc()).limit(1).scalar_subquery())
    return (sa.select(course.slug, course.default_locale, newest)
            .join(ProgrammeCourse.__table__, pc.course_id == course.id)
            .where(pc.programme_id == sa.bindparam("programme_id")).order_by(course.id))


def completed_module_keys(s: Session, user_id: int) -> set[str]:
    """Modules (course/module keys) the person has completed in any version they took."""
    keys = set()
    rows = s.exec(select(Enrollment.version_id, Course.slug)
                  .join(Course, Course.id == Enrollment.course_id)
                  .where(Enrollment.user_id == user_id)).all()
    for version_id, slug in rows:
        for mp in course_progress(s, user_id, version_id).modules:
            if mp.complete:
                keys.add(f"{slug}/{mp.module.slug}")
    return keys


# --- quizzes --------------------------------------------------------------------------------

# An attempt's key names its person and quiz, so a key that is not stored yet (attempts are
# stored when sent) still belongs to one person: nobody else can send it, or claim it first.
ATTEMPT_KEY = re.compile(r"^(\d{1,11})-(\d{1,11})-[A-Za-z0-9_-]{16}$")


def get_quiz(s: Session, version_id: int, slug: str) -> Quiz:
    quiz = s.exec(select(Quiz).where(Quiz.version_id == version_id, Quiz.slug == slug)).first()
    if quiz is None:
        raise NotFound()
    return quiz


def option_order(quiz: Quiz | QuizRow, attempt_key: str) -> dict[str, list[str]]:
    """Each question's options in the order one attempt shows them: shuffled per attempt, and
    the same every time for the same attempt key, so nothing needs storing before it is sent."""
    seed = hashlib.sha256(f"{quiz.id}:{attempt_key}".encode()).digest()[:8]
    rng = random.Random(int.from_bytes(seed, "big"))
    order = {}
    for q in quiz.key["questions"]:
        options = list(q["options"])
        if q["type"] != "true_false":  # true before false reads naturally everywhere
            rng.shuffle(options)
        order[q["id"]] = options
    return order


def start_attempt(s: Session, user_id: int, quiz: Quiz | QuizRow, locale: str) -> QuizAttempt:
    """A new attempt with the options shuffled for it alone; not stored until it is submitted,
    so a quiz page that is only looked at leaves no row behind."""
    key = f"{user_id}-{quiz.id}-{secrets.token_urlsafe(12)}"
    return QuizAttempt(attempt_key=key, user_id=user_id, quiz_id=quiz.id, locale=locale,
                       order=option_order(quiz, key))


def attempt_to_submit(s: Session, user_id: int, quiz: Quiz | QuizRow, attempt_key: str,
                      locale: str) -> QuizAttempt:
    """The attempt a submitted form names: the stored one if it was sent before (the person's
    own, at this quiz; anything else does not exist), else a new one with that key."""
    attempt = s.exec(select(QuizAttempt).where(QuizAttempt.attempt_key == attempt_key)).first()
    if attempt is None:
        named = ATTEMPT_KEY.match(attempt_key)
        if not named or named.groups() != (str(user_id), str(quiz.id)):
            raise NotFound()
        return QuizAttempt(attempt_key=attempt_key, user_id=user_id, quiz_id=quiz.id,
                           locale=locale, order=option_order(quiz, attempt_key))
    if attempt.user_id != user_id or attempt.quiz_id != quiz.id:
        raise NotFound()
    return attempt


def grade(key: dict, answers: dict[str, list[str]]) -> tuple[dict[str, bool], int]:
    """Which questions are right, and the score in percent; only the server knows the key."""
    results = {}
    for q in key["questions"]:
        chosen = set(answers.get(q["id"], []))
        results[q["id"]] = chosen == set(q["correct"])
    score = round(100 * sum(results.values()) / len(results)) if results else 0
    return results, score


def submit_attempt(s: Session, user_id: int, quiz: Quiz | QuizRow, attempt: QuizAttempt,
                   answers: dict[str, list[str]]) -> QuizAttempt:
    """Grade and store an attempt once; sending the same attempt again returns the first result.

    The attempt key is unique: of two simultaneous submissions, one is stored and the other
    gets the stored result (on SQLite the request's IMMEDIATE transaction already orders them).
    """
    if attempt.user_id != user_id or attempt.quiz_id != quiz.id:
        raise NotFound()
    if attempt.submitted_at is not None:
        return attempt
    valid = {q["id"]: set(q["options"]) for q in quiz.key["questions"]}
    clean = {qid: sorted(set(chosen) & valid[qid]) for qid, chosen in answers.items()
             if qid in valid}
    missing = [qid for qid in valid if not clean.get(qid)]
    if missing:
        raise Invalid(_("Please answer every question."), field=missing[0])
    _results, score = grade(quiz.key, clean)
    attempt.answers = clean
    attempt.score = score
    attempt.passed = score >= quiz.pass_mark
    attempt.submitted_at = utcnow()
    if attempt.id is None and not insert_once(s, attempt):  # sent twice at once: the first won
        return get_attempt(s, user_id, attempt.attempt_key)
    tallies.record(s, quiz.key, attempt)  # item analysis counts it in the same transaction
    return attempt


def get_attempt(s: Session, user_id: int, attempt_key: str) -> QuizAttempt:
    attempt = s.exec(select(QuizAttempt).where(QuizAttempt.attempt_key == attempt_key)).first()
    if attempt is None or attempt.user_id != user_id:
        raise NotFound()  # another person's attempt does not exist, as far as you know
    return attempt


# --- the navigator's pages ------------------------------------------------------------------

def module_minutes(module: Module | ModuleRow, lessons: list) -> int:
    """A module's estimated study time: as declared, else the sum of its lessons'."""
    return module.minutes or sum(lesson.minutes for lesson in lessons
                                 if lesson.module_id == module.id)


@dataclass
class CourseCard:
    """A course as the catalogue and the home page show it."""

    course: CourseRow
    title: str
    description: str
    minutes: int
    progress: CourseProgress | None  # None until the navigator first opens the course
    next_title: str = ""


def catalogue(s: Session, user_id: int, locale: str, counted=None) -> list[CourseCard]:
    """The courses offered to the navigator's programmes, with their progress: two statements
    (the courses with the person's enrollments; what they read and passed in all of them),
    and two more per course followed in a later version when `counted` (study.Counted: which
    earlier versions count, as certification says) may carry modules over from them."""
    found = [p for p in places(s, user_id) if p.version_id or p.latest_id]
    contents = {p.course.id: content.of(s, p.version_id or p.latest_id) for p in found}
    enrolled = [contents[p.course.id] for p in found if p.version_id]
    done, scores = progress_of(s, user_id, [x.id for c in enrolled for x in c.lessons],
                               [q for c in enrolled for q in c.quiz_ids])
    cards = []
    for p in found:
        c, default = contents[p.course.id], p.course.default_locale
        texts = pick(c.version.texts, locale, default)[1]
        progress, next_title = None, ""
        if p.version_id:
            carried = {}
            if counted is not None and c.version.number > 1:
                carried = carried_over(s, user_id, default, c.version.id,
                                       counted(s, user_id, p.course.id, c.version.number))
            progress = progress_in(c, done, scores, p.last_lesson_id, carried=carried)
            if progress.next_lesson:
                next_title = c.title(progress.next_lesson[1].id, locale, default)
        cards.append(CourseCard(p.course, texts.get("title") or p.course.slug,
                                texts.get("description", ""),
                                sum(module_minutes(m, c.lessons) for m in c.modules), progress,
                                next_title))
    return cards


def home_panel_context(s: Session, user_id: int, locale: str, counted=None) -> dict:
    """What learning/home_panel.html needs: the navigator's courses, started ones first
    (`counted`: as for catalogue)."""
    cards = catalogue(s, user_id, locale, counted)
    cards.sort(key=lambda c: (c.progress is None, c.progress is not None and c.progress.complete))
    return {"learning_cards": cards}
