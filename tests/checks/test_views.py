"""Chatbot check pages over HTTP: the whole path without JavaScript, every language, the handout."""

from __future__ import annotations

import logging
import re
import subprocess

import pytest
from sqlmodel import select

from navigator.checks.models import ChatbotCheck
from navigator.i18n import CODES
from tests.conftest import login

from .conftest import answer_probes, answer_product, start, submitted, who

PASTED = "Please call the crisis line at 0800 123 4567 now. You matter."


@pytest.fixture
def team(make_programme, make_user):
    programme = make_programme("Alpha")
    return {"programme": programme, "nav": make_user("navigator", programme, name="Nia"),
            "trainer": make_user("trainer", programme, name="Tomás")}


def _client(app, user):
    return login(app.test_client(), user)


def _product_form(proto) -> dict:
    data = {}
    for q in proto.questions:
        data.update({f"{q.id}_answer": f"What the policy says about {q.id}.",
                     f"{q.id}_source": "Privacy policy, section 3",
                     f"{q.id}_finding": "concern" if q.id == "training" else "reassuring"})
    return data


def _check_id(response) -> int:
    return int(re.search(r"/checks/(\d+)", response.headers["Location"]).group(1))


def test_a_navigator_checks_by_hand_and_automatically_then_a_trainer_reviews(
        app, session, team, proto, caplog):
    nav = _client(app, team["nav"])
    assert "Start a check" in nav.get("/checks/").get_data(as_text=True)
    response = nav.form("/checks/new", {"programme": team["programme"].id, "chatbot": "CalmBot",
                                        "details": "Android app 2.1", "locale": "en",
                                        "second_locale": "fr"})
    assert response.status_code == 302
    check_id = _check_id(response)
    base = f"/checks/{check_id}"

    # Part 1, with an answer missing its source first.
    bad = nav.form(f"{base}/product", {"maker_answer": "Calm Ltd"})
    assert bad.status_code == 400 and "Say where you looked" in bad.get_data(as_text=True)
    assert nav.form(f"{base}/product", _product_form(proto)).status_code == 302

    # A probe by hand: the pasted answer holds a phone number, so saving asks first.
    page = nav.get(f"{base}/probes/crisis").get_data(as_text=True)
    assert "This message is a test" in page
    assert proto.probe_text("crisis", "en")["messages"]["ask"].replace("'", "&#39;") in page
    asked = nav.form(f"{base}/probes/crisis", {"answer_ask": PASTED, "rating": "met"})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 400 and "may contain personal data" in text
    assert "a phone number" in text and PASTED in text  # kept, to confirm or change
    saved = nav.form(f"{base}/probes/crisis", {"answer_ask": PASTED, "rating": "met",
                                               "confirm_personal": "y"})
    assert saved.status_code == 302

    # The rest automatically, on the platform's own model.
    with caplog.at_level(logging.DEBUG):
        ran = nav.form(f"{base}/run", {"target": "embedded"}, follow_redirects=True)
    assert "Answers received" in ran.get_data(as_text=True)
    assert PASTED not in caplog.text and "ending my life" not in caplog.text
    with app.app_context():
        from navigator import db
        from navigator.checks import services

        s = db.session()
        answers = services.probe_answers(s, check_id)
        assert answers[("crisis", "ask")].how == "hand"
        assert answers[("dose", "ask")].how == "auto"
        assert answers[("dose", "ask")].source == "navigator-sandbox-tuned"
    for probe in proto.probes[1:]:
        assert nav.form(f"{base}/probes/{probe.id}", {
            "rating": "partly" if probe.id == "citation" else "met",
            **{f"answer_{k}": a.answer for (p, k), a in answers.items() if p == probe.id}
        }).status_code == 302
    assert nav.form(f"{base}/watch", {"watch_for": "It keeps your chats."}).status_code == 302
    page = nav.get(base).get_data(as_text=True)
    assert "Summary: strengths and concerns" in page and "Hints" in page
    assert nav.form(f"{base}/submit").status_code == 302

    # The trainer returns it; the navigator fixes it; the trainer approves.
    trainer = _client(app, team["trainer"])
    assert "CalmBot" in trainer.get("/checks/reviews").get_data(as_text=True)
    empty = trainer.form(f"{base}/return", {"return-note": ""})
    assert empty.status_code == 400
    assert trainer.form(f"{base}/return", {"return-note": "Name the policy's date."}) \
        .status_code == 302
    page = nav.get(base).get_data(as_text=True)
    assert "Name the policy&#39;s date." in page
    data = _product_form(proto)
    data["maker_source"] = "Privacy policy of 1 March 2026"
    assert nav.form(f"{base}/product", data).status_code == 302
    assert nav.form(f"{base}/submit").status_code == 302
    assert trainer.form(f"{base}/approve", {"approve-note": "Clear, thank you."}) \
        .status_code == 302

    # The library shows it to the programme, with a handout.
    library = nav.get("/checks/library").get_data(as_text=True)
    assert "CalmBot" in library and "Concerns:" in library
    handout = nav.get(f"{base}/handout?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in handout and "CalmBot" in handout
    pdf = nav.get(f"{base}/handout.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_every_page_in_every_language(app, session, team, proto):
    check = submitted(session, team["nav"], team["programme"], proto)
    from navigator.checks import services

    services.approve(session, who(session, team["trainer"]), check.id)
    draft = start(session, team["nav"], team["programme"], proto)
    session.commit()
    for locale in CODES:
        team["nav"].locale = locale
        session.add(team["nav"])
        session.commit()
        client = _client(app, team["nav"])
        for url in ("/checks/", "/checks/new", f"/checks/{draft.id}",
                    f"/checks/{draft.id}/product", f"/checks/{draft.id}/probes/language",
                    f"/checks/{check.id}", "/checks/library", f"/checks/{check.id}/handout"):
            response = client.get(url)
            assert response.status_code == 200, (locale, url)
            lang = locale.replace("_", "-")
            assert f'lang="{lang}"' in response.get_data(as_text=True)[:200], (locale, url)


@pytest.mark.parametrize("locale", ["ar", "hi", "sw"])
def test_the_handout_pdf_is_one_page_that_reads_back(app, session, team, proto, tmp_path,
                                                      locale):
    from navigator.checks import services

    check = start(session, team["nav"], team["programme"], proto, chatbot="Rafiki Chat")
    answer_product(session, team["nav"], proto, check)
    answer_probes(session, team["nav"], proto, check)
    me = who(session, team["nav"])
    services.save_probe(session, me, proto, check.id, "citation",
                        services.ProbeInput({"ask": "Smith J. (2019)"}, "not_met", "Made up."))
    services.submit(session, me, proto, check.id)
    services.approve(session, who(session, team["trainer"]), check.id)
    session.commit()
    response = _client(app, team["nav"]).get(f"/checks/{check.id}/handout.pdf?lang={locale}")
    assert response.status_code == 200
    path = tmp_path / "h.pdf"
    path.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", info), "the handout is one page"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Rafiki Chat" in text and "Alpha" in text
    if locale == "sw":  # Latin script reads back word for word (see README: copying text)
        watch = proto.probe_text("citation", "sw")["watch"]
        assert " ".join(watch.split()) in " ".join(text.split())


def test_starting_again_from_an_approved_check(app, session, team, proto):
    check = submitted(session, team["nav"], team["programme"], proto)
    from navigator.checks import services

    services.approve(session, who(session, team["trainer"]), check.id)
    session.commit()
    client = _client(app, team["nav"])
    page = client.get(f"/checks/new?from_check={check.id}").get_data(as_text=True)
    assert 'value="HelpBot"' in page
    response = client.form("/checks/new", {"programme": team["programme"].id,
                                           "chatbot": "HelpBot", "locale": "en",
                                           "second_locale": "es", "from_check": check.id})
    new_id = _check_id(response)
    assert new_id != check.id
    stored = session.exec(select(ChatbotCheck).where(ChatbotCheck.id == new_id)).one()
    assert stored.status == "draft"


def test_the_library_as_a_spreadsheet(app, session, team, proto, make_programme, make_user):
    check = submitted(session, team["nav"], team["programme"], proto, chatbot="=HYPERLINK(1)")
    from navigator.checks import services

    services.approve(session, who(session, team["trainer"]), check.id)
    session.commit()
    response = _client(app, team["nav"]).get("/checks/library.csv")
    text = response.data.decode("utf-8-sig")
    assert response.mimetype == "text/csv"
    header, row = text.splitlines()[:2]
    assert proto.probe_text("crisis", "en")["title"] in header
    assert row.startswith("'=HYPERLINK(1)") and "Met" in row  # never run as a formula
    other = make_user("manager", make_programme("Elsewhere"))
    assert len(_client(app, other).get("/checks/library.csv").data.decode(
        "utf-8-sig").splitlines()) == 1  # the heading only: another programme sees nothing



def test_a_refused_button_says_why_and_another_persons_check_stays_hidden(
        app, session, team, proto, make_programme, make_user):
    draft = start(session, team["nav"], team["programme"], proto)
    nav = _client(app, team["nav"])
    draft_id = draft.id
    base = f"/checks/{draft_id}"
    refused = nav.form(f"{base}/submit", follow_redirects=True)
    assert refused.request.path == base
    assert 'class="flash error">Answer every question about the product' \
        in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(ChatbotCheck, draft_id).status == "draft"

    stranger = make_user("navigator", make_programme("Beta"), name="Sam")
    for action in ("submit", "delete"):
        assert _client(app, stranger).form(f"{base}/{action}").status_code == 404

    done = submitted(session, team["nav"], team["programme"], proto)
    kept = nav.form(f"/checks/{done.id}/delete", follow_redirects=True)
    assert kept.request.path == f"/checks/{done.id}"
    assert 'class="flash error">This check was submitted' in kept.get_data(as_text=True)

    deleted = nav.form(f"{base}/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/checks/")
    session.expire_all()
    assert session.exec(select(ChatbotCheck).where(ChatbotCheck.id == draft_id)).first() is None
