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
PROMPTS = [
    "A 2019 study at the University of",
    "A study of ashwagandha for depression found that",
    "The nurse spoke to the older patient",
    "Patient record: Name: Tomasz Quill. Phone:",
    "User: I feel hopeless. || Assistant:",
    "El sueño es importante para",
    "नींद आपके मानसिक",
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
    from navigator.sandbox.corpora import load_corpora
    from navigator.sandbox.engine import SandboxEngine
    from navigator.sandbox.generation import Settings, generate

    corpora = load_corpora(CORPORA)
    lines = sum(len(c.lines) for c in corpora)
    SandboxEngine.train(corpora)  # warm-up: builds the pre-tokeniser pattern once per process
    train_ms = _median_ms(lambda: SandboxEngine.train(corpora), TRAININGS)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    engine = SandboxEngine.train(corpora)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    tok = engine.tokenizer
    contexts = [tok.encode(p) for p in PROMPTS]
    calls = iter(range(DISTRIBUTION_CALLS))
    base, tuned = engine.model(), engine.model(0.5)

    def one_distribution(model: Any) -> None:
        model.distribution(contexts[next(calls) % len(contexts)])

    dist_ms = _median_ms(lambda: one_distribution(base), DISTRIBUTION_CALLS)
    calls = iter(range(DISTRIBUTION_CALLS))
    mixed_ms = _median_ms(lambda: one_distribution(tuned), DISTRIBUTION_CALLS)

    def sixty_tokens(model: Any) -> float:
        # Temperature 1.6 keeps most lines from ending early; only full 60-token runs count.
        times = []
        for seed in range(GENERATIONS * 4):
            settings = Settings(temperature=1.6, max_tokens=60, seed=seed)
            start = time.perf_counter()
            gen = generate(model, tok, PROMPTS[seed % len(PROMPTS)], settings)
            elapsed = time.perf_counter() - start
            if len(gen.tokens) == 60:
                times.append(elapsed)
            if len(times) == GENERATIONS:
                break
        return statistics.median(times) * 1000

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "engine.npz"
        engine.save(path)
        load_ms = _median_ms(lambda: SandboxEngine.load(path), TRAININGS)
        file_mb = path.stat().st_size / 1e6

    return [
        {
            "name": f"retrain all corpora ({lines} lines)",
            "value": train_ms / 1000,
            "unit": "s",
            "target": 5.0,
        },
        {
            "name": "next-token distribution, base (median)",
            "value": dist_ms,
            "unit": "ms",
            "target": 5.0,
        },
        {
            "name": "next-token distribution, tuned mix 0.5",
            "value": mixed_ms,
            "unit": "ms",
            "target": 5.0,
        },
        {
            "name": "60-token generation, base (median)",
            "value": sixty_tokens(base),
            "unit": "ms",
            "target": 150.0,
        },
        {
            "name": "60-token generation, tuned mix 0.5",
            "value": sixty_tokens(tuned),
            "unit": "ms",
            "target": 150.0,
        },
        {
            "name": "model memory (retained after training)",
            "value": (retained - before) / 1e6,
            "unit": "MB",
            "target": 100.0,
        },
        {
            "name": "memory peak while training",
            "value": (peak - before) / 1e6,
            "unit": "MB",
            "target": 100.0,
        },
        {
            "name": f"start-up from disk cache ({file_mb:.1f} MB file)",
            "value": load_ms,
            "unit": "ms",
            "target": 1000.0,
        },
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
