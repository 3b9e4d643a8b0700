"""The `table` output kind end to end: records → cells with margins → SDC or DP → released and exact frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.columns import require_columns
from extractor.disclosure.tables.build import build_cells
from extractor.disclosure.tables.cell_key_table import cell_key_table
from extractor.disclosure.tables.differencing import hidden_column
from extractor.disclosure.tables.dp import private_cells
from extractor.disclosure.tables.protect import protect_table
from extractor.disclosure.tables.release_frame import TableRecord, exact_frame, record, released_frame
from extractor.errors import ExtractorError, TooFine
from extractor.i18n import Message
from extractor.machine import Limits, locked_cursor, resolve
from extractor.protect.pseudonym import ProjectKey


def _validate(df: pl.DataFrame, out: Output, rules: Disclosure) -> None:
    spec = out.table
    where = str(out.query)
    require_columns(out, df.columns, {"dimensions": [c for g in spec.groups for c in g],
                                      "unit": [spec.unit] if spec.unit else [], "magnitudes": list(spec.magnitudes)})
    for m in spec.magnitudes:
        dtype = df.schema[m]
        if not dtype.is_numeric():
            raise ExtractorError(f"{where}: magnitude '{m}' must be numeric, it is {dtype}")
        if df[m].null_count():
            raise ExtractorError(f"{where}: magnitude '{m}' has missing values (use coalesce(x, 0))")
        if spec.privacy == "sdc" and (df[m] < 0).any():
            raise ExtractorError(f"{where}: magnitude '{m}' has negative values; the dominance and p% rules "
                                 "need non-negative contributions")
    if spec.unit and df[spec.unit].null_count():
        raise ExtractorError(f"{where}: unit column '{spec.unit}' has missing values")
    asked = sorted(set(spec.statistics) & {"min", "max"})
    if asked and spec.privacy == "sdc" and rules.extremes == "withheld":
        raise ExtractorError(f"{where}: table '{out.name}' asks for {' and '.join(asked)}, which the policy withholds "
                             "(disclosure.extremes = 'withheld': a cell's extreme is one unit's own value)")


def control_table(df: pl.DataFrame, out: Output, rules: Disclosure,
                  limits: Limits | None = None, spill: Path | None = None, key: ProjectKey | None = None
                  ) -> tuple[pl.DataFrame, pl.DataFrame, TableRecord]:
    """Released frame (text), exact frame (controller only) and the record for the review report.
    `key`: the project key, for the record keys of a cell-key table."""
    spec = out.table
    _validate(df, out, rules)
    if spec.privacy == "cell_key":
        if key is None:
            raise ExtractorError(f"{out.query}: table '{out.name}' uses cell-key perturbation, which needs the "
                                 "project key")
        return cell_key_table(df, out, rules, key, limits, spill)
    con = locked_cursor(limits or resolve(), spill)  # runs SQL built from the request's names
    try:
        if spec.privacy == "dp":
            cells, info = private_cells(con, df, out, str(out.query))
        else:
            cells = build_cells(con, df, spec.groups, spec.unit, spec.magnitudes,
                                max(2, rules.dominance_n, rules.extreme_units), str(out.query))
    finally:
        con.close()
    if cells.structure.cells > rules.max_rows:
        raise TooFine(Message("%(query)s: table '%(name)s' has %(cells)s cells with its margins, more than the cap "
                              "of %(cap)s (policy disclosure.max_rows): group more coarsely: fewer dimensions, or "
                              "broader categories (a region instead of a municipality, age bands instead of ages, "
                              "years instead of months)", query=str(out.query), name=out.name,
                              cells=cells.structure.cells, cap=rules.max_rows))
    if spec.privacy == "dp":
        exact = exact_frame(cells, out, None)
        rec = TableRecord(out.name, cells.structure.cells, int(cells.structure.is_margin().sum()), {}, 0, 0, {}, 0,
                          privacy="dp", dp={"epsilon": info.epsilon, "columns": info.per_column})
        released = exact.select(*[c for g in spec.groups for c in g], pl.col(spec.count).cast(pl.String),
                                *[pl.col(m).round(2).cast(pl.String) for m in spec.magnitudes],
                                *[(pl.col(m) / pl.when(pl.col(spec.count) > 0).then(pl.col(spec.count)))
                                  .round(2).cast(pl.String).fill_null("").alias(f"{m}_mean")
                                  for m in spec.magnitudes if "mean" in spec.statistics])
        return released, exact.with_columns(pl.lit(False).alias(hidden_column(spec.count))), rec
    events = tuple(m for m in spec.magnitudes if df.schema[m].is_integer())  # counts of events
    protection = protect_table(cells, rules, events)
    exact = exact_frame(cells, out, protection)
    exact = exact.with_columns(pl.col("_suppressed").alias(hidden_column(spec.count)))
    assert not (protection.primary.mask & ~protection.suppressed).any()  # noqa: S101 - invariant
    assert np.array_equal(exact["_suppressed"].to_numpy(), protection.suppressed)  # noqa: S101
    released = released_frame(exact, out, rules, events)
    return released, exact, record(cells, out, protection, events, released, exact)
