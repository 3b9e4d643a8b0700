"""Rows each operator of a finished Spark query made, in the shape of DuckDB's profile, for the same check.

DuckDB's sandbox profiles the query and refuses a join or UNNEST that made more rows than its inputs allow
(protect/row_multiplication.py); on Spark the same rule reads the executed physical plan's own metrics
(numOutputRows), after the query ran. An adaptive plan is read as it finally ran (its query stages, the
exchanges it reused); an operator without a row count (a projection, a sort, an exchange) passes its
input's on, a union adds its inputs'. Spark's operators are named as DuckDB's: an equality join (sort-merge,
broadcast or shuffled hash) is a HASH_JOIN, a nested-loop join a NESTED_LOOP_JOIN, a cartesian product a
CROSS_PRODUCT, a generator (explode) an UNNEST; so both engines refuse the same queries with the same words.
A subquery in an expression (a scalar subquery, IN) is a plan of its own, checked as such.
Spark Connect gives no plan to read: there the check cannot be made, and the query is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extractor.errors import ExtractorError

_KIND = {"BroadcastHashJoin": "HASH_JOIN", "ShuffledHashJoin": "HASH_JOIN", "SortMergeJoin": "HASH_JOIN",
         "BroadcastNestedLoopJoin": "NESTED_LOOP_JOIN", "CartesianProduct": "CROSS_PRODUCT", "Generate": "UNNEST",
         "Union": "UNION"}
_JOIN_TYPE = {"LeftOuter": "LEFT", "RightOuter": "RIGHT", "FullOuter": "FULL"}
_MAX_DEPTH = 500  # a plan deeper than this is not one a query makes


def _seq(seq: Any) -> list[Any]:
    """A Scala sequence as a list."""
    return [seq.apply(i) for i in range(seq.size())]


def _children(node: Any) -> list[Any]:
    return _seq(node.children())


def _unwrapped(node: Any) -> Any:
    """The operator that ran: an adaptive plan's final plan, a query stage's plan, a reused exchange's."""
    while True:
        name = node.nodeName()
        if name == "AdaptiveSparkPlan":
            node = node.executedPlan()
        elif name.endswith("QueryStage"):
            node = node.plan()
        elif name == "ReusedExchange":
            node = node.child()
        else:
            return node


def _metric(node: Any) -> int | None:
    found = node.metrics().get("numOutputRows")
    return int(found.get().value()) if found.isDefined() else None


def _table(node: Any, tables: dict[str, str]) -> str | None:
    """The sandbox table a file scan reads (by its folder), None for another leaf (VALUES, range)."""
    if node.getClass().getSimpleName() != "FileSourceScanExec":
        return None
    roots = node.relation().location().rootPaths()
    paths = {str(roots.apply(i)).removeprefix("file:").rstrip("/") for i in range(roots.size())}
    return next((tables[p] for p in paths if p in tables), Path(sorted(paths)[0]).name.lower() if paths else None)


def _profile(node: Any, tables: dict[str, str], subqueries: list[dict[str, Any]], depth: int = 0) -> dict[str, Any]:
    """The operator's tree; the plans of subqueries in its expressions (a scalar subquery, IN) go to
    `subqueries`, each checked as a tree of its own (their rows are not its input)."""
    if depth > _MAX_DEPTH:
        raise ExtractorError("refused: the query's plan is too deep to check")
    node = _unwrapped(node)
    name = node.nodeName()
    children = [_profile(c, tables, subqueries, depth + 1) for c in _children(node)]
    subqueries += [_profile(q, tables, subqueries, depth + 1) for q in _seq(node.subqueries())]
    rows = _metric(node)
    if rows is None:
        rows = sum(c["operator_cardinality"] for c in children)  # one input passed on, or a union's inputs
    extra: dict[str, str] = {}
    table = _table(node, tables)
    if table:
        extra["Table"] = table
    kind = _KIND.get(name, name)
    if kind in ("HASH_JOIN", "NESTED_LOOP_JOIN"):
        join_type = str(node.joinType())
        extra["Join Type"] = _JOIN_TYPE.get(join_type, join_type.upper())
    return {"operator_type": kind, "operator_cardinality": rows, "extra_info": extra, "children": children}


def plan_profile(frame: Any, sandbox: dict[str, Path]) -> dict[str, Any]:
    """The finished query's operator tree (as DuckDB's JSON profile: {"children": [root]})."""
    jdf = getattr(frame, "_jdf", None)
    if jdf is None:
        raise ExtractorError("refused: on Spark Connect the rows each join made cannot be read, so a query that "
                             "multiplies rows could not be stopped; run with a local or cluster master")
    tables = {str(Path(p).resolve()).rstrip("/"): name.lower() for name, p in sandbox.items()}
    subqueries: list[dict[str, Any]] = []
    root = _profile(jdf.queryExecution().executedPlan(), tables, subqueries)
    return {"children": [root, *subqueries]}
