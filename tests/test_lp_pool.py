"""The audits reuse every LP's solution as a feasible table: a cell whose values over the tables met so far
already spread as wide as it needs is proven without an LP of its own. Against the reference (one LP per
cell over the whole table, tests/test_tables_properties.reference_interval), on random tables and random
hidden patterns: both audits fail exactly the cells the reference finds too narrow, and every proof the
pipeline hands to the checker is an LP over its cells that is wide enough."""

from __future__ import annotations

import duckdb
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_tables_properties import _records, reference_interval, tables

from extractor.checker.intervals import narrow_cells
from extractor.disclosure.tables.build import build_cells
from extractor.disclosure.tables.lp_audit import _interval, _Polytope, audit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), seed=st.integers(0, 2**32 - 1), need=st.integers(1, 12))
def test_reused_solutions_prove_only_what_the_reference_proves(table, seed: int, need: int) -> None:
    shape, nested, counts = table
    names = [f"d{i}" for i in range(len(shape))]
    groups = ((names[0], names[1]), *[(n,) for n in names[2:]]) if nested else tuple((n,) for n in names)
    cells = build_cells(duckdb.connect(), _records(shape, counts), groups, "u", (), 2, "test")
    A = cells.structure.lines().tocsr()
    values = cells.rows.astype(float)
    rng = np.random.default_rng(seed)
    hidden = rng.random(values.size) < rng.uniform(0.2, 0.8)
    targets = np.flatnonzero(hidden)
    required = {"count": np.full(values.size, float(need))}
    widths = {int(c): np.subtract(*reference_interval(A, values, hidden, int(c))[::-1]) for c in targets}
    too_narrow = {c for c, w in widths.items() if w < need - 1e-6}

    result = audit(cells.structure, A, {"count": values}, hidden, required, targets)
    assert set(result.failed.tolist()) == too_narrow
    poly = _Polytope(A, values)
    for cell, variables in result.proofs.items():  # what the checker re-solves first
        assert hidden[variables].all() and cell in variables
        Av, b = poly.restricted(variables)
        lo, hi, _, _ = _interval(Av, b, int(np.searchsorted(variables, cell)))
        assert hi - lo >= need - 1e-6, (cell, variables)

    failures = narrow_cells(A, {"count": values}, hidden, {"count": np.where(hidden, float(need), 0.0)}, targets,
                            [None] * targets.size, [None] * targets.size, hops=len(shape))
    assert {cell for cell, *_ in failures} == too_narrow
