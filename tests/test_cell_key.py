"""Cell-key p-table: every row against the rules it must keep, checked by brute force over all 256 keys."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.disclosure.tables.cell_key import KEYS, LARGE, build_ptable


@pytest.mark.parametrize(("threshold", "max_noise", "variance"), [(7, 3, 2.0), (9, 2, 1.0), (0, 3, 2.0), (7, 5, 4.0)])
def test_every_row_keeps_the_rules(threshold: int, max_noise: int, variance: float) -> None:
    pt = build_ptable(threshold, max_noise, variance)
    counts = np.arange(LARGE + 1)
    published = counts[:, None] + pt.noise
    assert (published[0] == 0).all()  # a zero stays zero
    assert not ((published >= 1) & (published <= threshold)).any()  # no small count is ever published
    assert (published >= 0).all()
    big = counts > threshold
    assert (np.abs(pt.noise[big]) <= max_noise).all()  # the policy's largest noise
    small = (counts >= 1) & (counts <= threshold)
    assert set(np.unique(published[small])) <= {0, threshold + 1}
    # Unbiased to the resolution of 256 keys; the policy's variance away from the threshold.
    assert np.abs(pt.noise.mean(axis=1)).max() <= 1.0 / KEYS * (threshold + 1) + 1e-9
    far = counts > threshold + max_noise
    assert np.allclose(pt.noise[far].var(axis=1), variance, rtol=0.05)


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 10**7), key=st.integers(0, 10**6))
def test_large_counts_reuse_rows_and_perturbation_is_a_function_of_count_and_key(count: int, key: int) -> None:
    pt = build_ptable(7, 3, 2.0)
    a = pt.perturb(np.array([count]), np.array([key]))[0]
    assert a == pt.perturb(np.array([count]), np.array([key % KEYS]))[0]  # the same cell, the same noise
    assert abs(a - count) <= (3 if count > 7 else 8)
    assert a == 0 or a > 7


def test_record_keys_are_the_keyed_hash_of_the_unit_computed_in_duckdb() -> None:
    """Same unit, same key (in every table of the project); matches HMAC in Python; another project's key
    gives other record keys; the key is passed as parameters, never in the SQL."""
    import duckdb
    import polars as pl

    from extractor.disclosure.tables.cell_key import RECORD_KEY, with_record_keys
    from extractor.protect.pseudonym import project_key

    df = pl.DataFrame({"client": ["a", "b", "a", "c"] * 50, "d": list(range(200))})
    key = project_key(b"k" * 32, "P-1")
    got = with_record_keys(duckdb.connect(), df, "client", key)[RECORD_KEY].to_list()
    assert got == [int(key.pseudonym("cell-key", u)[:4], 16) % KEYS for u in df["client"].to_list()]
    other = with_record_keys(duckdb.connect(), df, "client", project_key(b"k" * 32, "P-2"))[RECORD_KEY]
    assert other.to_list() != got


def test_the_same_cell_gets_the_same_noise_in_another_request() -> None:
    """Task totals of a task × year table equal the cells of a task-only table (differencing between the two
    gives nothing); every figure within the policy's bounds; nothing suppressed."""
    from pathlib import Path

    import polars as pl

    from extractor.config.policy import Disclosure
    from extractor.config.request import Output, TableSpec
    from extractor.disclosure.tables.control import control_table
    from extractor.protect.pseudonym import project_key

    rng = np.random.default_rng(1)
    n = 3000
    df = pl.DataFrame({"task": rng.choice(["10", "15", "20"], n), "year": rng.integers(2015, 2025, n).astype(str),
                       "client": rng.integers(0, 900, n).astype(str)})
    key = project_key(b"k" * 32, "P")
    both = TableSpec((("task",), ("year",)), "n", "client", (), (), "cell_key")
    rel, exact, rec = control_table(df, Output("a", Path("a.sql"), "table", ("task", "year"), ("n",), table=both),
                                    Disclosure(), key=key)
    one = TableSpec((("task",),), "n", "client", (), (), "cell_key")
    rel2, _, _ = control_table(df.drop("year"), Output("b", Path("b.sql"), "table", ("task",), ("n",), table=one),
                               Disclosure(), key=key)
    assert rel.filter(pl.col("year") == "Total").drop("year").rows() == rel2.rows()
    noise = exact["_published_n"].to_numpy() - exact["n"].to_numpy()
    assert np.abs(noise).max() <= 3 and (noise != 0).any() and rec.cell_key["figures_moved"] == int((noise != 0).sum())
    assert "[REDACTED]" not in rel["n"].to_list()


def test_the_checker_holds_a_cell_key_table_to_its_bounds(tmp_path) -> None:
    """The checker passes the pipeline's figures and catches a figure moved too far, a small count shown, a
    zero made non-zero."""
    from pathlib import Path

    import polars as pl

    from extractor.checker.table_audit import check_table
    from extractor.config.policy import Disclosure
    from extractor.config.request import Output, TableSpec
    from extractor.disclosure.tables.control import control_table
    from extractor.protect.pseudonym import project_key

    rng = np.random.default_rng(2)
    df = pl.DataFrame({"task": rng.choice(["10", "15", "20", "30"], 400, p=[0.49, 0.49, 0.01, 0.01]),
                       "client": rng.integers(0, 300, 400).astype(str)})
    spec = TableSpec((("task",),), "n", "client", (), (), "cell_key")
    rel, exact, _ = control_table(df, Output("a", Path("a.sql"), "table", ("task",), ("n",), table=spec),
                                  Disclosure(), key=project_key(b"k" * 32, "P"))
    exact.write_parquet(tmp_path / "a.parquet")
    manifest = {"groups": [["task"]], "count": "n", "privacy": "cell_key"}
    assert check_table("a.csv", rel, manifest, Disclosure(), tmp_path / "a.parquet") == []
    for row, figure in ((0, str(int(exact["n"][0]) + 4)), (2, "3"), (1, "-1")):
        edited = rel.with_columns(pl.Series("n", [figure if i == row else v for i, v in enumerate(rel["n"])]))
        assert check_table("a.csv", edited, manifest, Disclosure(), tmp_path / "a.parquet") != [], (row, figure)


def test_a_policy_s_ptable_is_built_once_and_cannot_be_changed_by_a_caller() -> None:
    """Runs share one p-table per policy: a caller that wrote into it would change every later release."""
    pt = build_ptable(7, 3, 2.0)
    assert build_ptable(7, 3, 2.0) is pt
    assert build_ptable(7, 3, 2.5) is not pt
    with pytest.raises(ValueError):
        pt.noise[10, 0] = 0
