"""Run a request's SQL on a locked DuckDB connection that sees only the protected sandbox tables.

The connection is read-only, cannot touch the file system (no read_csv, ATTACH, COPY, INSTALL/LOAD),
and its configuration is locked; the text must be exactly one SELECT (or WITH ... SELECT) statement.
What the query may see is decided from its parse tree (sandbox_guard.py): the sandbox's tables and its
own CTEs, no catalog or metadata functions that reveal paths or settings, no SQL run from a string.
A query is stopped after EXTRACTOR_QUERY_TIMEOUT seconds (default 3600) and by DuckDB's memory limit.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import polars as pl

from extractor.errors import ExtractorError, QueryFailed
from extractor.machine import Limits, duckdb_config, quiet, resolve
from extractor.protect.row_multiplication import refuse_multiplied_rows
from extractor.protect.sandbox_guard import refuse_unseen

LOCKED = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}
# Optimisations that count a join's rows without making them (a many-to-many join counted from both sides'
# groups): off in the sandbox, so that the profile shows every row a join makes (row_multiplication.py).
NO_PREAGGREGATION = "partial_aggregate_pushdown,self_join_aggregate"
TIMEOUT_VARIABLE = "EXTRACTOR_QUERY_TIMEOUT"
DEFAULT_TIMEOUT = 3600.0


def open_locked(database: Path, limits: Limits | None = None) -> duckdb.DuckDBPyConnection:
    """Read-only, locked, sized by `limits` (the machine's own by default). It spills to DuckDB's default
    `<database>.tmp`, beside the sandbox in the run's private scratch folder (a locked connection may not
    name another)."""
    config = {**duckdb_config(limits or resolve()), **LOCKED, "lock_configuration": False,
              "disabled_optimizers": NO_PREAGGREGATION}
    con = duckdb.connect(str(database), read_only=True, config=config)
    con.execute("SET enable_profiling = 'no_output'")  # the operator tree, kept in memory (row_multiplication.py)
    quiet(con)
    con.execute("SET lock_configuration = true")
    return con


def query_timeout() -> float:
    """Seconds a query may run: EXTRACTOR_QUERY_TIMEOUT, a positive number (one-line error otherwise)."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ExtractorError(f"{TIMEOUT_VARIABLE}={text!r}: expected a positive number of seconds")
    return value


def run_query(database: Path, query_file: Path, limits: Limits | None = None,
              person_tables: frozenset[str] | None = None, seconds: float | None = None) -> pl.DataFrame:
    """The query's rows; `person_tables` (lower case): the tables holding people's rows, for the check of
    rows a join makes (row_multiplication.py; None: all); `seconds`: a limit of the caller's own (else
    EXTRACTOR_QUERY_TIMEOUT)."""
    sql = query_file.read_text(encoding="utf-8")
    limit = f"the limit is {TIMEOUT_VARIABLE}" if seconds is None else "the limit of this check"
    seconds = seconds or query_timeout()
    limits = limits or resolve()
    con = open_locked(database, limits)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryFailed(f"{query_file}: not valid SQL: {_first_line(exc)}", query_file, sql, str(exc)) from None
        if len(statements) != 1:
            raise QueryFailed(f"{query_file}: expected exactly one SELECT statement, found {len(statements)}",
                              query_file, sql, "")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise QueryFailed(f"{query_file}: refused: only a SELECT (or WITH ... SELECT) statement may run, "
                              f"this is {kind.name}", query_file, sql, "")
        refuse_unseen(con, sql, query_file)
        finished = threading.Event()

        def stop() -> None:  # again every second: a deadline passed while still planning interrupts nothing
            while not finished.is_set():
                con.interrupt()
                finished.wait(1.0)

        timer = threading.Timer(seconds, stop)
        timer.daemon = True
        timer.start()
        try:
            frame = con.sql(sql).pl()
            refuse_multiplied_rows(con, query_file, person_tables)
            return frame
        except duckdb.InterruptException:
            raise ExtractorError(f"{query_file}: stopped after {seconds:g} s ({limit}); simplify the query or ask "
                                 "the controller for more time") from None
        except duckdb.OutOfMemoryException:
            raise ExtractorError(f"{query_file}: the query needed more memory than the limit of "
                                 f"{limits.memory_limit}; simplify it (a cross join or runaway recursion?)") from None
        except duckdb.PermissionException as exc:
            raise ExtractorError(f"{query_file}: refused by the sandbox: {_first_line(exc)}") from None
        except duckdb.Error as exc:
            named_only = isinstance(exc, duckdb.ParserException | duckdb.BinderException | duckdb.CatalogException)
            raise QueryFailed(f"{query_file}: the query failed: {_first_line(exc)}", query_file, sql,
                              str(exc), before_data=named_only) from None
        finally:
            finished.set()
            timer.cancel()
    finally:
        con.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
