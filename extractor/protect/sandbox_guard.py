"""What a researcher's query may see, decided from DuckDB's own parse tree of it (json_serialize_sql).

Allowed: the sandbox's tables (the protected copies the request may use) and the query's own CTEs.
Refused: SHOW, DESCRIBE and SUMMARIZE (DuckDB parses them as a SELECT over a SHOW_REF; a summary of a
table is the data's minimum and maximum, not an aggregate the disclosure control knows); any other
table or view (DuckDB's catalogs: information_schema, pg_catalog, duckdb_* views),
functions that reveal the machine or the run (duckdb_settings(), duckdb_databases() with the sandbox's
path, current_setting, getenv, pragma_*), functions that run SQL from a string (query, query_table,
json_execute_serialized_sql), which would hide a table or function from this check, and in FROM any table
function but range, generate_series and unnest. File and network functions are refused by the locked
connection itself, and by that list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb

from extractor.errors import ExtractorError, QueryFailed

REFUSED_PREFIXES = ("duckdb_", "pragma_", "pg_", "sqlite_")
REFUSED_FUNCTIONS = {"current_setting", "getenv", "which_secret", "query", "query_table", "current_database",
                     "current_catalog", "current_schema", "current_schemas", "current_query", "checkpoint",
                     "force_checkpoint", "test_all_types", "enable_logging", "duckdb_logs",
                     "json_execute_serialized_sql"}  # runs a serialized query: SQL from a string, hidden from here
# The functions a query may read rows from in FROM: number and date series and a list's items. Any other (the
# file readers, json_execute_serialized_sql, catalog functions) is refused by name, whatever new ones DuckDB adds.
ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
ALLOWED_SCHEMAS = {"", "main"}


def _nodes(tree: object) -> Iterator[dict]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def sandbox_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0].lower() for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def refuse_unseen(con: duckdb.DuckDBPyConnection, sql: str, query_file: Path) -> None:
    """One-line refusal naming the first table or function the query may not use."""
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error"):
        message = tree.get("error_message", "unparsable")
        position = int(tree["position"]) if str(tree.get("position", "")).isdigit() else None
        raise QueryFailed(f"{query_file}: not valid SQL: {message.splitlines()[0]}", query_file, sql, message,
                          position=position)
    nodes = list(_nodes(tree))
    ctes = {entry["key"].lower() for n in nodes if isinstance(n.get("map"), list) and "cte_map" not in n
            for entry in n["map"] if isinstance(entry, dict) and "key" in entry}
    # A CTE is visible only in its own WITH, but the names here are the whole query's: one named like a catalog
    # view (WITH duckdb_databases AS …) in one part would let the real view through in another.
    ctes = {c for c in ctes if not c.startswith(REFUSED_PREFIXES) and c not in REFUSED_FUNCTIONS}
    allowed = sandbox_tables(con) | ctes
    for n in nodes:
        if n.get("type") == "SHOW_REF":  # SHOW, DESCRIBE, SUMMARIZE: parsed as a SELECT, but they describe the data
            raise ExtractorError(f"{query_file}: refused by the sandbox: SHOW, DESCRIBE and SUMMARIZE are not "
                                 "queries; a query is one SELECT (or WITH … SELECT) over the request's tables",
                                 before_data=True)
        name = n.get("function_name")
        if isinstance(name, str) and (name.lower() in REFUSED_FUNCTIONS or name.lower().startswith(REFUSED_PREFIXES)):
            raise ExtractorError(f"{query_file}: refused by the sandbox: {name}() reveals the machine or runs SQL "
                                 "from a string; a query may use the request's tables and plain functions",
                                 before_data=True)  # from the parse tree alone: a requester may read it
        if n.get("type") == "TABLE_FUNCTION":
            called = str((n.get("function") or {}).get("function_name", "")).lower()
            if called not in ALLOWED_TABLE_FUNCTIONS:
                raise ExtractorError(f"{query_file}: refused by the sandbox: {called}() in FROM; a query reads the "
                                     "request's tables, and rows from range(), generate_series() or unnest() only",
                                     before_data=True)
        if n.get("type") == "BASE_TABLE":
            table = str(n.get("table_name", ""))
            schema = str(n.get("schema_name", "")).lower()
            catalog = str(n.get("catalog_name", "")).lower()
            if table.lower() not in allowed or schema not in ALLOWED_SCHEMAS or catalog not in {"", "sandbox"}:
                raise QueryFailed(f"{query_file}: refused by the sandbox: the table '{table}' is not one of the "
                                  "request's tables (or a CTE of the query)", query_file, sql, "", table)
