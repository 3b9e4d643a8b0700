"""Secondary suppression: complementary cells so that no primary cell can be worked out from the margins.

First the hypercube method: each primary cell, in batches smallest first, gets the cheapest cube of
cells (see cubes.py) whose values give it the required width; hidden cells cost nothing, inner cells
cost their count, margins more than any inner cell. That protects by construction wherever a cube
exists. The line method below repairs what is left (cells under nested subtotals, or any the LP audit
finds exposed). It works line by line on the additivity matrix, all lines of a round at once (vectorised): a line with
exactly one suppressed cell gives that cell away, and a line whose suppressed cells hide too little
(their total is below a primary's required width) gives it a narrow interval; either way the line gets
a partner: the cheapest unsuppressed cell of the line that covers the shortfall (non-zero, inner cells
before margins, smallest count first), else the largest. Rounds repeat until no line needs one. The
LP audit then verifies the whole table; a cell it finds too exposed gets partners on its lines and the
rounds start again, so the result always passes the audit (at worst by suppressing more).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from extractor.disclosure.tables.cubes import pair_signs, search
from extractor.disclosure.tables.structure import Structure


def _line_needs(A: sparse.csr_matrix, suppressed: np.ndarray, values: dict[str, np.ndarray],
                required: dict[str, np.ndarray], force: np.ndarray | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Lines that need a partner, and per column the value the partner should bring."""
    absA = abs(A)
    s = suppressed.astype(np.float64)
    count = absA @ s
    needs = (count == 1)
    if force is not None:
        needs |= force
    shortfall = {}
    children = A.maximum(0)  # +1 entries
    parents = (-A).maximum(0)  # the line's parent
    parent_suppressed = (parents @ s) > 0
    for col, val in values.items():
        hidden = children @ (s * np.abs(val))  # what the suppressed children hide together
        req = required[col] * suppressed
        need = absA.multiply(req[None, :]).max(axis=1).toarray().ravel()
        # A suppressed parent leaves a child's upper end open in this line; otherwise the width is `hidden`.
        gap = np.where(parent_suppressed & (count >= 2), 0.0, need - hidden)
        gap = np.where(count >= 1, gap, 0.0)
        shortfall[col] = np.maximum(gap, 0.0)
        needs |= shortfall[col] > 1e-9
    return needs, shortfall


def _pick_partners(A: sparse.csr_matrix, lines: np.ndarray, suppressed: np.ndarray, cost: np.ndarray,
                   values: dict[str, np.ndarray], shortfall: dict[str, np.ndarray],
                   margin: np.ndarray) -> np.ndarray:
    sub = A[lines].tocoo()
    line, cell, coef = sub.row, sub.col, sub.data
    ok = ~suppressed[cell]
    line, cell, coef = line[ok], cell[ok], coef[ok]
    if cell.size == 0:
        return np.zeros(0, dtype=np.int64)
    covers = np.ones(cell.size, dtype=bool)
    for col, val in values.items():
        covers &= np.abs(val[cell]) >= shortfall[col][lines[line]] - 1e-9
    nonzero = np.zeros(cell.size, dtype=bool)
    for val in values.values():
        nonzero |= val[cell] != 0
    is_margin = margin[cell] | (coef < 0)
    # Lexicographic preference: covers the shortfall, non-zero, inner, then the smallest cost; a cell
    # that covers nothing is taken largest-first so the shortfall shrinks fastest.
    size_key = np.where(covers, cost[cell], -cost[cell])
    key = (~covers) * 4 + (~nonzero) * 2 + is_margin * 1
    order = np.lexsort((size_key, key, line))
    first = np.ones(order.size, dtype=bool)
    first[1:] = line[order][1:] != line[order][:-1]
    return np.unique(cell[order][first])


def secondary_suppression(A: sparse.csr_matrix, primary: np.ndarray, values: dict[str, np.ndarray],
                          required: dict[str, np.ndarray], margin: np.ndarray,
                          suppressed: np.ndarray | None = None, force_lines: np.ndarray | None = None,
                          max_rounds: int = 10_000) -> np.ndarray:
    """Suppression pattern (primary ∪ complementary cells) with no line giving a primary cell away."""
    s = (primary.copy() if suppressed is None else suppressed | primary)
    cost = _cost(values, margin)
    force = None
    if force_lines is not None:
        force = np.zeros(A.shape[0], dtype=bool)
        force[force_lines] = True
    for _ in range(max_rounds):
        needs, shortfall = _line_needs(A, s, values, required, force)
        force = None
        lines = np.flatnonzero(needs)
        if lines.size == 0:
            return s
        partners = _pick_partners(A, lines, s, cost, values, shortfall, margin)
        if partners.size == 0:
            return s
        s[partners] = True
    return s


def _cost(values: dict[str, np.ndarray], margin: np.ndarray) -> np.ndarray:
    count = np.abs(next(iter(values.values()))).astype(np.float64)
    return count + margin * (count.max(initial=0.0) + 1.0)


def hypercube_suppression(structure: Structure, primary: np.ndarray, values: dict[str, np.ndarray],
                          required: dict[str, np.ndarray], margin: np.ndarray,
                          batch: int = 512, exempt: np.ndarray | None = None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Primary cells plus, for each not `exempt` (already proven protected by the others), the corners of
    its cheapest adequate cube.

    Returns the pattern, the primary cells and their cubes (-1 rows where no cube was sought or found): the
    cubes are certificates the audit and the output checker verify instead of solving LPs.
    """
    s = primary.copy()
    signs = pair_signs(structure)
    cost = _cost(values, margin) + 1.0
    count = next(iter(values.values()))
    todo = np.flatnonzero(primary)
    todo = todo[np.argsort(count[todo], kind="stable")]
    cubes = np.full((todo.size, 2 ** len(structure.shape)), -1, dtype=np.int64)
    seek = np.flatnonzero(~exempt[todo]) if exempt is not None else np.arange(todo.size)
    found_cubes = _cubes(structure, signs, s, todo[seek], cost, count, values, required, batch)
    cubes[seek] = found_cubes
    return s, todo, cubes


def _cubes(structure: Structure, signs: list[np.ndarray], s: np.ndarray, todo: np.ndarray, cost: np.ndarray,
           count: np.ndarray, values: dict[str, np.ndarray], required: dict[str, np.ndarray],
           batch: int) -> np.ndarray:
    """Cubes for `todo` (in its order: smallest first) in batches, hiding their corners in `s` as chosen."""
    cubes = np.full((todo.size, 2 ** len(structure.shape)), -1, dtype=np.int64)
    for start in range(0, todo.size, batch):
        cells = todo[start:start + batch]
        score = np.where(s, 0.0, cost)
        corners, found = search(structure, signs, cells, score, np.ones(s.size, dtype=bool), values, required)
        found = np.isfinite(found)
        if not found.all():  # the cheapest partners were too small: retry among cells big enough alone
            miss = cells[~found]
            big = np.ones(s.size, dtype=bool)
            for col, req in required.items():
                if req[miss].max() > 0:
                    big &= np.abs(values[col]) >= req[miss].max() / 2
            more, cost2 = search(structure, signs, miss, np.where(s, 0.0, cost), s | big, values, required, k=8)
            corners[~found] = more
            found[~found] = np.isfinite(cost2)
        if not found.all():  # last try: the largest partners, whatever they cost
            miss = cells[~found]
            more, cost3 = search(structure, signs, miss, -np.abs(count), np.ones(s.size, dtype=bool), values,
                                 required, k=8)
            corners[~found] = more
            found[~found] = np.isfinite(cost3)
        s[corners[found].ravel()] = True
        cubes[start:start + batch] = np.where(found[:, None], corners, -1)
    return cubes
