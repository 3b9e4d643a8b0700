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

from extractor.checker.release_check import check_release
from extractor.checker.table_audit import _means

DATA = Path(__file__).parent / "data"


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
    # The old release computed each mean from the exact sum and count: it is not the published ratio.
    df = pl.read_csv(DATA / "document_volumes_2026-11-28.csv", infer_schema=False)
    found = _means("document_volumes.csv", df, "clients", ["documents"], ["mean"])
    assert found and "is not the published 'documents' over the published 'clients'" in found[0]


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
    assert _means("document_volumes.csv", df, "clients", ["documents"], ["mean"]) == []
