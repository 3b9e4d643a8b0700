"""Where dummy data are written, and the catalog that reads them there: a database's or Spark's table as
<table>.parquet (a researcher never reaches the controller's server), each register FHIR Consents give as
its own Parquet file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from extractor.config.catalog import NOT_FILES, Catalog, Source


def on_dummy_files(catalog: Catalog, data: Path) -> Catalog:
    """The catalog with each table of a database (PostgreSQL) or of Spark's catalog read from the Parquet file
    its dummy data were written to: a researcher tries a request without reaching the controller's server."""
    def moved(source: Source) -> Source:
        if source.format not in NOT_FILES:
            return source
        return replace(source, path=(data / dummy_file(source)).resolve(), format="parquet", connection=None)
    def register_moved(source: Source, kind: str) -> Source:
        dummy = dummy_register(source, kind)
        return moved(source) if dummy is source else replace(dummy, path=(data / dummy.relative).resolve())
    return replace(catalog, tables={n: replace(t, source=moved(t.source)) for n, t in catalog.tables.items()},
                   registers={k: replace(r, source=register_moved(r.source, k)) for k, r in catalog.registers.items()})


def dummy_register(source: Source, kind: str) -> Source:
    """FHIR Consents give two registers from one file: their dummy data are each register's own Parquet file."""
    if source.format != "ndjson":
        return source
    return replace(source, format="parquet", resource=None, relative=f"{source.path.stem}_{kind}.parquet")


def dummy_file(source: Source) -> str:
    """Where under the dummy folder a source's dummy data go: its own path, or <table>.parquet for a table."""
    return f"{source.table}.parquet" if source.format in NOT_FILES else source.relative or source.path.name
