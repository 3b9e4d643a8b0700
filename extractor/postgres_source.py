"""Catalog tables read from a live PostgreSQL database (`format = "postgres"`), through ADBC: Arrow into DuckDB.

The connection string comes from the environment variable the catalog names (`connection`, default
EXTRACTOR_POSTGRES), never from the catalog file, and no message shows it: errors name the catalog key, the
host, port, database and user, and the server's reason with the password taken out. Each connection string
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


def _where(dsn: str) -> tuple[str, list[str]]:
    """'user@host:port/dbname' for messages, and the strings no message may hold (the password, the DSN)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - any parse failure: say nothing of the string
        return "the server", [dsn, os.environ.get("PGPASSWORD", "")]
    secret = [dsn] + [str(p) for p in (parts.get("password"), os.environ.get("PGPASSWORD")) if p]
    host, port, db = parts.get("host", "localhost"), parts.get("port", "5432"), parts.get("dbname", "")
    return f"{parts.get('user', '') + '@' if parts.get('user') else ''}{host}:{port}/{db}", secret


def _reason(exc: BaseException, secrets: list[str]) -> str:
    """The driver's first line, without the driver's prefix and without any secret."""
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    text = re.sub(r"^[A-Z_]+: (?:\[libpq\] )?", "", text)
    text = re.sub(r"^Failed to (?:connect|prepare query|execute query): ", "", text)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text.removeprefix("ERROR:").strip()


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

    def _connection(self, src: Source, key: str) -> Any:
        env = src.connection or ""
        dsn = os.environ.get(env, "").strip()
        if not dsn:
            raise ConfigError(self.catalog.path, f"{key}.connection", f"the environment variable {env} set to a "
                              "PostgreSQL connection string (postgresql://user@host:port/database)", "it is not set")
        if dsn in self._connections:
            return self._connections[dsn]
        try:
            import adbc_driver_postgresql.dbapi as postgres
        except ImportError:
            raise ExtractorError("format = \"postgres\" needs the ADBC driver: pip install 'extractor[postgres]'") \
                from None
        where, secrets = _where(dsn)
        try:
            connection = postgres.connect(dsn if "://" in dsn else _as_uri(dsn))
        except Exception as exc:  # noqa: BLE001 - the driver's own types; the message is cleaned below
            raise ExtractorError(f"{self.catalog.path}: {key}.connection: could not connect to PostgreSQL at "
                                 f"{where} (from ${env}): {_reason(exc, secrets)}") from None
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self._connections[dsn] = connection
        return connection

    def table(self, con: duckdb.DuckDBPyConnection, view: str, src: Source, columns: tuple[Column, ...],
              key: str) -> str:
        """The DuckDB temporary table holding the declared columns of `src`, read now if not yet read."""
        if view in self._read:
            return self._read[view]
        connection = self._connection(src, key)
        where, secrets = _where(os.environ.get(src.connection or "", ""))
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
        except duckdb.Error as exc:
            raise ExtractorError(f"{self.catalog.path}: {key}.table: {name} at {where} could not be read into "
                                 f"DuckDB: {str(exc).strip().splitlines()[0]}") from None
        except Exception as exc:  # noqa: BLE001 - the driver's own types; the message is cleaned
            raise ConfigError(self.catalog.path, f"{key}.table", f"a table or view readable at {where}",
                              f"{name}: {_reason(exc, secrets)}") from None
        self._read[view] = target
        return target


def _as_uri(dsn: str) -> str:
    """A key=value connection string as the URI the driver wants."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    parts = conninfo_to_dict(make_conninfo(dsn))
    from urllib.parse import quote

    auth = quote(str(parts.pop("user", "")), safe="") + (":" + quote(str(parts.pop("password")), safe="")
                                                         if parts.get("password") else "")
    host, port, db = parts.pop("host", "localhost"), parts.pop("port", "5432"), parts.pop("dbname", "")
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in parts.items())
    return f"postgresql://{auth + '@' if auth else ''}{host}:{port}/{quote(str(db), safe='')}" + \
        (f"?{query}" if query else "")

