"""Register the catalog's files as DuckDB views (schema `raw`), read with their declared types.

Views, not copies: nothing is read until a later stage asks, and only the columns it asks for. A CSV
column with a declared (or, for registers, implied) type is read as text and converted in the view:
dates and timestamps by their `format`, decimals by the source's separator, codes kept as text with
their leading zeros; an empty cell is null, so a column nobody ever filled is simply null. Before any
stage runs, one scan per file finds the first value that does not convert and stops the run with
`FILE:LINE: column C: expected …, got '…'`. A CSV in another encoding is transcoded to UTF-8 in the
run's private scratch folder first. Registers carry `__line`, the line of the file each row came from,
so the DPO report can point at it.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from extractor import fhir_consent, fhir_source
from extractor.config.catalog import SPARK_ONLY_FORMATS, Catalog, Column, Source
from extractor.errors import ConfigError, ExtractorError
from extractor.postgres_source import Snapshots
from extractor.source_errors import unreadable as _unreadable
from extractor.source_values import converted_select, converted_sql, first_bad_value, place
from extractor.sql import quote_ident, quote_literal

# Declared type -> DuckDB type names that satisfy it in a typed file (Parquet, DuckDB).
_FAMILIES = {
    "VARCHAR": ("VARCHAR",),
    "DATE": ("DATE",),
    "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
    "BIGINT": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
               "UBIGINT"),
    "DOUBLE": ("FLOAT", "DOUBLE", "DECIMAL"),
    "BOOLEAN": ("BOOLEAN",),
}
_FAMILIES["INTEGER"] = _FAMILIES["BIGINT"]
# Keys compared as text with the registers' (a person, a document, a registrar): a whole number a file stores as
# floating point is read as an integer, else 123.0 would match no register's 123.
KEY_ROLES = ("person_key", "document_key", "document_version", "registrar")
# A Parquet table's view in schema `numbered` adds each row's place in the file (free, from the reader): the rows
# eligibility leaves out are then removed from the sandbox by that number, not by evaluating every rule again.
ROW = "file_row_number"


@dataclass(frozen=True)
class Registered:
    """What the sources stage did, for the report."""

    views: dict[str, str]  # view name -> file
    rows: dict[str, int]


def utf8_path(src: Source, scratch: Path | None) -> Path:
    """The file to read: itself when UTF-8, else a UTF-8 copy in the scratch folder."""
    if src.format != "csv":
        return src.path
    with src.path.open("rb") as fh:
        bom = fh.read(3) == codecs.BOM_UTF8
    if bom and src.encoding not in ("utf-8", "utf-8-sig"):
        raise ExtractorError(f"{src.path}: starts with a UTF-8 byte-order mark, but the catalog says encoding = "
                             f"{src.encoding!r}; declare encoding = \"utf-8\"")
    if src.encoding in ("utf-8", "utf-8-sig"):
        return src.path
    if scratch is None:
        raise ExtractorError(f"{src.path}: encoding {src.encoding} needs a scratch folder to transcode into")
    scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = scratch / f"{len(list(scratch.iterdir()))}_{src.path.stem}.utf8.csv"
    try:
        with src.path.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
            shutil.copyfileobj(codecs.getreader(src.encoding)(raw, errors="strict"), out, 1 << 20)
    except UnicodeError as exc:
        where = f"byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else str(exc).split(":")[0]
        raise ExtractorError(f"{src.path}: {where} is not {src.encoding} text (the catalog's encoding)") from None
    return target


def _read_csv(src: Source, path: Path) -> str:
    """read_csv of the file with every column as text: no type guess strips a leading zero or fails on row
    100,000; declared columns are converted afterwards, the rest stay text."""
    opts = ["header = true", "all_varchar = true"]
    if src.delimiter:
        opts.append(f"delim = {quote_literal(src.delimiter)}")
    return f"read_csv({quote_literal(str(path))}, {', '.join(opts)})"


def _csv(src: Source, path: Path, typed: tuple[Column, ...], line: bool) -> str:
    """A SELECT over the CSV: declared columns converted; `__line` (the file's line) if asked."""
    replace = ", ".join(f"{converted_sql(c, src, quote_ident(c.name))} AS {quote_ident(c.name)}"
                        for c in typed if c.type and c.type != "VARCHAR")
    star = f"* REPLACE ({replace})" if replace else "*"
    numbered = "row_number() OVER () + 1 AS __line, " if line else ""
    return f"SELECT {numbered}{star} FROM {_read_csv(src, path)}"


def _reader(con: duckdb.DuckDBPyConnection, name: str, src: Source, typed: tuple[Column, ...],
            scratch: Path | None, line: bool, copied: str | None = None) -> str:
    if copied is not None:  # a PostgreSQL table, read into DuckDB (postgres_source.py)
        base = quote_ident(copied)
    elif src.format == "ndjson":  # FHIR: Consents as a register of choices, or a table of declared paths
        if src.resource == "Consent" and name.startswith("register_"):
            fhir_consent.check(con, src)
            select = fhir_consent.register_select(src, name.removeprefix("register_"))
        else:
            raw = fhir_source.raw_select(src, typed)
            fhir_source.check_lines(con, src, raw, typed)
            select = fhir_source.value_select(raw, typed, line=True, resource=src.resource or "")
        first_bad_value(con, src, select, typed)  # values as text: checked, then converted
        return f"({converted_select(src, select, typed, line)})"
    elif src.format == "csv":
        path = utf8_path(src, scratch)
        first_bad_value(con, src, _csv(src, path, (), line=True), typed)
        return f"({_csv(src, path, typed, line)})"
    elif src.format == "parquet":
        base = f"read_parquet({quote_literal(str(src.path))})"
    else:
        alias = quote_ident(f"src_{name}")
        con.execute(f"ATTACH IF NOT EXISTS {quote_literal(str(src.path))} AS {alias} (READ_ONLY)")
        base = f"{alias}.{quote_ident(src.table or name)}"
    return f"(SELECT row_number() OVER () AS __line, * FROM {base})" if line else base


def typed_file_columns(con: duckdb.DuckDBPyConnection, view: str, src: Source, columns: tuple[Column, ...],
                        actual: dict[str, str], catalog: Catalog, key_prefix: str) -> list[str]:
    """Parquet/DuckDB: a declared type the file does not have is converted when the file holds text or
    nothing at all in that column; otherwise the catalog is wrong (one line naming the key)."""
    replace = []
    for col in columns:
        have = actual[col.name]
        q = quote_ident(col.name)
        floating = any(have.startswith(t) for t in _FAMILIES["DOUBLE"])
        if floating and (col.type in ("BIGINT", "INTEGER") or (not col.type and col.role in KEY_ROLES)):
            _whole_numbers(con, view, src, col, actual)  # integers an export stored as floating point (OMOP); a
            replace.append(f"CAST({q} AS BIGINT) AS {q}")  # key as 123.0 is 123, as its register writes it
            continue
        if not col.type or (not have.endswith("]") and any(have == t or have.startswith(t + "(")
                                                           for t in _FAMILIES.get(col.type, (col.type,)))):
            continue  # the declared family (DECIMAL(10,3) is a DECIMAL); a list (INTEGER[]) is never its items' type
        if col.implied and col.type == "VARCHAR" and have in _FAMILIES["BIGINT"]:
            replace.append(f"CAST({q} AS VARCHAR) AS {q}")  # an integer key of a register: its digits as text
            continue
        if col.type == "DATE" and have in _FAMILIES["TIMESTAMP"] and key_prefix.startswith("registers."):
            replace.append(f"CAST({q} AS DATE) AS {q}")  # a register's time of day: its day (register_each)
            continue
        if col.type == "DOUBLE" and have in _FAMILIES["BIGINT"]:
            replace.append(f"CAST({q} AS DOUBLE) AS {q}")  # whole numbers are decimals too
            continue
        filled = con.execute(f"SELECT count({q}) FROM raw.{quote_ident(view)}").fetchall()[0][0]
        if actual[col.name] == "VARCHAR" or not filled:
            if filled:  # text in a typed file: every value must convert, or the run stops naming the row
                numbered = "*" if "__line" in actual else "row_number() OVER () AS __line, *"
                first_bad_value(con, src, f"SELECT {numbered} FROM raw.{quote_ident(view)}", (col,))
            replace.append(f"{converted_sql(col, src, f'CAST({q} AS VARCHAR)')} AS {q}")
        else:
            raise ConfigError(catalog.path, f"{key_prefix}.columns.{col.name}",
                              f"type {col.type} in {src.path.name}", actual[col.name])
    return replace


def _whole_numbers(con: duckdb.DuckDBPyConnection, view: str, src: Source, col: Column, actual: dict[str, str]) -> None:
    """An integer column a file stores as floating point or decimal: every value must be whole (and fit), or the
    run stops naming the first row that is not."""
    q = quote_ident(col.name)
    numbered = "*" if "__line" in actual else "row_number() OVER () AS __line, *"
    bad = con.execute(f"SELECT __line, CAST({q} AS VARCHAR) FROM (SELECT {numbered} FROM raw.{quote_ident(view)}) "
                      f"WHERE {q} IS NOT NULL AND ({q} <> trunc({q}) OR abs({q}) >= 9.2e18) ORDER BY __line "
                      "LIMIT 1").fetchall()
    if bad:
        raise ExtractorError(f"{place(src, bad[0][0])}: column {col.name}: expected an integer, got {bad[0][1]!r}")


def _register(con: duckdb.DuckDBPyConnection, view: str, src: Source, columns: tuple[Column, ...],
              catalog: Catalog, key_prefix: str, scratch: Path | None, line: bool = False,
              databases: Snapshots | None = None, unread: Callable[[str, Column], bool] | None = None) -> None:
    name = quote_ident(view)
    if src.format == "postgres" and unread is not None:
        columns = tuple(c for c in columns if not unread(view, c))
    copied = databases.table(con, view, src, columns, key_prefix) if databases and src.format == "postgres" else None
    try:
        con.execute(f"CREATE OR REPLACE VIEW raw.{name} AS SELECT * FROM "
                    f"{_reader(con, view, src, columns, scratch, line, copied)}")
        described = con.execute(f"DESCRIBE raw.{name}").fetchall()
    except duckdb.Error as exc:
        raise _unreadable(catalog, key_prefix, src, exc) from None
    actual = {row[0]: str(row[1]).upper() for row in described}
    renamed = case_renames(columns, actual)
    actual = {renamed.get(a, a): t for a, t in actual.items()}
    missing = [c.name for c in columns if c.name not in actual]
    if missing:
        raise ConfigError(catalog.path, f"{key_prefix}.columns.{missing[0]}",
                          f"a column of {src.path.name} (it has: {', '.join(a for a in actual if a != '__line')})")
    pairs = ", ".join(f"{quote_ident(a)} AS {quote_ident(c)}" for a, c in renamed.items())
    rename = f" RENAME ({pairs})" if renamed else ""
    if renamed:
        con.execute(f"CREATE OR REPLACE VIEW raw.{name} AS SELECT *{rename} FROM "
                    f"{_reader(con, view, src, columns, scratch, line, copied)}")
    if src.format == "ndjson":
        _parsed_once(con, name, src, catalog, key_prefix)
    if src.format not in ("csv", "ndjson"):
        replace = typed_file_columns(con, view, src, columns, actual, catalog, key_prefix)
        if replace:
            inner = f"(SELECT *{rename} FROM {_reader(con, view, src, columns, scratch, line, copied)})"
            con.execute(f"CREATE OR REPLACE VIEW raw.{name} AS SELECT * REPLACE ({', '.join(replace)}) FROM {inner}")
        if src.format == "parquet" and not line and ROW not in actual:
            con.execute("CREATE SCHEMA IF NOT EXISTS numbered")
            typed = f" REPLACE ({', '.join(replace)})" if replace else ""
            con.execute(f"CREATE OR REPLACE VIEW numbered.{name} AS SELECT *{typed} FROM (SELECT *{rename} FROM "
                        f"read_parquet({quote_literal(str(src.path))}, file_row_number = true))")


def _parsed_once(con: duckdb.DuckDBPyConnection, name: str, src: Source, catalog: Catalog, key_prefix: str) -> None:
    """A FHIR export's declared columns, parsed from its JSON lines once into a table that the view then reads:
    the checks, the counts, the rules and the sandbox each read a register or table again (a ban register's
    duplicate and overlap checks read it four times, each a union of three passes over the Consents), and
    every read of the view would parse the JSON again."""
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS parsed")
        con.execute(f"CREATE OR REPLACE TABLE parsed.{name} AS SELECT * FROM raw.{name}")
        con.execute(f"CREATE OR REPLACE VIEW raw.{name} AS SELECT * FROM parsed.{name}")
    except duckdb.Error as exc:
        raise _unreadable(catalog, key_prefix, src, exc) from None


def case_renames(columns: tuple[Column, ...], actual: dict[str, str]) -> dict[str, str]:
    """Source column -> catalog name, for declared columns the source spells in another case only (OMOP
    databases write PERSON_ID or person_id by their DBMS's habit): one catalog serves both. A name two
    source columns match is left alone, and then reported missing."""
    out = {}
    for col in columns:
        if col.name not in actual:
            found = [a for a in actual if a.lower() == col.name.lower()]
            if len(found) == 1:
                out[found[0]] = col.name
    return out


def unrequested_text(variables: dict[str, tuple[str, ...]] | None) -> Callable[[str, Column], bool]:
    """Whether a table's column is free text the request does not name: no stage reads it (protect/build.py
    gives a query free text only when named), so a database table's copy leaves it out (its bulk, in notes)."""
    return lambda table, c: c.role == "free_text" and c.name not in (variables or {}).get(table, ())


def register_sources(con: duckdb.DuckDBPyConnection, catalog: Catalog, scratch: Path | None = None,
                     unread: Callable[[str, Column], bool] | None = None) -> Registered:
    """Register every table and register as a view; `scratch` holds transcoded copies of non-UTF-8 CSVs;
    `unread` columns (unrequested_text) are not copied from a database."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    refuse_formats(catalog, SPARK_ONLY_FORMATS, "DuckDB reads (parquet, csv, duckdb, postgres)", "spark")
    with Snapshots(catalog) as databases:
        return register_each(con, catalog, scratch, functools.partial(_register, databases=databases, unread=unread))


def refuse_formats(catalog: Catalog, formats: tuple[str, ...], reads: str, engine: str) -> None:
    """One line for the first table or register in a format this engine does not read (before anything is read)."""
    for key, src in [(f"tables.{t.name}", t.source) for t in catalog.tables.values()] + [
            (f"registers.{r.kind}", r.source) for r in catalog.registers.values()]:
        if src.format in formats:
            raise ConfigError(catalog.path, f"{key}.format", f"a format {reads}; {src.format} sources need "
                              f"--engine {engine}", src.format)


def register_each(con: Any, catalog: Catalog, scratch: Path | None, register: Callable[..., None]) -> Registered:
    """Every table, then every register (numbered by line), through `register` (DuckDB's or Spark's)."""
    views: dict[str, str] = {}
    for t in catalog.tables.values():
        register(con, t.name, t.source, t.columns, catalog, f"tables.{t.name}", scratch)
        views[t.name] = str(t.source.path)
    for r in catalog.registers.values():
        # A register's rules are about days (set on, withdrawn on): a time of day written with a date is read as
        # that day, so an opt-out made at 10:00 on the grant day is in force on that day.
        cols = tuple(dataclasses.replace(c, type="DATE") if c.type == "TIMESTAMP" else c
                     for c in (r.types.get(k, Column(v, "other")) for k, v in r.columns.items()))
        register(con, f"register_{r.kind}", r.source, cols, catalog, f"registers.{r.kind}", scratch, line=True)
        views[f"register_{r.kind}"] = str(r.source.path)
    counted = con.execute("SELECT * FROM " + ", ".join(f"(SELECT count(*) FROM raw.{quote_ident(v)}) c{i}"
                                                       for i, v in enumerate(views))).fetchone() if views else ()
    return Registered(views, dict(zip(views, counted, strict=True)))  # one pass: on Spark each query is a job
