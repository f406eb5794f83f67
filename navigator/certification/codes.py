"""Verification codes: unguessable, short enough to type, read aloud without confusion.

Ten characters from a 31-character alphabet (no 0/O, 1/I/L) give 31**10 ≈ 2**49.5 codes;
they are shown in two groups of five, and typed in any case, with or without spaces or dashes.
"""

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10
GROUP = 5
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")


def new_code() -> str:
    """A fresh random code in its canonical form (no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(raw: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    code = _SEPARATORS.sub("", raw or "").upper()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display(code: str) -> str:
    """The code as printed and linked: ABCDE-FGHJK."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))
