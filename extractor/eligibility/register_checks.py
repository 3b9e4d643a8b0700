"""Validate the registers of choices before any rule uses them.

A row that cannot be read safely (no person, no date, an unknown scope, revoked before it was set, a
date in the future) stops the run with one line naming the file and the row: guessing could silently
include someone who said no. Rows that are readable but match nothing (an unknown person, overlapping
opt-outs, an unknown representative role; eligibility.py adds active bans whose target nothing carries)
are kept and reported to the DPO as warnings.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from extractor.config.catalog import Register
from extractor.config.load import RunConfig
from extractor.errors import ExtractorError
from extractor.sql import quote_ident, quote_literal

_REQUIRED = {"opt_out": ("person", "set_on"), "disclosure_ban": ("person", "scope", "target", "set_on"),
             "research_consent": ("person", "study", "given_on")}
_PERIODS = {"opt_out": ("set_on", "withdrawn_on"), "disclosure_ban": ("set_on", "revoked_on"),
            "research_consent": ("given_on", "withdrawn_on")}
REPRESENTATIVE_ROLES = ("31", "32", "33", "34")  # Sosmeta 1.2.246.537.6.1284 values for a ban


def _first(con: duckdb.DuckDBPyConnection, reg: Register, where: str) -> dict | None:
    cols = ", ".join(f"{quote_ident(v)}" for v in reg.columns.values())
    row = con.execute(f"SELECT {cols} FROM raw.register_{reg.kind} WHERE {where} LIMIT 1").fetchone()
    return None if row is None else dict(zip(reg.columns.values(), row, strict=True))


def _fail(reg: Register, row: dict, problem: str) -> ExtractorError:
    shown = ", ".join(f"{k}={v}" for k, v in row.items() if v is not None)
    return ExtractorError(f"{reg.source.path.name}: row ({shown}): {problem}")


def _errors(con: duckdb.DuckDBPyConnection, reg: Register, today: dt.date) -> None:
    c = {k: quote_ident(v) for k, v in reg.columns.items()}
    for key in _REQUIRED[reg.kind]:
        row = _first(con, reg, f"{c[key]} IS NULL")
        if row:
            raise _fail(reg, row, f"column '{reg.columns[key]}' is empty; expected a value")
    start, end = _PERIODS[reg.kind]
    row = _first(con, reg, f"{c[end]} < {c[start]}")
    if row:
        raise _fail(reg, row, f"'{reg.columns[end]}' is before '{reg.columns[start]}': contradictory record")
    day = f"DATE {quote_literal(str(today))}"
    row = _first(con, reg, f"{c[start]} > {day} OR {c[end]} > {day}")
    if row:
        raise _fail(reg, row, f"a date after today ({today}); expected recorded events only")
    if reg.kind == "disclosure_ban":
        known = ", ".join(quote_literal(v) for v in reg.scope_values.values())
        row = _first(con, reg, f"{c['scope']} NOT IN ({known})")
        if row:
            raise _fail(reg, row, f"scope must be one of {', '.join(reg.scope_values.values())}")


def _warnings(con: duckdb.DuckDBPyConnection, cfg: RunConfig, reg: Register, people: str | None) -> list[str]:
    c = {k: quote_ident(v) for k, v in reg.columns.items()}
    out = []
    name = reg.source.path.name
    if people:
        n = con.execute(f"SELECT count(DISTINCT {c['person']}) FROM raw.register_{reg.kind} r WHERE NOT EXISTS "
                        f"(SELECT 1 FROM ({people}) p WHERE p.person = CAST(r.{c['person']} AS VARCHAR))").fetchone()[0]
        if n:
            out.append(f"{name}: {n} person(s) not found in the data; their rows cannot apply to anyone")
    if reg.kind == "opt_out":
        n = con.execute(f"""SELECT count(DISTINCT a.{c['person']}) FROM raw.register_opt_out a
            JOIN raw.register_opt_out b ON a.{c['person']} = b.{c['person']} AND a.{c['set_on']} < b.{c['set_on']}
            AND (a.{c['withdrawn_on']} IS NULL OR a.{c['withdrawn_on']} > b.{c['set_on']})""").fetchone()[0]
        if n:
            out.append(f"{name}: {n} person(s) have overlapping opt-out periods; any one in force applies")
    if reg.kind == "disclosure_ban":
        roles = ", ".join(quote_literal(r) for r in REPRESENTATIVE_ROLES)
        n = con.execute(f"SELECT count(*) FROM raw.register_disclosure_ban WHERE {c['set_by_role']} IS NOT NULL "
                        f"AND CAST({c['set_by_role']} AS VARCHAR) NOT IN ({roles})").fetchone()[0]
        if n:
            out.append(f"{name}: {n} ban(s) set in a role outside {', '.join(REPRESENTATIVE_ROLES)}; "
                       "counted as representative bans")
    return out


def check_registers(con: duckdb.DuckDBPyConnection, cfg: RunConfig, rows: dict[str, int],
                    today: dt.date | None = None) -> list[str]:
    """Raise on unreadable register rows; return warnings for the DPO."""
    today = today or dt.date.today()
    person_tables = [t for t in cfg.catalog.tables.values() if t.one_with_role("person_key")]
    people = None
    if person_tables:
        smallest = min(person_tables, key=lambda t: rows.get(t.name, 0))
        people = (f"SELECT CAST({quote_ident(smallest.one_with_role('person_key') or '')} AS VARCHAR) AS person "
                  f"FROM raw.{quote_ident(smallest.name)}")
    warnings: list[str] = []
    for rule in cfg.active_rules():
        reg = cfg.catalog.registers.get(rule)
        if reg is None:
            continue
        _errors(con, reg, today)
        warnings += _warnings(con, cfg, reg, people)
    return warnings
