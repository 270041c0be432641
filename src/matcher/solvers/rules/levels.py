"""Upper bounds of goal levels from the LP relaxation of a CP-SAT model, solved by HiGHS.

A lexicographic goal is solved level by level; proving each earlier level's best value with a
CP-SAT search of its own is what costs most. The LP relaxation of the same model (every integer
variable relaxed to its interval) bounds a level in a fraction of that time, and counts are whole:
``floor`` of the LP value bounds a count level. A fairness level (the smallest served share over
regions) takes one of the values ``floor(FAIRNESS_RESOLUTION * a / size)``; the largest of those at
which the LP with every region's served count rounded up to a whole number stays feasible bounds it.
When one plan reaches every such bound, each earlier level is proven at its best, so a single
CP-SAT search (the last level, with the earlier ones held at their bounds) settles the goal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy import sparse

from ..budget import Budget
from ..highs import IntegerProgram, LinearSolver

__all__ = ["ModelRelaxation", "Row", "largest_feasible"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: A row ``sum of coefficient * variable >= value``: variable indices, coefficients, value.
Row = tuple[Sequence[int], Sequence[int], int]

#: Room left for HiGHS' tolerances when an LP value is rounded down to a whole level value.
ROUNDING_SLACK = 1e-6
#: CP-SAT's bounds beyond this magnitude mean "no bound".
_INFINITE = 2**62


class ModelRelaxation:
    """The LP relaxation of a CP-SAT model whose constraints are all linear and unconditional.

    Constraints are read from the model's proto when a bound is asked for, so constraints added
    to the model in between (an earlier level held at its value) are part of the next LP. The LP
    stays in one HiGHS (:class:`~matcher.solvers.highs.LinearSolver`): each bound after the first
    is solved again from the last basis, its extra rows added once and switched on and off by
    their bounds.

    Parameters
    ----------
    cp
        The model; :attr:`usable` is ``False`` when it holds a constraint the LP cannot read.
    """

    def __init__(self, cp: cp_model.CpModel) -> None:
        self.cp = cp
        self.usable = True
        self._parsed = 0
        self._rows: list[IntArray] = []
        self._cols: list[IntArray] = []
        self._vals: list[FloatArray] = []
        self._lower: list[float] = []
        self._upper: list[float] = []
        self._bounds = np.zeros((0, 2))
        self._lp: LinearSolver | None = None
        self._shape = (0, 0)
        #: The HiGHS row of each extra row ``(variables, coefficients)`` asked for so far.
        self._extra: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}

    def _sync(self) -> None:
        variables = self.cp.proto.variables
        known = self._bounds.shape[0]
        if len(variables) > known:
            added = [list(variables[v].domain) for v in range(known, len(variables))]
            fresh = np.array([(d[0], d[-1]) for d in added], np.float64)
            self._bounds = np.concatenate([self._bounds, fresh])
        constraints = self.cp.proto.constraints
        for i in range(self._parsed, len(constraints)):
            constraint = constraints[i]
            if len(constraint.enforcement_literal) or not constraint.has_linear():
                self.usable = False
                return
            linear = constraint.linear
            domain = list(linear.domain)
            self._add(list(linear.vars), list(linear.coeffs), domain[0], domain[-1])
        self._parsed = len(constraints)

    def _add(
        self, variables: Sequence[int], coefficients: Sequence[int], low: int, high: int
    ) -> None:
        row = len(self._lower)
        self._rows.append(np.full(len(variables), row, np.int64))
        self._cols.append(np.asarray(variables, np.int64))
        self._vals.append(np.asarray(coefficients, np.float64))
        self._lower.append(-np.inf if low <= -_INFINITE else float(low))
        self._upper.append(np.inf if high >= _INFINITE else float(high))

    def _linear(self) -> LinearSolver | None:
        """The model's LP in HiGHS, built again only when the model has grown."""
        self._sync()
        if not self.usable or self._bounds.shape[0] == 0:
            return None
        shape = (len(self._lower), self._bounds.shape[0])
        if self._lp is None or shape != self._shape:
            empty = np.zeros(0, np.int64)
            matrix = sparse.csc_array(
                (
                    np.concatenate([np.zeros(0), *self._vals]),
                    (np.concatenate([empty, *self._rows]), np.concatenate([empty, *self._cols])),
                ),
                shape=shape,
            )
            self._lp = LinearSolver(
                IntegerProgram(
                    np.zeros(shape[1]),
                    matrix,
                    np.array(self._lower),
                    np.array(self._upper),
                    self._bounds[:, 0].copy(),
                    self._bounds[:, 1].copy(),
                    np.zeros(shape[1], bool),
                )
            )
            self._shape, self._extra = shape, {}
        return self._lp

    def _at_least(self, lp: LinearSolver, at_least: Sequence[Row]) -> None:
        """Switch the extra rows ``at_least`` on at their values and every other one off."""
        wanted: dict[tuple[tuple[int, ...], tuple[int, ...]], float] = {}
        for members, weights, value in at_least:
            key = (tuple(int(m) for m in members), tuple(int(w) for w in weights))
            wanted[key] = max(wanted.get(key, -np.inf), float(value))
        new = [key for key in wanted if key not in self._extra]
        if new:
            rows = np.concatenate([np.full(len(m), i, np.int64) for i, (m, _) in enumerate(new)])
            matrix = sparse.csr_array(
                (
                    np.concatenate([np.asarray(w, np.float64) for _, w in new]),
                    (rows, np.concatenate([np.asarray(m, np.int64) for m, _ in new])),
                ),
                shape=(len(new), self._shape[1]),
            )
            added = lp.add_rows(matrix, np.full(len(new), -np.inf), np.full(len(new), np.inf))
            self._extra.update(zip(new, added.tolist(), strict=True))
        if self._extra:
            keys = list(self._extra)
            lp.row_bounds(
                np.array([self._extra[k] for k in keys], np.int64),
                np.array([wanted.get(k, -np.inf) for k in keys]),
                np.full(len(keys), np.inf),
            )

    def terms(self, expr: cp_model.LinearExprT) -> tuple[list[int], list[int], int]:
        """Variables, coefficients and constant of a linear expression of the model."""
        self.cp.maximize(expr)
        objective = self.cp.proto.objective
        sign = -1 if objective.scaling_factor < 0 else 1
        coefficients = [sign * c for c in objective.coeffs]
        return list(objective.vars), coefficients, round(sign * objective.offset)

    def maximize(
        self,
        expr: cp_model.LinearExprT,
        at_least: Sequence[Row] = (),
        *,
        deadline: float,
    ) -> float | None:
        """The LP maximum of ``expr``; ``-inf`` when the LP is infeasible, ``None`` when unknown.

        ``at_least`` adds rows ``sum of coefficient * variable >= value`` to this LP only.
        """
        variables, coefficients, constant = self.terms(expr)
        lp = self._linear()
        if lp is None or deadline <= time.perf_counter():
            return None
        self._at_least(lp, at_least)
        cost = np.zeros(self._shape[1])
        np.add.at(cost, np.asarray(variables, np.int64), -np.asarray(coefficients, np.float64))
        lp.objective(cost)
        answer = lp.solve(Budget(work=0.0, deadline=deadline), "level bounds")
        if answer is None:
            return None
        value = answer[0]
        return float("-inf") if value == np.inf else -value + constant

    def count_bound(
        self, expr: cp_model.LinearExprT, at_least: Sequence[Row] = (), *, deadline: float
    ) -> int | None:
        """The largest whole value ``expr`` can take by the LP; ``None`` when unknown or infeasible."""
        value = self.maximize(expr, at_least, deadline=deadline)
        if value is None or not np.isfinite(value):
            return None
        return int(np.floor(value + ROUNDING_SLACK * max(1.0, abs(value))))

    def fairness_bound(
        self,
        level: cp_model.IntVar,
        groups: Sequence[tuple[Sequence[int], int]],
        resolution: int,
        at_least: Sequence[Row] = (),
        *,
        deadline: float,
    ) -> int | None:
        """A bound on ``level = min over groups of floor(resolution * served / size)``.

        ``groups`` holds, per region, the served variables of its needs and its size. The bound is
        the largest candidate value ``v`` at which the LP, with every region serving at least
        ``ceil(size * v / resolution)`` needs (whole needs: the rounding keeps every plan), stays
        feasible; ``None`` when an LP gives no answer. ``at_least`` holds the earlier levels.
        """
        if not groups:
            return resolution
        top = self.count_bound(level, at_least, deadline=deadline)
        if top is None:
            return None
        candidates = np.unique(
            np.concatenate(
                [(resolution * np.arange(size + 1, dtype=np.int64)) // size for _, size in groups]
            )
        )
        candidates = candidates[candidates <= top]
        if candidates.size == 0:
            return None

        def feasible(value: int) -> bool | None:
            floors = [
                (members, [1] * len(members), -(-size * value // resolution))
                for members, size in groups
            ]
            if any(need > len(members) for members, _, need in floors):
                return False
            answer = self.maximize(0, [*at_least, *floors], deadline=deadline)
            return None if answer is None else bool(np.isfinite(answer))

        # candidates[0] holds (every floor is 0): no LP for it.
        low = largest_feasible(candidates, feasible)
        return None if low is None else int(candidates[low])


def largest_feasible(candidates: IntArray, feasible: Callable[[int], bool | None]) -> int | None:
    """The position of the largest feasible candidate (the first always is; feasibility only
    shrinks as they grow), ``None`` when a probe gives no answer.

    The answer tends to lie near the top: probe down from it in doubling strides, then bisect.
    """
    low, high = 0, candidates.size - 1
    step = 0
    while low < high:
        probe = max(low + 1, high - step) if step >= 0 else (low + high + 1) // 2
        answer = feasible(int(candidates[probe]))
        if answer is None:
            return None
        if answer:
            low, step = probe, -1
        else:
            high = probe - 1
            step = 2 * step + 1 if step >= 0 else step
    return low
