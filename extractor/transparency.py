"""Per-person transparency: which extracts used a person's data, and which left it out by their choice.

Each run writes controller/persons.parquet: one row per person seen by the run, keyed by a token (an
HMAC under a controller-wide key derived from the master key, so no identity is stored and a token means
nothing without the key), whether any of their rows reached the query, and which of their own choices
(opt-out, missing consent, disclosure bans) left rows out.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from .pseudonym import ProjectKey, project_key, sql_pseudonym
from .sources import quote_ident, quote_literal

CHOICE_RULES = ("opt_out", "research_consent", "disclosure_ban_registrar", "disclosure_ban_service_task",
                "disclosure_ban_document")
FILE = "persons.parquet"


def transparency_key(master: bytes) -> ProjectKey:
    return project_key(master, "\x00transparency")


def write_persons(con: duckdb.DuckDBPyConnection, flagged: dict[str, tuple[str, str]], master: bytes,
                  folder: Path) -> None:
    """flagged: table -> (temp table of left-out rows, its person column)."""
    parts = ["SELECT v AS person, true AS included, NULL::VARCHAR AS rule FROM persons_included"]
    rules = ", ".join(quote_literal(r) for r in CHOICE_RULES)
    parts += [f"SELECT CAST({quote_ident(col)} AS VARCHAR), false, __rule FROM {quote_ident(name)} "
              f"WHERE __rule IN ({rules})" for name, col in flagged.values()]
    folder.mkdir(mode=0o700, exist_ok=True)
    token = sql_pseudonym("person", "transparency")
    con.execute(f"""COPY (SELECT {token} AS token, bool_or(included) AS included,
                   list(DISTINCT rule ORDER BY rule) FILTER (WHERE rule IS NOT NULL) AS left_out_by
                   FROM ({' UNION ALL '.join(parts)}) WHERE person IS NOT NULL GROUP BY person ORDER BY token)
                 TO {quote_literal(str(folder / FILE))} (FORMAT parquet)""", transparency_key(master).sql_params())


def person_status(run_dir: Path, master: bytes, person: str) -> tuple[bool, list[str]] | None:
    """(included, choices that left rows out) for one person in one run, or None if the run never saw them."""
    path = run_dir / "controller" / FILE
    if not path.is_file():
        return None
    token = transparency_key(master).pseudonym("transparency", person)
    row = pl.scan_parquet(path).filter(pl.col("token") == token).collect()
    if row.height == 0:
        return None
    return bool(row["included"][0]), list(row["left_out_by"].to_list()[0] or [])
