"""The checker's own additivity equations and interval proofs, on a table small enough to reason about by hand.

     B1  B2  Total
A1    3   5    8
A2    4   6   10
Total 7  11   18
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from extractor.checker.intervals import _cube_width, narrow_cells
from extractor.checker.lines import additivity

ROWS = [("A1", "B1", 3), ("A1", "B2", 5), ("A1", "Total", 8), ("A2", "B1", 4), ("A2", "B2", 6), ("A2", "Total", 10),
        ("Total", "B1", 7), ("Total", "B2", 11), ("Total", "Total", 18)]
LABELS = pl.DataFrame({"a": [r[0] for r in ROWS], "b": [r[1] for r in ROWS]})
VALUES = np.array([r[2] for r in ROWS], dtype=float)
GROUPS = (("a",), ("b",))
A1B1, A1B2, A1T, A2B1, A2B2, A2T, TB1, TB2, TT = range(9)


def sides(target: int, corners: list[int]) -> np.ndarray:
    keys = LABELS.rows()
    return np.array([[keys[c][g] != keys[target][g] for g in range(2)] for c in corners])


def test_equations_are_the_margins() -> None:
    A = additivity(LABELS, GROUPS)
    assert A.shape == (6, 9)  # 3 row lines (A1, A2, Total) and 3 column lines (B1, B2, Total)
    assert np.allclose(A @ VALUES, 0.0)
    assert not np.allclose(A @ (VALUES + np.eye(9)[A1B1]), 0.0)  # one changed cell breaks its lines


def test_a_box_of_hidden_cells_is_a_certificate() -> None:
    A = additivity(LABELS, GROUPS).tocsc()
    hidden = np.isin(np.arange(9), [A1B1, A1B2, A2B1, A2B2])
    corners = [A1B1, A1B2, A2B1, A2B2]
    widths = _cube_width(A, sides(A1B1, corners), np.array(corners), {"count": VALUES}, hidden)
    # A1B1 can fall by min(3, 6) = 3 and rise by min(5, 4) = 4: the interval [0, 7] has width 7.
    assert widths == {"count": 7.0}


@pytest.mark.parametrize(("name", "corners", "hidden_cells"), [
    ("a published corner", [A1B1, A1B2, A2B1, A2B2], [A1B1, A1B2, A2B1]),
    ("not a box: the corners' lines do not balance", [A1B1, A1B2, A2B1, TT], [A1B1, A1B2, A2B1, TT]),
    ("a corner twice", [A1B1, A1B1, A2B1, A2B1], [A1B1, A2B1]),
])
def test_a_false_certificate_is_not_trusted(name: str, corners: list[int], hidden_cells: list[int]) -> None:
    A = additivity(LABELS, GROUPS).tocsc()
    hidden = np.isin(np.arange(9), hidden_cells)
    assert _cube_width(A, sides(A1B1, corners), np.array(corners), {"count": VALUES}, hidden) is None


def test_lp_decides_without_a_certificate() -> None:
    A = additivity(LABELS, GROUPS)
    need = {"count": np.full(9, 7.0)}
    box = np.isin(np.arange(9), [A1B1, A1B2, A2B1, A2B2])
    assert narrow_cells(A, {"count": VALUES}, box, need, np.array([A1B1]), [None], [None], hops=2) == []
    # Hidden alone in its row and column, A1B1 = 8 - 5 exactly: width 0.
    alone = np.isin(np.arange(9), [A1B1])
    assert narrow_cells(A, {"count": VALUES}, alone, need, np.array([A1B1]), [None], [None], hops=2) == [
        (A1B1, "count", 0.0, 7.0)]
    # Asking for more than the box allows fails too: the interval is [0, 7].
    more = {"count": np.full(9, 8.0)}
    assert narrow_cells(A, {"count": VALUES}, box, more, np.array([A1B1]), [None], [None], hops=2)[0][:2] == (
        A1B1, "count")


def test_equations_off_by_floating_point_rounding_are_still_solved() -> None:
    """Sums of real magnitudes added in two orders differ in the last digits; the audit must not call the
    true table impossible (it did: "HiGHS returned status 2")."""
    from scipy import sparse

    from extractor.disclosure.tables.lp_audit import _interval

    A = sparse.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0]]))
    b = np.array([1e8, 1e8 + 0.05])
    lo, hi, _, solutions = _interval(A, b, 0)
    assert [len(x) for x in solutions] == [2, 2]  # each a feasible assignment, kept for later cells
    assert lo == pytest.approx(0.0, abs=1e-6) and hi == pytest.approx(1e8, rel=1e-6)
    from extractor.checker.intervals import _interval as checker_interval

    both = sparse.csr_matrix(np.array([[1.0, 1.0, -1.0, 0.0], [1.0, 1.0, 0.0, -1.0]]))
    width = checker_interval(both, np.array([0.0, 0.0, 1e8, 1e8 + 0.05]), np.array([0, 1]), 0)
    assert width == pytest.approx(1e8, rel=1e-6)
