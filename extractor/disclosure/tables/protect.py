"""Protect a table with margins: primary rules, secondary suppression, then the LP audit until it passes.

The same suppression pattern holds for every column of a cell (count and magnitudes): a cell is
hidden whole, since its count next to its sum would give the other away. The audit runs on each
additive column with its own requirement. Cells the audit finds exposed get partners on their lines;
if no line has a cell left to add, the lines through the exposed cell are hidden whole, which always
ends (a fully hidden table is an unbounded polytope).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from extractor.config.policy import Disclosure
from extractor.disclosure.tables.build import Cells
from extractor.disclosure.tables.lp_audit import Audit, audit
from extractor.disclosure.tables.primary import COUNT, Primary, primary_cells
from extractor.disclosure.tables.rounding_audit import narrowed, published_range
from extractor.disclosure.tables.secondary import hypercube_suppression, secondary_suppression

MAX_REPAIRS = 200
MAX_ROUNDING_ROUNDS = 20


@dataclass
class Protection:
    primary: Primary
    suppressed: np.ndarray
    audit: Audit
    repairs: int
    targets: np.ndarray  # the primary cells, in the order of `cubes`
    cubes: np.ndarray  # each primary's certificate cube (corner flat indices; -1 rows: none)
    for_rounding: np.ndarray  # cells hidden so that no rounded count can be narrowed (rounding_audit.py)

    @property
    def secondary(self) -> np.ndarray:
        return self.suppressed & ~self.primary.mask & ~self.for_rounding


def additive_columns(cells: Cells) -> dict[str, np.ndarray]:
    return {COUNT: cells.rows.astype(np.float64), **cells.sums}


def protect(cells: Cells, rules: Disclosure, events: tuple[str, ...] = ()) -> Protection:
    A = cells.structure.lines().tocsr()
    primary = primary_cells(cells, rules, events)
    values = additive_columns(cells)
    margin = cells.structure.is_margin()
    s, targets, cubes = hypercube_suppression(cells.structure, primary.mask, values, primary.required, margin)
    s = secondary_suppression(A, primary.mask, values, primary.required, margin, suppressed=s)
    for repairs in range(MAX_REPAIRS + 1):
        result = audit(cells.structure, A, values, s, primary.required, targets, cubes)
        failed = result.failed
        if failed.size == 0:
            return Protection(primary, s, result, repairs, targets, cubes, np.zeros_like(s))
        lines = np.unique(A[:, failed].tocoo().row)
        before = int(s.sum())
        s = secondary_suppression(A, primary.mask, values, primary.required, margin, suppressed=s,
                                  force_lines=lines)
        if int(s.sum()) == before:
            s[np.unique(A[lines].tocoo().col)] = True
    raise RuntimeError(f"secondary suppression did not converge in {MAX_REPAIRS} repairs")


def protect_rounded(cells: Cells, rules: Disclosure, events: tuple[str, ...]) -> Protection:
    """Protect, then hide until no rounded count can be narrowed (rounding_audit.py): a narrowed published
    margin is hidden (that frees its line), else the narrowed cell itself; a hidden count that could be
    narrowed gets its line partners hidden. Hiding only loosens lines, so this ends."""
    protection = protect(cells, rules, events)
    true = {COUNT: cells.rows, **{m: np.rint(cells.sums[m]) for m in events}}
    caps = []
    for m, least in ((m, np.nanmin(cells.minimum[m], initial=np.inf)) for m in cells.sums):
        if np.isfinite(least) and least > 0:  # every record counts at least `least`: rows <= sum / least
            top = published_range(true[m], rules)[1] if m in true else np.round(cells.sums[m], 2) + 0.005
            caps.append((top, float(least)))
    margin = cells.structure.is_margin()
    hidden = protection.suppressed.copy()
    A = cells.structure.lines().tocsr()
    for _ in range(MAX_ROUNDING_ROUNDS):
        shown, unsafe = narrowed(cells.structure, hidden, true, rules, caps)
        if shown.any():
            hidden |= shown & margin if (shown & margin).any() else shown
        elif unsafe.any():
            hidden[np.unique(A[np.unique(A[:, np.flatnonzero(unsafe)].tocoo().row)].tocoo().col)] = True
        else:
            protection.for_rounding = hidden & ~protection.suppressed
            protection.suppressed = hidden
            return protection
    raise RuntimeError(f"the rounding audit did not settle in {MAX_ROUNDING_ROUNDS} rounds")
