"""Crisis language in prompts, in every platform language, and the help shown when it appears.

The lists are per locale: translators add or correct the terms of their own language here.
Terms are matched at the start of a word (so "suicid" finds "suicidal" and "suicidio"), after
case, accents (Latin scripts), Arabic letter variants and Unicode forms are made uniform. A
prompt is checked against every language's terms: navigators often write in several.
"""

import re
import unicodedata
from functools import cache

from navigator.i18n import _l

CRISIS_TERMS: dict[str, tuple[str, ...]] = {
    "en": (
        "suicid", "kill myself", "killing myself", "end my life", "ending my life",
        "take my own life", "want to die", "wanna die", "wish i was dead", "wish i were dead",
        "better off dead", "no reason to live", "self-harm", "self harm", "selfharm",
        "hurt myself", "hurting myself", "harm myself", "cut myself", "cutting myself",
        "overdose", "can't go on", "cannot go on", "can't live like this",
    ),
    "es": (
        "suicid", "matarme", "quitarme la vida", "acabar con mi vida", "quiero morir",
        "quiero morirme", "no quiero vivir", "mejor muerto", "mejor muerta", "hacerme dano",
        "lastimarme", "autolesi", "cortarme", "sobredosis", "no puedo mas",
    ),
    "pt_BR": (
        "suicid", "me matar", "tirar minha vida", "tirar a minha vida", "acabar com minha vida",
        "acabar com a minha vida", "quero morrer", "nao quero viver", "melhor morto",
        "melhor morta", "me machucar", "me ferir", "automutila", "me cortar", "overdose",
        "nao aguento mais",
    ),
    "fr": (
        "suicid", "me tuer", "mettre fin a mes jours", "mettre fin a ma vie", "en finir",
        "envie de mourir", "veux mourir", "me faire du mal", "automutil", "me scarifier",
        "me couper", "surdose", "overdose", "plus envie de vivre",
    ),
    "ar": (
        "انتحار", "انتحر", "اقتل نفسي", "قتل نفسي", "انهي حياتي", "انهاء حياتي",
        "اريد ان اموت", "اريد الموت", "اتمنى الموت", "اؤذي نفسي", "ايذاء النفس",
        "اذيه النفس", "جرح نفسي", "جرعه زائده", "لا اريد ان اعيش",
    ),
    "sw": (
        "kujiua", "nijiue", "najiua", "kujitoa uhai", "kujinyonga", "nataka kufa",
        "sitaki kuishi", "kujidhuru", "kujiumiza", "kujikata", "dawa kupita kiasi",
    ),
    "hi": (
        "आत्महत्या", "ख़ुदकुशी", "खुदकुशी", "अपनी जान ले", "जान दे दूँ", "जान दे दूं",
        "जान देना चाहता", "जान देना चाहती", "मरना चाहता", "मरना चाहती", "मर जाना चाहता",
        "मर जाना चाहती", "जीना नहीं चाहता", "जीना नहीं चाहती", "खुद को नुकसान",
        "ख़ुद को नुकसान", "खुद को चोट", "ख़ुद को चोट", "ओवरडोज़",
    ),
}

# Shown when a programme has not written its own crisis resources.
FALLBACK = _l(
    "If you, or someone you support, may be in danger, follow your programme's crisis "
    "protocol now and contact your local emergency services. This sandbox cannot help in a "
    "crisis."
)

_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                         "ـ": None})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


def normalise(text: str) -> str:
    """Text folded for matching: one Unicode form, no case, no accents, uniform Arabic letters."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    # Accents go, but Devanagari vowel signs and virama are letters of the word: they stay.
    text = "".join(
        ch for ch in text
        if not (unicodedata.combining(ch) and not "\u0900" <= ch <= "\u097f")
    )
    text = unicodedata.normalize("NFC", text).translate(_ARABIC)
    return re.sub(r"\s+", " ", text)


@cache
def _pattern() -> re.Pattern[str]:
    """One pattern for every term of every language."""
    parts = []
    for terms in CRISIS_TERMS.values():
        for term in terms:
            folded = re.escape(normalise(term))
            # Arabic attaches "and", "to", "the" to the front of a word: match anywhere.
            parts.append(folded if re.match(r"[\u0600-\u06ff]", term) else rf"(?<!\w){folded}")
    return re.compile("|".join(sorted(parts, key=len, reverse=True)))


def mentions_crisis(*texts: str | None) -> bool:
    """Whether any of the texts contains crisis language in any platform language."""
    pattern = _pattern()
    return any(text and pattern.search(normalise(text)) for text in texts)


def crisis_resources(programme_resources: str | None) -> str:
    """The programme's crisis resources, or the general advice when it has none."""
    return (programme_resources or "").strip() or str(FALLBACK)
