"""Invariants of protected tables over many random tables, against an obviously-correct LP reference.

Reference: every cell of the table is a variable (x ≥ 0), every additivity line holds, published cells
are fixed at their true values; a primary cell's interval is min/max of its variable (scipy's HiGHS).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from extractor.checker.table_audit import check_table
from extractor.config.policy import Disclosure
from extractor.config.request import Output, TableSpec
from extractor.disclosure.aggregate import REDACTED
from extractor.disclosure.tables.build import build_cells
from extractor.disclosure.tables.protect import protect_table
from extractor.disclosure.tables.release_frame import exact_frame, released_frame


def reference_interval(A, values: np.ndarray, suppressed: np.ndarray, cell: int) -> tuple[float, float]:
    bounds = [(0, None) if s else (v, v) for v, s in zip(values, suppressed, strict=True)]
    dense = A.toarray()
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(values.size)
        c[cell] = sign
        res = linprog(c, A_eq=dense, b_eq=np.zeros(dense.shape[0]), bounds=bounds, method="highs")
        out.append(np.inf if res.status == 3 else res.x[cell])
    return out[0], out[1]


@st.composite
def tables(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(2, 4)) for _ in range(ndim))
    nested = ndim >= 2 and draw(st.booleans())
    small = st.integers(0, 9)
    counts = draw(st.lists(st.one_of(small, st.integers(10, 40)), min_size=int(np.prod(shape)),
                           max_size=int(np.prod(shape))))
    return shape, nested, counts


def _records(shape, counts) -> pl.DataFrame:
    idx = np.indices(shape).reshape(len(shape), -1)
    rep = np.array(counts)
    cols = {f"d{i}": np.repeat(idx[i], rep).astype(str) for i in range(len(shape))}
    return pl.DataFrame(cols).with_row_index("u")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables())
def test_protected_tables_keep_every_invariant(tmp_path_factory, table) -> None:
    shape, nested, counts = table
    df = _records(shape, counts)
    names = [f"d{i}" for i in range(len(shape))]
    groups = ((names[0], names[1]), *[(n,) for n in names[2:]]) if nested else tuple((n,) for n in names)
    rules = Disclosure()
    cells = build_cells(duckdb.connect(), df, groups, "u", (), 2, "test")
    protection = protect_table(cells, rules, ())
    A = cells.structure.lines()
    values = cells.rows.astype(float)
    s = protection.suppressed
    # Every primary cell is hidden, and the attacker's interval is at least the protection level wide.
    assert not (protection.primary.mask & ~s).any()
    for cell in np.flatnonzero(protection.primary.mask):
        lo, hi = reference_interval(A, values, s, cell)
        assert hi - lo >= protection.primary.required["count"][cell] - 1e-6, (cell, lo, hi)
    # Released counts: never 1..7, a multiple of 5 next to the true count (margins included), zero kept,
    # and every line whose counts are all published adds up (controlled rounding).
    spec = TableSpec(groups, "n", "u")
    out = Output("t", Path("t.sql"), "table", tuple(names), ("n",), table=spec)
    exact = exact_frame(cells, out, protection)
    released = released_frame(exact, out, rules)
    shown = released["n"].to_list()
    for v, hidden, text in zip(cells.rows.tolist(), s.tolist(), shown, strict=True):
        assert text == REDACTED if hidden else (int(text) % 5 == 0 and abs(int(text) - v) < 5
                                                 and (int(text) == 0) == (v == 0)), (v, text)
    assert not any(t != REDACTED and 1 <= int(t) <= 7 for t in shown)
    published = np.array([np.nan if t == REDACTED else float(t) for t in shown])
    whole = ~np.isnan(abs(A) @ published)
    off = int(np.count_nonzero((A @ np.nan_to_num(published))[whole]))
    assert off == protection.rounding["count"].nonadditive.size
    # The independent checker agrees.
    folder = tmp_path_factory.mktemp("exact")
    exact.write_parquet(folder / "t.parquet")
    declared = {"n": int(protection.rounding["count"].nonadditive.size)}
    findings = check_table("t.csv", released, {"groups": [list(g) for g in groups], "count": "n",
                                               "nonadditive_lines": declared}, rules, folder / "t.parquet")
    assert findings == []


@settings(max_examples=30, deadline=None)
@given(tables())
def test_unrounded_published_lines_add_up(table) -> None:
    shape, nested, counts = table
    df = _records(shape, counts)
    groups = tuple((f"d{i}",) for i in range(len(shape)))
    rules = dataclasses.replace(Disclosure(), rounding="none")
    cells = build_cells(duckdb.connect(), df, groups, "u", (), 2, "test")
    protection = protect_table(cells, rules, ())
    spec = TableSpec(groups, "n", "u")
    out = Output("t", Path("t.sql"), "table", tuple(g[0] for g in groups), ("n",), table=spec)
    released = released_frame(exact_frame(cells, out, protection), out, rules)
    A = cells.structure.lines().tocsr()
    published = np.array([np.nan if t == REDACTED else float(t) for t in released["n"].to_list()])
    for row in range(A.shape[0]):
        members = A.indices[A.indptr[row]:A.indptr[row + 1]]
        if not np.isnan(published[members]).any():
            coef = A.data[A.indptr[row]:A.indptr[row + 1]]
            assert float(coef @ published[members]) == 0.0


def test_a_pattern_without_secondary_cells_fails_the_audit(tmp_path: Path) -> None:
    """The checker is not a rubber stamp: hiding only the primary cell of a line is caught."""
    df = _records((3, 3), [3, 20, 20, 20, 20, 20, 20, 20, 20])
    groups = (("d0",), ("d1",))
    rules = Disclosure()
    cells = build_cells(duckdb.connect(), df, groups, "u", (), 2, "test")
    protection = protect_table(cells, rules, ())
    spec = TableSpec(groups, "n", "u")
    out = Output("t", Path("t.sql"), "table", ("d0", "d1"), ("n",), table=spec)
    weak = dataclasses.replace(protection, suppressed=protection.primary.mask.copy(),
                               cubes=np.full_like(protection.cubes, -1))
    exact = exact_frame(cells, out, weak)
    exact.write_parquet(tmp_path / "t.parquet")
    findings = check_table("t.csv", released_frame(exact, out, rules), {"groups": [["d0"], ["d1"]], "count": "n"},
                           rules, tmp_path / "t.parquet")
    assert len(findings) == 1 and "LP audit pins a hidden cell" in findings[0], findings
    assert protection.secondary.sum() >= 3  # the real pattern hides a cube around it
