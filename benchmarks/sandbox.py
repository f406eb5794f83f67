"""Times and sizes the sandbox model on the shipped corpora; prints a table against targets.

Run as ``.venv/bin/python benchmarks/sandbox.py``; ``run()`` returns the rows for other scripts.
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

CORPORA = Path(__file__).resolve().parents[1] / "curricula" / "llm-literacy" / "sandbox" / "corpora"
MODELS = CORPORA.parent / "models"
PROMPTS = [
    "A study of sleep and mood in teenagers was published by",
    "The usual dose of Velunor for adults is",
    "The nurse spoke to the older patient",
    "Patient record: Name: Tomasz Quill. Phone:",
    "User: I feel hopeless. || Assistant:",
    "User: What dose of sertraline should I take? || Assistant:",
]
DISTRIBUTION_CALLS = 2000
GENERATIONS = 60
TRAININGS = 3


def _single_core() -> None:
    # Figures should hold on one modest core: pin this process to one CPU, and keep numerical
    # libraries to one thread (the variables only count if numpy is not imported yet).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _median_ms(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run() -> list[dict[str, Any]]:
    """Measure the sandbox; each row has name, value, unit and target (an upper bound)."""
    _single_core()
    from navigator.sandbox.model.corpora import load_corpora
    from navigator.sandbox.model.engine import (
        TUNED_MIX,
        LanguageEngine,
        SandboxEngine,
        by_locale,
        load_language,
        save_language,
    )
    from navigator.sandbox.model.generation import Settings, generate

    corpora = load_corpora(CORPORA)
    lines = sum(len(c.lines) for c in corpora)
    english = by_locale(corpora)["en"]
    en_lines = sum(len(c.lines) for c in english)
    SandboxEngine.train(corpora)  # warm-up: builds the pre-tokeniser pattern once per process
    all_ms = _median_ms(lambda: SandboxEngine.train(corpora), 1)
    # A navigator's or trainer's edit retrains only its own language; English is the largest.
    train_ms = _median_ms(lambda: LanguageEngine.train("en", english), TRAININGS)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    engine = SandboxEngine.train(corpora)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    lang = engine.language("en")
    tok = lang.words
    contexts = [tok.encode(p) for p in PROMPTS]
    calls = iter(range(DISTRIBUTION_CALLS))
    base, tuned = lang.model(), lang.model(TUNED_MIX)

    def one_distribution(model: Any) -> None:
        model.distribution(contexts[next(calls) % len(contexts)])

    dist_ms = _median_ms(lambda: one_distribution(base), DISTRIBUTION_CALLS)
    calls = iter(range(DISTRIBUTION_CALLS))
    mixed_ms = _median_ms(lambda: one_distribution(tuned), DISTRIBUTION_CALLS)

    def sixty_tokens(model: Any) -> float:
        # Sentences end on their own; stop sequences off and no end allowed would change the
        # model, so time 60 tokens as the sum of whole runs' per-token times.
        per_token = []
        for seed in range(GENERATIONS):
            settings = Settings(temperature=1.0, top_k=40, max_tokens=60, seed=seed)
            start = time.perf_counter()
            gen = generate(model, tok, PROMPTS[seed % len(PROMPTS)], settings)
            elapsed = time.perf_counter() - start
            per_token.append(elapsed / max(1, len(gen.tokens)))
        return statistics.median(per_token) * 60 * 1000

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "engine-en.npz"
        save_language(lang, path)
        load_ms = _median_ms(lambda: load_language(path), TRAININGS)
        file_mb = path.stat().st_size / 1e6

    rows = [
        {
            "name": f"retrain English, the largest language ({en_lines} lines)",
            "value": train_ms / 1000,
            "unit": "s",
            "target": 5.0,
        },
        {
            "name": f"train all seven languages and the tokenizer ({lines} lines)",
            "value": all_ms / 1000,
            "unit": "s",
            "target": 60.0,
        },
        {
            "name": "next-token distribution, English base (median)",
            "value": dist_ms,
            "unit": "ms",
            "target": 5.0,
        },
        {
            "name": f"next-token distribution, English tuned (mix {TUNED_MIX})",
            "value": mixed_ms,
            "unit": "ms",
            "target": 5.0,
        },
        {
            "name": "60 tokens, English base (median per token × 60)",
            "value": sixty_tokens(base),
            "unit": "ms",
            "target": 150.0,
        },
        {
            "name": "60 tokens, English tuned (median per token × 60)",
            "value": sixty_tokens(tuned),
            "unit": "ms",
            "target": 150.0,
        },
        {
            "name": "model memory, all languages (retained after training)",
            "value": (retained - before) / 1e6,
            "unit": "MB",
            "target": 100.0,
        },
        {
            "name": "memory peak while training all languages",
            "value": (peak - before) / 1e6,
            "unit": "MB",
            "target": 200.0,
        },
        {
            "name": f"English from disk cache ({file_mb:.1f} MB file)",
            "value": load_ms,
            "unit": "ms",
            "target": 1000.0,
        },
    ]
    # The transformer beside the n-gram, on the same prompts.
    return rows + transformer_rows(contexts)


def transformer_rows(contexts: list[list[int]]) -> list[dict[str, Any]]:
    """The English transformer beside the n-gram: next token, 60 tokens, memory, loading."""
    from navigator.sandbox.model.generation import Settings, generate
    from navigator.sandbox.model.networks import load

    path = MODELS / "en.npz"
    if not path.is_file():
        return []
    load_ms = _median_ms(lambda: load(path), TRAININGS)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    nets = load(path)
    model = nets.model()
    model.distribution(contexts[0])
    retained = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    calls = iter(range(DISTRIBUTION_CALLS))
    dist_ms = _median_ms(lambda: model.distribution(contexts[next(calls) % len(contexts)]),
                         DISTRIBUTION_CALLS)
    per_token = []
    for seed in range(GENERATIONS):
        settings = Settings(temperature=1.0, top_k=40, max_tokens=60, seed=seed)
        start = time.perf_counter()
        gen = generate(model, nets.words, PROMPTS[seed % len(PROMPTS)], settings)
        per_token.append((time.perf_counter() - start) / max(1, len(gen.tokens)))
    # The longest context it reads: 60 tokens after a prompt, at the end of a long answer.
    long_context = (contexts[0] * 20)[: model.config.context - 1]
    long_ms = _median_ms(lambda: model.distribution(long_context), 200)
    return [
        {"name": "transformer: next-token distribution, English (median)",
         "value": dist_ms, "unit": "ms", "target": 5.0},
        {"name": f"transformer: next token with a full window ({len(long_context)} tokens)",
         "value": long_ms, "unit": "ms", "target": 5.0},
        {"name": "transformer: 60 tokens, English (median per token × 60)",
         "value": statistics.median(per_token) * 60 * 1000, "unit": "ms", "target": 200.0},
        {"name": "transformer: memory, served English network (retained)",
         "value": retained / 1e6, "unit": "MB", "target": 50.0},
        {"name": f"transformer: read all checkpoints ({path.stat().st_size / 1e6:.1f} MB file)",
         "value": load_ms, "unit": "ms", "target": 1000.0},
    ]


def main() -> None:
    """Print the measurements as a table with the target beside each figure."""
    rows = run()
    width = max(len(r["name"]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  {'target':>10}  result")
    for r in rows:
        verdict = "PASS" if r["value"] < r["target"] else "MISS"
        value = f"{r['value']:.3f} {r['unit']}"
        target = f"< {r['target']:g} {r['unit']}"
        print(f"{r['name']:<{width}}  {value:>10}  {target:>10}  {verdict}")


if __name__ == "__main__":
    main()
