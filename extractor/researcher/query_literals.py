"""What a query compares its columns against, read from its parse tree (SQLGlot), for dummy data.

ehrQL's dummy-data generator samples the values a dataset definition filters on, so that the query
returns rows; we do the same for SQL: `service_task = '15'`, `x IN (...)`, `created_on >= DATE '2024-01-01'`,
`age BETWEEN 18 AND 64`, `col LIKE 'F3%'`, `death_date IS NULL`. Columns are keyed by their name (lower
case): a value a query asks of `client_id` in one table is asked of every table that has that column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

Value = str | int | float | dt.date


@dataclass
class Wanted:
    values: set[Value] = field(default_factory=set)
    low: Value | None = None
    high: Value | None = None
    nulls: bool = False  # the query tests IS NULL / IS NOT NULL: some of each


def _literal(node: exp.Expression) -> Value | None:
    """A constant: 'text', 12, 1.5, DATE '2024-01-01' (or CAST('2024-01-01' AS DATE)); else None."""
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Neg):
        inner = _literal(node.this)
        return -inner if isinstance(inner, int | float) else None
    if isinstance(node, exp.Cast | exp.TsOrDsToDate | exp.StrToDate | exp.Date) and isinstance(node.this, exp.Literal):
        try:
            return dt.date.fromisoformat(node.this.this[:10])
        except ValueError:
            return None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        return float(text) if any(ch in text for ch in ".eE") else int(text)
    return None


def _column(node: exp.Expression) -> str | None:
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node.name.lower() if isinstance(node, exp.Column) else None


def _widen(w: Wanted, low: Value | None, high: Value | None) -> None:
    if low is not None:
        w.low = low if w.low is None or not _comparable(w.low, low) else min(w.low, low)  # type: ignore[type-var]
    if high is not None:
        w.high = high if w.high is None or not _comparable(w.high, high) else max(w.high, high)  # type: ignore[type-var]


def _comparable(a: Value, b: Value) -> bool:
    return isinstance(a, dt.date) == isinstance(b, dt.date) and isinstance(a, str) == isinstance(b, str)


_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}


def wanted(sql: str) -> dict[str, Wanted]:
    """column name (lower case) -> the values and ranges the query compares it against."""
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return {}  # the run reports the syntax error; dummy data need not
    found: dict[str, Wanted] = {}
    for tree in (t for t in trees if t is not None):
        for node in tree.walk():
            _one(node, found)
    return found


def _one(node: exp.Expression, found: dict[str, Wanted]) -> None:
    if isinstance(node, exp.Is):
        col = _column(node.this)
        if col:
            found.setdefault(col, Wanted()).nulls = True
    elif isinstance(node, exp.In):
        col = _column(node.this)
        values = [_literal(e) for e in node.expressions]
        if col:
            found.setdefault(col, Wanted()).values.update(v for v in values if v is not None)
    elif isinstance(node, exp.Between):
        col = _column(node.this)
        low, high = _literal(node.args["low"]), _literal(node.args["high"])
        if col:
            _widen(found.setdefault(col, Wanted()), low, high)
    elif isinstance(node, exp.Like | exp.ILike):
        col, pattern = _column(node.this), _literal(node.expression)
        if col and isinstance(pattern, str):
            found.setdefault(col, Wanted()).values.add(pattern.replace("%", "1").replace("_", "1"))
    elif isinstance(node, exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        kind = type(node)
        col, value = _column(node.this), _literal(node.expression)
        if col is None:
            col, value = _column(node.expression), _literal(node.this)
            kind = _FLIP.get(kind, kind)
        if col is None or value is None:
            return
        w = found.setdefault(col, Wanted())
        if kind in (exp.EQ, exp.NEQ):
            w.values.add(value)
        elif kind in (exp.GT, exp.GTE):
            _widen(w, value, None)
        else:
            _widen(w, None, value)


def implied_type(want: Wanted) -> str:
    """An undeclared column's type from what the query compares it with (text when nothing says)."""
    seen = [v for v in (*want.values, want.low, want.high) if v is not None]
    if seen and all(isinstance(v, dt.date) for v in seen):
        return "DATE"
    if seen and all(isinstance(v, int) for v in seen):
        return "BIGINT"
    if seen and all(isinstance(v, int | float) for v in seen):
        return "DOUBLE"
    return "VARCHAR"


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
