"""Tables with margins: primary rules case by case, and the structure's additivity."""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import polars as pl
import pytest

from extractor.config.policy import Disclosure
from extractor.disclosure.tables.build import build_cells
from extractor.disclosure.tables.primary import primary_cells
from extractor.disclosure.tables.structure import TOTAL


def _records(cells: dict[tuple[str, ...], list[tuple[str, float]]], dims: tuple[str, ...]) -> pl.DataFrame:
    """{(dim values): [(unit, value), ...]} → one row per record."""
    rows = [(*key, unit, value) for key, recs in cells.items() for unit, value in recs]
    return pl.DataFrame(rows, schema=[*dims, "u", "v"], orient="row")


def _units(prefix: str, n: int, value: float = 10.0) -> list[tuple[str, float]]:
    return [(f"{prefix}{i}", value) for i in range(n)]


def _reasons(df: pl.DataFrame, groups, rules: Disclosure, cell: tuple[str, ...]) -> set[str]:
    cells = build_cells(duckdb.connect(), df, groups, "u", ("v",), 2, "test")
    primary = primary_cells(cells, rules)
    labels = cells.structure.labels()
    idx = labels.with_row_index("i").filter(
        pl.all_horizontal(pl.col(c) == v for c, v in zip(labels.columns, cell, strict=True)))["i"][0]
    return {r for r, m in primary.reasons.items() if m[idx]}


BASE = Disclosure()
ONE = (("g",),)
TWO = (("g",), ("h",))
CASES = [
    # name, records, groups, policy changes, cell, expected reasons
    ("3 records", {("A",): _units("a", 3), ("B",): _units("b", 20)}, ONE, {}, ("A",), {"threshold"}),
    ("7 records is still small", {("A",): _units("a", 7), ("B",): _units("b", 20)}, ONE, {}, ("A",), {"threshold"}),
    ("8 records is safe", {("A",): _units("a", 8), ("B",): _units("b", 20)}, ONE, {}, ("A",), set()),
    ("10 records of 2 persons", {("A",): [("p", 1.0)] * 5 + [("q", 1.0)] * 5, ("B",): _units("b", 20)}, ONE, {},
     ("A",), {"threshold", "dominance:v", "p_percent:v"}),
    ("threshold 3 lets 4 through", {("A",): _units("a", 4), ("B",): _units("b", 20)}, ONE, {"threshold": 3},
     ("A",), set()),
    ("the total of small cells can be safe", {("A",): _units("a", 3), ("B",): _units("b", 6)}, ONE, {},
     (TOTAL,), set()),
    ("zero cell, not disclosive by default",
     {("A", "x"): _units("a", 10), ("A", "y"): _units("c", 10), ("B", "x"): _units("b", 10)}, TWO, {},
     ("B", "y"), set()),
    ("zero cell, disclosive by policy",
     {("A", "x"): _units("a", 10), ("A", "y"): _units("c", 10), ("B", "x"): _units("b", 10)}, TWO,
     {"zeros_disclosive": True}, ("B", "y"), {"zero"}),
    ("100 % cell, disclosive by policy",
     {("A", "x"): _units("a", 10), ("A", "y"): _units("c", 10), ("B", "x"): _units("b", 10)}, TWO,
     {"full_cells_disclosive": True}, ("B", "x"), {"full"}),
    ("100 % cell, not by default",
     {("A", "x"): _units("a", 10), ("A", "y"): _units("c", 10), ("B", "x"): _units("b", 10)}, TWO, {},
     ("B", "x"), set()),
    ("one unit dominates (n=2, k=85)", {("A",): [("big", 900.0)] + _units("a", 9, 10.0), ("B",): _units("b", 20)},
     ONE, {}, ("A",), {"dominance:v", "p_percent:v"}),
    ("two units 86 %", {("A",): [("p", 43.0), ("q", 43.0)] + _units("a", 14, 1.0), ("B",): _units("b", 20)},
     ONE, {}, ("A",), {"dominance:v"}),
    ("two units 84 %", {("A",): [("p", 42.0), ("q", 42.0)] + _units("a", 16, 1.0), ("B",): _units("b", 20)},
     ONE, {}, ("A",), set()),
    ("p%: the rest is 5 % of the largest", {("A",): [("p", 100.0), ("q", 100.0)] + _units("a", 10, 0.5),
                                             ("B",): _units("b", 20)}, ONE, {"dominance_k": 99.9}, ("A",),
     {"p_percent:v"}),
    ("p%: the rest is 20 % of the largest", {("A",): [("p", 100.0), ("q", 100.0)] + _units("a", 10, 2.0),
                                              ("B",): _units("b", 20)}, ONE, {"dominance_k": 99.9}, ("A",), set()),
    ("a unit's rows add up before the rules", {("A",): [("p", 50.0)] * 10 + _units("a", 10, 5.0),
                                               ("B",): _units("b", 20)}, ONE, {}, ("A",),
     {"dominance:v", "p_percent:v"}),
    ("dominance is judged in the margin too", {("A",): [("big", 5000.0)] + _units("a", 19), ("B",): _units("b", 20)},
     ONE, {}, (TOTAL,), {"dominance:v", "p_percent:v"}),
]


@pytest.mark.parametrize(("name", "recs", "groups", "changes", "cell", "expected"), CASES, ids=[c[0] for c in CASES])
def test_primary_rules(name, recs, groups, changes, cell, expected) -> None:
    dims = tuple(c for g in groups for c in g)
    rules = dataclasses.replace(BASE, **changes)
    assert _reasons(_records(recs, dims), groups, rules, cell) == expected


@pytest.mark.parametrize("groups", [ONE, TWO, (("g", "h"),), (("g",), ("h",), ("k",)), (("g", "h"), ("k",))],
                         ids=["1-D", "2-D", "nested", "3-D", "nested × 1-D"])
def test_every_line_adds_up(groups) -> None:
    """Margins and subtotals built in DuckDB equal the sums of their children, for counts and sums."""
    rng = np.random.default_rng(7)
    dims = [c for g in groups for c in g]
    n = 400
    df = pl.DataFrame({**{c: rng.choice(["a", "b", "c", "d"][: 2 + i % 3], n) for i, c in enumerate(dims)},
                       "u": rng.integers(0, 150, n), "v": rng.exponential(10.0, n)})
    cells = build_cells(duckdb.connect(), df, groups, "u", ("v",), 2, "test")
    A = cells.structure.lines()
    assert A.shape[0] > 0
    assert np.abs(A @ cells.rows).max() == 0
    assert np.abs(A @ cells.sums["v"]).max() < 1e-6
    grand = np.flatnonzero((cells.structure.labels() == TOTAL).to_numpy().all(axis=1))
    assert cells.rows[grand].tolist() == [n]
    assert cells.units[grand].tolist() == [df["u"].n_unique()]


def test_nested_group_has_subtotals() -> None:
    df = pl.DataFrame({"task": ["10", "10", "20"], "service": ["2", "31", "24"], "u": [1, 2, 3], "v": [1, 1, 1]})
    cells = build_cells(duckdb.connect(), df, (("task", "service"),), "u", (), 2, "test")
    assert cells.structure.labels().rows() == [("10", "2"), ("10", "31"), ("10", TOTAL), ("20", "24"),
                                               ("20", TOTAL), (TOTAL, TOTAL)]
    assert cells.rows.tolist() == [1, 1, 2, 1, 1, 3]


def test_a_category_named_total_is_refused() -> None:
    from extractor.errors import ExtractorError
    df = pl.DataFrame({"g": ["Total", "x"], "u": [1, 2], "v": [1, 1]})
    with pytest.raises(ExtractorError, match="reserved for margins"):
        build_cells(duckdb.connect(), df, ONE, "u", (), 2, "q.sql")
