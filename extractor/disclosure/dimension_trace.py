"""Where a dimension's column comes from, followed strictly: what cannot be followed is not trusted.

lineage.py follows count columns leniently, since a count it cannot follow is refused anyway. A dimension is
the opposite case: a label is shown even where its count is hidden, so a column this module cannot follow to a
CTE's or subquery's expression, or to a catalog table, is `Untraceable` and refused (dimension_lineage.py).
Followed by its qualifier (`b.region` is b's, not the first source that has a `region`), never through a
column-name list (`WITH m(municipality, region)` renames by position), `* REPLACE`/`EXCLUDE`, a table function,
PIVOT/UNPIVOT, a recursive CTE, `UNION BY NAME`, a sample or a LIMIT over a UNION. A column is a person key only
when it is a catalog table's own column of that name, never one a table function or a rename makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extractor.disclosure import lineage as trace

Node = dict[str, Any]


class Untraceable(LookupError):
    """A column this module cannot follow to what makes it."""


class Absent(Untraceable):
    """The query node returns no column of that name (another check names the columns it does return)."""


@dataclass(frozen=True)
class Source:
    alias: str  # lower case: what a qualifier names it by
    kind: str  # "table" (a catalog table), "derived" (a CTE or subquery), "opaque" (a table function, PIVOT …),
    # "renamed" (any source with a column-name list)
    node: Node | None = None  # the derived source's query node
    ctes: dict[str, Node] | None = None  # the CTEs visible inside it
    table: str = ""  # a catalog table's name (lower case)


def sources(table: Node | None, scope: Any) -> list[Source]:
    """The sources a FROM clause reads; a derived one renamed by a column-name list is Untraceable."""
    if not table or table.get("type") == "EMPTY":
        return []
    kind = table.get("type")
    if kind == "JOIN":
        return sources(table.get("left"), scope) + sources(table.get("right"), scope)
    if table.get("column_name_alias"):  # s(a, b): its columns renamed by position, read through nothing
        return [Source((table.get("alias") or table.get("table_name") or "").lower(), "renamed")]
    if kind == "BASE_TABLE":
        name = table["table_name"].lower()
        alias = (table.get("alias") or table["table_name"]).lower()
        if not table.get("schema_name") and name in scope.ctes:
            return [Source(alias, "derived", scope.ctes[name], scope.ctes)]
        return [Source(alias, "table", table=name)]
    if kind == "SUBQUERY":
        return [Source((table.get("alias") or "").lower(), "derived", table["subquery"]["node"], scope.ctes)]
    return [Source((table.get("alias") or "").lower(), "opaque")]


def _renamed_ctes(node: Node) -> None:
    for entry in (node.get("cte_map") or {}).get("map") or []:
        if entry.get("value", {}).get("aliases"):
            raise Untraceable("a CTE's column-name list renames its columns by position")


def column(node: Node, name: str, ctes: dict[str, Node]) -> list[tuple[Node, Any]]:
    """The expressions that make column `name` of a query node, each with its scope; [] for a catalog table's
    own column."""
    _renamed_ctes(node)
    if node.get("type") == "SET_OPERATION_NODE" and (node.get("modifiers") or node.get("setop_type") == "UNION_BY_NAME"
                                                     or node.get("setop_type") == "UNION_ALL_BY_NAME"):
        raise Untraceable("a UNION read by name, or one whose rows a LIMIT picks")
    try:
        branches = trace._branches(node)  # noqa: SLF001
    except LookupError:
        raise Untraceable("a recursive CTE, PIVOT or another form the trace does not follow") from None
    outer = {**ctes, **trace._Scope(node, ctes).ctes} if node.get("type") == "SET_OPERATION_NODE" else ctes  # noqa: SLF001
    names = [(trace._name(item) or "").lower() for item in branches[0]["select_list"]]  # noqa: SLF001
    if name.lower() in names:
        at, found = names.index(name.lower()), []
        for branch in branches:
            _renamed_ctes(branch)
            items = branch["select_list"]
            if len(items) <= at or items[at].get("class") == "STAR":
                raise Untraceable("a UNION branch gives the column through *")
            found.append((items[at], trace._Scope(branch, outer)))  # noqa: SLF001
        return found
    stars = [item for item in branches[0]["select_list"] if item.get("class") == "STAR"]
    if len(branches) == 1 and stars:
        if any(s.get("exclude_list") or s.get("replace_list") or s.get("rename_list") or s.get("columns")
               or s.get("expr") or s.get("qualified_exclude_list") for s in stars):
            raise Untraceable("* with REPLACE, EXCLUDE, RENAME or COLUMNS")
        qualifier = [stars[0]["relation_name"]] if len(stars) == 1 and stars[0].get("relation_name") else []
        return referenced({"column_names": [*qualifier, name]}, trace._Scope(branches[0], outer))  # noqa: SLF001
    raise Absent(f"no column '{name}'")


def referenced(ref: Node, scope: Any) -> list[tuple[Node, Any]]:
    """What a column reference inside `scope` reads: a derived source's expressions, or [] (a table's column)."""
    *qualifier, name = ref["column_names"]
    found = sources(scope.node.get("from_table"), scope)
    if qualifier:
        found = [s for s in found if s.alias == qualifier[-1].lower()]
        if not found:
            raise Untraceable(f"'{qualifier[-1]}' names no source of this SELECT")
    for source in found:
        if source.kind == "derived":
            try:
                return column(source.node, name, source.ctes)
            except Absent:
                if qualifier or len(found) == 1:
                    raise
        elif source.kind == "renamed" and (qualifier or len(found) == 1):
            raise Untraceable("a column-name list renames a source's columns by position")
        elif source.kind == "opaque" and (qualifier or len(found) == 1):
            raise Untraceable("a table function's, a VALUES list's or a PIVOT's column")
    if any(s.kind in ("opaque", "renamed") for s in found):
        raise Untraceable("a column that may be a table function's or a renamed source's: qualify it")
    return []


def is_table_column(ref: Node, scope: Any) -> bool:
    """A catalog table's own column (not a CTE's, a subquery's or a table function's)."""
    try:
        return ref.get("class") == "COLUMN_REF" and referenced(ref, scope) == [] and any(
            s.kind == "table" for s in sources(scope.node.get("from_table"), scope))
    except Untraceable:
        return False


def is_person_key(expr: Node, scope: Any, person_keys: frozenset[str], depth: int = 0) -> bool:
    """A bare column that is a catalog table's person key, as the table has it or renamed through CTEs and
    subqueries (never one a table function or a column-name list makes)."""
    if expr.get("class") != "COLUMN_REF" or depth > 50:
        return False
    try:
        inner = referenced(expr, scope)
    except Untraceable:
        return False
    if not inner:
        return expr["column_names"][-1].lower() in person_keys and is_table_column(expr, scope)
    return all(is_person_key(e, s, person_keys, depth + 1) for e, s in inner)


def nodes(node: Any, keep: Callable[[Node], bool] = lambda _: True, into_subqueries: bool = True) -> list[Node]:
    """Every parse-tree node under `node`, itself included, that `keep` holds true of (not inside a subquery
    expression unless asked)."""
    out, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if keep(item):
                out.append(item)
            if into_subqueries or item.get("class") != "SUBQUERY":
                stack.extend(item.values())
    return out
