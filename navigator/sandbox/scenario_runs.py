"""Running a scenario to plain data: its kind's model, prompt and settings, and what it shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from navigator.sandbox.chat_format import chat_prompt
from navigator.sandbox.inside import run_inside, served_transformer
from navigator.sandbox.model.corpora import LOCALES
from navigator.sandbox.model.engine import TUNED_MIX, LanguageEngine, SandboxEngine
from navigator.sandbox.model.generation import Generation, Settings, generate, next_token_table
from navigator.sandbox.model.ngram import LanguageModel
from navigator.sandbox.model.probes import (
    bias_probe,
    language_gap,
    memorisation,
    sample_endings,
)
from navigator.sandbox.model.tokenizer import visible
from navigator.sandbox.scenarios import (
    INSIDE_KINDS,
    NETWORK_KINDS,
    NETWORKS,
    NO_PROMPT_KINDS,
    RUN_OPTIONS,
    SOURCE_LOCALE,
    TEXT_KEYS,
    Scenario,
)


def run_overrides(settings: Mapping[str, Any], prompt: str | None, network: str | None,
                  weight: float | None, scenario: Scenario, *, fresh_seed: int) -> dict[str, Any]:
    """What a person's run changes in a scenario: settings, prompt, network, mix and seed.

    The temperature activity keeps its own temperatures; the bias activity its own texts (the
    token view takes a typed text). fresh_seed seeds a run that neither the person nor the
    scenario seeded, so it can be repeated and saved.
    """
    overrides = dict(settings)
    if scenario.kind == "temperature":
        overrides.pop("temperature", None)
    typed = (prompt or "").strip()
    if typed and (scenario.kind not in NO_PROMPT_KINDS or scenario.kind == "tokens"):
        overrides["prompt"] = typed
    if network and scenario.kind in NETWORK_KINDS:
        overrides["network"] = network
    if weight is not None and has_mix(scenario):
        weight = round(float(weight), 2)
        overrides["mix"] = (sorted({*scenario.mix, weight}) if scenario.kind == "tuning"
                            else weight)
    if scenario.settings.seed is None and "seed" not in overrides:
        overrides["seed"] = fresh_seed
    return overrides


def has_mix(scenario: Scenario) -> bool:
    """Whether a run chooses how much of the instructions model to mix in."""
    return scenario.kind == "tuning" or scenario.model == "tuned"


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
    result, lang, texts, src = _head(engine, scenario, locale, options, settings)
    mix = result["mix"]
    model = lang.model(mix if isinstance(mix, float) else 0.0)
    words = lang.words
    if scenario.kind in INSIDE_KINDS:
        return run_inside(result, engine=engine, lang=lang, scenario=scenario, locale=locale,
                          options=options, settings=settings, networks=networks)
    network = str(options.get("network", "transformer" if scenario.model == "transformer"
                              else "ngram"))
    if network not in NETWORKS:
        raise ValueError(f"network must be one of: {', '.join(NETWORKS)}")
    if network == "transformer" and scenario.kind in NETWORK_KINDS:
        model, words = served_transformer(networks, lang.locale, chat=scenario.model == "tuned")
        result["network"], result["order"] = network, model.order
    _run_kind(result, engine, lang, model, words, scenario, texts, src, options, settings)
    return result


def _head(engine: SandboxEngine, scenario: Scenario, locale: str, options: dict[str, Any],
          settings: Settings) -> tuple[dict[str, Any], LanguageEngine, dict, dict]:
    """What every run shows (names, texts, prompt, mix, settings), its language's engine, the
    texts in the locale shown and the texts the bias probe reads."""
    used, texts = scenario.texts_for(locale)
    if scenario.kind == "tuning":
        mix: float | list[float] = _floats(options.get("mix", scenario.mix))
    else:
        mix = float(options.get("mix", TUNED_MIX if scenario.model == "tuned" else 0.0))
    prompt = str(options.get("prompt", texts.get("prompt", "")))
    if scenario.model == "tuned" and scenario.kind != "tuning":
        prompt = chat_prompt(prompt)
    language = used
    if "prompt" in options and prompt.strip():
        language = engine.detect(prompt, prefer=used)
    src = texts
    if scenario.kind == "bias":
        src = texts if "template" in texts else scenario.texts.get(SOURCE_LOCALE, {})
        language = used if "template" in texts else SOURCE_LOCALE
    lang = engine.language(language)
    result: dict[str, Any] = {
        "name": scenario.name,
        "kind": scenario.kind,
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
    return result, lang, texts, src


def _run_kind(result: dict[str, Any], engine: SandboxEngine, lang: LanguageEngine, model: Any,
              words: Any, scenario: Scenario, texts: dict, src: dict, options: dict[str, Any],
              settings: Settings) -> None:
    """Add what the scenario's kind shows to result."""
    kind, prompt, mix = scenario.kind, result["prompt"], result["mix"]
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
        _language_gap(result, engine, scenario, texts, options, settings)
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
            for w in mix
        ]


def _language_gap(result: dict[str, Any], engine: SandboxEngine, scenario: Scenario,
                  texts: dict, options: dict[str, Any], settings: Settings) -> None:
    """The same question in every language the scenario has, each answered in its language."""
    prompts = {loc: t["prompt"] for loc, t in scenario.texts.items() if t.get("prompt")}
    prompts[result["locale"]] = str(options.get("prompt", texts.get("prompt", "")))
    result["rows"] = language_gap(engine, _in_locale_order(prompts))
    for row in result["rows"]:
        row_lang = engine.language(row["locale"])
        question = chat_prompt(row["text"]) if scenario.model == "tuned" else row["text"]
        row["answer"] = _generation(row_lang, row_lang.model(float(result["mix"])), question,
                                    settings)
        row["model_locale"] = row_lang.locale


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
