"""Controlled rounding: every published figure to one of its two adjacent multiples, the table still additive.

Independent rounding of cells and margins breaks the table's sums (12 + 12 published as 10 + 10 under a
total of 25), and hiding margins to repair that costs the researcher the totals. Controlled rounding
(Cox 1987; the τ-Argus manual's RND method; Salazar-González 2006) instead chooses, per figure, the lower
or upper multiple of the base so that every line whose figures are all published still adds up:
parent = Σ children. Zero-restricted: a true zero and a figure already a multiple stay as they are. A
count just above the threshold may only go up (its lower multiple would read as a small count). The
choice is a 0/1 programme (HiGHS, highs.py) minimising the total deviation from the true
values. Two-way tables always have a solution (the constraint matrix is totally unimodular); some
three-way and hierarchical tables do not, and then the solution with the fewest lines that do not add
up is taken, and those lines are reported. Lines through a suppressed cell constrain nothing published.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from extractor.disclosure.tables.highs import Programme

TIME_LIMIT = 60.0  # seconds per column; the best solution found by then is used


@dataclass(frozen=True)
class Rounded:
    values: np.ndarray  # published figure per cell (int64); suppressed cells keep their true value here
    true: np.ndarray
    moved: np.ndarray  # published cells whose figure differs from the true value
    nonadditive: np.ndarray  # lines (rows of the line matrix) all published whose figures do not add up
    method: str  # "additive", "fewest non-additive lines" or "time limit: independent rounding"
    seconds: float

    @property
    def deviation(self) -> int:
        """Σ |published − true| over the published cells."""
        return int(np.abs(self.values - self.true)[self.moved].sum())


def adjacent(true: np.ndarray, base: int, floor: int) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) admissible figures per cell: the multiples around the value; equal where the value is a
    multiple (zero included) or where the lower multiple would fall below the smallest figure allowed."""
    n = np.asarray(true, dtype=np.int64)
    lower = n // base * base
    upper = np.where(lower == n, n, lower + base)
    lower = np.where((n > 0) & (lower < floor), upper, lower)
    return lower, upper


def controlled_round(lines: sparse.csr_matrix, true: np.ndarray, published: np.ndarray, base: int, floor: int,
                     line_groups: np.ndarray | None = None, time_limit: float = TIME_LIMIT) -> Rounded:
    """Round the published cells of one additive column (`true`, integers) along `lines` (lines × cells,
    each row summing to zero on the true values). `line_groups` names each line's dimension group: where
    the whole table has no additive rounding within the time limit (large three-way tables), the lines
    of one group are given up (the fewest) and every other line is kept additive."""
    t0 = time.perf_counter()
    n = np.asarray(true, dtype=np.int64)
    lower, upper = adjacent(n, base, floor)
    values = np.where(published, lower, n)
    A = sparse.csr_matrix(lines)
    if A.shape[0]:
        whole = np.flatnonzero(np.asarray(A[:, np.flatnonzero(~published)].getnnz(axis=1) == 0).ravel())
    else:
        whole = np.zeros(0, dtype=np.int64)  # only lines whose every cell is published constrain the choice
    cols = np.flatnonzero(published & (lower != upper))
    cost = ((upper - n) - (n - lower))[cols]  # deviation of "up" minus deviation of "down"
    x, method = None, "additive"
    if cols.size and whole.size:
        budget = time_limit if line_groups is None or np.unique(line_groups).size < 3 else min(time_limit, 3.0)
        x = _solve_exact(A[whole], values, cols, base, cost, budget)
        if x is None and line_groups is not None and np.unique(line_groups).size >= 3:
            groups, sizes = np.unique(line_groups[whole], return_counts=True)
            dropped = groups[np.argmin(sizes)]
            keep = whole[line_groups[whole] != dropped]
            x = _solve_exact(A[keep], values, cols, base, cost, time_limit)
            method = f"additive except along dimension group {int(dropped) + 1}"
        if x is None:
            x = _solve_with_slack(A[whole], values, cols, base, cost, time_limit)
            method = "fewest non-additive lines"
        if x is None:
            x = (n[cols] - lower[cols]) * 2 >= base
            method = "independent rounding (no additive solution in the time limit)"
    else:
        x = (n[cols] - lower[cols]) * 2 >= base
    values[cols] = np.where(x, upper[cols], lower[cols])
    return _result(values, n, published, A, whole, method, t0)


def _system(A: sparse.csr_matrix, values: np.ndarray, cols: np.ndarray, base: int
            ) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Σ a·(lower + base·x) = 0  ⇔  Σ a·x = −Σ a·lower / base, over the cells still to choose."""
    return A[:, cols].tocsr(), -(A @ values) // base


def _solve_exact(A: sparse.csr_matrix, values: np.ndarray, cols: np.ndarray, base: int, cost: np.ndarray,
                 time_limit: float) -> np.ndarray | None:
    sub, rhs = _system(A, values, cols, base)
    active = np.asarray(sub.getnnz(axis=1) > 0).ravel()
    if np.any(~active & (rhs != 0)):
        return None  # a line with nothing left to choose that does not add up
    x = Programme(sub[active], rhs[active], rhs[active], 0.0, 1.0, integer=np.ones(cols.size, dtype=bool),
                  options={"time_limit": time_limit, "mip_rel_gap": 0.05}).minimise(cost).x
    return None if x is None else np.rint(x).astype(bool)


def _solve_with_slack(A: sparse.csr_matrix, values: np.ndarray, cols: np.ndarray, base: int, cost: np.ndarray,
                      time_limit: float) -> np.ndarray | None:
    """Σ a·x + s⁺ − s⁻ = rhs with a 0/1 flag per line allowed to miss: fewest flags first, deviation second."""
    sub, rhs = _system(A, values, cols, base)
    m, k = sub.shape
    size = np.asarray(abs(sub).sum(axis=1)).ravel() + np.abs(rhs)  # no line can miss by more
    eye = sparse.identity(m, format="csr")
    equal = sparse.hstack([sub, eye, -eye, sparse.csr_matrix((m, m))]).tocsr()
    cap = sparse.hstack([sparse.csr_matrix((m, k)), eye, eye, -sparse.diags(size)]).tocsr()
    weight = float(np.abs(cost).sum()) + 1.0
    c = np.concatenate([cost.astype(float), np.zeros(2 * m), np.full(m, weight)])
    integrality = np.concatenate([np.ones(k), np.zeros(2 * m), np.ones(m)])
    upper = np.concatenate([np.ones(k), size, size, np.ones(m)])
    x = Programme(sparse.vstack([equal, cap]), np.concatenate([rhs, np.full(m, -np.inf)]),
                  np.concatenate([rhs, np.zeros(m)]), 0.0, upper, integer=integrality.astype(bool),
                  options={"time_limit": time_limit}).minimise(c).x
    return None if x is None else np.rint(x[:k]).astype(bool)


def _result(values: np.ndarray, n: np.ndarray, published: np.ndarray, lines: sparse.csr_matrix, kept: np.ndarray,
            method: str, t0: float) -> Rounded:
    off = np.flatnonzero(lines[kept] @ values != 0) if kept.size else np.zeros(0, dtype=np.int64)
    if off.size == 0 and method.startswith(("fewest", "independent")):
        method = "additive"
    return Rounded(values.astype(np.int64), n, published & (values != n), kept[off], method,
                   time.perf_counter() - t0)
