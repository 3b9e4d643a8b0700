"""sdc_100k_cells: disclosure control of a 3-D table of ~100k cells with margins, audit included.

46 categories per dimension: 97,336 inner cells, 103,823 with margins and totals. Cell sizes are
log-normal (about 10 % of inner cells hold 1..7 records), each record its own unit with a skewed
magnitude, so the threshold, dominance and p% rules all fire. Timed: the whole `table` output step
(build in DuckDB, primary rules, secondary suppression, LP audit, released and exact frames), and
separately the output checker's re-audit. Baseline: one bare DuckDB GROUP BY CUBE of the same records.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from extractor.machine import connect, resolve


def sdc_record(work: Path, side: int = 46, seed: int = 2026) -> dict[str, Any]:
    from extractor.checker.table_audit import check_table
    from extractor.config.policy import Disclosure
    from extractor.config.request import Output, TableSpec
    from extractor.disclosure.tables.control import control_table

    rng = np.random.default_rng(seed)
    shape = (side, side, side)
    sizes = rng.lognormal(3.2, 0.9, size=shape).astype(np.int64).ravel()
    idx = np.indices(shape).reshape(3, -1)
    df = pl.DataFrame({f"d{i}": np.repeat(idx[i], sizes) for i in range(3)}).with_columns(
        pl.col(f"d{i}").cast(pl.String) for i in range(3))
    df = df.with_columns(pl.Series("cost", rng.pareto(2.5, df.height) * 100.0))
    groups = (("d0",), ("d1",), ("d2",))
    spec = TableSpec(groups, "n", None, ("cost",))
    out = Output("cube", Path("bench.sql"), "table", ("d0", "d1", "d2"), ("n",), table=spec)
    rules = Disclosure(max_rows=200_000)

    t0 = time.perf_counter()
    con = connect(resolve())
    con.register("r", df)
    con.sql("SELECT d0, d1, d2, count(*), sum(cost) FROM r GROUP BY CUBE (d0, d1, d2)").fetchall()
    bare = time.perf_counter() - t0
    con.close()

    t0 = time.perf_counter()
    released, exact, rec = control_table(df, out, rules)
    seconds = time.perf_counter() - t0
    path = work / "sdc_exact.parquet"
    exact.write_parquet(path)
    t0 = time.perf_counter()
    findings = check_table("cube.csv", released, {"groups": [list(g) for g in groups], "count": "n",
                                                  "magnitudes": ["cost"], "nonadditive_lines":
                                                      {c: r["nonadditive_lines"] for c, r in rec.rounding.items()}},
                           rules, path)
    check_seconds = time.perf_counter() - t0
    assert findings == [], findings
    small = int(((sizes >= 1) & (sizes <= 7)).sum())
    return {"name": "sdc_100k_cells", "seconds": round(seconds, 3),
            "baseline": "one bare DuckDB GROUP BY CUBE (count, sum) of the same records, same run",
            "baseline_seconds": round(bare, 3), "ratio": round(seconds / bare, 2),
            "peak_rss_mb": None,
            "params": {"records": df.height, "cells_with_margins": rec.cells, "margin_cells": rec.margins,
                       "inner_cells_with_1_to_7_records": small, "primary": rec.primary,
                       "secondary": rec.secondary, "hidden_share": rec.hidden_share, "rounding": rec.rounding,
                       "hidden": rec.suppressed, "audit": rec.audit,
                       "repairs": rec.repairs, "checker_reaudit_seconds": round(check_seconds, 3),
                       "target_seconds": 10.0}}
