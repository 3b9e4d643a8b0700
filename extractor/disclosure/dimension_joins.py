"""A dimension taken from a CTE or subquery joined to the rows being counted: whose rows it is a value of.

Joined by the person key (USING (client_id), ON a.client_id = b.client_id), a derived table adds each person's
own values to their rows: a category. Joined otherwise (a CROSS JOIN, ON a municipality) a derived table that
reads persons' records labels everyone with someone else's values: one chosen person's whole record beside
every client (a WHERE picks the row), each municipality's youngest birth date. A derived table that reads no
table with a person key (a label table of registrars or structures) is a lookup and may be joined on anything.
"""

from __future__ import annotations

from typing import Any

from extractor.disclosure import dimension_trace as strict

Node = dict[str, Any]


def attached(ref: Node, scope: Any, person_keys: frozenset[str], person_tables: frozenset[str]) -> str | None:
    """Why the column `ref` reads is another row's value attached by a join, or None."""
    *qualifier, name = ref["column_names"]
    joined = strict.sources(scope.node.get("from_table"), scope)
    if len(joined) < 2:
        return None
    def keyed(alias: str) -> bool:  # joined on the person key, in its JOIN or in the WHERE (FROM a, b WHERE …)
        return _joined_by_person_key(scope.node.get("from_table"), alias, person_keys) \
            or any(_equates_key(c, alias, person_keys) for c in _conjuncts(scope.node.get("where_clause")))

    def persons(source: strict.Source) -> bool:  # whether a source's rows are persons' records
        if source.kind == "table":
            return source.table in person_tables
        return source.kind == "derived" and _reads(source.node, source.ctes or {}, person_tables)

    for source in joined:
        mine = not qualifier or source.alias == qualifier[-1].lower()
        if source.kind == "table" and qualifier and mine:
            break  # a catalog table's own column: judged below
        if source.kind != "derived" or not mine:
            continue
        try:
            strict.column(source.node, name, source.ctes or {})
        except strict.Absent:
            continue
        break
    else:
        return None
    # Another person's value only where other sources bring persons' rows too (a label table joined on its code
    # adds nothing of anyone's), and this one is not matched to them by the person key.
    if not persons(source) or keyed(source.alias) or not any(persons(s) for s in joined if s is not source):
        return None
    return "a value of other persons' rows, joined to these by something other than the person key"


def _reads(node: Node, ctes: dict[str, Node], person_tables: frozenset[str], depth: int = 0) -> bool:
    """Whether a query node reads a table with a person key anywhere (FROM, joins, subqueries), through the
    CTEs it names."""
    if depth > 20:
        return True
    inner = {**ctes, **{e["key"].lower(): e["value"]["query_node"]
                        for e in (node.get("cte_map") or {}).get("map") or [] if "key" in e}}
    names = {n.lower() for n in _table_names(node)}
    return bool(names - set(inner) & person_tables) \
        or any(_reads(inner[n], ctes, person_tables, depth + 1) for n in names & set(inner))


def _table_names(node: Any) -> list[str]:
    out, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("type") == "BASE_TABLE" and "table_name" in item:
                out.append(item["table_name"])
            stack.extend(item.values())
    return out


def _joined_by_person_key(table: Node | None, alias: str, person_keys: frozenset[str]) -> bool:
    """Whether the join that brings in source `alias` matches it on a person key."""
    if not table or table.get("type") != "JOIN":
        return False
    sides = (table.get("left"), table.get("right"))
    if not any(alias in _aliases(side) for side in sides):
        return False
    for side in sides:
        if alias in _aliases(side) and side.get("type") == "JOIN" and _joined_by_person_key(side, alias, person_keys):
            return True
    if any(c.lower() in person_keys for c in table.get("using_columns") or []):
        return True
    return any(_equates_key(c, alias, person_keys) for c in _conjuncts(table.get("condition")))


def _aliases(table: Node | None) -> set[str]:
    if not table:
        return set()
    if table.get("type") == "JOIN":
        return _aliases(table.get("left")) | _aliases(table.get("right"))
    return {(table.get("alias") or table.get("table_name") or "").lower()}


def _conjuncts(condition: Node | None) -> list[Node]:
    if not condition:
        return []
    if condition.get("class") == "CONJUNCTION" and condition.get("type") == "CONJUNCTION_AND":
        return [c for child in condition.get("children") or [] for c in _conjuncts(child)]
    return [condition]


def _equates_key(condition: Node, alias: str, person_keys: frozenset[str]) -> bool:
    """a.client_id = b.client_id with one side the source's own person key."""
    if condition.get("type") != "COMPARE_EQUAL":
        return False
    sides = [condition.get("left") or {}, condition.get("right") or {}]
    if not all(s.get("class") == "COLUMN_REF" and s["column_names"][-1].lower() in person_keys for s in sides):
        return False
    return any(len(s["column_names"]) > 1 and s["column_names"][-2].lower() == alias for s in sides)
