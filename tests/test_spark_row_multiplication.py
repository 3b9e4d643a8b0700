"""On Spark, as on DuckDB, a query that multiplies rows is refused, read from the executed plan's row counts.

The same forms as tests/test_row_multiplication.py, run by the Spark sandbox on tables of known shape:
a cross join, a join on true, a many-to-many join on a non-key, a generated series and an explode make
rows and are refused with DuckDB's words; a one-to-many join, EXISTS, IN and a left join that keeps the
clients without documents run; a join to a vocabulary (a table without people) may make rows. And once
end to end, through the pipeline's Spark engine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from test_row_multiplication import _request

from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.engine.spark_plan_rows import plan_profile
from extractor.errors import ExtractorError
from extractor.machine import resolve
from extractor.pipeline import run_extract

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 6, 30)
PEOPLE = frozenset({"documents", "clients"})


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):
    from extractor.engine.spark_connection import SparkConnection
    from extractor.engine.spark_session import spark_session

    folder = tmp_path_factory.mktemp("spark-rows")
    tables = {"documents": pl.DataFrame({"client_id": [f"c{i % 300}" for i in range(3000)],
                                         "service_task": ["10", "15", "20"] * 1000}),
              "clients": pl.DataFrame({"client_id": [f"c{i}" for i in range(400)],
                                       "region": [str(i % 5) for i in range(400)]}),
              "concept_ancestor": pl.DataFrame({"service_task": ["10", "10", "15"], "ancestor": [1, 2, 3]})}
    paths = {}
    for name, frame in tables.items():
        paths[name] = folder / "sandbox" / name
        paths[name].mkdir(parents=True)
        frame.write_parquet(paths[name] / "part-0.parquet")
    return SparkConnection(spark_session(resolve(threads=2)), folder), paths, folder


def _run(sandbox, sql: str) -> pl.DataFrame:
    from extractor.engine.spark_query import run_query

    con, paths, folder = sandbox
    query = folder / "q.sql"
    query.write_text(sql, encoding="utf-8")
    return run_query(con, paths, query, AS_OF, PEOPLE)


MULTIPLYING = {
    "a cross join": ("FROM documents d CROSS JOIN (SELECT client_id FROM clients LIMIT 50) m", "NESTED_LOOP_JOIN"),
    "a join on true": ("FROM documents d JOIN clients m ON true", "NESTED_LOOP_JOIN"),
    "a many-to-many join on a non-key": ("FROM documents d JOIN clients c USING (client_id) "
                                         "JOIN clients m ON m.region = c.region", "HASH_JOIN"),
    "a generated list": ("FROM documents d CROSS JOIN (SELECT explode(array(1, 2, 3)) AS k) g", "JOIN"),
    "an explode": ("FROM (SELECT service_task, explode(array(1, 2, 3, 4)) AS k FROM documents) d", "UNNEST"),
    "a cross join in a scalar subquery": (
        "FROM documents d WHERE (SELECT count(*) FROM clients a CROSS JOIN clients b) > 5", ""),
    "a join to the people's own table on a non-key": (
        "FROM documents d JOIN documents e ON e.service_task = d.service_task", "HASH_JOIN"),
}


@pytest.mark.parametrize(("source", "kind"), MULTIPLYING.values(), ids=MULTIPLYING.keys())
def test_a_query_that_multiplies_rows_is_refused_on_spark(sandbox, source: str, kind: str) -> None:
    with pytest.raises(ExtractorError) as caught:
        _run(sandbox, f"SELECT d.service_task, count(*) AS n {source} GROUP BY d.service_task")
    message = str(caught.value)
    assert "makes more rows than either of its sides" in message and kind in message and "\n" not in message


KEPT = {
    "a one-to-many join": ("FROM documents d JOIN clients c USING (client_id)", [1000, 1000, 1000]),
    "EXISTS": ("FROM documents d WHERE EXISTS (SELECT 1 FROM clients c WHERE c.client_id = d.client_id "
               "AND c.region = '0')", [200, 200, 200]),
    "IN": ("FROM documents d WHERE d.client_id IN (SELECT client_id FROM clients WHERE region = '1')",
           [200, 200, 200]),
    "clients without documents kept": ("FROM clients c LEFT JOIN documents d USING (client_id)",
                                       [100, 1000, 1000, 1000]),
    "a vocabulary: each task to its ancestors": (
        "FROM documents d JOIN concept_ancestor a ON a.service_task = d.service_task", [2000, 1000]),
}


@pytest.mark.parametrize(("source", "counts"), KEPT.values(), ids=KEPT.keys())
def test_joins_that_do_not_make_rows_run_on_spark(sandbox, source: str, counts: list[int]) -> None:
    got = _run(sandbox, f"SELECT d.service_task, count(*) AS n {source} GROUP BY d.service_task")
    assert sorted(got["n"].to_list()) == sorted(counts)


def test_the_plan_is_read_as_it_finally_ran(sandbox) -> None:
    """Every operator of the adaptive plan's final form is in the profile, scans named by their tables."""
    con, paths, _ = sandbox
    session = con.spark.newSession()
    for name, path in paths.items():
        session.read.parquet(str(path)).createOrReplaceTempView(name)
    frame = session.sql("SELECT d.service_task, count(*) FROM documents d JOIN clients c USING (client_id) "
                        "GROUP BY 1")
    frame.toArrow()
    found, stack = [], list(plan_profile(frame, paths)["children"])
    while stack:
        node = stack.pop()
        found.append((node["operator_type"], node["operator_cardinality"], node["extra_info"].get("Table")))
        stack.extend(node["children"])
    assert ("HASH_JOIN", 3000, None) in found
    assert {t for _, _, t in found if t} == {"documents", "clients"}
    assert all(rows >= 0 for _, rows, _ in found)


def test_the_spark_engine_refuses_it_end_to_end(registry: Path, tmp_path: Path) -> None:
    request = _request(tmp_path, "SELECT d.service_task, count(*) AS clients FROM documents d "
                                 "CROSS JOIN (SELECT client_id FROM clients LIMIT 50) m GROUP BY ALL\n")
    with pytest.raises(ExtractorError) as caught:
        run_extract(load_config(request, registry), tmp_path / "out", TEST_KEY.encode(), engine="spark")
    assert "makes more rows than either of its sides" in str(caught.value)
    assert not caught.value.before_data
    assert not any((tmp_path / "out").glob("*/*/release/*.csv"))


@pytest.mark.parametrize(("source", "refused"), [
    ("FROM (SELECT * FROM documents UNION ALL SELECT * FROM documents) d", True),
    ("FROM (SELECT service_task FROM documents UNION ALL SELECT region AS service_task FROM clients) d", False),
], ids=["a table with itself", "two tables"])
def test_a_union_of_a_table_with_itself_is_refused_on_spark(sandbox, source: str, refused: bool) -> None:
    sql = f"SELECT d.service_task, count(*) AS n {source} GROUP BY d.service_task"
    if not refused:
        assert _run(sandbox, sql).height == 8
        return
    with pytest.raises(ExtractorError, match="a UNION whose branches read the same table's rows"):
        _run(sandbox, sql)
