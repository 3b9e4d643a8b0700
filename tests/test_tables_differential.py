"""Differential test: random tables through the pipeline's `table` kind, then the independent checker,
then (on tables small enough to enumerate) a brute-force attacker.

The attacker knows the published file and the rules: each published count (and count of events) is
some value the rounding maps to its figure, a hidden cell is anything ≥ 0, margins add up, every record
has at least one event. It enumerates every table of leaf values consistent with all of that and asks
whether any rounded count is pinned to one value, or any primary cell to less than its protection level.
DIFFERENTIAL_EXAMPLES (default 400 in the suite) sets how many tables; `make differential` runs 10,000.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import reference_figure
from extractor.checker.table_audit import check_table
from extractor.config.policy import Disclosure
from extractor.config.request import Output, TableSpec
from extractor.disclosure.aggregate import REDACTED
from extractor.disclosure.tables.control import control_table

EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "400"))
RULES = Disclosure()
MAX_ENUMERATION = 400_000


FIGURE_OF = np.array([reference_figure(v) for v in range(2000)], dtype=object)


@st.composite
def tables(draw):
    ndim = draw(st.integers(1, 2))
    shape = tuple(draw(st.integers(2, 3)) for _ in range(ndim))
    cells = int(np.prod(shape))
    counts = draw(st.lists(st.one_of(st.integers(0, 9), st.integers(8, 30)), min_size=cells, max_size=cells))
    events = draw(st.lists(st.integers(1, 3), min_size=sum(counts), max_size=sum(counts)))
    cost = draw(st.lists(st.floats(1, 500, allow_nan=False).map(lambda x: round(x, 2)),
                         min_size=sum(counts), max_size=sum(counts)))
    return shape, counts, events, cost


def _records(shape, counts, events, cost) -> pl.DataFrame:
    idx = np.indices(shape).reshape(len(shape), -1)
    rep = np.array(counts)
    cols = {f"d{i}": np.repeat(idx[i], rep).astype(str) for i in range(len(shape))}
    return pl.DataFrame(cols).with_row_index("u").with_columns(
        pl.Series("events", events, dtype=pl.Int64), pl.Series("cost", cost, dtype=pl.Float64))


def _attack(shape: tuple[int, ...], released: pl.DataFrame, exact: pl.DataFrame) -> list[str] | None:
    """Enumerate every leaf table consistent with the published counts; report narrowed or pinned values
    (None when the table is too large to enumerate)."""
    names = [f"d{i}" for i in range(len(shape))]
    labels = exact.select(names).rows()
    leaf_rows = [r for r, cell in enumerate(labels) if "Total" not in cell]
    shown = released["n"].to_list()
    span = {text: [v for v in range(2000) if FIGURE_OF[v] == text] for text in set(shown) if text != REDACTED}
    covers = [[r for r, cell in enumerate(labels) if all(c in ("Total", x) for c, x in zip(cell, labels[leaf],
                                                                                           strict=True))]
              for leaf in leaf_rows]
    options = []
    for leaf, over in zip(leaf_rows, covers, strict=True):
        if shown[leaf] != REDACTED:
            options.append(span[shown[leaf]])
        else:  # a hidden leaf is at most what any published cell above it can hold
            top = min([max(span[shown[r]]) for r in over if shown[r] != REDACTED], default=60)
            options.append(range(0, top + 1))
    if np.prod([len(o) for o in options], dtype=float) > MAX_ENUMERATION:
        return None
    grid = np.array(list(itertools.product(*options)), dtype=np.int64)  # tables × leaves
    cover = np.array([[r in over for over in covers] for r in range(len(labels))], dtype=np.int64)
    values = grid @ cover.T  # tables × cells
    ok = np.ones(len(grid), dtype=bool)
    for cell, text in enumerate(shown):
        if text != REDACTED:
            ok &= FIGURE_OF[np.minimum(values[:, cell], 1999)] == text
    consistent = values[ok]
    found = []
    true = exact["n"].to_numpy()
    hidden, primary = exact["_suppressed"].to_numpy(), exact["_primary"].to_numpy()
    for cell in range(len(shown)):
        seen = np.unique(consistent[:, cell])
        assert true[cell] in seen  # the truth is always among the candidates
        if not hidden[cell] and true[cell] > RULES.threshold and seen.size < len(span[shown[cell]]):
            found.append(f"published count of cell {labels[cell]} narrowed to {seen.tolist()}")
        if hidden[cell] and primary[cell] and seen.max() - seen.min() < RULES.threshold:
            found.append(f"hidden cell {labels[cell]} pinned to [{seen.min()}, {seen.max()}]")
    return found


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_pipeline_outputs_pass_the_checker_and_the_brute_force_attacker(tmp_path: Path, table) -> None:
    shape, counts, events, cost = table
    names = tuple(f"d{i}" for i in range(len(shape)))
    df = _records(shape, counts, events, cost)
    spec = TableSpec(tuple((n,) for n in names), "n", "u", ("events", "cost"), ("mean",))
    out = Output("t", Path("t.sql"), "table", names, ("n",), table=spec)
    released, exact, record = control_table(df, out, RULES)
    assert record.event_counts == ("events",)
    exact.write_parquet(tmp_path / "t.parquet")
    manifest_spec = {"groups": [[n] for n in names], "count": "n", "magnitudes": ["events", "cost"],
                     "statistics": ["mean"], "event_counts": ["events"]}
    assert check_table("t.csv", released, manifest_spec, RULES, tmp_path / "t.parquet") == []
    assert _attack(shape, released, exact) in ([], None)


def test_the_attacker_and_the_checker_catch_independently_rounded_margins(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the rounding audit, children 12 + 12 (published 10, 10) under a total 24 (published 25)
    pin each other to two values; both the brute force and the checker see it; the pipeline hides the total."""
    from extractor.disclosure.tables import control
    from extractor.disclosure.tables.protect import protect

    df = _records((2,), [12, 12], [1] * 24, [1.0] * 24)
    spec = TableSpec((("d0",),), "n", "u", ("events", "cost"), ())
    out = Output("t", Path("t.sql"), "table", ("d0",), ("n",), table=spec)
    manifest_spec = {"groups": [["d0"]], "count": "n", "magnitudes": ["events", "cost"], "event_counts": ["events"]}
    with monkeypatch.context() as m:
        m.setattr(control, "protect_rounded", lambda cells, rules, events: protect(cells, rules, events))
        released, exact, _ = control_table(df, out, RULES)
    assert released["n"].to_list() == ["10", "10", "25"]
    assert _attack((2,), released, exact) == ["published count of cell ('0',) narrowed to [11, 12]",
                                              "published count of cell ('1',) narrowed to [11, 12]",
                                              "published count of cell ('Total',) narrowed to [23, 24]"]
    exact.write_parquet(tmp_path / "t.parquet")
    assert any("narrow 3 rounded 'n'" in f for f in check_table("t.csv", released, manifest_spec, RULES,
                                                                   tmp_path / "t.parquet"))
    released, exact, record = control_table(df, out, RULES)
    assert released["n"].to_list() == ["10", "10", REDACTED] and record.for_rounding == 1
    exact.write_parquet(tmp_path / "t.parquet")
    assert check_table("t.csv", released, manifest_spec, RULES, tmp_path / "t.parquet") == []
    assert _attack((2,), released, exact) == []

