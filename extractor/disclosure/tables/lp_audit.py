"""The attacker's view: how narrowly can each hidden primary cell be pinned down from the published ones?

Unknowns are the suppressed cells (non-negative); every additivity line that touches one is an
equation whose other terms are published. The interval of a primary cell is [min x_i, max x_i] over
that polytope, and it must be at least the cell's required width, in every additive column.
Proof comes in three steps, each sound: (1) a hypercube of hidden cells around it is an explicit
feasible direction (see cubes.py); (2) an LP (scipy's HiGHS) over the hidden cells near it, the rest
held at their true values: a sub-polytope, so a wide enough interval there is wide enough in the
whole; (3) otherwise the exact LPs over the cell's whole connected component decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from extractor.disclosure.tables.cubes import certified, pair_signs, verify
from extractor.disclosure.tables.structure import Structure

TOL = 1e-6


@dataclass
class Audit:
    audited: int = 0
    by_cube: int = 0
    by_local_lp: int = 0
    by_component_lp: int = 0
    lps: int = 0
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    narrowest: dict[int, tuple[str, float, float]] = field(default_factory=dict)  # failed cell -> column, width, need


def _interval(A: sparse.csr_matrix, b: np.ndarray, target: int) -> tuple[float, float, int]:
    """min and max of variable `target` (inf when unbounded above); also the number of LPs solved."""
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(A.shape[1])
        c[target] = sign
        res = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        if res.status == 3:
            out.append(np.inf)
            continue
        if res.status != 0:
            raise RuntimeError(f"LP audit: HiGHS returned status {res.status}: {res.message}")
        out.append(res.x[target])
    return out[0], out[1], 2


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


def audit(structure: Structure, A: sparse.csr_matrix, values: dict[str, np.ndarray], suppressed: np.ndarray,
          required: dict[str, np.ndarray], targets: np.ndarray,
          cubes: np.ndarray | None = None) -> Audit:
    """Check every target (hidden primary) cell in every column; `values` are the true cell values.

    `cubes` (targets × 2^D corners, from secondary suppression) are verified first as certificates.
    """
    result = Audit(audited=int(targets.size))
    if targets.size == 0:
        return result
    need = {col: np.where(suppressed, req, 0.0) for col, req in required.items()}
    signs = pair_signs(structure)
    cert = np.zeros(targets.size, dtype=bool)
    if cubes is not None and cubes.shape[0] == targets.size:
        cert = verify(structure, signs, targets, cubes, suppressed, values, need)
    if not cert.all():
        cert[~cert] = certified(structure, signs, targets[~cert], suppressed, values, need)
    result.by_cube = int(cert.sum())
    rest = targets[~cert]
    if rest.size == 0:
        return result
    A = A.tocsr()
    AT = A.T.tocsr()
    hidden = np.flatnonzero(suppressed)
    graph_A = abs(A[:, hidden])
    ncomp, label = connected_components(graph_A.T @ graph_A, directed=False)
    comp_of = np.full(suppressed.size, -1)
    comp_of[hidden] = label
    polys = {col: _Polytope(A, val) for col, val in values.items()}
    failed = []
    def narrowest(cell: int, variables: np.ndarray) -> tuple[str, float, float] | None:
        """The first column whose interval over `variables` is too narrow, or None."""
        for col, poly in polys.items():
            if need[col][cell] <= 0:
                continue
            Av, bv = poly.restricted(variables)
            lo, hi, n = _interval(Av, bv, int(np.searchsorted(variables, cell)))
            result.lps += n
            if hi - lo < need[col][cell] - TOL:
                return col, float(hi - lo), float(need[col][cell])
        return None

    for cell in rest.tolist():
        if narrowest(cell, _neighbourhood(A, AT, suppressed, cell, len(structure.shape))) is None:
            result.by_local_lp += 1
            continue
        short = narrowest(cell, hidden[label == comp_of[cell]])
        if short is None:
            result.by_component_lp += 1
        else:
            result.narrowest[cell] = short
            failed.append(cell)
    result.failed = np.array(failed, dtype=np.int64)
    return result
