"""Differential test: random tables through the pipeline's `table` kind, then the independent checker,
then (on tables small enough to enumerate) a brute-force attacker.

The attacker knows the published file and the rules: each published count is a value whose adjacent
multiple of 5 it is (controlled rounding: within 4 of the figure, above the threshold; 0 is 0), a
hidden cell is anything ≥ 0, margins add up. It enumerates every table of leaf values consistent with
all of that and asks whether any primary cell is pinned to less than its protection level, or any cell
to counts of 1..threshold only (a small count derived).
DIFFERENTIAL_EXAMPLES (default 400 in the suite) sets how many tables; `make differential` runs 10,000.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.checker.table_audit import check_table
from extractor.config.policy import Disclosure
from extractor.config.request import Output, TableSpec
from extractor.disclosure.aggregate import REDACTED
from extractor.disclosure.tables.control import control_table

EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "400"))
RULES = Disclosure()
MAX_ENUMERATION = 400_000




def admits(figure: str, v: np.ndarray) -> np.ndarray:
    """True values a published figure stands for under controlled rounding."""
    r = int(figure)
    return (v == 0) if r == 0 else (np.abs(v - r) < 5) & (v > RULES.threshold)


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
    every = np.arange(2000)
    span = {text: every[admits(text, every)].tolist() for text in set(shown) if text != REDACTED}
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
            ok &= admits(text, values[:, cell])
    consistent = values[ok]
    found = []
    true = exact["n"].to_numpy()
    hidden, primary = exact["_suppressed"].to_numpy(), exact["_primary"].to_numpy()
    for cell in range(len(shown)):
        seen = np.unique(consistent[:, cell])
        assert true[cell] in seen  # the truth is always among the candidates
        if seen.min() >= 1 and seen.max() <= RULES.threshold:
            found.append(f"cell {labels[cell]} derived to be a small count {seen.tolist()}")
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
    # As the run's manifest does (kinds.py): the lines rounding could not make add up are declared. Counts of
    # 8 and 9 only round up, so some tables have no additive rounding at all (8, 8, 8 under a total of 24).
    declared = {c: r["nonadditive_lines"] for c, r in record.rounding.items()}
    manifest_spec = {"groups": [[n] for n in names], "count": "n", "magnitudes": ["events", "cost"],
                     "statistics": ["mean"], "event_counts": ["events"], "nonadditive_lines": declared}
    assert check_table("t.csv", released, manifest_spec, RULES, tmp_path / "t.parquet") == []
    if any(declared.values()):  # a declared line is still checked: one more off line is caught
        assert check_table("t.csv", released, {**manifest_spec, "nonadditive_lines": {}}, RULES,
                           tmp_path / "t.parquet") != []
    assert _attack(shape, released, exact) in ([], None)


def test_three_eights_under_a_total_of_24_are_declared_non_additive(tmp_path: Path) -> None:
    """8 only rounds up (to 10, never to 5: 5 would stand for 1..7), so 10 + 10 + 10 cannot add up to 20 or
    25: the rounding says so (2 lines: the row and the grand total's) instead of hiding anything."""
    df = _records((3, 3), [0, 0, 0, 0, 0, 0, 8, 8, 8], [1] * 24, [1.0] * 24)
    spec = TableSpec((("d0",), ("d1",)), "n", "u", ("events", "cost"), ("mean",))
    released, exact, record = control_table(df, Output("t", Path("t.sql"), "table", ("d0", "d1"), ("n",), table=spec),
                                            RULES)
    assert record.suppressed == 0 and record.rounding["n"]["nonadditive_lines"] == 2
    assert _attack((3, 3), released, exact) in ([], None)


def test_the_issue_table_publishes_every_figure_and_adds_up(tmp_path: Path) -> None:
    """Children 12 + 12 under a total of 24: independently rounded 10, 10, 25 did not add up and the total
    was hidden for it; controlled rounding publishes all three and they add up; checker and attacker pass."""
    df = _records((2,), [12, 12], [1] * 24, [1.0] * 24)
    spec = TableSpec((("d0",),), "n", "u", ("events", "cost"), ("mean",))
    out = Output("t", Path("t.sql"), "table", ("d0",), ("n",), table=spec)
    released, exact, record = control_table(df, out, RULES)
    figures = [int(v) for v in released["n"].to_list()]
    assert figures[0] + figures[1] == figures[2] == 25 and sorted(figures[:2]) == [10, 15]
    assert record.suppressed == 0 and record.rounding["n"]["nonadditive_lines"] == 0
    exact.write_parquet(tmp_path / "t.parquet")
    manifest_spec = {"groups": [["d0"]], "count": "n", "magnitudes": ["events", "cost"], "statistics": ["mean"],
                     "event_counts": ["events"]}
    assert check_table("t.csv", released, manifest_spec, RULES, tmp_path / "t.parquet") == []
    assert _attack((2,), released, exact) == []
    # A figure edited to the independent rounding is caught: the line no longer adds up.
    edited = released.with_columns(pl.Series("n", ["10", "10", "25"]))
    assert any("do not add up" in f for f in check_table("t.csv", edited, manifest_spec, RULES,
                                                             tmp_path / "t.parquet"))


def test_every_hidden_or_moved_cell_has_its_reason(tmp_path: Path) -> None:
    """A small cell is primary (threshold), its partner on the line names the cell it protects, and every
    figure moved by rounding shows true → published, in the exact file and in the report's list."""
    df = _records((3,), [3, 21, 22], [1] * 46, [1.0] * 46)
    spec = TableSpec((("d0",),), "n", "u", ("events", "cost"), ())
    out = Output("t", Path("t.sql"), "table", ("d0",), ("n",), table=spec)
    released, exact, record = control_table(df, out, RULES)
    why = dict(zip(exact["d0"].to_list(), exact["_why"].to_list(), strict=True))
    assert why["0"].startswith("threshold")
    hidden = [c for c, s in zip(exact["d0"].to_list(), exact["_suppressed"].to_list(), strict=True) if s]
    partner = next(c for c in hidden if c != "0")
    assert "secondary: protects 0" in why[partner]
    moved = [c for c in exact["d0"].to_list() if "rounded records" in why[c]]
    assert moved and all(why[c].startswith("rounded records: ") for c in moved if c not in hidden)
    assert {x["kind"] for x in record.listed} >= {"primary", "secondary"}
    assert record.hidden_share > 0 and record.rounding["n"]["nonadditive_lines"] == 0


def test_small_cells_that_hide_each_other_need_no_partner(tmp_path: Path) -> None:
    """Six cells of 5 on a cycle through a 3 × 3 table (two per row and column, no 2 × 2 box among them):
    no hypercube of hidden cells exists, but the LP over the six gives each an interval of 10 ≥ 7, so
    nothing else is hidden (τ-Argus's modular method adds nothing here either); the checker agrees."""
    small = {(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0)}
    counts = [5 if (r, c) in small else 30 for r in range(3) for c in range(3)]
    df = _records((3, 3), counts, [1] * sum(counts), [1.0] * sum(counts)).drop("events", "cost")
    spec = TableSpec((("d0",), ("d1",)), "n", "u", (), ())
    out = Output("t", Path("t.sql"), "table", ("d0", "d1"), ("n",), table=spec)
    released, exact, record = control_table(df, out, RULES)
    assert record.secondary == 0 and record.suppressed == 6
    exact.write_parquet(tmp_path / "t.parquet")
    assert check_table("t.csv", released, {"groups": [["d0"], ["d1"]], "count": "n"}, RULES,
                       tmp_path / "t.parquet") == []
    # One of the six published (30 instead of 5): the cycle breaks and partners are needed again.
    counts[0] = 30
    df = _records((3, 3), counts, [1] * sum(counts), [1.0] * sum(counts)).drop("events", "cost")
    _, _, record = control_table(df, out, RULES)
    assert record.secondary > 0
