"""Which published rounded counts could an attacker narrow, given everything else the table publishes?

A rounded count promises that its true value is any of the values the rule maps to it (five for
nearest-5). Published margins are rounded independently of their children, so along a line
(parent = Σ children) the children's ranges can cut the parent's, and the other way round: the
attacker intersects them until nothing changes (bounds consistency; a hidden cell is anywhere ≥ 0).
In a row, a magnitude whose every record is at least `floor` (one document per client-row) caps the
count at sum / floor. Cells narrowed this way are hidden (protect.protect_rounded), and a hidden count
above the threshold must keep at least its rounding's range too. Means are computed from the published sum and
count (release_frame.py), so they add nothing; this module never sees them.
"""

from __future__ import annotations

import numpy as np

from extractor.config.policy import Disclosure
from extractor.disclosure.aggregate import floor_figure
from extractor.disclosure.tables.structure import Structure

HIDDEN = float(2**40)  # "unbounded": far above any count, small enough to add exactly in float64
SWEEPS = 100


def published_range(true: np.ndarray, rules: Disclosure) -> tuple[np.ndarray, np.ndarray]:
    """Every true value whose published figure equals this cell's: [lo, hi] per cell (the rule is monotone).

    Only meaningful where the count is published (0, or above the threshold)."""
    n = np.asarray(true, dtype=np.int64)
    base, t, floor = rules.rounding_base, rules.threshold, floor_figure(rules)
    if rules.rounding == "nearest":
        shown = np.maximum((n + base // 2) // base * base, floor)
        lo, hi = shown - base // 2, shown - base // 2 + base - 1
    elif rules.rounding == "midpoint6":
        shown = np.maximum(-(-n // base) * base - base // 2, floor)
        lo, hi = shown + base // 2 - base + 1, shown + base // 2
    else:
        shown, lo, hi = n, n.copy(), n.copy()
    lo = np.where(shown == floor, t + 1, np.maximum(lo, t + 1))  # the floor figure stands for all just above t
    zero = n == 0
    return np.where(zero, 0, lo).astype(float), np.where(zero, 0, hi).astype(float)


def _consistent(structure: Structure, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds consistency along every group's parent = Σ children, by per-parent sums of the children."""
    parents = [structure.parent_cells(g) for g in range(len(structure.groups))]
    for _ in range(SWEEPS):
        before_lo, before_hi = lo.copy(), hi.copy()
        for up in parents:
            kid = np.flatnonzero(up >= 0)
            p = up[kid]
            kids_lo = np.bincount(p, lo[kid], minlength=lo.size)
            kids_hi = np.bincount(p, hi[kid], minlength=lo.size)
            has_kids = np.bincount(p, minlength=lo.size) > 0
            lo = np.where(has_kids, np.maximum(lo, kids_lo), lo)
            hi = np.where(has_kids, np.minimum(hi, np.minimum(kids_hi, HIDDEN)), hi)
            lo[kid] = np.maximum(lo[kid], lo[p] - (kids_hi[p] - hi[kid]))
            hi[kid] = np.minimum(hi[kid], hi[p] - (kids_lo[p] - lo[kid]))
        if np.array_equal(lo, before_lo) and np.array_equal(hi, before_hi):
            break
    return lo, hi


def narrowed(structure: Structure, hidden: np.ndarray, true: dict[str, np.ndarray], rules: Disclosure,
             caps: list[tuple[np.ndarray, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(published cells whose range an attacker can shrink, hidden cells above the threshold whose
    derivable range is narrower than their rounding's), over every rounded column (the count first).

    `true` holds each rounded column's exact values; `caps` holds, for the count, (largest published
    sum, least per-record value) of every magnitude with a positive least value."""
    shown_narrowed = np.zeros(hidden.size, dtype=bool)
    hidden_narrow = np.zeros(hidden.size, dtype=bool)
    if rules.rounding == "none":
        return shown_narrowed, hidden_narrow
    for i, values in enumerate(true.values()):
        lo0, hi0 = published_range(values, rules)
        lo = np.where(hidden, 0.0, lo0)
        hi = np.where(hidden, HIDDEN, hi0)
        if i == 0:
            for sum_hi, least in caps:
                hi = np.where(hidden, hi, np.minimum(hi, np.floor(sum_hi / least + 1e-9)))
        lo, hi = _consistent(structure, lo, hi)
        short = (hi - lo) < (hi0 - lo0)
        shown_narrowed |= ~hidden & short
        hidden_narrow |= hidden & (values > rules.threshold) & short
    return shown_narrowed, hidden_narrow
