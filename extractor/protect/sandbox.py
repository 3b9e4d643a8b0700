"""Run a request's SQL on a locked DuckDB connection that sees only the protected sandbox tables.

The connection is read-only, cannot touch the file system (no read_csv, ATTACH, COPY, INSTALL/LOAD),
and its configuration is locked; the text must be exactly one SELECT (or WITH ... SELECT) statement.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from extractor.errors import ExtractorError
from extractor.machine import Limits, duckdb_config, resolve

LOCKED = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}


def open_locked(database: Path, limits: Limits | None = None) -> duckdb.DuckDBPyConnection:
    """Read-only, locked, sized by `limits` (the machine's own by default). It spills to DuckDB's default
    `<database>.tmp`, beside the sandbox in the run's private scratch folder (a locked connection may not
    name another)."""
    config = {**duckdb_config(limits or resolve()), **LOCKED}
    return duckdb.connect(str(database), read_only=True, config=config)


def run_query(database: Path, query_file: Path, limits: Limits | None = None) -> pl.DataFrame:
    sql = query_file.read_text(encoding="utf-8")
    con = open_locked(database, limits)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise ExtractorError(f"{query_file}: not valid SQL: {_first_line(exc)}") from None
        if len(statements) != 1:
            raise ExtractorError(f"{query_file}: expected exactly one SELECT statement, found {len(statements)}")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise ExtractorError(f"{query_file}: refused: only a SELECT (or WITH ... SELECT) statement may run, "
                                 f"this is {kind.name}")
        try:
            return con.sql(sql).pl()
        except duckdb.PermissionException as exc:
            raise ExtractorError(f"{query_file}: refused by the sandbox: {_first_line(exc)}") from None
        except duckdb.Error as exc:
            raise ExtractorError(f"{query_file}: the query failed: {_first_line(exc)}") from None
    finally:
        con.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
