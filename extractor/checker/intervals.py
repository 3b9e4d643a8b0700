"""The attacker's interval of every hidden primary cell, computed by the checker itself.

The attacker knows every published cell and the table's additivity (lines.py); hidden cells are unknowns
≥ 0. A hidden primary cell is safe in a column when the interval of values it can take is at least its
required width. Two sound proofs, tried in order:

1. A claimed hypercube (the run's `_cube`: rows of the exact file) is verified, not trusted: all its
   corners hidden, and a ± sign per corner (one sign flip per dimension group) under which every
   equation touching a corner stays balanced. Moving + corners up and − corners down by δ keeps every
   published figure, so the cell can move δ up to the smallest − corner and down to the smallest + corner
   (with no − corner at all it has no upper bound).
2. Otherwise linear programs (HiGHS), each over a set of hidden cells with the rest held at their
   true values (a smaller polytope, so a wide interval there is wide in the whole): first the set the run
   claims proved it (`_lp_cells`, used only if every one is hidden), then the hidden cells within a few
   equations of the cell, then every hidden cell connected to it.

Every LP's solution, its fixed cells at their true values, is a table the attacker cannot tell from the
true one; so is the true table. A cell whose values over all of those already spread as wide as it
needs is safe without an LP of its own (the spread is inside its interval).
"""

from __future__ import annotations

import itertools

import numpy as np
from highspy import HighsModelStatus, kHighsInf
from highspy._core import _Highs
from scipy import sparse
from scipy.sparse.csgraph import connected_components

TOL = 1e-6


def _cube_width(A: sparse.csc_matrix, sides: np.ndarray, corners: np.ndarray, values: dict[str, np.ndarray],
                hidden: np.ndarray) -> dict[str, float] | None:
    """Widths per column proven by a claimed cube; None when the claim does not hold."""
    if corners.size < 2 or np.unique(corners).size != corners.size or not hidden[corners].all():
        return None
    part = A[:, corners].tocoo()
    touched, row = np.unique(part.row, return_inverse=True)
    dense = np.zeros((touched.size, corners.size))
    np.add.at(dense, (row, part.col), part.data)  # every equation touching a corner, on the corners
    flips = np.array(list(itertools.product((1.0, -1.0), repeat=sides.shape[1])))  # patterns × groups
    signs = np.prod(np.where(sides[None, :, :], flips[:, None, :], 1.0), axis=2)  # patterns × corners
    balanced = np.flatnonzero(np.abs(dense @ signs.T).max(axis=0, initial=0.0) < 1e-9)
    if balanced.size == 0:
        return None
    best: dict[str, float] = {}
    for pattern in signs[balanced]:
        down, up = corners[pattern > 0], corners[pattern < 0]
        for col, v in values.items():  # with no − corner the cell has no upper bound
            width = np.inf if up.size == 0 else float(v[up].min() + v[down].min())
            best[col] = max(best.get(col, 0.0), width)
    return best


class _Spread:
    """Per column, every cell's lowest and highest value over the tables seen so far."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.low = {col: v.astype(float) for col, v in values.items()}
        self.high = {col: v.astype(float) for col, v in values.items()}

    def see(self, col: str, table: np.ndarray) -> None:
        np.minimum(self.low[col], table, out=self.low[col])
        np.maximum(self.high[col], table, out=self.high[col])

    def width(self, col: str, cell: int) -> float:
        return float(self.high[col][cell] - self.low[col][cell])


def _attacker_lp(Av: sparse.csr_matrix, b: np.ndarray) -> _Highs:
    """Av·x = b, x ≥ 0, as HiGHS rows (the checker's own model; the pipeline builds its own). No presolve:
    on LPs of a few hundred cells it costs more than it saves. `_Highs`, not `highspy.Highs`: the latter
    prints HiGHS's banner on stdout before any option can be set."""
    lp = _Highs()
    lp.setOptionValue("output_flag", False)
    lp.setOptionValue("presolve", "off")
    lp.addVars(Av.shape[1], np.zeros(Av.shape[1]), np.full(Av.shape[1], kHighsInf))
    lp.addRows(Av.shape[0], b, b, Av.nnz, Av.indptr[:-1].astype(np.int32), Av.indices.astype(np.int32),
               Av.data.astype(float))
    return lp


def _end(lp: _Highs, at: int, sense: float) -> np.ndarray | None:
    """A vertex at which variable `at` is lowest (sense 1) or highest (−1); None when it has no upper limit.
    The highest is solved first, from nothing, by dual simplex (HiGHS's default); the lowest by primal simplex
    from the highest's basis, which stays feasible when only the objective changes (dual simplex would first
    have to restore dual feasibility: the pair takes a third of the time)."""
    lp.setOptionValue("simplex_strategy", 1 if sense < 0 else 4)
    lp.changeColCost(at, sense)
    lp.run()
    status = lp.getModelStatus()
    lp.changeColCost(at, 0.0)
    if status == HighsModelStatus.kUnbounded:
        return None
    if status != HighsModelStatus.kOptimal:
        raise _Infeasible(str(status))
    return np.array(lp.getSolution().col_value)


class _Infeasible(Exception):
    pass


def _interval(A: sparse.csr_matrix, values: np.ndarray, variables: np.ndarray, cell: int,
              seen: tuple[_Spread, str] | None = None) -> float:
    """Width of the cell's interval when only `variables` (hidden cells) are unknown; each solution found
    is shown to `seen` as a whole table. Both ends from one model, the second from the first's basis."""
    Av = A[:, variables]
    rows = np.flatnonzero(np.diff(Av.tocsr().indptr) > 0)
    fixed = values.copy()
    fixed[variables] = 0.0
    b = -(A[rows] @ fixed)
    Av = Av.tocsr()[rows]
    at = int(np.searchsorted(variables, cell))
    lp = _attacker_lp(Av, b)
    ends = []
    for sense in (-1.0, 1.0):
        try:
            x = _end(lp, at, sense)
        except _Infeasible:  # the exact sums add up only to floating-point rounding: state each equation
            scale = sparse.diags(1.0 / np.maximum(1.0, np.abs(b)))  # relative to its size and solve again
            try:
                x = _end(_attacker_lp((scale @ Av).tocsr(), scale @ b), at, sense)
            except _Infeasible as exc:
                raise RuntimeError(f"checker LP: HiGHS status {exc}") from None
        if x is None:  # unbounded: no upper limit
            return np.inf
        ends.append(x[at])
        if seen is not None:
            table = values.astype(float)
            table[variables] = x
            seen[0].see(seen[1], table)
    return ends[0] - ends[1]  # highest - lowest


def _near(A: sparse.csr_matrix, AT: sparse.csr_matrix, hidden: np.ndarray, cell: int, hops: int) -> np.ndarray:
    cells = np.array([cell])
    for _ in range(hops):
        lines = np.unique(AT[cells].indices)
        cells = np.unique(np.concatenate([cells, A[lines].indices]))
        cells = cells[hidden[cells]]
    return cells


def narrow_cells(A: sparse.csr_matrix, values: dict[str, np.ndarray], hidden: np.ndarray,
                 need: dict[str, np.ndarray], targets: np.ndarray, sides: list[np.ndarray | None],
                 claimed: list[np.ndarray | None], hops: int,
                 lp_claims: list[np.ndarray | None] | None = None) -> list[tuple[int, str, float, float]]:
    """(cell, column, width, required) for every target whose interval is too narrow in some column.

    sides[i]: per claimed corner, which dimension groups differ from the target (corners × groups, bool)."""
    A = A.tocsr()
    AT, Acsc = A.T.tocsr(), A.tocsc()
    hidden_idx = np.flatnonzero(hidden)
    link = abs(A[:, hidden_idx])
    label = connected_components(link.T @ link, directed=False)[1]
    component = np.full(hidden.size, -1)
    component[hidden_idx] = label
    failures = []
    spread = _Spread(values)
    for i, cell in enumerate(targets.tolist()):
        cols = [c for c in values if need[c][cell] > 0]
        proven = (_cube_width(Acsc, sides[i], claimed[i], values, hidden)
                  if claimed[i] is not None and sides[i] is not None else None)
        own = lp_claims[i] if lp_claims is not None else None
        own = own if own is not None and own.size and hidden[own].all() and cell in own else None
        for col in cols:
            if proven is not None and proven[col] >= need[col][cell] - TOL:
                continue
            if spread.width(col, cell) >= need[col][cell] - TOL:
                continue
            seen = (spread, col)
            if own is not None and _interval(A, values[col], np.unique(own), cell, seen) >= need[col][cell] - TOL:
                continue
            width = _interval(A, values[col], _near(A, AT, hidden, cell, hops), cell, seen)
            if width < need[col][cell] - TOL:
                width = _interval(A, values[col], hidden_idx[label == component[cell]], cell, seen)
            if width < need[col][cell] - TOL:
                failures.append((cell, col, float(width), float(need[col][cell])))
                break
    return failures
