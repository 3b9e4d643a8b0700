"""min and max of a magnitude: withheld by default; with extremes = "top_mean" the mean of the k largest
(smallest) unit values, only in cells with at least 2k + threshold + 1 units; the checker re-derives them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

from extractor.checker.table_audit import check_table
from extractor.config.policy import Disclosure
from extractor.config.request import Output, TableSpec
from extractor.disclosure.aggregate import REDACTED
from extractor.disclosure.tables.control import control_table
from extractor.errors import ExtractorError

SPEC = TableSpec((("g",),), "n", "u", ("cost",), ("mean", "min", "max"))
OUT = Output("t", Path("t.sql"), "table", ("g",), ("n",), table=SPEC)
MANIFEST = {"groups": [["g"]], "count": "n", "magnitudes": ["cost"], "statistics": ["mean", "min", "max"],
            "event_counts": []}


def _records() -> pl.DataFrame:
    big = [("a", float(v)) for v in range(1, 21)]  # 20 units: enough for k = 3 (needs 14)
    small = [("b", float(v)) for v in range(1, 13)]  # 12 units: too few
    rows = big + small
    return pl.DataFrame({"g": [g for g, _ in rows], "u": list(range(len(rows))), "cost": [c for _, c in rows]})


def test_extremes_are_refused_when_the_policy_withholds_them() -> None:
    with pytest.raises(ExtractorError, match="withholds"):
        control_table(_records(), OUT, Disclosure())


def test_top_mean_extremes_are_means_of_k_units_in_large_cells_only(tmp_path: Path) -> None:
    rules = dataclasses.replace(Disclosure(), extremes="top_mean", extreme_units=3)
    released, exact, record = control_table(_records(), OUT, rules)
    rows = {r["g"]: r for r in released.iter_rows(named=True)}
    assert (rows["a"]["cost_max"], rows["a"]["cost_min"]) == ("19.0", "2.0")
    assert rows["b"]["n"] == "10" and rows["b"]["cost_max"] == REDACTED and rows["b"]["cost_min"] == REDACTED
    assert record.extremes == {"min": 2, "max": 2}  # a and the total
    exact.write_parquet(tmp_path / "t.parquet")
    assert check_table("t.csv", released, MANIFEST, rules, tmp_path / "t.parquet") == []
    one_unit = released.with_columns(pl.when(pl.col("g") == "a").then(pl.lit("20.0")).otherwise(pl.col("cost_max"))
                                     .alias("cost_max"))
    assert any("not the mean of the 3" in f for f in check_table("t.csv", one_unit, MANIFEST, rules,
                                                                  tmp_path / "t.parquet"))
    too_few = released.with_columns(pl.when(pl.col("g") == "b").then(pl.lit("11.0")).otherwise(pl.col("cost_max"))
                                    .alias("cost_max"))
    assert any("fewer than 14 units" in f for f in check_table("t.csv", too_few, MANIFEST, rules,
                                                                tmp_path / "t.parquet"))
    withheld = check_table("t.csv", released, MANIFEST, Disclosure(), tmp_path / "t.parquet")
    assert any("withholds" in f for f in withheld)
