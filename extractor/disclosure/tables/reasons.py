"""Why each cell of a protected table is hidden or moved, and what the protection cost: for the controller's
exact file and the review report (never for the researcher: a reason such as "threshold" says a cell is small).

A primary cell names its rule with the figure that triggered it (the dominant units' share, how closely
the second largest unit could estimate the largest); a secondary cell names the hidden primary cells it
shares a line with (the cells it protects); a figure moved by controlled rounding shows true → published.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import sparse

from extractor.disclosure.tables.build import Cells
from extractor.disclosure.tables.primary import COUNT
from extractor.disclosure.tables.protect import Protection

MAX_NAMED = 3  # protected cells named per secondary cell


def why(cells: Cells, protection: Protection) -> list[str]:
    """One line per cell ("" where it is published as it is), built column-wise (no loop per cell)."""
    n = cells.rows.size
    parts = [_primary_reason(cells, reason, mask) for reason, mask in protection.primary.reasons.items()]
    secondary = np.flatnonzero(protection.secondary)
    if secondary.size:
        parts.append(_secondary_reason(cells, protection, secondary))
    for col, r in protection.rounding.items():
        what = "records" if col == COUNT else col
        moved = pl.Series(r.moved)
        parts.append(pl.when(moved).then(pl.concat_str([
            pl.lit(f"rounded {what}: "), pl.lit(pl.Series(r.true.astype(np.int64))).cast(pl.String), pl.lit(" → "),
            pl.lit(pl.Series(r.values.astype(np.int64))).cast(pl.String)])))
    if not parts:
        return [""] * n
    return pl.select(pl.concat_str(parts, separator="; ", ignore_nulls=True).fill_null("")).to_series().to_list()


def _secondary_reason(cells: Cells, protection: Protection, secondary: np.ndarray) -> pl.Expr:
    """"secondary: protects <up to MAX_NAMED hidden primary cells sharing a line>" for each secondary cell."""
    labels = cells.structure.labels()
    names = labels.select(pl.concat_str([pl.col(c).cast(pl.String) for c in labels.columns], separator=" / "))
    names = names.to_series()
    A = abs(sparse.csr_matrix(cells.structure.lines()))
    hidden_primary = np.flatnonzero(protection.primary.mask & protection.suppressed)
    near = (A.T[secondary] @ A[:, hidden_primary]).tocoo()  # secondary × hidden primary sharing a line
    pairs = pl.DataFrame({"cell": secondary[near.row], "other": hidden_primary[near.col]}).sort("cell", "other")
    named = pairs.group_by("cell", maintain_order=True).head(MAX_NAMED)
    named = named.with_columns(names.gather(named["other"]).alias("name")) \
        .group_by("cell", maintain_order=True).agg(pl.col("name").str.join("; "))
    text = np.full(cells.rows.size, None, dtype=object)
    text[secondary] = "secondary: completes the hidden cells of a line"
    text[named["cell"].to_numpy()] = ("secondary: protects " + named["name"]).to_list()
    return pl.lit(pl.Series(text.tolist(), dtype=pl.String))


def _primary_reason(cells: Cells, reason: str, mask: np.ndarray) -> pl.Expr:
    """The rule's line for the cells in `mask` (null elsewhere), with the figure that triggered it."""
    rule, _, magnitude = reason.partition(":")
    on = pl.Series(mask)
    if rule in ("dominance", "p_percent"):
        top, total = cells.top[magnitude], cells.sums[magnitude]
        x1 = top[:, 0]
        x2 = top[:, 1] if top.shape[1] > 1 else np.zeros(x1.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total != 0, (x1 + x2) / total, 0.0)
            rest = np.where(x1 != 0, (total - x1 - x2) / x1, np.nan)
        pct = pl.Series(np.round(share * 100).astype(np.int64)) if rule == "dominance" else \
            pl.Series(np.round(np.nan_to_num(rest) * 100).astype(np.int64))
        if rule == "dominance":
            return pl.when(on).then(_text("dominance: the two largest units hold ", pct, f"% of {magnitude}"))
        return pl.when(on & pl.Series(x1 != 0)).then(_text(
            f"p%: the second largest unit could estimate the largest's {magnitude} within ", pct, "%")) \
            .when(on).then(pl.lit(f"p%: {magnitude}"))
    text = {"threshold": f"threshold: {magnitude} of 1 to the threshold" if magnitude else
            "threshold: 1 to the threshold records or units",
            "zero": "zero: a zero is disclosive under this policy",
            "full": "full cell: every record of its line falls in it"}.get(rule, reason)
    return pl.when(on).then(pl.lit(text))


def _text(before: str, figure: pl.Series, after: str) -> pl.Expr:
    """before + figure + after per cell; concatenated, not pl.format, because a magnitude's name may hold braces."""
    return pl.concat_str([pl.lit(before), pl.lit(figure).cast(pl.String), pl.lit(after)])


def hidden_share(cells: Cells, suppressed: np.ndarray) -> float:
    """Records in hidden inner cells over the grand total's records (0 for an empty table)."""
    inner = ~cells.structure.is_margin()
    total = float(cells.rows[inner].sum())
    return round(float(cells.rows[inner & suppressed].sum()) / total, 4) if total else 0.0
