"""A course package stored as a version, and a version written back out as package files."""


from sqlalchemy import func
from sqlmodel import Session, select

from navigator.db import insert_once, utcnow
from navigator.errors import Invalid
from navigator.i18n import _
from navigator.learning import package
from navigator.learning.courses import lesson_texts, lessons_of, modules_of
from navigator.learning.models import (
    Course,
    CourseVersion,
    Lesson,
    LessonText,
    Module,
    PackageFile,
    ProgrammeCourse,
    Quiz,
)
from navigator.learning.package import Package, QuizFile


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
