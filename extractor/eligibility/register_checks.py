"""Validate the registers of choices before any rule uses them.

A row that cannot be read safely (no person, no date, an unknown scope, revoked before it was set, a
date in the future) stops the run with one line naming the file and the row: guessing could silently
include someone who said no. Rows that are readable but match nothing (an unknown person, overlapping
opt-outs, a setter code the catalog does not list; apply.py adds active bans whose target nothing
carries) are kept and reported to the DPO as warnings that name the file's lines, or stop the run where
the policy says `unknown_person = "stop"`.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from extractor.config.catalog import Register
from extractor.config.load import RunConfig
from extractor.errors import ExtractorError
from extractor.i18n import Message
from extractor.sql import quote_ident, quote_literal

_REQUIRED = {"opt_out": ("person", "set_on"), "disclosure_ban": ("person", "scope", "target", "set_on"),
             "research_consent": ("person", "study", "given_on")}
_PERIODS = {"opt_out": ("set_on", "withdrawn_on"), "disclosure_ban": ("set_on", "revoked_on"),
            "research_consent": ("given_on", "withdrawn_on")}
SHOWN = 5  # lines named per warning; the rest are counted


def _first(con: duckdb.DuckDBPyConnection, reg: Register, where: str) -> dict | None:
    cols = ", ".join(f"{quote_ident(v)}" for v in reg.columns.values())
    rows = con.execute(f"SELECT __line, {cols} FROM raw.register_{reg.kind} WHERE {where} "
                       "ORDER BY __line LIMIT 1").fetchall()
    return None if not rows else dict(zip(["__line", *reg.columns.values()], rows[0], strict=True))


def _fail(reg: Register, row: dict, problem: str) -> ExtractorError:
    shown = ", ".join(f"{k}={str(v)[:40]}{'…' if len(str(v)) > 40 else ''}" for k, v in row.items()
                      if v is not None and k != "__line")
    return ExtractorError(f"{reg.source.path}:{row['__line']}: ({shown}): {problem}")


def _lines(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, str]:
    """(how many rows, '5, 9, …'): the register's line numbers for a query returning (__line, shown value).
    Only line numbers: the DPO's report holds no person key, and the controller finds the rows by line."""
    rows = con.execute(f"SELECT __line, count(*) OVER () FROM ({sql}) ORDER BY __line LIMIT {SHOWN}").fetchall()
    if not rows:
        return 0, ""
    listed = ", ".join(str(line) for line, _ in rows)
    return rows[0][1], listed + (", …" if rows[0][1] > SHOWN else "")


def _errors(con: duckdb.DuckDBPyConnection, reg: Register, today: dt.date) -> None:
    """The checks in order, each failing on its first line: one pass finds every check's first line (on
    Spark each query is a job of its own), then the row of the first check that fails is read."""
    c = {k: quote_ident(v) for k, v in reg.columns.items()}
    checks = [(f"{c[key]} IS NULL", f"column '{reg.columns[key]}' is empty; expected a value")
              for key in _REQUIRED[reg.kind]]
    start, end = _PERIODS[reg.kind]
    checks.append((f"{c[end]} < {c[start]}", f"'{reg.columns[end]}' is before '{reg.columns[start]}': "
                                             "contradictory record"))
    day = f"DATE {quote_literal(str(today))}"
    if reg.source.format != "ndjson":  # a FHIR Consent states a period, and may plan its end (or start) ahead
        checks.append((f"{c[start]} > {day} OR {c[end]} > {day}",
                       f"a date after today ({today}); expected recorded events only"))
    if reg.kind == "disclosure_ban":
        known = ", ".join(quote_literal(v) for v in reg.scope_values.values())
        checks.append((f"{c['scope']} NOT IN ({known})",
                       f"scope must be one of {', '.join(reg.scope_values.values())}"))
    firsts = con.execute("SELECT " + ", ".join(f"min(__line) FILTER (WHERE {where})" for where, _ in checks)
                         + f" FROM raw.register_{reg.kind}").fetchall()[0]
    for (_, problem), line in zip(checks, firsts, strict=True):
        if line is not None:
            raise _fail(reg, _first(con, reg, f"__line = {int(line)}") or {"__line": line}, problem)


def _warnings(con: duckdb.DuckDBPyConnection, cfg: RunConfig, reg: Register, people: str | None) -> list[str]:
    c = {k: quote_ident(v) for k, v in reg.columns.items()}
    out = []
    name = reg.source.path.name
    if people:
        n, listed = _lines(con, f"SELECT __line, 'person ' || CAST(r.{c['person']} AS VARCHAR) AS shown "
                                f"FROM raw.register_{reg.kind} r WHERE NOT EXISTS (SELECT 1 FROM ({people}) p "
                                f"WHERE p.person = CAST(r.{c['person']} AS VARCHAR))")
        if n:
            if cfg.policy.unknown_person == "stop":
                raise ExtractorError(f"{reg.source.path}: {n} row(s) name a person not in the data "
                                     f"(policy unknown_person = 'stop'): lines {listed}")
            out.append(Message("%(file)s: %(n)s row(s) name a person not in the data, so they apply to no one "
                               "(lines %(lines)s)", file=name, n=n, lines=listed))
    if reg.kind == "opt_out":
        n, listed = _lines(con, f"""SELECT b.__line, 'person ' || CAST(b.{c['person']} AS VARCHAR) AS shown
            FROM raw.register_opt_out a JOIN raw.register_opt_out b ON a.{c['person']} = b.{c['person']}
            AND a.{c['set_on']} < b.{c['set_on']}
            AND (a.{c['withdrawn_on']} IS NULL OR a.{c['withdrawn_on']} > b.{c['set_on']})""")
        if n:
            out.append(Message("%(file)s: %(n)s opt-out(s) overlap an earlier one still in force; any one in force "
                               "applies (lines %(lines)s)", file=name, n=n, lines=listed))
    if reg.kind == "disclosure_ban":
        codes = ", ".join(quote_literal(r) for r in reg.representative_codes) or "NULL"
        n, listed = _lines(con, f"SELECT __line, 'code ' || CAST({c['set_by_role']} AS VARCHAR) AS shown "
                                f"FROM raw.register_disclosure_ban WHERE {c['set_by_role']} IS NOT NULL "
                                f"AND CAST({c['set_by_role']} AS VARCHAR) NOT IN ({codes})")
        if n:
            out.append(Message("%(file)s: %(n)s ban(s) carry a setter code not in representative_codes (%(codes)s); "
                               "they apply, counted as the client's own (lines %(lines)s)", file=name, n=n,
                               codes=", ".join(reg.representative_codes), lines=listed))
        n, listed = _lines(con, f"""SELECT __line, 'person ' || CAST({c['person']} AS VARCHAR) || ', target '
            || CAST({c['target']} AS VARCHAR) AS shown FROM (SELECT *, count(*) OVER (PARTITION BY {c['person']},
            {c['scope']}, {c['target']}, {c['set_on']}) AS n FROM raw.register_disclosure_ban) WHERE n > 1""")
        if n:
            out.append(Message("%(file)s: %(n)s row(s) repeat a ban (same person, scope, target and date) "
                               "(lines %(lines)s)", file=name, n=n, lines=listed))
        n, listed = _lines(con, f"""SELECT b.__line, 'person ' || CAST(b.{c['person']} AS VARCHAR) || ', target '
            || CAST(b.{c['target']} AS VARCHAR) AS shown
            FROM raw.register_disclosure_ban a JOIN raw.register_disclosure_ban b
            ON a.{c['person']} = b.{c['person']} AND a.{c['scope']} = b.{c['scope']}
            AND a.{c['target']} = b.{c['target']} AND a.{c['set_on']} < b.{c['set_on']}
            AND (a.{c['revoked_on']} IS NULL OR a.{c['revoked_on']} > b.{c['set_on']})""")
        if n:
            out.append(Message("%(file)s: %(n)s ban(s) set again while an earlier ban on the same target was in "
                               "force; either one applies (lines %(lines)s)", file=name, n=n, lines=listed))
    return out


def check_registers(con: duckdb.DuckDBPyConnection, cfg: RunConfig, rows: dict[str, int],
                    today: dt.date | None = None) -> list[str]:
    """Raise on unreadable register rows; return warnings for the DPO."""
    today = today or dt.date.today()
    person_tables = [t for t in cfg.catalog.tables.values() if t.one_with_role("person_key")]
    people = None
    if person_tables:
        # The table of persons: the most quasi-identifiers (OMOP's person, not its death table), then the smallest.
        persons = max(person_tables, key=lambda t: (len(t.with_role("quasi_identifier")), -rows.get(t.name, 0)))
        people = (f"SELECT CAST({quote_ident(persons.one_with_role('person_key') or '')} AS VARCHAR) AS person "
                  f"FROM raw.{quote_ident(persons.name)}")
    warnings: list[str] = []
    for rule in cfg.active_rules():
        reg = cfg.catalog.registers.get(rule)
        if reg is None:
            continue
        _errors(con, reg, today)
        warnings += _warnings(con, cfg, reg, people)
    return warnings
