"""What a navigator enters about a session, the limits it keeps, and the check of it."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from navigator.db import utcnow
from navigator.errors import Invalid
from navigator.i18n import _
from navigator.learning.services import module_topics
from navigator.outreach.hints import personal_data_hints
from navigator.outreach.models import OutreachSite
from navigator.outreach.vocabulary import (
    BREAKDOWNS,
    DIGITAL_TASKS,
    LANGUAGE_CODES,
    REFERRAL_KINDS,
    SETTINGS,
)

MAX_MINUTES = 24 * 60
MAX_PEOPLE = 10_000
NOTE_LENGTH = 500
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
# ActivityInput's multi-valued facts, by the kind they are stored under in outreach_fact.
FACT_FIELDS = {"language": "languages", "topic": "topics", "task": "tasks"}


class NoteWarning(Invalid):
    """The note looks like it holds personal data; saving needs the person's confirmation."""

    def __init__(self, kinds: list[str]):
        super().__init__(_("This note may contain personal data. Remove names, phone numbers, "
                           "e-mail addresses and ID numbers, or confirm that it has none."),
                         field="note")
        self.kinds = kinds


@dataclass
class ActivityInput:
    """What a navigator tells us about one session."""

    held_on: date
    minutes: int
    setting: str
    site_id: int | None  # None: a place not on the programme's list
    languages: list[str]
    people: int
    age: dict[str, int] = field(default_factory=dict)      # band → people, where recorded
    gender: dict[str, int] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)        # "course/module" keys
    tasks: list[str] = field(default_factory=list)
    referrals: dict[str, int] = field(default_factory=dict)  # kind → referrals made
    note: str = ""


def topic_choices(s: Session, programme_id: int, locale: str,
                  keep: list[str] = ()) -> list[tuple[str, str]]:
    """The programme's curriculum modules as (key, title), plus kept keys no longer offered."""
    topics = module_topics(s, programme_id, locale)
    known = {key for key, _title in topics}
    return topics + [(key, key) for key in keep if key not in known]


def validate(s: Session, programme_id: int, data: ActivityInput, *, keep_site: int | None = None,
             keep_topics: list[str] = (), confirm_note: bool = False) -> None:
    """Raise Invalid naming the first field that breaks a rule."""
    today = utcnow().date()
    # A day's grace: navigators ahead of UTC log sessions held on their own today.
    if data.held_on > today + timedelta(days=1):
        raise Invalid(_("The date cannot be in the future."), field="held_on")
    if data.held_on < date(2000, 1, 1):
        raise Invalid(_("Check the year of the date."), field="held_on")
    if not 1 <= data.minutes <= MAX_MINUTES:
        raise Invalid(_("Give the length in minutes, from 1 to %(n)d.", n=MAX_MINUTES),
                      field="minutes")
    if data.setting not in SETTINGS:
        raise Invalid(_("Choose one of the listed settings."), field="setting")
    if data.site_id is not None:
        site = s.get(OutreachSite, data.site_id)
        if (site is None or site.programme_id != programme_id
                or site.archived and site.id != keep_site):
            raise Invalid(_("Choose one of the listed sites."), field="site")
    if not data.languages:
        raise Invalid(_("Choose at least one language."), field="languages")
    if set(data.languages) - set(LANGUAGE_CODES):
        raise Invalid(_("Choose from the listed languages."), field="languages")
    if not 1 <= data.people <= MAX_PEOPLE:
        raise Invalid(_("Give the number of people, from 1 to %(n)d.", n=MAX_PEOPLE),
                      field="people")
    for dimension, counts in (("age", data.age), ("gender", data.gender)):
        if set(counts) - set(BREAKDOWNS[dimension]) or any(n < 0 for n in counts.values()):
            raise Invalid(_("Give counts of 0 or more."), field=f"{dimension}_total")
        total = sum(counts.values())
        if total > data.people:
            message = (_("The age groups add up to %(sum)d, more than the %(total)d people "
                         "reached.", sum=total, total=data.people) if dimension == "age" else
                       _("The genders add up to %(sum)d, more than the %(total)d people "
                         "reached.", sum=total, total=data.people))
            raise Invalid(message, field=f"{dimension}_total")
    offered = {key for key, _title in topic_choices(s, programme_id, "en", keep_topics)}
    if set(data.topics) - offered:
        raise Invalid(_("Choose from the listed topics."), field="topics")
    if set(data.tasks) - set(DIGITAL_TASKS):
        raise Invalid(_("Choose from the listed digital tasks."), field="tasks")
    if set(data.referrals) - set(REFERRAL_KINDS) or any(n < 0 for n in data.referrals.values()):
        raise Invalid(_("Give counts of 0 or more."), field="referrals")
    if len(data.note) > NOTE_LENGTH:
        raise Invalid(_("Keep the note under %(n)d characters.", n=NOTE_LENGTH), field="note")
    kinds = personal_data_hints(data.note)
    if kinds and not confirm_note:
        raise NoteWarning(kinds)
