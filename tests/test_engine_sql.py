"""The engine boundary's SQL: helper functions written once, and DuckDB statements rewritten for Spark.

No Spark here (fast): the helper bodies run on DuckDB against DuckDB's own age(); the Spark SQL is
checked as text.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.engine.sandbox_functions import duckdb_macros, expand
from extractor.engine.spark_connection import to_spark
from extractor.errors import ExtractorError

AS_OF = dt.date(2026, 6, 30)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for macro in duckdb_macros(AS_OF):
        con.execute(macro)
    return con


@settings(max_examples=400, deadline=None)
@given(birth=dates, day=dates)
def test_age_at_is_duckdbs_age_in_whole_years(con: duckdb.DuckDBPyConnection, birth: dt.date, day: dt.date) -> None:
    ours, theirs = con.execute("SELECT age_at(?, ?), CAST(date_part('year', age(CAST(? AS DATE), CAST(? AS DATE))) "
                               "AS INTEGER)", [birth, day, day, birth]).fetchone()
    assert ours == theirs


AGES = [(dt.date(2000, 2, 29), dt.date(2001, 2, 28), 0), (dt.date(2000, 2, 29), dt.date(2001, 3, 1), 1),
        (dt.date(2000, 2, 29), dt.date(2004, 2, 29), 4), (dt.date(2000, 6, 30), AS_OF, 26),
        (dt.date(2000, 7, 1), AS_OF, 25), (None, AS_OF, None)]


@pytest.mark.parametrize(("birth", "day", "age"), AGES)
def test_age_at_on_birthdays(con: duckdb.DuckDBPyConnection, birth, day, age) -> None:
    assert con.execute("SELECT age_at(?, ?)", [birth, day]).fetchone()[0] == age


BANDS = [("age_band(25)", "20-29"), ("age_band(95)", "90+"), ("age_band(25, 20, 80)", "20-39"),
         ("age_band(85, top := 80)", "80+"), ("age_band(NULL)", None), ("age_band(0, width := 5)", "0-4")]


@pytest.mark.parametrize(("call", "band"), BANDS)
def test_age_band_expanded_equals_the_macro(con: duckdb.DuckDBPyConnection, call: str, band: str | None) -> None:
    expanded = expand(sqlglot.parse_one(f"SELECT {call} AS b", read="duckdb"), AS_OF).sql("duckdb")
    assert "age_band" not in expanded.lower()
    assert con.execute(f"SELECT {call}").fetchone()[0] == con.execute(expanded).fetchone()[0] == band


def test_nested_helpers_expand_inside_out() -> None:
    sql = expand(sqlglot.parse_one("SELECT age_band(age_at(b, as_of_date()), 20, 80) FROM t", read="duckdb"),
                 AS_OF).sql("spark")
    assert "AGE_AT" not in sql.upper() and "AS_OF_DATE" not in sql.upper() and "2026-06-30" in sql


def test_a_helper_with_too_many_arguments_is_refused() -> None:
    with pytest.raises(ExtractorError, match=r"age_at\(\) takes 2 argument"):
        expand(sqlglot.parse_one("SELECT age_at(a, b, c)", read="duckdb"), AS_OF)


REWRITES = [
    ('SELECT * FROM raw."clients" t JOIN elig.docs d ON true', "FROM `raw__clients` AS t JOIN `elig__docs` AS d"),
    ("SELECT row_number() OVER () - 1 AS _r FROM x", "ROW_NUMBER() OVER (ORDER BY MONOTONICALLY_INCREASING_ID()"),
    ("SELECT row_number() OVER (PARTITION BY a ORDER BY b) FROM x", "OVER (PARTITION BY a ORDER BY b"),
    ("SELECT try_strptime(trim(x), '%d.%m.%Y') FROM t", "TRY_TO_TIMESTAMP(TRIM(x), 'd.M.yyyy')"),
    ("SELECT list_contains(b.registrar, CAST(t.r AS VARCHAR)) FROM t",
     "ARRAY_CONTAINS(b.registrar, CAST(t.r AS STRING))"),
    ("SELECT count(*) FROM sandbox.main.docs", "FROM `sandbox__docs`"),
]


@pytest.mark.parametrize(("duck", "spark"), REWRITES)
def test_statements_are_rewritten_for_spark(duck: str, spark: str) -> None:
    assert spark in to_spark(duck)


def test_text_parameters_become_literals_and_binary_ones_are_refused() -> None:
    assert "CAST('it\\'s' AS STRING)" in to_spark("SELECT CAST(? AS VARCHAR) IS NULL", ["it's"])
    with pytest.raises(ExtractorError, match="never sent to Spark"):
        to_spark("SELECT sha256($pad || 'x')", {"pad": b"\x36" * 64})
