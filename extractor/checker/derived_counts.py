"""Can the published figures of a table, taken together, narrow a rounded count? The checker's own attack.

From the released file alone: every published count (and every magnitude published as a count of
events) stands for the set of true values the policy's rounding maps to it. The attacker then keeps
only the values consistent with everything else published:
- in the same row, a mean must be some admissible sum divided by the count; a magnitude whose every
  record is at least `floor` (e.g. one document per row) caps the count at sum / floor;
- along the table's margins, a parent equals the sum of its children (interval propagation to a fixed
  point; a redacted cell is anywhere in [0, ∞)).
A count is narrowed when fewer true values remain than the rounding leaves. The result is what the
output checker reports; tests compare it with a brute-force enumeration on small tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from extractor.checker.count_rule import REDACTED, expected_counts

MAX_SWEEPS = 100


@dataclass(frozen=True)
class Narrowed:
    column: str
    rows: np.ndarray  # rows (0-based) whose count an attacker narrows
    before: int  # candidate values the rounding leaves, summed over those rows
    after: int  # candidate values left after the attack, summed over those rows


def candidates(published: pl.Series, threshold: int, base: int, rounding: str) -> tuple[np.ndarray, np.ndarray]:
    """Each published count's true-value range [lo, hi] (the rule is monotone, so the set is a range);
    a redacted cell is [0, inf], a non-count text is NaN."""
    shown = published.cast(pl.Int64, strict=False).drop_nulls().unique().to_numpy()
    reach = 2 * base + threshold + 2  # a figure stands for true values within this distance of it
    true = np.unique(np.clip(shown[:, None] + np.arange(-reach, reach + 1)[None, :], 0, None).ravel())
    text = expected_counts(true, threshold, base, rounding)
    table = pl.DataFrame({"shown": text.astype(str), "n": true}).group_by("shown").agg(
        pl.col("n").min().alias("lo"), pl.col("n").max().alias("hi"))
    joined = pl.DataFrame({"shown": published}).join(table, on="shown", how="left", maintain_order="left")
    lo = joined["lo"].to_numpy().astype(float)
    hi = joined["hi"].to_numpy().astype(float)
    redacted = (published == REDACTED).to_numpy()
    lo[redacted], hi[redacted] = 0.0, np.inf
    return lo, hi


def _row_constraints(lo: np.ndarray, hi: np.ndarray, sums: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]],
                     shown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep, per published row, the counts n in [lo, hi] consistent with each (sum_lo, sum_hi, mean, floor)."""
    finite = shown & np.isfinite(lo) & np.isfinite(hi)
    width = int(np.max(hi[finite] - lo[finite], initial=0)) + 1
    n = lo[:, None] + np.arange(width)[None, :]
    ok = finite[:, None] & (n <= hi[:, None])
    for s_lo, s_hi, mean, floor in sums:
        with np.errstate(divide="ignore", invalid="ignore"):
            if mean is not None:
                has = ~np.isnan(mean)
                m_lo, m_hi = mean - 0.005, mean + 0.005
                fits = (s_hi[:, None] / n >= m_lo[:, None] - 1e-12) & (s_lo[:, None] / n < m_hi[:, None] + 1e-12)
                ok &= ~has[:, None] | (n == 0) | fits
            if floor > 0:
                ok &= ~np.isfinite(s_hi)[:, None] | (n * floor <= s_hi[:, None] + 1e-9)
    any_ok = ok.any(axis=1)
    first = np.where(any_ok, ok.argmax(axis=1), 0)
    last = np.where(any_ok, width - 1 - ok[:, ::-1].argmax(axis=1), 0)
    new_lo = np.where(finite, lo + first, lo)
    new_hi = np.where(finite, lo + last, hi)
    return new_lo, new_hi


def propagate(A: sparse.csr_matrix, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds consistency on the lines A x = 0 (x ≥ 0), swept to a fixed point."""
    lo, hi = lo.copy(), hi.copy()
    if A.shape[0] == 0:
        return lo, hi
    coo = A.tocoo()
    r, c, a = coo.row, coo.col, coo.data
    for _ in range(MAX_SWEEPS):
        t_min = np.where(a > 0, a * lo[c], a * hi[c])  # each term's least and greatest value
        t_max = np.where(a > 0, a * hi[c], a * lo[c])
        inf_min = np.bincount(r, np.isinf(t_min), A.shape[0])
        inf_max = np.bincount(r, np.isinf(t_max), A.shape[0])
        s_min = np.bincount(r, np.where(np.isinf(t_min), 0.0, t_min), A.shape[0])
        s_max = np.bincount(r, np.where(np.isinf(t_max), 0.0, t_max), A.shape[0])
        # the other terms of the line: a_j x_j = -(sum of the rest)
        rest_max = np.where(inf_max[r] - np.isinf(t_max) > 0, np.inf, s_max[r] - np.where(np.isinf(t_max), 0, t_max))
        rest_min = np.where(inf_min[r] - np.isinf(t_min) > 0, -np.inf, s_min[r] - np.where(np.isinf(t_min), 0, t_min))
        with np.errstate(invalid="ignore"):
            x_lo = np.where(a > 0, -rest_max / a, -rest_min / a)
            x_hi = np.where(a > 0, -rest_min / a, -rest_max / a)
        cand_lo = np.full(lo.size, -np.inf)
        cand_hi = np.full(hi.size, np.inf)
        np.maximum.at(cand_lo, c, np.where(np.isnan(x_lo), -np.inf, x_lo))
        np.minimum.at(cand_hi, c, np.where(np.isnan(x_hi), np.inf, x_hi))
        new_lo = np.maximum(lo, np.ceil(cand_lo - 1e-9))
        new_hi = np.minimum(hi, np.floor(cand_hi + 1e-9))
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            break
        lo, hi = new_lo, new_hi
    return lo, hi


def _mean_is_published_ratio(df: pl.DataFrame, count: str, m: str, mean_col: str) -> bool:
    """True when every shown mean is the published sum over the published count (within its 2 decimals)."""
    n = df[count].cast(pl.Float64, strict=False)
    s = df[m].cast(pl.Float64, strict=False)
    mean = df[mean_col].cast(pl.Float64, strict=False)
    ratio = pl.DataFrame({"n": n, "s": s, "mean": mean}).select(
        ((pl.col("s") / pl.col("n")) - pl.col("mean")).abs().le(0.005 + 1e-9).alias("ok"),
        pl.col("mean").is_null().alias("blank"), (pl.col("n") == 0).alias("zero"))
    return bool((ratio["blank"] | ratio["ok"].fill_null(False)).all())


def narrowed_counts(df: pl.DataFrame, count: str, event_counts: list[str], means: dict[str, str],
                    floors: dict[str, float], A: sparse.csr_matrix, threshold: int, base: int,
                    rounding: str) -> list[Narrowed]:
    """Every rounded column (the count and event counts) an attacker narrows below what rounding leaves.

    `means` maps a magnitude to its published mean column (a mean that is the published ratio is left
    out: it tells nothing more); `floors` gives each magnitude's least per-record value (0: none)."""
    if rounding == "none":
        return []
    bounds = {c: candidates(df[c], threshold, base, rounding) for c in [count, *event_counts]}
    original = {c: (lo.copy(), hi.copy()) for c, (lo, hi) in bounds.items()}
    figures = {}  # magnitude -> (exact sum as published or None, the mean column if it tells more, floor)
    for m in sorted(set(means) | {m for m, f in floors.items() if f > 0}):
        exact = None if m in bounds else df[m].cast(pl.Float64, strict=False).to_numpy()
        mean_col = means.get(m)
        mean = None
        if mean_col and not _mean_is_published_ratio(df, count, m, mean_col):
            mean = df[mean_col].cast(pl.Float64, strict=False).to_numpy()
        figures[m] = (exact, mean, floors.get(m, 0.0))
    for _ in range(3):  # rows and lines feed each other
        sums = [(*(bounds[m] if exact is None else (exact - 0.005, exact + 0.005)), mean, floor)
                for m, (exact, mean, floor) in figures.items()]
        lo, hi = _row_constraints(*bounds[count], sums, np.isfinite(original[count][1]))
        bounds[count] = propagate(A, lo, hi)
        for c in event_counts:
            bounds[c] = propagate(A, *bounds[c])
    found = []
    for c, (lo, hi) in bounds.items():
        lo0, hi0 = original[c]
        shown = np.isfinite(hi0)
        narrowed = shown & ((hi - lo) < (hi0 - lo0))
        if narrowed.any():
            rows = np.flatnonzero(narrowed)
            found.append(Narrowed(c, rows, int((hi0 - lo0 + 1)[rows].sum()),
                                  int(np.maximum(hi - lo + 1, 0)[rows].sum())))
    return found


def narrow_hidden(A: sparse.csr_matrix, published: pl.Series, true: np.ndarray, threshold: int, base: int,
                  rounding: str) -> np.ndarray:
    """Hidden cells above the threshold that an attacker can pin more tightly than their rounding would."""
    if rounding == "none":
        return np.zeros(published.len(), dtype=bool)
    lo, hi = candidates(published, threshold, base, rounding)
    lo, hi = propagate(A, lo, hi)
    own = candidates(pl.Series(expected_counts(true, threshold, base, rounding).astype(str)), threshold, base,
                     rounding)
    hidden = (published == REDACTED).to_numpy()
    return hidden & (true > threshold) & ((hi - lo) < (own[1] - own[0]))
