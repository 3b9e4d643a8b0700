"""Why each cell of a protected table is hidden or moved, and what the protection cost: for the controller's
exact file and the review report (never for the researcher: a reason such as "threshold" says a cell is small).

A primary cell names its rule with the figure that triggered it (the dominant units' share, how closely
the second largest unit could estimate the largest); a secondary cell names the hidden primary cells it
shares a line with (the cells it protects); a figure moved by controlled rounding shows true → published.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from extractor.disclosure.tables.build import Cells
from extractor.disclosure.tables.primary import COUNT
from extractor.disclosure.tables.protect import Protection

MAX_NAMED = 3  # protected cells named per secondary cell


def why(cells: Cells, protection: Protection) -> list[str]:
    """One line per cell ("" where it is published as it is)."""
    n = cells.rows.size
    parts: list[list[str]] = [[] for _ in range(n)]
    for reason, mask in protection.primary.reasons.items():
        for cell in np.flatnonzero(mask):
            parts[cell].append(_primary_reason(cells, reason, int(cell)))
    secondary = np.flatnonzero(protection.secondary)
    if secondary.size:
        labels = cells.structure.labels()
        A = abs(sparse.csr_matrix(cells.structure.lines()))
        near = (A.T @ A).tocsr()  # cells sharing a line
        hidden_primary = protection.primary.mask & protection.suppressed
        for cell in secondary:
            row = near.indices[near.indptr[cell]:near.indptr[cell + 1]]
            protects = [int(c) for c in row if hidden_primary[c]][:MAX_NAMED]
            named = "; ".join(" / ".join(str(v) for v in labels.row(c)) for c in protects)
            parts[cell].append(f"secondary: protects {named}" if named else
                               "secondary: completes the hidden cells of a line")
    for col, r in protection.rounding.items():
        for cell in np.flatnonzero(r.moved):
            what = "records" if col == COUNT else col
            parts[cell].append(f"rounded {what}: {int(r.true[cell])} → {int(r.values[cell])}")
    return ["; ".join(p) for p in parts]


def _primary_reason(cells: Cells, reason: str, cell: int) -> str:
    rule, _, magnitude = reason.partition(":")
    if rule == "threshold":
        return f"threshold: {magnitude} of 1 to the threshold" if magnitude else \
            "threshold: 1 to the threshold records or units"
    if rule == "dominance":
        top, total = cells.top[magnitude][cell], cells.sums[magnitude][cell]
        share = top[:2].sum() / total if total else 0.0
        return f"dominance: the two largest units hold {share:.0%} of {magnitude}"
    if rule == "p_percent":
        top, total = cells.top[magnitude][cell], cells.sums[magnitude][cell]
        x1 = top[0]
        rest = total - x1 - (top[1] if top.size > 1 else 0.0)
        return f"p%: the second largest unit could estimate the largest's {magnitude} within {rest / x1:.0%}" \
            if x1 else f"p%: {magnitude}"
    if rule == "zero":
        return "zero: a zero is disclosive under this policy"
    if rule == "full":
        return "full cell: every record of its line falls in it"
    return reason


def hidden_share(cells: Cells, suppressed: np.ndarray) -> float:
    """Records in hidden inner cells over the grand total's records (0 for an empty table)."""
    inner = ~cells.structure.is_margin()
    total = float(cells.rows[inner].sum())
    return round(float(cells.rows[inner & suppressed].sum()) / total, 4) if total else 0.0
