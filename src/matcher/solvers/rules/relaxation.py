"""The LP relaxation of a rules model, solved by HiGHS: a proven bound and a guide for CP-SAT.

Every integrality is dropped: ``0 <= x[p] <= 1`` per pair, a need's served share is
``sum x / partners``, an organization's engagement ``z[o] <= min(1, sum x)``. The limits, money and
aid-mix rules stay as written (soft ones with their penalized slack), so the LP optimum bounds the
score of every plan, and its support (the pairs with ``x > 0``) tells CP-SAT where to look.
Rows are assembled from numpy arrays as one sparse matrix, never one pair at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ...models.rules import Softness
from ...rules.compile import MONEY_UNIT, PER_MILLE
from ..base import AssignmentModel, IntArray, SideRules
from ..budget import Budget
from ..highs import IntegerProgram, LinearSolver

__all__ = ["LinearProgram", "Relaxation", "linear_program", "solve_program", "solve_relaxation"]

FloatArray = npt.NDArray[np.float64]

#: Most rounds of pricing before the bound is taken as it stands.
MAX_ROUNDS = 12
#: Left-out pairs that join the LP per need and round: those that would improve it most.
ENTERING_PER_NEED = 10


@dataclass(frozen=True, eq=False)
class Relaxation:
    """Outcome of the LP: ``feasible``; ``bound`` on the score (less penalties); ``x`` per pair."""

    feasible: bool
    bound: float
    x: FloatArray


class _Rows:
    """Sparse rows ``lower <= A v <= upper`` over the LP variables, added in bulk."""

    def __init__(self) -> None:
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(
        self, row_of: IntArray, col: IntArray, val: FloatArray, lower: FloatArray, upper: FloatArray
    ) -> None:
        """Rows numbered ``0..len(lower)-1`` by ``row_of``, appended after the existing ones."""
        base = len(self.lower)
        self.rows.append(np.asarray(row_of, np.int64) + base)
        self.cols.append(np.asarray(col, np.int64))
        self.vals.append(np.asarray(val, np.float64))
        self.lower.extend(np.asarray(lower, np.float64).tolist())
        self.upper.extend(np.asarray(upper, np.float64).tolist())

    def matrix(self, n_cols: int) -> sparse.csr_array:
        return sparse.csr_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.lower), n_cols),
        )


@dataclass(frozen=True, eq=False)
class LinearProgram:
    """``minimize c @ v`` subject to ``a_ub @ v <= b_ub`` and ``lower <= v <= upper``.

    The variables ``v`` are the pairs' ``x`` first (``n_pairs`` of them), then one ``z`` per
    organization, then one slack per soft limit. With every ``x`` whole, the rows are the rules
    as CP-SAT reads them, except that a need of several partners may take only some of them: its
    rows count it served in proportion (see :func:`matcher.solvers.rules.rounding.round_relaxation`).
    """

    a_ub: sparse.csc_array
    b_ub: FloatArray
    c: FloatArray
    lower: FloatArray
    upper: FloatArray
    n_pairs: int


def solve_relaxation(
    model: AssignmentModel,
    side: SideRules,
    *,
    budget: Budget,
    start: IntArray | None = None,
    lp: LinearProgram | None = None,
) -> Relaxation:
    """Solve the LP relaxation of ``model`` under ``side`` (a :class:`SideRules`), maximizing score.

    ``start`` is the subset of pairs the column generation begins with (all pairs when ``None``:
    one dual simplex solve, whose optimum is a vertex). ``lp`` is :func:`linear_program`'s answer,
    when the caller has it already. HiGHS stops at the ``budget``'s deadline only (recorded as a
    cap); the bound then stands as far as the pricing got.
    """
    lp = linear_program(model, side) if lp is None else lp
    return solve_program(lp, model.need, start, budget)


class _Limits:
    """Limits on sums of pairs as rows of the LP: a hard one bounds its row, a soft one adds a
    slack variable (after the pairs and organizations) whose penalty the objective pays."""

    def __init__(self, rows: _Rows, first_slack: int) -> None:
        self.rows = rows
        self.first_slack = first_slack
        self.costs: list[float] = []  # objective of the slack variables (negative: penalties)
        self.slack_bounds: list[float] = []

    def add(
        self,
        pairs: IntArray,
        weights: FloatArray,
        bounds: tuple[float | None, float | None],
        softness: Softness,
        *,
        unit: float = 1.0,
        reach: float,
    ) -> None:
        """``lower <= weights @ x[pairs] <= upper`` for ``bounds = (lower, upper)``; ``reach`` is
        the largest violation, ``unit`` how many units one penalty applies to."""
        lower, upper = bounds
        low = -np.inf if lower is None else lower
        high = np.inf if upper is None else upper
        row = np.zeros(pairs.size, np.int64)
        col, val = pairs, weights
        if not softness.hard:
            slack = self.first_slack + len(self.costs)
            self.costs.append(-softness.penalty / unit)
            self.slack_bounds.append(max(0.0, reach))
            row = np.append(row, 0)
            col = np.append(col, slack)
            val = np.append(val, 1.0 if lower is not None else -1.0)
        self.rows.add(row, col, val, np.full(1, low), np.full(1, high))


def linear_program(model: AssignmentModel, side: SideRules) -> LinearProgram:
    """The LP relaxation of ``model`` under ``side``, its rows assembled from numpy arrays."""
    n_pairs, n_orgs = model.n_pairs, model.n_orgs
    # Variables: x (pairs) | z (organizations) | slack per soft limit.
    rows = _Rows()
    limits = _Limits(rows, n_pairs + n_orgs)
    _assignment_rows(rows, model, side)
    _group_limits(limits, model, side)
    _organization_limits(limits, model, side)
    _money_limits(limits, model, side)
    _aid_mix_limit(limits, model, side)
    n_vars = n_pairs + n_orgs + len(limits.costs)
    c = -np.concatenate([model.score, np.zeros(n_orgs), np.array(limits.costs)])  # HiGHS minimizes
    upper = np.concatenate([np.ones(n_pairs), np.ones(n_orgs), np.array(limits.slack_bounds)])
    lower = np.zeros(n_vars)
    lower[model.fixed] = 1.0
    a = rows.matrix(n_vars)
    lo, hi = np.array(rows.lower), np.array(rows.upper)
    a_ub = sparse.vstack([a[np.isfinite(hi)], -a[np.isfinite(lo)]]).tocsc()
    b_ub = np.concatenate([hi[np.isfinite(hi)], -lo[np.isfinite(lo)]])
    return LinearProgram(a_ub, b_ub, c, lower, upper, n_pairs)


def _served_share(model: AssignmentModel, side: SideRules) -> FloatArray:
    """Each pair's contribution to its need's served count."""
    share: FloatArray = 1.0 / side.partners[model.need]
    return share


def _assignment_rows(rows: _Rows, model: AssignmentModel, side: SideRules) -> None:
    """A need takes at most ``partners`` organizations, an organization at most its capacity,
    and a partnership that needs a lead takes one. (No lower rows: ``x >= 0`` implies them, and
    each would double a row of the LP.)"""
    n_pairs, n_needs, n_orgs = model.n_pairs, model.n_needs, model.n_orgs
    need, org, ones = model.need, model.org, np.ones(model.n_pairs)
    rows.add(need, np.arange(n_pairs), ones, np.full(n_needs, -np.inf), side.partners.astype(float))
    rows.add(org, np.arange(n_pairs), ones, np.full(n_orgs, -np.inf), model.capacity.astype(float))
    lead = np.flatnonzero(side.lead_needed[need])
    if lead.size:  # primary-type share >= served share: sum_primary x - sum x / k >= 0
        served_share = _served_share(model, side)
        weight = np.where(side.pair_primary[lead], 1.0, 0.0) - served_share[lead]
        rows.add(need[lead], lead, weight, np.zeros(n_needs), np.full(n_needs, np.inf))


def _group_limits(limits: _Limits, model: AssignmentModel, side: SideRules) -> None:
    """Bounds on the served needs of each group (regions, categories, the program)."""
    served_share = _served_share(model, side)
    member = np.zeros(model.n_needs, bool)
    for group in side.rules.groups:
        member[:] = False
        member[group.needs] = True
        pairs = np.flatnonzero(member[model.need])
        weights = served_share[pairs]
        if group.lower is not None:
            floor = (float(group.lower), None)
            limits.add(pairs, weights, floor, group.softness, reach=group.lower)
        if group.upper is not None:
            ceiling = (None, float(group.upper))
            reach = max(0, group.needs.size - group.upper)
            limits.add(pairs, weights, ceiling, group.softness, reach=reach)


def _organization_limits(limits: _Limits, model: AssignmentModel, side: SideRules) -> None:
    """The program's minimum of organizations taking part: ``z[o] <= sum_{p in o} x[p]``."""
    if side.rules.min_organizations is None:
        return
    n_pairs, n_orgs = model.n_pairs, model.n_orgs
    wanted, softness = side.rules.min_organizations
    zs = n_pairs + np.arange(n_orgs)
    limits.rows.add(
        np.concatenate([model.org, np.arange(n_orgs)]),
        np.concatenate([np.arange(n_pairs), zs]),
        np.concatenate([-np.ones(n_pairs), np.ones(n_orgs)]),
        np.full(n_orgs, -np.inf),
        np.zeros(n_orgs),
    )
    limits.add(zs, np.ones(n_orgs), (wanted, None), softness, reach=wanted)


def _money_limits(limits: _Limits, model: AssignmentModel, side: SideRules) -> None:
    """Each organization's budget and the program's fund, in whole yuan."""
    rules, need, org = side.rules, model.need, model.org
    if rules.budgets is not None:
        share = np.rint(side.need_cost / side.partners)[need]
        for o in np.flatnonzero(np.isfinite(side.org_budget)).tolist():
            pairs = np.flatnonzero(org == o)
            if pairs.size:
                budget = float(np.floor(side.org_budget[o]))
                reach = float(share[pairs].sum()) - budget
                limits.add(
                    pairs, share[pairs], (None, budget), rules.budgets, unit=MONEY_UNIT, reach=reach
                )
    if rules.total_fund is not None:
        fund, softness = rules.total_fund
        cost = np.rint(side.need_cost)[need] * _served_share(model, side)
        bounds = (None, float(np.floor(fund)))
        limits.add(
            np.arange(model.n_pairs),
            cost,
            bounds,
            softness,
            unit=MONEY_UNIT,
            reach=float(cost.sum()),
        )


def _aid_mix_limit(limits: _Limits, model: AssignmentModel, side: SideRules) -> None:
    """The smallest share of served needs that build capacity."""
    if side.rules.capacity_building_share is None:
        return
    wanted_share, softness = side.rules.capacity_building_share
    ratio = round(wanted_share * PER_MILLE) / PER_MILLE
    weight = (side.capacity_building[model.need].astype(float) - ratio) * _served_share(model, side)
    reach = ratio * model.n_needs
    limits.add(np.arange(model.n_pairs), weight, (0.0, None), softness, reach=reach)


def solve_program(
    lp: LinearProgram, pair_need: IntArray, start: IntArray | None, budget: Budget
) -> Relaxation:
    """Solve ``lp`` (its first columns the pairs, of needs ``pair_need``) on a subset of the pair
    columns, ``start`` (every pair when ``None``), pricing the rest with the duals.

    After each solve, left-out pairs whose reduced cost would improve the objective join the
    subset, and the primal simplex goes on from the last basis. Whatever the subset and however
    far the simplex got, the duals give a valid bound on the full LP (its Lagrangian: each column
    at the bound its reduced cost prefers), so the bound holds even when time runs out before the
    pricing closes.
    """
    a_ub, b_ub, c, lower, upper = lp.a_ub, lp.b_ub, lp.c, lp.lower, lp.upper
    n_vars, n_pairs = c.size, pair_need.size
    included = np.ones(n_vars, bool)
    if start is not None:
        included[:n_pairs] = False
        included[start] = True
    columns = np.flatnonzero(included)
    solver = LinearSolver(
        IntegerProgram(
            c[columns],
            a_ub[:, columns],
            np.full(b_ub.size, -np.inf),
            b_ub,
            lower[columns],
            upper[columns],
            np.zeros(columns.size, bool),
        )
    )
    best = np.inf
    x = np.zeros(n_vars)
    for _ in range(MAX_ROUNDS):
        solved = solver.solve(budget, "relaxation")
        if solved is None:
            break
        if solved[0] == np.inf:  # the subset may lack pairs a floor needs: take every pair
            if included.all():
                return Relaxation(False, float("-inf"), np.zeros(n_pairs))
            entering = ~included
        else:
            x[:] = 0.0
            x[columns] = solved[1]
            duals = np.minimum(solver.row_duals(), 0.0)  # every row is ``a_ub @ x <= b_ub``
            reduced = c - a_ub.T @ duals
            lowest = b_ub @ duals + np.minimum(reduced * lower, reduced * upper).sum()
            best = min(best, -float(lowest))
            gain = np.where(~included & (reduced < 0), -reduced * upper, 0.0)
            entering = _best_per_need(gain, pair_need, ENTERING_PER_NEED)
            if not entering.any():
                break
        joining = np.flatnonzero(entering)
        solver.add_columns(c[joining], a_ub[:, joining], lower[joining], upper[joining])
        columns = np.concatenate([columns, joining])
        included[joining] = True
    return Relaxation(True, best, x[:n_pairs].copy())


def _best_per_need(gain: FloatArray, pair_need: IntArray, k: int) -> npt.NDArray[np.bool_]:
    """Mask of the pair columns with a positive gain that are among their need's ``k`` best."""
    n_pairs = pair_need.size
    pair_gain = gain[:n_pairs]
    candidates = np.flatnonzero(pair_gain > 1e-9)
    order = candidates[np.lexsort((-pair_gain[candidates], pair_need[candidates]))]
    first = np.searchsorted(pair_need[order], pair_need[order], side="left")
    chosen = np.zeros(gain.size, bool)
    chosen[order[np.arange(order.size) - first < k]] = True
    return chosen
