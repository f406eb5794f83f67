"""Spotting notes that may hold personal data: e-mail addresses, phone and ID-like numbers.

A heuristic that errs towards warning: the person can always confirm and save. Digits from any
script (Arabic-Indic, Devanagari, full-width …) count as digits.
"""

import re
import unicodedata

EMAIL = "email"
PHONE = "phone"
ID_NUMBER = "id_number"
KINDS = (EMAIL, PHONE, ID_NUMBER)

_EMAIL = re.compile(r"[\w.+'-]+\s?@\s?[\w-]+(?:\.[\w-]+)+")
# Dates, times and year ranges are numbers a note may well hold; they are set aside first.
_DATES = re.compile(
    r"(?<!\d)(?<!\d[-/.])(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|(?:19|20)\d{2}\s?[-–]\s?(?:19|20)?\d{2}|\d{1,2}:\d{2}(?::\d{2})?)(?!\d|[-/.]\d)")
# A word mixing letters and digits (passport, national ID, case numbers: X1234567, AB-12345).
_CODE = re.compile(r"(?<![\w-])[^\W_]+(?:-[^\W_]+)+(?![\w-])|(?<!\w)[^\W_]+(?!\w)")
_SSN_LIKE = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
# Digits with the separators people write in phone numbers: + ( ) space dot dash.
_NUMBER = re.compile(r"(?<![\w+])\+?\s?\(?\d+\)?(?:[ \u00a0.\-]{1,3}\(?\d+\)?)*(?!\w)")


def _normalise(text: str) -> str:
    """Full-width forms folded, and every script's decimal digits as ASCII digits."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _classify_number(match: str) -> str | None:
    digits = re.sub(r"\D", "", match)
    n = len(digits)
    if n < 7:
        return None
    if n > 15:
        return ID_NUMBER  # card and long registration numbers
    plain = match.isdigit()
    if plain and n >= 11 and not digits.startswith("0"):
        return ID_NUMBER  # national ID numbers are long unbroken runs; phones start with 0 or +
    return PHONE


def personal_data_hints(text: str) -> list[str]:
    """The kinds of personal data the text seems to contain, in a fixed order, each once."""
    found: set[str] = set()
    text = _normalise(text or "")
    if _EMAIL.search(text):
        found.add(EMAIL)
        text = _EMAIL.sub(" ", text)
    text = _DATES.sub(" ", text)
    if _SSN_LIKE.search(text):
        found.add(ID_NUMBER)
        text = _SSN_LIKE.sub(" ", text)
    for match in _CODE.finditer(text):
        word = match.group()
        digits = sum(ch.isdigit() for ch in word)
        if digits >= 5 and any(ch.isalpha() for ch in word):
            found.add(ID_NUMBER)
            text = text.replace(word, " ")
    for match in _NUMBER.finditer(text):
        kind = _classify_number(match.group().strip())
        if kind:
            found.add(kind)
    return [kind for kind in KINDS if kind in found]
