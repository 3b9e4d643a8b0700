"""Build the sandbox database: eligible rows only, identifiers dropped, keys replaced by pseudonyms.

The result is a separate DuckDB file holding nothing but protected tables and a few helper macros,
which sandbox.py opens read-only and locked for the researcher's query. Only the columns the request
declares (or, without a declaration, every column whose role may be shown) are copied: minimisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .catalog import PSEUDONYMISED_ROLES, WITHHELD_ROLES, Table
from .config import RunConfig
from .pseudonym import ProjectKey, sql_pseudonym
from .sources import quote_ident, quote_literal

_DOMAIN = {"person_key": "person", "document_key": "document", "document_version": "document-version"}


@dataclass
class Protected:
    tables: dict[str, list[str]] = field(default_factory=dict)  # table -> columns given to the query
    rows: dict[str, int] = field(default_factory=dict)
    pseudonymised: dict[str, list[str]] = field(default_factory=dict)
    withheld: dict[str, list[str]] = field(default_factory=dict)


def _columns(table: Table, cfg: RunConfig) -> list[str]:
    wanted = cfg.request.variables
    if wanted is not None and table.name not in wanted:
        return []
    return [c.name for c in table.columns
            if c.role not in WITHHELD_ROLES and (wanted is None or c.name in wanted[table.name])]


def _macros(cfg: RunConfig) -> list[str]:
    as_of = quote_literal(str(cfg.request.as_of))
    return [
        f"CREATE MACRO as_of_date() AS DATE {as_of}",
        "CREATE MACRO age_at(birth, on_day) AS CAST(date_part('year', age(CAST(on_day AS DATE), "
        "CAST(birth AS DATE))) AS INTEGER)",
        "CREATE MACRO age_band(age, width := 10, top := 90) AS CASE WHEN age IS NULL THEN NULL "
        "WHEN age >= top THEN CAST(top AS VARCHAR) || '+' ELSE CAST(age // width * width AS VARCHAR) || '-' "
        "|| CAST(age // width * width + width - 1 AS VARCHAR) END",
    ]


def build_sandbox(con: duckdb.DuckDBPyConnection, cfg: RunConfig, key: ProjectKey, path: Path) -> Protected:
    result = Protected()
    plan = {t.name: (t, _columns(t, cfg)) for t in cfg.catalog.tables.values()}
    plan = {n: (t, cols) for n, (t, cols) in plan.items() if cols}
    params = key.sql_params()
    # One pseudonym per distinct value and domain, then joined: hashing is the costly part.
    maps: dict[str, str] = {}
    for role, domain in _DOMAIN.items():
        sources = [f"SELECT CAST({quote_ident(c)} AS VARCHAR) AS v FROM raw.{quote_ident(n)}"
                   for n, (t, cols) in plan.items() for c in cols if c in t.with_role(role)]
        if not sources:
            continue
        maps[role] = f"pseudo_{domain.replace('-', '_')}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {maps[role]} AS SELECT v, {sql_pseudonym('v', domain)} AS p "
                    f"FROM (SELECT DISTINCT v FROM ({' UNION ALL '.join(sources)})) WHERE v IS NOT NULL", params)
    con.execute(f"ATTACH {quote_literal(str(path))} AS sandbox")
    try:
        for name, (table, cols) in plan.items():
            roles = {c.name: c.role for c in table.columns}
            select, joins = [], []
            for i, col in enumerate(cols):
                if roles[col] in PSEUDONYMISED_ROLES:
                    alias = f"m{i}"
                    joins.append(f"LEFT JOIN {maps[roles[col]]} {alias} ON {alias}.v = CAST(t.{quote_ident(col)} "
                                 "AS VARCHAR)")
                    select.append(f"{alias}.p AS {quote_ident(col)}")
                    result.pseudonymised.setdefault(name, []).append(col)
                else:
                    select.append(f"t.{quote_ident(col)}")
            con.execute(f"CREATE TABLE sandbox.main.{quote_ident(name)} AS SELECT {', '.join(select)} "
                        f"FROM elig.{quote_ident(name)} t {' '.join(joins)}")
            result.tables[name] = cols
            result.rows[name] = con.execute(f"SELECT count(*) FROM sandbox.main.{quote_ident(name)}").fetchone()[0]
            result.withheld[name] = [c.name for c in table.columns if c.name not in cols]
        for macro in _macros(cfg):
            con.execute(macro.replace("CREATE MACRO ", "CREATE MACRO sandbox.main.", 1))
    finally:
        con.execute("DETACH sandbox")
    return result
