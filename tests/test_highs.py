"""The HiGHS programmes controlled rounding and the LP audit solve: statuses, warm re-solves, and silence."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from extractor.disclosure.tables.highs import INFEASIBLE, OPTIMAL, UNBOUNDED, Programme

# x0 + x1 = 10, x1 + x2 = 4, x ≥ 0: x1 ranges over [0, 4]; x0 over [6, 10]; x2 over [0, 4]
A = sparse.csr_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
B = np.array([10.0, 4.0])


@pytest.mark.parametrize(("cell", "low", "high"), [(0, 6.0, 10.0), (1, 0.0, 4.0), (2, 0.0, 4.0)])
def test_the_same_model_gives_both_ends_of_every_interval(cell: int, low: float, high: float) -> None:
    lp = Programme(A, B, B, 0.0, np.inf, presolve=False)
    c = np.zeros(3)
    c[cell] = -1.0
    top = lp.minimise(c)
    c[cell] = 1.0
    bottom = lp.minimise(c)  # from the max's basis
    assert (top.status, bottom.status) == (OPTIMAL, OPTIMAL)
    assert top.x is not None and bottom.x is not None
    assert (bottom.x[cell], top.x[cell]) == pytest.approx((low, high))
    assert A @ top.x == pytest.approx(B) and A @ bottom.x == pytest.approx(B)


def test_statuses() -> None:
    free = sparse.csr_matrix(np.array([[1.0, -1.0]]))  # x0 − x1 = 0: both grow without bound
    assert Programme(free, [0.0], [0.0], 0.0, np.inf).minimise(np.array([-1.0, 0.0])).status == UNBOUNDED
    clash = sparse.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0]]))  # x0 + x1 = 1 and = 2
    none = Programme(clash, [1.0, 2.0], [1.0, 2.0], 0.0, np.inf, presolve=False).minimise(np.zeros(2))
    assert none.status == INFEASIBLE and none.x is None


def test_ranged_rows_and_integers_match_scipy() -> None:
    """A 0/1 programme with ranged rows against scipy's LP over the same data (all-integer optimum)."""
    rng = np.random.default_rng(3)
    M = sparse.csr_matrix(rng.integers(0, 3, size=(6, 12)).astype(float))
    x0 = rng.integers(0, 2, size=12).astype(float)
    lo, hi = M @ x0 - 1.0, M @ x0 + 1.0
    c = rng.normal(size=12)
    ours = Programme(M, lo, hi, 0.0, 1.0, integer=np.ones(12, dtype=bool), options={"mip_rel_gap": 0.0}).minimise(c)
    assert ours.status == OPTIMAL and ours.x is not None
    assert np.allclose(ours.x, np.rint(ours.x)) and np.all(lo - 1e-9 <= M @ ours.x) and np.all(M @ ours.x <= hi + 1e-9)
    relaxed = linprog(c, A_ub=sparse.vstack([M, -M]), b_ub=np.concatenate([hi, -lo]), bounds=(0, 1), method="highs")
    assert relaxed.fun <= c @ ours.x + 1e-9  # the LP relaxation bounds the 0/1 optimum from below
    assert c @ ours.x <= c @ x0 + 1e-9  # and the 0/1 optimum is at least as good as the known point


def test_solving_prints_nothing() -> None:
    """HiGHS's banner would land in the CLI's stdout (and a JSON answer): the first model of a process."""
    code = ("import numpy as np; from scipy import sparse; from extractor.disclosure.tables.highs import Programme; "
            "Programme(sparse.csr_matrix(np.ones((1, 2))), [1.0], [1.0], 0.0, 1.0).minimise(np.ones(2))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "" and done.stderr == ""
