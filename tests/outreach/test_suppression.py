"""Small-cell suppression: primary cells, secondary cells, and nothing recoverable from totals."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from navigator.outreach.suppression import PRIMARY, SECONDARY, grid, suppress

T = 5
counts = st.one_of(st.integers(0, 6), st.integers(0, 60))
tables = st.integers(1, 5).flatmap(lambda cols: st.lists(
    st.lists(counts, min_size=cols, max_size=cols), min_size=1, max_size=6))


def _lines(height: int, width: int, row_sums: bool, col_sums: bool) -> list[list[tuple]]:
    lines = []
    if row_sums:
        lines += [[(r, c) for c in range(width)] for r in range(height)]
    if col_sums:
        lines += [[(r, c) for r in range(height)] for c in range(width)]
    return lines


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by exact Gaussian elimination: an independent check of the SVD in the module."""
    rows = [list(r) for r in rows]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def recoverable(lines, hidden: set) -> set:
    """Hidden cells a reader can work out exactly from the shown cells and the line sums."""
    order = sorted(hidden)
    equations = []
    for line in lines:
        if any(cell in hidden for cell in line):
            row = [Fraction(0)] * len(order)
            for cell in line[:-1]:
                if cell in hidden:
                    row[order.index(cell)] += 1
            if line[-1] in hidden:
                row[order.index(line[-1])] -= 1
            equations.append(row)
    if not equations:
        return set()
    base = _rank(equations)
    found = set()
    for i, cell in enumerate(order):
        unit = [Fraction(int(j == i)) for j in range(len(order))]
        if _rank([*equations, unit]) == base:
            found.add(cell)
    return found


def check(table, marks, lines, original_cells):
    hidden = set(marks)
    values = {(r, c): v for r, row in enumerate(table) for c, v in enumerate(row)}
    # Every small count is hidden as primary; zeros and counts at the threshold are not.
    for cell, v in values.items():
        if 0 < v < T:
            assert marks.get(cell) == PRIMARY, (cell, v)
        if v == 0:
            assert cell not in hidden
    assert all(mark in (PRIMARY, SECONDARY) for mark in marks.values())
    # Shown cells are the true counts: suppression never changes a number.
    for (r, c), v in original_cells.items():
        assert table[r][c] == v
    # No line has a single hidden cell, and no combination of lines pins one down.
    for line in lines:
        assert sum(cell in hidden for cell in line) != 1, line
    assert not recoverable(lines, hidden)


@settings(max_examples=120, deadline=None)
@given(tables)
def test_table_with_both_margins(matrix):
    table, marks = grid(matrix, T)
    height, width = len(matrix) + 1, len(matrix[0]) + 1
    for r, row in enumerate(matrix):
        assert table[r][-1] == sum(row)
    original = {(r, c): v for r, row in enumerate(matrix) for c, v in enumerate(row)}
    check(table, marks, _lines(height, width, True, True), original)


@settings(max_examples=150, deadline=None)
@given(st.lists(counts, min_size=1, max_size=12))
def test_one_column_with_its_total(column):
    table, marks = grid([[v] for v in column], T, row_sums=False, col_sums=True)
    assert table[-1][0] == sum(column)
    check(table, marks, _lines(len(column) + 1, 1, False, True),
          {(r, 0): v for r, v in enumerate(column)})


@settings(max_examples=80, deadline=None)
@given(tables)
def test_margins_decided_by_other_tables_are_kept_where_possible(matrix):
    """Crosstabs keep the marks their margins got in their own tables, and stay safe."""
    height, width = len(matrix), len(matrix[0])
    _rows, row_marks = grid([[sum(r)] for r in matrix], T, row_sums=False, col_sums=True)
    _cols, col_marks = grid([[sum(col)] for col in zip(*matrix, strict=True)], T,
                            row_sums=False, col_sums=True)
    fixed = {(r, width): row_marks.get((r, 0)) for r in range(height + 1)}
    fixed.update({(height, c): col_marks.get((c, 0)) for c in range(width + 1)})
    table, marks = grid(matrix, T, fixed=fixed)
    for cell, mark in fixed.items():
        if mark:
            assert cell in marks  # hidden margins stay hidden
    original = {(r, c): v for r, row in enumerate(matrix) for c, v in enumerate(row)}
    hidden = set(marks)
    lines = _lines(height + 1, width + 1, True, True)
    for (r, c), v in original.items():
        assert table[r][c] == v
        if 0 < v < T:
            assert (r, c) in hidden
    assert not recoverable(lines, hidden)


def test_the_next_smallest_cell_in_the_row_and_column_is_hidden():
    table, marks = grid([[3, 10, 20], [12, 15, 7], [30, 2, 40]], T)
    assert marks == {(0, 0): PRIMARY, (2, 1): PRIMARY, (0, 1): SECONDARY, (2, 0): SECONDARY}
    assert table[3][3] == 139


def test_a_small_total_is_hidden_too():
    table, marks = grid([[2, 0], [0, 50]], T)
    assert marks[(0, 2)] == PRIMARY and marks[(2, 0)] == PRIMARY  # row and column totals of 2
    assert (3 - 1, 3 - 1) not in marks  # the grand total of 52 stays shown


def test_nothing_small_means_nothing_hidden():
    assert grid([[5, 0], [9, 12]], T)[1] == {}
    assert suppress({"a": 7, "b": 0}, [["a", "b"]], T) == {}


def test_lines_without_a_total_only_need_primary_suppression():
    table, marks = grid([[3], [40], [2]], T, row_sums=False, col_sums=False)
    assert marks == {(0, 0): PRIMARY, (2, 0): PRIMARY} and len(table) == 3
