"""The catalog's files as Spark temp views (raw__<name>), read with their declared types.

The same contract as sources.py, on Spark: CSV read as text and converted by the same SQL (sources.
converted_sql, transpiled), the first value that does not convert stops the run naming file, line and
column; Parquet and Delta read typed; a table of the Spark catalog by name; registers numbered by
their line in the file so that the DPO report can point at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from extractor import sources
from extractor.config.catalog import DUCKDB_ONLY_FORMATS, Catalog, Column, Source
from extractor.engine.spark_connection import SparkConnection, duckdb_type, flat_name, quoted
from extractor.errors import ConfigError, ExtractorError
from extractor.sql import quote_ident

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _read(con: SparkConnection, name: str, src: Source, scratch: Path | None) -> DataFrame:
    reader = con.spark.read
    if src.format == "csv":
        path = sources.utf8_path(src, scratch)
        return reader.csv(str(path), header=True, sep=src.delimiter or ",", quote='"', escape='"',
                          multiLine=True, inferSchema=False, encoding="UTF-8", mode="FAILFAST")
    if src.format == "parquet":
        return reader.parquet(str(src.path))
    if src.format == "delta":
        return reader.format("delta").load(str(src.path))
    if src.format == "spark_table":
        return con.spark.table(src.table or name)
    import duckdb  # a DuckDB file: small reference data, handed over through Arrow

    with duckdb.connect(str(src.path), read_only=True) as db:
        table = db.table(quote_ident(src.table or name)).arrow()
    return con.spark.createDataFrame(table.to_pandas())


def _numbered(frame: DataFrame, first: int) -> DataFrame:
    """__line: the row's line in the file (in the order Spark reads it: the file's own)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.orderBy(F.monotonically_increasing_id())
    return frame.select((F.row_number().over(order) + (first - 1)).alias("__line"), "*")


def _register(con: SparkConnection, view: str, src: Source, columns: tuple[Column, ...], catalog: Catalog,
              key_prefix: str, scratch: Path | None, line: bool = False) -> None:
    try:
        frame = _read(con, view, src, scratch)
        names = frame.columns
    except ExtractorError:
        raise
    except Exception as exc:  # noqa: BLE001 - Spark's analysis and IO errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(catalog.path, f"{key_prefix}.path", "a readable file of the declared format",
                          f"{src.path.name}: {first}") from None
    missing = [c.name for c in columns if c.name not in names]
    if missing:
        raise ConfigError(catalog.path, f"{key_prefix}.columns.{missing[0]}",
                          f"a column of {src.path.name} (it has: {', '.join(names)})")
    first_line = 2 if src.format == "csv" else 1
    frame.createOrReplaceTempView(quoted(flat_name("raw", f"{view}__read")))
    _numbered(frame, first_line).createOrReplaceTempView(quoted(flat_name("raw", f"{view}__lines")))
    lines = f"raw.{quote_ident(f'{view}__lines')}"  # numbered: a global order, read only where a line is needed
    replace: dict[str, str] = {}
    if src.format == "csv":
        sources.first_bad_value(con, src, f"SELECT * FROM {lines}", columns)
        replace = {c.name: f"{sources.converted_sql(c, src, quote_ident(c.name))} AS {quote_ident(c.name)}"
                   for c in columns if c.type and c.type != "VARCHAR"}
    else:
        actual = {f.name: duckdb_type(f) for f in frame.schema.fields}
        actual["__line"] = "BIGINT"
        for item in sources.typed_file_columns(con, f"{view}__lines", src, columns, actual, catalog, key_prefix):
            replace[item.rsplit(" AS ", 1)[1].strip('"').replace('""', '"')] = item
    kept = (["__line"] if line else []) + names
    select = ", ".join(replace.get(c, quote_ident(c)) for c in kept)
    source = lines if line else f"raw.{quote_ident(f'{view}__read')}"
    con.execute(f"CREATE OR REPLACE VIEW raw.{quote_ident(view)} AS SELECT {select} FROM {source}")


def register_sources(con: SparkConnection, catalog: Catalog, scratch: Path | None = None) -> sources.Registered:
    sources.refuse_formats(catalog, DUCKDB_ONLY_FORMATS, "Spark reads (parquet, csv, duckdb, delta, spark_table)",
                           "duckdb")
    return sources.register_each(con, catalog, scratch, _register)
