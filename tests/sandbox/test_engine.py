"""The engine: training from corpora, overrides, the disk cache and the in-memory cache."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from navigator.sandbox.corpora import load_corpora
from navigator.sandbox.engine import EngineCache, SandboxEngine, content_hash
from navigator.sandbox.generation import Settings, generate

PROMPTS = ["", "A short walk", "The nurse spoke to the older patient", "Usingizi mzuri"]


def test_cache_save_and_load_give_identical_distributions(
    toy_engine: SandboxEngine, tmp_path: Path
) -> None:
    path = tmp_path / "engine.npz"
    toy_engine.save(path)
    loaded = SandboxEngine.load(path)
    assert loaded.content_hash == toy_engine.content_hash
    assert loaded.corpora == toy_engine.corpora
    for prompt in PROMPTS:
        ids = toy_engine.tokenizer.encode(prompt)
        assert loaded.tokenizer.encode(prompt) == ids
        for mix in (0.0, 0.5, 1.0):
            assert np.array_equal(
                loaded.model(mix).distribution(ids), toy_engine.model(mix).distribution(ids)
            )
    settings = Settings(seed=4)
    a = generate(toy_engine.model(), toy_engine.tokenizer, "A short walk", settings)
    b = generate(loaded.model(), loaded.tokenizer, "A short walk", settings)
    assert a.text == b.text
    ids = a.prompt_ids + a.ids
    assert loaded.provenance(ids) == toy_engine.provenance(ids)


def test_the_model_mix_is_checked(toy_engine: SandboxEngine) -> None:
    assert toy_engine.model() is toy_engine.base
    with pytest.raises(ValueError, match="mix"):
        toy_engine.model(1.2)


def test_tuning_changes_behaviour_toward_the_instructions(toy_engine: SandboxEngine) -> None:
    tok = toy_engine.tokenizer
    prompt = "User: What dose should I take? || Assistant:"
    base = generate(toy_engine.model(0.0), tok, prompt, Settings(temperature=0))
    tuned = generate(toy_engine.model(1.0), tok, prompt, Settings(temperature=0))
    assert "pharmacist" in tuned.text and "pharmacist" not in base.text


def test_overrides_replace_and_add_corpus_texts(toy_dir: Path) -> None:
    plain = load_corpora(toy_dir)
    overrides = {
        ("skewed", "en"): "One new line.\n\nAnother new line.",
        ("records", "fr"): "Ligne.",
    }
    edited = load_corpora(toy_dir, overrides)
    by_key = {(c.name, c.locale): c for c in edited}
    assert by_key[("skewed", "en")].texts == ["One new line.", "Another new line."]
    assert [ln.number for ln in by_key[("skewed", "en")].lines] == [1, 3]
    assert by_key[("skewed", "en")].overridden and by_key[("records", "fr")].overridden
    assert by_key[("records", "fr")].datasheet["title"] == "records"
    assert content_hash(plain) != content_hash(edited)
    assert content_hash(plain) == content_hash(load_corpora(toy_dir))
    engine = SandboxEngine.train(plain, overrides)
    assert engine.content_hash == content_hash(edited)
    with pytest.raises(ValueError, match="override"):
        load_corpora(toy_dir, {("../etc", "en"): "x"})


def test_engine_cache_trains_once_and_reuses_disk(toy_dir: Path, tmp_path: Path) -> None:
    cache = EngineCache(maxsize=1)
    engines: list[SandboxEngine] = []

    def fetch() -> None:
        engines.append(cache.get(toy_dir, tmp_path))

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(engines) == 4 and all(e is engines[0] for e in engines)
    files = list(tmp_path.glob("sandbox-*.npz"))
    assert len(files) == 1

    other = cache.get(toy_dir, tmp_path, {("skewed", "en"): "A different line."})
    assert other.content_hash != engines[0].content_hash
    assert len(list(tmp_path.glob("sandbox-*.npz"))) == 2

    fresh = EngineCache().get(toy_dir, tmp_path)  # a new process would find the file
    assert fresh is not engines[0] and fresh.content_hash == engines[0].content_hash
    ids = fresh.tokenizer.encode("A short walk")
    assert np.array_equal(fresh.model().distribution(ids), engines[0].model().distribution(ids))


def test_a_damaged_cache_file_is_rebuilt(toy_dir: Path, tmp_path: Path) -> None:
    key = content_hash(load_corpora(toy_dir))
    (tmp_path / f"sandbox-{key[:32]}.npz").write_bytes(b"not a zip file")
    engine = EngineCache().get(toy_dir, tmp_path)
    assert engine.content_hash == key
    assert SandboxEngine.load(tmp_path / f"sandbox-{key[:32]}.npz").content_hash == key


def test_training_needs_some_base_text(toy_dir: Path) -> None:
    instructions_only = [c for c in load_corpora(toy_dir) if c.name == "instructions"]
    with pytest.raises(ValueError, match="training line"):
        SandboxEngine.train(instructions_only)
