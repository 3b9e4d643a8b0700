"""Differentially private tables (OpenDP): Laplace noise on the inner cells, margins summed from them.

Each person may contribute at most `max_contributions` records (the rest are dropped, chosen by a
hash so reruns drop the same ones) and each magnitude is clamped to its declared bounds, so one
person changes the inner-cell counts by at most c (L1) and each sum by at most c·max(|lo|, |hi|).
The request's epsilon is split evenly over the count and the magnitudes; OpenDP's measurement states
the privacy loss and is checked against the split. The categories come from the request, never the
data, so every declared cell is noised, empty or not. Margins and means are post-processing (free),
and negative noisy counts are raised to zero (also post-processing). Noise scale and the 95 %
accuracy of an inner cell go to the review report.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from extractor.config.request import Output
from extractor.disclosure.tables.build import Cells, build_cells
from extractor.errors import ExtractorError
from extractor.sql import quote_ident

ALPHA = 0.05


@dataclass(frozen=True)
class DpInfo:
    epsilon: float
    per_column: dict[str, dict[str, float]]  # column -> epsilon, sensitivity, scale, accuracy_95


def _bounded_records(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, out: Output) -> pl.DataFrame:
    spec = out.table
    con.register("_dp_records", df)
    try:
        q = quote_ident  # every name here is the researcher's: quoted by the one function
        clamp = "".join(f", least(greatest({q(m)}::DOUBLE, {float(lo)!r}), {float(hi)!r}) AS {q(m)}"
                        for m, (lo, hi) in spec.bounds.items())
        dims = ", ".join(q(c) for g in spec.groups for c in g)
        return con.sql(f"""
            SELECT {dims}, {q(spec.unit)}{clamp} FROM (
                SELECT *, row_number() OVER (PARTITION BY {q(spec.unit)} ORDER BY hash(COLUMNS(*))) AS _k
                FROM _dp_records) WHERE _k <= {int(spec.max_contributions)}""").pl()
    finally:
        con.unregister("_dp_records")


def _with_margins(inner: np.ndarray) -> np.ndarray:
    """Append each axis's total as its last position (the order structure.group_tree gives)."""
    out = inner
    for axis in range(inner.ndim):
        out = np.concatenate([out, out.sum(axis=axis, keepdims=True)], axis=axis)
    return out


def private_cells(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, out: Output, where: str) -> tuple[Cells, DpInfo]:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    spec = out.table
    bounded = _bounded_records(con, df, out)
    cells = build_cells(con, bounded, spec.groups, spec.unit, spec.magnitudes, 2, where, spec.categories)
    shape = cells.structure.shape
    inner_shape = tuple(s - 1 for s in shape)
    inner = np.ix_(*[np.arange(s) for s in inner_shape])
    eps = spec.epsilon / (1 + len(spec.magnitudes))
    c = spec.max_contributions
    info: dict[str, dict[str, float]] = {}

    counts = cells.rows.reshape(shape)[inner].ravel()
    count_scale = c / eps
    meas = (dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)) >> dp.m.then_laplace(scale=count_scale)
    if meas.map(c) > eps + 1e-12:
        raise ExtractorError(f"{where}: OpenDP reports a privacy loss above the budgeted {eps}")
    noisy = np.maximum(np.array(meas([int(v) for v in counts]), dtype=np.int64), 0)
    cells.rows = _with_margins(noisy.reshape(inner_shape)).ravel()
    cells.units = cells.rows.copy()
    info[spec.count] = {"epsilon": eps, "sensitivity": float(c), "scale": count_scale,
                        "accuracy_95": float(dp.discrete_laplacian_scale_to_accuracy(count_scale, ALPHA))}
    for m in spec.magnitudes:
        lo, hi = spec.bounds[m]
        sens = c * max(abs(lo), abs(hi))
        scale = sens / eps if sens > 0 else 0.0
        values = cells.sums[m].reshape(shape)[inner].ravel()
        if scale > 0:
            fmeas = (dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)) >> \
                dp.m.then_laplace(scale=scale)
            if fmeas.map(sens) > eps + 1e-9:
                raise ExtractorError(f"{where}: OpenDP reports a privacy loss above the budgeted {eps}")
            values = np.array(fmeas([float(v) for v in values]))
        cells.sums[m] = _with_margins(values.reshape(inner_shape)).ravel()
        cells.minimum[m] = np.full(cells.rows.size, np.nan)
        cells.maximum[m] = np.full(cells.rows.size, np.nan)
        info[m] = {"epsilon": eps, "sensitivity": sens, "scale": scale,
                   "accuracy_95": float(dp.laplacian_scale_to_accuracy(scale, ALPHA)) if scale else 0.0}
    return cells, DpInfo(float(spec.epsilon), info)
