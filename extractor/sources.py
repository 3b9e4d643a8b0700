"""Register the catalog's files as DuckDB views (schema `raw`) and check declared columns and types.

Views, not copies: nothing is read until a later stage asks, and only the columns it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from extractor.config.catalog import Catalog, Column, Source
from extractor.errors import ConfigError
from extractor.sql import quote_ident, quote_literal

# Declared type -> DuckDB type names that satisfy it.
_FAMILIES = {
    "VARCHAR": ("VARCHAR",),
    "DATE": ("DATE",),
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
    "INTEGER": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT"),
    "DOUBLE": ("FLOAT", "DOUBLE", "DECIMAL"),
    "BOOLEAN": ("BOOLEAN",),
}


@dataclass(frozen=True)
class Registered:
    """What the sources stage did, for the report."""

    views: dict[str, str]  # view name -> file
    rows: dict[str, int]


def _reader(con: duckdb.DuckDBPyConnection, name: str, src: Source, columns: tuple[Column, ...]) -> str:
    path = quote_literal(str(src.path))
    if src.format == "parquet":
        return f"read_parquet({path})"
    if src.format == "csv":
        # Declared types are imposed, so leading zeros (postal codes) survive auto-detection.
        types = ", ".join(f"{quote_literal(c.name)}: {quote_literal(c.type)}" for c in columns if c.type)
        opts = ["header = true", f"types = {{{types}}}" if types else ""]
        if src.delimiter:
            opts.append(f"delim = {quote_literal(src.delimiter)}")
        return f"read_csv({path}, {', '.join(o for o in opts if o)})"
    alias = quote_ident(f"src_{name}")
    con.execute(f"ATTACH IF NOT EXISTS {path} AS {alias} (READ_ONLY)")
    return f"{alias}.{quote_ident(src.table or name)}"


def _register(con: duckdb.DuckDBPyConnection, view: str, src: Source, columns: tuple[Column, ...],
              catalog: Catalog, key_prefix: str) -> None:
    try:
        con.execute(f"CREATE OR REPLACE VIEW raw.{quote_ident(view)} AS SELECT * FROM "
                    f"{_reader(con, view, src, columns)}")
        described = con.execute(f"DESCRIBE raw.{quote_ident(view)}").fetchall()
    except duckdb.Error as exc:
        raise ConfigError(catalog.path, f"{key_prefix}.path", "a readable file of the declared format",
                          f"{src.path.name}: {str(exc).splitlines()[0]}") from None
    actual = {row[0]: str(row[1]).upper() for row in described}
    for col in columns:
        if col.name not in actual:
            raise ConfigError(catalog.path, f"{key_prefix}.columns.{col.name}",
                              f"a column of {src.path.name} (it has: {', '.join(actual)})")
        if col.type and not any(actual[col.name].startswith(t) for t in _FAMILIES.get(col.type, (col.type,))):
            raise ConfigError(catalog.path, f"{key_prefix}.columns.{col.name}",
                              f"type {col.type} in {src.path.name}", actual[col.name])


def register_sources(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> Registered:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    views: dict[str, str] = {}
    for t in catalog.tables.values():
        _register(con, t.name, t.source, t.columns, catalog, f"tables.{t.name}")
        views[t.name] = str(t.source.path)
    for r in catalog.registers.values():
        cols = tuple(Column(c, "other") for c in r.columns.values())
        _register(con, f"register_{r.kind}", r.source, cols, catalog, f"registers.{r.kind}")
        views[f"register_{r.kind}"] = str(r.source.path)
    rows = {v: con.execute(f"SELECT count(*) FROM raw.{quote_ident(v)}").fetchone()[0] for v in views}
    return Registered(views, rows)
