"""Build the sandbox database: eligible rows only, identifiers dropped, keys replaced by surrogates.

The result is a separate DuckDB file holding nothing but protected tables (free text redacted by
protect_text.py) and a few helper macros,
which sandbox.py opens read-only and locked for the researcher's query. Only the columns the request
declares (or, without a declaration, every column whose role may be shown) are copied: minimisation.

Keys become per-run surrogates (surrogates.py): each key's rank in a random order drawn for the run, held
only in this connection's map. The query can join and count with them, and learns nothing it could link
to another run or invert. The HMAC
pseudonyms that a project keeps stable are computed on the way out, for the columns an output releases
(surrogates.pseudonymise_outputs), and for the persons a note names or the controller's map needs. On
Spark the sandbox carries the HMAC pseudonyms themselves (its workers compute them per distinct value).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from extractor.config.catalog import PSEUDONYMISED_ROLES, WITHHELD_ROLES, Table
from extractor.config.load import RunConfig
from extractor.engine import is_spark
from extractor.engine.sandbox_functions import duckdb_macros
from extractor.protect.pseudonym import ProjectKey, sql_date_shift, sql_pseudonym
from extractor.protect.surrogates import DOMAINS, Surrogates
from extractor.protect.text import Redaction, redact_columns
from extractor.sql import quote_ident, quote_literal


@dataclass
class Protected:
    tables: dict[str, list[str]] = field(default_factory=dict)  # table -> columns given to the query
    rows: dict[str, int] = field(default_factory=dict)
    pseudonymised: dict[str, list[str]] = field(default_factory=dict)
    withheld: dict[str, list[str]] = field(default_factory=dict)
    date_shifted: dict[str, list[str]] = field(default_factory=dict)
    reidentification: bytes | None = None  # CSV pseudonym,person_key of the persons in the sandbox
    person_map: str | None = None  # temp table (v, p): person key -> its sandbox value, while the connection lives
    surrogates: Surrogates | None = None  # DuckDB: how the sandbox's key values were made (None on Spark)
    persons: int | None = None  # persons whose rows reached the sandbox (aggregates are weighed against it)
    redacted: list[Redaction] = field(default_factory=list)  # free-text columns, de-identified


def _columns(table: Table, cfg: RunConfig) -> list[str]:
    wanted = cfg.request.variables
    if wanted is not None and table.name not in wanted:
        return []
    # Free text only when the request names it (it is then redacted); direct identifiers never.
    return [c.name for c in table.columns
            if (c.role not in WITHHELD_ROLES and (wanted is None or c.name in wanted[table.name]))
            or (c.role == "free_text" and wanted is not None and c.name in wanted[table.name])]


def build_sandbox(con: duckdb.DuckDBPyConnection, cfg: RunConfig, key: ProjectKey, path: Path,
                  threads: int = 2) -> Protected:
    result = Protected()
    plan = {t.name: (t, _columns(t, cfg)) for t in cfg.catalog.tables.values()}
    plan = {n: (t, cols) for n, (t, cols) in plan.items() if cols}
    shift = cfg.request.date_shift_days
    shifted = {n: _date_columns(con, t, cols) for n, (t, cols) in plan.items()} if shift else {}
    result.surrogates = None if is_spark(con) else Surrogates()
    maps = _pseudonym_maps(con, plan, shifted, key, shift, result.surrogates)
    texts = {}
    for name, (table, cols) in plan.items():
        free = [c.name for c in table.columns if c.role == "free_text" and c.name in cols]
        if free:
            person_map = maps.get("person_key")
            if person_map and result.surrogates:  # notes name their subject by the HMAC pseudonym
                person_map = result.surrogates.hmac_map(con, person_map, key, f"elig.{quote_ident(name)}",
                                                        table.one_with_role("person_key") or "")
            rows, redacted, records = redact_columns(con, cfg, table, free, person_map, threads)
            texts[name] = (rows, redacted, free)
            result.redacted += records
    con.execute(f"ATTACH {quote_literal(str(path))} AS sandbox")
    try:
        for name, (table, cols) in plan.items():
            _sandbox_table(con, name, table, cols, maps, shifted, texts, result)
        if not is_spark(con):  # on Spark the query's functions are expanded in place (engine/sandbox_functions)
            for macro in duckdb_macros(cfg.request.as_of):
                con.execute(macro.replace("CREATE MACRO ", "CREATE MACRO sandbox.main.", 1))
        for role, table in maps.items():  # the keys whose rows reached the sandbox: persons_included, ...
            present = "persons_included" if role == "person_key" else f"{table}_present"
            found = _present(con, plan, role, table, present)
            if role == "person_key":
                result.persons, result.person_map = found, table
            if result.surrogates:
                result.surrogates.release_only(role, present)
        if cfg.request.reidentification and "person_key" in maps:
            result.reidentification = _reidentification_csv(con, key, result.surrogates is not None)
    finally:
        con.execute("DETACH sandbox")
    return result


def _pseudonym_maps(con: duckdb.DuckDBPyConnection, plan: dict[str, tuple[Table, list[str]]],
                    shifted: dict[str, list[str]], key: ProjectKey, shift: int,
                    surrogates: Surrogates | None) -> dict[str, str]:
    """Role -> temp table (v, p[, shift]) of every distinct key value and its sandbox value: a surrogate on
    DuckDB, the HMAC pseudonym on Spark (hashed once per distinct value); the sandbox joins it."""
    maps: dict[str, str] = {}
    for role, domain in DOMAINS.items():
        sources = [f"SELECT CAST({quote_ident(c)} AS VARCHAR) AS v FROM raw.{quote_ident(n)}"
                   for n, (t, cols) in plan.items() for c in t.with_role(role)
                   if c in cols or (role == "person_key" and shifted.get(n))]
        if not sources:
            continue
        maps[role] = f"pseudo_{domain.replace('-', '_')}"
        if is_spark(con):  # the key goes to Spark's Python workers, never into SQL
            from extractor.engine.spark_pseudonym import pseudonym_table

            pseudonym_table(con, maps[role], " UNION ALL ".join(sources), domain, key,
                            shift if role == "person_key" else 0)
            continue
        extra = f", {sql_date_shift('v', shift)} AS shift" if role == "person_key" and shift else ""
        assert surrogates is not None
        surrogates.make_map(con, maps[role], role, " UNION ALL ".join(sources), extra,
                            key.sql_params() if extra else {})
    return maps


def _sandbox_table(con: duckdb.DuckDBPyConnection, name: str, table: Table, cols: list[str], maps: dict[str, str],
                   shifted: dict[str, list[str]], texts: dict[str, tuple[str, str, list[str]]],
                   result: Protected) -> None:
    """One table of the sandbox: the eligible rows' given columns, keys pseudonymised, dates shifted, text redacted."""
    roles = {c.name: c.role for c in table.columns}
    select, joins = [], []
    source = f"elig.{quote_ident(name)}"
    if name in texts:
        rows, redacted, free = texts[name]
        source = quote_ident(rows)
        joins.append(f"JOIN {quote_ident(redacted)} ft ON ft._r = t._r")
    person = table.one_with_role("person_key")
    if shifted.get(name) and person:
        joins.append(f"LEFT JOIN {maps['person_key']} ms ON ms.v = CAST(t.{quote_ident(person)} AS VARCHAR)")
        result.date_shifted[name] = shifted[name]
    for i, col in enumerate(cols):
        if name in texts and col in texts[name][2]:
            select.append(f"ft.{quote_ident(col)}")
        elif col in shifted.get(name, []) and person:
            select.append(f"CAST(CAST(t.{quote_ident(col)} AS DATE) + CAST(ms.shift AS INTEGER) AS DATE) "
                          f"AS {quote_ident(col)}")
        elif roles[col] in PSEUDONYMISED_ROLES:
            alias = f"m{i}"
            joins.append(f"LEFT JOIN {maps[roles[col]]} {alias} ON {alias}.v = CAST(t.{quote_ident(col)} "
                         "AS VARCHAR)")
            select.append(f"{alias}.p AS {quote_ident(col)}")
            result.pseudonymised.setdefault(name, []).append(col)
        else:
            select.append(f"t.{quote_ident(col)}")
    result.rows[name] = con.execute(f"CREATE TABLE sandbox.main.{quote_ident(name)} AS SELECT {', '.join(select)} "
                                    f"FROM {source} t {' '.join(joins)}").fetchone()[0]  # the rows it holds
    result.tables[name] = cols
    result.withheld[name] = [c.name for c in table.columns if c.name not in cols]


def _date_columns(con: duckdb.DuckDBPyConnection, table: Table, cols: list[str]) -> list[str]:
    """Columns to shift: declared dates and date-typed quasi-identifiers, among those given to the query."""
    types = {r[0]: str(r[1]).upper() for r in con.execute(f"DESCRIBE raw.{quote_ident(table.name)}").fetchall()}
    roles = {c.name: c.role for c in table.columns}
    return [c for c in cols if roles[c] in ("date", "quasi_identifier") and types.get(c, "").startswith(
        ("DATE", "TIMESTAMP"))]


def _present(con: duckdb.DuckDBPyConnection, plan: dict, role: str, key_map: str, name: str) -> int:
    """name(v, p): the keys of a role whose rows reached the sandbox, with their sandbox value; how many. For
    persons (persons_included): read once, by the transparency records and the re-identification map."""
    present = [f"SELECT {quote_ident(c)} AS p FROM sandbox.main.{quote_ident(n)}"
               for n, (t, cols) in plan.items() for c in t.with_role(role) if c in cols]
    query = f"SELECT v, p FROM {key_map} WHERE p IN ({' UNION '.join(present)})" if present else \
        f"SELECT v, p FROM {key_map} WHERE false"
    return con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}").fetchone()[0]


def _reidentification_csv(con: duckdb.DuckDBPyConnection, key: ProjectKey, surrogates: bool) -> bytes:
    """pseudonym,person_key for the persons whose rows are in the sandbox: nobody else (their HMAC pseudonyms
    computed here, on DuckDB, where the sandbox holds surrogates)."""
    if surrogates:
        frame = con.sql(f"SELECT {sql_pseudonym('v', 'person')} AS pseudonym, v AS person_key "
                        "FROM persons_included ORDER BY 1", params=key.sql_params()).pl()
    else:
        frame = con.sql("SELECT p AS pseudonym, v AS person_key FROM persons_included ORDER BY p").pl()
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()
