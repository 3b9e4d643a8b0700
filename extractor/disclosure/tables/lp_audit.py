"""The attacker's view: how narrowly can each hidden primary cell be pinned down from the published ones?

Unknowns are the suppressed cells (non-negative); every additivity line that touches one is an
equation whose other terms are published. The interval of a primary cell is [min x_i, max x_i] over
that polytope, and it must be at least the cell's required width, in every additive column.
Proof comes in three steps, each sound: (1) a hypercube of hidden cells around it is an explicit
feasible direction (see cubes.py); (2) an LP (HiGHS, highs.py) over the hidden cells near it, the rest
held at their true values: a sub-polytope, so a wide enough interval there is wide enough in the
whole; (3) otherwise the exact LPs over the cell's whole connected component decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from extractor.disclosure.tables.cubes import certified, pair_signs, verify
from extractor.disclosure.tables.highs import INFEASIBLE, OPTIMAL, UNBOUNDED, Programme
from extractor.disclosure.tables.structure import Structure

TOL = 1e-6
MAX_PROOF = 2_000  # hidden cells: an LP proof over more is not kept as a certificate


@dataclass
class Audit:
    audited: int = 0
    by_cube: int = 0
    by_earlier_lp: int = 0  # proven by the solutions of LPs solved for other cells
    by_local_lp: int = 0
    by_component_lp: int = 0
    lps: int = 0
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    narrowest: dict[int, tuple[str, float, float]] = field(default_factory=dict)  # failed cell -> column, width, need
    proofs: dict[int, np.ndarray] = field(default_factory=dict)  # cell proven by an LP -> its hidden cells
    # targets × 2^D: the cube that proved each target (-1 rows: none)
    cubes: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.int64))


def _interval(A: sparse.csr_matrix, b: np.ndarray, target: int) -> tuple[float, float, int, list[np.ndarray]]:
    """min and max of variable `target` (inf when unbounded above); also the number of LPs solved and the
    solutions found (each a feasible assignment of the variables). One model: the max is solved, then the
    min from the max's basis. No presolve: on LPs of a few hundred cells it costs more than it saves."""
    lp = Programme(A, b, b, 0.0, np.inf, presolve=False)
    out, solutions = [], []
    for sign in (-1.0, 1.0):
        c = np.zeros(A.shape[1])
        c[target] = sign
        res = lp.minimise(c)
        if res.status == INFEASIBLE:  # sums of real magnitudes added in another order: off by rounding error
            res = _within_rounding_error(A, b).minimise(c)
        if res.status == UNBOUNDED:
            out.append(np.inf)
            continue
        if res.status != OPTIMAL or res.x is None:
            raise RuntimeError(f"LP audit: HiGHS returned status {res.status}")
        out.append(res.x[target])
        solutions.append(res.x)
    return out[1], out[0], 2, solutions


def _within_rounding_error(A: sparse.csr_matrix, b: np.ndarray) -> Programme:
    """The same LP with each equation allowed a relative slack of 1e-9: the true table is a solution, so an
    "infeasible" answer can only come from floating-point sums (DuckDB's and numpy's differ in the last
    digits); a slack this small widens no interval by anything a requirement could notice."""
    tol = 1e-9 * np.maximum(1.0, np.abs(b)) + 1e-7
    return Programme(A, b - tol, b + tol, 0.0, np.inf, presolve=False)


class _Polytope:
    """The attacker's equations for one column, restricted to any set of hidden cells."""

    def __init__(self, A: sparse.csr_matrix, values: np.ndarray) -> None:
        self.A = A.tocsc()
        self.values = values

    def restricted(self, variables: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Lines touching `variables`; every other cell held at its true value."""
        Av = self.A[:, variables].tocsr()
        rows = np.flatnonzero(np.diff(Av.indptr) > 0)
        fixed = self.values.copy()
        fixed[variables] = 0.0
        b = -(self.A[rows] @ fixed)
        return Av[rows], b


def _neighbourhood(A: sparse.csr_matrix, AT: sparse.csr_matrix, suppressed: np.ndarray, cell: int,
                   hops: int) -> np.ndarray:
    """Hidden cells within `hops` lines of `cell` (a cube's far corner is D lines away)."""
    cells = np.array([cell])
    for _ in range(hops):
        lines = np.unique(AT[cells].indices)
        cells = np.unique(np.concatenate([cells, A[lines].indices]))
        cells = cells[suppressed[cells]]
    return cells


class _Pool:
    """Feasible tables met so far, per column: the true one and every LP solution, extended by the true
    values of the cells it held fixed (those satisfy every equation too). The interval of a cell contains
    the spread of its values over them, so a wide enough spread proves the cell without an LP. Kept as
    each cell's lowest and highest value and the variables of the solution that gave it: the proof a
    checker re-solves is the union of the two (an LP over both sets contains both tables)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.low, self.high = values.astype(float), values.astype(float)
        self.sources: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        self.low_from = np.zeros(values.size, dtype=np.int64)
        self.high_from = np.zeros(values.size, dtype=np.int64)

    def add(self, variables: np.ndarray, x: np.ndarray) -> None:
        table = self.values.astype(float)
        table[variables] = x
        self.sources.append(variables)
        k = len(self.sources) - 1
        lower, higher = table < self.low, table > self.high
        self.low[lower], self.low_from[lower] = table[lower], k
        self.high[higher], self.high_from[higher] = table[higher], k

    def proof(self, cell: int, need: float) -> np.ndarray | None:
        """The hidden cells whose LP proves the cell wide enough, or None when the spread is too narrow."""
        if self.high[cell] - self.low[cell] < need - TOL:
            return None
        return np.union1d(self.sources[self.low_from[cell]], self.sources[self.high_from[cell]])


class _Prover:
    """LPs over chosen sets of hidden cells, every other cell held at its true value; counts them in `result`
    and keeps each small enough successful set as the cell's proof."""

    def __init__(self, A: sparse.csr_matrix, values: dict[str, np.ndarray], suppressed: np.ndarray,
                 need: dict[str, np.ndarray], result: Audit) -> None:
        self.A = A.tocsr()
        self.AT = self.A.T.tocsr()
        self.hidden = np.flatnonzero(suppressed)
        graph = abs(self.A[:, self.hidden])
        self.label = connected_components(graph.T @ graph, directed=False)[1]
        self.comp_of = np.full(suppressed.size, -1)
        self.comp_of[self.hidden] = self.label
        self.polys = {col: _Polytope(self.A, val) for col, val in values.items()}
        self.pools = {col: _Pool(val) for col, val in values.items()}
        self.need, self.result = need, result

    def pooled(self, cell: int) -> bool:
        """Proven by the spread of feasible tables already found, in every column (no LP solved)."""
        parts = []
        for col, pool in self.pools.items():
            if self.need[col][cell] <= 0:
                continue
            proof = pool.proof(cell, self.need[col][cell])
            if proof is None:
                return False
            parts.append(proof)
        variables = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        if variables.size <= MAX_PROOF:
            self.result.proofs[cell] = variables
        return True

    def component(self, cell: int) -> np.ndarray:
        return self.hidden[self.label == self.comp_of[cell]]

    def check(self, cell: int, variables: np.ndarray) -> tuple[str, float, float] | None:
        """The first column whose interval over `variables` is too narrow (column, width, need), or None."""
        for col, poly in self.polys.items():
            if self.need[col][cell] <= 0:
                continue
            Av, bv = poly.restricted(variables)
            lo, hi, n, solutions = _interval(Av, bv, int(np.searchsorted(variables, cell)))
            self.result.lps += n
            for x in solutions:
                self.pools[col].add(variables, x)
            if hi - lo < self.need[col][cell] - TOL:
                return col, float(hi - lo), float(self.need[col][cell])
        if variables.size <= MAX_PROOF:
            self.result.proofs[cell] = variables
        return None


def audit(structure: Structure, A: sparse.csr_matrix, values: dict[str, np.ndarray], suppressed: np.ndarray,
          required: dict[str, np.ndarray], targets: np.ndarray,
          cubes: np.ndarray | None = None, component_limit: int | None = None,
          proofs: dict[int, np.ndarray] | None = None, give_up_after: int | None = None) -> Audit:
    """Check every target (hidden primary) cell in every column; `values` are the true cell values.

    `cubes` (targets × 2^D corners, from secondary suppression) are verified first as certificates.
    `component_limit`: a cell no cube or local LP proves, in a component of more hidden cells than this,
    counts as failed without the exact LPs (cheaper and stricter: for callers asking which cells are
    surely protected). `give_up_after`: likewise, once this many more cells have failed than passed, the
    rest count as failed untried (a count, not a clock: the same table always gets the same answer).
    `proofs` (cell -> hidden cells, from an earlier audit of a pattern this one contains): the LP over those
    cells, every other cell held at its true value, is solved again first; it is the same LP in any pattern
    that keeps them hidden, and far smaller than the cell's neighbourhood in a densely hidden table.
    """
    result = Audit(audited=int(targets.size),
                   cubes=np.full((targets.size, 2 ** len(structure.shape)), -1, dtype=np.int64))
    if targets.size == 0:
        return result
    need = {col: np.where(suppressed, req, 0.0) for col, req in required.items()}
    signs = pair_signs(structure)
    cert = np.zeros(targets.size, dtype=bool)
    if cubes is not None and cubes.shape[0] == targets.size:
        cert = verify(structure, signs, targets, cubes, suppressed, values, need)
        result.cubes[cert] = cubes[cert]
    if not cert.all():
        found = certified(structure, signs, targets[~cert], suppressed, values, need)
        result.cubes[~cert] = found
        cert[~cert] = found[:, 0] >= 0
    result.by_cube = int(cert.sum())
    rest = targets[~cert]
    if rest.size == 0:
        return result
    prover = _Prover(A, values, suppressed, need, result)
    failed = []
    for cell in rest.tolist():
        passed = result.by_earlier_lp + result.by_local_lp + result.by_component_lp
        if give_up_after is not None and len(failed) - passed > give_up_after:
            result.narrowest[cell] = ("not tried", 0.0, 0.0)
            failed.append(cell)
            continue
        short = _prove(prover, cell, suppressed, (proofs or {}).get(cell), len(structure.shape), component_limit)
        if short is not None:
            result.narrowest[cell] = short
            failed.append(cell)
    result.failed = np.array(failed, dtype=np.int64)
    return result


def _prove(prover: _Prover, cell: int, suppressed: np.ndarray, own: np.ndarray | None, hops: int,
           component_limit: int | None) -> tuple[str, float, float] | None:
    """Cheapest proof first: earlier solutions, the claimed LP, the neighbourhood's, the component's. None
    when proven (counted in the prover's result), else the narrowest column found."""
    result = prover.result
    if prover.pooled(cell):
        result.by_earlier_lp += 1
        return None
    if own is not None and suppressed[own].all() and prover.check(cell, own) is None:
        result.by_local_lp += 1
        return None
    short = prover.check(cell, _neighbourhood(prover.A, prover.AT, suppressed, cell, hops))
    if short is None:
        result.by_local_lp += 1
        return None
    whole = prover.component(cell)
    if component_limit is None or whole.size <= component_limit:
        short = prover.check(cell, whole)
        if short is None:
            result.by_component_lp += 1
    return short
