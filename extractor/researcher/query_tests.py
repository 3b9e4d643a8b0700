"""Query tests (ehrQL's assurance tests, for SQL): given rows per table, the rows an output must return.

    [[tests]]
    name = "two documents of one client count once"
    output = "clients_by_age_sex_region"
    given.clients = [{ client_id = "A", birth_date = 1980-05-01, sex = "F", region = "Uusimaa" }]
    given.documents = [{ client_id = "A", service_task = "10" }, { client_id = "A", service_task = "10" }]
    expect = [{ service_task = "10", age_band = "40-59", sex = "F", region = "Uusimaa", clients = 1 }]

Each table the request's [variables] names is built from its given rows (columns not given are NULL,
tables not given are empty), typed as the catalog declares; the output's query runs in the same locked
sandbox as a real run, with the helper functions for the request's as_of. Rows are compared as a
multiset on the columns the expected rows name (order matters only with `ordered = true`); a failure
prints the rows missing and unexpected.
No disclosure control: a test checks the query's logic on a handful of rows.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.config.catalog import Catalog, Table
from extractor.config.load import RunConfig, load_config
from extractor.config.toml_fields import Fields, load_toml
from extractor.disclosure.columns import declared_columns, require_columns
from extractor.errors import ConfigError, ExtractorError, QueryFailed
from extractor.sql import quote_ident, quote_literal

_TOML_TYPES = ((bool, "BOOLEAN"), (int, "BIGINT"), (float, "DOUBLE"), (dt.datetime, "TIMESTAMP"), (dt.date, "DATE"),
               (str, "VARCHAR"))


@dataclass
class QueryTest:
    name: str
    output: str
    given: dict[str, list[dict[str, Any]]]
    expect: list[dict[str, Any]]
    ordered: bool = False
    where: str = ""


@dataclass
class TestReport:
    total: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def load_tests(path: Path, cfg: RunConfig) -> list[QueryTest]:
    f = load_toml(path, "tests")
    if "tests" not in f.data:
        raise ConfigError(path, "tests", "[[tests]]: given rows per table and the rows an output must return "
                                         "(see the README, 'Writing a request', step 4: Test the query)")
    outputs = {o.name for o in cfg.request.outputs}
    variables = cfg.request.variables or {t: tuple(c.name for c in cfg.catalog.tables[t].columns)
                                          for t in cfg.catalog.tables}
    found = []
    for t in f.tables("tests"):
        t.reject_unknown({"name", "output", "given", "expect", "ordered"})
        output = t.str("output", choices=tuple(sorted(outputs)))
        given = {}
        gf = t.table("given", {})
        for table in (gf.name_keys() if gf else []):
            if table not in variables:
                raise gf.error(table, "a table the request's [variables] gives: " + ", ".join(variables), table)
            given[table] = _rows(gf, table, set(variables[table]), f"a column of [variables].{table}")
        if "expect" not in t.data:
            raise t.error("expect", "the rows the output must return (expect = [] for none)")
        expect = _rows(t, "expect", None, "")
        found.append(QueryTest(t.str("name", f"{t.prefix}"), output, given, expect, t.bool("ordered", False),
                               t.prefix))
    return found


def _rows(f: Fields, key: str, allowed: set[str] | None, what: str) -> list[dict[str, Any]]:
    value = f.data[key]
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise f.error(key, "an array of rows, e.g. [{ column = value, ... }]", value)
    for i, row in enumerate(value):
        for col, v in row.items():
            if allowed is not None and col not in allowed:
                raise f.error(f"{key}[{i}].{col}", what + ": " + ", ".join(sorted(allowed)), col)
            if isinstance(v, dict | list):
                raise f.error(f"{key}[{i}].{col}", "a value (text, number, date, true/false)", v)
    return value


def _column_types(table: Table, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> dict[str, str]:
    declared = {c.name: c.type for c in table.columns}
    out = {}
    for col in columns:
        typ = declared.get(col)
        if typ is None:
            seen = [r[col] for r in rows if r.get(col) is not None]
            typ = next((t for py, t in _TOML_TYPES if seen and all(isinstance(v, py) for v in seen)), "VARCHAR")
        out[col] = typ
    return out


class _Unfit(Exception):
    """A given value the column's type cannot hold: (table, row, column, type, value)."""


def build_tables(con: Any, catalog: Catalog, variables: dict[str, tuple[str, ...]], given: dict[str, list[dict]]
                 ) -> None:
    """The request's tables on `con`, typed as the catalog says, holding the `given` rows (none: empty)."""
    import duckdb

    for name, columns in variables.items():
        rows = given.get(name, [])
        types = _column_types(catalog.tables[name], columns, rows)
        cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in types.items())
        con.execute(f"CREATE TABLE {quote_ident(name)} ({cols})")
        for i, row in enumerate(rows):
            values = ", ".join(_sql_value(row.get(c), t) for c, t in types.items())
            try:
                con.execute(f"INSERT INTO {quote_ident(name)} VALUES ({values})")
            except duckdb.Error:
                for col, typ in types.items():  # the value that does not convert, named
                    try:
                        con.execute(f"SELECT {_sql_value(row.get(col), typ)}")
                    except duckdb.Error:
                        raise _Unfit(name, i, col, typ, row.get(col)) from None
                raise


def _sql_value(value: Any, typ: str) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return f"CAST({'true' if value else 'false'} AS {typ})"
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return f"CAST({quote_literal(text)} AS {typ})"


def _normal(value: Any) -> Any:
    """One comparable form: dates and times as ISO text, whole floats as ints, floats to 9 digits."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return int(value) if value.is_integer() else round(value, 9)
    if hasattr(value, "is_integer") and not isinstance(value, int):  # Decimal
        return _normal(float(value))
    return value


def _key(row: dict[str, Any], columns: list[str]) -> tuple:
    return tuple(_normal(row.get(c)) for c in columns)


def query_variables(cfg: RunConfig) -> dict[str, tuple[str, ...]]:
    """The columns a query sees: the request's [variables], else every column a query may be given."""
    return cfg.request.variables or {t: tuple(c.name for c in cfg.catalog.tables[t].columns
                                              if c.role not in ("direct_identifier", "free_text"))
                                     for t in cfg.catalog.tables}


def run_tests(request: Path, tests_file: Path | None = None) -> TestReport:
    import duckdb

    from extractor.engine.sandbox_functions import duckdb_macros
    from extractor.protect.sandbox import run_query

    cfg = load_config(request, schema_only=True)
    tests = load_tests(tests_file or request, cfg)
    variables = query_variables(cfg)
    queries = {o.name: o.query for o in cfg.request.outputs}
    report = TestReport(total=len(tests))
    with tempfile.TemporaryDirectory(prefix="extractor-test-") as tmp:
        for i, test in enumerate(tests):
            db = Path(tmp) / f"t{i}.duckdb"
            with duckdb.connect(str(db)) as con:
                try:
                    build_tables(con, cfg.catalog, variables, test.given)
                except _Unfit as unfit:
                    table, row, col, typ, value = unfit.args
                    form = {"DATE": " (YYYY-MM-DD, e.g. 1980-05-01)",
                            "TIMESTAMP": " (YYYY-MM-DD HH:MM:SS)"}.get(typ, "")
                    raise ConfigError(tests_file or request, f"{test.where}.given.{table}[{row}].{col}",
                                      f"a value of the column's type, {typ}{form}", value) from None
                except duckdb.Error as exc:
                    raise ExtractorError(f"{test.where} ({test.name}): the given rows do not fit the catalog's "
                                         f"types: {str(exc).splitlines()[0]}") from None
                for macro in duckdb_macros(cfg.request.as_of):
                    con.execute(macro)
            try:
                got = run_query(db, queries[test.output], person_tables=cfg.catalog.person_tables())
            except QueryFailed as exc:
                from extractor.researcher.sql_errors import teach

                raise ExtractorError(teach(exc, cfg.catalog, cfg.request.variables)) from None
            output = next(o for o in cfg.request.outputs if o.name == test.output)
            require_columns(output, got.columns, declared_columns(output))  # as the run would check them
            report.lines += _compare(test, got.columns, got.rows(named=True))
    report.failed = sum(1 for line in report.lines if line.startswith("FAIL"))
    return report


def _compare(test: QueryTest, columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    named = {c for r in test.expect for c in r}
    if named - set(columns):
        return [f"FAIL {test.name}: expect names {', '.join(sorted(named - set(columns)))}, which the output "
                f"'{test.output}' does not have (its columns: {', '.join(columns)})"]
    if named:  # compare on the columns the expected rows name (all of them: name them all)
        columns = [c for c in columns if c in named]
    got = [_key(r, columns) for r in rows]
    want = [_key(r, columns) for r in test.expect]
    if (got == want) if test.ordered else (Counter(got) == Counter(want)):
        return [f"ok   {test.name}"]
    lines = [f"FAIL {test.name} ({test.output}): {len(want)} row(s) expected, {len(got)} returned",
             "     " + " | ".join(columns)]
    missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
    for row, n in missing.items():
        lines += [f"   - {' | '.join(map(_show, row))}"] * n
    for row, n in extra.items():
        lines += [f"   + {' | '.join(map(_show, row))}"] * n
    if test.ordered and not missing and not extra:
        lines.append("     the same rows in another order (ordered = true)")
    lines.append("     (- expected, not returned; + returned, not expected)")
    return lines


def _show(value: Any) -> str:
    """Text quoted, so that '10' (text) and 10 (a number) do not look alike in a diff."""
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)
