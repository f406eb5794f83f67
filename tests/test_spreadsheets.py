"""CSV cells are safe to open in a spreadsheet."""

import pytest

from navigator.spreadsheets import safe_cell


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1 555", "'+1 555"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"),
    ("\rReturn", "'\rReturn"),
    ("Plain note", "Plain note"),
    ("<5", "<5"),
    (12, 12),
    ("", ""),
    ("\nNew line", "'\nNew line"),
    (None, ""),
])
def test_cells_that_start_like_formulas_are_quoted(value, written):
    assert safe_cell(value) == written
