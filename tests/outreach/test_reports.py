"""Reports add up to the raw data, whatever the filters; sharing hides small counts safely."""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlmodel import select

from navigator.db import utcnow
from navigator.learning import services as learning
from navigator.learning.models import Course, Lesson, Module
from navigator.outreach import reports, sample
from navigator.outreach.models import OutreachActivity, OutreachFact
from navigator.outreach.reports import Filters
from navigator.outreach.services import add_site
from tests.learning.packages import import_and_offer, write_package
from tests.outreach.helpers import log


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def generated(ctx, session):
    """Four hundred random activities by twelve navigators over five months."""
    programme = sample.generate(session, programme_name="Sampled", activities=400,
                                navigators=12, months=5, seed=7)
    session.commit()
    return programme


def raw(session, programme_id, keep=lambda a: True):
    """The activities and their facts, straight from the tables, filtered in Python."""
    acts = [a for a in session.exec(select(OutreachActivity).where(
        OutreachActivity.programme_id == programme_id)) if keep(a)]
    ids = {a.id for a in acts}
    facts = [f for f in session.exec(select(OutreachFact)) if f.activity_id in ids]
    return acts, facts


def table(report, key):
    return next(t for t in report.tables + report.crosstabs if t.key == key)


def values(t, column=0):
    return {row.key: row.cells[column].value for row in t.rows}


CUTOFF = utcnow().date() - timedelta(days=60)  # once: a run may cross midnight
FILTERS = [
    ({}, lambda a: True),
    ({"date_from": CUTOFF}, lambda a: a.held_on >= CUTOFF),
    ({"setting": "clinic"}, lambda a: a.setting == "clinic"),
    ({"site": "other"}, lambda a: a.site_id is None),
]


@pytest.mark.parametrize(("given", "keep"), FILTERS)
def test_report_sums_equal_the_raw_data(session, generated, given, keep):
    acts, facts = raw(session, generated.id, keep)
    report = reports.build(session, generated.id, Filters(**given), locale="en")
    headline = {name: cell.value for name, cell in report.headline}
    assert headline["Activities"] == len(acts)
    assert headline["People reached"] == sum(a.people for a in acts)
    assert headline["Navigators who logged outreach"] == len({a.navigator_id for a in acts})
    assert headline["Referrals made"] == sum(f.count for f in facts if f.kind == "referral")
    assert report.hours == round(sum(a.minutes for a in acts) / 60, 1)

    months = table(report, "month")
    by_month = Counter(f"{a.held_on:%Y-%m}" for a in acts)
    assert {k: v for k, v in values(months).items() if v} == dict(by_month)
    assert months.total.cells[1].value == sum(a.people for a in acts)

    setting = values(table(report, "setting"), 1)
    people_by_setting = defaultdict(int)
    for a in acts:
        people_by_setting[a.setting] += a.people
    assert {k: v for k, v in setting.items() if v} == dict(people_by_setting)

    sites = values(table(report, "site"))
    assert {k: v for k, v in sites.items() if v} == dict(Counter(
        "other" if a.site_id is None else str(a.site_id) for a in acts))
    assert values(table(report, "navigator")) == dict(Counter(str(a.navigator_id)
                                                              for a in acts))
    for kind in ("language", "topic", "task"):
        assert {k: v for k, v in values(table(report, kind)).items() if v} == dict(Counter(
            f.key for f in facts if f.kind == kind)), kind
    referrals = defaultdict(int)
    for f in facts:
        if f.kind == "referral":
            referrals[f.key] += f.count
    assert {k: v for k, v in values(table(report, "referral")).items() if v} == referrals

    women = sum(a.gender_woman or 0 for a in acts)
    young = sum(a.age_under_18 or 0 for a in acts)
    assert values(table(report, "gender"))["woman"] == women
    assert values(table(report, "age"))["under_18"] == young
    counted = sum(sum(getattr(a, c) or 0 for c in (
        "age_under_18", "age_18_29", "age_30_49", "age_50_64", "age_65_plus")) for a in acts)
    assert values(table(report, "age"))["not_recorded"] == sum(a.people for a in acts) - counted
    # The crosstab's rows and margins agree with the tables beside it.
    cross = table(report, "age-by-month")
    assert [row.cells[-1].value for row in cross.rows] == [
        row.cells[1].value for row in months.rows]
    assert [c.value for c in cross.total.cells[:-1]] == [
        row.cells[0].value for row in table(report, "age").rows]


def test_filter_by_navigator_and_site(session, generated):
    acts, _facts = raw(session, generated.id)
    someone, place = acts[0].navigator_id, next(a.site_id for a in acts if a.site_id)
    mine = [a for a in acts if a.navigator_id == someone and a.site_id == place]
    report = reports.build(session, generated.id, Filters(navigator_id=someone, site=place),
                           locale="en")
    assert report.headline[0][1].value == len(mine)
    assert values(table(report, "navigator")) == ({str(someone): len(mine)} if mine else {})


@pytest.mark.parametrize("by", ["site", "setting"])
def test_breakdowns_by_place(session, generated, by):
    acts, _facts = raw(session, generated.id)
    report = reports.build(session, generated.id, Filters(), locale="en", by=by)
    cross = table(report, f"gender-by-{by}")
    women = defaultdict(int)
    for a in acts:
        key = a.setting if by == "setting" else ("other" if a.site_id is None else str(a.site_id))
        women[key] += a.gender_woman or 0
    assert {row.key: row.cells[0].value for row in cross.rows if row.cells[0].value} == {
        k: v for k, v in women.items() if v}


def test_an_empty_programme_reports_zeros(session, ctx, make_programme):
    report = reports.build(session, make_programme().id, Filters(), locale="en", share=True)
    assert [cell.value for _name, cell in report.headline] == [0, 0, 0, 0]
    assert table(report, "month").rows == [] and table(report, "navigator").rows == []
    assert all(cell.mark == "" for _n, cell in report.headline)


def test_sharing_hides_small_counts_and_keeps_the_rest(ctx, session):
    small = sample.generate(session, programme_name="Small", activities=40, navigators=6,
                            months=4, seed=3)
    plain = reports.build(session, small.id, Filters(), locale="en")
    shared = reports.build(session, small.id, Filters(), locale="en", share=True, threshold=5)
    hidden = 0
    for a, b in zip(plain.tables + plain.crosstabs, shared.tables + shared.crosstabs,
                    strict=True):
        for row_a, row_b in zip(a.rows + [a.total] * bool(a.total),
                                b.rows + [b.total] * bool(b.total), strict=True):
            for cell_a, cell_b in zip(row_a.cells, row_b.cells, strict=True):
                assert cell_a.value == cell_b.value
                if 0 < cell_b.value < 5:
                    assert cell_b.mark == "<5" and cell_b.shown is None
                hidden += bool(cell_b.mark)
                if not cell_b.mark:
                    assert str(cell_b) == str(cell_a.value)
        # No column of a table that adds up has exactly one hidden count.
        if b.total:
            for c in range(len(b.columns)):
                column = [row.cells[c] for row in b.rows + [b.total]]
                assert sum(bool(cell.mark) for cell in column) != 1, (b.key, c)
    assert hidden
    # Navigators are numbered, not named, in a shared report.
    labels = [row.label for row in table(shared, "navigator").rows]
    assert labels == [f"Navigator {i}" for i in range(1, len(labels) + 1)]
    # The people column of the month table and the crosstab's totals hide the same cells.
    months, cross = table(shared, "month"), table(shared, "age-by-month")
    assert [row.cells[1].mark for row in months.rows] == [
        row.cells[-1].mark for row in cross.rows]


def test_certified_and_not_yet_certified(session, generated):
    acts, _facts = raw(session, generated.id)
    certified = {acts[0].navigator_id, acts[1].navigator_id}
    split = reports.certification_split(session, generated.id, Filters(), certified)
    assert [g.label for g in split] == ["Certified", "Not yet certified"]
    assert split[0].activities == sum(a.navigator_id in certified for a in acts)
    assert split[0].activities + split[1].activities == len(acts)
    assert split[0].navigators == len(certified) and split[1].navigators == 12 - len(certified)
    assert split[0].people + split[1].people == sum(a.people for a in acts)


def test_training_linked_to_outreach(ctx, session, tmp_path, make_programme, make_user):
    programme = make_programme("Trained")
    trained, untrained = make_user("navigator", programme), make_user("navigator", programme)
    import_and_offer(session, write_package(tmp_path), programme.id)
    course = session.exec(select(Course).where(Course.slug == "demo")).one()
    learning.enrollment(session, trained.id, course)
    m2 = session.exec(select(Module).where(Module.slug == "m2")).one()
    for lesson in session.exec(select(Lesson).where(Lesson.module_id == m2.id)):
        learning.complete_lesson(session, trained.id, lesson.id)
    session.commit()
    log(session, trained, programme, topics=["demo/m1", "demo/m2"])
    log(session, untrained, programme, topics=["demo/m2"])
    links = {link.key: link for link in reports.training_links(session, programme.id,
                                                               Filters(), locale="en")}
    assert links["demo/m1"].title == "First module"
    assert (links["demo/m1"].completed, links["demo/m1"].covered) == (0, 1)
    m2_link = links["demo/m2"]
    assert (m2_link.completed, m2_link.covered, m2_link.covered_completed,
            m2_link.covered_not_completed) == (1, 2, 1, 1)


def test_sites_without_activity_still_show(ctx, session, make_programme, make_user):
    from navigator.accounts.services import principal

    programme = make_programme()
    manager = make_user("manager", programme)
    add_site(session, principal(session, manager), programme.id, "Quiet corner")
    session.commit()
    report = reports.build(session, programme.id, Filters(), locale="en")
    assert [row.label for row in table(report, "site").rows] == ["Quiet corner"]
