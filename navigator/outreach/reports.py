"""Programme reports: totals and trends aggregated in SQL, labelled, and suppressed for sharing.

A whole report is four GROUP BY queries (report_queries.py): activities by day (months, totals,
age and gender), by site and setting, by navigator, and facts by kind and key (languages, topics,
tasks, referrals). Python only adds up the few hundred rows they return. Training linked to
outreach is in report_training.py; its names stay importable from here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from sqlmodel import Session, select

from navigator.accounts.models import User
from navigator.i18n import _
from navigator.learning.services import module_topics
from navigator.outreach import suppression
from navigator.outreach.models import OutreachSite
from navigator.outreach.report_queries import (
    OTHER_SITE,
    A,
    F,
    FactSums,
    Filters,
    _by_day,
    _by_fact,
    _by_navigator,
    _by_place,
    _measures,
    _Sums,
    _sums,
)
from navigator.outreach.report_training import (
    GroupActivity,
    TopicLink,
    _navigator_ids,
    certification_split,
    training_links,
)
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    GENDERS,
    REFERRAL_KINDS,
    SETTINGS,
    label,
    language_label,
)

__all__ = [
    "CROSS_BY", "NOT_RECORDED", "OTHER_SITE", "A", "Cell", "F", "FactSums", "Filters",
    "GroupActivity", "Report", "Row", "Table", "TopicLink", "_Sums", "_by_day", "_by_fact",
    "_by_navigator", "_by_place", "_measures", "_navigator_ids", "_sums", "build",
    "certification_split", "month_label", "training_links",
]

NOT_RECORDED = "not_recorded"
CROSS_BY = ("month", "site", "setting")


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

