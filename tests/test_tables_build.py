"""build_cells against the definition, on random records: a cell's units are the distinct units among its
records, a unit's contribution is the sum of its records in the cell, and top/bottom are the largest and
smallest contributions. Units are drawn so that some groups are bound to them (one region per person)
and others not, so both ways of making margins (from the records, from the leaves' cells) are checked."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.disclosure.tables.build import build_cells
from extractor.disclosure.tables.structure import TOTAL

TOP = 3


@st.composite
def records(draw: st.DrawFn) -> tuple[pl.DataFrame, tuple[tuple[str, ...], ...]]:
    units = draw(st.integers(1, 12))
    region_of = [draw(st.sampled_from("NSEW")) for _ in range(units)]  # bound to the unit
    bound_region = draw(st.booleans())
    rows = draw(st.lists(st.tuples(st.integers(0, units - 1), st.sampled_from("NSEW"), st.sampled_from(["10", "15"]),
                                   st.sampled_from(["a", "b", "c"]), st.integers(0, 50)), min_size=1, max_size=40))
    frame = pl.DataFrame({
        "who": [f"u{u}" for u, *_ in rows],
        "region": [region_of[u] if bound_region else r for u, r, *_ in rows],
        "task": [t for _, _, t, _, _ in rows], "service": [s for *_, s, _ in rows],
        "amount": [a for *_, a in rows]})
    if draw(st.booleans()):  # a surrogate key (a sparse 60-bit integer): build_cells uses it as it is
        ids = draw(st.lists(st.integers(-(2**62), 2**62), min_size=units, max_size=units, unique=True))
        frame = frame.with_columns(pl.Series("who", [ids[u] for u, *_ in rows], dtype=pl.Int64))
    nested = draw(st.booleans())
    groups = (("region",), ("task", "service")) if nested else (("region",), ("task",), ("service",))
    return frame, groups


def _reference(frame: pl.DataFrame, groups: tuple[tuple[str, ...], ...], labels: pl.DataFrame) -> dict:
    """Cell (labels, TOTAL-padded) -> (rows, units, sum, top, bottom), by filtering the records."""
    out = {}
    cols = [c for g in groups for c in g]
    for row in labels.iter_rows(named=True):
        mask = pl.lit(True)
        for c in cols:
            if row[c] != TOTAL:
                mask &= pl.col(c) == row[c]
        part = frame.filter(mask)
        per_unit = part.group_by("who").agg(pl.col("amount").sum())["amount"].cast(pl.Float64).to_list()
        out[tuple(row[c] for c in cols)] = (part.height, len(per_unit), float(sum(per_unit)),
                                             sorted(per_unit, reverse=True)[:TOP], sorted(per_unit)[:TOP])
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=records())
def test_cells_are_what_their_records_say(case) -> None:
    frame, groups = case
    cells = build_cells(duckdb.connect(), frame, groups, "who", ("amount",), TOP, "test")
    labels = cells.structure.labels()
    expected = _reference(frame, groups, labels)
    cols = [c for g in groups for c in g]
    for i, row in enumerate(labels.iter_rows(named=True)):
        rows, units, total, top, bottom = expected[tuple(row[c] for c in cols)]
        assert (cells.rows[i], cells.units[i]) == (rows, units), row
        assert cells.sums["amount"][i] == total, row
        assert list(cells.top["amount"][i][: len(top)]) == top and not cells.top["amount"][i][len(top):].any(), row
        got_bottom = cells.bottom["amount"][i]
        assert list(got_bottom[: len(bottom)]) == bottom and np.isnan(got_bottom[len(bottom):]).all(), row
