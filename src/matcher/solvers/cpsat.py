"""CP-SAT back end: the assignment as a 0-1 program, the base that richer rules extend.

One Boolean per pair with a positive score; at most one per need; at most ``max_projects`` per
organization; maximize the integer-scaled score. The min-cost flow plan is given as a hint, and the
search runs on one worker with ``linearization_level=2``: the LP relaxation of this model is integral,
so the hint is proven optimal at once on program-year instances (1,000 needs). Scores are scaled to
integers of at most 2**22: CP-SAT's LP stalls on larger coefficients (measured on the Shanxi-like
province: 0.5 s at 2**22, 1.8 s at 2**24, no proof in 20 s at 2**30), and 2**22 still separates
plans to about 1e-6 of their score at that size (``stats["tolerance"]``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .base import (
    COEFFICIENT_CEILING,
    CPSAT_STATUS,
    AssignmentModel,
    IntArray,
    Solver,
    SolverResult,
    Status,
    integer_scores,
)
from .budget import Budget
from .flow import FlowSolver
from .greedy import relaxation_bound

__all__ = ["COEFFICIENT_CEILING", "CpSatSolver"]


class CpSatSolver(Solver):
    """CP-SAT on the pair variables, hinted with the flow plan.

    Parameters
    ----------
    workers
        Search workers (1 proves these models fastest on 2 cores). Several workers search in
        parallel threads, and their plans then depend on timing: only one is reproducible.
    linearization_level
        CP-SAT's ``linearization_level``; 2 adds the LP relaxation that closes the gap.
    use_hint
        Start from the min-cost flow plan when no hint is passed.
    """

    name = "cpsat"
    exact = True
    handles_rules = True

    def __init__(self, workers: int = 1, linearization_level: int = 2, use_hint: bool = True):
        self.workers = workers
        self.linearization_level = linearization_level
        self.use_hint = use_hint

    def solve(
        self,
        model: AssignmentModel,
        *,
        time_limit: float = 10.0,
        seed: int = 0,
        hint: IntArray | None = None,
        budget: Budget | None = None,
    ) -> SolverResult:
        from ortools.sat.python import cp_model  # with pandas: imported on first use

        from .partners import solve_partnered

        started = time.perf_counter()
        budget = Budget.start(time_limit) if budget is None else budget
        unconstrained = None
        if hint is None and self.use_hint:
            hint, unconstrained = _flow_start(model)
        if model.side is not None:
            return solve_partnered(
                model,
                model.side,
                budget=budget,
                seed=seed,
                hint=hint,
                workers=self.workers,
                unconstrained=unconstrained,
            )
        program = _assignment_program(model, hint)
        built = time.perf_counter()

        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.workers
        solver.parameters.random_seed = seed
        solver.parameters.linearization_level = self.linearization_level
        code = budget.run_cpsat(solver, program.cp, "cpsat")
        status = CPSAT_STATUS.get(code, Status.UNKNOWN)
        if status in (Status.OPTIMAL, Status.FEASIBLE):
            values = np.array([solver.boolean_value(v) for v in program.x], dtype=np.bool_)
            chosen = program.positive[values]
        else:
            chosen = np.zeros(0, np.int64)
        status, chosen, objective, bound = _plan_and_bound(
            model, hint, status, chosen, solver.best_objective_bound / program.scale, program.scale
        )
        return SolverResult(
            status=status,
            chosen=np.sort(chosen),
            objective=objective,
            bound=bound,
            stats={
                "scale": program.scale,
                "tolerance": min(model.n_needs, int(model.capacity.sum())) / program.scale,
                "build_seconds": built - started,
                "solve_seconds": time.perf_counter() - built,
                "cpsat_status": solver.status_name(code),
                "variables": len(program.x),
            },
        )


def _flow_start(model: AssignmentModel) -> tuple[IntArray, float]:
    """The min-cost flow plan of ``model`` without its rules, with its pinned pairs added, and
    the flow's optimum plus its rounding tolerance (a bound on every plan of the rules)."""
    plain = FlowSolver().solve(replace(model, side=None, fixed=np.zeros(0, np.int64)))
    return np.union1d(plain.chosen, model.fixed), plain.objective + float(plain.stats["tolerance"])


@dataclass(frozen=True, eq=False)
class _Program:
    """The 0-1 program of a plain assignment: one Boolean per pair of positive score."""

    cp: Any  # cp_model.CpModel, imported on first use
    x: list[Any]
    #: The pairs the Booleans stand for, and the factor that made their scores integers.
    positive: IntArray
    scale: float


def _assignment_program(model: AssignmentModel, hint: IntArray | None) -> _Program:
    """At most one pair per need and ``capacity`` per organization, the scaled score maximized,
    ``hint`` given as the search's start."""
    from ortools.sat.python import cp_model

    positive = np.flatnonzero(model.score > 0)
    coefficients, scale = integer_scores(
        model.score[positive], model.n_needs + model.n_orgs + 2, ceiling=COEFFICIENT_CEILING
    )
    cp = cp_model.CpModel()
    x = [cp.new_bool_var(f"x{p}") for p in positive.tolist()]
    for members in _groups(model.need[positive]):
        if len(members) > 1:
            cp.add_at_most_one(x[i] for i in members)
    for members, org in zip(
        _groups(model.org[positive]), np.unique(model.org[positive]).tolist(), strict=True
    ):
        limit = int(model.capacity[org])
        if len(members) > limit:
            cp.add(sum(x[i] for i in members) <= limit)
    cp.maximize(cp_model.LinearExpr.weighted_sum(x, coefficients.tolist()))
    if hint is not None:
        hinted = np.isin(positive, hint)
        for variable, value in zip(x, hinted.tolist(), strict=True):
            cp.add_hint(variable, value)
    return _Program(cp, x, positive, scale)


def _plan_and_bound(
    model: AssignmentModel,
    hint: IntArray | None,
    status: Status,
    chosen: IntArray,
    searched_bound: float,
    scale: float,
) -> tuple[Status, IntArray, float, float]:
    """The status, plan, objective and bound a search ends with.

    ``searched_bound`` is CP-SAT's bound in score points and ``scale`` the scores' integer
    factor; the hint stands where it scores more or where the search found nothing.
    """
    objective = model.objective(chosen)
    if hint is not None and chosen.size and model.objective(hint) > objective:
        # Rounded scores may not tell two plans apart; keep the better one in float scores.
        chosen, objective = np.sort(hint), model.objective(hint)
    if status is Status.OPTIMAL:
        bound = objective
    elif status is Status.FEASIBLE:
        slack = min(model.n_needs, int(model.capacity.sum())) / scale
        bound = max(objective, searched_bound + slack)
    elif hint is not None and status is Status.UNKNOWN:
        # Out of time before the first solution: the hint is still a valid plan.
        status, chosen = Status.FEASIBLE, np.sort(hint)
        objective = model.objective(chosen)
        bound = max(objective, relaxation_bound(model))
    else:
        bound = relaxation_bound(model) if status is Status.UNKNOWN else float("-inf")
    return status, chosen, objective, bound


def _groups(keys: IntArray) -> list[list[int]]:
    """Positions of equal keys, one list per distinct key in ascending key order."""
    order = np.argsort(keys, kind="stable")
    boundaries = np.flatnonzero(np.diff(keys[order])) + 1
    return [part.tolist() for part in np.split(order, boundaries)] if keys.size else []
