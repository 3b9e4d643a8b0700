"""The small inputs the eligibility rules join against, prepared once per run as DuckDB temp tables.

elig_opted_out, elig_consented, elig_bans: the registers reduced to what is in force for this request.
elig_blocks: one row per person with any opt-out, active ban or retention-relevant date, so the big
tables are read with a single hash join whatever the number of rules.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from extractor.config.load import RunConfig
from extractor.eligibility.retention_dates import ended_sql
from extractor.sql import quote_ident, quote_literal


def sql_date(d: dt.date) -> str:
    return f"DATE {quote_literal(str(d))}"


def prepare_registers(con: duckdb.DuckDBPyConnection, cfg: RunConfig, rules: list[str]) -> dict[str, int]:
    req, regs = cfg.request, cfg.catalog.registers
    as_of, granted, today = sql_date(req.as_of), sql_date(req.permit_granted_on), sql_date(req.today)
    summary: dict[str, int] = {}
    if "opt_out" in rules:
        c = {k: quote_ident(v) for k, v in regs["opt_out"].columns.items()}
        summary["opt_out_persons"] = con.execute(f"""CREATE OR REPLACE TEMP TABLE elig_opted_out AS
            SELECT DISTINCT CAST({c['person']} AS VARCHAR) AS person FROM raw.register_opt_out
            WHERE {c['set_on']} <= {granted}
              AND ({c['withdrawn_on']} IS NULL OR {c['withdrawn_on']} > {as_of})""").fetchone()[0]
    if "research_consent" in rules:
        c = {k: quote_ident(v) for k, v in regs["research_consent"].columns.items()}
        summary["consented_persons"] = con.execute(f"""CREATE OR REPLACE TEMP TABLE elig_consented AS
            SELECT DISTINCT CAST(r.{c['person']} AS VARCHAR) AS person FROM raw.register_research_consent r
            WHERE r.{c['study']} = {quote_literal(req.study or '')} AND r.{c['given_on']} <= {as_of}
              -- a withdrawal made by today (the extract is made now, whatever the data's as-of date) takes back the
              -- consent it is written on, its copies (the same date: a "no" wins) and every consent to the study
              -- given before it; a consent given again after it counts
              AND NOT EXISTS (SELECT 1 FROM raw.register_research_consent w WHERE w.{c['person']} = r.{c['person']}
                              AND w.{c['study']} = r.{c['study']} AND w.{c['withdrawn_on']} <= {today}
                              AND (w.{c['withdrawn_on']} > r.{c['given_on']}
                                   OR w.{c['given_on']} = r.{c['given_on']}))""").fetchone()[0]
    if "disclosure_ban" in rules:
        reg = regs["disclosure_ban"]
        c = {k: quote_ident(v) for k, v in reg.columns.items()}
        codes = ", ".join(quote_literal(code) for code in reg.representative_codes) or "NULL"
        scope = "CASE " + " ".join(f"WHEN {c['scope']} = {quote_literal(v)} THEN '{k}'"
                                   for k, v in reg.scope_values.items()) + " END"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE elig_bans AS
            SELECT DISTINCT CAST({c['person']} AS VARCHAR) AS person, {scope} AS scope,
                   CAST({c['target']} AS VARCHAR) AS target,
                   coalesce(CAST({c['set_by_role']} AS VARCHAR) IN ({codes}), false) AS by_representative,
                   min(__line) OVER (PARTITION BY {c['person']}, {c['scope']}, {c['target']}) AS line
            FROM raw.register_disclosure_ban  -- in force at any time from the as-of date to today: the disclosure
            WHERE {c['set_on']} <= {today} AND ({c['revoked_on']} IS NULL OR {c['revoked_on']} > {as_of})""")
        for scope_name, by_rep, n in con.execute(
                "SELECT scope, by_representative, count(*) FROM elig_bans GROUP BY ALL ORDER BY ALL").fetchall():
            summary[f"active_bans_{scope_name}_{'representative' if by_rep else 'client'}"] = n
    return summary


def _person_dates(cfg: RunConfig, oldest_years: dict[str, int]) -> str | None:
    """Persons whose death or birth date could have ended a retention period by the as-of date."""
    ret = cfg.catalog.retention
    if ret is None:
        return None
    parts = []
    for anchor, ref in (("death_date", ret.death_date), ("birth_date", ret.birth_date)):
        if ref is None or anchor not in oldest_years:
            continue
        table, column = ref
        person = cfg.catalog.tables[table].one_with_role("person_key")
        if person is None:
            continue
        other = "birth_date" if anchor == "death_date" else "death_date"
        parts.append(f"SELECT CAST({quote_ident(person)} AS VARCHAR) AS person, 'dates' AS kind, NULL AS target, "
                     f"CAST({quote_ident(column)} AS DATE) AS {anchor}, NULL::DATE AS {other} "
                     f"FROM raw.{quote_ident(table)} WHERE "
                     f"{ended_sql(quote_ident(column), oldest_years[anchor], cfg.request.as_of)}")
    return " UNION ALL ".join(parts) or None


def prepare_blocks(con: duckdb.DuckDBPyConnection, cfg: RunConfig, rules: list[str],
                   oldest_years: dict[str, int]) -> bool:
    """elig_blocks(person, opted_out, registrar[], service_task[], document[], death_date, birth_date)."""
    parts = []
    if "opt_out" in rules:
        parts.append("SELECT person, 'opt_out' AS kind, NULL AS target, NULL::DATE AS death_date, "
                     "NULL::DATE AS birth_date FROM elig_opted_out")
    if "disclosure_ban" in rules:
        parts.append("SELECT person, scope AS kind, target, NULL::DATE, NULL::DATE FROM elig_bans "
                     "WHERE scope IS NOT NULL")
    dates = _person_dates(cfg, oldest_years) if "retention" in rules else None
    if dates:
        parts.append(f"SELECT person, kind, target, death_date, birth_date FROM ({dates})")
    if not parts:
        return False
    con.execute(f"""CREATE OR REPLACE TEMP TABLE elig_blocks AS
        SELECT person, bool_or(kind = 'opt_out') AS opted_out,
               list(target) FILTER (WHERE kind = 'registrar') AS registrar,
               list(target) FILTER (WHERE kind = 'service_task') AS service_task,
               list(target) FILTER (WHERE kind = 'document') AS document,
               -- a person written twice with different dates: the earliest, which ends a period first
               min(death_date) AS death_date, min(birth_date) AS birth_date
        FROM ({' UNION ALL '.join(parts)}) WHERE person IS NOT NULL GROUP BY person""")
    return True


def removed_structures(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> list[str]:
    s = cfg.catalog.structure_states
    if s is None:
        return []
    # The state as a person types it (Poistettu, ' poistettu'): a removed structure is never kept for its spelling.
    rows = con.execute(f"SELECT DISTINCT CAST({quote_ident(s.key)} AS VARCHAR) FROM raw.{quote_ident(s.table)} "
                       f"WHERE lower(trim(CAST({quote_ident(s.state)} AS VARCHAR))) = "
                       f"{quote_literal(s.removed.strip().lower())}").fetchall()
    return sorted(r[0] for r in rows if r[0] is not None)
