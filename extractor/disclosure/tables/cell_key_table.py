"""A `table` output under `privacy = "cell_key"`: every figure (cells, subtotals, totals) perturbed by the
p-table (cell_key.py), nothing suppressed.

The records' keys are summed through the same cube build as any magnitude (build.py), so a margin's key
is the sum of its records' keys like any cell's; the cell key is that sum modulo 256. The exact frame
keeps the true count, the cell key and the noise for the output checker, which checks the bounds the
policy promises without the project key: 0 stays 0, nothing in 1..threshold, the size of the noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from extractor.config.policy import Disclosure
from extractor.config.request import Output
from extractor.disclosure.tables.build import build_cells
from extractor.disclosure.tables.cell_key import KEYS, RECORD_KEY, build_ptable, with_record_keys
from extractor.disclosure.tables.release_frame import TableRecord
from extractor.machine import Limits, locked_cursor, resolve
from extractor.protect.pseudonym import ProjectKey


def cell_key_table(df: pl.DataFrame, out: Output, rules: Disclosure, key: ProjectKey,
                   limits: Limits | None = None, spill: Path | None = None
                   ) -> tuple[pl.DataFrame, pl.DataFrame, TableRecord]:
    """Released frame (text), exact frame (controller only) and the record for the review report."""
    spec = out.table
    con = locked_cursor(limits or resolve(), spill)
    try:
        keyed = with_record_keys(con, df, spec.unit, key)
        cells = build_cells(con, keyed, spec.groups, spec.unit, (RECORD_KEY,), 2, str(out.query))
    finally:
        con.close()
    cell_key = np.rint(cells.sums[RECORD_KEY]).astype(np.int64) % KEYS
    table = build_ptable(rules.threshold, rules.cell_key_max_noise, rules.cell_key_variance)
    published = table.perturb(cells.rows, cell_key)
    labels = cells.structure.labels()
    exact = labels.with_columns(pl.Series(spec.count, cells.rows), pl.Series("_units", cells.units),
                                pl.Series("_cell_key", cell_key), pl.Series(f"_published_{spec.count}", published),
                                pl.lit(False).alias("_suppressed"), pl.lit(False).alias("_primary"))
    released = labels.with_columns(pl.Series(spec.count, published).cast(pl.String))
    noise = published - cells.rows
    rec = TableRecord(out.name, cells.structure.cells, int(cells.structure.is_margin().sum()), {}, 0, 0, {}, 0,
                      privacy="cell_key",
                      cell_key={"max_noise": rules.cell_key_max_noise, "variance": rules.cell_key_variance,
                                "figures_moved": int((noise != 0).sum()),
                                "largest_noise": int(np.abs(noise).max(initial=0)),
                                "mean_abs_noise": round(float(np.abs(noise).mean()) if noise.size else 0.0, 3),
                                "small_to_zero": int(((cells.rows >= 1) & (cells.rows <= rules.threshold)
                                                      & (published == 0)).sum())})
    return released, exact, rec
