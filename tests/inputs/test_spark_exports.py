"""Real exports on Spark: the same CSV quirks read the same way, the same faults named the same way.

A Finnish CSV (semicolons, decimal commas, d.m.yyyy dates, leading zeros, cp1252 or a BOM) released by
both engines must give the same bytes and the same warnings with their file lines; a value that does not
convert stops both with the same one-line error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from export_world import CLIENTS, parquet_bans, write_export

from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

pytestmark = pytest.mark.slow
TODAY = dt.date(2026, 11, 1)


def _run(request: Path, out: Path, engine: str):
    return run_extract(load_config(request, today=TODAY), out, TEST_KEY.encode(), engine=engine)


def _bytes(result) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(result.release_dir.glob("*.csv"))}


@pytest.mark.parametrize(("encoding", "bom"), [("cp1252", False), ("utf-8", True)], ids=["windows-1252", "bom"])
def test_a_finnish_export_releases_the_same_bytes_and_warnings(tmp_path: Path, encoding: str, bom: bool) -> None:
    request = write_export(tmp_path / "w", encoding, bom)
    duck, spark = _run(request, tmp_path / "d", "duckdb"), _run(request, tmp_path / "s", "spark")
    assert _bytes(spark) == _bytes(duck)
    assert spark.eligibility.warnings == duck.eligibility.warnings
    assert any("(lines 3)" in w for w in spark.eligibility.warnings)  # lines of the file, on Spark too
    assert spark.eligibility.register_summary == duck.eligibility.register_summary


@pytest.mark.parametrize(("row", "message"), [
    (("0103", "31.02.2024", "20100", "64", "Pekka"),
     r"clients\.csv:4: column birth_date: expected a date in %d\.%m\.%Y, got '31\.02\.2024'"),
    (("0103", "28.2.1960", "90100", "9O,0", "Outi"),
     r"clients\.csv:4: column weight: expected a decimal number with a decimal comma, got '9O,0'"),
])
def test_a_value_that_does_not_convert_is_named_alike(tmp_path: Path, row: tuple, message: str) -> None:
    request = write_export(tmp_path / "w", clients=[*CLIENTS[:2], row])
    for engine in ("duckdb", "spark"):
        with pytest.raises(ExtractorError, match=message):
            _run(request, tmp_path / engine, engine)
        assert not any((tmp_path / engine).rglob("release"))


def test_a_parquet_register_with_text_dates_reads_alike(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    request = write_export(folder)
    parquet_bans(folder)
    duck, spark = _run(request, tmp_path / "d", "duckdb"), _run(request, tmp_path / "s", "spark")
    assert spark.eligibility.register_summary == duck.eligibility.register_summary
    assert _bytes(spark) == _bytes(duck)
    parquet_bans(folder, ("1.3.2026", "30.2.2026"))
    with pytest.raises(ExtractorError, match=r"bans\.parquet:2: column asetettu: expected a date in %d\.%m\.%Y, "
                                             r"got '30\.2\.2026'"):
        _run(request, tmp_path / "s2", "spark")


def test_a_table_of_the_spark_catalog_is_a_source(tmp_path: Path) -> None:
    """format = "spark_table": a table the cluster already holds, read by name; DuckDB refuses it in one line."""
    from builders import World, write_world
    from extractor.engine.spark_session import spark_session
    from extractor.machine import resolve

    w = World(clients=[f"P{i}" for i in range(40)],
              documents=[(f"d{i}", f"d{i}", f"P{i % 40}", "R1", "20") for i in range(120)])
    request = write_world(w, tmp_path / "w")
    duck = _run(request, tmp_path / "d", "duckdb")
    spark = spark_session(resolve(threads=2))
    spark.read.parquet(str(tmp_path / "w" / "documents.parquet")).createOrReplaceTempView("registry_documents")
    catalog = tmp_path / "w" / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        'path = "documents.parquet"', 'format = "spark_table"\ntable = "registry_documents"'), encoding="utf-8")
    assert _bytes(_run(request, tmp_path / "s", "spark")) == _bytes(duck)
    with pytest.raises(ExtractorError, match=r"catalog\.toml: tables\.documents\.format: expected a format DuckDB "
                                             r"reads .* spark_table sources need --engine spark"):
        _run(request, tmp_path / "d2", "duckdb")
