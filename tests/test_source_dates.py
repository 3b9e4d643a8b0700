"""A date is read only as written whole: the engines must agree, and DuckDB alone reads more than a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from extractor.config.catalog import Column
from extractor.config.catalog_source import Source
from extractor.source_values import converted_sql


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ("2026-05-07", None, dt.date(2026, 5, 7)),
    ("2026-5-7", None, dt.date(2026, 5, 7)),
    ("2026-05-07 10:00", None, dt.date(2026, 5, 7)),  # a time of day: its day
    ("2026-05-07T10:00:00+02:00", None, dt.date(2026, 5, 7)),
    ("24-06-30", None, None),  # DuckDB alone read the year 24
    ("2026/01/01", None, None),  # DuckDB alone read it; Spark refuses it
    ("infinity", None, None), ("epoch", None, None), ("2026-01-01 (BC)", None, None),
    ("30.6.2024", "%d.%m.%Y", dt.date(2024, 6, 30)),
    ("30.6.24", "%d.%m.%Y", None),  # %Y took 24 as the year 24
    ("0999-01-01", None, None),
])
def test_a_date_is_read_only_as_written_whole(text: str, fmt: str | None, expected: dt.date | None) -> None:
    col = Column("d", "date", "DATE", fmt)
    sql = converted_sql(col, Source(Path("x.csv"), "csv"), "v")
    assert duckdb.execute(f"SELECT {sql} FROM (SELECT CAST(? AS VARCHAR) AS v)", [text]).fetchone()[0] == expected
