"""Protect a table with margins: primary rules, secondary suppression, then the LP audit until it passes.

The same suppression pattern holds for every column of a cell (count and magnitudes): a cell is
hidden whole, since its count next to its sum would give the other away. The audit runs on each
additive column with its own requirement. Cells the audit finds exposed get partners on their lines;
if no line has a cell left to add, the lines through the exposed cell are hidden whole, which always
ends (a fully hidden table is an unbounded polytope).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from extractor.config.policy import Disclosure
from extractor.disclosure.aggregate import floor_figure
from extractor.disclosure.tables.build import Cells
from extractor.disclosure.tables.controlled_rounding import Rounded, controlled_round
from extractor.disclosure.tables.lp_audit import Audit, audit
from extractor.disclosure.tables.primary import COUNT, Primary, primary_cells
from extractor.disclosure.tables.secondary import hypercube_suppression, secondary_suppression

MAX_REPAIRS = 200
PRE_AUDIT_COMPONENT = 200  # hidden cells: larger parts of the primary pattern get only the local LP
PRE_AUDIT_GIVE_UP = 20  # the pre-audit stops trying LPs once this many more cells failed than passed


@dataclass
class Protection:
    primary: Primary
    suppressed: np.ndarray
    audit: Audit
    repairs: int
    targets: np.ndarray  # the primary cells, in the order of `cubes`
    cubes: np.ndarray  # each primary's certificate cube (corner flat indices; -1 rows: none)
    rounding: dict[str, Rounded] = field(default_factory=dict)  # column -> controlled rounding
    proofs: dict[int, np.ndarray] = field(default_factory=dict)  # primary proven by an LP -> its hidden cells

    @property
    def secondary(self) -> np.ndarray:
        return self.suppressed & ~self.primary.mask


def additive_columns(cells: Cells) -> dict[str, np.ndarray]:
    return {COUNT: cells.rows.astype(np.float64), **cells.sums}


def protect(cells: Cells, rules: Disclosure, events: tuple[str, ...] = ()) -> Protection:
    A = cells.structure.lines().tocsr()
    primary = primary_cells(cells, rules, events)
    values = additive_columns(cells)
    margin = cells.structure.is_margin()
    exempt, pre = _protected_by_each_other(cells, A, values, primary)
    need = {col: np.where(exempt, 0.0, req) for col, req in primary.required.items()}
    s, targets, cubes = hypercube_suppression(cells.structure, primary.mask, values, need, margin, exempt=exempt)
    proofs: dict[int, np.ndarray] = {}
    if pre is not None:  # the pre-audit's certificates hold in any pattern that contains the primaries
        proofs = pre.proofs
        own = {int(t): i for i, t in enumerate(np.flatnonzero(primary.mask))}
        rows = np.array([own[int(t)] for t in targets], dtype=np.int64)
        found = pre.cubes[rows]
        cubes = np.where((cubes[:, :1] < 0) & (found[:, :1] >= 0), found, cubes)
    s = secondary_suppression(A, primary.mask, values, need, margin, suppressed=s)
    for repairs in range(MAX_REPAIRS + 1):
        result = audit(cells.structure, A, values, s, primary.required, targets, cubes, proofs=proofs)
        failed = result.failed
        if failed.size == 0:
            return Protection(primary, s, result, repairs, targets, result.cubes, proofs=result.proofs)
        lines = np.unique(A[:, failed].tocoo().row)
        before = int(s.sum())
        s = secondary_suppression(A, primary.mask, values, need, margin, suppressed=s,
                                  force_lines=lines)
        if int(s.sum()) == before:
            s[np.unique(A[lines].tocoo().col)] = True
    raise RuntimeError(f"secondary suppression did not converge in {MAX_REPAIRS} repairs")


def _protected_by_each_other(cells: Cells, A: sparse.csr_matrix, values: dict[str, np.ndarray],
                             primary: Primary) -> tuple[np.ndarray, Audit | None]:
    """Primary cells that the primary cells alone already hide widely enough (a cube of hidden cells, an
    LP over their hidden neighbours, or, in a small connected part, the exact LP proves it). Hiding more
    cells only widens every interval, so these need no partner of their own: τ-Argus's modular method
    likewise adds none where the primaries cover each other, and without this step tables full of small
    cells hid far more than it (see benchmarks/tauargus_bench.py). The final audit still checks them in
    the finished pattern, with the same certificates (returned: the pre-audit, targets in flat order,
    with its cubes and LP proofs)."""
    mask = primary.mask
    targets = np.flatnonzero(mask)
    exempt = np.zeros(mask.size, dtype=bool)
    if targets.size < 2:
        return exempt, None
    pre = audit(cells.structure, A, values, mask, primary.required, targets, component_limit=PRE_AUDIT_COMPONENT,
                give_up_after=PRE_AUDIT_GIVE_UP)
    exempt[targets] = True
    exempt[pre.failed] = False
    return exempt, pre


def protect_table(cells: Cells, rules: Disclosure, events: tuple[str, ...]) -> Protection:
    """Suppression first (protect), then, under controlled rounding, the figures of the count and of every
    count of events chosen so that published lines add up (controlled_rounding.py). Nothing is hidden
    for rounding: a rounded figure is never below the threshold and the audit treats published figures as
    exact, which only overstates what an attacker knows."""
    protection = protect(cells, rules, events)
    if rules.rounding == "controlled":
        A, groups = cells.structure.lines().tocsr(), cells.structure.line_groups()
        published = ~protection.suppressed
        floor = floor_figure(rules)
        true = {COUNT: cells.rows, **{m: np.rint(cells.sums[m]).astype(np.int64) for m in events}}
        protection.rounding = {col: controlled_round(A, v, published, rules.rounding_base, floor, groups)
                               for col, v in true.items()}
    return protection
