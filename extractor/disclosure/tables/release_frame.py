"""A protected table as the two frames the run writes: the released one and the controller's exact one.

Released: label columns (TOTAL marks margins), the record count rounded by the policy's rule, each
magnitude's sum and its asked statistics; a hidden cell shows REDACTED in every value column, and
statistics follow their cell. Exact (controller/tables/NAME.parquet, never released): true values,
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
from extractor.disclosure.tables.primary import COUNT
from extractor.disclosure.tables.protect import Protection


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
    privacy: str = "sdc"
    dp: dict = field(default_factory=dict)  # DP: epsilon, noise scales, 95 % accuracy


def exact_frame(cells: Cells, out: Output, protection: Protection | None) -> pl.DataFrame:
    spec = out.table
    frame = cells.structure.labels().with_columns(
        pl.Series(spec.count, cells.rows), pl.Series("_units", cells.units))
    for m in spec.magnitudes:
        frame = frame.with_columns(pl.Series(m, cells.sums[m]), pl.Series(f"_min_{m}", cells.minimum[m]),
                                   pl.Series(f"_max_{m}", cells.maximum[m]),
                                   pl.Series(f"_top_{m}", cells.top[m].tolist(), dtype=pl.List(pl.Float64)))
    n = cells.rows.size
    if protection is None:
        return frame.with_columns(pl.lit(False).alias("_suppressed"), pl.lit(False).alias("_primary"))
    reasons = np.full(n, "", dtype=object)
    for name, mask in protection.primary.reasons.items():
        reasons[mask] = np.where(reasons[mask] == "", name, reasons[mask] + "," + name)
    cube = np.full(n, None, dtype=object)
    for cell, corners in zip(protection.targets, protection.cubes, strict=True):
        cube[cell] = corners.tolist() if corners[0] >= 0 else None
    frame = frame.with_columns(
        pl.Series("_suppressed", protection.suppressed), pl.Series("_primary", protection.primary.mask),
        pl.Series("_reasons", reasons.tolist(), dtype=pl.String),
        pl.Series("_cube", cube.tolist(), dtype=pl.List(pl.Int64)),
        *[pl.Series(f"_required_{col}", req) for col, req in protection.primary.required.items()])
    return frame


def released_frame(exact: pl.DataFrame, out: Output, rules: Disclosure) -> pl.DataFrame:
    """The values the researcher receives, all as text."""
    spec = out.table
    hidden = pl.col("_suppressed")
    labels = [c for g in spec.groups for c in g]
    cols = [pl.when(hidden).then(None).otherwise(rounded_expr(pl.col(spec.count), rules)).alias(spec.count)]
    for m in spec.magnitudes:
        cols.append(pl.when(hidden).then(None).otherwise(pl.col(m).round(2)).alias(m))  # float: NaN-safe below
        safe_n = pl.when(pl.col(spec.count) > 0).then(pl.col(spec.count))
        stat = {"mean": (pl.col(m) / safe_n).round(2), "min": pl.col(f"_min_{m}").round(2),
                "max": pl.col(f"_max_{m}").round(2)}
        cols += [pl.when(hidden).then(None).otherwise(stat[s]).alias(f"{m}_{s}") for s in spec.statistics]
    out_frame = exact.select(*labels, *cols, "_suppressed")
    whole = [m for m in spec.magnitudes if (out_frame[m].drop_nulls() % 1 == 0).all()]
    out_frame = out_frame.with_columns(pl.col(m).cast(pl.Int64) for m in whole)
    values = [c for c in out_frame.columns if c not in labels and c != "_suppressed"]
    return out_frame.with_columns(
        pl.when(pl.col("_suppressed")).then(pl.lit(REDACTED))
        .otherwise(pl.col(c).fill_nan(None).cast(pl.String).fill_null("") if out_frame.schema[c].is_float()
                   else pl.col(c).cast(pl.String).fill_null(""))
        .alias(c) for c in values).drop("_suppressed")


def record(cells: Cells, out: Output, protection: Protection) -> TableRecord:
    a = protection.audit
    return TableRecord(
        output=out.name, cells=cells.structure.cells, margins=int(cells.structure.is_margin().sum()),
        primary={k: int(v.sum()) for k, v in protection.primary.reasons.items() if v.any()},
        secondary=int(protection.secondary.sum()), suppressed=int(protection.suppressed.sum()),
        audit={"hidden primary cells": a.audited, "proven by a hidden hypercube": a.by_cube,
               "proven by a local LP": a.by_local_lp, "proven by the component LP": a.by_component_lp,
               "LPs solved": a.lps},
        repairs=protection.repairs)


__all__ = ["COUNT", "TableRecord", "exact_frame", "released_frame", "record"]
