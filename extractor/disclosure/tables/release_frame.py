"""A protected table as the two frames the run writes: the released one and the controller's exact one.

Released: label columns (TOTAL marks margins), the record count rounded by the policy's rule, each
magnitude's sum (a count of events rounded like a count) and its asked statistics; a hidden cell shows
REDACTED in every value column, and statistics follow their cell. A mean is the published sum over the
published count, so it tells nothing they do not; min and max follow the policy's `extremes`.
Exact (controller/tables/NAME.parquet, never released): true values,
which cells are primary and why, the widths they need, units and top contributions, and each primary
cell's certificate cube. The output checker and the differencing check read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.aggregate import REDACTED, rounded_expr
from extractor.disclosure.tables.build import Cells
from extractor.disclosure.tables.controlled_rounding import Rounded
from extractor.disclosure.tables.primary import COUNT
from extractor.disclosure.tables.protect import Protection
from extractor.disclosure.tables.reasons import hidden_share, why


@dataclass(frozen=True)
class TableRecord:
    """What the review report says about one protected table."""

    output: str
    cells: int
    margins: int
    primary: dict[str, int]  # reason -> cells
    secondary: int
    suppressed: int
    audit: dict[str, int]  # how each hidden primary was proven safe
    repairs: int
    event_counts: tuple[str, ...] = ()  # magnitudes that count events: thresholded and rounded as counts
    extremes: dict[str, int] = field(default_factory=dict)  # "min"/"max" -> cells where shown
    privacy: str = "sdc"
    dp: dict = field(default_factory=dict)  # DP: epsilon, noise scales, 95 % accuracy
    cell_key: dict = field(default_factory=dict)  # cell-key: p-table parameters, figures moved, largest noise
    # Information loss: the hidden inner cells' share of the grand total, and per rounded column how the
    # controlled rounding went (method, figures moved, total deviation, lines that do not add up).
    hidden_share: float = 0.0
    rounding: dict[str, dict] = field(default_factory=dict)
    listed: list[dict] = field(default_factory=list)  # hidden cells first, then moved ones: cell, kind, reason


def _listed(exact: pl.DataFrame, out: Output, protection: Protection) -> list[dict]:
    labels = [c for g in out.table.groups for c in g]
    kind = np.where(protection.primary.mask, "primary", np.where(protection.secondary, "secondary",
                                                                  np.where(exact["_why"] != "", "rounded", "")))
    frame = exact.select(pl.concat_str(labels, separator=" / ").alias("cell"), pl.col("_why").alias("reason")) \
        .with_columns(pl.Series("kind", kind)).filter(pl.col("kind") != "") \
        .sort(pl.col("kind").replace_strict({"primary": 0, "secondary": 1, "rounded": 2}), "cell")
    return frame.head(MAX_LISTED).to_dicts()


def exact_frame(cells: Cells, out: Output, protection: Protection | None) -> pl.DataFrame:
    spec = out.table
    frame = cells.structure.labels().with_columns(
        pl.Series(spec.count, cells.rows), pl.Series("_units", cells.units))
    for m in spec.magnitudes:
        frame = frame.with_columns(pl.Series(m, cells.sums[m]), pl.Series(f"_min_{m}", cells.minimum[m]),
                                   pl.Series(f"_max_{m}", cells.maximum[m]),
                                   _lists(f"_top_{m}", cells.top[m]), _lists(f"_bottom_{m}", cells.bottom[m]))
    n = cells.rows.size
    if protection is None:
        return frame.with_columns(pl.lit(False).alias("_suppressed"), pl.lit(False).alias("_primary"))
    reasons = np.full(n, "", dtype=object)
    for name, mask in protection.primary.reasons.items():
        reasons[mask] = np.where(reasons[mask] == "", name, reasons[mask] + "," + name)
    reasons[protection.secondary] = "secondary"
    corners = np.full((n, protection.cubes.shape[1]), -1, dtype=np.int64)
    corners[protection.targets] = protection.cubes
    cube = _lists("_cube", corners)
    cube = pl.select(pl.when(pl.Series(corners[:, 0] >= 0)).then(cube)).to_series().alias("_cube")
    lp_cells = np.full(n, None, dtype=object)
    for cell, variables in protection.proofs.items():
        lp_cells[cell] = variables.tolist()
    frame = frame.with_columns(
        pl.Series("_suppressed", protection.suppressed), pl.Series("_primary", protection.primary.mask),
        pl.Series("_reasons", reasons.tolist(), dtype=pl.String),
        cube,
        pl.Series("_lp_cells", lp_cells.tolist(), dtype=pl.List(pl.Int64)),
        *[pl.Series(f"_required_{col}", req) for col, req in protection.primary.required.items()],
        *[pl.Series(f"_published_{col}", np.where(protection.suppressed, None, r.values).tolist(), dtype=pl.Int64)
          for col, r in protection.rounding.items()])
    return frame.with_columns(pl.Series("_why", why(cells, protection), dtype=pl.String))


def _lists(name: str, rows: np.ndarray) -> pl.Series:
    """A list column from a 2-D array, one row per cell, built without a Python object per value."""
    return pl.Series(name, rows).cast(pl.List(pl.Float64 if rows.dtype.kind == "f" else pl.Int64))


def _extreme(m: str, side: str, rules: Disclosure) -> pl.Expr:
    """The mean of the k largest (smallest) unit values, where the cell has enough units that neither
    these k nor the rest of the cell is a small group; null elsewhere (shown as REDACTED)."""
    k = rules.extreme_units
    values = pl.col(f"_top_{m}" if side == "max" else f"_bottom_{m}").list.head(k)
    enough = pl.col("_units") >= 2 * k + rules.threshold + 1
    return pl.when(enough).then(values.list.mean().round(2))


def released_frame(exact: pl.DataFrame, out: Output, rules: Disclosure, events: tuple[str, ...] = ()
                   ) -> pl.DataFrame:
    """The values the researcher receives, all as text."""
    spec = out.table
    hidden = pl.col("_suppressed")
    labels = [c for g in spec.groups for c in g]
    controlled = f"_published_{COUNT}" in exact.columns  # controlled rounding chose every figure
    count = pl.col(f"_published_{COUNT}") if controlled else rounded_expr(pl.col(spec.count), rules)
    cols = [pl.when(hidden).then(None).otherwise(count).alias(spec.count)]
    for m in spec.magnitudes:
        shown = (pl.col(f"_published_{m}") if controlled else rounded_expr(pl.col(m).round(0).cast(pl.Int64), rules)) \
            if m in events else pl.col(m).round(2)
        cols.append(pl.when(hidden).then(None).otherwise(shown).alias(m))  # float: NaN-safe below
        stat = {"mean": (shown / pl.when(count > 0).then(count)).round(2),
                "min": _extreme(m, "min", rules), "max": _extreme(m, "max", rules)}
        cols += [pl.when(hidden).then(None).otherwise(stat[s]).alias(f"{m}_{s}") for s in spec.statistics]
    out_frame = exact.select(*labels, *cols, "_suppressed")
    whole = [m for m in spec.magnitudes if (out_frame[m].drop_nulls() % 1 == 0).all()]
    out_frame = out_frame.with_columns(pl.col(m).cast(pl.Int64) for m in whole)
    values = [c for c in out_frame.columns if c not in labels and c != "_suppressed"]
    extremes = [f"{m}_{s}" for m in spec.magnitudes for s in spec.statistics if s in ("min", "max")]
    return out_frame.with_columns(
        pl.when(pl.col("_suppressed") | (pl.col(c).is_null() & pl.lit(c in extremes))).then(pl.lit(REDACTED))
        .otherwise(pl.col(c).fill_nan(None).cast(pl.String).fill_null("") if out_frame.schema[c].is_float()
                   else pl.col(c).cast(pl.String).fill_null(""))
        .alias(c) for c in values).drop("_suppressed")


MAX_LISTED = 1000  # hidden and moved cells listed in the review report; the exact file has every cell


def record(cells: Cells, out: Output, protection: Protection, events: tuple[str, ...],
           released: pl.DataFrame, exact: pl.DataFrame) -> TableRecord:
    a = protection.audit
    extremes = {s: int((released[f"{m}_{s}"] != REDACTED).sum()) for m in out.table.magnitudes
                for s in out.table.statistics if s in ("min", "max")}
    return TableRecord(
        output=out.name, cells=cells.structure.cells, margins=int(cells.structure.is_margin().sum()),
        primary={k: int(v.sum()) for k, v in protection.primary.reasons.items() if v.any()},
        secondary=int(protection.secondary.sum()), suppressed=int(protection.suppressed.sum()),
        audit={"hidden primary cells": a.audited, "proven by a hidden hypercube": a.by_cube,
               "proven by earlier LP solutions": a.by_earlier_lp, "proven by a local LP": a.by_local_lp,
               "proven by the component LP": a.by_component_lp,
               "LPs solved": a.lps},
        repairs=protection.repairs, event_counts=events, extremes=extremes,
        hidden_share=hidden_share(cells, protection.suppressed), listed=_listed(exact, out, protection),
        rounding={(out.table.count if col == COUNT else col): _summary(r) for col, r in protection.rounding.items()})


def _summary(r: Rounded) -> dict:
    return {"method": r.method, "moved": int(r.moved.sum()), "deviation": r.deviation,
            "nonadditive_lines": int(r.nonadditive.size), "seconds": round(r.seconds, 3)}


__all__ = ["COUNT", "TableRecord", "exact_frame", "released_frame", "record"]
