"""Tables for trainers' corpus and scenario edits per programme, and navigators' saved runs."""

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from navigator.db import utcnow
from navigator.secretbox import EncryptedText


class CorpusEdit(SQLModel, table=True):
    """One version of a corpus text in a programme; the highest version is in force.

    A reset version (is_reset) puts the shipped text back in force; older versions are kept.
    """

    __table_args__ = (UniqueConstraint("programme_id", "corpus", "locale", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    corpus: str = Field(max_length=40)
    locale: str = Field(max_length=8)
    version: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    is_reset: bool = False
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class PersonalCorpus(SQLModel, table=True):
    """One version of a navigator's own copy of a corpus text; theirs alone, never shared.

    It changes only the model that person sees, so they can balance a skewed text, retrain and
    compare without touching anyone else's sandbox. A reset version puts the shipped text back.
    """

    __table_args__ = (UniqueConstraint("user_id", "corpus", "locale", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    corpus: str = Field(max_length=40)
    locale: str = Field(max_length=8)
    version: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    is_reset: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ScenarioEdit(SQLModel, table=True):
    """One version of a scenario (settings and texts in every locale) in a programme.

    A scenario name the package does not ship is one the programme's trainers created; a reset
    version removes it again, or puts the shipped scenario back in force.
    """

    __table_args__ = (UniqueConstraint("programme_id", "name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    name: str = Field(max_length=60)
    version: int
    document: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    is_reset: bool = False
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class SavedRun(SQLModel, table=True):
    """A run a navigator chose to keep: what they asked and what the model wrote. Theirs alone."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=20)
    scenario: str = Field(default="", max_length=60)
    title: str = Field(default="", max_length=200)
    prompt: str = Field(default="", sa_column=Column(Text, nullable=False))
    settings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    engine: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class LlmEndpoint(SQLModel, table=True):
    """A real model's OpenAI-compatible endpoint, set up by an administrator.

    The API key stays on the server: pages say only whether one is set, and repr leaves it out.
    It is stored encrypted (navigator.secretbox), with a key that is not in the database.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    base_url: str = Field(max_length=500)
    model: str = Field(max_length=200)
    api_key: str = Field(default="", repr=False,
                         sa_column=Column(EncryptedText, nullable=False, default=""))
    paid: bool = False  # paid per use: stricter limits per person
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PreferenceChoice(SQLModel, table=True):
    """One choice a navigator made between two answers: theirs alone, and deleted on reset.

    The answers are kept as shown, so the reward model learned from them can be fitted again;
    round numbers are unique per person and language, so a form sent twice counts once.
    """

    __table_args__ = (UniqueConstraint("user_id", "locale", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    locale: str = Field(max_length=8)
    round: int
    question: str = Field(default="", sa_column=Column(Text, nullable=False))
    chosen: str = Field(default="", sa_column=Column(Text, nullable=False))
    passed: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
