"""Attack: figures published beside a rounded count undo its rounding (issue 15, item 1).

The fixture is AUD-2026-014's document_volumes.csv as released before the rule: clients rounded to 5,
documents exact, documents_mean = documents / true clients. The checker must fail it from the file
alone; the demo's release today must give the same attack nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from runs import request_copy, run
from scipy import sparse

from extractor.checker.derived_counts import candidates, narrowed_counts
from extractor.checker.lines import additivity
from extractor.checker.release_check import check_release

DATA = Path(__file__).parent / "data"
GROUPS = (("region",), ("service_task", "social_service"), ("year",))
LABELS = ["region", "service_task", "social_service", "year"]


def issue_attack(df: pl.DataFrame) -> tuple[int, int]:
    """The attack as the issue describes it: for each published cell try every client count within ±2
    of the published one; keep those for which documents / n rounds to the published mean. Returns
    (cells tried, cells left with exactly one n)."""
    shown = df.filter((pl.col("clients") != "[REDACTED]") & (pl.col("documents_mean") != ""))
    n0 = shown["clients"].cast(pl.Int64).to_numpy()
    docs = shown["documents"].cast(pl.Float64).to_numpy()
    mean = shown["documents_mean"].cast(pl.Float64).to_numpy()
    n = n0[:, None] + np.arange(-2, 3)[None, :]
    fits = (n > 0) & (np.abs(np.round(docs[:, None] / np.maximum(n, 1), 2) - mean[:, None]) < 1e-9)
    return len(shown), int((fits.sum(axis=1) == 1).sum())


@pytest.fixture(scope="module")
def demo_release(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audit")
    release = run(request_copy("audit_request.toml", folder), registry, folder / "out")
    assert check_release(release).passed
    return release


def test_the_issue_attack_recovers_counts_from_the_old_release() -> None:
    df = pl.read_csv(DATA / "document_volumes_2026-11-28.csv", infer_schema=False)
    tried, recovered = issue_attack(df)
    assert tried == 1268 and recovered > 900  # the issue measured 939 of 1,884 on its run


def test_the_checker_fails_the_old_release_from_the_file_alone() -> None:
    df = pl.read_csv(DATA / "document_volumes_2026-11-28.csv", infer_schema=False)
    A = additivity(df.select(LABELS), GROUPS)
    found = narrowed_counts(df, "clients", [], {"documents": "documents_mean"}, {}, A, 7, 5, "nearest")
    assert found and found[0].column == "clients"
    assert len(found[0].rows) > 1000 and found[0].after < found[0].before / 3


def test_the_checker_sees_margins_that_narrow_a_rounded_count() -> None:
    # children 12 and 12 publish 10 and 10 (8..12 each); the total 24 publishes 25 (23..27): both
    # children must be 11 or 12 and the total 23 or 24.
    df = pl.DataFrame({"g": ["a", "b", "Total"], "n": ["10", "10", "25"]})
    A = additivity(df.select("g"), (("g",),))
    found = narrowed_counts(df, "n", [], {}, {}, A, 7, 5, "nearest")
    assert [(f.column, f.rows.tolist(), f.before, f.after) for f in found] == [("n", [0, 1, 2], 15, 6)]
    none = narrowed_counts(df, "n", [], {}, {}, sparse.csr_matrix((0, 3)), 7, 5, "nearest")
    assert none == []


@pytest.mark.parametrize(("shown", "lo", "hi"), [("0", 0, 0), ("10", 8, 12), ("15", 13, 17), ("[REDACTED]", 0, np.inf)])
def test_candidates_are_the_rounding_inverse(shown: str, lo: float, hi: float) -> None:
    got = candidates(pl.Series([shown]), 7, 5, "nearest")
    assert (got[0][0], got[1][0]) == (lo, hi)


def test_the_demo_release_gives_the_attack_nothing(demo_release: Path) -> None:
    df = pl.read_csv(demo_release / "document_volumes.csv", infer_schema=False)
    truth = demo_release.parent / "controller" / "tables" / "document_volumes.parquet"
    exact = pl.read_parquet(truth)
    shown = df.filter((pl.col("clients") != "[REDACTED]") & (pl.col("documents_mean") != ""))
    tried, _ = issue_attack(df)
    assert tried > 200
    # The mean is the published ratio, so the one n it fits is the published figure itself: the attack
    # lands on the truth only where rounding left the count unchanged, and cannot tell where that is.
    n0 = shown["clients"].cast(pl.Int64).to_numpy()
    docs = shown["documents"].cast(pl.Float64).to_numpy()
    mean = shown["documents_mean"].cast(pl.Float64).to_numpy()
    n = n0[:, None] + np.arange(-2, 3)[None, :]
    fits = np.abs(np.round(docs[:, None] / np.maximum(n, 1), 2) - mean[:, None]) < 1e-9
    assert fits[:, 2].all()  # the published figure always fits
    beyond = fits.copy()
    beyond[:, 2] = False
    n_true = exact.filter(~pl.col("_suppressed") & (pl.col("clients") > 0))["clients"].to_numpy()
    recovered = (beyond & (n == n_true[:, None])).any(axis=1) & (fits.sum(axis=1) == 1)
    assert recovered.sum() == 0
    A = additivity(df.select(LABELS), GROUPS)
    assert narrowed_counts(df, "clients", ["documents"], {"documents": "documents_mean"}, {"documents": 1.0}, A,
                           7, 5, "nearest") == []
