"""CSV exports: streamed, UTF-8 with a byte-order mark, and safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator

from sqlmodel import Session, select

from navigator.accounts.models import User
from navigator.i18n import _
from navigator.outreach.models import OutreachActivity, OutreachFact, OutreachSite
from navigator.outreach.reports import Filters, Report
from navigator.outreach.vocabulary import (
    AGE_BANDS,
    DIGITAL_TASKS,
    GENDERS,
    REFERRAL_KINDS,
    SETTINGS,
    label,
    language_label,
)
from navigator.spreadsheets import safe_cell

BATCH = 1000


def stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text in chunks; the byte-order mark lets spreadsheets read non-Latin scripts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def summary_header() -> list[str]:
    return [_("Table"), _("Row"), _("Measure"), _("Value")]


def summary_rows(report: Report) -> Iterator[list]:
    """Every figure of a report, one per line: table, row, measure, value (or its mark)."""
    summary = _("Summary")
    for name, cell in report.headline:
        yield [summary, "", name, str(cell)]
    yield [summary, "", _("Hours of outreach"), report.hours]
    for table in [*report.tables, *report.crosstabs]:
        for row in [*table.rows, *([table.total] if table.total else [])]:
            for column, cell in zip(table.columns, row.cells, strict=True):
                yield [table.title, row.label, column, str(cell)]


def activity_header() -> list[str]:
    return [_("Activity"), _("Date"), _("Navigator"), _("Site"), _("Setting"),
            _("Length in minutes"), _("People reached"), _("Languages used"),
            *(str(v) for v in AGE_BANDS.values()), *(str(v) for v in GENDERS.values()),
            _("Topics covered"), _("Digital tasks"),
            *(str(v) for v in REFERRAL_KINDS.values()), _("Note"), _("Logged at")]


def activity_rows(s: Session, programme_id: int, filters: Filters,
                  topic_titles: dict[str, str]) -> Iterator[list]:
    """One line per activity, read in batches so a large programme streams steadily."""
    A = OutreachActivity
    sites = dict(s.exec(select(OutreachSite.id, OutreachSite.name)
                        .where(OutreachSite.programme_id == programme_id)).all())
    last_id = 0
    while True:
        batch = s.exec(select(A, User.display_name).join(User, User.id == A.navigator_id)
                       .where(*filters.where(programme_id), A.id > last_id)
                       .order_by(A.id).limit(BATCH)).all()
        if not batch:
            return
        last_id = batch[-1][0].id
        facts = _facts(s, [a.id for a, _name in batch])
        for activity, name in batch:
            multi = facts.get(activity.id, {})
            referrals = multi.get("referral", {})
            yield [activity.id, activity.held_on.isoformat(), name,
                   sites.get(activity.site_id, _("Other place")),
                   label(SETTINGS, activity.setting), activity.minutes, activity.people,
                   "; ".join(language_label(c) for c in multi.get("language", {})),
                   *(_blank(getattr(activity, f"age_{b}")) for b in AGE_BANDS),
                   *(_blank(getattr(activity, f"gender_{b}")) for b in GENDERS),
                   "; ".join(topic_titles.get(t, t) for t in multi.get("topic", {})),
                   "; ".join(label(DIGITAL_TASKS, t) for t in multi.get("task", {})),
                   *(referrals.get(k, "") for k in REFERRAL_KINDS), activity.note,
                   activity.created_at.isoformat(timespec="minutes")]


def _blank(value):
    return "" if value is None else value


def _facts(s: Session, ids: list[int]) -> dict[int, dict[str, dict[str, int]]]:
    """The multi-valued facts of a batch of activities: activity → kind → key → count."""
    out: dict[int, dict[str, dict[str, int]]] = {}
    for aid, kind, key, count in s.exec(
            select(OutreachFact.activity_id, OutreachFact.kind, OutreachFact.key,
                   OutreachFact.count).where(OutreachFact.activity_id.in_(ids))
            .order_by(OutreachFact.activity_id, OutreachFact.kind, OutreachFact.key)):
        out.setdefault(aid, {}).setdefault(kind, {})[key] = count
    return out
