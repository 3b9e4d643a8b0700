"""Where a catalog table or register is read from: a file (Parquet, CSV, a DuckDB database) or a table of a
PostgreSQL database or of Spark's catalog, with the reading options of its format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from extractor.config.toml_fields import Fields

FORMATS = ("parquet", "csv", "duckdb", "delta", "spark_table", "postgres", "ndjson")
SPARK_ONLY_FORMATS = ("delta", "spark_table")  # read by --engine spark only
DUCKDB_ONLY_FORMATS = ("postgres", "ndjson")  # read by --engine duckdb only (postgres_source.py, fhir_source.py)
NOT_FILES = ("spark_table", "postgres")  # tables named in a catalog or database, not files
POSTGRES_ENV = "EXTRACTOR_POSTGRES"  # the environment variable holding the connection string, unless named
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "windows-1252", "latin-1", "iso-8859-1", "iso-8859-15", "utf-16")
# A column's path in a FHIR resource (ndjson): elements, each with an optional list index.
PATH_RULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?)*")
_FORMAT_BY_SUFFIX = {".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".duckdb": "duckdb", ".db": "duckdb",
                     ".ndjson": "ndjson", ".jsonl": "ndjson"}


@dataclass(frozen=True)
class Source:
    """A file (or a table in a DuckDB file) that sources.py registers as a view."""

    path: Path
    format: str
    table: str | None = None  # for DuckDB files
    delimiter: str | None = None  # for CSV
    encoding: str = "utf-8"  # for CSV: others are transcoded into the run's scratch folder first
    decimal: str = "."  # for CSV: the decimal separator of `decimal` columns
    relative: str = ""  # the path as the catalog wrote it, under its root (dummy data is written there)
    connection: str | None = None  # postgres: the environment variable that holds the connection string
    resource: str | None = None  # ndjson: the FHIR resource type every line must be (Patient, Condition…)


def parse_source(f: Fields, root: Path, schema_only: bool = False) -> Source:
    if f.str("format", None, choices=FORMATS) == "spark_table":  # a table of the Spark catalog, by name
        return Source(Path(f.str("table")), "spark_table", f.str("table"))
    if f.str("format", None, choices=FORMATS) == "postgres":  # a table of a PostgreSQL database, by name
        if "path" in f.data:
            raise f.error("path", "no path for format = \"postgres\" (name the table with table = \"schema.name\" "
                          "and the environment variable holding the connection string with connection)", f.data["path"])
        table = f.str("table")
        if not re.fullmatch(r"[^.\s\"]+(?:\.[^.\s\"]+)?", table):
            raise f.error("table", "a table name, or schema.table (no quotes, spaces or further dots)", table)
        env = f.str("connection", POSTGRES_ENV)
        # A variable named for a key or password (EXTRACTOR_KEY, PGPASSWORD) is refused: its value would reach
        # the driver, and a driver's messages may quote what it was given.
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env) or re.search(r"PGPASS|KEY|PASSW|SECRET|TOKEN", env, re.I):
            raise f.error("connection", "the name of an environment variable that holds the connection string "
                          "(never the string itself)", "a value that is not a variable name")
        return Source(Path(table), "postgres", table, relative=table, connection=env)
    raw = f.str("path")
    path = (root / raw).resolve()
    suffix = path.suffix.lower()
    fmt = f.str("format", _FORMAT_BY_SUFFIX.get(suffix), choices=FORMATS)
    if fmt is None:
        raise f.error("path", "a .parquet, .csv, .tsv, .duckdb or .ndjson file (or set format)", raw)
    if f.has("connection"):
        raise f.error("connection", "no connection for a file (it names the connection string's variable for "
                      "format = \"postgres\")", f.data["connection"])
    if schema_only:
        pass
    elif fmt == "delta" and not (path / "_delta_log").is_dir():
        raise f.error("path", "a Delta table folder (with _delta_log/) for format = \"delta\"", raw)
    elif not path.exists() and not any(ch in raw for ch in "*?["):
        raise f.error("path", f"an existing file under {root}", raw)
    if f.has("resource") != (fmt == "ndjson"):
        raise f.error("resource", "the FHIR resource type of an NDJSON file (resource = \"Condition\"), and only "
                      "for one", f.data.get("resource", "nothing"))
    resource = f.str("resource") if fmt == "ndjson" else None
    if resource is not None and not re.fullmatch(r"[A-Z][A-Za-z]+", resource):
        raise f.error("resource", "a FHIR resource type such as Patient or Condition", resource)
    table = f.str("table") if fmt == "duckdb" else None
    delimiter = f.str("delimiter", "\t" if suffix == ".tsv" else None) if fmt == "csv" else None
    if delimiter is not None and len(delimiter) != 1:
        raise f.error("delimiter", "one character (e.g. \";\" or \"\\t\")", delimiter)
    encoding = f.str("encoding", "utf-8", choices=ENCODINGS)
    decimal = f.str("decimal", ".", choices=(".", ","))
    return Source(path, fmt, table, delimiter, encoding.lower(), decimal, raw, resource=resource)
