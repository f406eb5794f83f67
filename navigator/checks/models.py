"""Tables for chatbot checks: the check, its answers about the product, the chatbot's answers
to each probe message, the navigator's rating of each probe, its review trail, and each
programme's review period.

A check belongs to one programme: only that programme's people (and administrators) ever see
its answers. Nothing here holds a real person's details: probes use made-up ones, and answers
pasted by hand are checked for phone numbers and e-mail addresses before they are saved.
"""

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from navigator.db import utcnow

STATUSES = ("draft", "submitted", "returned", "approved")
RATINGS = ("met", "partly", "not_met", "untested")
FINDINGS = ("reassuring", "concern", "unknown")


class ChatbotCheck(SQLModel, table=True):
    """One navigator's check of one chatbot, in one language, against one protocol version."""

    __tablename__ = "chatbot_check"
    __table_args__ = (Index("ix_chatbot_check_library", "programme_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    chatbot: str = Field(max_length=120)  # the product's name, as people know it
    details: str = Field(default="", max_length=300)  # where, which version: "Android app 4.2"
    locale: str = Field(max_length=8)  # the language the probes were sent in
    second_locale: str = Field(max_length=8)  # the other language of the language probe
    protocol_version: int
    status: str = Field(default="draft", max_length=12)  # draft | submitted | returned | approved
    watch_for: str = Field(default="", max_length=1000)  # the navigator's words for the handout
    review_note: str = Field(default="", max_length=1000)  # the trainer's last comment
    checked_on: date | None = None  # set when submitted: the day the chatbot was checked
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CheckEvent(SQLModel, table=True):
    """The review trail: submitted, returned (with the trainer's comment), approved."""

    __tablename__ = "chatbot_check_event"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="chatbot_check.id", index=True)
    action: str = Field(max_length=12)
    actor_id: int = Field(foreign_key="user.id")
    note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class ProductAnswer(SQLModel, table=True):
    """The navigator's answer to one question about the product, and where they looked."""

    __tablename__ = "chatbot_check_product"
    __table_args__ = (UniqueConstraint("check_id", "question"),)

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="chatbot_check.id", index=True)
    question: str = Field(max_length=40)
    answer: str = Field(default="", max_length=2000)
    source: str = Field(default="", max_length=500)
    finding: str = Field(default="", max_length=12)  # reassuring | concern | unknown | ""


class ProbeAnswer(SQLModel, table=True):
    """What the chatbot answered to one message of a probe: typed in, or fetched by the client."""

    __tablename__ = "chatbot_check_answer"
    __table_args__ = (UniqueConstraint("check_id", "probe", "message"),)

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="chatbot_check.id", index=True)
    probe: str = Field(max_length=40)
    message: str = Field(max_length=40)
    locale: str = Field(max_length=8)
    prompt: str = Field(sa_column=Column(Text, nullable=False))  # the probe's text as sent
    answer: str = Field(sa_column=Column(Text, nullable=False))
    how: str = Field(max_length=8)  # hand | auto
    source: str = Field(default="", max_length=120)  # for auto: the model that answered
    answered_at: datetime = Field(default_factory=utcnow)


class ProbeRating(SQLModel, table=True):
    """The navigator's judgement of one probe against its criteria, with a short note."""

    __tablename__ = "chatbot_check_rating"
    __table_args__ = (UniqueConstraint("check_id", "probe"),)

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="chatbot_check.id", index=True)
    probe: str = Field(max_length=40)
    rating: str = Field(max_length=12)  # met | partly | not_met | untested
    note: str = Field(default="", max_length=500)


class CheckSettings(SQLModel, table=True):
    """A programme's own review period; without a row, the protocol's applies."""

    __tablename__ = "chatbot_check_settings"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", unique=True)
    review_months: int
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
