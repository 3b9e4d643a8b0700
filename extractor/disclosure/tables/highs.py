"""Linear and 0/1 programmes solved by HiGHS through its own Python package (highspy), not scipy's copy.

Why not scipy.optimize: its bundled HiGHS is older, and the newer one's MIP heuristics find an additive
controlled rounding of a 1,500-cell table about ten times sooner (0.86 s -> 0.09 s at 1M clients, the
same 5 % gap); scipy also re-presolves and re-wraps every small LP of the attacker's audit, where
presolve costs more than it saves. The model is passed once; the LP's objective can then be changed and
the LP solved again from the last basis (the audit's max and min of one cell). HiGHS is deterministic for
a given model and options: the same table always gets the same answer, unless a time limit is reached.

`highspy.Highs` prints HiGHS's banner on stdout when constructed, before any option can be set; the
binding's own class (`_Highs`) does not, once `output_flag` is off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from highspy import HighsLp, HighsModelStatus, HighsVarType, MatrixFormat, kHighsInf
from highspy._core import _Highs
from scipy import sparse

OPTIMAL, INFEASIBLE, UNBOUNDED, OTHER = "optimal", "infeasible", "unbounded", "other"
# "unbounded or infeasible" is not mapped: HiGHS tells them apart by default (allow_unbounded_or_infeasible is
# off), and reading an infeasible LP as unbounded would call a cell's interval infinite
_STATUS = {HighsModelStatus.kOptimal: OPTIMAL, HighsModelStatus.kInfeasible: INFEASIBLE,
           HighsModelStatus.kUnbounded: UNBOUNDED}


@dataclass(frozen=True)
class Solved:
    status: str  # optimal, infeasible, unbounded or other (a time limit: x is the best found, or None)
    x: np.ndarray | None


class Programme:
    """min c·x subject to row_lower ≤ A·x ≤ row_upper, lower ≤ x ≤ upper; some x integer."""

    def __init__(self, A: sparse.spmatrix, row_lower: np.ndarray, row_upper: np.ndarray, lower: np.ndarray | float,
                 upper: np.ndarray | float, integer: np.ndarray | None = None, presolve: bool = True,
                 options: dict[str, float | str] | None = None) -> None:
        A = sparse.csc_matrix(A)
        m, n = A.shape
        self.n = n
        self.integer = integer is not None
        self.highs = _Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "on" if presolve else "off")
        for key, value in (options or {}).items():
            self.highs.setOptionValue(key, value)
        lp = HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.broadcast_to(np.asarray(lower, dtype=float), n).copy()
        lp.col_upper_ = np.broadcast_to(np.where(np.isinf(upper), kHighsInf, upper).astype(float), n).copy()
        lp.row_lower_ = np.asarray(row_lower, dtype=float)
        lp.row_upper_ = np.asarray(row_upper, dtype=float)
        lp.a_matrix_.format_ = MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data.astype(float)
        if integer is not None:
            lp.integrality_ = [HighsVarType.kInteger if i else HighsVarType.kContinuous for i in integer]
        self.highs.passModel(lp)

    def minimise(self, c: np.ndarray) -> Solved:
        """Solve with this objective (the basis of the last solve is the start).

        The first solve of an LP is HiGHS's choice (dual simplex); every later one is primal simplex: a new
        objective leaves the last basis primal feasible, where primal simplex goes on from it and dual
        simplex must first repair dual feasibility (the audit's max then min of a cell: 2-3x faster)."""
        self.highs.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.asarray(c, dtype=float))
        self.highs.run()
        if not self.integer:
            self.highs.setOptionValue("simplex_strategy", 4)  # primal
        status = _STATUS.get(self.highs.getModelStatus(), OTHER)
        feasible = self.highs.getInfo().primal_solution_status == 2  # a feasible point, optimal or not
        x = np.array(self.highs.getSolution().col_value) if status == OPTIMAL or (status == OTHER and feasible) \
            else None
        return Solved(status, x)
