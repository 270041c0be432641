"""CP-SAT with the program's rules: counting limits, money, aid mix, partnerships, goal levels.

Variables: ``x[p]`` per candidate pair, ``y[n]`` per need (served), ``z[o]`` per organization
(engaged) where a goal or rule counts organizations, and an integer slack per soft limit. A need
takes ``partners`` organizations or none (``sum x = partners * y``), with a primary-type lead when
asked; organizations keep their capacity. Hard limits are constraints; soft ones add their slack to
the objective at ``penalty`` per unit.

Goals are solved level by level (lexicographic: each later level keeps the earlier ones at their
best value) or as one weighted sum. The ``score`` level (score less penalties) always comes last in
lexicographic mode. Every level is hinted with the plan of the level before, the first with the
min-cost flow plan of the unconstrained problem. Before that, the LP relaxation bounds the earlier
levels (:mod:`matcher.solvers.rules.levels`); held at those bounds, a single search of the last level
proves them all when it finds a plan (the 2023 plan's goals at 1,000 needs: one search instead of
three, 6.4 s down to about 2 s).

Above :data:`RESTRICT_ABOVE` pairs the LP relaxation bounds the score first. With every rule hard
and the score the goal, CP-SAT then gives way to the LP's vertex rounded by a small integer program
and a neighbourhood search (:mod:`matcher.solvers.rules.rounding`; 10,000 needs with budgets: 0.2% from
the LP bound in 25 s, where CP-SAT from the repaired flow plan stayed 1.1% away after 30 s). A
lexicographic goal that ends in the score is settled the same way, each earlier level held at its
LP bound by rows of the relaxation (:mod:`matcher.solvers.rules.held`); CP-SAT takes over when
those rows hold no plan on the rounding's pairs.

When hard rules cannot all hold, :func:`find_conflict` asks CP-SAT, on a copy of the model with no
objective and one assumption literal per hard rule, for a set of rules that cannot hold together,
and shrinks it to a minimal one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ...models.rules import Softness
from ...rules.compile import MONEY_UNIT, PER_MILLE, RuleSet
from ..base import (
    COEFFICIENT_CEILING,
    CPSAT_STATUS,
    AssignmentModel,
    IntArray,
    SideRules,
    SolverResult,
    Status,
    integer_scores,
)
from ..budget import Budget
from ..flow import FlowSolver, scaled
from ..prices import least_prices
from .held import HeldRelaxation, held_relaxation, holds_levels
from .levels import ModelRelaxation, Row
from .relaxation import LinearProgram, Relaxation, linear_program, solve_relaxation
from .repair import PRICE_ROUNDS, rough_plan
from .rounding import SUPPORT, improve, plan_value, round_relaxation

__all__ = ["SideRules", "find_conflict", "solve_with_rules"]

FloatArray = npt.NDArray[np.float64]
#: A CP-SAT linear expression (ortools' own type hints reject sums of numpy integers and variables).
Expr = Any
BoolArray = npt.NDArray[np.bool_]

#: Above this many candidate pairs, CP-SAT searches only the pairs that matter (see below).
RESTRICT_ABOVE = 30_000
#: How many of each need's best candidates CP-SAT keeps when it restricts the pairs.
TOP_K = 6
#: Smallest objective coefficient of one step of a soft rule's slack.
PENALTY_RESOLUTION = 1000
#: The fairness ratio is counted in millionths.
FAIRNESS_RESOLUTION = 1_000_000
#: Weighted objectives are summed in 1/WEIGHT_RESOLUTION of a scaled score point.
WEIGHT_RESOLUTION = 1000
#: The LP's columns start from each need's this many best pairs and those the flow's prices
#: leave within this share of the best score of being tight (see :func:`_pricing_start`).
START_TOP_K = 3
NEAR_TIGHT = 0.005
#: Up to this many candidate pairs the held levels' LPs are solved whole.
FULL_LP_UP_TO = 500_000
#: Seconds the LP relaxation takes per candidate pair on a quiet core (10,000 needs and 300,000
#: pairs: 6 s). With less time than that left, it is not started.
LP_SECONDS_PER_PAIR = 2e-5
#: Up to this many candidate pairs a large lexicographic goal's earlier levels are bounded by LPs
#: of their own (1,000 needs and 7,762 pairs: a second under load; 10,000 needs and 298,088 pairs:
#: minutes); above, they are held at the values of the plan made before the search.
HELD_LEVELS_UP_TO = 60_000
#: Seconds the held levels' LP and rounding take per candidate pair (10,000 needs and 298,088
#: pairs: about 45 s of one core, and as long again for the neighbourhood search); with less time
#: left than that they are not started, and the plan comes from CP-SAT as before.
HELD_SECONDS_PER_PAIR = 6e-5
#: Relative gap at which the rounding of held levels stops: their rows make the integer program
#: slow to close (10,000 needs: 190 s at 1e-5), and the neighbourhood search takes it on.
HELD_GAP = 1e-3
#: Share of the time left the rounding of held levels may take: when it finds no plan in it,
#: the neighbourhood search improves the plan made before the search instead.
HELD_ROUNDING_SHARE = 0.15
#: How many of each need's best candidates the rounding may use beyond the LP's pairs.
ROUNDING_TOP_K = 1


@dataclass
class _Built:
    cp: cp_model.CpModel
    x: list[cp_model.IntVar]
    levels: list[tuple[str, Expr]]
    assumptions: dict[str, cp_model.IntVar]
    scale: float
    #: Per fairness level (by position): each region's served variables and its size.
    fairness: dict[int, list[tuple[list[int], int]]] = field(default_factory=dict)


@dataclass
class _Limits:
    """Adds limits to a model: hard ones as (assumable) constraints, soft ones as penalized slack."""

    cp: cp_model.CpModel
    scale: float
    assumptions: dict[str, cp_model.IntVar] | None
    penalties: list[tuple[cp_model.IntVar, int]] = field(default_factory=list)

    def add(
        self,
        name: str,
        expr: Expr,
        sense: str,
        bound: int,
        *,
        reach: int,
        softness: Softness,
        unit: float = 1.0,
    ) -> None:
        """``expr >= bound`` or ``expr <= bound``; ``reach`` is the largest possible violation,
        ``unit`` how many units of ``expr`` one penalty applies to."""
        if softness.hard:
            constraint = self.cp.add(expr >= bound if sense == ">=" else expr <= bound)
            if self.assumptions is not None:
                literal = self.cp.new_bool_var(f"assume[{name}]")
                self.assumptions[name] = literal
                constraint.only_enforce_if(literal)
            return
        if reach <= 0:
            return
        if softness.penalty <= 0:
            return
        # The slack counts steps of ``step`` units of ``expr``, so that one step's penalty is a
        # whole number of at least PENALTY_RESOLUTION: a penalty per yuan keeps its precision,
        # at the price of charging overspending by whole steps (the plan's objective counts the
        # exact amount).
        per_unit = softness.penalty * self.scale / unit
        step = max(1, math.ceil(PENALTY_RESOLUTION / per_unit))
        slack = self.cp.new_int_var(0, -(-reach // step), f"slack[{name}]")
        self.cp.add(expr + step * slack >= bound if sense == ">=" else expr - step * slack <= bound)
        self.penalties.append((slack, min(2**40, round(per_unit * step))))


@dataclass
class _Parts:
    """What the pieces of one CP-SAT model share while it is built."""

    cp: cp_model.CpModel
    model: AssignmentModel
    side: SideRules
    limits: _Limits
    #: Per pair, its Boolean; per need, its "served" Boolean (0 for a need without pairs).
    x: list[cp_model.IntVar]
    y: list[Any]
    by_need: list[list[int]]
    by_org: list[list[int]]


def _build(
    model: AssignmentModel, side: SideRules, *, objective: bool, with_assumptions: bool
) -> _Built:
    cp = cp_model.CpModel()
    x = [cp.new_bool_var(f"x{p}") for p in range(model.n_pairs)]
    # Penalties per unit share the score's scale: include the largest in what the scale must hold.
    values = np.append(model.score, _largest_penalty(side.rules))
    integer, scale = integer_scores(values, model.n_needs + model.n_orgs + 2, COEFFICIENT_CEILING)
    integer = integer[:-1]
    limits = _Limits(cp, scale, {} if with_assumptions else None)
    by_need = _positions(model.need, model.n_needs)
    by_org = _positions(model.org, model.n_orgs)
    parts = _Parts(
        cp, model, side, limits, x, _assignment(cp, model, side, x, by_need), by_need, by_org
    )
    for o, pairs in enumerate(by_org):
        if len(pairs) > model.capacity[o]:
            cp.add(sum(x[p] for p in pairs) <= int(model.capacity[o]))
    for p in model.fixed.tolist():
        cp.add(x[p] == 1)
    _group_limits(parts)
    engaged = _engagement(parts)
    _money_limits(parts)
    _aid_mix_limit(parts)
    levels: list[tuple[str, Expr]] = []
    fairness: dict[int, list[tuple[list[int], int]]] = {}
    if objective:
        score = cp_model.LinearExpr.weighted_sum(x, integer.tolist())
        if limits.penalties:
            score -= cp_model.LinearExpr.weighted_sum(
                [v for v, _ in limits.penalties], [c for _, c in limits.penalties]
            )
        levels, fairness = _goal_levels(parts, score, engaged)
    return _Built(cp, x, levels, limits.assumptions or {}, scale, fairness)


def _assignment(
    cp: cp_model.CpModel,
    model: AssignmentModel,
    side: SideRules,
    x: list[cp_model.IntVar],
    by_need: list[list[int]],
) -> list[Any]:
    """Each need served by exactly its number of partners (a lead among them where needed), or
    by none: its "served" Boolean, or 0 for a need without pairs."""
    y: list[Any] = []
    for n, pairs in enumerate(by_need):
        if not pairs:
            y.append(0)
            continue
        served = cp.new_bool_var(f"y{n}")
        k = int(side.partners[n])
        cp.add(sum(x[p] for p in pairs) == k * served)
        if side.lead_needed[n]:
            cp.add(sum(x[p] for p in pairs if side.pair_primary[p]) >= served)
        y.append(served)
    return y


def _group_limits(parts: _Parts) -> None:
    """Bounds on the served needs of each group (regions, categories, the program)."""
    y = parts.y
    for group in parts.side.rules.groups:
        count = sum(y[n] for n in group.needs.tolist())
        name = f"{group.rule}:{group.target}"
        if group.lower is not None:
            parts.limits.add(
                f"{name}:min", count, ">=", group.lower, reach=group.lower, softness=group.softness
            )
        if group.upper is not None:
            parts.limits.add(
                f"{name}:max",
                count,
                "<=",
                group.upper,
                reach=max(0, group.needs.size - group.upper),
                softness=group.softness,
            )


def _engagement(parts: _Parts) -> list[cp_model.IntVar]:
    """Per organization with pairs, whether it takes part (when a rule or goal counts them), and
    the program's minimum of organizations."""
    cp, side, x = parts.cp, parts.side, parts.x
    engaged: list[cp_model.IntVar] = []
    needs_z = side.rules.min_organizations is not None or any(
        g.kind == "organizations" for g in side.goals
    )
    if needs_z:
        for o, pairs in enumerate(parts.by_org):
            if pairs:
                z = cp.new_bool_var(f"z{o}")
                cp.add(z <= sum(x[p] for p in pairs))
                engaged.append(z)
    if side.rules.min_organizations is not None:
        wanted, softness = side.rules.min_organizations
        parts.limits.add(
            "program:min_organizations", sum(engaged), ">=", wanted, reach=wanted, softness=softness
        )
    return engaged


def _money_limits(parts: _Parts) -> None:
    """Each organization's budget and the program's fund, in whole yuan."""
    model, side, x, y, by_need = parts.model, parts.side, parts.x, parts.y, parts.by_need
    if side.rules.budgets is not None:
        share = np.rint(side.need_cost / side.partners).astype(np.int64)
        for o, pairs in enumerate(parts.by_org):
            budget = side.org_budget[o]
            if not pairs or not np.isfinite(budget):
                continue
            spend = sum(int(share[model.need[p]]) * x[p] for p in pairs)
            most = int(sum(int(share[model.need[p]]) for p in pairs))
            limit = int(np.floor(budget))
            parts.limits.add(
                f"money:budget:{o}",
                spend,
                "<=",
                limit,
                reach=max(0, most - limit),
                softness=side.rules.budgets,
                unit=MONEY_UNIT,
            )
    if side.rules.total_fund is not None:
        fund, softness = side.rules.total_fund
        cost = np.rint(side.need_cost).astype(np.int64)
        spend = sum(int(cost[n]) * y[n] for n in range(model.n_needs) if by_need[n])
        most = int(sum(int(cost[n]) for n in range(model.n_needs) if by_need[n]))
        limit = int(np.floor(fund))
        parts.limits.add(
            "money:total_fund",
            spend,
            "<=",
            limit,
            reach=max(0, most - limit),
            softness=softness,
            unit=MONEY_UNIT,
        )


def _aid_mix_limit(parts: _Parts) -> None:
    """The smallest share of served needs that build capacity, in thousandths."""
    side = parts.side
    if side.rules.capacity_building_share is None:
        return
    share_wanted, softness = side.rules.capacity_building_share
    wanted = round(share_wanted * PER_MILLE)
    terms = [
        (PER_MILLE * int(side.capacity_building[n]) - wanted) * parts.y[n]
        for n in range(parts.model.n_needs)
        if parts.by_need[n]
    ]
    parts.limits.add(
        "aid_mix",
        sum(terms),
        ">=",
        0,
        reach=wanted * len(terms),
        softness=softness,
        unit=PER_MILLE,
    )


def _goal_levels(
    parts: _Parts, score: Expr, engaged: list[cp_model.IntVar]
) -> tuple[list[tuple[str, Expr]], dict[int, list[tuple[list[int], int]]]]:
    """The goals' expressions in order, and per fairness level its regions' served variables."""
    cp, side, y = parts.cp, parts.side, parts.y
    levels: list[tuple[str, Expr]] = []
    fairness: dict[int, list[tuple[list[int], int]]] = {}
    served_all = sum(y)
    for i, goal in enumerate(side.goals):
        if goal.kind == "score":
            levels.append(("score", score))
        elif goal.kind == "served":
            levels.append(("served", served_all))
        elif goal.kind == "key_served":
            levels.append(("key_served", sum(y[n] for n in np.flatnonzero(side.key_need))))
        elif goal.kind == "organizations":
            levels.append(("organizations", sum(engaged)))
        else:
            t = cp.new_int_var(0, FAIRNESS_RESOLUTION, f"fairness{i}")
            regions = []
            for members in side.fairness_groups[i]:
                served = sum(y[n] for n in members.tolist())
                cp.add(FAIRNESS_RESOLUTION * served >= len(members) * t)
                variables = [y[n].index for n in members.tolist() if not isinstance(y[n], int)]
                regions.append((variables, len(members)))
            fairness[len(levels)] = regions
            levels.append((f"fairness:{goal.level.value}", t))
    return levels, fairness


def solve_with_rules(
    model: AssignmentModel,
    side: SideRules,
    *,
    budget: Budget,
    seed: int,
    hint: IntArray | None,
    workers: int = 1,
    unconstrained: float | None = None,
) -> SolverResult:
    """Solve ``model`` under ``side`` rules, goal level by goal level, on ``budget``.

    ``unconstrained`` is the optimum of the model without its rules (the flow's, with its
    tolerance), when the caller has it: it bounds a plan the search cannot prove.

    First a plan that keeps every hard rule is made fast from ``hint`` (the flow plan repaired to
    the budgets, :func:`~matcher.solvers.rules.repair.rough_plan`): it starts the search and stands when
    the search finds nothing before its work or the deadline runs out, so a short limit still
    gives a plan and its gap. Up to :data:`RESTRICT_ABOVE` candidate pairs CP-SAT then sees them
    all. Above, the LP relaxation is solved first (HiGHS): it bounds every plan. With every rule
    hard and the score the goal, its vertex is rounded by an integer program and improved by a
    neighbourhood search (see :func:`_restricted`); else CP-SAT searches the pairs that matter:
    each need's :data:`TOP_K` best candidates, every pair the LP uses, the start's and the pinned
    ones. The plan is proven optimal when it reaches the LP bound; otherwise the gap to it is
    reported.
    """
    started = time.perf_counter()
    start = rough_plan(model, side, hint, budget=budget) if hint is not None else None
    if model.n_pairs <= RESTRICT_ABOVE:
        status, chosen, bound, stats = _stages(
            model, side, budget, seed, hint if start is None else start, workers
        )
        stats["variables"] = model.n_pairs
    else:
        status, chosen, bound, stats = _restricted(model, side, budget, seed, hint, start, workers)
    if start is not None:
        stats["start_objective"] = model.objective(start)
        if status is Status.UNKNOWN:
            status, chosen = Status.FEASIBLE, start
    if status is Status.FEASIBLE and not np.isfinite(bound):
        bound = _ceiling(model, side, unconstrained)
    stats["solve_seconds"] = time.perf_counter() - started - float(stats.get("build_seconds", 0))
    return SolverResult(status, np.sort(chosen), float("nan"), bound, stats)


def _ceiling(model: AssignmentModel, side: SideRules, unconstrained: float | None = None) -> float:
    """A bound on the objective that needs no search: each level at its most.

    No plan scores more than the unconstrained optimum of the needs of one organization (the
    flow's, with its rounding tolerance) plus the ``partners`` best scores of each need of several,
    serves more needs than can be served or engages more organizations than have a candidate, and
    a fairness ratio is at most 1; a weighted goal sums those at its weights.
    """
    alone = side.partners[model.need] == 1
    if unconstrained is not None and alone.all():
        score = unconstrained
    else:
        bare = FlowSolver().solve(
            AssignmentModel(
                model.n_needs,
                model.n_orgs,
                model.need[alone],
                model.org[alone],
                model.score[alone],
                model.capacity,
            )
        )
        order = np.flatnonzero(~alone)
        order = order[np.lexsort((-model.score[order], model.need[order]))]
        first = np.searchsorted(model.need[order], model.need[order], side="left")
        best = order[np.arange(order.size) - first < side.partners[model.need[order]]]
        score = (
            bare.objective
            + float(bare.stats.get("tolerance", 0.0))
            + float(np.maximum(model.score[best], 0.0).sum())
        )
    if side.goal_mode != "weighted":
        return score
    servable = side.servable if side.servable.size else np.ones(model.n_needs, bool)
    most = {
        "score": score,
        "served": float(servable.sum()),
        "key_served": float((servable & side.key_need).sum()),
        "organizations": float(np.unique(model.org).size),
        "fairness": 1.0,
    }
    return float(sum(goal.weight * most[goal.kind] for goal in side.goals))


_Outcome = tuple[Status, IntArray, float, dict[str, float | int | str]]


@dataclass(frozen=True)
class _Run:
    """What every search of one solve shares: its budget, CP-SAT's seed and workers."""

    budget: Budget
    seed: int
    workers: int


@dataclass(frozen=True, eq=False)
class _Relaxed:
    """The LP relaxation of a large model: its rows, its optimum and the seconds it took."""

    lp: LinearProgram
    optimum: Relaxation
    seconds: float


def _restricted(
    model: AssignmentModel,
    side: SideRules,
    budget: Budget,
    seed: int,
    hint: IntArray | None,
    start: IntArray | None,
    workers: int,
) -> _Outcome:
    """A large model: the LP relaxation bounds it, then a plan from the pairs that matter.

    When every rule is hard and the score is the goal, the LP's vertex is rounded by a small
    integer program and improved by a large neighbourhood search (:mod:`matcher.solvers.rules.rounding`),
    a few tenths of a percent from the bound. Otherwise, or when the rounding finds no plan,
    CP-SAT searches the pairs that matter, hinted with ``start`` (a plan keeping every hard rule)
    when there is one.
    """
    if budget.seconds_left() < LP_SECONDS_PER_PAIR * model.n_pairs:
        # The LP could not finish before the deadline: the plan made before the search stands.
        budget.cap("relaxation")
        return (
            Status.UNKNOWN,
            np.zeros(0, np.int64),
            float("inf"),
            {"restricted_from": model.n_pairs},
        )
    lp = linear_program(model, side)
    run = _Run(budget, seed, workers)
    held_seconds = HELD_SECONDS_PER_PAIR * model.n_pairs
    if (
        holds_levels(side)
        and model.n_pairs <= FULL_LP_UP_TO
        and budget.seconds_left() >= held_seconds
    ):
        held_outcome = _round_held(model, side, lp, run, (hint, start))
        if held_outcome is not None:
            return held_outcome
    lp_started = time.perf_counter()
    optimum = solve_relaxation(
        model,
        side,
        budget=budget,
        start=_pricing_start(model, hint),
        lp=lp,
    )
    relaxed = _Relaxed(lp, optimum, time.perf_counter() - lp_started)
    if not optimum.feasible:
        return Status.INFEASIBLE, np.zeros(0, np.int64), float("-inf"), {"relaxation": "infeasible"}
    if _rounds(side):
        rounded = _round_and_improve(model, side, relaxed, run, hint, start)
        if rounded is not None:
            return rounded
    return _search_kept(model, side, relaxed, run, hint, start)


def _score_bound(side: SideRules, relaxed: _Relaxed) -> float:
    """The LP's bound on every plan's score (with room for its tolerance); only a weighted sum
    of other levels escapes it."""
    bound = relaxed.optimum.bound
    return bound * (1 + 1e-9) + 1e-9 if side.goal_mode != "weighted" else np.inf


def _round_and_improve(
    model: AssignmentModel,
    side: SideRules,
    relaxed: _Relaxed,
    run: _Run,
    hint: IntArray | None,
    start: IntArray | None,
) -> _Outcome | None:
    """The LP's vertex rounded by an integer program and improved by a neighbourhood search
    (``start`` stands where it scores more); ``None`` when the rounding finds no plan."""
    budget, optimum = run.budget, relaxed.optimum
    rounding_started = time.perf_counter()
    columns = _rounding_columns(model, hint)
    rounded = round_relaxation(
        model, side, optimum.x, budget=budget, columns=columns, lp=relaxed.lp
    )
    if rounded is None:
        return None
    # Neighbourhoods around the organizations the LP splits (every one when it split none
    # or ran out of time), unless the plan is at the bound already.
    fractional = (optimum.x > SUPPORT) & (optimum.x < 1 - SUPPORT)
    seeds = np.unique(model.org[fractional] if fractional.any() else model.org)
    improve_started = time.perf_counter()
    chosen = rounded
    if not _reaches(model.objective(rounded), optimum.bound):
        chosen = improve(
            model, side, rounded, budget=budget, seeds=seeds, lp=relaxed.lp, random_seed=run.seed
        )
    if start is not None and model.objective(start) > model.objective(chosen):
        chosen = start
    reached = _reaches(model.objective(chosen), optimum.bound)
    stats: dict[str, float | int | str] = {
        "start_objective": model.objective(rounded),
        "variables": int(np.union1d(np.flatnonzero(optimum.x > SUPPORT), columns).size),
        "relaxation_bound": optimum.bound,
        "restricted_from": model.n_pairs,
        "lp_seconds": relaxed.seconds,
        "rounding_seconds": improve_started - rounding_started,
        "improve_seconds": time.perf_counter() - improve_started,
    }
    status = Status.OPTIMAL if reached else Status.FEASIBLE
    return status, chosen, _score_bound(side, relaxed), stats


def _round_held(
    model: AssignmentModel,
    side: SideRules,
    lp: LinearProgram,
    run: _Run,
    starts: tuple[IntArray | None, IntArray | None],
) -> _Outcome | None:
    """Lexicographic goals on the relaxation (:mod:`matcher.solvers.rules.held`): each earlier
    level held at its LP bound, the score's vertex under them rounded and improved. The plan keeps
    the held rows, so every earlier level is at its best, and the last LP bounds its score.
    ``None`` when the LPs stop early or the rounding finds no plan on those rows.

    ``starts`` holds the flow plan (the hint) and the plan made before the search. Above
    :data:`HELD_LEVELS_UP_TO` pairs the levels' own LPs cost too much: the earlier levels are held
    at that plan's values instead, unproven (see :func:`~matcher.solvers.rules.held.held_relaxation`),
    and it stands where it is worth more.
    """
    hint, start = starts
    started = time.perf_counter()
    if model.n_pairs > HELD_LEVELS_UP_TO and start is None:
        return None
    at_least = start if model.n_pairs > HELD_LEVELS_UP_TO else None
    held = held_relaxation(
        model, side, lp, run.budget, at_least, columns=_pricing_start(model, hint)
    )
    if held is None:
        return None
    lp_seconds = time.perf_counter() - started
    optimum = held.optimum
    columns = _rounding_columns(model, hint)
    rounded = _held_start(model, side, held, run, (columns, at_least))
    if rounded is None:
        return None
    improve_started = time.perf_counter()
    chosen = rounded
    if not _reaches(plan_value(model, held.lp, rounded), optimum.bound):
        fractional = (optimum.x > SUPPORT) & (optimum.x < 1 - SUPPORT)
        seeds = np.unique(model.org[fractional] if fractional.any() else model.org)
        chosen = improve(
            model, side, rounded, budget=run.budget, seeds=seeds, lp=held.lp, random_seed=run.seed
        )
    if at_least is not None and plan_value(model, held.lp, at_least) > plan_value(
        model, held.lp, chosen
    ):
        chosen = at_least
    stats: dict[str, float | int | str] = {
        "start_objective": plan_value(model, held.lp, rounded),
        "variables": int(np.union1d(np.flatnonzero(optimum.x > SUPPORT), columns).size),
        "relaxation_bound": optimum.bound,
        "restricted_from": model.n_pairs,
        "levels": len(side.goals),
        "levels_by_lp": len(held.levels) if held.proven else 0,
        "lp_seconds": lp_seconds,
        "rounding_seconds": improve_started - started - lp_seconds,
        "improve_seconds": time.perf_counter() - improve_started,
    }
    reached = held.proven and _reaches(plan_value(model, held.lp, chosen), optimum.bound)
    bound = optimum.bound * (1 + 1e-9) + 1e-9
    return (Status.OPTIMAL if reached else Status.FEASIBLE), chosen, bound, stats


def _held_start(
    model: AssignmentModel,
    side: SideRules,
    held: HeldRelaxation,
    run: _Run,
    plans: tuple[IntArray, IntArray | None],
) -> IntArray | None:
    """The plan the neighbourhood search starts from under held levels: the best that keeps the
    held rows of the LP's whole pairs repaired (:func:`rough_plan`), the LP rounded by an integer
    program (on the pairs ``plans[0]`` beyond the LP's, in :data:`HELD_ROUNDING_SHARE` of the
    time left, and only when the repaired plan is not within :data:`HELD_GAP` of the bound), and
    the plan ``plans[1]`` made before the search; ``None`` when none does.

    At 10,000 needs the repaired plan is within a few tenths of a percent of the bound in a
    fraction of a second, where the integer program's root node takes longer than the search's
    whole limit.
    """
    columns, at_least = plans
    optimum = held.optimum
    whole = rough_plan(model, side, np.flatnonzero(optimum.x > 1 - SUPPORT), budget=run.budget)
    found = [plan for plan in (whole, at_least) if plan is not None]
    value = max((plan_value(model, held.lp, plan) for plan in found), default=-np.inf)
    if value < (1 - HELD_GAP) * optimum.bound:
        rounded = round_relaxation(
            model,
            side,
            optimum.x,
            budget=run.budget.part(HELD_ROUNDING_SHARE),
            columns=columns,
            lp=held.lp,
            gap=HELD_GAP,
        )
        found = [plan for plan in (rounded, *found) if plan is not None]
    values = [plan_value(model, held.lp, plan) for plan in found]
    if not values or not np.isfinite(max(values)):
        return None
    return found[int(np.argmax(values))]


def _search_kept(
    model: AssignmentModel,
    side: SideRules,
    relaxed: _Relaxed,
    run: _Run,
    hint: IntArray | None,
    start: IntArray | None,
) -> _Outcome:
    """CP-SAT on the pairs that matter, hinted with ``start`` or else the LP's near-whole
    choices; its plan is not proven against the LP bound, only reported with its gap."""
    budget, optimum = run.budget, relaxed.optimum
    if start is not None and hint is not None:
        # Budgets bind at this size: prices on money give CP-SAT a better start.
        start = rough_plan(model, side, hint, prices=PRICE_ROUNDS, budget=budget)
    keep = _pairs_that_matter(model, optimum.x, hint if start is None else start)
    sub, sub_side = _restrict(model, side, keep)
    # Else the LP's near-integral choices make a better start than the flow plan.
    if start is None:
        sub_hint = np.flatnonzero(optimum.x[keep] >= 0.5)
    else:
        sub_hint = np.searchsorted(keep, start)
    status, sub_chosen, _, stats = _stages(sub, sub_side, budget, run.seed, sub_hint, run.workers)
    chosen = keep[sub_chosen]
    if (
        start is not None
        and status is not Status.UNKNOWN
        and _rounds(side)
        and model.objective(chosen) < model.objective(start)
    ):
        status, chosen = Status.FEASIBLE, start
    if status is Status.OPTIMAL:
        status = Status.FEASIBLE  # optimal among the kept pairs, not proven against the bound
    stats.update(
        {
            "variables": int(keep.size),
            "relaxation_bound": optimum.bound,
            "restricted_from": model.n_pairs,
            "lp_seconds": relaxed.seconds,
        }
    )
    return status, chosen, _score_bound(side, relaxed), stats


def _reaches(objective: float, bound: float) -> bool:
    """Whether a plan's score is at the LP bound (to its float tolerance)."""
    return bool(objective >= bound - 1e-9 * max(1.0, abs(bound)))


def _rounds(side: SideRules) -> bool:
    """Whether the rounded LP plan may stand as the start: every rule hard, the score the goal.

    The start is compared with CP-SAT's plan by score alone, which is the goal only then.
    """
    hard = all(s.hard for s in side.rules.softness())
    return hard and all(goal.kind == "score" for goal in side.goals)


def _rounding_columns(model: AssignmentModel, hint: IntArray | None) -> IntArray:
    """Pairs the rounding may use beyond the LP's: each need's best pair and the hint's.

    They give a need the LP splits somewhere to go when the integer program drops it (10,000
    needs: 53,240 instead of 52,955 against an LP bound of 53,368).
    """
    return _best_pairs(model, hint, top_k=ROUNDING_TOP_K)


def _best_pairs(model: AssignmentModel, hint: IntArray | None, top_k: int = TOP_K) -> IntArray:
    """Each need's ``top_k`` best pairs, the hint's and the fixed ones."""
    order = np.lexsort((-model.score, model.need))
    first = np.searchsorted(model.need[order], model.need[order], side="left")
    rank = np.arange(order.size) - first
    keep = np.zeros(model.n_pairs, bool)
    keep[order[rank < top_k]] = True
    keep[model.fixed] = True
    if hint is not None:
        keep[hint] = True
    return np.flatnonzero(keep)


def _pricing_start(model: AssignmentModel, hint: IntArray | None) -> IntArray:
    """The pairs the LP's column generation starts from: each need's :data:`START_TOP_K` best,
    the hint's, the fixed ones, and every pair the hint's least prices leave within
    :data:`NEAR_TIGHT` of the best score of being tight.

    The rules move the flow's optimum only a little, so the pairs its prices nearly prefer are
    most of those the LP uses (10,000 needs: 57,000 of 298,000 pairs, and one or two rounds of
    pricing add the rest).
    """
    keep = np.zeros(model.n_pairs, bool)
    keep[_best_pairs(model, hint, top_k=START_TOP_K)] = True
    positive = np.flatnonzero(model.score > 0)
    if hint is None or positive.size == 0:
        return np.flatnonzero(keep)
    w = scaled(model, positive)[0]
    need, org = model.need[positive], model.org[positive]
    held = np.searchsorted(positive, hint[model.score[hint] > 0])
    prices = least_prices(need, org, w, held, n_needs=model.n_needs, n_orgs=model.n_orgs)
    if prices is not None:
        reduced = w - prices.surplus[need] - prices.price[org]
        keep[positive[reduced >= -NEAR_TIGHT * float(w.max())]] = True
    return np.flatnonzero(keep)


def _pairs_that_matter(model: AssignmentModel, x: FloatArray, hint: IntArray | None) -> IntArray:
    """The best pairs (see :func:`_best_pairs`) and every pair the LP uses."""
    keep = np.zeros(model.n_pairs, bool)
    keep[_best_pairs(model, hint)] = True
    keep[x > 1e-6] = True
    return np.flatnonzero(keep)


def _restrict(
    model: AssignmentModel, side: SideRules, keep: IntArray
) -> tuple[AssignmentModel, SideRules]:
    position = np.full(model.n_pairs, -1, np.int64)
    position[keep] = np.arange(keep.size)
    sub = replace(
        model,
        need=model.need[keep],
        org=model.org[keep],
        score=model.score[keep],
        fixed=position[model.fixed],
    )
    return sub, replace(side, pair_primary=side.pair_primary[keep])


def _stages(
    model: AssignmentModel,
    side: SideRules,
    budget: Budget,
    seed: int,
    hint: IntArray | None,
    workers: int,
) -> tuple[Status, IntArray, float, dict[str, float | int | str]]:
    """CP-SAT over every goal stage; the status, chosen pairs, bound on the last stage, stats.

    Lexicographic goals first try to settle the earlier levels by their LP bounds (see
    :mod:`matcher.solvers.rules.levels`): held at those bounds, one search of the last level either finds
    a plan, which proves every earlier level at its best, or fails, and the levels are then
    searched one by one. Past the deadline nothing is built: the status is then unknown.
    """
    if budget.expired():
        budget.cap("search")
        return Status.UNKNOWN, np.zeros(0, np.int64), float("inf"), {"levels": 0}
    started = time.perf_counter()
    built = _build(model, side, objective=True, with_assumptions=False)
    _add_hint(built, hint)
    build_seconds = time.perf_counter() - started

    stages, unit = _objectives(built, side)
    settled = 0
    outcome: tuple[Status, IntArray, float, str] | None = None
    if len(stages) > 1 and side.goal_mode != "weighted":
        held = _level_bounds(built, budget)
        if held is not None:
            outcome = _search_held(built, held, budget, seed, workers, unit)
            if outcome is None:
                # An LP bound that no plan reaches: search the levels one by one on a fresh model.
                built = _build(model, side, objective=True, with_assumptions=False)
                _add_hint(built, hint)
                stages = built.levels
            else:
                settled = len(held)
    if outcome is None:
        outcome = _search(built, stages, budget, seed, workers, unit)
    status, chosen, bound, solver_status = outcome
    stats: dict[str, float | int | str] = {
        "scale": built.scale,
        "tolerance": min(model.n_needs, int(model.capacity.sum())) / built.scale,
        "build_seconds": build_seconds,
        "cpsat_status": solver_status if stages else "",
        "levels": len(stages),
        "levels_by_lp": settled,
    }
    return status, chosen, float(bound), stats


def _objectives(built: _Built, side: SideRules) -> tuple[Sequence[tuple[str, Expr]], float]:
    """The stages to search (the levels, or their weighted sum as one) and the scaled value of one
    score point in their objective."""
    if side.goal_mode == "weighted":
        weights = [g.weight for g in side.goals]
        combined = sum(
            _weighted(expr, w, name, built.scale)
            for (name, expr), w in zip(built.levels, weights, strict=True)
        )
        stages: Sequence[tuple[str, Expr]] = [("weighted", combined)]
    else:
        stages = built.levels
    return stages, built.scale * (WEIGHT_RESOLUTION if side.goal_mode == "weighted" else 1)


def _search_held(
    built: _Built, held: list[int], budget: Budget, seed: int, workers: int, unit: float
) -> tuple[Status, IntArray, float, str] | None:
    """The last level searched once with every earlier level held at its LP bound (``held``);
    ``None`` when no plan meets those bounds (``built`` then holds them: build afresh)."""
    for (_, expr), value in zip(built.levels[:-1], held, strict=True):
        built.cp.add(expr >= value)
    outcome = _search(built, built.levels[-1:], budget, seed, workers, unit, probing=False)
    return None if outcome[0] is Status.INFEASIBLE else outcome


def _add_hint(built: _Built, hint: IntArray | None) -> None:
    if hint is None:
        return
    hinted = np.zeros(len(built.x), bool)
    hinted[hint] = True
    for variable, value in zip(built.x, hinted.tolist(), strict=True):
        built.cp.add_hint(variable, value)


def _level_bounds(built: _Built, budget: Budget) -> list[int] | None:
    """Bounds on every level but the last, each with the earlier ones held at theirs (LP).

    The LPs run to their end (they stop on no clock but the deadline, which is recorded).
    """
    lp = ModelRelaxation(built.cp)
    held: list[Row] = []
    values: list[int] = []
    for i, (_, expr) in enumerate(built.levels[:-1]):
        if i in built.fairness:
            value = lp.fairness_bound(
                expr, built.fairness[i], FAIRNESS_RESOLUTION, held, deadline=budget.deadline
            )
        else:
            value = lp.count_bound(expr, held, deadline=budget.deadline)
        if value is None:
            if budget.expired():
                budget.cap("level bounds")
            return None
        variables, coefficients, constant = lp.terms(expr)
        held.append((variables, coefficients, value - constant))
        values.append(value)
    return values


def _search(
    built: _Built,
    stages: Sequence[tuple[str, Expr]],
    budget: Budget,
    seed: int,
    workers: int,
    unit: float,
    *,
    probing: bool = True,
) -> tuple[Status, IntArray, float, str]:
    """CP-SAT level by level, each later level keeping the earlier ones at their best.

    Each level may spend an equal share of the work left for the levels still to come (what one
    does not use passes on). ``probing=False`` skips CP-SAT's probing in presolve: on a model whose
    earlier levels are held at their bounds it costs about half a second at 1,000 needs and does
    not pay back. Returns the status, the chosen pairs, the bound on the last level (in score
    points) and the last CP-SAT status name.
    """
    cp, x = built.cp, built.x
    status = Status.OPTIMAL
    chosen = np.zeros(0, np.int64)
    bound = np.inf
    solver_status = "UNKNOWN"
    for i, (_, expr) in enumerate(stages):
        cp.maximize(expr)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        solver.parameters.linearization_level = 2
        if not probing:
            solver.parameters.cp_model_probing_level = 0
        code = budget.run_cpsat(solver, cp, "search", work=budget.work / (len(stages) - i))
        solver_status = solver.status_name(code)
        level_status = CPSAT_STATUS.get(code, Status.UNKNOWN)
        if level_status in (Status.INFEASIBLE, Status.UNKNOWN):
            # Out of work at a later level: the plan of the level before still stands.
            status = level_status if i == 0 else Status.FEASIBLE
            break
        values = np.array([solver.boolean_value(v) for v in x], dtype=np.bool_)
        chosen = np.flatnonzero(values)
        if level_status is Status.FEASIBLE:
            status = Status.FEASIBLE
        if i == len(stages) - 1:
            bound = solver.best_objective_bound / unit
        else:
            cp.add(expr >= round(solver.objective_value))
            cp.clear_hints()  # type: ignore[no-untyped-call]
            for variable, value in zip(x, values.tolist(), strict=True):
                cp.add_hint(variable, value)
    return status, chosen, float(bound), solver_status


def _weighted(expr: Expr, weight: float, name: str, scale: float) -> Expr:
    """A level's term of the weighted objective, in thousandths of a scaled score point.

    One served need (or engaged organization) weighs ``weight`` score points; a fairness ratio of 1
    weighs ``weight`` points (its variable counts millionths).
    """
    unit = (
        1.0
        if name == "score"
        else scale / FAIRNESS_RESOLUTION
        if name.startswith("fairness")
        else scale
    )
    return round(WEIGHT_RESOLUTION * weight * unit) * expr


def find_conflict(
    model: AssignmentModel, side: SideRules, *, budget: Budget, seed: int
) -> list[str] | None:
    """A minimal set of hard rules that cannot hold together, or ``None`` if they can.

    The rules are the names given to hard constraints (``regions[0]:140121:min``, ``program:
    min_organizations``, ``money:total_fund`` …). Each is switched by an assumption literal; CP-SAT
    returns a core, which is then shrunk by dropping one rule at a time while the rest still fail.
    Every search draws on ``budget``; one that ends undecided counts as not failing.
    """
    built = _build(model, side, objective=False, with_assumptions=True)
    names = list(built.assumptions)
    if not names:
        return None

    def infeasible(active: list[str]) -> bool | None:
        built.cp.clear_assumptions()
        built.cp.add_assumptions([built.assumptions[n] for n in active])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.linearization_level = 2
        code = budget.run_cpsat(solver, built.cp, "conflict")
        if code == cp_model.INFEASIBLE:
            core = solver.sufficient_assumptions_for_infeasibility()
            index_of = {built.assumptions[n].index: n for n in names}
            found = [index_of[i] for i in core if i in index_of]
            active[:] = found or active
            return True
        return False if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    active = list(names)
    if not infeasible(active):
        return None
    for name in list(active):
        trial = [n for n in active if n != name]
        if trial and infeasible(trial):
            active = trial
    return sorted(active)


def _largest_penalty(rules: RuleSet) -> float:
    """The largest penalty per unit of a soft counting rule (0 when none is soft)."""
    return max((s.penalty for s in rules.softness(money=False) if not s.hard), default=0.0)


def _positions(keys: IntArray, size: int) -> list[list[int]]:
    """For each key in range(size), the positions where it occurs."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=size)
    parts = np.split(order, np.cumsum(counts)[:-1])
    return [part.tolist() for part in parts]
