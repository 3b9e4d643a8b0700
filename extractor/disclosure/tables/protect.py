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
from extractor.disclosure.tables.secondary import hypercube_suppression, secondary_suppression

MAX_REPAIRS = 200


@dataclass
class Protection:
    primary: Primary
    suppressed: np.ndarray
    audit: Audit
    repairs: int
    targets: np.ndarray  # the primary cells, in the order of `cubes`
    cubes: np.ndarray  # each primary's certificate cube (corner flat indices; -1 rows: none)

    @property
    def secondary(self) -> np.ndarray:
        return self.suppressed & ~self.primary.mask


def additive_columns(cells: Cells) -> dict[str, np.ndarray]:
    return {COUNT: cells.rows.astype(np.float64), **cells.sums}


def protect(cells: Cells, rules: Disclosure) -> Protection:
    A = cells.structure.lines().tocsr()
    primary = primary_cells(cells, rules)
    values = additive_columns(cells)
    margin = cells.structure.is_margin()
    s, targets, cubes = hypercube_suppression(cells.structure, primary.mask, values, primary.required, margin)
    s = secondary_suppression(A, primary.mask, values, primary.required, margin, suppressed=s)
    for repairs in range(MAX_REPAIRS + 1):
        result = audit(cells.structure, A, values, s, primary.required, targets, cubes)
        failed = result.failed
        if failed.size == 0:
            return Protection(primary, s, result, repairs, targets, cubes)
        lines = np.unique(A[:, failed].tocoo().row)
        before = int(s.sum())
        s = secondary_suppression(A, primary.mask, values, primary.required, margin, suppressed=s,
                                  force_lines=lines)
        if int(s.sum()) == before:
            s[np.unique(A[lines].tocoo().col)] = True
    raise RuntimeError(f"secondary suppression did not converge in {MAX_REPAIRS} repairs")
