"""Sandbox scenarios: loading and checking their YAML, and running them to plain data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from navigator.sandbox.inside import check_base, check_texts
from navigator.sandbox.model.corpora import LOCALES, Problem
from navigator.sandbox.model.engine import ORDER
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.model.probes import (
    GROUP_SLOT,
)
from navigator.sandbox.model.tokenizer import pretokenize

KINDS = (
    "tokens",
    "step",
    "generate",
    "temperature",
    "bias",
    "language_gap",
    "memorisation",
    "tuning",
)
# Inside a transformer, and the third training stage (navigator/sandbox/inside.py).
INSIDE_KINDS = ("attention", "training", "preference")
ALL_KINDS = KINDS + INSIDE_KINDS
MODELS = ("base", "tuned", "transformer")
# Kinds that can run on the transformer as well as on the n-gram ("network" when run).
NETWORK_KINDS = ("step", "generate", "temperature", "bias", "memorisation")
NETWORKS = ("ngram", "transformer")
SCENARIO_NAMES = (
    "token-view",
    "next-token-step",
    "fabricated-citation",
    "confident-wrong-fact",
    "temperature",
    "bias-probe",
    "language-gap",
    "memorisation",
    "base-vs-tuned",
    "attention-medicine",
    "attention-pronoun",
    "overfitting",
    "sycophancy",
)
SOURCE_LOCALE = "en"
TEXT_KEYS = ("title", "notice", "explanation", "reflect")
BASE_KEYS = ("kind", "model", "settings", "temperatures", "mix", "rater", "rounds", "strength")
# Base keys only some kinds take, kept in Scenario.extra.
EXTRA_KEYS = {"preference": ("rater", "rounds", "strength")}
LOCALE_KEYS = {
    "tokens": ("samples",),
    "bias": ("template", "groups", "word_sets"),
}
NO_PROMPT_KINDS = ("tokens", "bias")
RUN_OPTIONS = ("prompt", "mix", "temperatures", "unseen", "network")
_FILE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*)(?:\.(?P<locale>[A-Za-z_]+))?\.yaml$")


@dataclass(frozen=True)
class Scenario:
    """A scenario: what it runs (language-independent) and its texts in each locale."""

    name: str
    kind: str
    model: str = "base"
    settings: Settings = field(default_factory=Settings)
    temperatures: tuple[float, ...] = ()
    mix: tuple[float, ...] = ()
    texts: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def texts_for(self, locale: str) -> tuple[str, dict[str, Any]]:
        """The locale actually used (falling back to the source locale) and its texts."""
        if locale in self.texts:
            return locale, self.texts[locale]
        return SOURCE_LOCALE, self.texts.get(SOURCE_LOCALE, {})


def load_scenarios(scenarios_dir: str | Path) -> tuple[dict[str, Scenario], list[Problem]]:
    """Every valid scenario in a folder, and the problems as (file, line, message)."""
    root = Path(scenarios_dir)
    problems: list[Problem] = []
    bases: dict[str, Path] = {}
    localized: dict[str, dict[str, Path]] = {}
    for path in sorted(root.glob("*.yaml")) if root.is_dir() else []:
        match = _FILE.match(path.name)
        if not match:
            problems.append(
                (str(path), 0, "name files <scenario>.yaml or <scenario>.<locale>.yaml")
            )
        elif match["locale"] is None:
            bases[match["name"]] = path
        elif match["locale"] not in LOCALES:
            problems.append((str(path), 0, f"unknown locale {match['locale']!r}"))
        else:
            localized.setdefault(match["name"], {})[match["locale"]] = path
    for name in sorted(set(localized) - set(bases)):
        for path in localized[name].values():
            problems.append((str(path), 0, f"texts for a scenario without {name}.yaml"))
    scenarios = {}
    for name, path in bases.items():
        scenario = _load_one(name, path, localized.get(name, {}), problems)
        if scenario is not None:
            scenarios[name] = scenario
    return scenarios, problems


def check_scenarios(
    scenarios_dir: str | Path, required: tuple[str, ...] = SCENARIO_NAMES
) -> list[Problem]:
    """Problems in a scenarios folder, including required scenarios that are missing."""
    scenarios, problems = load_scenarios(scenarios_dir)
    root = Path(scenarios_dir)
    present = {p.name.split(".", 1)[0] for p in root.glob("*.yaml")} if root.is_dir() else set()
    problems.extend(
        (str(root / f"{name}.yaml"), 0, "a lesson embeds this scenario, but it is missing")
        for name in required
        if name not in present
    )
    return problems


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML mapping and the line of each top-level key (empty when the file is unusable)."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append((str(path), mark.line + 1 if mark else 0, f"cannot read YAML: {reason}"))
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append((str(path), 1, "the file must hold a YAML mapping"))
        return {}, {}
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return data, lines


def _load_one(
    name: str, path: Path, localized: dict[str, Path], problems: list[Problem]
) -> Scenario | None:
    data, lines = _read_yaml(path, problems)
    if not data:
        return None
    before = len(problems)

    def problem(key: str, message: str) -> None:
        problems.append((str(path), lines.get(key, 1), message))

    for key in sorted(set(data) - set(BASE_KEYS)):
        problem(key, f"unknown key {key!r}")
    kind = data.get("kind")
    if kind not in ALL_KINDS:
        problem("kind", f"kind must be one of: {', '.join(ALL_KINDS)}")
    model = data.get("model", "base")
    if model not in MODELS:
        problem("model", f"model must be one of: {', '.join(MODELS)}")
    extra = {key: data[key] for key in EXTRA_KEYS.get(str(kind), ()) if key in data}
    for key in sorted(set(data) & {k for keys in EXTRA_KEYS.values() for k in keys}):
        if key not in EXTRA_KEYS.get(str(kind), ()):
            problem(key, f"{key!r} belongs to another kind of scenario")
    if kind in INSIDE_KINDS:
        for key, message in check_base(str(kind), data):
            problem(key, message)
    settings = Settings()
    try:
        settings = Settings.from_mapping(data.get("settings") or {})
    except (TypeError, ValueError, AttributeError) as exc:
        problem("settings", f"settings: {exc}")
    temperatures = _numbers(data, "temperatures", 0.0, 2.0, kind == "temperature", problem)
    mix = _numbers(data, "mix", 0.0, 1.0, kind == "tuning", problem)
    texts = {}
    if SOURCE_LOCALE not in localized:
        problem("kind", f"texts are missing: add {name}.{SOURCE_LOCALE}.yaml")
    for locale, text_path in sorted(localized.items()):
        texts[locale] = _load_texts(text_path, str(kind), locale, problems)
    if len(problems) > before:
        return None
    return Scenario(name, str(kind), model, settings, temperatures, mix, texts, extra)


def _numbers(
    data: dict[str, Any], key: str, low: float, high: float, required: bool, problem: Any
) -> tuple[float, ...]:
    value = data.get(key)
    if value is None:
        if required:
            problem("kind", f"this kind needs {key}: a list of numbers from {low:g} to {high:g}")
        return ()
    ok = (
        isinstance(value, list)
        and value
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and low <= v <= high
            for v in value
        )
    )
    if not ok:
        problem(key, f"{key} must be a list of numbers from {low:g} to {high:g}")
        return ()
    return tuple(float(v) for v in value)


def _load_texts(path: Path, kind: str, locale: str, problems: list[Problem]) -> dict[str, Any]:
    data, lines = _read_yaml(path, problems)
    if not data:
        return {}

    def problem(key: str, message: str) -> None:
        problems.append((str(path), lines.get(key, 1), message))

    required = list(TEXT_KEYS)
    # The transformer's activities run English prompts where a language has no transformer.
    english_prompt = kind in ("attention", "training") and locale != SOURCE_LOCALE
    if kind not in NO_PROMPT_KINDS and not english_prompt:
        required.append("prompt")
    if kind == "tokens" or (kind in LOCALE_KEYS and locale == SOURCE_LOCALE):
        required.extend(LOCALE_KEYS[kind])
    for key in required:
        if key not in data:
            problem(key, f"missing {key!r}")
    for key in (*TEXT_KEYS, "prompt", "template", "unseen"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            problem(key, f"{key!r} must be non-empty text")
    if "samples" in data:
        samples = data["samples"]
        if (
            not isinstance(samples, dict)
            or not samples
            or not all(
                k in LOCALES and isinstance(v, str) and v.strip() for k, v in samples.items()
            )
        ):
            problem("samples", "samples must map locales to non-empty text")
    if kind == "bias" and "template" in data:
        _check_bias(data, problem)
    if kind in INSIDE_KINDS:
        for key, message in check_texts(kind, data):
            problem(key, message)
    return data


def _check_bias(data: dict[str, Any], problem: Any) -> None:
    template = data["template"]
    if not isinstance(template, str) or template.count(GROUP_SLOT) != 1:
        problem("template", f"the template needs exactly one {GROUP_SLOT}")
        return
    # Pre-tokens are never fewer than tokens, so this is a safe lower bound on the distance.
    after = len(pretokenize(template.split(GROUP_SLOT, 1)[1]))
    if after >= ORDER - 1:
        problem(
            "template",
            f"put {GROUP_SLOT} at most {ORDER - 2} words before the end: the model reads only "
            f"the last {ORDER - 1} tokens, so a group further back cannot change the next word",
        )
    groups, word_sets = data.get("groups"), data.get("word_sets")
    if (
        not isinstance(groups, dict)
        or len(groups) < 2
        or not all(isinstance(v, str) and v.strip() for v in groups.values())
    ):
        problem("groups", "groups must map at least two keys to group words")
    if (
        not isinstance(word_sets, dict)
        or len(word_sets) < 2
        or not all(
            isinstance(ws, list) and ws and all(isinstance(w, str) and w.strip() for w in ws)
            for ws in word_sets.values()
        )
    ):
        problem("word_sets", "word_sets must map at least two names to lists of words")
