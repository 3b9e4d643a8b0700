"""The published-count rule as the checker computes it, in integers, written apart from disclosure/aggregate.py.

A true count of 0 is published as 0; 1..threshold is redacted; any other count is rounded (nearest
multiple of the base, halves up; or OpenSAFELY's midpoint-6: the midpoint of its 6-wide bin) and never
lands at or below the threshold (then the smallest allowed value above it is published instead).
"""

from __future__ import annotations

import numpy as np

REDACTED = "[REDACTED]"


def _smallest_allowed(threshold: int, base: int, rounding: str) -> int:
    candidates = np.arange(threshold + 1, threshold + 2 * base + 2)
    if rounding in ("nearest", "controlled"):
        return int(candidates[candidates % base == 0][0])
    if rounding == "midpoint6":
        return int(candidates[candidates % base == base // 2][0])
    return threshold + 1


def expected_counts(true: np.ndarray, threshold: int, base: int, rounding: str) -> np.ndarray:
    """The text each true count must be published as (object array of str)."""
    n = np.asarray(true, dtype=np.int64)
    if rounding in ("nearest", "controlled"):  # controlled: what a figure outside a table gets
        shown = (n + base // 2) // base * base
    elif rounding == "midpoint6":
        shown = -(-n // base) * base - base // 2  # ceil to the bin's top, then its midpoint
    else:
        shown = n.copy()
    shown = np.maximum(shown, _smallest_allowed(threshold, base, rounding))
    out = shown.astype(str).astype(object)
    out[n == 0] = "0"
    out[(n >= 1) & (n <= threshold)] = REDACTED
    return out
