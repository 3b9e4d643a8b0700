"""The researcher's SQL cannot escape the sandbox: each escape gets a clear refusal."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from extractor.errors import ExtractorError
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
    ("a raw table that is not there", "SELECT * FROM clients", "the query failed"),
    ("getenv for the key", "SELECT getenv('EXTRACTOR_KEY')", "the query failed"),
    ("export of the database", "EXPORT DATABASE '/tmp/exp'", "only a SELECT"),
    ("not SQL at all", "SELEC nonsense", "not valid SQL"),
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


def test_plain_select_and_with_work(tmp_path: Path, sandbox: tuple[Path, Path]) -> None:
    db, _ = sandbox
    query = tmp_path / "q.sql"
    query.write_text("WITH d AS (SELECT * FROM documents) SELECT service_task, count(*) AS n FROM d GROUP BY ALL")
    assert run_query(db, query).to_dicts() == [{"service_task": "10", "n": 1}]
