"""Rows a query multiplies: a join that makes more rows than either of its sides, or an UNNEST more than it read.

A count is only protected by the small-count rule if it counts the people's own rows. `documents CROSS JOIN
(SELECT client_id FROM clients LIMIT 1000)` made every count a thousand times the true one: a cell of 3
published as 3,000, past the 1-7 rule, and the true count one division away; a many-to-many join on a
non-key column, a join ON true or an UNNEST of a generated list does the same, and duplicated records
would fill k-anonymous classes. The query's own run is profiled (DuckDB's operator tree, no output file;
on Spark the executed plan's metrics, engine/spark_plan_rows.py):
every join's rows are compared with its larger side's (an outer join's with both sides' together, as it
also keeps the rows that found no match), every UNNEST's with its input's. A one-to-many join (documents to
their client) never makes more; a test of another table's rows is written with EXISTS, which never
multiplies. A vocabulary join may make rows (a drug exposure to each of its ingredients' cells): an equality
join one of whose sides reads only tables without people. A UNION whose branches read one table's rows
as they are (no aggregate between the union and the table) repeats them: the same people's rows counted
twice or eight times pass the rule as surely as a join's (a table attack divided its counts by eight); a
union of counts (each branch aggregated) passes. Not covered: a vocabulary join on a column that is not the
vocabulary's key.
"""

from __future__ import annotations

import json
from typing import Any

from extractor.errors import ExtractorError

_JOINS = ("JOIN", "CROSS_PRODUCT", "POSITIONAL")
_OUTER = {"LEFT", "RIGHT", "FULL", "OUTER"}
_IN_WORDS = {"CROSS_PRODUCT": "a cross join (or a comma between tables)", "HASH_JOIN": "a join on equal values",
             "UNION": "a UNION whose branches read the same table's rows (use CASE or GROUPING SETS for "
                      "categories, or count in each branch)",
             "NESTED_LOOP_JOIN": "a join on a condition (not on equal keys)", "UNNEST": "an UNNEST or explode"}


def _rows(node: dict[str, Any]) -> int:
    """The rows an operator made (the profile's newer and older names for it)."""
    return int(node.get("operator_cardinality", node.get("intermediate_rows", 0)) or 0)


def _ctes(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A materialised CTE's index -> the operator that makes its rows (its scans name only the index)."""
    found, stack = {}, list(profile.get("operator") or profile.get("children") or [])
    while stack:
        n = stack.pop()
        index = (n.get("extra_info") or {}).get("Table Index")
        kind = str(n.get("operator_type") or n.get("type") or "").upper()
        if kind == "CTE" and index is not None and n.get("children"):
            found[str(index)] = n["children"][0]
        stack.extend(n.get("children") or [])
    return found


def _tables(node: dict[str, Any], ctes: dict[str, dict[str, Any]], rows_only: bool = False, depth: int = 0
            ) -> set[str]:
    """The tables an operator's subtree scans (their own names, lower case), a materialised CTE it scans
    included; `rows_only`: only those whose rows reach it as they are (no aggregate between)."""
    found, stack = set(), [node]
    while stack and depth < 50:
        n = stack.pop()
        kind = str(n.get("operator_type") or n.get("type") or "").upper()
        if rows_only and n is not node and ("AGGREGATE" in kind or "GROUP_BY" in kind):
            continue
        extra = n.get("extra_info") or {}
        if extra.get("Table"):
            found.add(str(extra["Table"]).split(".")[-1].strip('"').lower())
        if kind == "CTE_SCAN" and str(extra.get("CTE Index")) in ctes:
            found |= _tables(ctes[str(extra["CTE Index"])], ctes, rows_only, depth + 1)
        stack.extend(n.get("children") or [])
    return found


def _repeats_rows(children: list[dict[str, Any]], person_tables: frozenset[str] | None,
                  ctes: dict[str, dict[str, Any]]) -> bool:
    """A union's branches read the rows of one table with people in it, each as they are."""
    seen: set[str] = set()
    for child in children:
        tables = {t for t in _tables(child, ctes, rows_only=True) if person_tables is None or t in person_tables}
        if tables & seen:
            return True
        seen |= tables
    return False


def multiplying_operator(profile: dict[str, Any], person_tables: frozenset[str] | None = None) -> str | None:
    """The first operator (its type) that outputs more rows than its inputs allow, or None. `person_tables`
    (lower case): the tables that hold people's rows; an equality join one of whose sides reads only other
    tables (a vocabulary: a drug to each of its ingredients) may make rows. None: every table holds people."""
    stack, ctes = list(profile.get("operator") or profile.get("children") or []), _ctes(profile)
    while stack:
        node = stack.pop()
        children = node.get("children") or []
        kind = str(node.get("operator_type") or node.get("type") or "")
        rows, inputs = _rows(node), [_rows(c) for c in children]
        outer = str((node.get("extra_info") or {}).get("Join Type", "")).upper() in _OUTER
        bound = sum(inputs) if outer else max(inputs, default=0)  # an outer join keeps its unmatched rows too
        if kind.upper() in ("UNION", "UNIONEXEC") and _repeats_rows(children, person_tables, ctes):
            return "UNION"
        if inputs and (any(j in kind for j in _JOINS) or kind == "UNNEST") and rows > bound \
                and not (kind == "HASH_JOIN" and person_tables is not None
                         and any((t := _tables(c, ctes)) and not t & person_tables for c in children)):
            return kind
        stack.extend(children)
    return None


def refuse_multiplied_rows(con: Any, query_file: object, person_tables: frozenset[str] | None = None) -> None:
    """After the query ran on `con` (profiling on): refuse it if an operator multiplied the rows."""
    refuse_multiplied(json.loads(con.get_profiling_information(format="json")), query_file, person_tables)


def refuse_multiplied(profile: dict[str, Any], query_file: object, person_tables: frozenset[str] | None = None) -> None:
    """Refuse the query whose operator tree (`profile`, DuckDB's JSON or Spark's plan read as one) shows an
    operator that multiplied the rows. The refusal depends on the data, so it counts as a stop on data (the
    airlock rations those)."""
    kind = multiplying_operator(profile, person_tables)
    if kind == "UNION":
        raise ExtractorError(f"{query_file}: refused: {_IN_WORDS[kind]}, so a count over it would count the same "
                             "people twice, past the small-count rule")
    if kind is not None:
        what = _IN_WORDS.get(kind, "a join")
        raise ExtractorError(
            f"{query_file}: refused: {what} in the query ({kind}) makes more rows than either of its sides, so "
            "a count over it would be multiplied past the small-count rule; join on a key (each document to "
            "its client), or test another table's rows with EXISTS (SELECT 1 FROM … WHERE …)")
