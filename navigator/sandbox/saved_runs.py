"""The runs a person chose to save: the only place a prompt is ever stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from navigator.errors import Invalid, NotFound
from navigator.i18n import _
from navigator.sandbox.models import SavedRun
from navigator.sandbox.services import MAX_PROMPT

MAX_SAVED_RESULT = 200_000


def _compact(value: Any) -> Any:
    """A result without the per-token alternatives, which only the live page needs."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if k != "alternatives"}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def save_run(s: Session, user_id: int, *, kind: str, scenario: str, title: str, prompt: str,
             settings: Mapping[str, Any], result: Mapping[str, Any]) -> SavedRun:
    """Keep a run the person chose to save: the only way a prompt is ever stored."""
    compact = _compact(dict(result))
    if len(json.dumps(compact, ensure_ascii=False)) > MAX_SAVED_RESULT:
        raise Invalid(_("This run is too large to save. Try fewer tokens."))
    row = SavedRun(user_id=user_id, kind=kind, scenario=scenario, title=title[:200],
                   prompt=prompt[:MAX_PROMPT], settings=dict(settings), result=compact,
                   engine=str(result.get("engine", ""))[:64])
    s.add(row)
    s.flush()
    return row


def list_runs(s: Session, user_id: int) -> list[SavedRun]:
    """The person's saved runs, newest first."""
    return list(s.exec(select(SavedRun).where(SavedRun.user_id == user_id)
                       .order_by(col(SavedRun.created_at).desc(), col(SavedRun.id).desc())))


def get_run(s: Session, user_id: int, run_id: int) -> SavedRun:
    """One of the person's saved runs; anyone else's is NotFound."""
    row = s.get(SavedRun, run_id)
    if row is None or row.user_id != user_id:
        raise NotFound()
    return row


def delete_run(s: Session, user_id: int, run_id: int) -> None:
    """Delete one of the person's saved runs."""
    s.delete(get_run(s, user_id, run_id))
    s.flush()


