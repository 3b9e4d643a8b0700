"""A table's unit is who contributes: a person's key read from a table as it is, traced in the query's SQL.

The small-count rule and dominance count a table's units. `row_number() OVER ()` as the unit made every
record its own contributor, and a document's key every document: a cell of 2 clients with 8 documents
passed the 1-7 rule. The unit column is traced (lineage.py's parse tree, through CTEs, subqueries and
casts) to the sandbox tables' columns it reads; each must be one the catalog gives the role person_key.
"""

from __future__ import annotations

from extractor.disclosure.lineage import Node, _column, _referenced, _returned, _Scope, _tree
from extractor.errors import ExtractorError


def _read_as_is(expr: Node, scope: _Scope, depth: int = 0) -> list[str] | None:
    """The sandbox tables' columns a value is, as it is (through CTEs, subqueries and casts); None where the
    query computes it."""
    if depth > 50:
        return None
    if expr.get("class") == "CAST":
        return _read_as_is(expr["child"], scope, depth + 1)
    if expr.get("class") != "COLUMN_REF":
        return None
    found = _referenced(expr, scope)
    if not found:
        return [expr["column_names"][-1]]  # a sandbox table's own column
    columns: list[str] = []
    for e, s in found:
        inner = _read_as_is(e, s, depth + 1)
        if inner is None:
            return None
        columns += inner
    return columns


def check_unit(sql: str, unit: str, where: str, person_keys: frozenset[str] | None = None) -> None:
    """A table's unit is who contributes: a person's key (`person_keys`, the catalog's person_key columns),
    read from a table as it is. `row_number() OVER ()` as the unit made every record its own contributor,
    and a document's key made every document one, so the 1-7 rule and dominance counted documents, not
    the persons."""
    try:
        top = _tree(sql)
        returned = _returned(top)
    except LookupError:
        return  # not one SELECT: the sandbox says what is wrong
    if returned is not None and unit.lower() not in returned:
        return  # named by the check of the columns the query returns
    try:
        found = _column(top, unit, {})
    except LookupError:
        found = [({}, _Scope(top, {}))]  # a form the trace cannot follow: taken as computed
    columns: list[str] = [] if found else [unit]  # []: a sandbox table's column, read through *
    for e, s in found:
        read = _read_as_is(e, s) if e else None
        if read is None:
            raise ExtractorError(f"{where}.unit: '{unit}' is computed by the query; the unit is who contributes "
                                 "(a person's key), read from a table as it is, so that the small-count and "
                                 "dominance rules count persons", before_data=True)
        columns += read
    other = next((c for c in columns if person_keys is not None and c.lower() not in person_keys), None)
    if other is not None:
        keys = ", ".join(sorted(person_keys or ())) or "none in the catalog"
        what = f"'{unit}' is" if other.lower() == unit.lower() else f"'{unit}' is the column '{other}', which is"
        raise ExtractorError(f"{where}.unit: {what} not a person's key (the catalog's person_key columns: "
                             f"{keys}); the unit is the person each record "
                             "belongs to, so that the small-count and dominance rules count persons",
                             before_data=True)
