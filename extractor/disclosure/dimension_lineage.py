"""What a dimension, or an anonymised record's column, is made of: traced through the query's parse tree.

A released category is shown even when its count is hidden, so a dimension must be a value of the rows it
groups. Three ways to smuggle a person's data into a label are refused, wherever in the query they are made:
an aggregate that collects the rows' values (string_agg …), a subquery's value (`(SELECT max(d.created_on)
FROM … WHERE birth_date = …) AS period`, which a CTE can hide: one label carries one person's data or a whole
dump of them), and, in an aggregate output, an aggregate at the output's own level (`max(age)` as a
"dimension" publishes the cell's extreme that `extremes = "withheld"` holds back). A per-person aggregate in
a CTE that the output then groups by (each client's first visit, by year) is a category and passes.

An anonymised record's sensitive attribute may not read a column the catalog calls a quasi-identifier or a
date: k-anonymity protects only the columns it generalises, so a birth date passed off as "sensitive" made
every record unique while the report said k = 5.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from extractor.disclosure import lineage as trace
from extractor.errors import ExtractorError

Node = dict[str, Any]


@cache
def _aggregates() -> frozenset[str]:
    """DuckDB's aggregate functions by name (its own catalog: what a GROUP BY computes per cell)."""
    import duckdb

    return frozenset(r[0].lower() for r in duckdb.connect().execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'aggregate'").fetchall())


def _walk(expr: Any, into_subqueries: bool = False) -> list[Node]:
    """Every expression node under `expr` (not into subqueries unless asked), itself included."""
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            out.append(node)
            if node.get("class") == "SUBQUERY" and not into_subqueries:
                continue
            stack.extend(v for k, v in node.items() if k != "alias")
    return out


def smuggled(expr: Node, scope: Any, depth: int = 0) -> str | None:
    """'string_agg()' or 'a subquery' where the value is made with one, through the CTEs and subqueries of
    the FROM clauses it reads; else None."""
    if depth > 50:
        return None
    for node in _walk(expr):
        kind = node.get("class")
        if kind == "SUBQUERY":
            return "a subquery's value"
        if kind in ("FUNCTION", "WINDOW", "AGGREGATE") and node.get("function_name", "").lower() in trace.COLLECTING:
            return f"{node['function_name']}()"
        if kind == "COLUMN_REF":
            for inner, inner_scope in trace._referenced(node, scope):  # noqa: SLF001
                found = smuggled(inner, inner_scope, depth + 1)
                if found:
                    return found
    return None


def own_aggregate(expr: Node) -> str | None:
    """The aggregate or window function an output's column is computed with at the output's own level."""
    for node in _walk(expr):
        name = node.get("function_name", "").lower()
        if node.get("class") == "WINDOW" or (node.get("class") in ("FUNCTION", "AGGREGATE") and name in _aggregates()):
            return f"{node.get('function_name') or node.get('type', 'a window').lower()}()"
    return None


_SELECTORS = {"arg_max", "arg_min", "argmax", "argmin", "max_by", "min_by", "arg_max_null", "arg_min_null"}
_NOT_CARRIED = ("alias", "filter", "order_bys")  # a row's filter or ordering picks values, it is not one


def _carried(expr: Any) -> list[Node]:
    """The nodes whose values the expression's value carries: not a filter, an ordering, a CASE's conditions
    or the key arg_max picks by (arg_max(service_task, created_on) carries a service task, not a date)."""
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        out.append(node)
        if node.get("class") == "CASE":
            stack.extend([c.get("then_expr") for c in node.get("case_checks") or []] + [node.get("else_expr")])
        elif node.get("class") == "FUNCTION" and node.get("function_name", "").lower() in _SELECTORS:
            stack.extend((node.get("children") or [])[:1])
        else:
            stack.extend(v for k, v in node.items() if k not in _NOT_CARRIED)
    return out


def reads(expr: Node, scope: Any, depth: int = 0) -> set[str]:
    """The table columns (lower case) whose values a value carries, through the CTEs and subqueries of its FROM
    clauses (a subquery's every column: not followed finer)."""
    found: set[str] = set()
    if depth > 50:
        return found
    for node in _carried(expr):
        if node.get("class") == "SUBQUERY":
            found |= {n["column_names"][-1].lower() for n in _walk(node, into_subqueries=True)
                      if n.get("class") == "COLUMN_REF"}
        if node.get("class") != "COLUMN_REF":
            continue
        inner = trace._referenced(node, scope)  # noqa: SLF001
        if not inner:
            found.add(node["column_names"][-1].lower())
        for inner_expr, inner_scope in inner:
            found |= reads(inner_expr, inner_scope, depth + 1)
    return found


def _traced(sql: str, names: tuple[str, ...]) -> list[tuple[str, list[tuple[Node, Any]] | None]]:
    """Each named column's expressions with their scopes; None for a column the trace cannot follow, and
    nothing at all for a query that is not one SELECT (the sandbox names what is wrong with it)."""
    try:
        top = trace._tree(sql)  # noqa: SLF001
    except LookupError:
        return []
    out: list[tuple[str, list[tuple[Node, Any]] | None]] = []
    for name in names:
        try:
            out.append((name, trace._column(top, name, {})))  # noqa: SLF001
        except LookupError:
            out.append((name, None))
    return out


def check_dimensions(sql: str, dimensions: tuple[str, ...], where: str, aggregate: bool) -> None:
    """Refuse, in one line naming the key, a dimension made by smuggling (above); `aggregate`: the query
    computes the cells itself, so its own aggregates are counts and statistics, never categories."""
    for name, found in _traced(sql, dimensions):
        if found is None:
            continue
        made = next((m for e, scope in found if (m := smuggled(e, scope))), None)
        if made is None and aggregate:
            made = next((m for e, _ in found if (m := own_aggregate(e))), None)
        if made:
            raise ExtractorError(
                f"{where}.dimensions: '{name}' is made with {made}; a dimension is a category the rows are grouped "
                "by, a value of those rows (join the table that holds a label; group by a per-person value "
                "computed in a CTE)", before_data=True)


def check_sensitive(sql: str, sensitive: tuple[str, ...], identifying: frozenset[str], where: str) -> None:
    """Refuse a sensitive attribute of an anonymised record that reads a quasi-identifier or a date of the
    catalog (`identifying`, lower case): it must be declared a quasi-identifier, with a hierarchy."""
    for name, found in _traced(sql, sensitive):
        read = {c for e, scope in found for c in reads(e, scope)} if found else {name.lower()}
        hit = sorted(read & identifying)
        if hit:
            raise ExtractorError(
                f"{where}.sensitive: '{name}' reads {', '.join(hit)}, which the catalog marks as identifying (a "
                "quasi-identifier or a date); declare it under quasi_identifiers with a hierarchy so that "
                "k-anonymity generalises it", before_data=True)
