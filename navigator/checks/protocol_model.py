"""The chatbot check's protocol as the pages use it: areas, questions, probes, their texts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from navigator.i18n import CODES

SOURCE_LOCALE = "en"
FOLDER = "checks"
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# The levels of the APA App Evaluation Model the "about the product" part must cover.
APA_LEVELS = ("background", "privacy", "evidence", "usability", "goals")
# What the platform looks for in an answer (navigator.checks.hints); the ones marked True
# read the words to look for from each language's texts (look_for).
HINTS = {"crisis_resource": True, "dose": True, "citation": False, "compare": False,
         "agreement": True, "memory": True, "none": False}
MAX_MESSAGE = 2000
OTHER_LANGUAGE = "other_language"  # the key of a two-language probe's second message
MAX_REVIEW_MONTHS = 60


@dataclass(frozen=True)
class Question:
    """A question about the product, answered by the navigator with the source looked at."""

    id: str
    area: str


@dataclass(frozen=True)
class Probe:
    """Messages sent to the chatbot; two_languages: the first one again in a second language."""

    id: str
    area: str
    messages: tuple[str, ...]
    hint: str = "none"
    two_languages: bool = False


@dataclass(frozen=True)
class Message:
    """One message to send: its key in the probe, its language and its text."""

    key: str
    locale: str
    text: str


@dataclass
class Protocol:
    """The protocol of one course package, with the texts of every language it has."""

    folder: Path
    version: int
    review_months: int
    areas: tuple[str, ...]
    questions: tuple[Question, ...]
    probes: tuple[Probe, ...]
    texts: dict[str, dict] = field(default_factory=dict)

    def locales(self) -> list[str]:
        return [c for c in CODES if c in self.texts]

    def probe(self, probe_id: str) -> Probe | None:
        return next((p for p in self.probes if p.id == probe_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def _texts(self, locale: str) -> dict:
        return self.texts.get(locale) or self.texts.get(SOURCE_LOCALE) or {}

    def title(self, locale: str) -> dict:
        """title and intro in the locale, else English."""
        texts, source = self._texts(locale), self.texts.get(SOURCE_LOCALE, {})
        return {k: texts.get(k) or source.get(k, "") for k in ("title", "intro")}

    def area_name(self, area: str, locale: str) -> str:
        for texts in (self._texts(locale), self.texts.get(SOURCE_LOCALE, {})):
            name = (texts.get("areas") or {}).get(area)
            if name:
                return name
        return area

    def question_text(self, question_id: str, locale: str) -> dict:
        """question and look (where to look) in the locale, else English."""
        return self._part("product", question_id, locale)

    def probe_text(self, probe_id: str, locale: str) -> dict:
        """title, messages, must, must_not, why, watch, look_for in the locale, else English."""
        return self._part("probes", probe_id, locale)

    def _part(self, part: str, item: str, locale: str) -> dict:
        own = ((self.texts.get(locale) or {}).get(part) or {}).get(item)
        return own or ((self.texts.get(SOURCE_LOCALE) or {}).get(part) or {}).get(item) or {}

    def messages(self, probe: Probe, locale: str, second_locale: str) -> list[Message]:
        """What to send for a probe in a check's language(s), in order."""
        texts = self.probe_text(probe.id, locale).get("messages") or {}
        out = [Message(key, locale, texts.get(key, "")) for key in probe.messages]
        if probe.two_languages:
            other = (self.probe_text(probe.id, second_locale).get("messages") or {})
            first = probe.messages[0]
            out.append(Message(OTHER_LANGUAGE, second_locale, other.get(first, "")))
        return out

    def look_for(self, probe: Probe, locales: list[str]) -> list[str]:
        """Words the probe's hint looks for, in every language an answer may be in."""
        words: list[str] = []
        for loc in dict.fromkeys([*locales, SOURCE_LOCALE]):
            for word in self.probe_text(probe.id, loc).get("look_for") or ():
                if word not in words:
                    words.append(word)
        return words

