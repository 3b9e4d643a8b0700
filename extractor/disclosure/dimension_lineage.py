"""What a dimension, or an anonymised record's column, is made of: traced through the query's parse tree.

A released category is shown even when its count is hidden, so a dimension must be a value of the rows it
groups. Three ways to smuggle a person's data into a label are refused, wherever in the query they are made:
an aggregate that collects the rows' values (string_agg …), a subquery's value (`(SELECT max(d.created_on)
FROM … WHERE birth_date = …) AS period`, which a CTE can hide: one label carries one person's data or a whole
dump of them), and, in an aggregate output, an aggregate at the output's own level (`max(age)` as a
"dimension" publishes the cell's extreme that `extremes = "withheld"` holds back). A per-person aggregate in
a CTE that the output then groups by (each client's first visit, by year) is a category and passes; an
aggregate or a window over the rows of several persons, joined back as a label (each municipality's oldest
age; `max(age) OVER (PARTITION BY municipality)`; a rank within a municipality, whose largest value is its
count), is refused: per person means grouped or partitioned by the catalog's person key.

An anonymised record's sensitive attribute may not read a column the catalog calls a quasi-identifier or a
date: k-anonymity protects only the columns it generalises, so a birth date passed off as "sensitive" made
every record unique while the report said k = 5.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from extractor.disclosure import dimension_trace as strict
from extractor.disclosure import lineage as trace
from extractor.disclosure.dimension_joins import attached
from extractor.errors import ExtractorError

Node = dict[str, Any]


@cache
def _aggregates() -> frozenset[str]:
    """DuckDB's aggregate functions by name (its own catalog: what a GROUP BY computes per cell)."""
    import duckdb

    return frozenset(r[0].lower() for r in duckdb.connect().execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'aggregate'").fetchall())


_SEVERAL = "() over the rows of several persons (grouped or partitioned by something other than the person key)"


def smuggled(expr: Node, scope: Any, person_keys: frozenset[str], depth: int = 0,
             person_tables: frozenset[str] = frozenset()) -> str | None:
    """'string_agg()', 'a subquery's value' or 'max() over the rows of several persons' where the value is made
    with one, through the CTEs and subqueries of the FROM clauses it reads; else None."""
    if depth > 50:
        return None
    for node in strict.nodes(expr, into_subqueries=False):
        kind = node.get("class")
        name = node.get("function_name", "").lower()
        if kind == "SUBQUERY":
            return "a subquery's value"
        if kind == "LAMBDA":
            return "a lambda function"
        if kind in ("FUNCTION", "WINDOW", "AGGREGATE") and name in trace.COLLECTING:
            return f"{node['function_name']}()"
        if kind == "WINDOW" and not _per_person(node.get("partitions") or [], scope, person_keys):
            return f"{name or node.get('type', 'window').lower()}{_SEVERAL}"
        if kind in ("FUNCTION", "AGGREGATE") and name in _aggregates() and not _grouped_per_person(scope, person_keys):
            return f"{'count' if name == 'count_star' else name}{_SEVERAL}"
        if kind == "COLUMN_REF":
            joined = attached(node, scope, person_keys, person_tables)
            if joined:
                return joined
            try:
                inner_found = strict.referenced(node, scope)
            except strict.Absent as absent:  # a name that no source gives (a lambda's parameter …): not followed
                raise strict.Untraceable(str(absent)) from None
            for inner, inner_scope in inner_found:
                found = _picked(inner_scope, person_keys) \
                    or smuggled(inner, inner_scope, person_keys, depth + 1, person_tables)
                if found:
                    return found
    return None


def _picked(scope: Any, person_keys: frozenset[str]) -> str | None:
    """A CTE or subquery that keeps one row of several persons' (DISTINCT ON, QUALIFY, LIMIT): its values are
    those rows' own, and joined back they label everyone else (each municipality's oldest birth year). One row
    per person (DISTINCT ON the person key, a window partitioned by it) is fine."""
    node = scope.node
    if node.get("sample") or _sampled(node.get("from_table")):
        return "a sample's rows (USING SAMPLE)"
    for modifier in node.get("modifiers") or []:
        if modifier.get("type") in ("LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER"):
            return "a row LIMIT picks"
        targets = modifier.get("distinct_on_targets") or []
        if modifier.get("type") == "DISTINCT_MODIFIER" and targets and not _per_person(targets, scope, person_keys):
            return "a row DISTINCT ON picks from several persons' rows"
    for window in (n for n in strict.nodes(node.get("qualify"), into_subqueries=False) if n.get("class") == "WINDOW"):
        if not _per_person(window.get("partitions") or [], scope, person_keys):
            return "a row QUALIFY picks from several persons' rows"
    return None


def _sampled(table: Node | None) -> bool:
    if not table:
        return False
    return bool(table.get("sample")) or _sampled(table.get("left")) or _sampled(table.get("right"))


def _per_person(groups: list[Node], scope: Any, person_keys: frozenset[str]) -> bool:
    return any(strict.is_person_key(g, scope, person_keys) for g in groups)


def _grouped_per_person(scope: Any, person_keys: frozenset[str]) -> bool:
    """Whether the SELECT an aggregate sits in groups by the person key in every grouping set (GROUP BY ALL: by
    the columns it returns that are not aggregates)."""
    node = scope.node
    items = node.get("select_list") or []
    groups = [items[int(p) - 1] if (p := trace._literal(g)) is not None and p.isdigit() and 0 < int(p) <= len(items)  # noqa: SLF001
              else g for g in node.get("group_expressions") or []]  # GROUP BY 1: the first column
    if node.get("aggregate_handling") == "FORCE_AGGREGATES":
        groups = [item for item in items if own_aggregate(item) is None]
    sets = node.get("group_sets") or []
    if len(sets) <= 1:
        return _per_person(groups, scope, person_keys)
    return all(any(i < len(groups) and strict.is_person_key(groups[i], scope, person_keys) for i in group_set)
               for group_set in sets)


def own_aggregate(expr: Node) -> str | None:
    """The aggregate or window function an output's column is computed with at the output's own level."""
    for node in strict.nodes(expr, into_subqueries=False):
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
            found |= {n["column_names"][-1].lower() for n in strict.nodes(node)
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


_UNFOLLOWED = "what the check cannot follow ({why}); write it as a named column of a CTE or a table"


def check_dimensions(sql: str, dimensions: tuple[str, ...], where: str, aggregate: bool,
                     person_keys: frozenset[str] = frozenset(), person_tables: frozenset[str] = frozenset()) -> None:
    """Refuse, in one line naming the key, a dimension made by smuggling (above); `aggregate`: the query
    computes the cells itself, so its own aggregates are counts and statistics, never categories;
    `person_keys`: the catalog's person-key columns (lower case), by which a per-person value is grouped."""
    try:
        top = trace._tree(sql)  # noqa: SLF001
    except LookupError:
        return  # not one SELECT: the sandbox names what is wrong with the SQL itself
    for name in dimensions:
        try:
            found = strict.column(top, name, {})
        except strict.Absent:
            continue  # not returned: the check that names the returned columns says so
        except strict.Untraceable as why:
            found, made = [], _UNFOLLOWED.format(why=why)
        else:
            try:
                made = next((m for e, _ in found if (m := own_aggregate(e))), None) if aggregate else None
                made = made or next((m for e, scope in found if (m := smuggled(e, scope, person_keys, 0,
                                                                                person_tables))), None)
            except strict.Untraceable as why:
                made = _UNFOLLOWED.format(why=why)
        if made:
            raise ExtractorError(
                f"{where}.dimensions: '{name}' is made with {made}; a dimension is a category the rows are grouped "
                "by, a value of those rows (join the table that holds a label; group by a per-person value "
                "computed in a CTE grouped by the person key)", before_data=True)


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
