"""CSV cells that a spreadsheet shows as text and never runs as a formula (CSV injection)."""

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """The value for a CSV cell: text that looks like a formula gets a leading quote.

    Numbers pass through as numbers; only text typed by people can carry a formula.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
