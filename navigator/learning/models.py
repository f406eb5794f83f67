"""Tables for courses and their versions, offered courses, progress and quiz attempts.

Content lives per course version: publishing freezes a version, editing a published course
starts a new draft copied from it, and progress and attempts point at the rows of the version
the navigator took.
"""

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from navigator.db import utcnow


class Course(SQLModel, table=True):
    """A course, identified by its package id (the curricula/ folder name)."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    default_locale: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


# Drafts can be discarded; AUTOINCREMENT keeps SQLite from handing a deleted row's id (and so
# an old bookmarked URL) to a new row.
NO_REUSE = {"sqlite_autoincrement": True}


class CourseVersion(SQLModel, table=True):
    """One version of a course: a draft being edited, or a frozen published version."""

    __table_args__ = (UniqueConstraint("course_id", "number"), NO_REUSE)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    number: int
    status: str = Field(default="draft", max_length=12)  # draft | published | retired
    # Titles and descriptions per locale: {"en": {"title": ..., "description": ...}, ...}
    texts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The certification track from course.yaml, read by navigator.certification.
    track: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    final_quiz_slug: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    published_by: int | None = Field(default=None, foreign_key="user.id")


class Module(SQLModel, table=True):
    """A module of one course version; position orders the modules."""

    __table_args__ = (UniqueConstraint("version_id", "slug"), NO_REUSE)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="courseversion.id", index=True)
    slug: str = Field(max_length=80)
    position: int
    minutes: int = 0
    # {"en": {"title": ..., "summary": ..., "source_hash": ..., "reviewed_by": ...}, ...}
    texts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    references: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Lesson(SQLModel, table=True):
    """A lesson of a module; its text per locale lives in LessonText."""

    __table_args__ = (UniqueConstraint("module_id", "slug"), NO_REUSE)

    id: int | None = Field(default=None, primary_key=True)
    module_id: int = Field(foreign_key="module.id", index=True)
    slug: str = Field(max_length=80)
    position: int
    minutes: int = 0


class LessonText(SQLModel, table=True):
    """A lesson in one locale: markdown body, and for translations the source it follows."""

    __table_args__ = (UniqueConstraint("lesson_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    locale: str = Field(max_length=8)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    source_hash: str = Field(default="", max_length=12)  # of the default-locale body it follows
    reviewed_by: str = Field(default="", max_length=120)  # a fluent reader's mark
    updated_at: datetime = Field(default_factory=utcnow)


class Quiz(SQLModel, table=True):
    """A quiz: a module's quiz, or the course's final assessment (module_id empty).

    The answer key is language independent: {"questions": [{"id", "type", "options",
    "correct"}]}; texts per locale only say things, never which answer is right.
    """

    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="courseversion.id", index=True)
    module_id: int | None = Field(default=None, foreign_key="module.id", index=True)
    slug: str = Field(max_length=80)  # "<module slug>/quiz" or the final folder name
    pass_mark: int = 70
    key: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # {"en": {"questions": {...}, "source_hash": ""}, "es": {...}}
    texts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ProgrammeCourse(SQLModel, table=True):
    """A course offered to a programme's navigators."""

    __table_args__ = (UniqueConstraint("programme_id", "course_id"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Enrollment(SQLModel, table=True):
    """A navigator taking a course: the version they follow and where they left off."""

    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    version_id: int = Field(foreign_key="courseversion.id", index=True)
    last_lesson_id: int | None = Field(default=None, foreign_key="lesson.id")
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LessonCompletion(SQLModel, table=True):
    """A lesson a navigator has read to the end."""

    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    completed_at: datetime = Field(default_factory=utcnow)


class QuizAttempt(SQLModel, table=True):
    """One attempt at a quiz. The attempt key, unique, makes a repeated submission count once."""

    id: int | None = Field(default=None, primary_key=True)
    attempt_key: str = Field(max_length=40, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    quiz_id: int = Field(foreign_key="quiz.id", index=True)
    locale: str = Field(default="en", max_length=8)
    # The shuffled option order shown: {"q1": ["c", "a", "b"], ...}
    order: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None, index=True)
    score: int | None = None  # percent
    passed: bool = False


class PackageFile(SQLModel, table=True):
    """A package file the platform does not model (glossaries, sandbox corpora, images).

    Kept byte for byte with its version so an exported package holds everything imported.
    """

    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="courseversion.id", index=True)
    path: str = Field(max_length=300)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class QuizItemTally(SQLModel, table=True):
    """How often one answer to one question was given, per programme and language.

    Item analysis reads these instead of every attempt: one row per (quiz, programme, language,
    question, answer given), with the attempts that gave it and the sums of their whole-quiz
    scores (questions right) and of the squares of those scores, from which the share correct
    and the point-biserial discrimination follow. Written when an attempt is submitted, for
    each programme the navigator belongs to then (see navigator.learning.items).
    """

    __table_args__ = (UniqueConstraint("quiz_id", "programme_id", "locale", "question",
                                       "chosen"),)

    id: int | None = Field(default=None, primary_key=True)
    quiz_id: int = Field(foreign_key="quiz.id")
    programme_id: int = Field(foreign_key="programme.id", index=True)
    locale: str = Field(max_length=8)
    question: str  # ids are the author's, of any length
    chosen: str  # the option ids chosen, sorted, joined by ","
    attempts: int = 0
    score_sum: int = 0      # Σ questions right in the whole attempt
    score_squares: int = 0  # Σ (questions right)²
