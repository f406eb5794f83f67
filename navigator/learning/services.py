"""Courses, progress and quizzes: the learning domain, as plain functions."""

import random
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, select

from navigator.accounts.models import Membership
from navigator.db import insert_once, utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.learning import package
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
    """The person's enrollment, made on first visit with the newest published version."""
    row = s.exec(select(Enrollment).where(Enrollment.user_id == user_id,
                                          Enrollment.course_id == course.id)).first()
    if row is None:
        version = published_version(s, course.id)
        if version is None:
            raise NotFound()
        row = Enrollment(user_id=user_id, course_id=course.id, version_id=version.id)
        if not insert_once(s, row):  # a parallel first visit made it
            row = s.exec(select(Enrollment).where(Enrollment.user_id == user_id,
                                                  Enrollment.course_id == course.id)).one()
    return row


def find_enrollment(s: Session, user_id: int, course_id: int) -> Enrollment | None:
    return s.exec(select(Enrollment).where(Enrollment.user_id == user_id,
                                           Enrollment.course_id == course_id)).first()


def switch_version(s: Session, enrolled: Enrollment) -> CourseVersion:
    """Move a navigator to the newest published version; what they completed stays recorded."""
    version = published_version(s, enrolled.course_id)
    if version is None:
        raise NotFound()
    enrolled.version_id = version.id
    enrolled.last_lesson_id = None
    enrolled.updated_at = utcnow()
    return version


def get_lesson(s: Session, version_id: int, module_slug: str, lesson_slug: str
               ) -> tuple[Module, Lesson]:
    module = s.exec(select(Module).where(Module.version_id == version_id,
                                         Module.slug == module_slug)).first()
    lesson = module and s.exec(select(Lesson).where(Lesson.module_id == module.id,
                                                    Lesson.slug == lesson_slug)).first()
    if not lesson:
        raise NotFound()
    return module, lesson


def record_visit(s: Session, enrolled: Enrollment, lesson: Lesson) -> None:
    """Remember where the navigator is, for 'continue where you left off'."""
    enrolled.last_lesson_id = lesson.id
    enrolled.updated_at = utcnow()


def complete_lesson(s: Session, user_id: int, lesson_id: int) -> bool:
    """Mark a lesson read; a repeat is harmless. True when newly completed."""
    return insert_once(s, LessonCompletion(user_id=user_id, lesson_id=lesson_id))


def completed_lesson_ids(s: Session, user_id: int, lesson_ids: list[int]) -> set[int]:
    return set(s.exec(select(LessonCompletion.lesson_id).where(
        LessonCompletion.user_id == user_id,
        LessonCompletion.lesson_id.in_(lesson_ids or [-1]))))


@dataclass
class ModuleProgress:
    """How far a person is in one module."""

    module: Module
    lessons_done: int
    lessons_total: int
    quiz: Quiz | None
    best_score: int | None
    quiz_passed: bool

    @property
    def complete(self) -> bool:
        return self.lessons_done >= self.lessons_total and (self.quiz is None or self.quiz_passed)


@dataclass
class CourseProgress:
    """A person's progress through one version of a course."""

    version: CourseVersion
    modules: list[ModuleProgress]
    final: Quiz | None
    final_best: int | None
    final_passed: bool
    next_lesson: tuple[Module, Lesson] | None
    done_lessons: set[int] = field(default_factory=set)

    @property
    def modules_complete(self) -> int:
        return sum(1 for m in self.modules if m.complete)

    @property
    def percent(self) -> int:
        total = sum(m.lessons_total + (1 if m.quiz else 0) for m in self.modules) + (
            1 if self.final else 0)
        done = sum(m.lessons_done + (1 if m.quiz_passed else 0) for m in self.modules) + (
            1 if self.final_passed else 0)
        return round(100 * done / total) if total else 0

    @property
    def complete(self) -> bool:
        return all(m.complete for m in self.modules) and (self.final is None or self.final_passed)


def best_scores(s: Session, user_id: int, quiz_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """Per quiz: the best score and whether any attempt passed."""
    rows = s.exec(select(QuizAttempt.quiz_id, func.max(QuizAttempt.score),
                         func.max(sa.cast(QuizAttempt.passed, sa.Integer)))
                  .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id.in_(quiz_ids or [-1]),
                         QuizAttempt.submitted_at.is_not(None))
                  .group_by(QuizAttempt.quiz_id)).all()
    return {qid: (score, bool(passed)) for qid, score, passed in rows}


def course_progress(s: Session, user_id: int, version: CourseVersion,
                    last_lesson_id: int | None = None) -> CourseProgress:
    """Progress through a version: lessons read, quizzes passed, the next lesson to read."""
    modules = modules_of(s, version.id)
    lessons = lessons_of(s, [m.id for m in modules])
    done = completed_lesson_ids(s, user_id, [lesson.id for lesson in lessons])
    quizzes = list(s.exec(select(Quiz).where(Quiz.version_id == version.id)))
    by_module = {q.module_id: q for q in quizzes if q.module_id}
    final = next((q for q in quizzes if q.module_id is None), None)
    scores = best_scores(s, user_id, [q.id for q in quizzes])
    result = []
    for module in modules:
        mine = [lesson for lesson in lessons if lesson.module_id == module.id]
        quiz = by_module.get(module.id)
        best, passed = scores.get(quiz.id, (None, False)) if quiz else (None, False)
        result.append(ModuleProgress(module, sum(1 for x in mine if x.id in done), len(mine),
                                     quiz, best, passed))
    ordered = [(m, lesson) for m in modules for lesson in lessons if lesson.module_id == m.id]
    next_lesson = None
    if last_lesson_id is not None:
        # Continue after the last lesson visited, or on it if it is not read yet.
        for i, (_m, lesson) in enumerate(ordered):
            if lesson.id == last_lesson_id:
                later = [pair for pair in ordered[i:] if pair[1].id not in done]
                next_lesson = later[0] if later else None
                break
    if next_lesson is None:
        next_lesson = next((pair for pair in ordered if pair[1].id not in done), None)
    fbest, fpassed = scores.get(final.id, (None, False)) if final else (None, False)
    return CourseProgress(version, result, final, fbest, fpassed, next_lesson, done)


def module_topics(s: Session, programme_id: int, locale: str) -> list[tuple[str, str]]:
    """Modules of the courses a programme offers, as (course/module key, title) for outreach."""
    topics = []
    for course_id in sorted(offered_course_ids(s, {programme_id})):
        course = s.get(Course, course_id)
        version = published_version(s, course_id)
        if version is None:
            continue
        for module in modules_of(s, version.id):
            title = pick(module.texts, locale, course.default_locale)[1].get("title", module.slug)
            topics.append((f"{course.slug}/{module.slug}", title))
    return topics


def completed_module_keys(s: Session, user_id: int) -> set[str]:
    """Modules (course/module keys) the person has completed in any version they took."""
    keys = set()
    for enrolled in s.exec(select(Enrollment).where(Enrollment.user_id == user_id)):
        version = s.get(CourseVersion, enrolled.version_id)
        course = s.get(Course, enrolled.course_id)
        for mp in course_progress(s, user_id, version).modules:
            if mp.complete:
                keys.add(f"{course.slug}/{mp.module.slug}")
    return keys


# --- quizzes --------------------------------------------------------------------------------

def get_quiz(s: Session, version_id: int, slug: str) -> Quiz:
    quiz = s.exec(select(Quiz).where(Quiz.version_id == version_id, Quiz.slug == slug)).first()
    if quiz is None:
        raise NotFound()
    return quiz


def start_attempt(s: Session, user_id: int, quiz: Quiz, locale: str) -> QuizAttempt:
    """A new attempt with the options shuffled for this attempt only."""
    rng = random.Random(secrets.randbits(64))
    order = {}
    for q in quiz.key["questions"]:
        options = list(q["options"])
        if q["type"] != "true_false":  # true before false reads naturally everywhere
            rng.shuffle(options)
        order[q["id"]] = options
    attempt = QuizAttempt(attempt_key=secrets.token_urlsafe(18), user_id=user_id,
                          quiz_id=quiz.id, locale=locale, order=order)
    s.add(attempt)
    s.flush()
    return attempt


def grade(key: dict, answers: dict[str, list[str]]) -> tuple[dict[str, bool], int]:
    """Which questions are right, and the score in percent; only the server knows the key."""
    results = {}
    for q in key["questions"]:
        chosen = set(answers.get(q["id"], []))
        results[q["id"]] = chosen == set(q["correct"])
    score = round(100 * sum(results.values()) / len(results)) if results else 0
    return results, score


def submit_attempt(s: Session, user_id: int, attempt_key: str,
                   answers: dict[str, list[str]]) -> QuizAttempt:
    """Grade an attempt once; submitting the same attempt again returns the first result."""
    # FOR UPDATE: on PostgreSQL two simultaneous submissions queue here, so the second sees
    # the first's result (SQLite's IMMEDIATE transaction already serialises them).
    attempt = s.exec(select(QuizAttempt).where(QuizAttempt.attempt_key == attempt_key)
                     .with_for_update()).first()
    if attempt is None or attempt.user_id != user_id:
        raise NotFound()
    if attempt.submitted_at is not None:
        return attempt
    quiz = s.get(Quiz, attempt.quiz_id)
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
    return attempt


def get_attempt(s: Session, user_id: int, attempt_key: str) -> QuizAttempt:
    attempt = s.exec(select(QuizAttempt).where(QuizAttempt.attempt_key == attempt_key)).first()
    if attempt is None or attempt.user_id != user_id:
        raise NotFound()  # another person's attempt does not exist, as far as you know
    return attempt


# --- the navigator's pages ------------------------------------------------------------------

def module_minutes(module: Module, lessons: list[Lesson]) -> int:
    """A module's estimated study time: as declared, else the sum of its lessons'."""
    return module.minutes or sum(lesson.minutes for lesson in lessons
                                 if lesson.module_id == module.id)


@dataclass
class CourseCard:
    """A course as the catalogue and the home page show it."""

    course: Course
    title: str
    description: str
    minutes: int
    progress: CourseProgress | None  # None until the navigator first opens the course
    next_title: str = ""


def _card(s: Session, user_id: int, course: Course, locale: str) -> CourseCard | None:
    enrolled = find_enrollment(s, user_id, course.id)
    version = (s.get(CourseVersion, enrolled.version_id) if enrolled
               else published_version(s, course.id))
    if version is None:
        return None
    texts = pick(version.texts, locale, course.default_locale)[1]
    modules = modules_of(s, version.id)
    lessons = lessons_of(s, [m.id for m in modules])
    progress, next_title = None, ""
    if enrolled:
        progress = course_progress(s, user_id, version, enrolled.last_lesson_id)
        if progress.next_lesson:
            lesson_id = progress.next_lesson[1].id
            next_title = lesson_titles(s, [lesson_id], locale, course.default_locale)[lesson_id]
    return CourseCard(course, texts.get("title") or course.slug, texts.get("description", ""),
                      sum(module_minutes(m, lessons) for m in modules), progress, next_title)


def catalogue(s: Session, user_id: int, locale: str) -> list[CourseCard]:
    """The courses offered to the navigator's programmes, with their progress."""
    ids = offered_course_ids(s, learner_programme_ids(s, user_id))
    courses = s.exec(select(Course).where(Course.id.in_(ids or {-1})).order_by(Course.slug))
    return [card for course in courses if (card := _card(s, user_id, course, locale))]


def home_panel_context(s: Session, user_id: int, locale: str) -> dict:
    """What learning/home_panel.html needs: the navigator's courses, started ones first."""
    cards = catalogue(s, user_id, locale)
    cards.sort(key=lambda c: (c.progress is None, c.progress is not None and c.progress.complete))
    return {"learning_cards": cards}

