"""Tables for outreach sites, activities, their facts, and the trail of corrections.

Reports aggregate in SQL, so the tables are shaped for GROUP BY:
- an activity holds its single-valued facts and, as columns, the optional counts of people by
  age band and gender (a fixed list: summed directly, one pass for every breakdown);
- its multi-valued facts (languages, topics, digital tasks, referrals by kind) are rows of
  outreach_fact, one per (activity, kind, key), carrying a copy of the activity's filter columns
  so a report groups them without joining back to the activity.

Indexes that keep a report over 100,000 activities fast (see benchmarks/outreach.py); each is
covering, so SQLite reads only the index, in the order the GROUP BY needs:
- ix_outreach_activity_report (programme_id, held_on, site, setting, navigator, people, minutes,
  bands…): totals, months and breakdowns, with date ranges as index ranges;
- ix_outreach_activity_place (programme_id, site_id, setting, held_on, …): sites and settings;
- ix_outreach_activity_navigators (programme_id, navigator_id, held_on, …): per navigator;
- ix_outreach_activity_own (navigator_id, held_on): a navigator's own list and counts;
- ix_outreach_fact_report (programme_id, kind, key, held_on, …): languages, topics, tasks,
  referrals.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from navigator.db import utcnow


class OutreachSite(SQLModel, table=True):
    """A place where a programme's navigators hold outreach sessions."""

    __tablename__ = "outreach_site"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    name: str = Field(max_length=120)
    archived: bool = False  # kept for past activities, no longer offered for new ones
    created_at: datetime = Field(default_factory=utcnow)


AGE_COLUMNS = ("age_under_18", "age_18_29", "age_30_49", "age_50_64", "age_65_plus")
GENDER_COLUMNS = ("gender_woman", "gender_man", "gender_another", "gender_not_recorded")
BAND_COLUMNS = AGE_COLUMNS + GENDER_COLUMNS
_FILTERS = ("site_id", "setting", "navigator_id")


class OutreachActivity(SQLModel, table=True):
    """One outreach session a navigator held: counts only, nothing about who was reached."""

    __tablename__ = "outreach_activity"
    __table_args__ = (
        Index("ix_outreach_activity_report", "programme_id", "held_on", *_FILTERS, "people",
              "minutes", *BAND_COLUMNS),
        Index("ix_outreach_activity_place", "programme_id", "site_id", "setting", "held_on",
              "navigator_id", "people", "minutes", *BAND_COLUMNS),
        Index("ix_outreach_activity_navigators", "programme_id", "navigator_id", "held_on",
              "site_id", "setting", "people"),
        Index("ix_outreach_activity_own", "navigator_id", "held_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Made when the form is shown; a resubmitted form finds its activity instead of a twin.
    submission_key: str = Field(max_length=40, unique=True)
    programme_id: int = Field(foreign_key="programme.id")
    navigator_id: int = Field(foreign_key="user.id")
    held_on: date
    minutes: int
    setting: str = Field(max_length=20)
    site_id: int | None = Field(default=None, foreign_key="outreach_site.id")  # None: other
    people: int
    # People reached by age band and by gender, where the navigator counted (None: not given).
    age_under_18: int | None = None
    age_18_29: int | None = None
    age_30_49: int | None = None
    age_50_64: int | None = None
    age_65_plus: int | None = None
    gender_woman: int | None = None
    gender_man: int | None = None
    gender_another: int | None = None
    gender_not_recorded: int | None = None
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


FACT_KINDS = ("language", "topic", "task", "referral")


class OutreachFact(SQLModel, table=True):
    """A language, topic ('course/module'), digital task or referral kind of one activity.

    The activity's filter columns are copied here (and rewritten with it) so reports group
    facts straight from the covering index.
    """

    __tablename__ = "outreach_fact"
    __table_args__ = (
        Index("ix_outreach_fact_report", "programme_id", "kind", "key", "held_on", *_FILTERS,
              "people", "count"),
    )

    activity_id: int = Field(foreign_key="outreach_activity.id", primary_key=True)
    kind: str = Field(max_length=10, primary_key=True)
    key: str = Field(max_length=161, primary_key=True)
    count: int = 1  # referrals of this kind made; 1 for the other kinds
    programme_id: int = Field(foreign_key="programme.id")
    held_on: date
    site_id: int | None = Field(default=None, foreign_key="outreach_site.id")
    setting: str = Field(max_length=20)
    navigator_id: int = Field(foreign_key="user.id")
    people: int


class OutreachChange(SQLModel, table=True):
    """One edit of an activity: who, when, and the changed facts before and after."""

    __tablename__ = "outreach_change"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="outreach_activity.id", index=True)
    changed_by: int = Field(foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)
    before: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str = Field(default="", max_length=200)
