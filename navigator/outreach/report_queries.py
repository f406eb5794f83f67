"""The four GROUP BY queries a programme report is built from, and the Filters that narrow them.

Each is read from a covering index (see models.py): activities by day, by site and setting, by
navigator, and facts by kind and key.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, func, select

from navigator.outreach.models import BAND_COLUMNS, OutreachActivity, OutreachFact

A = OutreachActivity
F = OutreachFact
OTHER_SITE = "other"


@dataclass
class Filters:
    """Which activities a report counts; None means no restriction."""

    date_from: date | None = None
    date_to: date | None = None
    site: int | str | None = None  # a site id, or OTHER_SITE for places not on the list
    setting: str | None = None
    navigator_id: int | None = None

    def where(self, programme_id: int, model=OutreachActivity) -> list:
        """Conditions on the activity table, or on the fact table's copies of its columns."""
        conditions = [model.programme_id == programme_id]
        if self.date_from:
            conditions.append(model.held_on >= self.date_from)
        if self.date_to:
            conditions.append(model.held_on <= self.date_to)
        if self.site == OTHER_SITE:
            conditions.append(model.site_id.is_(None))
        elif self.site is not None:
            conditions.append(model.site_id == self.site)
        if self.setting:
            conditions.append(model.setting == self.setting)
        if self.navigator_id:
            conditions.append(model.navigator_id == self.navigator_id)
        return conditions

# --- the four queries ----------------------------------------------------------------------

@dataclass
class _Sums:
    """Activities, people, minutes and people per band column, added up over some group."""

    activities: int = 0
    people: int = 0
    minutes: int = 0
    bands: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAND_COLUMNS, 0))

    def add(self, other: "_Sums") -> None:
        self.activities += other.activities
        self.people += other.people
        self.minutes += other.minutes
        for column, n in other.bands.items():
            self.bands[column] += n


# Plain SUM (NULL for a group of NULLs, made 0 in Python): COALESCE on every row costs time.
def _measures(bands: bool):
    return [func.count(), func.sum(A.people), func.sum(A.minutes),
            *(func.sum(getattr(A, column)) for column in (BAND_COLUMNS if bands else ()))]


def _sums(row) -> _Sums:
    activities, people, minutes, *bands = (n or 0 for n in row)
    return _Sums(activities, people, minutes,
                 dict(zip(BAND_COLUMNS, bands, strict=True)) if bands else
                 dict.fromkeys(BAND_COLUMNS, 0))


def _by_day(s: Session, where: list) -> dict[date, _Sums]:
    rows = s.exec(select(A.held_on, *_measures(True)).where(*where).group_by(A.held_on)).all()
    return {row[0]: _sums(row[1:]) for row in rows}


def _by_place(s: Session, where: list, bands: bool) -> list[tuple[int | None, str, _Sums]]:
    """Sums by site and setting; people by band only when a breakdown by place needs them."""
    rows = s.exec(select(A.site_id, A.setting, *_measures(bands)).where(*where)
                  .group_by(A.site_id, A.setting)).all()
    return [(row[0], row[1], _sums(row[2:])) for row in rows]


def _by_navigator(s: Session, where: list) -> dict[int, tuple[int, int]]:
    rows = s.exec(select(A.navigator_id, func.count(), func.sum(A.people))
                  .where(*where).group_by(A.navigator_id)).all()
    return {uid: (n, people or 0) for uid, n, people in rows}


FactSums = dict[str, dict[str, tuple[int, int, int]]]


def _by_fact(s: Session, where: list) -> FactSums:
    """kind → key → (activities, people in them, count: referrals made)."""
    rows = s.exec(select(F.kind, F.key, func.count(), func.sum(F.people), func.sum(F.count))
                  .where(*where).group_by(F.kind, F.key)).all()
    out: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for kind, key, n, people, count in rows:
        out[kind][key] = (n, people or 0, count or 0)
    return out

