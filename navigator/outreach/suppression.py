"""Small-cell suppression for tables shared outside a programme.

A table is a set of cells and a set of lines: groups of cells whose sum is published (a row
with its total, a column with its total — the totals are cells too, since a small total is as
telling as a small count). Primary suppression hides every count from 1 to threshold - 1.
Secondary suppression then hides more cells until no hidden value can be worked out from the
shown ones: first so that no line has exactly one hidden cell, then, checked with linear
algebra, so that no combination of lines pins a hidden cell down either.

Zero counts stay visible: they describe nobody, and a hidden zero protects nothing because a
reader knows every hidden cell that is not "<threshold" holds either 0 or at least threshold.
"""

from collections.abc import Hashable, Sequence

import numpy as np

PRIMARY = "primary"      # shown as "<threshold"
SECONDARY = "secondary"  # shown as a mark; hidden so a primary cell cannot be recovered


def suppress(values: dict[Hashable, int], lines: Sequence[Sequence[Hashable]],
             threshold: int, fixed: dict[Hashable, str | None] | None = None
             ) -> dict[Hashable, str]:
    """Which cells to hide and why; cells not in the result are shown unchanged.

    `lines` lists groups of cells a reader can add up: in each, the last cell is the sum of
    the others (a row and its total). `fixed` gives cells already decided in a table shared
    alongside (a mark, or None for shown): they keep that decision unless nothing else can
    protect a hidden cell, so that two tables with common margins hide the same margins.
    """
    fixed = fixed or {}
    marks = {k: PRIMARY for k, v in values.items() if 0 < v < threshold and k not in fixed}
    marks.update({k: mark for k, mark in fixed.items() if mark})
    if not marks:
        return marks
    by_cell: dict[Hashable, list[int]] = {}
    for i, line in enumerate(lines):
        for cell in line:
            by_cell.setdefault(cell, []).append(i)
    while True:
        added = False
        for line in lines:
            hidden = [cell for cell in line if cell in marks]
            if len(hidden) == 1 and _complement(values, line, marks, fixed):
                added = True
        if added:
            continue  # settle the simple rule before the costlier check
        exposed = _recoverable(values, lines, marks)
        if not exposed:
            return marks
        # Hide one more cell beside each exposed one; cells decided by a table shared
        # alongside only when nothing else will do; any line at all as the last resort.
        own_lines = [lines[i] for cell in exposed for i in by_cell.get(cell, [])]
        if not (_first_complement(values, own_lines, marks, fixed)
                or _first_complement(values, [ln for ln in lines if any(c in marks for c in ln)],
                                     marks, fixed)):
            return marks  # every non-zero cell is hidden: nothing more can be done


def _complement(values, line, marks, fixed, *, force: bool = False) -> bool:
    """Hide the smallest non-zero shown cell of a line, preferring counts to totals."""
    shown = [cell for cell in line if cell not in marks and values[cell] > 0
             and (force or cell not in fixed)]
    if not shown:
        return False
    # The last cell of a line is its total: hide a count before a total where one exists.
    inner = [cell for cell in shown if cell != line[-1]] or shown
    marks[min(inner, key=lambda cell: values[cell])] = SECONDARY
    return True


def _first_complement(values, lines, marks, fixed) -> bool:
    """Hide one more cell in the first line that has one to hide; decided cells last."""
    return any(_complement(values, line, marks, fixed, force=force)
               for force in (False, True) for line in lines)


def _recoverable(values, lines, marks) -> list:
    """Hidden cells whose value follows from the shown cells and the line sums."""
    hidden = sorted(marks, key=repr)
    index = {cell: i for i, cell in enumerate(hidden)}
    rows = []
    for line in lines:
        if len(line) < 2 or not any(cell in index for cell in line):
            continue
        row = np.zeros(len(hidden))
        for cell in line[:-1]:
            if cell in index:
                row[index[cell]] += 1
        if line[-1] in index:
            row[index[line[-1]]] -= 1
        rows.append(row)
    if not rows:
        return []
    # A hidden cell is pinned down exactly when its unit vector lies in the row space of the
    # equations over the hidden cells: then its squared projection onto that space is 1.
    _u, singular, vt = np.linalg.svd(np.array(rows), full_matrices=False)
    basis = vt[: int((singular > 1e-9).sum())]
    weight = (basis ** 2).sum(axis=0)
    return [cell for cell in hidden if weight[index[cell]] > 1 - 1e-9]


# --- table shapes ---------------------------------------------------------------------------

def grid(matrix: Sequence[Sequence[int]], threshold: int, *, row_sums: bool = True,
         col_sums: bool = True, fixed: dict[tuple[int, int], str | None] | None = None
         ) -> tuple[list[list[int]], dict[tuple[int, int], str]]:
    """Suppress a table with its margins: returns (table with totals, marks by (row, col)).

    The returned table has a totals row appended when col_sums and a totals column when
    row_sums; marks use its coordinates.
    """
    rows = [list(r) for r in matrix]
    if row_sums:
        rows = [r + [sum(r)] for r in rows]
    if col_sums:
        rows.append([sum(r[c] for r in rows) for c in range(len(rows[0]) if rows else 0)])
    values = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)}
    lines: list[list[tuple[int, int]]] = []
    height = len(rows)
    width = len(rows[0]) if rows else 0
    if row_sums:
        lines += [[(r, c) for c in range(width)] for r in range(height)]
    if col_sums:
        lines += [[(r, c) for r in range(height)] for c in range(width)]
    return rows, suppress(values, lines, threshold, fixed)
