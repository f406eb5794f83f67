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
from functools import cache
from pathlib import Path

import yaml

from navigator.checks.protocol_model import (
    APA_LEVELS,
    FOLDER,
    HINTS,
    MAX_MESSAGE,
    MAX_REVIEW_MONTHS,
    OTHER_LANGUAGE,
    SLUG,
    SOURCE_LOCALE,
    Message,
    Probe,
    Protocol,
    Question,
)
from navigator.i18n import CODES
from navigator.learning.package_yaml import _line, _Loader
from navigator.outreach.hints import personal_data_hints

__all__ = [
    "APA_LEVELS", "FOLDER", "HINTS", "MAX_MESSAGE", "MAX_REVIEW_MONTHS", "OTHER_LANGUAGE", "SLUG",
    "SOURCE_LOCALE", "Message", "Probe", "Protocol", "Question", "check_protocol",
    "find_protocol", "load", "texts_hash",
]


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
    areas = _areas(data, path, problems)
    questions = _questions(data, areas, path, problems)
    probes, seen = [], set()
    for item in _items(data, "probes", path, problems):
        probe = _probe(item, data, areas, seen, path, problems)
        if probe is not None:
            probes.append(probe)
    return Protocol(path.parent, version, review, tuple(areas), tuple(questions), tuple(probes))


def _areas(data: dict, path: Path, problems: list) -> list[str]:
    """The areas listed: distinct lower-case names."""
    areas: list[str] = []
    for item in _items(data, "areas", path, problems):
        if not isinstance(item, str) or not SLUG.match(item) or item in areas:
            problems.append((path, _line(data, "areas"), "error",
                             f"area {item!r}: areas are distinct lower-case names"))
            continue
        areas.append(item)
    return areas


def _questions(data: dict, areas: list[str], path: Path, problems: list) -> list[Question]:
    """The questions about the product, which must cover every APA level."""
    questions, seen = [], set()
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
    return questions


def _probe(item, data: dict, areas: list[str], seen: set, path: Path,
           problems: list) -> Probe | None:
    """One probe of protocol.yaml, checked; None when it cannot be used."""
    line = getattr(item, "line", _line(data, "probes"))
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
            or not SLUG.match(item["id"]) or item["id"] in seen:
        problems.append((path, line, "error", "each probe needs a distinct id "
                                              "(lower-case letters, digits, _)"))
        return None
    pid = item["id"]
    seen.add(pid)
    messages = item.get("messages")
    if not isinstance(messages, list) or not messages or len(set(messages)) != len(messages) \
            or not all(isinstance(m, str) and SLUG.match(m) and m != OTHER_LANGUAGE
                       for m in messages):
        problems.append((path, line, "error", f"probe {pid}: messages must be a list of "
                                              f"distinct names (not {OTHER_LANGUAGE})"))
        return None
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
        return None
    return Probe(pid, item["area"], tuple(messages), hint, two)


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
