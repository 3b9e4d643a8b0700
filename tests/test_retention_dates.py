"""A retention period's end as a comparison with a constant must agree with the engine's own date arithmetic."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.eligibility.retention_dates import ended_sql, last_anchor, plus_years

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31))
LEAP_EDGES = [dt.date(y, m, d) for y in (2023, 2024, 2025) for m, d in ((2, 27), (2, 28), (3, 1))] + \
    [dt.date(2024, 2, 29), dt.date(2028, 2, 29)]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _engine(con: duckdb.DuckDBPyConnection, anchor: str, years: int, as_of: dt.date) -> tuple[bool, bool]:
    """(the engine's own `anchor + years <= as_of`, the rewritten comparison) for one literal anchor."""
    return con.execute(f"SELECT {anchor} + INTERVAL {years} YEAR <= DATE '{as_of}', "
                       f"{ended_sql(anchor, years, as_of)}").fetchone()


@pytest.mark.parametrize(("as_of", "years", "expected"), [
    (dt.date(2026, 2, 28), 2, dt.date(2024, 2, 29)),  # 29 Feb + 2 years is 28 Feb: the leap day passes
    (dt.date(2024, 2, 29), 1, dt.date(2023, 2, 28)),  # 28 Feb + 1 is 28 Feb 2024, 1 Mar + 1 is 1 Mar
    (dt.date(2026, 10, 31), 10, dt.date(2016, 10, 31)),
    (dt.date(2025, 3, 1), 1, dt.date(2024, 3, 1)),
])
def test_last_anchor_table(as_of: dt.date, years: int, expected: dt.date) -> None:
    assert last_anchor(as_of, years) == expected


@settings(max_examples=300, deadline=None)
@given(anchor=days, as_of=days, years=st.integers(min_value=1, max_value=25))
def test_date_anchor_agrees_with_engine(con: duckdb.DuckDBPyConnection, anchor: dt.date, as_of: dt.date,
                                        years: int) -> None:
    engine, rewritten = _engine(con, f"DATE '{anchor}'", years, as_of)
    assert engine == rewritten
    assert plus_years(anchor, years) == con.execute(f"SELECT CAST(DATE '{anchor}' + INTERVAL {years} YEAR AS DATE)"
                                                    ).fetchone()[0]


@settings(max_examples=300, deadline=None)
@given(anchor=st.sampled_from(LEAP_EDGES) | days, as_of=st.sampled_from(LEAP_EDGES) | days,
       years=st.integers(min_value=1, max_value=6), seconds=st.sampled_from([0, 1, 43_200, 86_399]))
def test_timestamp_anchor_agrees_with_engine(con: duckdb.DuckDBPyConnection, anchor: dt.date, as_of: dt.date,
                                             years: int, seconds: int) -> None:
    stamp = dt.datetime.combine(anchor, dt.time()) + dt.timedelta(seconds=seconds)
    engine, rewritten = _engine(con, f"TIMESTAMP '{stamp}'", years, as_of)
    assert engine == rewritten


def test_leap_edges_exhaustively(con: duckdb.DuckDBPyConnection) -> None:
    """Every anchor around every leap edge, dates and timestamps with a time of day."""
    for as_of in LEAP_EDGES:
        for years in (1, 2, 4, 10):
            for anchor in (as_of.replace(year=as_of.year - years) - dt.timedelta(days=d) if as_of.month != 2 or
                           as_of.day != 29 else dt.date(as_of.year - years, 3, 1) - dt.timedelta(days=d)
                           for d in range(-3, 4)):
                for text in (f"DATE '{anchor}'", f"TIMESTAMP '{anchor} 00:00:00'", f"TIMESTAMP '{anchor} 12:00:00'"):
                    engine, rewritten = _engine(con, text, years, as_of)
                    assert engine == rewritten, (text, years, as_of)


def test_the_periods_the_stage_reads_are_the_shipped_tables_rows() -> None:
    """reference_data's rows (csv module, read at every run) hold exactly what the shipped tables say when read and
    joined with Polars: every service task's linked row, and the periods with an anchor, basic data first."""
    import polars as pl

    from extractor import reference_data as ref

    rules = pl.read_csv(ref.data_file("retention_703_2023.csv"), infer_schema=False)
    links = pl.read_csv(ref.data_file("retention_service_tasks.csv"), infer_schema=False).join(
        rules.select(pl.col("document_or_service_task_fi").alias("retention_row_fi"), "anchor_event",
                     pl.col("years").cast(pl.Int32)), on="retention_row_fi", how="left")
    assert list(ref.retention_links()) == list(links.select("service_task_code", "anchor_event", "years").iter_rows())
    basic = rules.filter(pl.col("anchor_event").is_not_null() & (pl.col("document_or_service_task_fi")
                                                                == ref.BASIC_DATA_ROW))
    linked = links.drop_nulls("anchor_event")
    expected = [(None, r["anchor_event"], int(r["years"])) for r in basic.iter_rows(named=True)] + \
        [(r["service_task_code"], r["anchor_event"], r["years"]) for r in linked.iter_rows(named=True)]
    assert list(ref.retention_periods()) == expected
    assert expected[0] == (None, "client_death", 2) and len(expected) > 1
