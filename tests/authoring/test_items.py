"""Item analysis: tallies kept at submission, figures checked against a direct computation,
small groups hidden, flags in plain words, the page, its CSV, and who may read it."""

import csv
import io
import math
import random
import re

import pytest
from sqlmodel import select

from navigator.accounts.services import principal
from navigator.authoring import items
from navigator.errors import NotFound
from navigator.learning import items as tallies
from navigator.learning import package
from navigator.learning import services as learning
from navigator.learning.models import Quiz, QuizItemTally
from tests.conftest import login
from tests.learning.packages import write_package


@pytest.fixture
def demo(session, tmp_path, make_programme, make_user):
    """The demo course (quiz m1: single q1, true/false q2, multiple q3, scenario q4), published
    and offered to a programme with a trainer."""
    programme = make_programme("Items")
    trainer = make_user("trainer", programme)
    version, _new = learning.import_package(session, package.load_package(
        write_package(tmp_path / "curricula")))
    learning.offer_course(session, programme.id, version.course_id)
    session.commit()
    quiz = session.exec(select(Quiz).where(Quiz.version_id == version.id,
                                           Quiz.slug == "m1/quiz")).one()
    return programme, trainer, version, quiz


RIGHT = {"q1": ["b"], "q2": ["false"], "q3": ["a", "d"], "q4": ["c"]}
WRONG = {"q1": ["a"], "q2": ["true"], "q3": ["a"], "q4": ["b"]}


def submit(session, make_user, programme, quiz, answers, locale="en"):
    navigator = make_user("navigator", programme)
    attempt = learning.start_attempt(session, navigator.id, quiz, locale)
    stored = learning.submit_attempt(session, navigator.id, quiz, attempt, answers)
    session.commit()
    return navigator, stored


def _tally_rows(session, quiz_id):
    return sorted((t.programme_id, t.locale, t.question, t.chosen, t.attempts, t.score_sum,
                   t.score_squares)
                  for t in session.exec(select(QuizItemTally)
                                        .where(QuizItemTally.quiz_id == quiz_id)))


def _mixed(rng):
    return {qid: (RIGHT if rng.random() < 0.6 else WRONG)[qid] for qid in RIGHT}


def test_figures_match_a_direct_computation_over_the_attempts(app, session, demo, make_user):
    programme, _trainer, _version, quiz = demo
    rng = random.Random(7)
    given = [_mixed(rng) for _ in range(30)]
    for answers in given:
        submit(session, make_user, programme, quiz, answers)
    with app.test_request_context():
        analysis = items.analyse(session, quiz, _course(session, quiz), programme,
                                 locale="en", threshold=5)
    scores = [sum(a[q] == RIGHT[q] for q in RIGHT) for a in given]
    for item in analysis.items:
        x = [int(a[item.id] == RIGHT[item.id]) for a in given]
        rest = [s - xi for s, xi in zip(scores, x, strict=True)]
        assert item.overall.answered == 30
        assert item.overall.correct == sum(x)
        mx, my = sum(x) / 30, sum(rest) / 30
        cov = sum((a - mx) * (b - my) for a, b in zip(x, rest, strict=True))
        var = math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in rest))
        assert item.overall.discrimination == pytest.approx(cov / var)
        for option in item.options:
            assert item.overall.chosen.get(option.id, 0) == sum(option.id in a[item.id]
                                                                for a in given)


def _course(session, quiz):
    from navigator.learning.models import Course, CourseVersion

    return session.get(Course, session.get(CourseVersion, quiz.version_id).course_id)


def test_tallies_count_each_submission_once_and_rebuild_agrees(app, session, demo, make_user,
                                                               make_programme):
    programme, _trainer, _version, quiz = demo
    navigator, attempt = submit(session, make_user, programme, quiz, RIGHT)
    # Sent again (a double click): the first result stands and nothing is counted twice.
    again = learning.attempt_to_submit(session, navigator.id, quiz, attempt.attempt_key, "en")
    learning.submit_attempt(session, navigator.id, quiz, again, WRONG)
    session.commit()
    submit(session, make_user, programme, quiz, WRONG, locale="es")
    outsider = make_user("trainer", make_programme())  # not a navigator: not counted
    learning.submit_attempt(session, outsider.id, quiz,
                            learning.start_attempt(session, outsider.id, quiz, "en"), RIGHT)
    session.commit()
    counted = _tally_rows(session, quiz.id)
    assert (programme.id, "en", "q1", "b", 1, 4, 16) in counted
    assert (programme.id, "es", "q3", "a", 1, 0, 0) in counted
    assert sum(row[4] for row in counted if row[2] == "q1") == 2
    assert tallies.rebuild(session, [quiz.id]) == 2
    session.commit()
    assert _tally_rows(session, quiz.id) == counted


def test_small_language_groups_are_hidden_with_their_figures(app, session, demo, make_user):
    programme, trainer, _version, quiz = demo
    rng = random.Random(3)
    for locale, n in (("en", 12), ("es", 7), ("ar", 2)):
        for _ in range(n):
            submit(session, make_user, programme, quiz, _mixed(rng), locale)
    with app.test_request_context():
        analysis = items.analyse(session, quiz, _course(session, quiz), programme,
                                 locale="en", threshold=5)
    marks = {g.key: g.mark for g in analysis.languages}
    assert marks["ar"] == "<5"  # too few
    assert marks["es"] == "*"   # hidden too, or ar would be the total less en and es
    assert marks["en"] == "" and analysis.attempts.answered == 21
    es = next(g for g in analysis.items[0].languages if g.key == "es")
    assert es.hidden and es.share is None
    client = login(app.test_client(), trainer)
    url = f"/author/courses/{quiz_course_id(session, quiz)}/items/{quiz.id}"
    html = client.get(url).get_data(as_text=True)
    assert "&lt;5" in html
    rows = list(csv.reader(io.StringIO(client.get(url + "?format=csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    arabic = [r for r in rows if r[1] == "العربية"]
    assert arabic and all(r[2:] == ["Answered", "<5"] for r in arabic)


def quiz_course_id(session, quiz):
    return _course(session, quiz).id


def test_questions_are_flagged_with_the_reason(app, session, demo, make_user):
    programme, _trainer, _version, quiz = demo
    # q1: everyone right (too easy). q2: mostly wrong (too hard). q3: right only for those who
    # miss the rest (negative). q4: right in English, mostly wrong in Spanish (language).
    for i in range(40):
        strong = i % 2 == 0
        spanish = i >= 24
        answers = {"q1": ["b"], "q2": ["false"] if i % 5 == 0 else ["true"],
                   "q3": ["a"] if strong else ["a", "d"],
                   "q4": ["c"] if strong and not (spanish and i % 4) else ["b"]}
        if strong:
            answers["q4"] = ["c"] if not spanish or i % 8 == 0 else ["b"]
        submit(session, make_user, programme, quiz, answers, "es" if spanish else "en")
    with app.test_request_context():
        analysis = items.analyse(session, quiz, _course(session, quiz), programme,
                                 locale="en", threshold=5)
    kinds = {item.id: {f.kind for f in item.flags} for item in analysis.items}
    assert "too_easy" in kinds["q1"]
    assert "too_hard" in kinds["q2"]
    assert "negative" in kinds["q3"]
    reasons = " ".join(f.reason for item in analysis.items for f in item.flags)
    assert "answer key may be wrong" in reasons
    assert analysis.items[0].overall.discrimination is None  # everyone right: undefined


def test_language_gap_is_flagged(app, session, demo, make_user):
    programme, _trainer, _version, quiz = demo
    rng = random.Random(11)
    for locale in ("en", "es"):
        for _ in range(25):
            answers = _mixed(rng)
            if locale == "es":
                answers["q4"] = ["b"] if rng.random() < 0.8 else ["c"]
            else:
                answers["q4"] = ["c"] if rng.random() < 0.9 else ["b"]
            submit(session, make_user, programme, quiz, answers, locale)
    with app.test_request_context():
        analysis = items.analyse(session, quiz, _course(session, quiz), programme,
                                 locale="en", threshold=5)
    flags = [f for f in analysis.items[3].flags if f.kind == "language"]
    assert flags and "Español" in flags[0].reason and "translation" in flags[0].reason


def test_page_shows_charts_tables_and_mirrors_in_arabic(app, session, demo, make_user):
    programme, trainer, version, quiz = demo
    rng = random.Random(5)
    for _ in range(8):
        submit(session, make_user, programme, quiz, _mixed(rng))
    client = login(app.test_client(), trainer)
    index = client.get(f"/author/courses/{version.course_id}/items")
    assert index.status_code == 200 and f"/items/{quiz.id}" in index.get_data(as_text=True)
    page = client.get(f"/author/courses/{version.course_id}/items/{quiz.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('<svg class="chart"') == 1 + len(quiz.key["questions"])
    assert "Share correct by question" in html and '<table class="data"' in html
    assert 'direction="ltr"' in html
    arabic_trainer = make_user("trainer", programme, locale="ar")
    arabic = login(app.test_client(), arabic_trainer).get(
        f"/author/courses/{version.course_id}/items/{quiz.id}").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and 'direction="rtl"' in arabic
    # Mirrored: the first bar grows leftwards from the right edge (positions in percent).
    first = re.search(r'<rect x="([\d.]+)%" y="[\d.]+" width="([\d.]+)%"', arabic)
    assert float(first.group(1)) + float(first.group(2)) == pytest.approx(100, abs=0.01)


def test_trainers_see_their_programmes_only(app, session, demo, make_user, make_programme):
    programme, trainer, version, quiz = demo
    other = make_programme("Elsewhere")
    learning.offer_course(session, other.id, version.course_id)
    session.commit()
    submit(session, make_user, other, quiz, RIGHT)
    stranger = make_user("trainer", other)
    client = login(app.test_client(), trainer)
    url = f"/author/courses/{version.course_id}/items/{quiz.id}"
    assert client.get(f"{url}?programme={other.id}").status_code == 404
    assert client.get(f"{url}?programme={programme.id}").status_code == 200
    theirs = login(app.test_client(), stranger)
    assert theirs.get(f"{url}?programme={programme.id}").status_code == 404
    assert theirs.get(f"{url}?programme={other.id}").status_code == 200
    admin = login(app.test_client(), make_user("admin"))
    assert admin.get(f"{url}?programme={other.id}").status_code == 200
    # A trainer of a programme not offered the course does not reach it at all.
    actor = principal(session, make_user("trainer", make_programme()))
    assert items.programmes_for(session, actor, _course(session, quiz)) == []
    with pytest.raises(NotFound):
        items.get_quiz(session, _course(session, quiz), quiz.id + 1000)


def test_a_draft_quiz_has_no_item_analysis(app, session, demo):
    _programme, trainer, version, _quiz = demo
    from navigator.authoring import services

    with app.app_context():
        draft = services.start_draft(session, _course_of(session, version))
        session.commit()
    quiz = session.exec(select(Quiz).where(Quiz.version_id == draft.id)).first()
    client = login(app.test_client(), trainer)
    assert client.get(f"/author/courses/{version.course_id}/items/{quiz.id}").status_code == 404


def _course_of(session, version):
    from navigator.learning.models import Course

    return session.get(Course, version.course_id)
