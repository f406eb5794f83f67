"""Chatbot checks through the services alone: no HTTP."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

import pytest

from navigator.checks import runner, services, sharing
from navigator.checks.models import ChatbotCheck
from navigator.errors import Conflict, Forbidden, Invalid, NotFound
from navigator.sandbox.client import EndpointTimeout, EndpointUnavailable

from .conftest import answer_probes, answer_product, start, submitted, who


@pytest.fixture
def people(make_programme, make_user):
    a, b = make_programme("Alpha"), make_programme("Beta")
    return {"a": a, "b": b, "nav": make_user("navigator", a), "peer": make_user("navigator", a),
            "trainer": make_user("trainer", a), "manager": make_user("manager", a),
            "stranger": make_user("trainer", b), "admin": make_user("admin")}


def test_a_check_starts_as_a_draft_in_two_languages(session, people, proto):
    check = start(session, people["nav"], people["a"], proto, chatbot="  HelpBot ")
    assert (check.status, check.chatbot, check.locale, check.second_locale) == \
        ("draft", "HelpBot", "en", "es")
    assert check.protocol_version == proto.version


@pytest.mark.parametrize("values, field", [
    ({"chatbot": " "}, "chatbot"),
    ({"chatbot": "x" * 121}, "chatbot"),
    ({"locale": "de"}, "locale"),
    ({"second_locale": "en"}, "second_locale"),
])
def test_starting_checks_its_input(session, people, proto, values, field):
    with pytest.raises(Invalid) as caught:
        start(session, people["nav"], people["a"], proto, **values)
    assert caught.value.field == field


def test_only_navigators_of_the_programme_start_checks(session, people, proto):
    with pytest.raises(Invalid):
        start(session, people["nav"], people["b"], proto)
    with pytest.raises(Invalid):
        start(session, people["trainer"], people["a"], proto)


def test_an_answer_about_the_product_needs_its_source(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    with pytest.raises(Invalid) as caught:
        services.save_product(session, who(session, people["nav"]), proto, check.id,
                              {"maker": services.ProductInput("A company in Lyon", "", "")})
    assert caught.value.field == "maker_source"
    services.save_product(session, who(session, people["nav"]), proto, check.id,
                          {"maker": services.ProductInput("A company in Lyon", "About page",
                                                          "reassuring"),
                           "funding": services.ProductInput("", "", "unknown")})
    stored = services.product_answers(session, check.id)
    assert stored["maker"].source == "About page" and stored["funding"].finding == "unknown"


def test_pasted_answers_with_contact_details_need_confirmation(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    pasted = services.ProbeInput({"ask": "Call our team at +1 415 555 0199 or write to "
                                         "help@example.org."}, "met")
    with pytest.raises(services.PersonalDataWarning) as caught:
        services.save_probe(session, me, proto, check.id, "crisis", pasted)
    assert caught.value.kinds == ["email", "phone"] and caught.value.keys == ["ask"]
    session.rollback()
    assert services.probe_answers(session, check.id) == {}
    pasted.confirm_personal = True
    services.save_probe(session, me, proto, check.id, "crisis", pasted)
    session.commit()
    row = services.probe_answers(session, check.id)[("crisis", "ask")]
    assert row.how == "hand" and row.prompt == proto.probe_text("crisis", "en")["messages"]["ask"]
    # Saving the same answer again asks nothing: only changed answers are checked.
    services.save_probe(session, me, proto, check.id, "crisis",
                        services.ProbeInput({"ask": row.answer}, "partly"))


def test_a_rating_needs_every_answer_and_could_not_test_needs_a_note(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    with pytest.raises(Invalid) as caught:
        services.save_probe(session, me, proto, check.id, "fairness",
                            services.ProbeInput({"first": "Rest and see a doctor."}, "met"))
    assert caught.value.field == "rating"
    with pytest.raises(Invalid) as caught:
        services.save_probe(session, me, proto, check.id, "fairness",
                            services.ProbeInput({}, "untested"))
    assert caught.value.field == "note"
    services.save_probe(session, me, proto, check.id, "fairness",
                        services.ProbeInput({}, "untested", "The app asks for a phone number."))
    assert services.ratings(session, check.id)["fairness"].rating == "untested"


def test_an_emptied_answer_is_removed(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    services.save_probe(session, me, proto, check.id, "dose",
                        services.ProbeInput({"ask": "Ask your prescriber."}))
    services.save_probe(session, me, proto, check.id, "dose", services.ProbeInput({"ask": " "}))
    assert services.probe_answers(session, check.id) == {}


def test_the_language_probe_sends_the_same_question_in_the_second_language(session, people,
                                                                           proto):
    check = start(session, people["nav"], people["a"], proto, locale="en", second_locale="es")
    messages = services.messages_of(proto, check, proto.probe("language"))
    assert [(m.key, m.locale) for m in messages] == [("ask", "en"), ("other_language", "es")]
    assert messages[1].text == proto.probe_text("language", "es")["messages"]["ask"]


def test_submitting_needs_every_part(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    assert len(services.missing_parts(session, proto, check)) == \
        len(proto.questions) + len(proto.probes)
    with pytest.raises(Invalid):
        services.submit(session, me, proto, check.id)
    answer_product(session, people["nav"], proto, check)
    answer_probes(session, people["nav"], proto, check)
    assert services.missing_parts(session, proto, check) == []
    services.submit(session, me, proto, check.id)
    session.commit()
    assert check.status == "submitted" and check.checked_on == date.today()
    with pytest.raises(Conflict):
        services.save_watch_for(session, me, check.id, "Too late")


def test_review_return_fix_approve(session, people, proto):
    check = submitted(session, people["nav"], people["a"], proto)
    trainer = who(session, people["trainer"])
    assert [row[0].id for row in services.review_queue(session, trainer)] == [check.id]
    with pytest.raises(Invalid):
        services.return_check(session, trainer, check.id, "  ")
    services.return_check(session, trainer, check.id, "Say where you read the policy.")
    session.commit()
    assert check.status == "returned" and services.review_queue(session, trainer) == []
    with pytest.raises(Conflict):
        services.approve(session, trainer, check.id)
    me = who(session, people["nav"])
    services.save_watch_for(session, me, check.id, "It keeps what you type.")
    services.submit(session, me, proto, check.id)
    session.commit()
    services.approve(session, trainer, check.id, "Thank you.")
    session.commit()
    assert check.status == "approved" and check.decided_by == people["trainer"].id
    assert [e.action for e, _name in services.events(session, check.id)] == \
        ["submitted", "returned", "submitted", "approved"]
    assert services.count_approved(session, people["nav"].id) == 1


def test_nobody_reviews_their_own_check_and_other_programmes_never_do(session, people, proto,
                                                                       make_user):
    both = make_user("navigator", people["a"])
    from navigator.accounts import services as accounts

    accounts.add_role(session, both, people["a"], "trainer")
    session.commit()
    check = submitted(session, both, people["a"], proto)
    with pytest.raises(Forbidden):
        services.approve(session, who(session, both), check.id)
    with pytest.raises(NotFound):
        services.approve(session, who(session, people["stranger"]), check.id)
    services.approve(session, who(session, people["admin"]), check.id)


def test_who_sees_a_check(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    readers = {name: who(session, people[name]) for name in
               ("nav", "peer", "trainer", "manager", "stranger", "admin")}

    def visible():
        out = set()
        for name, actor in readers.items():
            try:
                services.get_check(session, actor, check.id)
            except NotFound:
                continue
            out.add(name)
        return out

    assert visible() == {"nav"}  # a draft is the navigator's own
    answer_product(session, people["nav"], proto, check)
    answer_probes(session, people["nav"], proto, check)
    services.submit(session, readers["nav"], proto, check.id)
    session.commit()
    assert visible() == {"nav", "trainer", "manager", "admin"}
    services.approve(session, readers["trainer"], check.id)
    session.commit()
    assert visible() == {"nav", "peer", "trainer", "manager", "admin"}  # never programme B
    with pytest.raises(Forbidden):
        services.editable_check(session, readers["trainer"], check.id)


def test_only_a_never_submitted_draft_is_deleted(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    answer_probes(session, people["nav"], proto, check)
    services.delete_draft(session, me, check.id)
    session.commit()
    assert session.get(ChatbotCheck, check.id) is None
    assert services.probe_answers(session, check.id) == {}
    returned = submitted(session, people["nav"], people["a"], proto)
    services.return_check(session, who(session, people["trainer"]), returned.id, "More detail")
    session.commit()
    with pytest.raises(Conflict):
        services.delete_draft(session, me, returned.id)


def test_the_summary_has_strengths_and_concerns_per_area_and_no_score(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    services.save_product(session, me, proto, check.id, {
        "training": services.ProductInput("Chats train the model; no opt-out.", "Policy §4",
                                          "concern"),
        "maker": services.ProductInput("Acme Health", "About page", "reassuring")})
    services.save_probe(session, me, proto, check.id, "crisis",
                        services.ProbeInput({"ask": "Please call a crisis line now."}, "met"))
    services.save_probe(session, me, proto, check.id, "citation",
                        services.ProbeInput({"ask": "Smith et al. (2020)"}, "not_met",
                                            "The DOI does not exist."))
    session.commit()
    areas = {a.area: a for a in sharing.summary(
        proto, check, services.product_answers(session, check.id),
        services.ratings(session, check.id), "en")}
    assert set(areas) == {"background", "privacy", "safety", "evidence"}
    assert [f.rating for f in areas["safety"].strengths] == ["met"]
    assert areas["evidence"].concerns[0].note == "The DOI does not exist."
    assert areas["privacy"].concerns[0].label.startswith("Are conversations used")
    assert not hasattr(areas["safety"], "score")


def test_the_library_lists_approved_checks_and_what_is_due(session, people, proto):
    old = submitted(session, people["nav"], people["a"], proto, chatbot="OldBot")
    new = submitted(session, people["peer"], people["a"], proto, chatbot="NewBot")
    other = submitted(session, people["nav"], people["a"], proto, chatbot="Waiting")
    trainer = who(session, people["trainer"])
    for check in (old, new):
        services.approve(session, trainer, check.id)
    old.checked_on = date.today() - timedelta(days=200)
    session.commit()
    reader = who(session, people["peer"])
    rows = sharing.library(session, reader, proto, "en")
    assert [r.check.chatbot for r in rows] == ["NewBot", "OldBot"]
    assert [r.due for r in rows] == [False, True]  # the protocol's 6 months
    assert rows[1].due_on == sharing.add_months(old.checked_on, 6)
    sharing.set_review_months(session, who(session, people["manager"]), people["a"].id, 12)
    session.commit()
    assert [r.due for r in sharing.library(session, reader, proto, "en")] == [False, False]
    assert [r.check.chatbot for r in sharing.library(session, reader, proto, "en",
                                                      query="old")] == ["OldBot"]
    assert sharing.library(session, who(session, people["stranger"]), proto, "en") == []
    assert other.status == "submitted"
    with pytest.raises(NotFound):
        sharing.set_review_months(session, reader, people["a"].id, 3)


def test_a_new_check_can_start_from_an_approved_one(session, people, proto):
    old = submitted(session, people["nav"], people["a"], proto)
    services.approve(session, who(session, people["trainer"]), old.id)
    session.commit()
    again = start(session, people["peer"], people["a"], proto, from_check_id=old.id)
    copied = services.product_answers(session, again.id)
    assert set(copied) == {q.id for q in proto.questions}
    assert services.probe_answers(session, again.id) == {}  # chatbots change: probe again


# --- automatic runs ------------------------------------------------------------------------------

def _asker(answers: list):
    """Answers in turn; an exception in the list is raised instead."""
    sent = []

    def ask(text: str) -> str:
        sent.append(text)
        item = answers.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return ask, sent


def _message_count(proto, check) -> int:
    return sum(len(services.messages_of(proto, check, p)) for p in proto.probes)


def test_an_automatic_run_keeps_what_was_answered_when_the_model_fails(session, people, proto,
                                                                      caplog):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])
    total = _message_count(proto, check)
    ask, sent = _asker(["First answer", "Second answer", EndpointUnavailable("down")])
    with caplog.at_level(logging.DEBUG):
        result = runner.run_automatically(session, me, proto, check.id, ask, "model-x")
    assert (result.answered, result.remaining) == (2, total - 2)
    assert isinstance(result.error, EndpointUnavailable)
    stored = services.probe_answers(session, check.id)
    assert [row.answer for row in stored.values()] == ["First answer", "Second answer"]
    assert {row.how for row in stored.values()} == {"auto"}
    assert services.ratings(session, check.id) == {}  # rating stays the navigator's
    # A second run sends only what is still missing.
    ask, sent_again = _asker([f"Answer {i}" for i in range(total)])
    result = runner.run_automatically(session, me, proto, check.id, ask, "model-x")
    assert (result.answered, result.remaining, result.error) == (total - 2, 0, None)
    assert sent[0] not in sent_again and len(sent_again) == total - 2
    # No prompt or answer is ever logged.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "First answer" not in logged and sent[0] not in logged


def test_an_automatic_run_stops_at_the_pages_deadline(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    me = who(session, people["nav"])

    def slow(text: str) -> str:
        time.sleep(0.05)
        return "ok"

    result = runner.run_automatically(session, me, proto, check.id, slow, "slow",
                                        until=time.monotonic() + 0.08)
    assert result.out_of_time and 1 <= result.answered < _message_count(proto, check)
    assert len(services.probe_answers(session, check.id)) == result.answered


def test_an_automatic_run_of_one_probe(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    ask, sent = _asker(["Tell", "Back"])
    result = runner.run_automatically(session, who(session, people["nav"]), proto, check.id,
                                        ask, "m", probe_id="memory")
    assert result.answered == 2 and sent[1] == \
        proto.probe_text("memory", "en")["messages"]["ask_back"]
    with pytest.raises(NotFound):
        runner.run_automatically(session, who(session, people["nav"]), proto, check.id, ask,
                                   "m", probe_id="nope")


def test_a_timeout_is_an_error_like_any_other(session, people, proto):
    check = start(session, people["nav"], people["a"], proto)
    ask, _sent = _asker([EndpointTimeout("slow")])
    result = runner.run_automatically(session, who(session, people["nav"]), proto, check.id,
                                        ask, "m")
    assert result.answered == 0 and isinstance(result.error, EndpointTimeout)
    assert services.probe_answers(session, check.id) == {}
