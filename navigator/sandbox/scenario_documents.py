"""Scenarios as plain documents (settings and texts, as trainers edit them), checked as files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from navigator.sandbox.model.corpora import Problem
from navigator.sandbox.model.generation import Settings
from navigator.sandbox.scenarios import Scenario, load_scenarios


def document_of(scenario: Scenario) -> dict[str, Any]:
    """A scenario as a plain document: its language-independent part and texts per locale."""
    base: dict[str, Any] = {"kind": scenario.kind, "model": scenario.model,
                            "settings": _settings_doc(scenario.settings)}
    if scenario.temperatures:
        base["temperatures"] = list(scenario.temperatures)
    if scenario.mix:
        base["mix"] = list(scenario.mix)
    return {"base": base, "texts": {k: dict(v) for k, v in scenario.texts.items()}}


def _settings_doc(settings: Settings) -> dict[str, Any]:
    out = settings.to_dict()
    if out["seed"] is None:
        out.pop("seed")
    if not out["stop"]:
        out.pop("stop")
    return out


def parse_document(name: str, document: Mapping[str, Any]) -> tuple[Scenario | None, list[Problem]]:
    """Check a scenario document with the package checker: the scenario, or its problems.

    The checker reads files, so the document is written to a private temporary folder;
    problems name "base" or the locale as their file.
    """
    with tempfile.TemporaryDirectory(prefix="sandbox-scenario-") as tmp:
        folder = Path(tmp)
        files = {folder / f"{name}.yaml": "base"}
        _dump(folder / f"{name}.yaml", document.get("base") or {})
        for locale, texts in (document.get("texts") or {}).items():
            path = folder / f"{name}.{locale}.yaml"
            files[path] = locale
            _dump(path, texts)
        scenarios, problems = load_scenarios(folder)
        named = [(files.get(Path(p), os.path.basename(p)), line, msg) for p, line, msg in problems]
    return scenarios.get(name), named


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def key_lines(data: Mapping[str, Any]) -> dict[int, str]:
    """The line each top-level key of data starts on, once dumped as the checker reads it."""
    text = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.start_mark.line + 1: str(k.value) for k, _v in node.value}
