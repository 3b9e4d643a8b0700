"""A dimension taken from a CTE or subquery joined to the rows being counted: whose rows it is a value of.

Joined by the person key (USING (client_id), ON a.client_id = b.client_id), a derived table adds each person's
own values to their rows: a category. Joined otherwise (a CROSS JOIN, ON a municipality) a derived table that
reads persons' records labels everyone with someone else's values: one chosen person's whole record beside
every client (a WHERE picks the row), each municipality's youngest birth date. A derived table that reads no
table with a person key (a label table of registrars or structures) is a lookup and may be joined on anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extractor.disclosure import dimension_trace as strict

Node = dict[str, Any]


def attached(ref: Node, scope: Any, person_keys: frozenset[str], person_tables: frozenset[str]) -> str | None:
    """Why a value read in this SELECT may be another person's: its FROM brings persons' rows from several
    sources not all matched on the person key, or multiplies them by a table function or VALUES list joined
    without a condition. `ref` is the column read (any column of the SELECT: the rows it labels are the join's)."""
    joined = strict.sources(scope.node.get("from_table"), scope)
    if len(joined) < 2:
        return None
    persons = [s.alias for s in joined if s.kind == "table" and s.table in person_tables
               or s.kind == "derived" and _reads(s.node, s.ctes or {}, person_tables)]
    if not persons:
        return None
    links = _key_links(scope.node.get("from_table"), scope.node.get("where_clause"), set(persons),
                       lambda ref: strict.is_person_key(ref, scope, person_keys))
    if len({_root(links, a) for a in persons}) > 1:
        return ("a value of other persons' rows, joined to these by something other than the person key (join by "
                "the key column itself, USING (client_id); to filter, use WHERE … IN (SELECT …))")
    conditioned = _conditioned(scope.node.get("from_table"), scope.node.get("where_clause"))
    if any(s.kind in ("opaque", "renamed") and s.alias not in conditioned for s in joined):
        return "persons' rows joined without a condition to a table function or a VALUES list"
    return None


def _root(links: dict[str, str], alias: str) -> str:
    while links.get(alias, alias) != alias:
        alias = links[alias]
    return alias


def _key_links(table: Node | None, where: Node | None, persons: set[str], is_key: Callable[[Node], bool]
               ) -> dict[str, str]:
    """Union-find over the sources' aliases: two are linked where the person key of one equals the other's
    (JOIN … USING (client_id), ON a.client_id = b.client_id, or the same in the WHERE)."""
    links: dict[str, str] = {}

    def link(a: str, b: str) -> None:
        links[_root(links, a)] = _root(links, b)

    def walk(node: Node | None) -> None:
        if not node or node.get("type") != "JOIN":
            return
        walk(node.get("left"))
        walk(node.get("right"))
        if any(is_key({"class": "COLUMN_REF", "column_names": [c]}) for c in node.get("using_columns") or []):
            left, right = _aliases(node.get("left")) & persons, _aliases(node.get("right")) & persons
            for a in left:
                for b in right:
                    link(a, b)
        for pair in map(lambda c: _key_pair(c, is_key), _conjuncts(node.get("condition"))):
            if pair:
                link(*pair)

    walk(table)
    for pair in map(lambda c: _key_pair(c, is_key), _conjuncts(where)):
        if pair:
            link(*pair)
    return links


def _conditioned(table: Node | None, where: Node | None) -> set[str]:
    """The aliases that some JOIN condition, USING or WHERE equality names (not joined blindly)."""
    out: set[str] = set()
    stack = [table]
    while stack:
        node = stack.pop()
        if not node or node.get("type") != "JOIN":
            continue
        stack += [node.get("left"), node.get("right")]
        if node.get("using_columns"):
            out |= _aliases(node.get("right"))
        out |= {r["column_names"][-2].lower() for r in _refs(node.get("condition")) if len(r["column_names"]) > 1}
    return out | {r["column_names"][-2].lower() for r in _refs(where) if len(r["column_names"]) > 1}


def _refs(node: Any) -> list[Node]:
    return strict.nodes(node, lambda n: n.get("class") == "COLUMN_REF")


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
    return [n["table_name"] for n in strict.nodes(node, lambda n: n.get("type") == "BASE_TABLE" and "table_name" in n)]


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


def _key_pair(condition: Node, is_key: Callable[[Node], bool]) -> tuple[str, str] | None:
    """(a, b) for a.client_id = b.client_id between two different sources, each side a person key (or a column
    that is one renamed: f.cid where f's cid is client_id)."""
    if condition.get("type") != "COMPARE_EQUAL":
        return None
    sides = [condition.get("left") or {}, condition.get("right") or {}]
    if not all(x.get("class") == "COLUMN_REF" and len(x["column_names"]) > 1 and is_key(x) for x in sides):
        return None
    a, b = (x["column_names"][-2].lower() for x in sides)
    return (a, b) if a != b else None
