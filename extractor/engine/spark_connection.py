"""The part of a DuckDB connection the row-level stages use, on a SparkSession.

Each statement arrives in DuckDB's dialect, is parsed by SQLGlot, rewritten where Spark lacks the form
(schemas become name prefixes, `row_number() OVER ()` gets an order, try_strptime becomes
try_to_timestamp) and transpiled to Spark SQL. A temp table becomes a materialised temp view; a view
stays lazy; DESCRIBE and COPY ... TO are answered here. Query parameters are substituted as literals and
may only be text or numbers: a secret is never sent as SQL (pseudonyms are computed in spark_pseudonym.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from extractor.errors import ExtractorError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PREFIXED_SCHEMAS = ("raw", "elig", "sandbox")
_SPARK_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
                "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE",
                "timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP", "binary": "BLOB"}


def duckdb_type(field: Any) -> str:
    """A Spark column's type in DuckDB's words (the stages compare types by DuckDB's names)."""
    name = field.dataType.simpleString()
    return _SPARK_TYPES.get(name, name.upper())


def flat_name(schema: str, name: str) -> str:
    """raw.clients -> raw__clients: Spark temp views live in no schema."""
    return f"{schema}__{name}"


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _flatten_tables(tree: exp.Expression) -> exp.Expression:
    for table in tree.find_all(exp.Table):
        parts = [p.name for p in table.parts]
        if len(parts) >= 2 and parts[0].lower() in PREFIXED_SCHEMAS:
            alias = table.args.get("alias")
            new = exp.Table(this=exp.to_identifier(flat_name(parts[0].lower(), parts[-1]), quoted=True))
            if alias is not None:
                new.set("alias", alias)
            table.replace(new)
    return tree


def _spark_format(fmt: str) -> str:
    generated = exp.StrToTime(this=exp.column("x"), format=exp.Literal.string(fmt)).sql("spark")
    return re.search(r"'((?:[^']|'')*)'\)$", generated).group(1).replace("''", "'")


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime":
        value, fmt = node.expressions
        return exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[value, exp.Literal.string(_spark_format(fmt.name))])
    if isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber) and not node.args.get("order") \
            and not node.args.get("partition_by"):
        node.set("order", exp.Order(expressions=[exp.Ordered(this=exp.Anonymous(
            this="MONOTONICALLY_INCREASING_ID", expressions=[]))]))
    return node


def _bind(tree: exp.Expression, params: list[Any] | dict[str, Any] | None) -> exp.Expression:
    if not params:
        return tree
    values = iter(params) if isinstance(params, list) else None
    for holder in list(tree.find_all(exp.Placeholder, exp.Parameter)):
        value = next(values) if values is not None else params[holder.name]
        if isinstance(value, bytes | bytearray):
            raise ExtractorError("refused: binary query parameters (a secret?) are never sent to Spark as SQL")
        holder.replace(exp.Literal.number(value) if isinstance(value, int | float) else exp.Literal.string(str(value)))
    return tree


def parse(sql: str) -> exp.Expression:
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except (ParseError, TokenError) as exc:  # our own SQL: a defect, still said in one line
        raise ExtractorError(f"the Spark engine cannot read a statement: {str(exc).splitlines()[0]}") from None


def to_spark(sql: str | exp.Expression, params: list[Any] | dict[str, Any] | None = None) -> str:
    """One DuckDB statement as Spark SQL."""
    tree = parse(sql) if isinstance(sql, str) else sql.copy()
    tree = _bind(_flatten_tables(tree), params).transform(_rewrite)
    return tree.sql("spark")


class _Rows:
    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple]:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None


class _Relation:
    def __init__(self, frame: DataFrame) -> None:
        self._frame = frame

    def pl(self) -> pl.DataFrame:
        return to_polars(self._frame)


def to_polars(frame: DataFrame) -> pl.DataFrame:
    """Through Arrow; Spark's session-zone timestamps come back as naive UTC, as DuckDB gives them."""
    out = pl.from_arrow(frame.toArrow())
    assert isinstance(out, pl.DataFrame)
    return out.with_columns(pl.col(c).dt.replace_time_zone(None) for c, t in out.schema.items()
                            if isinstance(t, pl.Datetime) and t.time_zone)


class SparkConnection:
    """What the stages call on a DuckDB connection (execute, sql, register), answered by Spark."""

    def __init__(self, spark: SparkSession, scratch: Path) -> None:
        self.spark = spark
        self.scratch = scratch
        self.sandbox: dict[str, Path] = {}  # the query's tables -> their Parquet folders

    def frame(self, sql: str | exp.Expression, params: Any = None) -> DataFrame:
        return self.spark.sql(to_spark(sql, params))

    def materialise(self, name: str, frame: DataFrame) -> int:
        """A temp table: computed once, kept (memory, then the executors' local disks), lineage cut; its rows
        counted by the same job that computes it."""
        frame = frame.localCheckpoint(eager=False)
        rows = frame.count()
        frame.createOrReplaceTempView(quoted(name))
        return rows

    def execute(self, sql: str, params: Any = None) -> _Rows:
        tree = parse(sql)
        if isinstance(tree, exp.Create):
            return self._create(tree, params)
        if isinstance(tree, exp.Attach | exp.Detach) or (isinstance(tree, exp.Command) and
                                                          tree.name.upper() in ("ATTACH", "DETACH")):
            return _Rows([])
        if isinstance(tree, exp.Describe):
            table = _flatten_tables(tree).find(exp.Table)
            schema = self.spark.table(quoted(table.name)).schema
            return _Rows([(f.name, duckdb_type(f)) for f in schema.fields])
        if isinstance(tree, exp.Copy):
            return _Rows([(self._copy(tree, params),)])  # as DuckDB: how many rows it wrote
        return _Rows([tuple(r) for r in self.frame(tree, params).collect()])

    def sql(self, sql: str, params: Any = None) -> _Relation:
        return _Relation(self.frame(sql, params))

    def _create(self, tree: exp.Create, params: Any) -> _Rows:
        """As DuckDB: a table made says how many rows it holds; a view or schema says nothing."""
        kind = str(tree.args.get("kind", "")).upper()
        if kind == "SCHEMA":
            return _Rows([])
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        parts = [p.name for p in target.parts]
        name = flat_name(parts[0].lower(), parts[-1]) if len(parts) >= 2 and parts[0].lower() in PREFIXED_SCHEMAS \
            else parts[-1]
        frame = self.frame(tree.expression, params)
        if name.startswith("sandbox__"):  # the query's tables: Parquet files in the private scratch folder
            path = self.scratch / "sandbox" / name.removeprefix("sandbox__")
            frame.write.mode("overwrite").parquet(str(path))
            written = self.spark.read.parquet(str(path))
            written.createOrReplaceTempView(quoted(name))
            self.sandbox[name.removeprefix("sandbox__")] = path
            return _Rows([(written.count(),)])
        if kind == "VIEW":
            frame.createOrReplaceTempView(quoted(name))
            return _Rows([])
        if kind == "TABLE":
            return _Rows([(self.materialise(name, frame),)])
        raise ExtractorError(f"the Spark engine cannot run CREATE {kind}")

    def _copy(self, tree: exp.Copy, params: Any) -> int:
        source = tree.this.this if isinstance(tree.this, exp.Subquery) else tree.this
        path = Path(tree.args["files"][0].name)
        options = {str(o.this).upper(): str(o.args.get("expression") or "").lower()
                   for o in tree.args.get("params") or []}
        frame = to_polars(self.frame(source, params))
        frame.write_parquet(path) if options.get("FORMAT") == "parquet" else frame.write_csv(path)
        return frame.height

    def register(self, name: str, frame: pl.DataFrame) -> None:
        self.spark.createDataFrame(frame.to_pandas()).createOrReplaceTempView(quoted(name))

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def close(self) -> None:
        """The session outlives a run (its start costs seconds); the run's views are dropped."""
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)
