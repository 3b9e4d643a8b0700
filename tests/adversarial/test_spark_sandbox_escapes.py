"""The Spark sandbox refuses every escape the DuckDB one does, with the same one-line error, and Spark's own.

Spark SQL reads files by name (parquet.`/path`), calls Java (reflect, java_method), reads and changes
settings (SET, ${...}), runs scripts (TRANSFORM ... USING) and lists the catalog (SHOW): each is refused
before anything runs, because the query is accepted only from its parse tree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from test_sandbox_escapes import ESCAPES

from extractor.errors import ExtractorError
from extractor.machine import resolve

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 6, 30)

SPARK_ESCAPES = [
    ("parquet.`path` reads a raw file", "SELECT * FROM parquet.`{raw}`", "not valid SQL|refused by the sandbox"),
    ("csv.`path` reads a system file", "SELECT * FROM csv.`/etc/passwd`", "not valid SQL|refused by the sandbox"),
    ("a raw file by schema", "SELECT * FROM parquet.documents", "not one of the request's tables"),
    ("reflect calls Java", "SELECT reflect('java.lang.System', 'getenv', 'EXTRACTOR_KEY') AS k", "reflect"),
    ("java_method calls Java", "SELECT java_method('java.lang.System', 'getProperty', 'user.home') AS h",
     "java_method"),
    ("input_file_name reveals paths", "SELECT input_file_name() AS f FROM documents", "input_file_name"),
    ("SET reads the configuration", "SET spark.sql.warehouse.dir", "only a SELECT"),
    ("SET changes the configuration", "SET spark.sql.ansi.enabled = false", "only a SELECT"),
    ("SHOW TABLES lists the session", "SHOW TABLES", "only a SELECT"),
    ("a raw view of the controller's session", "SELECT * FROM raw__documents", "not one of the request's tables"),
    ("a global temp view", "SELECT * FROM global_temp.documents", "not one of the request's tables"),
    ("the Spark catalog by name", "SELECT * FROM spark_catalog.default.documents", "not one of the request's tables"),
    ("TRANSFORM runs a script", "SELECT TRANSFORM(client_id) USING 'cat' AS (x) FROM documents",
     "not valid SQL|refused"),
    ("current_user reveals the account", "SELECT current_user() AS u", "current_user|refused by the sandbox"),
    ("a UDF registered in the session", "SELECT pseudonym(client_id) AS p FROM documents", "pseudonym"),
    ("a CREATE hidden in a CTE", "WITH x AS (SELECT 1) CREATE TABLE t AS SELECT * FROM x",
     "not valid SQL|only a SELECT|refused"),
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):
    from extractor.engine.spark_connection import SparkConnection
    from extractor.engine.spark_session import spark_session

    folder = tmp_path_factory.mktemp("spark-sandbox")
    raw = folder / "raw.parquet"
    pl.DataFrame({"client_id": ["C1"], "hetu": ["010101-0101"]}).write_parquet(raw)
    documents = folder / "sandbox" / "documents"
    documents.mkdir(parents=True)
    pl.DataFrame({"client_id": [f"x{i}" for i in range(3000)], "service_task": ["10"] * 3000}).write_parquet(
        documents / "part-0.parquet")
    con = SparkConnection(spark_session(resolve(threads=2)), folder)
    con.spark.read.parquet(str(raw)).createOrReplaceTempView("raw__documents")  # a controller's view
    return con, {"documents": documents}, raw


def _run(sandbox, tmp_path: Path, sql: str):
    from extractor.engine.spark_query import run_query

    con, tables, raw = sandbox
    query = tmp_path / "q.sql"
    query.write_text(sql.format(raw=raw))
    return query, lambda: run_query(con, tables, query, AS_OF)


@pytest.mark.parametrize(("name", "sql", "message"), ESCAPES + SPARK_ESCAPES,
                         ids=[e[0] for e in ESCAPES + SPARK_ESCAPES])
def test_escape_is_refused_on_spark(tmp_path: Path, sandbox, name: str, sql: str, message: str) -> None:
    query, run = _run(sandbox, tmp_path, sql)
    with pytest.raises(ExtractorError, match=message) as info:
        run()
    assert str(info.value).startswith(str(query))
    assert "\n" not in str(info.value)


def test_a_runaway_query_is_stopped_by_the_time_cap(tmp_path: Path, sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_QUERY_TIMEOUT", "3")
    _, run = _run(sandbox, tmp_path, "SELECT count(*) AS n FROM documents a, documents b, documents c, documents d")
    with pytest.raises(ExtractorError, match="stopped after 3 s") as info:
        run()
    assert "\n" not in str(info.value)


def test_plain_select_with_helpers_works(tmp_path: Path, sandbox) -> None:
    _, run = _run(sandbox, tmp_path, "WITH d AS (SELECT * FROM documents) SELECT service_task, count(*) AS n, "
                  "age_band(age_at(DATE '2000-07-01', as_of_date()), 20, 80) AS band FROM d GROUP BY ALL")
    assert run().to_dicts() == [{"service_task": "10", "n": 3000, "band": "20-39"}]
