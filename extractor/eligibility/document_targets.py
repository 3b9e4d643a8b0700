"""What a record is banned by: for a document ban, its original document id, or its own id where the original
is left empty.

A ban on a document names its original id and reaches every version. An export may leave the original empty on
a document's first version (the version is its own original), and the ban must reach that version too. Reading
the version column costs a second string column's decoding over every record (about a tenth of the eligibility
stage at 100,000 clients), so it is read only where the original may be empty: always for CSV, DuckDB files and
Spark, and for a Parquet file unless its own statistics rule out a NULL or an empty original.
"""

from __future__ import annotations

from typing import Any

from extractor.config.catalog import Table
from extractor.engine import is_spark
from extractor.sql import quote_ident


def originals_may_be_empty(con: Any, table: Table) -> bool:
    """Whether some record of `table` may have no original document id (NULL or ''), from the Parquet footer."""
    original = table.one_with_role("document_key")
    if original is None or table.one_with_role("document_version") is None:
        return False
    if is_spark(con) or table.source.format != "parquet":
        return True
    try:
        nulls, low, unknown = con.execute(
            "SELECT sum(stats_null_count), min(stats_min_value), count(*) FILTER (WHERE stats_min_value IS NULL OR "
            "stats_null_count IS NULL) FROM parquet_metadata(?) WHERE path_in_schema = ?",
            [str(table.source.path), original]).fetchone()
    except Exception:  # noqa: BLE001 - no statistics to read: assume the worst
        return True
    return bool(unknown) or nulls is None or nulls > 0 or low is None or low == ""


def own_original_sql(table: Table) -> str:
    """A record's original document id, its own id where the original is empty (kept in the left-out rows, so the
    DPO's lists and the check of bans that match no record read the id the ban was compared with)."""
    value = f"CAST(t.{quote_ident(table.one_with_role('document_key') or '')} AS VARCHAR)"
    own = f"CAST(t.{quote_ident(table.one_with_role('document_version') or '')} AS VARCHAR)"
    return f"CASE WHEN {value} <> '' THEN {value} ELSE {own} END"


def target_sql(table: Table, scope: str, col: str, own_id: bool) -> str:
    """The value a ban in `scope` is compared with; `own_id`: a record with no original is its own (see above),
    looked at only for persons with a document ban."""
    if scope == "document" and own_id and table.one_with_role("document_version") is not None:
        return f"CASE WHEN b.document IS NOT NULL THEN {own_original_sql(table)} END"
    return f"CAST(t.{quote_ident(col)} AS VARCHAR)"
