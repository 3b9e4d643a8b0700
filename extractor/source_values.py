"""Text values converted to their declared types, and the first one that does not convert.

Shared by every reader whose values arrive as text (CSV, FHIR NDJSON, Consent registers, text columns of
typed files, Spark's files): one conversion, so that a value means the same whichever format held it.
"""

from __future__ import annotations

import duckdb

from extractor.config.catalog import Column, Source
from extractor.errors import ExtractorError
from extractor.sql import quote_ident, quote_literal

_EXPECTED = {"DATE": "a date", "TIMESTAMP": "a timestamp", "BIGINT": "an integer", "INTEGER": "an integer",
             "DOUBLE": "a decimal number", "BOOLEAN": "true or false", "VARCHAR": "text"}


def converted_sql(col: Column, src: Source, text: str) -> str:
    """SQL turning the text `text` into the column's declared type (NULL where it does not convert)."""
    typ = col.type or "VARCHAR"
    if typ in ("DATE", "TIMESTAMP"):
        # A year written whole: 24-06-30 or 30.6.24 is no date of the year 24, and 'epoch', 'infinity' and
        # 2026/01/01 (without a format) are none (DuckDB reads them all; Spark refuses them: both must read alike).
        # The value twice costs nothing (DuckDB computes a common subexpression once); the year stops short of 9999,
        # the year DuckDB gives 'infinity'.
        if col.format:
            value = f"CAST(try_strptime(trim({text}), {quote_literal(col.format)}) AS {typ})"
            written = f"regexp_matches({text}, '[0-9]')"  # 'epoch' read with any format is no date
        else:
            value = f"TRY_CAST(trim({text}) AS {typ})"
            written = f"substr(trim({text}), 5, 1) = '-'"  # a four-digit year, then a dash (not 2026/01/01)
        return f"CASE WHEN {written} AND year({value}) BETWEEN 1000 AND 9998 THEN {value} END"
    if typ == "DOUBLE" and src.decimal == ",":
        return f"TRY_CAST(replace(replace({text}, ' ', ''), ',', '.') AS DOUBLE)"
    if typ in ("BIGINT", "INTEGER"):  # a whole number only: a cast alone would round 5.5 to 6
        return f"CASE WHEN TRY_CAST(trim({text}) AS DOUBLE) = TRY_CAST(trim({text}) AS {typ}) " \
               f"THEN TRY_CAST(trim({text}) AS {typ}) END"
    return f"TRY_CAST(trim({text}) AS {typ})" if typ != "VARCHAR" else text


def converted_select(src: Source, select: str, typed: tuple[Column, ...], line: bool) -> str:
    """A SELECT over text columns with __line converting the declared ones (__line kept if asked)."""
    replace = ", ".join(f"{converted_sql(c, src, quote_ident(c.name))} AS {quote_ident(c.name)}"
                        for c in typed if c.type and c.type != "VARCHAR")
    star = f"* {'' if line else 'EXCLUDE (__line) '}" + (f"REPLACE ({replace})" if replace else "")
    return f"SELECT {star} FROM ({select})"


def first_bad_value(con: duckdb.DuckDBPyConnection, src: Source, numbered: str, typed: tuple[Column, ...]) -> None:
    """One scan of `numbered` (a SELECT with __line and the columns as text): the first value of a declared
    column that does not convert, as a one-line error."""
    checked = [c for c in typed if c.type and c.type != "VARCHAR"]
    if not checked:
        return
    text = {c.name: f"CAST({quote_ident(c.name)} AS VARCHAR)" for c in checked}
    bad = " OR ".join(f"({text[c.name]} IS NOT NULL AND trim({text[c.name]}) <> '' AND "
                      f"{converted_sql(c, src, text[c.name])} IS NULL)" for c in checked)
    cols = ", ".join(text[c.name] for c in checked)
    row = con.execute(f"SELECT __line, {cols} FROM ({numbered}) WHERE {bad} ORDER BY __line LIMIT 1").fetchall()
    if not row:
        return
    line, *values = row[0]
    for col, value in zip(checked, values, strict=True):
        test = f"SELECT {converted_sql(col, src, 'v')} IS NULL FROM (SELECT CAST(? AS VARCHAR) AS v)"
        if value is not None and value.strip() and con.execute(test, [value]).fetchall()[0][0]:
            what = _EXPECTED.get(col.type or "", col.type or "") + (f" in {col.format}" if col.format else "")
            if col.type == "DOUBLE" and src.decimal == ",":
                what += " with a decimal comma"
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise ExtractorError(f"{place(src, line)}: column {col.name}: expected {what}, got {shown!r}")


def place(src: Source, line: int) -> str:
    """Where a value is: FILE:LINE, or in a database file FILE (table TABLE, row N), its many tables told apart."""
    return f"{src.path} (table {src.table}, row {line})" if src.format == "duckdb" else f"{src.path}:{line}"
