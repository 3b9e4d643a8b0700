"""Errors that teach: a failed query pointed at its file, line and column, with what to change.

DuckDB says `Binder Error: Table "c" does not have a column named "sex"`; the researcher needs
`research.sql:2:5: … 'sex' is in the catalog's table clients but not in the request: add it to
[variables].clients`, the line, and a caret under the place. The catalog and the request's
[variables] say whether a name is a typo (did you mean), withheld (a direct identifier) or only not
asked for.
"""

from __future__ import annotations

import difflib
import re

from extractor.config.catalog import WITHHELD_ROLES, Catalog
from extractor.errors import ExtractorError, QueryFailed

_COLUMN = (re.compile(r'Table "([^"]+)" does not have a column named "([^"]+)"'),
           re.compile(r'Referenced column "([^"]+)" not found'),
           re.compile(r'column "([^"]+)" must appear in the GROUP BY'))
_FUNCTION = re.compile(r'Function with name (\w+) does not exist')
_DATE = re.compile(r'(?:invalid date field format|date field value out of range): "([^"]*)"')


def teach(err: QueryFailed, catalog: Catalog, variables: dict[str, tuple[str, ...]] | None) -> str:
    """The error as file:line:col, DuckDB's first line, a hint, and the line with a caret."""
    core = str(err).split(": ", 1)[1] if ": " in str(err) else str(err)
    hint, needle = _hint(err, catalog, variables)
    position = err.position if err.position is not None else _parser_position(err.sql)
    if position is None and needle:
        position = _find(err.sql, needle)
    where = str(err.query_file)
    context = ""
    if position is not None:
        line_no, col = _line_col(err.sql, position)
        line = err.sql.splitlines()[line_no - 1] if err.sql.splitlines() else ""
        where = f"{where}:{line_no}:{col}"
        context = f"\n    {line.rstrip()}\n    {' ' * (col - 1)}^"
    return f"{where}: {core}" + (f"; {hint}" if hint else "") + context


def taught(err: QueryFailed, catalog: Catalog, variables: dict[str, tuple[str, ...]] | None) -> ExtractorError:
    """teach() as an error that keeps whether it was raised before any record was read."""
    return ExtractorError(teach(err, catalog, variables), before_data=err.before_data)


def _given(catalog: Catalog, variables: dict[str, tuple[str, ...]] | None) -> dict[str, set[str]]:
    if variables is not None:
        return {t: set(cols) for t, cols in variables.items()}
    return {t.name: {c.name for c in t.columns if c.role not in WITHHELD_ROLES} for t in catalog.tables.values()}


def _hint(err: QueryFailed, catalog: Catalog, variables: dict[str, tuple[str, ...]] | None) -> tuple[str, str | None]:
    """(what to change, the name to point at)."""
    given = _given(catalog, variables)
    if err.table:
        return _table_hint(err.table, catalog, given), err.table
    for pattern in _COLUMN:
        m = pattern.search(err.detail)
        if m:
            column = m.groups()[-1]
            return _column_hint(column, catalog, given), column
    m = _DATE.search(err.detail)
    if m:
        return "a date is written DATE 'YYYY-MM-DD' (DATE '2023-01-31'), a real day", f"'{m.group(1)}'"
    m = _FUNCTION.search(err.detail)
    if m:
        from extractor.engine.sandbox_functions import SIGNATURES

        near = difflib.get_close_matches(m.group(1).lower(), list(SIGNATURES), n=1)
        return ((f"did you mean {near[0]}()? " if near else "") + "the sandbox's own helpers are "
                + ", ".join(s for s, _ in SIGNATURES.values()) + " (extractor catalog show lists them)"), m.group(1)
    return "", None


def _table_hint(table: str, catalog: Catalog, given: dict[str, set[str]]) -> str:
    by_lower = {t.lower(): t for t in catalog.tables}
    if table.lower() in by_lower and by_lower[table.lower()] not in given:
        name = by_lower[table.lower()]
        return f"'{name}' is in the catalog but not in the request: add [variables].{name} = [the columns you need]"
    near = difflib.get_close_matches(table, list(given), n=1)
    return (f"did you mean '{near[0]}'? " if near else "") + "the request's tables: " + ", ".join(sorted(given))


def _column_hint(column: str, catalog: Catalog, given: dict[str, set[str]]) -> str:
    found = [(t, c) for t in catalog.tables.values() for c in t.columns if c.name.lower() == column.lower()]
    for t, c in found:
        if c.role == "direct_identifier":
            return f"'{c.name}' of {t.name} is a direct identifier: it is never given to a query"
        if c.name not in given.get(t.name, set()):
            return (f"'{c.name}' is in the catalog's table {t.name} but not in the request: "
                    f"add it to [variables].{t.name}")
    everything = sorted({c for cols in given.values() for c in cols})
    near = difflib.get_close_matches(column, everything, n=1)
    return f"did you mean '{near[0]}'?" if near else ""


def _parser_position(sql: str) -> int | None:
    """Where DuckDB's parser stops (0-based character offset), or None when the text parses."""
    import json

    import duckdb

    with duckdb.connect() as con:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    position = str(tree.get("position", "")) if tree.get("error") else ""
    return int(position) if position.isdigit() else None


def _find(sql: str, name: str) -> int | None:
    """The first place `name` appears as a whole word outside comments and string literals (a quoted `name`:
    that literal)."""
    if name.startswith("'"):
        return sql.find(name) if name in sql else None
    masked = re.sub(r"--[^\n]*|'(?:[^']|'')*'", lambda m: " " * len(m.group()), sql)
    m = re.search(rf'(?<![\w"]){re.escape(name)}(?![\w"])|"{re.escape(name)}"', masked, re.IGNORECASE)
    return m.start() if m else None


def _line_col(sql: str, position: int) -> tuple[int, int]:
    before = sql[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
