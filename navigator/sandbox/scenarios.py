"""Sandbox scenarios: loading and checking their YAML, and running them to plain data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from navigator.sandbox.model.corpora import LOCALES, Problem
from navigator.sandbox.model.engine import ORDER, TUNED_MIX, LanguageEngine, SandboxEngine
from navigator.sandbox.model.generation import Generation, Settings, generate, next_token_table
from navigator.sandbox.model.ngram import LanguageModel
from navigator.sandbox.model.probes import (
    GROUP_SLOT,
    bias_probe,
    language_gap,
    memorisation,
    sample_endings,
)
from navigator.sandbox.model.tokenizer import pretokenize, visible

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
        from navigator.sandbox.inside import check_base

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
        from navigator.sandbox.inside import check_texts

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


def chat_prompt(prompt: str) -> str:
    """Wrap a question in the format the instructions corpus uses, unless it already is."""
    if "Assistant:" in prompt:
        return prompt
    return f"User: {prompt.strip()} || Assistant:"


def run_scenario(
    engine: SandboxEngine, scenario: Scenario, locale: str, **overrides: Any
) -> dict[str, Any]:
    """Run a scenario in a locale; overrides change settings, prompt, mix or temperatures.

    The model is the language's own: the scenario's text in the locale shown, or, for a prompt
    the person typed, the language its words belong to. Returns plain JSON-ready data for the
    page to render (and to precompute without JavaScript).
    """
    networks = overrides.pop("networks", None)  # the transformers, for the kinds that use them
    options = {k: overrides.pop(k) for k in RUN_OPTIONS if k in overrides}
    settings = Settings.from_mapping(overrides, base=scenario.settings)
    used, texts = scenario.texts_for(locale)
    if scenario.kind == "tuning":
        weights = _floats(options.get("mix", scenario.mix))
        mix: float | list[float] = weights
    else:
        mix = float(options.get("mix", TUNED_MIX if scenario.model == "tuned" else 0.0))
    prompt = str(options.get("prompt", texts.get("prompt", "")))
    if scenario.model == "tuned" and scenario.kind != "tuning":
        prompt = chat_prompt(prompt)
    language = used
    if "prompt" in options and prompt.strip():
        language = engine.detect(prompt, prefer=used)
    kind = scenario.kind
    src = texts
    if kind == "bias":
        src = texts if "template" in texts else scenario.texts.get(SOURCE_LOCALE, {})
        language = used if "template" in texts else SOURCE_LOCALE
    lang = engine.language(language)
    result: dict[str, Any] = {
        "name": scenario.name,
        "kind": kind,
        "locale": used,
        "requested_locale": locale,
        "model_locale": lang.locale,
        **{key: texts.get(key, "") for key in TEXT_KEYS},
        "prompt": prompt,
        "model": scenario.model,
        "mix": mix,
        "settings": settings.to_dict(),
        "engine": engine.content_hash[:12],
        "order": lang.base.order,
    }
    model = lang.model(mix if isinstance(mix, float) else 0.0)
    words = lang.words
    if kind in INSIDE_KINDS:
        from navigator.sandbox.inside import run_inside

        return run_inside(result, engine=engine, lang=lang, scenario=scenario, locale=locale,
                          options=options, settings=settings, networks=networks)
    network = str(options.get("network", "transformer" if scenario.model == "transformer"
                              else "ngram"))
    if network not in NETWORKS:
        raise ValueError(f"network must be one of: {', '.join(NETWORKS)}")
    if network == "transformer" and kind in NETWORK_KINDS:
        from navigator.sandbox.inside import served_transformer

        model, words = served_transformer(networks, lang.locale, chat=scenario.model == "tuned")
        result["network"], result["order"] = network, model.order
    if kind == "tokens":
        result["prompt_pieces"] = engine.tokenizer.pieces(prompt) if prompt else []
        result["samples"] = _samples(engine, texts.get("samples") or {})
    elif kind == "step":
        ids = words.encode(prompt)
        # The tuned part reads the question and the chat markers; the base part cannot.
        window = max(lang.base.context_used(ids),
                     lang.instructions.context_used(ids) if mix else 0)
        if result.get("network") == "transformer":  # it reads every token that fits
            window = min(len(ids), model.order - 1)
        result["table"] = next_token_table(model, words, prompt, settings, window=window)
        result["table"]["order"] = result["order"]
    elif kind == "generate":
        result.update(_generation(lang, model, prompt, settings, words))
    elif kind == "temperature":
        result["runs"] = [
            {"temperature": t, **_generation(lang, model, prompt, _with(settings, t), words)}
            for t in _floats(options.get("temperatures", scenario.temperatures))
        ]
    elif kind == "bias":
        probe_args = (model, words, src["template"], src["groups"], src["word_sets"])
        result["template"] = src["template"]
        result["probe"] = bias_probe(*probe_args)
        result["samples"] = sample_endings(*probe_args, settings)
    elif kind == "language_gap":
        prompts = {loc: t["prompt"] for loc, t in scenario.texts.items() if t.get("prompt")}
        prompts[used] = str(options.get("prompt", texts.get("prompt", "")))
        result["rows"] = language_gap(engine, _in_locale_order(prompts))
        for row in result["rows"]:
            row_lang = engine.language(row["locale"])
            question = chat_prompt(row["text"]) if scenario.model == "tuned" else row["text"]
            row["answer"] = _generation(row_lang, row_lang.model(float(mix)), question, settings)
            row["model_locale"] = row_lang.locale
    elif kind == "memorisation":
        result["memorisation"] = memorisation(model, words, prompt, lang.sources, settings)
        # The same opening with a name the records do not hold: what does the model give?
        unseen = str(options.get("unseen", texts.get("unseen", "")))
        if unseen.strip():
            result["unseen"] = memorisation(model, words, unseen, lang.sources, settings)
    elif kind == "tuning":
        result["prompt"] = chat_prompt(prompt)
        result["runs"] = [
            {"mix": w, **_generation(lang, lang.model(w), result["prompt"], settings)}
            for w in weights
        ]
    return result


def _floats(value: Any) -> list[float]:
    """A number or a list of numbers (as a form or YAML gives them) as a list of floats."""
    return [float(v) for v in (value if isinstance(value, list | tuple) else [value])]


def _with(settings: Settings, temperature: float) -> Settings:
    return Settings.from_mapping({"temperature": temperature}, base=settings)


def _generation(
    engine: LanguageEngine, model: LanguageModel, prompt: str, settings: Settings,
    words: Any = None,
) -> dict[str, Any]:
    """A generation with its provenance; words: the model's own vocabulary, if not the engine's.

    A transformer keeps the shipped words even where a programme edited the corpora; its text
    is then matched against the training lines in the engine's words.
    """
    gen: Generation = generate(model, words or engine.words, prompt, settings)
    ids = gen.prompt_ids + gen.ids
    if words is not None and words.vocab != engine.words.vocab:
        start = engine.words.encode(prompt)
        ids = start + engine.words.encode(gen.text)[: len(gen.ids)]
        spans = engine.provenance(ids, start=len(start))
    else:
        spans = engine.provenance(ids, start=len(gen.prompt_ids))
    # A stop sequence may cut the last token short; cut its span the same way.
    left = len(gen.text)
    for span in spans:
        span["text"] = span["text"][:left]
        left -= len(span["text"])
    spans = [span for span in spans if span["text"]]
    copied = sum(s["end"] - s["start"] for s in spans if s["copied"])
    return {
        **gen.to_dict(),
        "provenance": spans,
        "copied_share": copied / len(gen.ids) if gen.ids else 0.0,
    }


def _samples(engine: SandboxEngine, samples: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for locale, text in _in_locale_order(samples).items():
        ids = engine.tokenizer.encode(text)
        rows.append(
            {
                "locale": locale,
                "text": text,
                "ids": ids,
                "pieces": [engine.tokenizer.piece(i) for i in ids],
                "shown": [visible(engine.tokenizer.piece(i)) for i in ids],
                "tokens": len(ids),
                "chars": len(text),
            }
        )
    en = next((r["tokens"] for r in rows if r["locale"] == SOURCE_LOCALE), None)
    for row in rows:
        row["tokens_vs_en"] = row["tokens"] / en if en else None
    return rows


def _in_locale_order(by_locale: Mapping[str, str]) -> dict[str, str]:
    known = [loc for loc in LOCALES if loc in by_locale]
    return {loc: by_locale[loc] for loc in [*known, *sorted(set(by_locale) - set(known))]}
