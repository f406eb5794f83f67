"""Fixtures: a small course with a certification track, and ways to make progress in it."""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from navigator.accounts.models import Programme, User
from navigator.certification import issuing
from navigator.certification.models import Certificate
from navigator.db import utcnow
from navigator.learning.models import (
    Course,
    CourseVersion,
    Enrollment,
    Lesson,
    LessonCompletion,
    LessonText,
    Module,
    Quiz,
    QuizAttempt,
)
from navigator.learning.package_store import offer_course
from navigator.outreach.models import OutreachActivity

TRACK = {"id": "tester", "title": "Certified tester", "modules": "all", "final_pass_mark": 80,
         "outreach_sessions": 0, "trainer_signoff": False, "valid_months": 24}
TEXTS = {"en": {"title": "Testing course", "track_title": "Certified tester"},
         "ar": {"title": "دورة الاختبار", "track_title": "مختبر معتمد"},
         "hi": {"title": "परीक्षण पाठ्यक्रम", "track_title": "प्रमाणित परीक्षक"}}
KEY = {"questions": [{"id": "q1", "type": "single", "options": ["a", "b"], "correct": ["a"]}]}


@dataclass
class Setup:
    """A programme offering a course with a track, and one of its navigators."""

    programme: Programme
    navigator: User
    course: Course
    version: CourseVersion


def build_version(s: Session, programme: Programme, *, slug: str = "testing", number: int = 1,
                  track: dict | None = None, modules: tuple[str, ...] = ("m1", "m2"),
                  body: str = "A lesson.", texts: dict | None = None) -> CourseVersion:
    """A published version: one lesson and a quiz (pass mark 70) per module, a final (50)."""
    course = s.exec(select(Course).where(Course.slug == slug)).first()
    if course is None:
        course = Course(slug=slug)
        s.add(course)
        s.flush()
    version = CourseVersion(course_id=course.id, number=number, status="published",
                            texts=texts or TEXTS, track=TRACK if track is None else track,
                            final_quiz_slug="final", published_at=utcnow())
    s.add(version)
    s.flush()
    for position, module_slug in enumerate(modules, start=1):
        module = Module(version_id=version.id, slug=module_slug, position=position,
                        texts={"en": {"title": f"Module {module_slug}"},
                               "ar": {"title": f"الوحدة {position}"}})
        s.add(module)
        s.flush()
        lesson = Lesson(module_id=module.id, slug="l1", position=1)
        s.add(lesson)
        s.flush()
        s.add(LessonText(lesson_id=lesson.id, locale="en", title="Lesson", body=body))
        s.add(Quiz(version_id=version.id, module_id=module.id, slug=f"{module_slug}/quiz",
                   pass_mark=70, key=KEY))
    s.add(Quiz(version_id=version.id, module_id=None, slug="final", pass_mark=50, key=KEY))
    offer_course(s, programme.id, course.id)
    s.commit()
    return version


def enroll(s: Session, user: User, version: CourseVersion) -> None:
    row = s.exec(select(Enrollment).where(Enrollment.user_id == user.id,
                                          Enrollment.course_id == version.course_id)).first()
    if row is None:
        s.add(Enrollment(user_id=user.id, course_id=version.course_id, version_id=version.id))
    else:
        row.version_id = version.id
    s.commit()


def _quiz(s: Session, version: CourseVersion, slug: str) -> Quiz:
    return s.exec(select(Quiz).where(Quiz.version_id == version.id, Quiz.slug == slug)).one()


def attempt(s: Session, user: User, version: CourseVersion, slug: str, score: int,
            when: datetime | None = None) -> None:
    """A submitted attempt at a quiz ('m1/quiz', 'final') with a score."""
    quiz = _quiz(s, version, slug)
    s.add(QuizAttempt(attempt_key=secrets.token_urlsafe(12), user_id=user.id, quiz_id=quiz.id,
                      submitted_at=when or utcnow(), score=score,
                      passed=score >= quiz.pass_mark))
    s.commit()


def read_lessons(s: Session, user: User, version: CourseVersion, module_slug: str) -> None:
    module = s.exec(select(Module).where(Module.version_id == version.id,
                                         Module.slug == module_slug)).one()
    for lesson in s.exec(select(Lesson).where(Lesson.module_id == module.id)):
        s.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id))
    s.commit()


def complete(s: Session, user: User, version: CourseVersion, *, final: int = 90,
             skip: tuple[str, ...] = (), when: datetime | None = None) -> None:
    """Read every lesson and pass every quiz (except the modules in skip), then the final."""
    enroll(s, user, version)
    for module in s.exec(select(Module).where(Module.version_id == version.id)).all():
        if module.slug not in skip:
            read_lessons(s, user, version, module.slug)
            attempt(s, user, version, f"{module.slug}/quiz", 100, when)
    if final is not None:
        attempt(s, user, version, "final", final, when)


def log_outreach(s: Session, user: User, programme: Programme, n: int) -> None:
    for _ in range(n):
        s.add(OutreachActivity(submission_key=secrets.token_hex(8), programme_id=programme.id,
                               navigator_id=user.id, held_on=date.today(), minutes=30,
                               setting="library", people=3))
    s.commit()


def issue(s: Session, setup: Setup, on: date | None = None) -> Certificate | None:
    """Run the automatic check for the setup's navigator; the certificate it issued, if any."""
    outcomes = issuing.check_navigator(s, setup.navigator.id, on)
    s.commit()
    return next((o.certificate for o in outcomes if o.kind == "issued"), None)


def days_ago(n: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=n)


@pytest.fixture
def setup(session, make_programme, make_user) -> Setup:
    programme = make_programme("Riverside")
    navigator = make_user("navigator", programme, name="Amina Yusuf")
    version = build_version(session, programme)
    return Setup(programme, navigator, session.get(Course, version.course_id), version)


@pytest.fixture
def certified(session, setup) -> Certificate:
    """The setup's navigator, certified."""
    complete(session, setup.navigator, setup.version)
    cert = issue(session, setup)
    assert cert is not None
    return cert
