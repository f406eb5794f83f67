"""The navigator's side of learning: what the course, lesson, quiz and print pages show.

Plain functions over services: they take a session, the navigator's id and plain data, and
return what a page needs, in the navigator's language where a text exists in it.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from navigator.errors import NotFound
from navigator.i18n import CODES, _
from navigator.learning.models import (
    Course,
    CourseVersion,
    Lesson,
    LessonText,
    Module,
    Quiz,
    QuizAttempt,
)
from navigator.learning.package import source_hash
from navigator.learning.services import (
    CourseProgress,
    ModuleProgress,
    best_scores,
    complete_lesson,
    completed_lesson_ids,
    course_progress,
    enrollment,
    get_attempt,
    get_course,
    get_lesson,
    grade,
    lesson_texts,
    lesson_titles,
    lessons_of,
    module_minutes,
    modules_of,
    pick,
    published_version,
    record_visit,
    switch_version,
)


def _title(texts: dict, locale: str, default: str, fallback: str) -> str:
    return pick(texts, locale, default)[1].get("title") or fallback


def _version(s: Session, user_id: int, slug: str) -> tuple[Course, CourseVersion, object]:
    """The course, the version the navigator follows (enrolling on first visit), enrollment."""
    course = get_course(s, slug, user_id)
    enrolled = enrollment(s, user_id, course)
    return course, s.get(CourseVersion, enrolled.version_id), enrolled


# --- course and module pages ----------------------------------------------------------------

@dataclass
class ModuleInfo:
    """A module with its texts in the navigator's language and its progress."""

    module: Module
    title: str
    summary: str
    minutes: int
    progress: ModuleProgress
    lessons: list[tuple[Lesson, str]]  # (lesson, title)


@dataclass
class CourseOverview:
    """Everything the course page shows."""

    course: Course
    version: CourseVersion
    title: str
    description: str
    progress: CourseProgress
    modules: list[ModuleInfo]
    minutes: int
    newer: CourseVersion | None  # a newer published version the navigator could switch to
    next_title: str
    started: bool


def _module_infos(s: Session, course: Course, progress: CourseProgress,
                  locale: str) -> list[ModuleInfo]:
    lessons = lessons_of(s, [mp.module.id for mp in progress.modules])
    titles = lesson_titles(s, [lesson.id for lesson in lessons], locale, course.default_locale)
    infos = []
    for mp in progress.modules:
        texts = pick(mp.module.texts, locale, course.default_locale)[1]
        infos.append(ModuleInfo(
            mp.module, texts.get("title") or mp.module.slug, texts.get("summary", ""),
            module_minutes(mp.module, lessons), mp,
            [(lesson, titles.get(lesson.id, lesson.slug)) for lesson in lessons
             if lesson.module_id == mp.module.id]))
    return infos


def course_overview(s: Session, user_id: int, slug: str, locale: str) -> CourseOverview:
    """The course page; the first visit enrolls the navigator in the newest published version."""
    course, version, enrolled = _version(s, user_id, slug)
    progress = course_progress(s, user_id, version, enrolled.last_lesson_id)
    modules = _module_infos(s, course, progress, locale)
    next_title = ""
    if progress.next_lesson:
        next_id = progress.next_lesson[1].id
        next_title = next(t for m in modules for lesson, t in m.lessons if lesson.id == next_id)
    latest = published_version(s, course.id)
    texts = pick(version.texts, locale, course.default_locale)[1]
    return CourseOverview(
        course, version, texts.get("title") or course.slug, texts.get("description", ""),
        progress, modules, sum(m.minutes for m in modules),
        latest if latest and latest.number > version.number else None, next_title,
        bool(progress.done_lessons) or enrolled.last_lesson_id is not None)


def switch_to_latest(s: Session, user_id: int, slug: str) -> CourseVersion:
    """Move the navigator to the newest published version of a course."""
    course = get_course(s, slug, user_id)
    return switch_version(s, enrollment(s, user_id, course))


@dataclass
class ModuleView:
    """The module page: its lessons, quiz and references."""

    course: Course
    course_title: str
    info: ModuleInfo
    done: set[int]


def module_view(s: Session, user_id: int, slug: str, module_slug: str,
                locale: str) -> ModuleView:
    """A module of the navigator's version, with its lessons in the navigator's language."""
    course, version, enrolled = _version(s, user_id, slug)
    progress = course_progress(s, user_id, version, enrolled.last_lesson_id)
    infos = [m for m in _module_infos(s, course, progress, locale) if m.module.slug == module_slug]
    if not infos:
        raise NotFound()
    return ModuleView(course, _title(version.texts, locale, course.default_locale, course.slug),
                      infos[0], progress.done_lessons)


# --- lessons --------------------------------------------------------------------------------

@dataclass
class Neighbour:
    """A lesson before or after the current one."""

    module: Module
    lesson: Lesson
    title: str


@dataclass
class LessonView:
    """Everything the lesson page shows."""

    course: Course
    course_title: str
    module: Module
    module_title: str
    lesson: Lesson
    text: LessonText        # what is shown: the navigator's language, else the default
    wanted: str             # the navigator's language
    fallback: bool          # shown in another language because the translation is missing
    unreviewed: bool        # a translation no fluent reader has checked yet
    outdated: bool          # a translation made from an older source text
    locales: list[str]      # the languages this lesson exists in
    previous: Neighbour | None
    next: Neighbour | None
    quiz: Quiz | None       # the module's quiz, when this is the module's last lesson
    done: bool
    number: int             # position in the module, from 1
    count: int              # lessons in the module


def _ordered(s: Session, version_id: int) -> list[tuple[Module, Lesson]]:
    modules = modules_of(s, version_id)
    lessons = lessons_of(s, [m.id for m in modules])
    return [(m, lesson) for m in modules for lesson in lessons if lesson.module_id == m.id]


def _module_quiz(s: Session, module_id: int) -> Quiz | None:
    return s.exec(select(Quiz).where(Quiz.module_id == module_id)).first()


def lesson_view(s: Session, user_id: int, slug: str, module_slug: str, lesson_slug: str,
                locale: str) -> LessonView:
    """A lesson in the navigator's version and language; remembered as the place to return."""
    course, version, enrolled = _version(s, user_id, slug)
    default = course.default_locale
    module, lesson = get_lesson(s, version.id, module_slug, lesson_slug)
    ordered = _ordered(s, version.id)
    here = next(i for i, (_m, le) in enumerate(ordered) if le.id == lesson.id)
    before = ordered[here - 1] if here else None
    after = ordered[here + 1] if here + 1 < len(ordered) else None
    texts = lesson_texts(s, [lesson.id] + [pair[1].id for pair in (before, after) if pair])
    used, text = pick(texts[lesson.id], locale, default)
    source = texts[lesson.id].get(default)
    translated = used != default

    def neighbour(pair) -> Neighbour | None:
        if pair is None:
            return None
        titles = {k: v.title for k, v in texts[pair[1].id].items()}
        return Neighbour(pair[0], pair[1], pick(titles, locale, default)[1])

    in_module = [le.id for m, le in ordered if m.id == module.id]
    record_visit(s, enrolled, lesson)
    return LessonView(
        course=course, course_title=_title(version.texts, locale, default, course.slug),
        module=module, module_title=_title(module.texts, locale, default, module.slug),
        lesson=lesson, text=text, wanted=locale, fallback=used != locale,
        unreviewed=translated and not text.reviewed_by,
        outdated=translated and source is not None
        and text.source_hash != source_hash(source.body),
        locales=[code for code in CODES if code in texts[lesson.id]],
        previous=neighbour(before), next=neighbour(after),
        quiz=_module_quiz(s, module.id) if in_module[-1] == lesson.id else None,
        done=bool(completed_lesson_ids(s, user_id, [lesson.id])),
        number=in_module.index(lesson.id) + 1, count=len(in_module))


@dataclass
class Step:
    """Where 'mark as read and continue' leads: a lesson, a quiz, or back to the course."""

    kind: str  # lesson | quiz | final | course
    module_slug: str = ""
    lesson_slug: str = ""


def complete_and_continue(s: Session, user_id: int, slug: str, module_slug: str,
                          lesson_slug: str) -> Step:
    """Mark a lesson read and say what comes next: the module's quiz, the next lesson, …"""
    course, version, enrolled = _version(s, user_id, slug)
    module, lesson = get_lesson(s, version.id, module_slug, lesson_slug)
    complete_lesson(s, user_id, lesson.id)
    record_visit(s, enrolled, lesson)
    ordered = _ordered(s, version.id)
    here = next(i for i, (_m, le) in enumerate(ordered) if le.id == lesson.id)
    after = ordered[here + 1] if here + 1 < len(ordered) else None
    if after is None or after[0].id != module.id:
        quiz = _module_quiz(s, module.id)
        if quiz and not best_scores(s, user_id, [quiz.id]).get(quiz.id, (0, False))[1]:
            return Step("quiz", module.slug)
    if after:
        return Step("lesson", after[0].slug, after[1].slug)
    final = s.exec(select(Quiz).where(Quiz.version_id == version.id,
                                      Quiz.module_id.is_(None))).first()
    if final and not best_scores(s, user_id, [final.id]).get(final.id, (0, False))[1]:
        return Step("final")
    return Step("course")


# --- quizzes --------------------------------------------------------------------------------

def option_texts(question: dict) -> dict[str, dict]:
    """A question's option texts by option id (YAML may read true/false keys as booleans)."""
    options = question.get("options") or {}
    return {(str(k).lower() if isinstance(k, bool) else str(k)): (v if isinstance(v, dict) else {})
            for k, v in options.items()}


@dataclass
class Question:
    """A question as shown: texts in one language, options in the attempt's order, no key."""

    id: str
    type: str
    prompt: str
    case: str
    options: list[tuple[str, str]]  # (option id, text)
    explanation: str


def questions(quiz: Quiz, order: dict | None, locale: str, default: str) -> list[Question]:
    """The quiz's questions in the given language, options in the attempt's order."""
    texts = pick(quiz.texts, locale, default)[1].get("questions") or {}
    boolean = {"true": _("True"), "false": _("False")}
    shown = []
    for q in quiz.key["questions"]:
        text = texts.get(q["id"]) or {}
        options = option_texts(text)
        ids = (order or {}).get(q["id"]) or q["options"]
        shown.append(Question(
            q["id"], q["type"], str(text.get("prompt", "")), str(text.get("case", "")),
            [(oid, str(options.get(oid, {}).get("text") or boolean.get(oid, oid)))
             for oid in ids],
            str(text.get("explanation", ""))))
    return shown


@dataclass
class QuizContext:
    """A quiz with where it sits and how the navigator has done on it so far."""

    course: Course
    course_title: str
    module: Module | None  # None for the final assessment
    module_title: str
    quiz: Quiz
    best: int | None
    passed: bool
    language: str  # the language its texts are shown in: the navigator's, else the default


def _context(s: Session, user_id: int, course: Course, version: CourseVersion, quiz: Quiz,
             locale: str) -> QuizContext:
    module = s.get(Module, quiz.module_id) if quiz.module_id else None
    best, passed = best_scores(s, user_id, [quiz.id]).get(quiz.id, (None, False))
    default = course.default_locale
    return QuizContext(course, _title(version.texts, locale, default, course.slug), module,
                       _title(module.texts, locale, default, module.slug) if module else "",
                       quiz, best, passed, pick(quiz.texts, locale, default)[0])


def quiz_context(s: Session, user_id: int, slug: str, module_slug: str | None,
                 locale: str) -> QuizContext:
    """A module's quiz, or the final assessment when module_slug is None."""
    course, version, _enrolled = _version(s, user_id, slug)
    query = select(Quiz).where(Quiz.version_id == version.id)
    if module_slug is None:
        query = query.where(Quiz.module_id.is_(None))
    else:
        query = query.join(Module, Module.id == Quiz.module_id).where(Module.slug == module_slug)
    quiz = s.exec(query).first()
    if quiz is None:
        raise NotFound()
    return _context(s, user_id, course, version, quiz, locale)


def attempt_for(s: Session, user_id: int, context: QuizContext, attempt_key: str) -> QuizAttempt:
    """The navigator's own attempt at this quiz; anything else does not exist."""
    attempt = get_attempt(s, user_id, attempt_key)
    if attempt.quiz_id != context.quiz.id:
        raise NotFound()
    return attempt


@dataclass
class Answer:
    """One question of a submitted attempt: right or not, what was chosen and its feedback."""

    question: Question
    right: bool
    chosen: list[tuple[str, str]]  # (option text, feedback)


@dataclass
class Result:
    """A submitted attempt, graded on the server."""

    context: QuizContext
    attempt: QuizAttempt
    answers: list[Answer]


def attempt_result(s: Session, user_id: int, slug: str, attempt_key: str,
                   locale: str) -> Result:
    """A submitted attempt of the navigator's, with feedback and explanations."""
    attempt = get_attempt(s, user_id, attempt_key)
    quiz = s.get(Quiz, attempt.quiz_id)
    version = s.get(CourseVersion, quiz.version_id)
    course = get_course(s, slug, user_id)
    if version.course_id != course.id or attempt.submitted_at is None:
        raise NotFound()
    right, _score = grade(quiz.key, attempt.answers)
    texts = pick(quiz.texts, locale, course.default_locale)[1].get("questions") or {}
    answers = []
    for q in questions(quiz, attempt.order, locale, course.default_locale):
        labels, feedback = dict(q.options), option_texts(texts.get(q.id) or {})
        mine = attempt.answers.get(q.id, [])
        chosen = [oid for oid in attempt.order.get(q.id, []) if oid in mine]
        answers.append(Answer(q, right[q.id], [
            (labels.get(oid, oid), str(feedback.get(oid, {}).get("feedback", "")))
            for oid in chosen]))
    return Result(_context(s, user_id, course, version, quiz, locale), attempt, answers)


# --- printing -------------------------------------------------------------------------------

@dataclass
class PrintLesson:
    """A lesson in the printed language, or the default one where it is not translated."""

    lesson: Lesson
    text: LessonText
    fallback: bool


@dataclass
class PrintModule:
    """A module for printing: lessons, quiz questions without answers, references."""

    module: Module
    title: str
    summary: str
    lessons: list[PrintLesson]
    questions: list[Question]
    references: list[dict]


@dataclass
class Book:
    """A course or one module, ready to print in one language."""

    course: Course
    version: CourseVersion
    title: str
    description: str
    locale: str
    modules: list[PrintModule]
    final: list[Question]  # the final assessment's questions; empty for a single module


def book(s: Session, user_id: int, slug: str, locale: str,
         module_slug: str | None = None) -> Book:
    """The navigator's version of a course, or one of its modules, in a language, to print."""
    course, version, _enrolled = _version(s, user_id, slug)
    default = course.default_locale
    modules = [m for m in modules_of(s, version.id) if module_slug in (None, m.slug)]
    if not modules:
        raise NotFound()
    lessons = lessons_of(s, [m.id for m in modules])
    texts = lesson_texts(s, [lesson.id for lesson in lessons])
    quizzes = {q.module_id: q for q in s.exec(select(Quiz).where(Quiz.version_id == version.id))}
    printed = []
    for module in modules:
        mtexts = pick(module.texts, locale, default)[1]
        mine = []
        for lesson in (le for le in lessons if le.module_id == module.id):
            used, text = pick(texts[lesson.id], locale, default)
            mine.append(PrintLesson(lesson, text, used != locale))
        quiz = quizzes.get(module.id)
        printed.append(PrintModule(module, mtexts.get("title") or module.slug,
                                   mtexts.get("summary", ""), mine,
                                   questions(quiz, None, locale, default) if quiz else [],
                                   module.references))
    final = quizzes.get(None) if module_slug is None else None
    vtexts = pick(version.texts, locale, default)[1]
    return Book(course, version, vtexts.get("title") or course.slug,
                vtexts.get("description", ""), locale, printed,
                questions(final, None, locale, default) if final else [])
