"""A navigator's own copy of a training text: balance it, retrain, compare; no one else's changes.

Versioned like trainers' edits, so nothing typed is ever lost; a reset puts the text the
programme uses back in force for that person.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from sqlmodel import Session

from navigator.db import insert_once
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import _
from navigator.sandbox.caches import Sandbox
from navigator.sandbox.edits import check_corpus_text
from navigator.sandbox.model.corpora import LOCALES, parse_lines
from navigator.sandbox.models import PersonalCorpus
from navigator.sandbox.services import (
    corpus_text,
    corpus_view,
    latest_personal_copies,
)

# The texts a navigator may copy: the deliberately skewed one, whose bias they can undo.
PERSONAL_CORPORA = ("skewed",)


def _known(sandbox: Sandbox, name: str, locale: str) -> None:
    if name not in PERSONAL_CORPORA or locale not in LOCALES:
        raise NotFound()
    if not (sandbox.corpora_dir / name).is_dir():
        raise NotFound()


def personal_text(s: Session, sandbox: Sandbox, programme_id: int | None, user_id: int,
                  name: str, locale: str) -> tuple[str, int, bool]:
    """The text in force for the person, the version they are on, and whether it is their copy."""
    _known(sandbox, name, locale)
    latest = latest_personal_copies(s, user_id).get((name, locale))
    version = latest.version if latest else 0
    if latest is not None and not latest.is_reset:
        row = s.get(PersonalCorpus, latest.id)
        return row.text, version, True
    view = corpus_view(s, sandbox, programme_id, name, locale)
    return corpus_text(view, sandbox), version, False


def save_copy(s: Session, sandbox: Sandbox, user_id: int, name: str, locale: str, text: str,
              base_version: int) -> PersonalCorpus:
    """Store a new version of the person's copy; their model retrains on next use."""
    _known(sandbox, name, locale)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_corpus_text(name, text)
    latest = latest_personal_copies(s, user_id).get((name, locale))
    current = latest.version if latest else 0
    if base_version != current:
        raise Conflict(_("You saved this text in another window meanwhile. Your text is still "
                         "below: check it and save again."), "text")
    row = PersonalCorpus(user_id=user_id, corpus=name, locale=locale, version=current + 1,
                         text=text)
    if not insert_once(s, row):
        raise Conflict(_("This text was saved twice at the same moment. Please save again."),
                       "text")
    return row


def reset_copy(s: Session, sandbox: Sandbox, user_id: int, name: str,
               locale: str) -> PersonalCorpus | None:
    """Go back to the programme's text (a new version); None when already there."""
    _known(sandbox, name, locale)
    latest = latest_personal_copies(s, user_id).get((name, locale))
    if latest is None or latest.is_reset:
        return None
    row = PersonalCorpus(user_id=user_id, corpus=name, locale=locale,
                         version=latest.version + 1, is_reset=True)
    if not insert_once(s, row):
        raise Conflict(_("This text was changed twice at the same moment. Please try again."))
    return row


def balance(text: str, groups: Mapping[str, str]) -> tuple[str, int]:
    """Add, for every line that names one group, the same line naming the other; and how many.

    With two groups, each sentence then appears once for each: whatever the text said about one
    group it now says equally about the other, so the counts the model learns are even.
    """
    labels = [g for g in groups.values() if g.strip()]
    if len(labels) != 2:
        raise Invalid(_("Balancing needs exactly two groups to swap."))
    a, b = labels
    pattern = re.compile(rf"(?<!\w)({re.escape(a)}|{re.escape(b)})(?!\w)")
    counts = Counter(line.text for line in parse_lines(text))
    added: list[str] = []
    for line, n in list(counts.items()):
        if len(set(pattern.findall(line))) != 1:
            continue  # names neither group, or both: swapping changes nothing
        swapped = pattern.sub(lambda m: b if m.group(1) == a else a, line)
        missing = n - counts.get(swapped, 0)
        if missing > 0:
            added.extend([swapped] * missing)
            counts[swapped] = n
    if not added:
        return text, 0
    joined = text.rstrip("\n") + "\n" + "\n".join(added) + "\n"
    return joined, len(added)
