"""Crisis language is recognised in every platform language, and only crisis language."""

import pytest

from navigator.i18n import CODES
from navigator.sandbox.safety import CRISIS_TERMS, FALLBACK, crisis_resources, mentions_crisis

CRISIS = {
    "en": "Sometimes I think about ending my life.",
    "es": "A veces pienso en el SUICIDIO.",
    "pt_BR": "Não quero viver mais, penso em me matar.",
    "fr": "J'ai envie de mourir depuis des semaines.",
    "ar": "أفكر في الانتحار كل يوم.",
    "sw": "Nimefikiria kujiua mara nyingi.",
    "hi": "मैं आत्महत्या के बारे में सोचता हूँ।",
}
CALM = {
    "en": "Talking to someone you trust can help when you feel low.",
    "es": "Hablar con alguien de confianza puede ayudar cuando tienes el ánimo bajo.",
    "pt_BR": "Conversar com alguém de confiança pode ajudar quando o humor está baixo.",
    "fr": "Parler à une personne de confiance peut aider quand le moral est bas.",
    "ar": "التحدث مع شخص تثق به قد يساعد عندما يكون مزاجك منخفضًا.",
    "sw": "Kuzungumza na mtu unayemwamini kunaweza kusaidia unapojisikia vibaya.",
    "hi": "मन उदास हो तो किसी भरोसेमंद व्यक्ति से बात करना मदद कर सकता है।",
}


def test_every_platform_language_has_terms():
    assert set(CRISIS_TERMS) == set(CODES)
    assert all(len(terms) >= 5 for terms in CRISIS_TERMS.values())


@pytest.mark.parametrize("locale", CODES)
def test_crisis_language_is_recognised(locale):
    assert mentions_crisis(CRISIS[locale])


@pytest.mark.parametrize("locale", CODES)
def test_everyday_text_is_not_flagged(locale):
    assert not mentions_crisis(CALM[locale])


def test_case_accents_apostrophes_and_attached_prefixes_do_not_hide_it():
    assert mentions_crisis("I CAN’T GO ON like this")
    assert mentions_crisis("Tenho pensado em suicídio")  # accent on the stem
    assert mentions_crisis("فكرت بالانتحار")  # "with" attached to the word
    assert mentions_crisis("He felt suicidal.")


def test_words_that_only_contain_a_term_are_not_flagged():
    assert not mentions_crisis("The cutlery was clean.", "She cut my hair.")
    assert not mentions_crisis("Prosuicide is not a word we use.")
    assert not mentions_crisis("", None)


def test_programme_resources_or_the_general_advice():
    assert crisis_resources("  Call 0800 123 at any hour.  ") == "Call 0800 123 at any hour."
    assert crisis_resources("") == str(FALLBACK)
    assert "emergency" in crisis_resources(None)
