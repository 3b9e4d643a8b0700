"""Catalog tables read from a live PostgreSQL database (`format = "postgres"`), through ADBC: Arrow into DuckDB.

The connection string comes from the environment variable the catalog names (`connection`, default
EXTRACTOR_POSTGRES), never from the catalog file, and no message shows it: errors name the catalog key, the
host, port, database and user (a part equal to the password as ***), a failed connection's reason in words of
our own (libpq's text can quote the string) and a table's error with every secret masked. Each connection string
gets one read-only, repeatable-read transaction for the whole run: every table is read from one snapshot, as a
consistent export would be. Only the columns the catalog declares are read (one SELECT per table), streamed
in Arrow batches into a DuckDB temporary table, which spills to the run's temp folder when large; the later
stages scan DuckDB, not the server. Types arrive as PostgreSQL has them (numeric as text, which sources.py
converts like text in a typed file).
"""

from __future__ import annotations

import os
import re
from typing import Any

import duckdb

from extractor.config.catalog import Catalog, Column, Source
from extractor.errors import ConfigError, ExtractorError
from extractor.sql import quote_ident

LOCK_TIMEOUT = "60s"  # a table locked by another session stops the run instead of hanging it


# libpq's reasons for a failed connection, in words of our own: a server's message can quote a piece of the
# connection string (or a password equal to one of its words), so none of it is passed on.
_CONNECT_REASONS = (("password authentication failed", "the server refused the user name or password"),
                    ("no password supplied", "no password (in the string, PGPASSWORD or ~/.pgpass)"),
                    ("does not exist", "no such database or user on the server"),
                    ("Connection refused", "nothing listens there (connection refused)"),
                    ("could not translate host name", "the host name does not resolve"),
                    ("timeout", "the server did not answer in time"),
                    ("SSL", "the SSL set-up did not match the server's"),
                    ("no pg_hba.conf entry", "the server does not accept this client (pg_hba.conf)"))


def _parts(dsn: str) -> dict[str, str] | None:
    """The connection string's parts as libpq parses it (URI or key=value), or None if it does not parse."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        return {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except Exception:  # noqa: BLE001 - a parse failure's text quotes the string: it is not kept
        return None


def _secrets(parts: dict[str, str], dsn: str) -> list[str]:
    return [s for s in (dsn, parts.get("password"), os.environ.get("PGPASSWORD")) if s]


def _where(parts: dict[str, str], secrets: list[str]) -> str:
    """'user@host:port/dbname' for messages, any part that equals a secret shown as ***."""
    def shown(value: str) -> str:
        return "***" if value in secrets else value
    user = shown(parts["user"]) + "@" if parts.get("user") else ""
    return f"{user}{shown(parts.get('host', 'localhost'))}:{shown(parts.get('port', '5432'))}/" \
           f"{shown(parts.get('dbname', ''))}"


def _clean(text: str, secrets: list[str]) -> str:
    """A server's message about a table as one line: the driver's prefixes gone, every secret masked."""
    text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    text = re.sub(r"^.*?\[libpq\] ", "", text)
    text = re.sub(r"^(?:[A-Z_]+: )?(?:Failed to (?:connect|prepare query|execute query)|Execution error "
                  r"\[PGRES_FATAL_ERROR\]): ", "", text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text.removeprefix("ERROR:").strip() or "no reason given"


def quote_table(name: str) -> str:
    return ".".join(quote_ident(part) for part in name.split("."))


class Snapshots:
    """The run's PostgreSQL connections, one per connection string, each in one read-only transaction;
    each table read once into DuckDB (sources.py asks again when it converts a column's type)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._connections: dict[str, Any] = {}
        self._read: dict[str, str] = {}

    def __enter__(self) -> Snapshots:
        return self

    def __exit__(self, *exc: object) -> None:
        for connection in self._connections.values():
            try:
                connection.rollback()
                connection.close()
            except Exception:  # noqa: BLE001, S110 - closing a read-only transaction: nothing to lose
                pass

    def _connection(self, src: Source, key: str) -> tuple[Any, str, list[str]]:
        """(connection, where for messages, secrets to mask) for the source's connection string."""
        env = src.connection or ""
        dsn = os.environ.get(env, "").strip()
        if not dsn:
            raise ConfigError(self.catalog.path, f"{key}.connection", f"the environment variable {env} set to a "
                              "PostgreSQL connection string (postgresql://user@host:port/database)", "it is not set")
        parts = _parts(dsn)
        if parts is None:
            raise ConfigError(self.catalog.path, f"{key}.connection", f"${env} to hold a PostgreSQL connection "
                              "string (postgresql://user@host:port/database or host=… dbname=… user=…)",
                              "a value that does not parse as one")
        secrets = _secrets(parts, dsn)
        where = _where(parts, secrets)
        if dsn in self._connections:
            return self._connections[dsn], where, secrets
        try:
            import adbc_driver_postgresql.dbapi as postgres
        except ImportError:
            raise ExtractorError("format = \"postgres\" needs the ADBC driver: pip install 'extractor[postgres]'") \
                from None
        try:
            connection = postgres.connect(dsn)
        except Exception as exc:  # noqa: BLE001 - the driver's own types; its text is not passed on
            reason = next((ours for theirs, ours in _CONNECT_REASONS if theirs in str(exc)),
                          "the connection failed (the server's log says why)")
            raise ExtractorError(f"{self.catalog.path}: {key}.connection: could not connect to PostgreSQL at "
                                 f"{where} (from ${env}): {reason}") from None
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        self._connections[dsn] = connection
        return connection, where, secrets

    def table(self, con: duckdb.DuckDBPyConnection, view: str, src: Source, columns: tuple[Column, ...],
              key: str) -> str:
        """The DuckDB temporary table holding the declared columns of `src`, read now if not yet read."""
        if view in self._read:
            return self._read[view]
        connection, where, secrets = self._connection(src, key)
        name = src.table or view
        try:
            with connection.cursor() as cur:
                cur.execute(f"SELECT * FROM {quote_table(name)} LIMIT 0")
                actual = [d[0] for d in cur.description or []]
                missing = [c.name for c in columns if c.name not in actual]
                if missing:
                    raise ConfigError(self.catalog.path, f"{key}.columns.{missing[0]}",
                                      f"a column of {name} (it has: {', '.join(actual)})")
                wanted = [c.name for c in columns] or actual
                cur.execute(f"SELECT {', '.join(quote_ident(c) for c in wanted)} FROM {quote_table(name)}")
                target = f"pg__{view}"
                con.register("pg__batches", cur.fetch_record_batch())
                try:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(target)} AS SELECT * FROM pg__batches")
                finally:
                    con.unregister("pg__batches")
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - the driver's and DuckDB's own types; the text is cleaned
            reason = _clean(str(exc), secrets)
            if "42P01" in str(exc) or "does not exist" in reason:
                raise ConfigError(self.catalog.path, f"{key}.table", f"a table or view readable at {where}",
                                  f"{name}: no such table or view") from None
            if "lock timeout" in reason:
                reason = f"another session held a lock on it for {LOCK_TIMEOUT}"
            raise ExtractorError(f"{self.catalog.path}: {key}.table: {name} at {where} could not be read: "
                                 f"{reason}") from None
        self._read[view] = target
        return target

