"""The DPO's list of records overdue for destruction, written to the controller's own folder."""

from __future__ import annotations

from pathlib import Path

import duckdb

from extractor.eligibility.apply import PLACE, Eligibility
from extractor.sql import quote_ident, quote_literal


def write_overdue(con: duckdb.DuckDBPyConnection, result: Eligibility, folder: Path) -> dict[str, int]:
    """The DPO's list of records past their retention period (every one, whatever other rule applied): in the
    file's order where the rows carry it (PLACE: an integer sort), else sorted by every column."""
    counts = {}
    if result.overdue_views:
        folder.mkdir(mode=0o700, exist_ok=True)  # the controller's own folder: identifiers live only there
    for table_name, view in result.overdue_views.items():
        path = folder / f"overdue_for_destruction_{table_name}.csv"
        numbered = PLACE in {r[0] for r in con.execute(f"DESCRIBE {quote_ident(view)}").fetchall()}
        rows = f"SELECT * EXCLUDE ({PLACE}) FROM {quote_ident(view)} ORDER BY {PLACE}" if numbered else \
            f"SELECT * FROM {quote_ident(view)} ORDER BY ALL"
        counts[table_name] = con.execute(f"COPY ({rows}) TO {quote_literal(str(path))} (HEADER, DELIMITER ',')"
                                         ).fetchone()[0]  # the engine says how many rows it wrote
    return counts
