"""What an aggregate output's columns are made of, read from DuckDB's parse tree of the query (no data).

Rounding and the small-count rule protect a count only if the column is one: `count(*) * 1000` (or a count
plus a constant) passes them with the true count recoverable by division, and a cell's `string_agg` of birth
dates as a dimension publishes every person of the cell. So, once the sandbox has accepted the query (its
refusals come first), each count column is traced through the query's CTEs and subqueries: it must be a count
(count(*), count(x), count(DISTINCT x), count_if), a sum of counts or of 0/1 indicators (sum(CASE WHEN … THEN
1 ELSE 0 END)), or such a value cast or coalesced with 0; and no dimension may be built by an aggregate that
collects the rows' values (string_agg, list, array_agg, histogram …). A column the trace cannot follow (a
table function, SELECT * over a table, a recursive CTE) is refused with the form that passes. The check reads
the SQL only: its one-line refusal carries no value from the data. A table's unit: table_unit.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import duckdb

from extractor.errors import ExtractorError

if TYPE_CHECKING:
    from extractor.config.request import Output

COUNTS = {"count", "count_star", "count_if", "countif"}
COLLECTING = {"string_agg", "group_concat", "listagg", "list", "array_agg", "histogram", "histogram_exact",
              "bitstring_agg", "list_pack", "array_pack", "json_group_array", "json_group_object",
              "json_group_structure", "map", "map_from_entries"}
_WRAPPERS = {"coalesce", "ifnull"}
Node = dict[str, Any]


class _Scope:
    """A SELECT node with the CTEs visible from it: where a column name is looked up."""

    def __init__(self, node: Node, ctes: dict[str, Node]) -> None:
        own = (node.get("cte_map") or {}).get("map") or []
        self.node = node
        self.ctes = {**ctes, **{e["key"].lower(): e["value"]["query_node"] for e in own if "key" in e}}


_PARSER = threading.local()  # an in-memory connection per thread, only to parse (a connection costs ~15 ms)


def _tree(sql: str) -> Node:
    if not hasattr(_PARSER, "con"):
        _PARSER.con = duckdb.connect()
    tree = json.loads(_PARSER.con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        raise LookupError  # the sandbox names what is wrong with the SQL itself
    return tree["statements"][0]["node"]


def _name(item: Node) -> str | None:
    if item.get("alias"):
        return item["alias"]
    if item.get("class") == "COLUMN_REF":
        return item["column_names"][-1]
    return None


def _sources(table: Node | None, scope: _Scope) -> Iterator[tuple[Node, dict[str, Node]]]:
    """The query nodes a FROM clause reads columns from (a CTE or a subquery; sandbox tables have none)."""
    if not table:
        return
    kind = table.get("type")
    if kind == "BASE_TABLE" and not table.get("schema_name") and table["table_name"].lower() in scope.ctes:
        yield scope.ctes[table["table_name"].lower()], scope.ctes
    elif kind == "SUBQUERY":
        yield table["subquery"]["node"], scope.ctes
    elif kind == "JOIN":
        yield from _sources(table.get("left"), scope)
        yield from _sources(table.get("right"), scope)


def _branches(node: Node) -> list[Node]:
    """The SELECT nodes whose rows a node returns: itself, or every branch of a UNION, EXCEPT or INTERSECT."""
    if node.get("type") == "SET_OPERATION_NODE":
        parts = node.get("children") or [node.get("left"), node.get("right")]
        return [b for part in parts if part for b in _branches(part)]
    if node.get("type") != "SELECT_NODE":
        raise LookupError  # a recursive CTE, a PIVOT …: not followed
    return [node]


def _column(node: Node, name: str, ctes: dict[str, Node]) -> list[tuple[Node, _Scope]]:
    """The expressions that make column `name` of a query node (one per UNION branch, by the first branch's
    position), each with its scope; [] when it is a sandbox table's column (read through *). Raises
    LookupError where the trace cannot follow."""
    branches = _branches(node)
    outer = {**ctes, **_Scope(node, ctes).ctes} if node.get("type") == "SET_OPERATION_NODE" else ctes
    first = _Scope(branches[0], outer)
    names = [(_name(item) or "").lower() for item in branches[0]["select_list"]]
    if name.lower() in names:
        at = names.index(name.lower())
        found = []
        for branch in branches:
            items = branch["select_list"]
            if len(items) <= at or items[at].get("class") == "STAR":
                raise LookupError
            found.append((items[at], _Scope(branch, outer)))
        return found
    if len(branches) == 1 and any(item.get("class") == "STAR" for item in branches[0]["select_list"]):
        return _from_sources(first, name)  # [] where the star reads a sandbox table's columns
    raise LookupError


def _from_sources(scope: _Scope, name: str) -> list[tuple[Node, _Scope]]:
    """Column `name` of the first CTE or subquery in the scope's FROM that has it; [] when none (a table's)."""
    for source, visible in _sources(scope.node.get("from_table"), scope):
        try:
            found = _column(source, name, visible)
        except LookupError:
            continue
        if found:
            return found
    return []


def _referenced(ref: Node, scope: _Scope) -> list[tuple[Node, _Scope]]:
    """What a column reference inside `scope` reads: a CTE's or subquery's column, or [] (a table's)."""
    return _from_sources(scope, ref["column_names"][-1])


def _args(expr: Node) -> list[Node]:
    return [a["expression"] if isinstance(a, dict) and "expression" in a else a
            for a in expr.get("arguments") or expr.get("children") or []]


def _literal(expr: Node) -> str | None:
    """A constant's text ('NULL' for NULL), through casts; None for anything else."""
    if expr.get("class") == "CAST":
        return _literal(expr["child"])
    if expr.get("class") != "CONSTANT":
        return None
    literal = expr.get("literal") or {}
    return "NULL" if literal.get("kind") == "NULL_LITERAL" else str(literal.get("text"))


def _indicator(expr: Node) -> bool:
    """1 where a row counts, else 0 (or NULL): CASE WHEN … THEN 1 ELSE 0 END, or a condition cast to a number."""
    kind = expr.get("class")
    if kind == "CASE":
        results = [c["then_expr"] for c in expr["case_checks"]] + [expr.get("else_expr")]
        return all(r is None or _literal(r) in ("0", "1", "NULL") for r in results)
    if kind == "CAST":
        return expr["child"].get("class") in ("COMPARISON", "CONJUNCTION", "OPERATOR") or _indicator(expr["child"])
    return False


def _is_count(expr: Node, scope: _Scope, depth: int = 0) -> bool:
    if depth > 50:
        return False
    kind = expr.get("class")
    if kind in ("FUNCTION", "WINDOW", "AGGREGATE"):
        name = expr.get("function_name", "").lower()
        args = _args(expr)
        if name in COUNTS:
            return True
        if name == "sum" and len(args) == 1:
            return _indicator(args[0]) or _is_count(args[0], scope, depth + 1)
        if name in _WRAPPERS and args:
            return _is_count(args[0], scope, depth + 1) and all(_literal(a) == "0" for a in args[1:])
        return False
    if kind == "CAST":
        return _is_count(expr["child"], scope, depth + 1)
    if kind == "OPERATOR" and expr.get("type") == "OPERATOR_COALESCE":
        args = _args(expr)
        return bool(args) and _is_count(args[0], scope, depth + 1) and all(_literal(a) == "0" for a in args[1:])
    if kind == "COLUMN_REF":
        found = _referenced(expr, scope)
        return bool(found) and all(_is_count(e, s, depth + 1) for e, s in found)
    return False


def _returned(top: Node) -> set[str] | None:
    """The names the query's first SELECT returns; None when it returns a table's columns through *."""
    first = _branches(top)[0]["select_list"]
    if any(item.get("class") == "STAR" for item in first):
        return None
    return {(_name(item) or "").lower() for item in first}


def check_aggregate(sql: str, dimensions: tuple[str, ...], counts: tuple[str, ...], where: str,
                    person_keys: frozenset[str] = frozenset(), person_tables: frozenset[str] = frozenset()) -> None:
    """Refuse, in one line naming the key, a count column that is not a count and a dimension built by an
    aggregate that collects values. `where`: 'request.toml: outputs[0]'. A column the query does not return
    is left to the check that names the columns it does return."""
    try:
        top = _tree(sql)
        returned = _returned(top)
    except LookupError:
        return  # not one SELECT: the sandbox says what is wrong
    for name in counts:
        if returned is not None and name.lower() not in returned:
            continue
        try:
            found = _column(top, name, {})
        except LookupError:
            found = []
        if not found or not all(_is_count(e, scope) for e, scope in found):
            raise ExtractorError(
                f"{where}.counts: '{name}' is not computed as a count; a count column must be count(*), "
                f"count(x), count(DISTINCT x), count_if(…) or a sum of counts or of 0/1 indicators (no "
                f"arithmetic on it), so that rounding and the small-count rule protect what was counted (a mean, "
                f"minimum or maximum: kind = \"table\" with magnitudes and statistics, which computes them safely)",
                before_data=True)
    from extractor.disclosure.dimension_lineage import check_dimensions

    check_dimensions(sql, dimensions, where, aggregate=True, person_keys=person_keys, person_tables=person_tables)


def check_outputs(outputs: Iterable[Output], catalog: Any) -> None:
    """check_aggregate for each aggregate output of a request (its query file's text), the dimensions of each
    table, check_unit for each table's unit (a person_key column of the catalog), and each anonymised record's
    sensitive attributes (none may read the catalog's quasi-identifiers and dates)."""
    from extractor.disclosure.dimension_lineage import check_dimensions, check_sensitive
    from extractor.disclosure.table_unit import check_unit

    person_keys = catalog.person_keys()
    person_tables = catalog.person_tables()
    for out in outputs:
        sql = out.query.read_text(encoding="utf-8")
        if out.kind == "aggregate":
            check_aggregate(sql, out.dimensions, out.counts, out.where, person_keys, person_tables)
        elif out.kind == "table" and out.table:
            check_dimensions(sql, tuple(c for group in out.table.groups for c in group), out.where, aggregate=False,
                             person_keys=person_keys, person_tables=person_tables)
            if out.table.unit and out.table.privacy != "cell_key":
                # (a cell-key table's unit is its record key: the surrogates' own check names a transformed one)
                check_unit(sql, out.table.unit, out.where, person_keys)
        elif out.anonymisation is not None and out.anonymisation.sensitive:
            check_sensitive(sql, tuple(out.anonymisation.sensitive), identifying(catalog), out.where)


def identifying(catalog: Any) -> frozenset[str]:
    """The catalog's columns (lower case) that single a person out in combination: quasi-identifiers and dates."""
    return frozenset(c.name.lower() for t in catalog.tables.values() for c in t.columns
                     if c.role in ("quasi_identifier", "date"))
