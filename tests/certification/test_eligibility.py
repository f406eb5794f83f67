"""The track rules as plain functions: modules, quizzes, final pass mark, outreach, sign-off."""

from datetime import date

from navigator.certification.eligibility import (
    Facts,
    ModuleFacts,
    Track,
    add_months,
    evaluate,
    expiry,
    renewal_opens,
)

TRACK = Track.parse({"id": "t", "title": "T", "modules": "all", "final_pass_mark": 80,
                     "outreach_sessions": 3, "trainer_signoff": False, "valid_months": 24})


def module(slug="m1", done=2, total=2, passed=True, best=90):
    return ModuleFacts(slug, done, total, True, passed, best, 70)


def facts(**overrides):
    values = dict(modules=(module("m1"), module("m2")), has_final=True, final_best=85,
                  final_quiz_mark=50, outreach_sessions=3)
    return Facts(**{**values, **overrides})


def test_parse_reads_the_course_yaml_track():
    assert TRACK.modules is None and TRACK.final_pass_mark == 80 and TRACK.valid_months == 24
    listed = Track.parse({"id": "x", "modules": ["m2"]})
    assert listed.modules == ("m2",) and listed.requires("m2") and not listed.requires("m1")
    assert listed.final_pass_mark is None and listed.outreach_sessions == 0
    assert Track.parse({}) is None and Track.parse(None) is None


def test_everything_met_is_eligible():
    result = evaluate(TRACK, facts())
    assert result.met and result.eligible and not result.remaining
    assert [r.kind for r in result.requirements] == ["module", "module", "final", "outreach"]


def test_an_unread_lesson_or_unpassed_quiz_leaves_the_module_open():
    unread = evaluate(TRACK, facts(modules=(module("m1", done=1), module("m2"))))
    failed = evaluate(TRACK, facts(modules=(module("m1"), module("m2", passed=False, best=60))))
    for result in (unread, failed):
        assert not result.met and not result.eligible
        assert [r.kind for r in result.remaining] == ["module"]


def test_the_tracks_final_pass_mark_wins_over_the_quizs_own():
    # 75 passes the final quiz itself (50) but not the track (80).
    result = evaluate(TRACK, facts(final_best=75))
    assert not result.met
    final = next(r for r in result.requirements if r.kind == "final")
    assert (final.have, final.need, final.done) == (75, 80, False)
    no_mark = Track.parse({"id": "t", "modules": "all"})
    assert evaluate(no_mark, facts(final_best=75)).met  # falls back to the quiz's 50


def test_a_final_never_taken_is_not_met():
    assert not evaluate(TRACK, facts(final_best=None)).met


def test_modules_outside_the_track_do_not_count():
    only_m2 = Track.parse({"id": "t", "modules": ["m2"]})
    result = evaluate(only_m2, facts(modules=(module("m1", done=0), module("m2"))))
    assert result.met and [r.key for r in result.requirements if r.kind == "module"] == ["m2"]


def test_outreach_sessions_are_counted():
    result = evaluate(TRACK, facts(outreach_sessions=2))
    outreach = next(r for r in result.requirements if r.kind == "outreach")
    assert (outreach.have, outreach.need, result.met) == (2, 3, False)


def test_a_trainer_signoff_is_asked_only_once_the_rest_is_met():
    track = Track.parse({"id": "t", "modules": "all", "trainer_signoff": True})
    waiting = evaluate(track, facts())
    assert waiting.met and not waiting.eligible and waiting.needs_signoff
    assert evaluate(track, facts(signoff="pending")).eligible is False
    assert evaluate(track, facts(signoff="declined")).eligible is False
    assert evaluate(track, facts(signoff="approved")).eligible
    assert not evaluate(track, facts(final_best=10, signoff="approved")).eligible


def test_a_renewal_asks_for_the_assessment_again():
    since = date(2026, 1, 1)
    assert not evaluate(TRACK, facts(renewal_from=since)).met
    assert evaluate(TRACK, facts(renewal_from=since, renewed=True)).met


def test_months_are_calendar_months():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 24) == date(2027, 11, 15)
    assert add_months(date(2025, 12, 1), 1) == date(2026, 1, 1)
    assert expiry(TRACK, date(2026, 3, 1)) == date(2028, 3, 1)
    assert expiry(Track.parse({"id": "t"}), date(2026, 3, 1)) is None
    assert renewal_opens(date(2028, 3, 1)) == date(2028, 1, 1)  # 60 days, leap year
    assert renewal_opens(None) is None
