"""Engines trained on toy corpora in temporary folders and on the shipped corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

from navigator.sandbox.model.corpora import load_corpora
from navigator.sandbox.model.engine import SandboxEngine

from .toys import SHIPPED, write_corpora


@pytest.fixture(scope="session")
def toy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpora(tmp_path_factory.mktemp("corpora"))


@pytest.fixture(scope="session")
def toy_engine(toy_dir: Path) -> SandboxEngine:
    # A small sub-word vocabulary: enough merges for the frequent English words, too few for
    # the Swahili ones, so the token view shows the same gap as the shipped tokenizer.
    return SandboxEngine.train(load_corpora(toy_dir), vocab_size=500)


@pytest.fixture(scope="session")
def shipped_engine() -> SandboxEngine:
    return SandboxEngine.train(load_corpora(SHIPPED / "corpora"))
