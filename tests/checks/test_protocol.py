"""The chatbot check protocol: the shipped file, and what `flask curricula check` says about
broken ones (file:line)."""

from __future__ import annotations

import shutil

import pytest

from navigator.checks import protocol
from navigator.checks.protocol import APA_LEVELS, OTHER_LANGUAGE
from navigator.i18n import CODES
from navigator.outreach.hints import personal_data_hints
from tests.test_curricula import tiny

from .conftest import SHIPPED


def test_the_shipped_protocol_is_complete_in_every_language():
    found, problems = protocol.check_protocol(SHIPPED)
    assert problems == [], problems
    assert found.locales() == list(CODES)
    assert {q.area for q in found.questions} >= set(APA_LEVELS)
    assert {p.id for p in found.probes} == {"crisis", "dose", "citation", "language", "fairness",
                                            "agreement", "memory"}


def test_probes_hold_no_personal_data_in_any_language(proto):
    for locale in CODES:
        for probe in proto.probes:
            for message in proto.messages(probe, locale, "en"):
                assert message.text and not personal_data_hints(message.text), \
                    (locale, probe.id, message.key)


def test_the_counterfactual_pair_differs_in_few_words(proto):
    """The two fairness messages change a group term (and the words that agree with it)."""
    for locale in CODES:
        texts = proto.probe_text("fairness", locale)["messages"]
        first, second = texts["first"].split(), texts["second"].split()
        assert len(first) == len(second), locale
        assert sum(a != b for a, b in zip(first, second, strict=True)) <= 4, locale


def test_the_language_probe_is_asked_in_the_second_language(proto):
    probe = proto.probe("language")
    messages = proto.messages(probe, "hi", "sw")
    assert [m.locale for m in messages] == ["hi", "sw"] and messages[1].key == OTHER_LANGUAGE
    assert messages[1].text == proto.probe_text("language", "sw")["messages"]["ask"]


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "checks"
    shutil.copytree(SHIPPED, folder)
    return folder


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path, needle) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if needle in line)


def _messages(folder):
    return {(p.name, line, severity, message) for p, line, severity, message in
            protocol.check_protocol(folder)[1]}


def test_a_probe_with_a_phone_number_is_an_error_with_its_line(copy):
    path = copy / "protocol.fr.yaml"
    _edit(path, "ask_back: De quoi te souviens-tu à mon sujet ?",
          "ask_back: De quoi te souviens-tu ? Appelle-moi au 06 12 34 56 78.")
    line = _line_of(path, "ask_back:")
    assert ("protocol.fr.yaml", line, "error",
            "memory: message ask_back looks like it holds personal data (phone); probes use "
            "made-up details only") in _messages(copy)
    assert protocol.load(copy) is None  # pages never use a broken protocol


def test_structure_errors_point_at_their_line(copy):
    path = copy / "protocol.yaml"
    _edit(path, "- id: ease\n  area: usability", "- id: ease\n  area: looks")
    _edit(path, "- id: dose\n  area: medication", "- id: crisis\n  area: medication")
    found = _messages(copy)
    assert ("protocol.yaml", _line_of(path, "- id: ease"), "error",
            "question ease: area must be one of the areas listed") in found
    assert any(m[3].startswith("the questions about the product must cover every level")
               and "usability" in m[3] for m in found)
    assert ("protocol.yaml", _line_of(path, "area: medication") - 1, "error",
            "each probe needs a distinct id (lower-case letters, digits, _)") in found


def test_missing_and_outdated_translations_are_warnings(copy):
    (copy / "protocol.sw.yaml").unlink()
    _edit(copy / "protocol.en.yaml", "title: A message from someone in crisis",
          "title: A message from a person in crisis")
    found = _messages(copy)
    assert ("protocol.sw.yaml", 1, "warning", "translation is missing") in found
    outdated = [m for m in found if m[0] == "protocol.hi.yaml"]
    assert len(outdated) == 1 and outdated[0][2] == "warning"
    assert outdated[0][3].startswith("translation is outdated")
    assert protocol.load(copy) is not None  # still usable: English stands in


def test_unknown_ids_and_missing_texts(copy):
    path = copy / "protocol.es.yaml"
    _edit(path, "  goals:\n    question:", "  goal:\n    question:")
    found = _messages(copy)
    assert ("protocol.es.yaml", _line_of(path, "  goal:"), "error",
            "goal: not in protocol.yaml") in found
    assert any(m[0] == "protocol.es.yaml" and m[3] == "goals: texts are missing" for m in found)


def test_curricula_check_reports_the_protocol(app, tmp_path, copy):
    root = tiny(tmp_path)
    shutil.copytree(copy, root / "checks")
    _edit(root / "checks" / "protocol.ar.yaml", "why:", "wh:")
    (root / "checks" / "protocol.pt_BR.yaml").unlink()
    result = app.test_cli_runner().invoke(args=["curricula", "check", str(root)])
    output = result.output + (result.stderr or "")
    assert result.exit_code == 1
    assert "checks/protocol.ar.yaml:" in output and "crisis: why is missing" in output
    assert "checks/protocol.pt_BR.yaml:1: warning: translation is missing" in output
    strict = app.test_cli_runner().invoke(args=["curricula", "check", "--strict", str(root)])
    assert "checks/protocol.pt_BR.yaml:1: error: translation is missing" in \
        strict.output + (strict.stderr or "")


def test_the_crisis_probe_is_crisis_language_in_every_language(proto):
    """So its page shows the programme's crisis resources beside it (sandbox/safety.py)."""
    from navigator.sandbox.safety import mentions_crisis

    for locale in CODES:
        flagged = [p.id for p in proto.probes
                   if mentions_crisis(*(m.text for m in proto.messages(p, locale, "en")))]
        assert flagged == ["crisis"], locale
