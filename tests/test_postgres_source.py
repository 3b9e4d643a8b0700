"""Catalog tables read from a live PostgreSQL server (format = "postgres"): the four demo requests release the
same bytes as from the Parquet files; a missing variable, a wrong password, a missing table or column and a
wrong type each stop the run in one line that never shows the password."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from postgres_cluster import PASSWORD, catalog_on_postgres, new_database, temporary_cluster

from conftest import REPO, TEST_KEY, run_env
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract

DEMO = ["research_request", "audit_request", "microdata_request", "notes_request"]
VARIABLE = "EXTRACTOR_TEST_REGISTRY_DB"


@pytest.fixture(scope="module")
def database(registry: Path) -> Iterator[str]:
    """The test registry's Parquet files loaded into a fresh database; yields its connection string."""
    import adbc_driver_postgresql.dbapi as postgres

    with temporary_cluster() as base:
        uri = new_database(base, "registry")
        with postgres.connect(uri) as con, con.cursor() as cur:
            for file in sorted(registry.glob("*.parquet")):
                cur.adbc_ingest(file.stem, pl.read_parquet(file).to_arrow(), mode="create")
            cur.execute("ALTER TABLE clients ADD COLUMN not_declared text DEFAULT 'never read'")
            con.commit()
        yield uri


def _catalog_on_postgres(folder: Path, variable: str = VARIABLE, edit: dict[str, str] | None = None) -> Path:
    return catalog_on_postgres(REPO, folder, variable, edit)


def _released(result) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(result.release_dir.glob("*.csv"))}


@pytest.mark.parametrize("request_file", DEMO)
def test_demo_requests_release_the_same_bytes_from_postgresql_and_parquet(
        database: str, registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_file: str) -> None:
    monkeypatch.setenv(VARIABLE, database)
    requests = _catalog_on_postgres(tmp_path / "w")
    parquet = run_extract(load_config(REPO / "examples" / "registry" / f"{request_file}.toml", registry),
                          tmp_path / "p", TEST_KEY.encode())
    postgres = run_extract(load_config(requests / f"{request_file}.toml", registry), tmp_path / "g",
                           TEST_KEY.encode())
    assert _released(postgres) == _released(parquet) and _released(parquet)
    assert postgres.eligibility.register_summary == parquet.eligibility.register_summary
    written = b"".join(p.read_bytes() for p in postgres.run_dir.rglob("*") if p.is_file())
    assert PASSWORD.encode() not in written and b"127.0.0.1" not in written  # no connection detail in any file


def _refusal(requests: Path, registry: Path, out: Path) -> str:
    with pytest.raises(ExtractorError) as info:
        run_extract(load_config(requests / "research_request.toml", registry), out, TEST_KEY.encode())
    message = str(info.value)
    assert "\n" not in message and PASSWORD not in message
    assert not list(out.rglob("*.csv")), "a refused run left files behind"
    return message


def test_an_unset_variable_is_named(database: str, registry: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    message = _refusal(_catalog_on_postgres(tmp_path / "w"), registry, tmp_path / "out")
    assert f"tables.clients.connection: expected the environment variable {VARIABLE} set" in message


def test_a_wrong_password_is_refused_without_showing_it(database: str, registry: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, database.replace(PASSWORD, "not-the-password-93"))
    message = _refusal(_catalog_on_postgres(tmp_path / "w"), registry, tmp_path / "out")
    assert "could not connect to PostgreSQL at extractor@127.0.0.1:" in message
    assert "the server refused the user name or password" in message and "not-the-password-93" not in message


def test_a_key_value_connection_string_works_and_its_password_stays_hidden(
        database: str, registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host, port = re.search(r"@([\d.]+):(\d+)/", database).groups()
    monkeypatch.setenv(VARIABLE, f"host={host} port={port} dbname=registry user=extractor password=wrong-pw-77")
    message = _refusal(_catalog_on_postgres(tmp_path / "w"), registry, tmp_path / "out")
    assert "wrong-pw-77" not in message and "refused the user name or password" in message
    monkeypatch.setenv(VARIABLE, f"host={host} port={port} dbname=registry user=extractor password={PASSWORD}")
    result = run_extract(load_config(_catalog_on_postgres(tmp_path / "w2") / "research_request.toml", registry),
                         tmp_path / "ok", TEST_KEY.encode())
    assert _released(result)


@pytest.mark.parametrize(("edit", "expected"), [
    ({'table = "public.documents"': 'table = "public.no_such_table"'},
     r"tables\.documents\.table: expected a table or view readable at extractor@127\.0\.0\.1:\d+/registry, got "
     r"'public\.no_such_table: no such table or view'"),
    ({'surname = {': 'family_name = {'},
     r"tables\.clients\.columns\.family_name: expected a column of public\.clients \(it has: client_id, hetu, "),
    ({'version = { role = "other", type = "integer"': 'version = { role = "other", type = "date"'},
     r"tables\.documents\.columns\.version: expected type DATE in public\.documents, got 'INTEGER'"),
    ({'[tables.clients.columns]': '[tables.clients.columns]\nnot_declared = { role = "other", type = "DATE" }'},
     r"public\.clients:\d+: column not_declared: expected a date, got 'never read'"),
    ({'[tables.clients.columns]': '[tables.clients.columns]\nnot_declared = { role = "other", type = "BOOLEAN" }'},
     r"public\.clients:\d+: column not_declared: expected true or false, got 'never read'"),
])
def test_a_wrong_catalog_is_one_line_naming_its_key(database: str, registry: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, edit: dict, expected: str) -> None:
    monkeypatch.setenv(VARIABLE, database)
    assert re.search(expected, _refusal(_catalog_on_postgres(tmp_path / "w", edit=edit), registry, tmp_path / "o"))


def test_the_command_line_exits_2_in_one_line(database: str, registry: Path, tmp_path: Path) -> None:
    requests = _catalog_on_postgres(tmp_path / "w")
    env = run_env() | {VARIABLE: database.replace(PASSWORD, "bad-password-12")}
    run = subprocess.run([sys.executable, "-m", "extractor.cli", "run", str(requests / "research_request.toml"),
                          "--data-root", str(registry), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "bad-password-12" not in run.stderr + run.stdout and "Traceback" not in run.stderr


@pytest.mark.parametrize("variable", ["postgresql://u:secret-in-file@db/x", "EXTRACTOR_KEY", "EXTRACTOR_KEY_FILE",
                                      "PGPASSWORD", "EXTRACTOR_PROXY_SECRET"])
def test_the_connection_string_itself_or_the_key_s_variable_is_refused_unshown(tmp_path: Path, registry: Path,
                                                                               variable: str) -> None:
    """The string in the catalog file, or the pseudonymisation key's variable read as a connection string
    (its value would reach the driver and its messages): refused before anything is read."""
    requests = _catalog_on_postgres(tmp_path / "w", variable=variable)
    with pytest.raises(ExtractorError) as info:
        load_config(requests / "research_request.toml", registry)
    assert "connection: expected the name of an environment variable" in str(info.value)
    assert "secret-in-file" not in str(info.value) and TEST_KEY not in str(info.value)


def test_a_researcher_tries_a_request_on_dummy_data_without_the_server(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`extractor try` writes each PostgreSQL table's dummy data as Parquet and reads them there: no server,
    no connection string."""
    from extractor.machine import resolve
    from extractor.researcher.try_run import try_request

    monkeypatch.delenv(VARIABLE, raising=False)
    requests = _catalog_on_postgres(tmp_path / "w")
    tried = try_request(requests / "research_request.toml", tmp_path / "tried", None, 20_000, 1, resolve())
    assert tried.dummy_rows["clients"] == 20_000 and any(rows for rows in tried.files.values())


def test_a_password_from_pgpassword_is_used_and_never_shown(database: str, registry: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq's own PGPASSWORD: the connection string need not hold the password at all."""
    monkeypatch.setenv(VARIABLE, database.replace(f":{PASSWORD}", ""))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    result = run_extract(load_config(_catalog_on_postgres(tmp_path / "w") / "research_request.toml", registry),
                         tmp_path / "ok", TEST_KEY.encode())
    assert _released(result)
    monkeypatch.setenv("PGPASSWORD", "wrong-from-environment-5")
    message = _refusal(_catalog_on_postgres(tmp_path / "w2"), registry, tmp_path / "out")
    assert "wrong-from-environment-5" not in message and "refused the user name or password" in message


@pytest.mark.parametrize("dsn", ["postgresql://extractor:S3cr%zzetXY@127.0.0.1:1/registry",
                                 "host=127.0.0.1 user=extractor password=correct horse battery",
                                 "postgresql://127.0.0.1:1/registry?hunter2=1"])
def test_a_string_that_does_not_parse_is_named_without_its_pieces(registry: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, dsn: str) -> None:
    """libpq's parse errors quote the piece they stopped at (a password among them): none of it is shown."""
    monkeypatch.setenv(VARIABLE, dsn)
    message = _refusal(_catalog_on_postgres(tmp_path / "w"), registry, tmp_path / "out")
    assert "does not parse as" in message
    assert not any(piece in message for piece in ("S3cr", "zzet", "horse", "battery", "hunter2"))


def test_a_password_equal_to_the_user_name_or_a_word_of_the_message_stays_hidden(
        database: str, registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host, port = re.search(r"@([\d.]+):(\d+)/", database).groups()
    for n, password in enumerate(("secretuser9", "authentication")):
        monkeypatch.setenv(VARIABLE, f"postgresql://secretuser9:{password}@{host}:{port}/registry")
        message = _refusal(_catalog_on_postgres(tmp_path / f"w{n}"), registry, tmp_path / f"o{n}")
        assert password not in message and "refused the user name or password" in message
    assert "at ***@127.0.0.1:" not in message and "at secretuser9@127.0.0.1:" in message  # a user not the password


def test_a_view_whose_error_quotes_a_secret_does_not_show_it(database: str, registry: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's message while the rows stream (a view raising) is cleaned like any other."""
    import adbc_driver_postgresql.dbapi as postgres

    with postgres.connect(database) as con, con.cursor() as cur:
        cur.execute("CREATE OR REPLACE FUNCTION boom(t text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN "
                    f"RAISE EXCEPTION 'secret %', '{PASSWORD}'; END $$")
        cur.execute("CREATE OR REPLACE VIEW raising AS SELECT boom(registrar_oid) AS registrar_oid, registrar_name, "
                    "region_code FROM registrars")
        con.commit()
    monkeypatch.setenv(VARIABLE, database)
    requests = _catalog_on_postgres(tmp_path / "w", edit={'table = "public.registrars"': 'table = "public.raising"'})
    message = _refusal(requests, registry, tmp_path / "out")
    assert "could not be read: secret ***" in message


def test_a_list_column_is_not_its_items_type(database: str, registry: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import adbc_driver_postgresql.dbapi as postgres

    with postgres.connect(database) as con, con.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS documents_listed AS SELECT *, ARRAY[version] AS versions "
                    "FROM documents")
        con.commit()
    monkeypatch.setenv(VARIABLE, database)
    requests = _catalog_on_postgres(tmp_path / "w", edit={
        'table = "public.documents"': 'table = "public.documents_listed"',
        'version = { role = "other", type = "integer"': 'versions = { role = "other", type = "integer"'})
    assert re.search(r"columns\.versions: expected type BIGINT in public\.documents_listed, got 'INTEGER\[\]'",
                     _refusal(requests, registry, tmp_path / "out"))


def test_free_text_a_request_does_not_name_is_not_copied(database: str, registry: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The notes are most of a documents table's bytes: copied from the server only for a request that names them."""
    from extractor.machine import connect, resolve
    from extractor.sources import register_sources, unrequested_text

    monkeypatch.setenv(VARIABLE, database)
    requests = _catalog_on_postgres(tmp_path / "w")
    for request, copied in (("research_request", False), ("notes_request", True)):
        cfg = load_config(requests / f"{request}.toml", registry)
        with connect(resolve()) as con:
            register_sources(con, cfg.catalog, tmp_path / request, unrequested_text(cfg.request.variables))
            assert ("note" in [r[0] for r in con.execute("DESCRIBE raw.documents").fetchall()]) is copied


def test_spark_refuses_a_postgresql_table_in_one_line(tmp_path: Path, registry: Path) -> None:
    """Refused before any session or read: `--engine spark` does not read PostgreSQL tables."""
    from extractor.engine import spark_sources

    cfg = load_config(_catalog_on_postgres(tmp_path / "w") / "research_request.toml", registry)
    with pytest.raises(ExtractorError, match=r"tables\.clients\.format: expected a format Spark reads .*; postgres "
                                             r"sources need --engine duckdb, got 'postgres'$"):
        spark_sources.register_sources(None, cfg.catalog)  # type: ignore[arg-type]
