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
from collections.abc import Callable

import duckdb

from extractor.config.catalog import Register
from extractor.config.load import RunConfig
from extractor.errors import ExtractorError
from extractor.i18n import Message
from extractor.sql import is_blank_sql, quote_ident, quote_literal

_REQUIRED = {"opt_out": ("person", "set_on"), "disclosure_ban": ("person", "scope", "target", "set_on"),
             "research_consent": ("person", "study", "given_on")}
_PERIODS = {"opt_out": ("set_on", "withdrawn_on"), "disclosure_ban": ("set_on", "revoked_on"),
            "research_consent": ("given_on", "withdrawn_on")}
SHOWN = 5  # lines named per warning; the rest are counted
_NOBODY = "SELECT NULL AS person"  # no other table with a person key


def _first(con: duckdb.DuckDBPyConnection, reg: Register, where: str) -> dict | None:
    cols = ", ".join(f"{quote_ident(v)}" for v in reg.columns.values())
    rows = con.execute(f"SELECT __line, {cols} FROM raw.register_{reg.kind} WHERE {where} "
                       "ORDER BY __line LIMIT 1").fetchall()
    return None if not rows else dict(zip(["__line", *reg.columns.values()], rows[0], strict=True))


def _fail(reg: Register, row: dict, problem: str) -> ExtractorError:
    shown = ", ".join(f"{k}={str(v)[:40]}{'…' if len(str(v)) > 40 else ''}" for k, v in row.items()
                      if v is not None and k != "__line")
    return ExtractorError(f"{reg.source.path}:{row['__line']}: ({shown}): {problem}")


def counted_lines(con: duckdb.DuckDBPyConnection, queries: list[str]) -> list[tuple[int, str]]:
    """For each query returning (__line, shown value): (how many rows, '5, 9, …'), its register's line numbers.
    One pass for every query (on Spark each query is a job of its own). Only line numbers: the DPO's report
    holds no person key, and the controller finds the rows by line."""
    if not queries:
        return []
    union = " UNION ALL ".join(f"SELECT {k} AS k, __line FROM ({q})" for k, q in enumerate(queries))
    rows = con.execute(f"SELECT k, __line, n FROM (SELECT k, __line, count(*) OVER (PARTITION BY k) AS n, "
                       f"row_number() OVER (PARTITION BY k ORDER BY __line) AS i FROM ({union})) "
                       f"WHERE i <= {SHOWN} ORDER BY k, __line").fetchall()
    found: dict[int, tuple[int, list[str]]] = {}
    for k, line, n in rows:
        found.setdefault(k, (n, []))[1].append(str(line))
    return [(found[k][0], ", ".join(found[k][1]) + (", …" if found[k][0] > SHOWN else "")) if k in found else (0, "")
            for k in range(len(queries))]


def _checks(reg: Register, today: dt.date) -> list[tuple[str, str]]:
    """(condition, problem) for the rows that stop the run, in the order they are checked."""
    c = {k: quote_ident(v) for k, v in reg.columns.items()}
    checks = [(f"{c[key]} IS NULL OR {is_blank_sql(f'CAST({c[key]} AS VARCHAR)')}",  # '' or blank is empty too
               f"column '{reg.columns[key]}' is empty; expected a value") for key in _REQUIRED[reg.kind]]
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
    return checks


def _errors(con: duckdb.DuckDBPyConnection, registers: list[Register], today: dt.date) -> None:
    """The checks in order, register by register, each failing on its first line: one pass over every register
    finds every check's first line (a row of one-row aggregates), then the row of the first that fails is read."""
    checks = [(reg, _checks(reg, today)) for reg in registers]
    if not checks:
        return
    firsts = con.execute("SELECT * FROM " + ", ".join(
        "(SELECT " + ", ".join(f"min(__line) FILTER (WHERE {where}) AS c{i}_{j}" for j, (where, _) in enumerate(each))
        + f" FROM raw.register_{reg.kind}) r{i}" for i, (reg, each) in enumerate(checks))).fetchall()[0]
    at = iter(firsts)
    for reg, each in checks:
        for (_, problem), line in zip(each, at, strict=False):
            if line is not None:
                raise _fail(reg, _first(con, reg, f"__line = {int(line)}") or {"__line": line}, problem)


def _warnings(cfg: RunConfig, reg: Register, people: str | None, elsewhere: str = _NOBODY
              ) -> list[tuple[str, Callable[[int, str], Message]]]:
    """(query of (__line, shown), the warning its rows give) for one register: the rows that apply to no one
    or repeat another. An unknown person under unknown_person = 'stop' raises instead."""
    c = {k: quote_ident(v) for k, v in reg.columns.items()}
    out: list[tuple[str, Callable[[int, str], Message]]] = []
    name = reg.source.path.name
    if people:
        def unknown(n: int, listed: str) -> Message:
            if cfg.policy.unknown_person == "stop":
                raise ExtractorError(f"{reg.source.path}: {n} row(s) name a person not in the data "
                                     f"(policy unknown_person = 'stop'): lines {listed}")
            return Message("%(file)s: %(n)s row(s) name a person not in the data, so they apply to no one "
                           "(lines %(lines)s)", file=name, n=n, lines=listed)
        # Not in the table of persons, and then not in any other table with a person key either (a client with
        # documents but no row in clients is in the data): the second look reads only those few rows' persons.
        cand, seen = f"cand_{reg.kind}", f"seen_{reg.kind}"  # names of its own: the checks run as one query
        out.append((f"WITH {cand} AS (SELECT __line, CAST(r.{c['person']} AS VARCHAR) AS person FROM "
                    f"raw.register_{reg.kind} r WHERE NOT EXISTS (SELECT 1 FROM ({people}) p WHERE p.person = "
                    f"CAST(r.{c['person']} AS VARCHAR))), {seen} AS (SELECT person FROM ({elsewhere}) x "
                    f"WHERE person IN (SELECT person FROM {cand})) SELECT __line, 'person ' || person AS shown "
                    f"FROM {cand} WHERE NOT EXISTS (SELECT 1 FROM {seen} WHERE {seen}.person = {cand}.person)",
                    unknown))
    out += _repeats(reg, c, name)
    if reg.kind == "opt_out":
        out.append((f"""SELECT b.__line, 'person ' || CAST(b.{c['person']} AS VARCHAR) AS shown
            FROM raw.register_opt_out a JOIN raw.register_opt_out b ON a.{c['person']} = b.{c['person']}
            AND a.{c['set_on']} < b.{c['set_on']}
            AND (a.{c['withdrawn_on']} IS NULL OR a.{c['withdrawn_on']} > b.{c['set_on']})""",
                    lambda n, listed: Message("%(file)s: %(n)s opt-out(s) overlap an earlier one still in force; any "
                                              "one in force applies (lines %(lines)s)", file=name, n=n, lines=listed)))
    if reg.kind == "research_consent" and cfg.request.study:
        out += [_near_study(c, name, cfg.request.study), _no_consent_to(c, name, cfg.request.study)]
    if reg.kind == "disclosure_ban":
        codes = ", ".join(quote_literal(r) for r in reg.representative_codes) or "NULL"
        out.append((f"SELECT __line, 'code ' || CAST({c['set_by_role']} AS VARCHAR) AS shown "
                    f"FROM raw.register_disclosure_ban WHERE trim(CAST({c['set_by_role']} AS VARCHAR)) <> '' "
                    f"AND CAST({c['set_by_role']} AS VARCHAR) NOT IN ({codes})",
                    lambda n, listed: Message(
                        "%(file)s: %(n)s ban(s) carry a setter code not in representative_codes (%(codes)s); they "
                        "apply, counted as the client's own (lines %(lines)s)", file=name, n=n,
                        codes=", ".join(reg.representative_codes), lines=listed)))
        out.append((f"""SELECT __line, 'person ' || CAST({c['person']} AS VARCHAR) || ', target '
            || CAST({c['target']} AS VARCHAR) AS shown FROM (SELECT *, count(*) OVER (PARTITION BY {c['person']},
            {c['scope']}, {c['target']}, {c['set_on']}) AS n FROM raw.register_disclosure_ban) WHERE n > 1""",
                    lambda n, listed: Message("%(file)s: %(n)s row(s) repeat a ban (same person, scope, target and "
                                              "date) (lines %(lines)s)", file=name, n=n, lines=listed)))
        out.append((f"""SELECT b.__line, 'person ' || CAST(b.{c['person']} AS VARCHAR) || ', target '
            || CAST(b.{c['target']} AS VARCHAR) AS shown
            FROM raw.register_disclosure_ban a JOIN raw.register_disclosure_ban b
            ON a.{c['person']} = b.{c['person']} AND a.{c['scope']} = b.{c['scope']}
            AND a.{c['target']} = b.{c['target']} AND a.{c['set_on']} < b.{c['set_on']}
            AND (a.{c['revoked_on']} IS NULL OR a.{c['revoked_on']} > b.{c['set_on']})""",
                    lambda n, listed: Message("%(file)s: %(n)s ban(s) set again while an earlier ban on the same "
                                              "target was in force; either one applies (lines %(lines)s)",
                                              file=name, n=n, lines=listed)))
    return out


def _near_study(c: dict[str, str], name: str, study: str) -> tuple[str, Callable[[int, str], Message]]:
    """Consents naming the request's study but written otherwise (case, spaces, dashes: 'diab 2024' for
    'DIAB-2024'): not counted, since a consent is to the study as named, but a likely mistake the DPO should see."""
    def loose(value: str) -> str:
        return f"translate(lower({value}), ' -_./,:;', '')"  # translate: the same on Spark
    text = f"CAST({c['study']} AS VARCHAR)"
    query = (f"SELECT __line, '' AS shown FROM raw.register_research_consent WHERE {text} <> {quote_literal(study)} "
             f"AND {loose(text)} = {loose(quote_literal(study))} AND {loose(quote_literal(study))} <> ''")
    return (query, lambda n, listed: Message(
        "%(file)s: %(n)s consent(s) name the study almost as the request does (%(study)s) but not exactly, so they "
        "were not counted as consent to it; check the study's name in the register (lines %(lines)s)",
        file=name, n=n, study=study, lines=listed))


def _no_consent_to(c: dict[str, str], name: str, study: str) -> tuple[str, Callable[[int, str], Message]]:
    """No consent names the study exactly: everyone is left out, which a misspelt study name also does."""
    query = (f"SELECT 0 AS __line, '' AS shown WHERE NOT EXISTS (SELECT 1 FROM raw.register_research_consent "
             f"WHERE CAST({c['study']} AS VARCHAR) = {quote_literal(study)})")
    return (query, lambda n, listed: Message("%(file)s: no consent names the study %(study)s, so every person is left "
                                             "out and the outputs are empty; check the study's name", file=name,
                                             study=study))


def _repeats(reg: Register, c: dict[str, str], name: str) -> list[tuple[str, Callable[[int, str], Message]]]:
    """An opt-out or a consent written twice (same person, date and study): counted once, and named."""
    keys = {"opt_out": ("person", "set_on"), "research_consent": ("person", "study", "given_on")}.get(reg.kind)
    if keys is None:
        return []
    part = ", ".join(c[k] for k in keys)
    return [(f"SELECT __line, 'person ' || CAST({c['person']} AS VARCHAR) AS shown FROM (SELECT *, count(*) OVER "
             f"(PARTITION BY {part}) AS n FROM raw.register_{reg.kind}) WHERE n > 1",
             lambda n, listed: Message("%(file)s: %(n)s row(s) repeat another (same person and date); they "
                                       "count once (lines %(lines)s)", file=name, n=n, lines=listed))]


def check_registers(con: duckdb.DuckDBPyConnection, cfg: RunConfig, rows: dict[str, int],
                    today: dt.date | None = None) -> list[str]:
    """Raise on unreadable register rows; return warnings for the DPO."""
    today = today or dt.date.today()
    person_tables = [t for t in cfg.catalog.tables.values() if t.one_with_role("person_key")]
    people, elsewhere = None, _NOBODY
    if person_tables:
        # The table of persons: the most quasi-identifiers (OMOP's person, not its death table), then the smallest.
        persons = max(person_tables, key=lambda t: (len(t.with_role("quasi_identifier")), -rows.get(t.name, 0)))
        keys = {t.name: (f"SELECT CAST({quote_ident(t.one_with_role('person_key') or '')} AS VARCHAR) AS person "
                         f"FROM raw.{quote_ident(t.name)}") for t in person_tables}
        people = keys.pop(persons.name)
        elsewhere = " UNION ALL ".join(keys.values()) or elsewhere
    registers = [cfg.catalog.registers[rule] for rule in cfg.active_rules() if rule in cfg.catalog.registers]
    _errors(con, registers, today)
    checks = [check for reg in registers for check in _warnings(cfg, reg, people, elsewhere)]
    return [say(n, listed) for (_, say), (n, listed) in zip(checks, counted_lines(con, [q for q, _ in checks]),
                                                             strict=True) if n]


def deaths_after_today(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> list[str]:
    """Death dates after today, a client given different death dates, and a client written with a death date in
    one row and none in another are mistakes in the data: said. The first are not used (the records are kept as
    of the living); of the second the earliest is; in the third the date applies to every row of the client."""
    table, column = cfg.catalog.retention.death_date  # type: ignore[union-attr]
    person = cfg.catalog.tables[table].one_with_role("person_key")
    death = f"CAST({quote_ident(column)} AS DATE)"
    # Per client with a death date (few), over all of their rows: how many dates after today, how many distinct
    # dates, how many rows without one.
    who = quote_ident(person) if person else None
    rows = f"raw.{quote_ident(table)} WHERE " + (
        f"{who} IN (SELECT {who} FROM raw.{quote_ident(table)} WHERE {quote_ident(column)} IS NOT NULL)" if who
        else f"{quote_ident(column)} IS NOT NULL")
    n, twice, undated = con.execute(  # two dates: the earliest is not the latest
        f"SELECT coalesce(sum(after), 0), count(*) FILTER (WHERE lo <> hi), count(*) FILTER (WHERE undated > 0) "
        f"FROM (SELECT count(*) FILTER (WHERE {death} > DATE {quote_literal(str(cfg.request.today))}) AS after, "
        f"min({death}) AS lo, max({death}) AS hi, count(*) FILTER (WHERE {quote_ident(column)} IS NULL) AS undated "
        f"FROM {rows} GROUP BY {who or 'ALL'})").fetchone()
    label = dict(cfg.catalog.tables[table].labels) or table
    out = [Message("%(table)s: %(n)s rows give a death date after today (%(today)s): a mistake in the data; "
                   "those clients are treated as alive", table=label, n=n, today=str(cfg.request.today))] if n else []
    if twice and person:
        out.append(Message("%(table)s: %(n)s client(s) have rows with different death dates: a mistake in the data; "
                           "the earliest is used for retention", table=label, n=twice))
    if undated and person:
        out.append(Message("%(table)s: %(n)s client(s) have a death date in one row and none in another: a mistake "
                           "in the data; the date applies to all of their rows for retention", table=label, n=undated))
    return out
