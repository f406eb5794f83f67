"""The trained sandbox, by its old address: a word-level model per language, and the token
view's sub-word tokenizer. Each name lives in the module named for what it holds
(engine_settings, measures, training_inputs, language_engine, sandbox_engine, engine_cache)."""

from navigator.sandbox.model.engine_cache import (
    EngineCache,
    get_engine,
    load_language,
    save_language,
)
from navigator.sandbox.model.engine_settings import (
    DISCOUNT_SCALE,
    ENGINE_VERSION,
    HELDOUT_CORPUS,
    HELDOUT_EVERY,
    MIN_SPAN,
    ORDER,
    SOURCE_LOCALE,
    TUNED_MIX,
    VOCAB_SIZE,
)
from navigator.sandbox.model.language_engine import AnswerOnly, LanguageEngine
from navigator.sandbox.model.measures import heldout_measure, line_bits, spelling_model
from navigator.sandbox.model.sandbox_engine import UNSEEN_WORD, SandboxEngine, train_engine
from navigator.sandbox.model.training_inputs import by_locale, language_hash, tokenizer_hash

__all__ = [
    "DISCOUNT_SCALE", "ENGINE_VERSION", "HELDOUT_CORPUS", "HELDOUT_EVERY", "MIN_SPAN", "ORDER",
    "SOURCE_LOCALE", "TUNED_MIX", "UNSEEN_WORD", "VOCAB_SIZE", "AnswerOnly", "EngineCache",
    "LanguageEngine", "SandboxEngine", "by_locale", "get_engine", "heldout_measure",
    "language_hash", "line_bits", "load_language", "save_language", "spelling_model",
    "tokenizer_hash", "train_engine",
]
