"""The chatbot check's protocol: a versioned file in the course package, checked with file:line.

    curricula/<course>/checks/protocol.yaml          ids, areas, hints: language-independent
    curricula/<course>/checks/protocol.<locale>.yaml  the texts of one language

Part one asks about the product, question by question, each in an area of the APA App
Evaluation Model; part two is the probes, messages sent to the chatbot, each with what a safe
answer must and must not do, why, and a line for the handout. A translation records the
source_hash of the English texts it was made from, as quiz translations do.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from navigator.i18n import CODES
from navigator.learning.package import _line, _Loader
from navigator.outreach.hints import personal_data_hints

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


# --- reading and checking ---------------------------------------------------------------------

def find_protocol(curricula: str | Path) -> Path | None:
    """The checks folder of a course package: the LLM-literacy course's, else the first found."""
    root = Path(curricula)
    preferred = root / "llm-literacy" / FOLDER
    if (preferred / "protocol.yaml").is_file():
        return preferred
    found = sorted(p.parent for p in root.glob(f"*/{FOLDER}/protocol.yaml")) \
        if root.is_dir() else []
    return found[0] if found else None


def texts_hash(data) -> str:
    """The source_hash of a language's texts: layout and comments aside, the texts themselves."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in ("source_hash", "reviewed_by")}
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _read(path: Path, problems: list) -> dict | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        problems.append((path, 1, "error", "file is missing"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append((path, mark.line + 1 if mark else 1, "error", f"invalid YAML: {exc}"))
        return None
    except UnicodeDecodeError:
        problems.append((path, 1, "error", "file is not UTF-8 text"))
        return None
    if not isinstance(data, dict):
        problems.append((path, 1, "error", "the file must be a mapping"))
        return None
    return data


def _whole(data: dict, key: str, low: int, high: int, default: int, path: Path,
           problems: list) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.append((path, _line(data, key), "error",
                         f"{key} must be a whole number from {low} to {high}"))
        return default
    return value


def _items(data: dict, key: str, path: Path, problems: list) -> list:
    items = data.get(key)
    if not isinstance(items, list) or not items:
        problems.append((path, _line(data, key), "error", f"{key} must be a non-empty list"))
        return []
    return items


def _structure(path: Path, problems: list) -> Protocol | None:
    data = _read(path, problems)
    if data is None:
        return None
    version = _whole(data, "version", 1, 10_000, 1, path, problems)
    review = _whole(data, "review_months", 1, MAX_REVIEW_MONTHS, 6, path, problems)
    areas: list[str] = []
    for item in _items(data, "areas", path, problems):
        if not isinstance(item, str) or not SLUG.match(item) or item in areas:
            problems.append((path, _line(data, "areas"), "error",
                             f"area {item!r}: areas are distinct lower-case names"))
            continue
        areas.append(item)
    questions, probes, seen = [], [], set()
    for item in _items(data, "product", path, problems):
        line = getattr(item, "line", _line(data, "product"))
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not SLUG.match(item["id"]) or item["id"] in seen:
            problems.append((path, line, "error", "each question needs a distinct id "
                                                  "(lower-case letters, digits, _)"))
            continue
        if item.get("area") not in areas:
            problems.append((path, line, "error", f"question {item['id']}: area must be one of "
                                                  "the areas listed"))
            continue
        seen.add(item["id"])
        questions.append(Question(item["id"], item["area"]))
    missing = [level for level in APA_LEVELS if level not in {q.area for q in questions}]
    if questions and missing:
        problems.append((path, _line(data, "product"), "error",
                         "the questions about the product must cover every level of the APA "
                         f"App Evaluation Model; none for: {', '.join(missing)}"))
    seen = set()
    for item in _items(data, "probes", path, problems):
        line = getattr(item, "line", _line(data, "probes"))
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not SLUG.match(item["id"]) or item["id"] in seen:
            problems.append((path, line, "error", "each probe needs a distinct id "
                                                  "(lower-case letters, digits, _)"))
            continue
        pid = item["id"]
        seen.add(pid)
        messages = item.get("messages")
        if not isinstance(messages, list) or not messages or len(set(messages)) != len(messages) \
                or not all(isinstance(m, str) and SLUG.match(m) and m != OTHER_LANGUAGE
                           for m in messages):
            problems.append((path, line, "error", f"probe {pid}: messages must be a list of "
                                                  f"distinct names (not {OTHER_LANGUAGE})"))
            continue
        hint = item.get("hint", "none")
        if hint not in HINTS:
            problems.append((path, line, "error", f"probe {pid}: hint must be one of "
                                                  f"{', '.join(HINTS)}"))
            hint = "none"
        two = item.get("two_languages", False)
        if not isinstance(two, bool) or (two and len(messages) != 1):
            problems.append((path, line, "error", f"probe {pid}: two_languages is true or "
                                                  "false, and true only with one message"))
            two = False
        if item.get("area") not in areas:
            problems.append((path, line, "error", f"probe {pid}: area must be one of the areas "
                                                  "listed"))
            continue
        probes.append(Probe(pid, item["area"], tuple(messages), hint, two))
    return Protocol(path.parent, version, review, tuple(areas), tuple(questions), tuple(probes))


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _strings(value) -> bool:
    return isinstance(value, list) and bool(value) and all(_text(v) for v in value)


def _check_texts(protocol: Protocol, locale: str, path: Path, data: dict,
                 problems: list) -> None:
    """Every text of one language: present, of the right shape, no personal data in probes."""
    for key in ("title", "intro"):
        if not _text(data.get(key)):
            problems.append((path, _line(data, key), "error", f"{key} is missing"))
    areas = data.get("areas")
    if not isinstance(areas, dict):
        problems.append((path, _line(data, "areas"), "error", "areas must map each area to its "
                                                              "name"))
        areas = {}
    for area in protocol.areas:
        if not _text(areas.get(area)):
            problems.append((path, _line(areas, area) if area in areas else _line(data, "areas"),
                             "error", f"area {area}: its name is missing"))
    for part, ids in (("product", [q.id for q in protocol.questions]),
                      ("probes", [p.id for p in protocol.probes])):
        block = data.get(part)
        if not isinstance(block, dict):
            problems.append((path, _line(data, part), "error", f"{part} must map ids to texts"))
            continue
        for unknown in sorted(set(block) - set(ids)):
            problems.append((path, _line(block, unknown), "error",
                             f"{unknown}: not in protocol.yaml"))
        for item_id in ids:
            entry = block.get(item_id)
            line = _line(block, item_id) if item_id in block else _line(data, part)
            if not isinstance(entry, dict):
                problems.append((path, line, "error", f"{item_id}: texts are missing"))
                continue
            if part == "product":
                for key in ("question", "look"):
                    if not _text(entry.get(key)):
                        problems.append((path, _line(entry, key), "error",
                                         f"{item_id}: {key} is missing"))
            else:
                _check_probe_texts(protocol.probe(item_id), entry, path, problems)


def _check_probe_texts(probe: Probe, entry: dict, path: Path, problems: list) -> None:
    pid = probe.id
    for key in ("title", "why", "watch"):
        if not _text(entry.get(key)):
            problems.append((path, _line(entry, key), "error", f"{pid}: {key} is missing"))
    for key in ("must", "must_not"):
        if not _strings(entry.get(key)):
            problems.append((path, _line(entry, key), "error",
                             f"{pid}: {key} must be a list of sentences"))
    messages = entry.get("messages")
    if not isinstance(messages, dict):
        problems.append((path, _line(entry, "messages"), "error",
                         f"{pid}: messages must map {', '.join(probe.messages)} to texts"))
        messages = {}
    for key in probe.messages:
        text = messages.get(key)
        line = _line(messages, key) if key in messages else _line(entry, "messages")
        if not _text(text):
            problems.append((path, line, "error", f"{pid}: message {key} is missing"))
        elif len(text) > MAX_MESSAGE:
            problems.append((path, line, "error", f"{pid}: message {key} is longer than "
                                                  f"{MAX_MESSAGE} characters"))
        elif personal_data_hints(text):
            problems.append((path, line, "error",
                             f"{pid}: message {key} looks like it holds personal data "
                             f"({', '.join(personal_data_hints(text))}); probes use made-up "
                             "details only"))
    for unknown in sorted(set(messages) - set(probe.messages)):
        problems.append((path, _line(messages, unknown), "error",
                         f"{pid}: message {unknown} is not in protocol.yaml"))
    if HINTS.get(probe.hint) and not _strings(entry.get("look_for")):
        problems.append((path, _line(entry, "look_for"), "error",
                         f"{pid}: look_for must list the words its hint looks for"))


def check_protocol(folder: Path) -> tuple[Protocol | None, list[tuple[Path, int, str, str]]]:
    """Read a checks folder: the protocol and every problem as (path, line, severity, message).

    A missing or outdated translation is a warning whose message starts with "translation",
    as for lessons and quizzes; everything else is an error.
    """
    problems: list = []
    protocol = _structure(folder / "protocol.yaml", problems)
    if protocol is None:
        return None, problems
    source_hash = ""
    for locale in (SOURCE_LOCALE, *[c for c in CODES if c != SOURCE_LOCALE]):
        path = folder / f"protocol.{locale}.yaml"
        if not path.is_file():
            severity = "error" if locale == SOURCE_LOCALE else "warning"
            problems.append((path, 1, severity, "translation is missing" if severity ==
                             "warning" else "the English texts are missing"))
            continue
        data = _read(path, problems)
        if data is None:
            continue
        _check_texts(protocol, locale, path, data, problems)
        if locale == SOURCE_LOCALE:
            source_hash = texts_hash(data)
        elif str(data.get("source_hash", "")) != source_hash:
            problems.append((path, _line(data, "source_hash"), "warning",
                             "translation is outdated: the English texts changed since "
                             f"(source_hash differs; the English texts' is {source_hash})"))
        protocol.texts[locale] = data
    for path in sorted(folder.glob("protocol.*.yaml")):
        locale = path.name[len("protocol."):-len(".yaml")]
        if locale not in CODES:
            problems.append((path, 1, "error", f"unknown locale {locale!r}; use one of "
                                               f"{', '.join(CODES)}"))
    return protocol, problems


def _signature(folder: Path) -> tuple:
    out = []
    for path in sorted(folder.glob("protocol*.yaml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(out)


@cache
def _load(folder: str, _signature: tuple) -> Protocol | None:
    protocol, problems = check_protocol(Path(folder))
    if protocol is None or any(p[2] == "error" for p in problems):
        return None
    return protocol


def load(folder: Path) -> Protocol | None:
    """The protocol in a folder, read again only when its files change; None when broken."""
    return _load(str(folder), _signature(folder))
