"""Programme reports: totals and trends aggregated in SQL, labelled, and suppressed for sharing.

A whole report is four GROUP BY queries, each read from a covering index (see models.py):
activities by day (months, totals, age and gender), by site and setting, by navigator, and
facts by kind and key (languages, topics, tasks, referrals). Python only adds up the few
hundred rows they return.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from sqlmodel import Session, func, select

from navigator.accounts.models import Membership, User
from navigator.i18n import _
from navigator.learning.services import completed_module_keys, module_topics
from navigator.outreach import suppression
from navigator.outreach.models import BAND_COLUMNS, OutreachActivity, OutreachFact, OutreachSite
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    GENDERS,
    REFERRAL_KINDS,
    SETTINGS,
    label,
    language_label,
)

A = OutreachActivity
F = OutreachFact
NOT_RECORDED = "not_recorded"
OTHER_SITE = "other"
CROSS_BY = ("month", "site", "setting")


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


@dataclass
class Cell:
    """A count, the mark that replaces it when hidden for sharing, and how a page writes it."""

    value: int
    mark: str = ""
    text: str = ""

    def __str__(self) -> str:
        return self.mark or str(self.value)

    @property
    def shown(self) -> int | None:
        return None if self.mark else self.value


@dataclass
class Row:
    key: str
    label: str
    cells: list[Cell]


@dataclass
class Table:
    """One report table: rows of counts, an optional totals row, and how to chart it."""

    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[Row]
    total: Row | None = None
    chart: str = "bar"      # "bar", "line" or "" for none
    chart_column: int = 0
    note: str = ""


@dataclass
class Report:
    """Everything the report page and the summary export show."""

    headline: list[tuple[str, Cell]]
    hours: float
    tables: list[Table]
    crosstabs: list[Table] = field(default_factory=list)
    share: bool = False
    threshold: int = 5


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


# --- rows of a report --------------------------------------------------------------------------

@dataclass
class _Dimension:
    key: str
    title: str
    header: str
    rows: list[tuple[str, str, _Sums]]  # key, label, sums
    additive: bool = True


def _by_size(rows, *, by_people: bool = True):
    """Largest first by the charted measure (people reached, or activities), ties by name."""
    if by_people:
        return sorted(rows, key=lambda r: (-r[2].people, -r[2].activities, r[1].lower()))
    return sorted(rows, key=lambda r: (-r[2].activities, -r[2].people, r[1].lower()))


def month_label(key: str) -> str:
    """'2024-05' as the locale writes a month and year."""
    return format_date(date(int(key[:4]), int(key[5:]), 1), "LLL y")


def _months(days: dict[date, _Sums]) -> list[tuple[str, str, _Sums]]:
    """Every month from the first to the last with activity, gaps included as zero."""
    months: dict[str, _Sums] = defaultdict(_Sums)
    for day, sums in days.items():
        months[f"{day.year:04d}-{day.month:02d}"].add(sums)
    if not months:
        return []
    first, last = min(months), max(months)
    y, m = int(first[:4]), int(first[5:])
    rows = []
    while (key := f"{y:04d}-{m:02d}") <= last:
        rows.append((key, month_label(key), months.get(key, _Sums())))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return rows


def _simple(pairs: dict[str, tuple[int, int, int]], key: str) -> _Sums:
    n, people, _count = pairs.get(key, (0, 0, 0))
    return _Sums(n, people)


def _dimensions(s: Session, programme_id: int, filters: Filters, *, locale: str, share: bool,
                by: str) -> tuple[dict[str, _Dimension], FactSums]:
    where = filters.where(programme_id)
    dims: dict[str, _Dimension] = {}
    dims["month"] = _Dimension("month", _("By month"), _("Month"), _months(_by_day(s, where)))

    by_site: dict[int | None, _Sums] = defaultdict(_Sums)
    by_setting: dict[str, _Sums] = defaultdict(_Sums)
    for site_id, setting, sums in _by_place(s, where, bands=by != "month"):
        by_site[site_id].add(sums)
        by_setting[setting].add(sums)
    sites = s.exec(select(OutreachSite.id, OutreachSite.name, OutreachSite.archived)
                   .where(OutreachSite.programme_id == programme_id)).all()
    site_rows = [(str(sid), name, by_site.get(sid, _Sums())) for sid, name, archived in sites
                 if not archived or sid in by_site]
    if None in by_site:
        site_rows.append((OTHER_SITE, _("Other places"), by_site[None]))
    dims["site"] = _Dimension("site", _("By site"), _("Site"), _by_size(site_rows))
    dims["setting"] = _Dimension("setting", _("By setting"), _("Setting"), _by_size(
        [(k, label(SETTINGS, k), by_setting.get(k, _Sums()))
         for k in [*SETTINGS, *sorted(set(by_setting) - set(SETTINGS))]]))

    by_navigator = _by_navigator(s, where)
    names = dict(s.exec(select(User.id, User.display_name)
                        .where(User.id.in_(list(by_navigator) or [-1]))).all())
    nav_rows = _by_size([(str(uid), names.get(uid, ""), _Sums(n, p))
                         for uid, (n, p) in by_navigator.items()], by_people=False)
    if share:
        # People outside the programme need no staff names: numbered in the table's order.
        nav_rows = [(key, _("Navigator %(n)d", n=i), sums)
                    for i, (key, _name, sums) in enumerate(nav_rows, start=1)]
    dims["navigator"] = _Dimension("navigator", _("By navigator"), _("Navigator"), nav_rows)

    facts = _by_fact(s, filters.where(programme_id, F))
    languages = facts["language"]
    dims["language"] = _Dimension("language", _("By language"), _("Language"), _by_size(
        [(k, language_label(k), _simple(languages, k)) for k in languages]), additive=False)
    titles = dict(module_topics(s, programme_id, locale))
    topics = facts["topic"]
    dims["topic"] = _Dimension("topic", _("By topic"), _("Topic"), _by_size(
        [(k, titles.get(k, k), _simple(topics, k))
         for k in [*titles, *sorted(set(topics) - set(titles))]]), additive=False)
    tasks = facts["task"]
    dims["task"] = _Dimension("task", _("By digital task"), _("Digital task"), _by_size(
        [(k, label(DIGITAL_TASKS, k), _simple(tasks, k))
         for k in [*DIGITAL_TASKS, *sorted(set(tasks) - set(DIGITAL_TASKS))]]),
        additive=False)
    return dims, facts


# --- tables, with suppression when shared ------------------------------------------------------

def _mark_text(mark: str | None, threshold: int) -> str:
    if mark == suppression.PRIMARY:
        return f"<{threshold}"
    return "*" if mark else ""


def _cells(full: list[list[int]], marks: dict, r: int, threshold: int) -> list[Cell]:
    return [Cell(v, _mark_text(marks.get((r, c)), threshold)) for c, v in enumerate(full[r])]


def _measure_table(dim: _Dimension, share: bool, threshold: int, *, chart: str = "bar",
                   chart_column: int = 1) -> tuple[Table, dict]:
    """A dimension as activities and people per row; with the marks of its cells."""
    matrix = [[sums.activities, sums.people] for _k, _l, sums in dim.rows]
    full = matrix + ([[sum(r[0] for r in matrix), sum(r[1] for r in matrix)]]
                     if dim.additive else [])
    marks = {}
    if share and matrix:
        # Rows that overlap (a session in two languages) have no published total to subtract
        # from: primary suppression is all they need.
        full, marks = suppression.grid(matrix, threshold, row_sums=False,
                                       col_sums=dim.additive)
    rows = [Row(k, lbl, _cells(full, marks, r, threshold))
            for r, (k, lbl, _s) in enumerate(dim.rows)]
    total = Row("total", _("Total"), _cells(full, marks, len(dim.rows), threshold)) \
        if dim.additive else None
    note = "" if dim.additive else _("One session can count in several rows, so the rows do "
                                     "not add up to the total.")
    return Table(dim.key, dim.title, dim.header, [_("Activities"), _("People reached")], rows,
                 total, chart=chart, chart_column=chart_column, note=note), marks


def _single_column(key: str, title: str, header: str, column: str,
                   rows: list[tuple[str, str, int]], share: bool, threshold: int
                   ) -> tuple[Table, dict]:
    """A one-column table with its total; with the marks of its cells."""
    matrix = [[v] for _k, _l, v in rows]
    full, marks = matrix + [[sum(v for _k, _l, v in rows)]], {}
    if share and matrix:
        full, marks = suppression.grid(matrix, threshold, row_sums=False, col_sums=True)
    out = [Row(k, lbl, _cells(full, marks, r, threshold)) for r, (k, lbl, _v) in enumerate(rows)]
    return Table(key, title, header, [column], out,
                 Row("total", _("Total"), _cells(full, marks, len(rows), threshold))), marks


def _bands(dimension: str) -> list[tuple[str, str]]:
    """(band, label) of a breakdown, ending with those not recorded."""
    if dimension == "age":
        return [*((k, str(v)) for k, v in AGE_BANDS.items()), (NOT_RECORDED, _("Age not "
                                                                               "recorded"))]
    return [(k, str(v)) for k, v in GENDERS.items()]


def _distribution(dimension: str, sums: _Sums) -> list[int]:
    """People per band, with everyone not broken down counted as not recorded."""
    counts = {band: sums.bands.get(f"{dimension}_{band}", 0) for band, _l in _bands(dimension)}
    counts[NOT_RECORDED] += sums.people - sum(counts.values())
    return [counts[band] for band, _l in _bands(dimension)]


def _crosstab(dimension: str, dim: _Dimension, share: bool, threshold: int, *,
              row_marks: dict, band_marks: dict) -> Table:
    """People by the rows of a dimension and the bands of age or gender, with both margins."""
    bands = _bands(dimension)
    matrix = [_distribution(dimension, sums) for _k, _l, sums in dim.rows]
    n_rows, n_cols = len(matrix), len(bands)
    full = [r + [sum(r)] for r in matrix]
    full.append([sum(r[c] for r in full) for c in range(n_cols + 1)])
    marks = {}
    if share and matrix:
        # The margins are the people column of the dimension's table and the band table,
        # already decided: keeping their marks makes the tables on a page agree.
        fixed = {(r, n_cols): row_marks.get((r, 1)) for r in range(n_rows + 1)}
        fixed.update({(n_rows, c): band_marks.get((c, 0)) for c in range(n_cols + 1)})
        full, marks = suppression.grid(matrix, threshold, fixed=fixed)
    rows = [Row(k, lbl, _cells(full, marks, r, threshold))
            for r, (k, lbl, _s) in enumerate(dim.rows)]
    title = {("age", "month"): _("Age group by month"), ("age", "site"): _("Age group by site"),
             ("age", "setting"): _("Age group by setting"),
             ("gender", "month"): _("Gender by month"), ("gender", "site"): _("Gender by site"),
             ("gender", "setting"): _("Gender by setting")}[dimension, dim.key]
    return Table(f"{dimension}-by-{dim.key}", title, dim.header,
                 [label for _k, label in bands] + [_("Total")], rows,
                 Row("total", _("Total"), _cells(full, marks, n_rows, threshold)), chart="")


def build(s: Session, programme_id: int, filters: Filters, *, locale: str, share: bool = False,
          threshold: int = 5, by: str = "month", number=str) -> Report:
    """The programme's outreach report; `share` hides small counts for use outside it.

    `number` writes a count for a page (the locale's digit grouping); marks stand as they are.
    """
    by = by if by in CROSS_BY else "month"
    dims, facts = _dimensions(s, programme_id, filters, locale=locale, share=share, by=by)
    tables, margins = [], {}
    for key in ("month", "site", "setting", "language", "topic", "task", "navigator"):
        table, marks = _measure_table(dims[key], share, threshold,
                                      chart="line" if key == "month" else "bar",
                                      chart_column=0 if key == "navigator" else 1)
        tables.append(table)
        margins[key] = marks
    referrals = facts["referral"]
    ref_rows = sorted([(k, label(REFERRAL_KINDS, k), referrals.get(k, (0, 0, 0))[2]) for k in
                       [*REFERRAL_KINDS, *sorted(set(referrals) - set(REFERRAL_KINDS))]],
                      key=lambda r: (-r[2], r[1].lower()))
    table, _marks = _single_column("referral", _("Referrals by kind"), _("Kind of referral"),
                                   _("Referrals made"), ref_rows, share, threshold)
    tables.append(table)

    overall = _Sums()
    for _k, _l, sums in dims["month"].rows:
        overall.add(sums)
    crosstabs = []
    for dimension, title, header in (("age", _("People reached by age group"), _("Age group")),
                                     ("gender", _("People reached by gender"), _("Gender"))):
        counts = _distribution(dimension, overall)
        rows = [(k, lbl, n) for (k, lbl), n in zip(_bands(dimension), counts, strict=True)]
        table, marks = _single_column(dimension, title, header, _("People reached"), rows,
                                      share, threshold)
        table.chart, table.note = "bar", _("Counts where navigators recorded them; the rest "
                                           "are shown as not recorded.")
        tables.append(table)
        crosstabs.append(_crosstab(dimension, dims[by], share, threshold,
                                   row_marks=margins[by], band_marks=marks))
    headline = [(_("Activities"), overall.activities), (_("People reached"), overall.people),
                (_("Navigators who logged outreach"), len(dims["navigator"].rows)),
                (_("Referrals made"), sum(count for _n, _p, count in referrals.values()))]
    cells = [(name, Cell(v, f"<{threshold}" if share and 0 < v < threshold else ""))
             for name, v in headline]
    for cell in [c for _name, c in cells] + [
            c for table in [*tables, *crosstabs]
            for row in [*table.rows, *([table.total] if table.total else [])] for c in row.cells]:
        cell.text = cell.mark or number(cell.value)
    return Report(headline=cells, hours=round(overall.minutes / 60, 1), tables=tables,
                  crosstabs=crosstabs, share=share, threshold=threshold)


# --- training linked to outreach -----------------------------------------------------------

@dataclass
class TopicLink:
    """One curriculum module: who completed it, who covered it in outreach, and the overlap."""

    key: str
    title: str
    completed: int
    covered: int
    covered_completed: int

    @property
    def covered_not_completed(self) -> int:
        return self.covered - self.covered_completed


def _navigator_ids(s: Session, programme_id: int) -> set[int]:
    return set(s.exec(select(Membership.user_id).where(
        Membership.programme_id == programme_id, Membership.role == "navigator")))


def training_links(s: Session, programme_id: int, filters: Filters, *, locale: str
                   ) -> list[TopicLink]:
    """Per module: navigators who completed it against navigators who covered it in outreach."""
    covered: dict[str, set[int]] = defaultdict(set)
    for topic, uid in s.exec(select(F.key, F.navigator_id).distinct().where(
            F.kind == "topic", *filters.where(programme_id, F))):
        covered[topic].add(uid)
    navigators = _navigator_ids(s, programme_id).union(*covered.values())
    if filters.navigator_id:
        navigators &= {filters.navigator_id}
    completed: dict[str, set[int]] = defaultdict(set)
    for uid in navigators:
        for key in completed_module_keys(s, uid):
            completed[key].add(uid)
    titles = dict(module_topics(s, programme_id, locale))
    return [TopicLink(key, titles.get(key, key), len(completed[key]), len(covered[key]),
                      len(covered[key] & completed[key]))
            for key in [*titles, *sorted(set(covered) - set(titles))]]


@dataclass
class GroupActivity:
    """Outreach by one group of navigators (certified, not yet certified)."""

    label: str
    navigators: int
    active: int
    activities: int
    people: int

    @property
    def per_navigator(self) -> float:
        return round(self.activities / self.navigators, 1) if self.navigators else 0.0


def certification_split(s: Session, programme_id: int, filters: Filters,
                        certified_ids: set[int]) -> list[GroupActivity]:
    """Outreach by the programme's certified and not-yet-certified navigators.

    Certification passes the ids of the certified: outreach never asks it (it sits below).
    """
    members = _navigator_ids(s, programme_id)
    groups = {True: [0, 0, 0, 0], False: [0, 0, 0, 0]}  # navigators, active, acts, people
    for uid in members:
        groups[uid in certified_ids][0] += 1
    for uid, (n, people) in _by_navigator(s, filters.where(programme_id)).items():
        group = groups[uid in certified_ids]
        group[0] += uid not in members  # logged here, and has left the programme since
        group[1] += 1
        group[2] += n
        group[3] += people
    return [GroupActivity(_("Certified"), *groups[True]),
            GroupActivity(_("Not yet certified"), *groups[False])]
