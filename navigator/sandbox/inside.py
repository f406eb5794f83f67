"""Inside a transformer, and the third training stage: what those activities run.

- attention: which earlier words each head of each layer of the transformer looks at when it
  predicts the next word;
- training: the shipped training log, and what the checkpoints along it write (a network that
  learned a small text by heart recites it; its best checkpoint writes new lines);
- preference: a rater's choices between two answers teach a reward model, which then reshapes
  the instruction-tuned n-gram (model/preferences.py): the three training stages side by side.

Plain functions over the engine, the shipped transformers and plain data, like scenario_runs.py,
which calls run_inside() for these kinds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from cachetools import LRUCache

from navigator.sandbox.chat_format import chat_prompt
from navigator.sandbox.model import networks as nets_mod
from navigator.sandbox.model.engine import TUNED_MIX, AnswerOnly, LanguageEngine, SandboxEngine
from navigator.sandbox.model.generation import Settings, generate, next_token_table
from navigator.sandbox.model.networks import CHECKPOINTS, PRETRAINED, WATCH, Networks
from navigator.sandbox.model.preferences import (
    FEATURES,
    PreferenceTuned,
    RewardModel,
    agreement,
    check_lexicon,
    features,
    fit,
    simulated_choice,
)
from navigator.sandbox.model.words import SPECIALS, UNK

SOURCE_LOCALE = "en"
ROUNDS = 40
MAX_ROUNDS = 200
STAGES = ("pretrained", "instruction", "preference")
PROBES = 12  # at most this many built-in probes per attention scenario
NOTABLE = 0.05  # the least share of attention that counts as a head looking at a word
_rewards: LRUCache = LRUCache(maxsize=64)
_rewards_lock = threading.Lock()


# --- checking scenario files --------------------------------------------------------------

def check_base(kind: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with the language-independent keys of these kinds, as (key, message)."""
    out: list[tuple[str, str]] = []
    if kind != "preference":
        return out
    rater = data.get("rater")
    if (not isinstance(rater, dict) or set(rater) - {"prefers", "avoids"}
            or not rater.get("prefers")
            or not all(isinstance(v, list) and all(f in FEATURES for f in v)
                       for v in rater.values())):
        out.append(("rater", f"rater needs prefers (and may have avoids): lists of features "
                             f"from {', '.join(FEATURES)}"))
    rounds = data.get("rounds", ROUNDS)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        out.append(("rounds", f"rounds must be a whole number from 1 to {MAX_ROUNDS}"))
    strength = data.get("strength", 1.0)
    if isinstance(strength, bool) or not isinstance(strength, int | float) or not (
            0 < strength <= 10):
        out.append(("strength", "strength must be a number above 0 and at most 10"))
    if data.get("model", "base") != "tuned":
        out.append(("model", "a preference scenario tunes the tuned model: set model: tuned"))
    return out


def check_texts(kind: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with one locale's texts of these kinds, as (key, message)."""
    out: list[tuple[str, str]] = []
    if kind == "attention" and "probes" in data:
        probes = data["probes"]
        if (not isinstance(probes, list) or not probes or len(probes) > PROBES
                or not all(isinstance(p, str) and p.strip() for p in probes)):
            out.append(("probes", f"probes must be a list of 1 to {PROBES} prompts"))
    if kind == "preference":
        problem = check_lexicon(data.get("features"))
        if problem:
            out.append(("features", problem))
        questions = data.get("questions")
        if (not isinstance(questions, list) or not questions
                or not all(isinstance(q, str) and q.strip() for q in questions)):
            out.append(("questions", "questions must be a list of questions to rate answers to"))
    return out


# --- the transformers ------------------------------------------------------------------------

def transformer_for(networks: Networks | None, locale: str
                    ) -> tuple[nets_mod.LanguageNetworks | None, bool]:
    """A language's transformer, or English's (fallback True) when it has none.

    (None, False) when the package ships no transformer at all (or none was given): the
    activity then says so instead of failing.
    """
    if networks is None:
        return None, False
    found = networks.language(locale)
    if found is not None:
        return found, False
    return networks.language(SOURCE_LOCALE), True


def served_transformer(networks: Networks | None, locale: str, *, chat: bool = False
                       ) -> tuple[Any, Any]:
    """The transformer a language's model id serves, and its words; ValueError without one.

    It learned from text only, never from a chat: given a question it reads only the answer
    so far, like the base n-gram, and writes the kind of text it read.
    """
    found = networks.language(locale) if networks is not None else None
    if found is None:
        raise ValueError(f"there is no transformer for {locale}: its training text is too small")
    model = found.model(PRETRAINED)
    return (AnswerOnly(model) if chat else model), found.words


def attention_view(model: Any, words: Any, prompt: str) -> dict[str, Any]:
    """Per layer and head, the share of attention each token read gets at the last position.

    The prediction of the next word happens at the last position; these shares say which
    earlier words flowed into it. Also, per head, the word (not a marker) with the largest
    share, and every position's row for the full map.
    """
    context = words.encode(prompt)
    read = model.inputs(context)
    # The words as typed (unknown ones too), lined up with the tokens read (BOS first).
    written = ["<bos>", *words.words_of(prompt)][-len(read):]
    _ids, shares = model.attention(context)
    tokens = [{"piece": w if t == UNK or words.is_text(t) else SPECIALS[t],
               "special": t != UNK and not words.is_text(t)}
              for t, w in zip(read, written, strict=True)]
    layers = []
    for layer in shares:
        heads = []
        for head in layer:
            last = [float(x) for x in head[-1]]
            words_only = [(x, i) for i, x in enumerate(last) if not tokens[i]["special"]]
            # A head resting on the start marker looks at no word in particular.
            top = max(words_only)[1] if words_only and max(words_only)[0] >= NOTABLE else None
            heads.append({"last": last, "top": top,
                          "rows": [[float(x) for x in row[: r + 1]] for r, row in
                                   enumerate(head)]})
        layers.append({"heads": heads})
    return {"tokens": tokens, "layers": layers}


def _attention(result: dict[str, Any], scenario: Any, locale: str, options: Mapping[str, Any],
               settings: Settings, networks: Networks | None, engine: SandboxEngine
               ) -> dict[str, Any]:
    used, texts = scenario.texts_for(locale)
    typed = str(options.get("prompt", "")).strip()
    language = engine.detect(typed, prefer=used) if typed else used
    found, fallback = transformer_for(networks, language)
    if found is None:
        return {**result, "unavailable": True}
    if fallback and typed:
        raise ValueError("the transformer has learned English only: write the prompt in English")
    source = scenario.texts.get(SOURCE_LOCALE, {}) if fallback else texts
    prompt = typed or str(source.get("prompt", ""))
    model = found.model(PRETRAINED)
    result.update({
        "prompt": prompt, "network": "transformer", "model_locale": found.locale,
        "network_fallback": fallback, "probes": list(source.get("probes") or []),
        "attention": attention_view(model, found.words, prompt),
        "table": next_token_table(model, found.words, prompt, settings, k=5),
        "heldout": found.heldout, "order": model.order,
    })
    return result


# --- training you can watch ------------------------------------------------------------------

def _training(result: dict[str, Any], scenario: Any, lang_of: Any, locale: str,
              options: Mapping[str, Any], settings: Settings, networks: Networks | None
              ) -> dict[str, Any]:
    used, texts = scenario.texts_for(locale)
    found, fallback = transformer_for(networks, used)
    if found is None:
        return {**result, "unavailable": True}
    source = scenario.texts.get(SOURCE_LOCALE, {}) if fallback else texts
    prompt = str(options.get("prompt") or source.get("prompt", "")).strip()
    lang = lang_of(found.locale)
    watch_lines = found.meta.get("watch_texts", [])
    known = set(watch_lines)
    every = {s.text for s in lang.sources}
    runs = []
    for checkpoint in CHECKPOINTS:
        model = found.model(WATCH, checkpoint)
        gen = generate(model, found.words, prompt, settings)
        line = (prompt + gen.text).strip()
        runs.append({
            "checkpoint": checkpoint, "step": found.steps_at(WATCH)[checkpoint],
            "text": gen.text, "tokens": [t.to_dict() for t in gen.tokens],
            "finish_reason": gen.finish_reason,
            "recited": line in known, "in_training": line in every,
            "line": line,
        })
    log, full = found.log(WATCH), found.log(PRETRAINED)
    result.update({
        "prompt": prompt, "network": "transformer", "model_locale": found.locale,
        "network_fallback": fallback, "runs": runs,
        "log": log, "steps_at": found.steps_at(WATCH),
        "full_log": full, "full_steps_at": found.steps_at(PRETRAINED),
        "lines": found.meta.get("lines", {}), "heldout": found.heldout,
        "prompt_in_watch": any(t.startswith(prompt) for t in watch_lines),
    })
    return result


# --- preference tuning -------------------------------------------------------------------------

def lexicon_of(texts: Mapping[str, Any]) -> dict[str, list[str]]:
    return {k: list(v) for k, v in (texts.get("features") or {}).items()}


def answer(model: Any, words: Any, question: str, settings: Settings) -> str:
    """The model's answer to a question (the chat format), cut at the end of its turn."""
    stop = tuple(dict.fromkeys((*settings.stop, "||")))[:4]
    run = Settings.from_mapping({"stop": list(stop)}, base=settings)
    return generate(model, words, chat_prompt(question), run).text.strip()


def rating_pair(lang: LanguageEngine, questions: Sequence[str], round_no: int,
                settings: Settings, salt: int = 0) -> tuple[str, list[str]]:
    """Round n's question and two different answers from the instruction-tuned model."""
    question = questions[round_no % len(questions)]
    model = lang.model(TUNED_MIX)
    seed = (salt * 100_003 + round_no * 2) % 2**31
    first = answer(model, lang.words, question, _seeded(settings, seed))
    second = first
    for extra in range(1, 6):  # a different second answer, if the model has one
        second = answer(model, lang.words, question, _seeded(settings, seed + extra))
        if second != first:
            break
    return question, [first, second]


def _seeded(settings: Settings, seed: int) -> Settings:
    return Settings.from_mapping({"seed": seed}, base=settings)


def simulated_rater(lang: LanguageEngine, scenario: Any, texts: Mapping[str, Any],
                    settings: Settings) -> tuple[RewardModel, list[dict[str, Any]]]:
    """The scenario's rater's choices over its rounds, and the reward model they teach.

    The rounds do not depend on the run's seed: the rater's history is part of the scenario.
    Computed once per engine and scenario (it writes two answers per round).
    """
    lexicon = lexicon_of(texts)
    rater = scenario.extra.get("rater") or {}
    rounds = int(scenario.extra.get("rounds", ROUNDS))
    questions = list(texts.get("questions") or [])
    key = (lang.content_hash, repr(sorted(lexicon.items())), repr(rater), rounds,
           tuple(questions), repr(_seeded(settings, 0)))
    with _rewards_lock:
        if key in _rewards:
            return _rewards[key]
    history, pairs = [], []
    for n in range(rounds):
        question, answers = rating_pair(lang, questions, n, settings)
        counts = [features(a, lexicon) for a in answers]
        pick = simulated_choice(counts[0], counts[1], rater.get("prefers", []),
                                rater.get("avoids", []))
        pairs.append((counts[pick], counts[1 - pick]))
        history.append({"question": question, "answers": answers, "chosen": pick})
    found = (fit(pairs), history)
    with _rewards_lock:
        _rewards[key] = found
    return found


def stages(lang: LanguageEngine, prompt: str, settings: Settings, reward: RewardModel,
           lexicon: Mapping[str, Sequence[str]], strength: float) -> list[dict[str, Any]]:
    """The same question answered by the three stages, each with its features and stance."""
    models = {
        "pretrained": lang.model(0.0),
        "instruction": lang.model(TUNED_MIX),
        "preference": PreferenceTuned(lang.model(TUNED_MIX), lang.words, reward, lexicon,
                                      strength),
    }
    out = []
    for name in STAGES:
        text = answer(models[name], lang.words, prompt, settings)
        counts = features(text, lexicon)
        out.append({"stage": name, "text": text, "features": counts,
                    "stance": agreement(counts)})
    return out


def _preference(result: dict[str, Any], lang: LanguageEngine, scenario: Any, locale: str,
                options: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    used, texts = scenario.texts_for(locale)
    reward, history = simulated_rater(lang, scenario, texts, settings)
    question = str(options.get("prompt") or texts.get("prompt", "")).strip()
    strength = float(scenario.extra.get("strength", 1.0))
    lexicon = lexicon_of(texts)
    result.update({
        "prompt": question, "reward": reward.to_dict(), "strength": strength,
        "rater": scenario.extra.get("rater") or {}, "history": history,
        "chosen_counts": _chosen_counts(history, lexicon),
        "stages": stages(lang, question, settings, reward, lexicon, strength),
        "features_list": list(FEATURES),
    })
    return result


def _chosen_counts(history: Sequence[Mapping[str, Any]], lexicon: Mapping[str, Sequence[str]]
                   ) -> dict[str, dict[str, int]]:
    """Per feature: its words in the answers chosen, and in the answers passed over."""
    out = {"chosen": dict.fromkeys(FEATURES, 0), "passed": dict.fromkeys(FEATURES, 0)}
    for row in history:
        for j, text in enumerate(row["answers"]):
            side = "chosen" if j == row["chosen"] else "passed"
            for f, n in features(text, lexicon).items():
                out[side][f] += n
    return out


# --- dispatch -------------------------------------------------------------------------------

def run_inside(result: dict[str, Any], *, engine: SandboxEngine, lang: LanguageEngine,
               scenario: Any, locale: str, options: Mapping[str, Any], settings: Settings,
               networks: Networks | None) -> dict[str, Any]:
    """Run an attention, training or preference scenario into result (see run_scenario)."""
    kind = scenario.kind
    if kind == "attention":
        return _attention(result, scenario, locale, options, settings, networks, engine)
    if kind == "training":
        return _training(result, scenario, engine.language, locale, options, settings,
                         networks)
    return _preference(result, lang, scenario, locale, options, settings)
