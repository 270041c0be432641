"""Lexicographic goals on the LP relaxation of a large model: the earlier levels held as rows.

Past :data:`~matcher.solvers.rules.cpsat.RESTRICT_ABOVE` pairs, a goal such as key areas first,
then fairness across cities, then score is settled on the relaxation itself (HiGHS, each LP from
the basis of the one before). The first level's LP maximum, rounded down to a whole count, bounds
it; held at that bound by a row, the next level is bounded the same way, and so on: a fairness
level (the smallest served share over regions, in :data:`FAIRNESS_RESOLUTION` steps) by the LP
maximum of the share, then the largest step at which the LP, every region serving at least its
whole number of needs, stays feasible. The score's LP under every held row is then rounded into a
plan and improved like a plan of hard rules (:mod:`matcher.solvers.rules.rounding`).

A plan that keeps the held rows reaches each earlier level's bound, so each is proven at its best,
and no plan that does scores more than that last LP: it bounds the score.

A level's own LP can take minutes where the score's takes seconds (10,000 needs: the key areas'
count, degenerate, several minutes by the simplex and 40 s by the interior point). Given a plan
made before (one that keeps every hard rule), the earlier levels are then held at that plan's
values instead, with no LP of their own. They are not proven, and the score is bounded by its LP
with the first level's row alone: the best plan serves at least the plan's count there, but may
trade a later level for it.

Examples
--------
>>> import numpy as np
>>> from matcher.models.rules import Goal
>>> from matcher.rules.compile import RuleSet
>>> from matcher.solvers.base import AssignmentModel, SideRules
>>> from matcher.solvers.budget import Budget
>>> from matcher.solvers.rules.relaxation import linear_program
>>> model = AssignmentModel(2, 1, need=np.array([0, 1]), org=np.array([0, 0]),
...                         score=np.array([3.0, 1.0]), capacity=np.array([1]))
>>> side = SideRules(rules=RuleSet(), partners=np.ones(2, np.int64),
...     lead_needed=np.zeros(2, bool), pair_primary=np.zeros(2, bool),
...     need_cost=np.zeros(2), capacity_building=np.zeros(2, bool), org_budget=np.full(1, np.inf),
...     key_need=np.array([False, True]), goals=(Goal(kind="key_served"), Goal(kind="score")),
...     goal_mode="lexicographic")
>>> held = held_relaxation(model, side, linear_program(model, side), Budget.start(5.0))
>>> held.levels, held.optimum.bound
((1,), 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ..base import AssignmentModel, IntArray, SideRules
from ..budget import Budget
from ..highs import IntegerProgram, LinearSolver
from .levels import largest_feasible
from .relaxation import LinearProgram, Relaxation, solve_program

__all__ = ["FAIRNESS_RESOLUTION", "HeldRelaxation", "held_relaxation", "holds_levels"]

FloatArray = npt.NDArray[np.float64]

#: The fairness ratio is counted in millionths (as CP-SAT counts it).
FAIRNESS_RESOLUTION = 1_000_000
#: Room left for HiGHS' tolerances when an LP value is rounded down to a whole level value.
ROUNDING_SLACK = 1e-6
#: Most a level's LP objective may gain from the score that breaks its ties (see :func:`_tie_break`).
TIE_BREAK = 1e-2
#: Earlier levels this module can hold as rows of the relaxation.
HOLDABLE = ("served", "key_served", "fairness")


def holds_levels(side: SideRules) -> bool:
    """Whether the goal is lexicographic, the score last and every earlier level holdable."""
    kinds = [goal.kind for goal in side.goals]
    return (
        side.goal_mode != "weighted"
        and len(kinds) > 1
        and kinds[-1] == "score"
        and all(kind in HOLDABLE for kind in kinds[:-1])
    )


@dataclass(frozen=True, eq=False)
class HeldRelaxation:
    """The relaxation with each earlier level held at its bound.

    ``lp`` holds the extra rows (after the relaxation's own), ``levels`` each earlier level's
    bound, and ``optimum`` the score's LP under them: its bound and its vertex. ``proven``: the
    levels are their LP bounds (else a plan's values, and the bound holds the first alone).
    """

    lp: LinearProgram
    levels: tuple[int, ...]
    optimum: Relaxation
    proven: bool = True


def held_relaxation(
    model: AssignmentModel,
    side: SideRules,
    lp: LinearProgram,
    budget: Budget,
    plan: IntArray | None = None,
    columns: IntArray | None = None,
) -> HeldRelaxation | None:
    """Bound each earlier level of ``side``'s goals in turn, each held at its bound by rows while
    the next is bounded, and solve the score's LP under them all.

    With a ``plan`` (that keeps every hard rule), each earlier level is held at the plan's value
    instead, with no LP of its own, unproven (see the module), and the score's LPs price their
    columns in from the plan's pairs and ``columns`` (see
    :func:`~matcher.solvers.rules.relaxation.solve_program`). The LPs stop at ``budget``'s
    deadline only (recorded as a cap, and then ``None``); ``None`` too when the relaxation is
    infeasible.
    """
    if plan is not None:
        return _held_at_plan(
            model, side, lp, budget, (plan, None if columns is None else np.union1d(columns, plan))
        )
    solver = _solver_of(lp)
    share = 1.0 / side.partners[model.need]
    tie = _tie_break(model, side, lp)
    held: list[tuple[sparse.csr_array, FloatArray]] = []
    levels: list[int] = []
    for i in range(len(side.goals) - 1):
        rows, sizes = _level_rows(model, side, i, share, lp.c.size)
        if sizes is not None:
            value = _fairness_bound(solver, rows, sizes, (tie, lp.c), budget)
            if value is None:
                return None
            floors = -(-sizes * value // FAIRNESS_RESOLUTION)
            held.append((rows, floors.astype(np.float64)))
        else:
            value = _count_bound(solver, rows.toarray()[0], tie, budget)
            if value is None:
                return None
            solver.add_rows(rows, np.array([float(value)]), np.array([np.inf]))
            held.append((rows, np.array([float(value)])))
        levels.append(value)
    last = _score_lp(solver, lp, budget)
    if last is None:
        return None
    optimum = Relaxation(True, last[0], last[1][: lp.n_pairs])
    return HeldRelaxation(_holding(lp, held), tuple(levels), optimum)


def _held_at_plan(
    model: AssignmentModel,
    side: SideRules,
    lp: LinearProgram,
    budget: Budget,
    plans: tuple[IntArray, IntArray | None],
) -> HeldRelaxation | None:
    """:func:`held_relaxation` with each earlier level held at the value of the plan
    ``plans[0]``, the score's LPs priced in from the pairs ``plans[1]`` (every pair: ``None``).

    A count's row is held in the score's LPs; the fairness floors only in the plan's rows, for
    the rounding. The first level's row alone bounds the score; every count's row gives the
    vertex.
    """
    plan, start = plans
    share = 1.0 / side.partners[model.need]
    held: list[tuple[sparse.csr_array, FloatArray]] = []
    counts: list[int] = []  # positions in ``held`` of the counts' rows
    levels: list[int] = []
    for i in range(len(side.goals) - 1):
        rows, sizes = _level_rows(model, side, i, share, lp.c.size)
        served = rows[:, plan].sum(axis=1)
        if sizes is not None:
            value = int(np.min((FAIRNESS_RESOLUTION * (served + 1e-9)) // sizes))
            floors = -(-sizes * value // FAIRNESS_RESOLUTION)
            held.append((rows, floors.astype(np.float64)))
        else:
            value = int(np.rint(served[0]))
            held.append((rows, np.array([float(value)])))
            counts.append(i)
        levels.append(value)
    first_rows = [held[i] for i in counts[:1] if i == 0]
    first = solve_program(_holding(lp, first_rows), model.need, start, budget)
    last = first
    if len(counts) > 1 or (counts and counts[0] != 0):
        last = solve_program(_holding(lp, [held[i] for i in counts]), model.need, start, budget)
    if not (first.feasible and last.feasible and np.isfinite(first.bound)):
        return None
    optimum = Relaxation(True, first.bound, last.x)
    return HeldRelaxation(_holding(lp, held), tuple(levels), optimum, False)


def _level_rows(
    model: AssignmentModel, side: SideRules, i: int, share: FloatArray, n_cols: int
) -> tuple[sparse.csr_array, IntArray | None]:
    """The rows of the ``i``-th goal over the relaxation's columns, and for a fairness level the
    sizes of its regions (one row per region: its served share); for a count, its one row and
    ``None``."""
    goal = side.goals[i]
    if goal.kind == "fairness":
        rows = _region_rows(model, side.fairness_groups[i], share, n_cols)
        return rows, np.array([len(members) for members in side.fairness_groups[i]], np.int64)
    wanted = side.key_need if goal.kind == "key_served" else np.ones(model.n_needs, bool)
    row = np.zeros(n_cols)
    row[: model.n_pairs] = share * wanted[model.need]
    return sparse.csr_array(row.reshape(1, -1)), None


def _holding(lp: LinearProgram, held: list[tuple[sparse.csr_array, FloatArray]]) -> LinearProgram:
    """``lp`` with each held ``rows @ v >= floors`` as rows of its own."""
    if not held:
        return lp
    a = sparse.vstack([lp.a_ub, *(-rows for rows, _ in held)]).tocsc()
    b = np.concatenate([lp.b_ub, *(-floors for _, floors in held)])
    return replace(lp, a_ub=a, b_ub=b)


def _solver_of(lp: LinearProgram) -> LinearSolver:
    """The relaxation in a HiGHS of its own, to be solved again as rows join it."""
    return LinearSolver(
        IntegerProgram(
            lp.c,
            lp.a_ub,
            np.full(lp.b_ub.size, -np.inf),
            lp.b_ub,
            lp.lower,
            lp.upper,
            np.zeros(lp.c.size, bool),
        )
    )


def _count_bound(
    solver: LinearSolver, row: FloatArray, tie: FloatArray, budget: Budget
) -> int | None:
    """The LP maximum of a count (``row @ x``, ties broken by ``tie``), rounded down."""
    solver.objective(-row - tie)
    answer = solver.solve(budget, "level bounds")
    if answer is None or not np.isfinite(answer[0]):
        return None
    return int(np.floor(-answer[0] + ROUNDING_SLACK * max(1.0, abs(answer[0]))))


def _score_lp(
    solver: LinearSolver, lp: LinearProgram, budget: Budget
) -> tuple[float, FloatArray] | None:
    """The score's LP maximum under the rows held so far, and its vertex."""
    solver.objective(lp.c)
    answer = solver.solve(budget, "relaxation")
    if answer is None or not np.isfinite(answer[0]):
        return None
    return -answer[0], answer[1]


def _tie_break(model: AssignmentModel, side: SideRules, lp: LinearProgram) -> FloatArray:
    """A small share of the score, added to a level's LP objective to break its ties.

    A count of needs as the only objective leaves almost every pair column at zero cost, and the
    simplex then wanders among equal vertices (10,000 needs: no answer in minutes). The share is
    :data:`TIE_BREAK` over the most any plan scores (each need its ``partners`` best scores), so
    the level's LP maximum lies between the objective's optimum less :data:`TIE_BREAK` and that
    optimum: the optimum, rounded down, still bounds the level.
    """
    best = np.zeros(model.n_needs)
    np.maximum.at(best, model.need, np.maximum(model.score, 0.0))
    most = float((best * side.partners).sum())
    tie = np.zeros(lp.c.size)
    if most > 0:
        tie[: model.n_pairs] = TIE_BREAK / most * np.maximum(model.score, 0.0)
    return tie


def _region_rows(
    model: AssignmentModel, regions: list[IntArray], share: FloatArray, n_cols: int
) -> sparse.csr_array:
    """One row per region: the served share of its needs, over the relaxation's columns."""
    region = np.full(model.n_needs, -1, np.int64)
    for r, members in enumerate(regions):
        region[np.asarray(members, np.int64)] = r
    inside = np.flatnonzero(region[model.need] >= 0)
    return sparse.csr_array(
        (share[inside], (region[model.need[inside]], inside)), shape=(len(regions), n_cols)
    )


def _fairness_bound(
    solver: LinearSolver,
    rows: sparse.csr_array,
    sizes: IntArray,
    objectives: tuple[FloatArray, FloatArray],
    budget: Budget,
) -> int | None:
    """The largest fairness step at which every region can serve its whole share, the region
    rows (added to ``solver``) held there; ``None`` when an LP gives no answer.

    The LP maximum of the smallest share ``t`` (a column of its own) bounds it; the steps at and
    below, the values ``floor(FAIRNESS_RESOLUTION * served / size)``, are then probed down from
    there in doubling strides and bisected, each LP from the basis before. ``objectives``: the
    score's tie break (see :func:`_tie_break`) and the score's own objective, which the probes
    optimize so that the last leaves the score's basis.
    """
    tie, score = objectives
    if sizes.size == 0:
        return FAIRNESS_RESOLUTION
    n_cols = solver.n_cols
    # The smallest share's own column t: served(region) / size - t >= 0 for every region.
    solver.highs.addCol(0.0, 0.0, 1.0, 0, np.zeros(0, np.int32), np.zeros(0))
    solver.n_cols = n_cols + 1
    shares = sparse.diags_array(1.0 / sizes.astype(np.float64)) @ rows
    scaled = sparse.hstack(
        [shares, sparse.csr_array((sizes.size, n_cols - rows.shape[1])), -np.ones((sizes.size, 1))]
    ).tocsr()
    region_rows = solver.add_rows(scaled, np.zeros(sizes.size), np.full(sizes.size, np.inf))
    # The share t counts in whole regions' shares, not needs: a thousandth of the tie break keeps
    # the bound within a few fairness steps of the LP's.
    cost = np.append(-tie / 1000, np.zeros(n_cols + 1 - tie.size))
    cost[n_cols] = -1.0
    solver.objective(cost)
    answer = solver.solve(budget, "level bounds")
    if answer is None or not np.isfinite(answer[0]):
        return None
    top = int(np.floor(FAIRNESS_RESOLUTION * (-answer[0]) + ROUNDING_SLACK * FAIRNESS_RESOLUTION))
    # From here the column t is 0 and each region row a floor on its served count (over size).
    solver.column_bounds(np.array([n_cols]), np.zeros(1), np.zeros(1))
    solver.objective(score)
    candidates = np.unique(
        np.concatenate(
            [(FAIRNESS_RESOLUTION * np.arange(size + 1, dtype=np.int64)) // size for size in sizes]
        )
    )
    candidates = candidates[candidates <= top]

    def feasible(value: int) -> bool | None:
        floors = -(-sizes * value // FAIRNESS_RESOLUTION)
        solver.row_bounds(region_rows, floors / sizes, np.full(sizes.size, np.inf))
        found = solver.solve(budget, "level bounds")
        return None if found is None else bool(np.isfinite(found[0]))

    low = largest_feasible(candidates, feasible)
    if low is None:
        return None
    best = int(candidates[low])
    floors = -(-sizes * best // FAIRNESS_RESOLUTION)
    solver.row_bounds(region_rows, floors / sizes, np.full(sizes.size, np.inf))
    return best
