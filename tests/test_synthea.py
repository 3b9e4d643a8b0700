"""The same code on data no one here wrote: a Synthea CSV export, in both column layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from conftest import REPO, SYNTHEA, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.pipeline import run_extract

REQUEST = REPO / "examples" / "synthea" / "request.toml"


def test_synthea_release_passes_check(tmp_path: Path) -> None:
    result = run_extract(load_config(REQUEST), tmp_path, TEST_KEY.encode())
    assert check_release(result.release_dir).passed
    table = pl.read_csv(result.release_dir / "patients_by_condition.csv", infer_schema=False)
    released = table.filter(pl.col("patients") != "[REDACTED]")
    assert released.height > 0  # the commonest conditions survive, rounded
    assert set(table.columns) == {"condition", "patients", "records"}
    # Only declared, non-identifying columns reached the query.
    assert result.protected.tables["patients"] == ["Id", "BIRTHDATE", "GENDER"]
    assert result.protected.pseudonymised["patients"] == ["Id"]
    assert result.eligibility.rules == []  # exempted, with reasons, in examples/synthea/policy.toml


def test_newer_synthea_layout_with_extra_columns(tmp_path: Path) -> None:
    """Newer Synthea adds MIDDLE, FIPS (patients) and SYSTEM (conditions): undeclared columns are ignored."""
    data = tmp_path / "synthea"
    data.mkdir()
    patients = pl.read_csv(SYNTHEA / "patients.csv", infer_schema=False)
    patients.insert_column(7, pl.lit("Q.").alias("MIDDLE")).with_columns(pl.lit("25017").alias("FIPS")).write_csv(
        data / "patients.csv")
    conditions = pl.read_csv(SYNTHEA / "conditions.csv", infer_schema=False)
    conditions.with_columns(pl.lit("http://snomed.info/sct").alias("SYSTEM")).write_csv(data / "conditions.csv")
    shutil.copy(SYNTHEA / "LICENSE.md", data)
    result = run_extract(load_config(REQUEST, data), tmp_path / "out", TEST_KEY.encode())
    assert check_release(result.release_dir).passed
    assert "MIDDLE" not in result.protected.tables["patients"]
