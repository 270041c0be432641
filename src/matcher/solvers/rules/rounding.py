"""A whole plan from the LP relaxation: the integer program on the pairs the LP uses (HiGHS).

At a vertex of the relaxation (a simplex optimum) almost every pair is whole: a capacity-limited
assignment is a network, and only the side rules that bind (an organization's budget, a floor)
leave a few pairs fractional (10,000 needs and 300,000 pairs: 1,400 of the 7,000 the LP uses).
Held to the pairs the LP uses (its support), each need's best and the flow plan's, the integer
program has 18,000 pair columns and its own LP is nearly whole: HiGHS' branch and bound settles it
in about 5 s, 0.24% from the LP bound, where repairing the flow plan stays 1.1% away. The LP's
support alone is solved in 0.2 s but lands 0.8% away: a need the LP splits needs somewhere else
to go. :func:`improve` then re-solves a few organizations' needs at a time (0.19% after 5-10 s).

The integer program is the relaxation's rows (:func:`matcher.solvers.rules.relaxation.linear_program`)
on the chosen pair columns with every ``x`` whole, plus, for a need of several partners, a whole
``y`` with ``sum x = partners * y`` (all its partners or none, as CP-SAT reads it). Every plan it
returns is checked against those rows once more with its ``x`` rounded to 0 or 1.

Examples
--------
>>> import numpy as np
>>> from matcher.rules.compile import RuleSet
>>> from matcher.models.rules import Softness
>>> from matcher.solvers.base import AssignmentModel, SideRules
>>> model = AssignmentModel(3, 1, need=np.array([0, 1, 2]), org=np.array([0, 0, 0]),
...                         score=np.array([3.0, 2.0, 2.0]), capacity=np.array([3]))
>>> side = SideRules(rules=RuleSet(budgets=Softness()), partners=np.ones(3, np.int64),
...     lead_needed=np.zeros(3, bool), pair_primary=np.zeros(3, bool),
...     need_cost=np.array([4.0, 2.0, 2.0]), capacity_building=np.zeros(3, bool),
...     org_budget=np.array([4.0]), key_need=np.zeros(3, bool), goals=(), goal_mode="lexicographic")
>>> x = np.array([0.0, 1.0, 1.0])  # the LP's optimum: 2 + 2 within the budget of 4
>>> from matcher.solvers.budget import Budget
>>> round_relaxation(model, side, x, budget=Budget.start(5.0), columns=np.array([0])).tolist()
[1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ..base import AssignmentModel, IntArray, SideRules
from ..budget import Budget
from ..highs import IntegerProgram, solve_integer_program
from .relaxation import LinearProgram, linear_program

__all__ = ["improve", "plan_value", "round_relaxation"]

FloatArray = npt.NDArray[np.float64]

#: An LP value above this counts the pair as used by the LP (its support).
SUPPORT = 1e-6
#: Relative gap at which HiGHS stops the branch and bound.
MIP_GAP = 1e-5
#: Organizations around the seed one in a neighbourhood of :func:`improve`.
NEIGHBOURS = 5
#: Branch-and-bound nodes the rounding's integer program may explore.
ROUNDING_NODES = 2000
#: Branch-and-bound nodes one neighbourhood's integer program may explore.
STEP_NODES = 200
#: Neighbourhoods in a row that bring nothing before :func:`improve` stops.
PATIENCE = 10
#: Least gain in score that counts as an improvement.
IMPROVEMENT = 1e-6
#: Room for HiGHS' tolerances when the rounded plan is checked against the rows, per unit of a
#: row's bound (rows of whole yuan or whole needs hold exactly once ``x`` is whole).
ROW_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class _Rows:
    """The model, its rules and the relaxation's rows: what every integer program here is cut from."""

    model: AssignmentModel
    side: SideRules
    lp: LinearProgram

    def value(self, plan: IntArray) -> float:
        """The plan's score, less its penalties where a rule is soft (see :func:`plan_value`)."""
        if self.lp.c.size == self.lp.n_pairs + self.model.n_orgs:
            return self.model.objective(plan)
        return plan_value(self.model, self.lp, plan)


def plan_value(model: AssignmentModel, lp: LinearProgram, plan: IntArray) -> float:
    """The relaxation's objective at ``plan``: its score less the least penalties its soft limits
    charge (every organization with a pair counted as engaged); ``-inf`` when no slack in reach
    keeps every row.

    Each slack column of ``lp`` sits in the rows of its limit: the least slack is the most any of
    them asks for.
    """
    v = np.zeros(lp.c.size)
    v[plan] = 1.0
    first_slack = lp.n_pairs + model.n_orgs
    v[lp.n_pairs + np.unique(model.org[plan])] = 1.0
    a = sparse.csc_array(lp.a_ub)
    activity = a[:, :first_slack] @ v[:first_slack]
    slack_part = a[:, first_slack:].tocoo()
    need = np.zeros(lp.c.size - first_slack)
    asks = slack_part.data < 0
    rows, cols = slack_part.row[asks], slack_part.col[asks]
    excess = (activity[rows] - lp.b_ub[rows]) / -slack_part.data[asks]
    np.maximum.at(need, cols, excess)
    v[first_slack:] = np.minimum(need, lp.upper[first_slack:])
    if not _holds(a, lp.b_ub, v):
        return float("-inf")
    return float(-(lp.c @ v))


def round_relaxation(
    model: AssignmentModel,
    side: SideRules,
    x: FloatArray,
    *,
    budget: Budget,
    columns: IntArray | None = None,
    lp: LinearProgram | None = None,
    gap: float = MIP_GAP,
) -> IntArray | None:
    """The best plan on the pairs the LP uses, ``columns`` and the fixed pairs.

    Parameters
    ----------
    model, side
        The model and its rules.
    x
        The LP's value per pair (a vertex: see :func:`matcher.solvers.rules.relaxation.solve_relaxation`).
    budget
        The call's budget: HiGHS explores at most :data:`ROUNDING_NODES` nodes and stops at the
        deadline; when it stops early, the best plan it has found stands.
    columns
        More pairs the plan may use (each need's best, the flow plan …).
    lp
        The relaxation's rows, when the caller has them already.
    gap
        Relative gap at which HiGHS stops.

    Returns
    -------
    numpy.ndarray or None
        Sorted pair indices of a plan that keeps every hard rule, best on those pairs (to
        :data:`MIP_GAP`) when HiGHS finished; ``None`` when it found no plan within its limits or
        none exists on those pairs.
    """
    lp = linear_program(model, side) if lp is None else lp
    use = x > SUPPORT
    if columns is not None:
        use[columns] = True
    held = np.zeros(0, np.int64)
    pairs = np.flatnonzero(use)
    # Presolve finds little to remove from the LP's support (10,000 needs: 4x faster without).
    rows = _Rows(model, side, lp)
    return _best_on(rows, pairs, held, budget, ROUNDING_NODES, presolve=False, gap=gap)


def improve(
    model: AssignmentModel,
    side: SideRules,
    plan: IntArray,
    *,
    budget: Budget,
    seeds: IntArray,
    lp: LinearProgram | None = None,
    random_seed: int = 0,
    patience: int = PATIENCE,
) -> IntArray:
    """``plan`` improved one neighbourhood of organizations at a time (a large neighbourhood search).

    A neighbourhood is a seed organization and the :data:`NEIGHBOURS` organizations that share
    most of its candidate needs. The needs the plan gives to those organizations, and the unserved
    needs that could go to one of them, are let free: each may take any of its candidates or none.
    Every other pair of the plan stays, and the integer program on those pairs (every rule's row
    as it stands) is solved by HiGHS, on at most :data:`STEP_NODES` nodes. The plan keeps every
    hard rule and its worth (:func:`plan_value`) never falls. It stops after ``patience`` idle
    neighbourhoods in a row, ten rounds of the seeds, or at the budget's deadline (then recorded
    as a cap): the same steps on any machine unless the deadline comes first.

    Parameters
    ----------
    model, side
        The model and its rules.
    plan
        Chosen pairs that keep every hard rule.
    budget
        The call's budget; no neighbourhood starts after its deadline.
    seeds
        Organizations to centre neighbourhoods on, in turn (those whose money binds, say).
    lp
        The relaxation's rows, when the caller has them already.
    random_seed
        Seed of the order the seeds are taken in.
    patience
        Stop after this many neighbourhoods in a row that bring nothing.

    Returns
    -------
    numpy.ndarray
        Sorted pair indices, worth at least ``plan``.
    """
    rows = _Rows(model, side, linear_program(model, side) if lp is None else lp)
    plan = np.sort(plan)
    if seeds.size == 0:
        return plan
    rng = np.random.default_rng(random_seed)
    value = rows.value(plan)
    idle = 0
    order = rng.permutation(seeds)
    for step in range(10 * order.size):
        if idle >= patience:
            break
        if budget.expired():
            budget.cap("neighbourhood search")
            break
        free, held = _neighbourhood(model, plan, int(order[step % order.size]))
        candidate = _best_on(rows, np.union1d(free, plan), held, budget, STEP_NODES)
        if candidate is not None and rows.value(candidate) > value + IMPROVEMENT:
            plan, value, idle = candidate, rows.value(candidate), 0
        else:
            idle += 1
    return plan


def _neighbourhood(
    model: AssignmentModel, plan: IntArray, seed_org: int
) -> tuple[IntArray, IntArray]:
    """The pairs let free around ``seed_org`` and the pairs of ``plan`` held (see :func:`improve`).

    The seed's candidate needs give the organizations that share most of them; the needs those
    organizations serve, and the unserved needs one of them could take, are free.
    """
    near = np.zeros(model.n_needs, bool)
    near[model.need[model.org == seed_org]] = True
    shared = np.bincount(model.org[near[model.need]], minlength=model.n_orgs)
    shared[seed_org] = np.iinfo(np.int64).max
    inside = np.zeros(model.n_orgs, bool)
    inside[np.argsort(-shared, kind="stable")[: NEIGHBOURS + 1]] = True
    inside &= shared > 0
    holder = np.full(model.n_needs, -1, np.int64)
    holder[model.need[plan]] = model.org[plan]
    free_need = (holder < 0) | inside[np.maximum(holder, 0)]
    free_need &= np.bincount(model.need[inside[model.org]], minlength=model.n_needs) > 0
    free = np.flatnonzero(free_need[model.need] & (model.score > 0))
    held = plan[~inside[model.org[plan]]]
    return free, held


def _best_on(
    rows: _Rows,
    pairs: IntArray,
    held: IntArray,
    budget: Budget,
    nodes: int,
    *,
    presolve: bool = True,
    gap: float = MIP_GAP,
) -> IntArray | None:
    """The best plan on ``pairs`` (and the fixed ones) that takes every pair of ``held``."""
    pairs = np.union1d(np.union1d(pairs, rows.model.fixed), held)
    program, cols = _integer_program(rows, pairs, held)
    solution = solve_integer_program(
        program,
        budget=budget,
        node_limit=nodes,
        gap=gap,
        presolve=presolve,
        phase="rounding",
    )
    if solution is None:
        return None
    values = solution[: cols.size].copy()
    taken = values[: pairs.size] > 0.5
    values[: pairs.size] = taken
    chosen = pairs[taken]
    lp = rows.lp
    if not _holds(lp.a_ub[:, cols], lp.b_ub, values) or not _all_or_none(
        rows.model, rows.side, chosen
    ):
        return None
    return chosen


def _integer_program(
    rows: _Rows, pairs: IntArray, held: IntArray
) -> tuple[IntegerProgram, IntArray]:
    """The relaxation's rows on the columns of ``pairs`` (every ``held`` pair taken) and its own
    extra columns, ``x`` whole, and a whole ``y`` per need of several partners; and the columns.

    ``y`` holds such a need to all its partners or none: ``sum x - partners * y = 0``.
    """
    model, side, lp = rows.model, rows.side, rows.lp
    cols = np.concatenate([pairs, np.arange(lp.n_pairs, lp.c.size)])
    a = lp.a_ub[:, cols]
    n_vars = cols.size
    lower = lp.lower[cols].copy()
    lower[np.searchsorted(pairs, held)] = 1.0
    need = model.need[pairs]
    shared = np.unique(need[side.partners[need] > 1])
    member = np.flatnonzero(side.partners[need] > 1)
    row = np.searchsorted(shared, need[member])
    equal = sparse.csc_array(
        (
            np.concatenate([np.ones(member.size), -side.partners[shared].astype(float)]),
            (
                np.concatenate([row, np.arange(shared.size)]),
                np.concatenate([member, n_vars + np.arange(shared.size)]),
            ),
        ),
        shape=(shared.size, n_vars + shared.size),
    )
    matrix = sparse.vstack([sparse.hstack([a, sparse.csc_array((a.shape[0], shared.size))]), equal])
    whole = np.zeros(n_vars + shared.size, bool)
    whole[: pairs.size] = True
    whole[n_vars:] = True
    program = IntegerProgram(
        np.concatenate([lp.c[cols], np.zeros(shared.size)]),
        sparse.csc_array(matrix),
        np.concatenate([np.full(lp.b_ub.size, -np.inf), np.zeros(shared.size)]),
        np.concatenate([lp.b_ub, np.zeros(shared.size)]),
        np.concatenate([lower, np.zeros(shared.size)]),
        np.concatenate([lp.upper[cols], np.ones(shared.size)]),
        whole,
    )
    return program, cols


def _holds(a: sparse.csc_array, b: FloatArray, values: FloatArray) -> bool:
    """Whether ``a @ values <= b`` up to :data:`ROW_TOLERANCE` per unit of the bound."""
    return bool(np.all(a @ values <= b + ROW_TOLERANCE * np.maximum(1.0, np.abs(b))))


def _all_or_none(model: AssignmentModel, side: SideRules, chosen: IntArray) -> bool:
    """Whether each need takes none of its organizations or exactly ``partners`` of them."""
    taken = np.bincount(model.need[chosen], minlength=model.n_needs)
    return bool(np.all((taken == 0) | (taken == side.partners)))
