"""The researcher's SQL cannot escape the sandbox: each escape gets a clear, one-line refusal.

One case per attack: file and network functions, ATTACH, COPY, SET/PRAGMA, several statements, raw
tables, SQL run from a string (query, query_table), catalog and metadata functions that reveal paths or
settings, and queries that would run for ever or exhaust memory (stopped by the time and memory caps)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from extractor.errors import ExtractorError
from extractor.machine import Limits
from extractor.protect.sandbox import run_query


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sandbox")
    raw = folder / "raw.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'C1' AS client_id, '010101-0101' AS hetu) TO '{raw}' (FORMAT parquet)")
    db = folder / "sandbox.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE documents AS SELECT 'x' AS client_id, '10' AS service_task")
    con.close()
    return db, raw


# SHOW, DESCRIBE, SUMMARIZE as a whole statement: DuckDB's guard names them; Spark's parser refuses the statement
WHOLE_STATEMENT = "SHOW, DESCRIBE and SUMMARIZE|only a SELECT"
ESCAPES = [
    ("read_parquet of a raw file", "SELECT * FROM read_parquet('{raw}')", "refused by the sandbox"),
    ("read_csv of a system file", "SELECT * FROM read_csv('/etc/passwd')", "refused by the sandbox"),
    ("a raw file as a table name", "SELECT * FROM '{raw}'", "refused by the sandbox"),
    ("read_text", "SELECT * FROM read_text('/etc/hostname')", "refused by the sandbox"),
    ("glob of the file system", "SELECT * FROM glob('/tmp/*')", "refused by the sandbox"),
    ("ATTACH a database", "ATTACH '{raw}' AS x", "only a SELECT"),
    ("COPY ... TO a file", "COPY (SELECT 1) TO '/tmp/leak.csv'", "only a SELECT"),
    ("SET a setting", "SET enable_external_access = true", "only a SELECT"),
    ("PRAGMA", "PRAGMA enable_external_access", "only a SELECT"),
    ("INSTALL an extension", "INSTALL httpfs", "only a SELECT"),
    ("a second statement", "SELECT 1; SELECT 2", "exactly one SELECT"),
    ("a sneaky second statement", "SELECT 1 AS a; COPY (SELECT 1) TO '/tmp/x.csv'", "exactly one SELECT"),
    ("a raw table that is not there", "SELECT * FROM clients", "not one of the request's tables"),
    ("a raw table by catalog", "SELECT * FROM sandbox.main.clients", "not one of the request's tables"),
    ("query() runs SQL from a string", "SELECT * FROM query('SELECT * FROM duckdb_settings()')", "query\\(\\)"),
    ("query_table() hides a table name", "SELECT * FROM query_table('documents')", "query_table\\(\\)"),
    ("duckdb_settings() reveals the machine", "SELECT name, value FROM duckdb_settings()", "duckdb_settings"),
    ("duckdb_databases() reveals the path", "SELECT path FROM duckdb_databases()", "duckdb_databases"),
    ("duckdb_tables() lists the catalog", "SELECT * FROM duckdb_tables()", "duckdb_tables"),
    ("current_setting reads a setting", "SELECT current_setting('temp_directory') AS t", "current_setting"),
    ("pragma_database_list", "SELECT * FROM pragma_database_list()", "pragma_database_list"),
    ("information_schema", "SELECT * FROM information_schema.tables", "not one of the request's tables"),
    ("pg_catalog", "SELECT * FROM pg_catalog.pg_tables", "not one of the request's tables"),
    ("duckdb_ views", "SELECT * FROM duckdb_views", "not one of the request's tables"),
    ("metadata hidden in a CTE", "WITH s AS (SELECT * FROM duckdb_settings()) SELECT * FROM s", "duckdb_settings"),
    ("metadata in a subquery", "SELECT (SELECT count(*) FROM duckdb_temporary_files()) AS n", "duckdb_temporary"),
    ("getenv for the key", "SELECT getenv('EXTRACTOR_KEY')", "getenv"),
    ("export of the database", "EXPORT DATABASE '/tmp/exp'", "only a SELECT"),
    ("not SQL at all", "SELEC nonsense", "not valid SQL"),
    ("SHOW TABLES lists the sandbox", "SHOW TABLES", WHOLE_STATEMENT),
    ("SHOW ALL TABLES", "SHOW ALL TABLES", WHOLE_STATEMENT),
    ("DESCRIBE a table", "DESCRIBE documents", WHOLE_STATEMENT),
    ("SUMMARIZE a table: its minima and maxima", "SUMMARIZE documents", WHOLE_STATEMENT),
    ("SUMMARIZE in a subquery", "SELECT * FROM (SUMMARIZE documents)", "SHOW, DESCRIBE and SUMMARIZE"),
    ("DESCRIBE in a CTE", "WITH d AS (DESCRIBE documents) SELECT * FROM d", "SHOW, DESCRIBE and SUMMARIZE"),
    # from the fourth airlock attack: a serialized query runs SQL the checks never see (rows multiplied past
    # the small-count rule), and a CTE named like a catalog view let the real view through elsewhere
    ("json_execute_serialized_sql runs hidden SQL", "SELECT * FROM json_execute_serialized_sql(json_serialize_sql("
     "'SELECT d.* FROM documents d, range(10) r'))", "json_execute_serialized_sql"),
    ("hidden SQL in a CTE", "WITH x AS (SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))) "
     "SELECT * FROM x", "json_execute_serialized_sql"),
    ("a CTE shadowing a catalog view", "SELECT * FROM (WITH duckdb_databases AS (SELECT 1 AS x) SELECT * FROM "
     "duckdb_databases) a, (SELECT path FROM duckdb_databases) b",
     "not one of the request's tables|cannot be resolved"),  # Spark: the CTE is the query's, no path column
    ("another table function", "SELECT * FROM json_each('[1, 2]')", r"json_each\(\) (?:in FROM|reveals)"),
]


@pytest.mark.parametrize(("name", "sql", "message"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_escape_is_refused(tmp_path: Path, sandbox: tuple[Path, Path], name: str, sql: str, message: str) -> None:
    db, raw = sandbox
    query = tmp_path / "q.sql"
    query.write_text(sql.format(raw=raw))
    with pytest.raises(ExtractorError, match=message) as info:
        run_query(db, query)
    assert str(info.value).startswith(str(query))
    assert "\n" not in str(info.value)


def test_setting_cannot_be_changed_inside_a_select(tmp_path: Path, sandbox: tuple[Path, Path]) -> None:
    db, _ = sandbox
    query = tmp_path / "q.sql"
    query.write_text("SELECT * FROM read_parquet((SELECT current_setting('temp_directory')))")
    with pytest.raises(ExtractorError):
        run_query(db, query)


def test_a_runaway_query_is_stopped_by_the_time_cap(tmp_path: Path, sandbox: tuple[Path, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = sandbox
    monkeypatch.setenv("EXTRACTOR_QUERY_TIMEOUT", "1")
    query = tmp_path / "q.sql"
    query.write_text("SELECT count(*) AS n FROM range(100000000) a, range(100000000) b")
    with pytest.raises(ExtractorError, match="stopped after 1 s") as info:
        run_query(db, query)
    assert "\n" not in str(info.value)


def test_runaway_recursion_is_stopped_by_the_time_cap(tmp_path: Path, sandbox: tuple[Path, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = sandbox
    monkeypatch.setenv("EXTRACTOR_QUERY_TIMEOUT", "2")
    query = tmp_path / "q.sql"
    query.write_text("WITH RECURSIVE t(n, s) AS (SELECT 1, repeat('x', 1000) UNION ALL "
                     "SELECT n + 1, s FROM t WHERE n < 100000000) SELECT max(n) AS n FROM t")
    with pytest.raises(ExtractorError, match="stopped after 2 s") as info:
        run_query(db, query)
    assert "\n" not in str(info.value)


def test_a_query_that_exhausts_memory_meets_the_memory_cap(tmp_path: Path, sandbox: tuple[Path, Path]) -> None:
    db, _ = sandbox
    query = tmp_path / "q.sql"
    query.write_text("SELECT length(string_agg(repeat('x', 10000), '')) AS n FROM range(100000)")
    small = Limits(threads=1, memory_bytes=64 * 2**20, temp_dir=None, threads_from="test", memory_from="test")
    with pytest.raises(ExtractorError, match="more memory than the limit of 64MiB") as info:
        run_query(db, query, small)
    assert "\n" not in str(info.value)


def test_a_bad_timeout_setting_is_one_line(tmp_path: Path, sandbox: tuple[Path, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_QUERY_TIMEOUT", "soon")
    query = tmp_path / "q.sql"
    query.write_text("SELECT 1 AS a")
    with pytest.raises(ExtractorError, match="EXTRACTOR_QUERY_TIMEOUT='soon': expected a positive number"):
        run_query(sandbox[0], query)


def test_plain_select_and_with_work(tmp_path: Path, sandbox: tuple[Path, Path]) -> None:
    db, _ = sandbox
    query = tmp_path / "q.sql"
    query.write_text("WITH d AS (SELECT * FROM documents) SELECT service_task, count(*) AS n FROM d GROUP BY ALL")
    assert run_query(db, query).to_dicts() == [{"service_task": "10", "n": 1}]
