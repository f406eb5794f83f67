"""Training corpora of a course package: one text file per corpus and locale, plus a datasheet."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

LOCALES = ("en", "es", "pt_BR", "fr", "ar", "sw", "hi")
INSTRUCTIONS = "instructions"
DATASHEET_KEYS = ("title", "licence", "locales", "purpose")
# Written text, not templates: at most this share of a corpus may be lines that differ from
# another line in at most two words. Corpora whose pairs are the point are exempt.
NEAR_DUPLICATE_LIMIT = 0.15
NEAR_DUPLICATE_EXEMPT = ("skewed", "records")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Overrides = Mapping[tuple[str, str], str]
Problem = tuple[str, int, str]


@dataclass(frozen=True)
class Line:
    """A training line and its 1-based number in the file (or in the override text)."""

    number: int
    text: str


@dataclass(frozen=True)
class Corpus:
    """One corpus in one locale."""

    name: str
    locale: str
    lines: tuple[Line, ...]
    datasheet: dict[str, Any] = field(default_factory=dict, compare=False)
    overridden: bool = False

    @property
    def texts(self) -> list[str]:
        """The line texts alone."""
        return [line.text for line in self.lines]


def parse_lines(text: str) -> tuple[Line, ...]:
    """Non-blank lines that are not comments, each with its line number."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            out.append(Line(number, stripped))
    return tuple(out)


def read_datasheet(path: Path) -> tuple[dict[str, Any], str]:
    """The YAML front matter and the markdown prose of a datasheet.md."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|$)", text, re.S | re.M)
    if not match:
        return {}, text
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: front matter must be a mapping")
    return meta, text[match.end() :]


def load_corpora(corpora_dir: str | Path, overrides: Overrides | None = None) -> list[Corpus]:
    """Every <corpus>/<locale>.txt under corpora_dir, with overrides replacing or adding texts."""
    root = Path(corpora_dir)
    found: dict[tuple[str, str], Corpus] = {}
    datasheets: dict[str, dict[str, Any]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        datasheets[folder.name] = _datasheet_or_empty(folder / "datasheet.md")
        for path in sorted(folder.glob("*.txt")):
            if path.stem in LOCALES:
                lines = parse_lines(path.read_text(encoding="utf-8"))
                found[(folder.name, path.stem)] = Corpus(
                    folder.name, path.stem, lines, datasheets[folder.name]
                )
    return apply_overrides(found.values(), overrides, datasheets)


def _datasheet_or_empty(path: Path) -> dict[str, Any]:
    # A broken datasheet is the checker's business; it must not stop the model from training.
    try:
        return read_datasheet(path)[0] if path.is_file() else {}
    except (ValueError, yaml.YAMLError):
        return {}


def apply_overrides(
    corpora: Iterable[Corpus],
    overrides: Overrides | None,
    datasheets: Mapping[str, dict[str, Any]] | None = None,
) -> list[Corpus]:
    """Corpora with texts edited in the browser put in place of (or beside) the files."""
    out = {(c.name, c.locale): c for c in corpora}
    sheets = dict(datasheets or {})
    sheets.update({c.name: c.datasheet for c in out.values()})
    for (name, locale), text in (overrides or {}).items():
        if not _NAME.match(name) or locale not in LOCALES:
            raise ValueError(f"cannot override corpus {name!r} in locale {locale!r}")
        out[(name, locale)] = Corpus(
            name, locale, parse_lines(text), sheets.get(name, {}), overridden=True
        )
    return sorted(out.values(), key=_order)


def _order(corpus: Corpus) -> tuple[str, int, str]:
    index = LOCALES.index(corpus.locale) if corpus.locale in LOCALES else len(LOCALES)
    return corpus.name, index, corpus.locale


def near_duplicates(texts: Iterable[str]) -> set[int]:
    """Indexes of lines within two words (word-level edit distance) of another line.

    Two lines are that close exactly when deleting at most two words from each makes them
    equal, so every line is filed under each of its deletion variants (words as small ints,
    variants by hash: a few seconds for ten thousand lines).
    """
    ids: dict[str, int] = {}
    buckets: dict[int, set[int]] = defaultdict(set)
    for index, text in enumerate(texts):
        w = tuple(ids.setdefault(x, len(ids)) for x in re.findall(r"\w+|[^\w\s]", text.lower()))
        variants = {w}
        variants.update(w[:i] + w[i + 1:] for i in range(len(w)))
        variants.update(w[:i] + w[i + 1:j] + w[j + 1:] for i, j in combinations(range(len(w)), 2))
        for variant in variants:
            buckets[hash(variant)].add(index)
    return {i for found in buckets.values() if len(found) > 1 for i in found}


@lru_cache(maxsize=64)
def _near_in_file(texts: tuple[str, ...]) -> frozenset[int]:
    # Checks run again and again in one process (tests, the authoring pages): count once.
    return frozenset(near_duplicates(texts))


def check_corpora(corpora_dir: str | Path) -> list[Problem]:
    """Problems in a corpora folder as (file, line, message) for the package checker."""
    root = Path(corpora_dir)
    if not root.is_dir():
        return [(str(root), 0, "the corpora folder is missing")]
    problems: list[Problem] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        sheet = folder / "datasheet.md"
        texts = sorted(folder.glob("*.txt"))
        if not sheet.is_file():
            problems.append((str(sheet), 0, "every corpus needs a datasheet.md"))
        else:
            problems.extend(_check_datasheet(sheet, {p.stem for p in texts}))
        if not texts:
            problems.append((str(folder), 0, "no <locale>.txt files in this corpus"))
        for path in texts:
            if path.stem not in LOCALES:
                problems.append((str(path), 0, f"unknown locale {path.stem!r}"))
                continue
            try:
                lines = parse_lines(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as exc:
                problems.append((str(path), 0, f"not UTF-8 text: {exc.reason}"))
                continue
            if not lines:
                problems.append((str(path), 0, "the file has no training lines"))
            elif folder.name not in NEAR_DUPLICATE_EXEMPT:
                near = _near_in_file(tuple(line.text for line in lines))
                if len(near) > NEAR_DUPLICATE_LIMIT * len(lines):
                    first = min(near)
                    problems.append((str(path), lines[first].number,
                                     f"{len(near)} of {len(lines)} lines differ from another "
                                     f"line in at most two words (at most "
                                     f"{NEAR_DUPLICATE_LIMIT:.0%} may): write them anew"))
            if folder.name == INSTRUCTIONS:
                problems.extend(
                    (str(path), line.number, "expected 'User: ... || Assistant: ...'")
                    for line in lines
                    if not re.match(r"^User: .+ \|\| Assistant: .+$", line.text)
                )
    return problems


def _check_datasheet(path: Path, locales: set[str]) -> list[Problem]:
    try:
        meta, prose = read_datasheet(path)
    except (ValueError, yaml.YAMLError) as exc:
        return [(str(path), 1, f"front matter is not valid YAML: {exc}")]
    if not meta:
        return [(str(path), 1, "datasheet needs YAML front matter between --- lines")]
    problems = [
        (str(path), 1, f"front matter is missing {key!r}")
        for key in DATASHEET_KEYS
        if key not in meta
    ]
    listed = meta.get("locales")
    if listed is not None and (not isinstance(listed, list) or set(map(str, listed)) != locales):
        message = f"locales should list the files' locales: {', '.join(sorted(locales))}"
        problems.append((str(path), 1, message))
    if not prose.strip():
        problems.append((str(path), 1, "datasheet needs prose after the front matter"))
    return problems
