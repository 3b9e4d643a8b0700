"""The researcher's query on Spark: checked on its SQLGlot parse tree, then run in a session that sees only
the sandbox.

Spark SQL has no locked connection: it can read files by name (parquet.`/path`), call Java
(reflect, java_method), change settings (SET). So the query is accepted only if it is one SELECT (or WITH
... SELECT) whose every relation is a sandbox table or one of its own CTEs and whose every function is on
the allow-list below; the SQL that runs is generated from that checked tree (never the text as written),
in a fresh session (spark.newSession()) whose only views are the sandbox's Parquet files. The refusals
are worded as the DuckDB sandbox's, one line each.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from extractor.engine.sandbox_functions import expand, functions
from extractor.engine.spark_connection import SparkConnection, quoted, to_polars
from extractor.engine.spark_plan_rows import plan_profile
from extractor.errors import ExtractorError
from extractor.protect.row_multiplication import refuse_multiplied
from extractor.protect.sandbox import TIMEOUT_VARIABLE, query_timeout

# Plain functions: arithmetic, text, dates, conditionals, aggregates and windows over the query's rows.
ALLOWED_FUNCTIONS = frozenset((
    "Abs", "Add", "Avg", "ArgMax", "ArgMin", "Array", "ArrayAgg", "ArrayContains", "ArraySize", "Between",
    "Case", "Cast", "Ceil", "Coalesce", "Concat", "ConcatWs", "Count", "CountIf", "CurrentDate", "Date",
    "DateAdd", "DateDiff", "DateSub", "DateTrunc", "Day", "DayOfMonth", "DayOfWeek", "DayOfYear", "Div", "Exp",
    "Exists", "Extract", "Floor", "Greatest", "GroupConcat", "If", "Initcap", "Least", "Left", "Length", "Ln", "Log",
    "Lower", "Max", "Median", "Min", "Month", "Mod", "Nullif", "Percentile", "PercentileCont", "PercentileDisc",
    "Pow", "Quantile", "Quarter", "Rank", "DenseRank", "RowNumber", "Lag", "Lead", "FirstValue", "LastValue",
    "NthValue", "Ntile", "PercentRank", "CumeDist", "Replace", "Right", "Round", "Sign", "Sqrt", "StrPosition",
    "Stddev", "StddevPop", "StddevSamp", "Substring", "Sum", "ToChar", "Trim", "TryCast", "Upper", "Variance",
    "VariancePop", "Week", "WeekOfYear", "Year", "Corr", "CovarPop", "CovarSamp", "LogicalAnd", "LogicalOr",
    "AnyValue", "First", "Last", "Lpad", "Rpad", "Repeat", "Reverse", "Split", "StartsWith",
    "EndsWith", "Unnest", "Explode", "Struct", "StrToDate", "TsOrDsToDate", "TsOrDsAdd", "TsOrDsDiff",
    "TimeToStr", "StrToTime", "Interval", "DPipe", "ApproxDistinct", "Trunc", "RegexpLike", "RegexpExtract",
    "RegexpReplace", "Levenshtein", "Chr", "Md5", "Hex", "Ascii",
))
_STATEMENTS = frozenset((
    "ATTACH", "DETACH", "COPY", "SET", "RESET", "PRAGMA", "INSTALL", "LOAD", "EXPORT", "IMPORT", "CREATE",
    "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "CALL", "USE", "VACUUM", "CHECKPOINT", "ADD", "REFRESH",
    "CACHE", "UNCACHE", "MSCK", "ANALYZE", "GRANT", "REVOKE", "MERGE", "TRUNCATE", "DESCRIBE", "SHOW",
    "EXPLAIN", "SUMMARIZE", "LIST",
))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _statement_kind(sql: str) -> str | None:
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
    except TokenError:
        return None
    word = tokens[0].text.upper() if tokens else ""
    return word if word in _STATEMENTS else None


def checked(sql: str, query_file: Path, tables: set[str], as_of: dt.date) -> exp.Expression:
    """The query's parse tree with the sandbox's functions expanded, or a one-line refusal."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except (ParseError, TokenError) as exc:
        kind = _statement_kind(sql)
        if kind:
            raise ExtractorError(f"{query_file}: refused: only a SELECT (or WITH ... SELECT) statement may run, "
                                 f"this is {kind}") from None
        raise ExtractorError(f"{query_file}: not valid SQL: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise ExtractorError(f"{query_file}: expected exactly one SELECT statement, found {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        kind = _statement_kind(sql) or type(tree).__name__.upper()
        if kind in _STATEMENTS or not isinstance(tree, exp.Alias | exp.Column | exp.Identifier):
            raise ExtractorError(f"{query_file}: refused: only a SELECT (or WITH ... SELECT) statement may run, "
                                 f"this is {kind}")
        raise ExtractorError(f"{query_file}: not valid SQL: expected a SELECT statement")
    if tree.find(exp.Describe, exp.Summarize, exp.Show, exp.Command, exp.Pragma, exp.Set) is not None:
        raise ExtractorError(f"{query_file}: refused by the sandbox: SHOW, DESCRIBE and SUMMARIZE are not queries; "
                             "a query is one SELECT (or WITH … SELECT) over the request's tables")
    own = set(functions(as_of))
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Binary | exp.Unary):  # operators (AND, OR, +, NOT): not calls
            continue
        name = node.name if isinstance(node, exp.Anonymous) else type(node).__name__
        if isinstance(node, exp.Anonymous) and name.lower() in own:
            continue
        if isinstance(node, exp.Anonymous) or name not in ALLOWED_FUNCTIONS:
            shown = node.name if isinstance(node, exp.Anonymous) else node.sql_name().lower()
            raise ExtractorError(f"{query_file}: refused by the sandbox: {shown}() reveals the machine or runs SQL "
                                 "from a string, or is not one of the plain functions a query may use; a query may "
                                 "use the request's tables and plain functions")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name
        if not isinstance(table.this, exp.Identifier) or name.lower() not in tables | ctes or \
                table.db.lower() not in ("", "main") or table.catalog.lower() not in ("", "sandbox"):
            raise ExtractorError(f"{query_file}: refused by the sandbox: the table '{name or table.sql()}' is not one "
                                 "of the request's tables (or a CTE of the query)")
        table.set("db", None)
        table.set("catalog", None)
    return expand(tree, as_of)


def run_query(con: SparkConnection, sandbox: dict[str, Path], query_file: Path, as_of: dt.date,
              person_tables: frozenset[str] | None = None) -> pl.DataFrame:
    """The query over the sandbox's Parquet files in a session of its own; stopped after the time limit; refused
    if a join made more rows than its sides allow (`person_tables`, lower case: the tables holding people's
    rows; None: all; protect/row_multiplication.py)."""
    sql = query_file.read_text(encoding="utf-8")
    seconds = query_timeout()
    tree = checked(sql, query_file, {n.lower() for n in sandbox}, as_of)
    session = con.spark.newSession()
    for name, path in sandbox.items():
        session.read.parquet(str(path)).createOrReplaceTempView(quoted(name))
    tag = f"extractor-query-{uuid.uuid4().hex}"
    cancel, done = _cancellable(session, tag)
    stopped, finished = threading.Event(), threading.Event()

    def stop() -> None:
        """Cancel the query's jobs, and again every second until it returns: on a loaded machine the
        deadline can pass while Spark still plans, before any job exists for a single cancel to stop."""
        stopped.set()
        while not finished.is_set():
            cancel()
            finished.wait(1.0)

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        frame = session.sql(tree.sql("spark"))
        rows = to_polars(frame)
    except Exception as exc:  # noqa: BLE001 - Spark's analysis and execution errors
        if stopped.is_set():
            raise ExtractorError(f"{query_file}: stopped after {seconds:g} s (the limit is {TIMEOUT_VARIABLE}); "
                                 "simplify the query or ask the controller for more time") from None
        raise ExtractorError(f"{query_file}: the query failed: {_first_line(exc)}") from None
    finally:
        finished.set()
        timer.cancel()
        done()
    refuse_multiplied(plan_profile(frame, sandbox), query_file, person_tables)
    return rows


def _cancellable(session: Any, tag: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """(cancel, done) for this thread's jobs: a job group (classic Spark, tasks interrupted) or an operation
    tag (Spark Connect, which has no SparkContext)."""
    try:
        context = session.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect: no SparkContext
        session.addTag(tag)
        return (lambda: session.interruptTag(tag)), (lambda: session.removeTag(tag))
    context.setJobGroup(tag, "extractor: the researcher's query", interruptOnCancel=True)

    def done() -> None:  # the thread's later jobs (the next stage, the next run) are not the query's
        for prop in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
            context.setLocalProperty(prop, None)
    return (lambda: context.cancelJobGroup(tag)), done
