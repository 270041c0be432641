"""``matcher.solve``: from a problem to a plan, through the candidate table and one back end.

Time and work
-------------
``time_limit`` is the seconds the whole call may take: every phase (candidates, parts, LP bounds,
searches, conflict finding) shares one deadline, and the call returns its best plan and a proven
``bound`` by then (status ``feasible`` when unproven). It is a safety cap: searches stop on
``work_limit``, so a plan does not depend on how busy the machine is, unless the cap stops a phase
first; ``solution.stats["time_capped"]`` then names the phases it stopped.

Parts
-----
With ``decompose``, the independent parts of the candidate graph (connected components, joined
where a rule counts across them) are solved one by one and merged: the same objective as the whole
solve; ``solution.stats["parts"]`` tells how many. An ``executor`` runs them: any
:class:`concurrent.futures.Executor`, such as a Dask cluster's
``distributed.Client(...).get_executor()`` or a ``ProcessPoolExecutor``. Without one they are
solved here, one after another: matcher starts no process of its own (forking a process that may
hold threads can deadlock).

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=80, n_orgs=25)
>>> exact = matcher.solve(problem, solver="flow")
>>> baseline = matcher.solve(problem, solver="greedy")
>>> baseline.objective <= exact.objective
True
>>> matcher.solve(problem, solver="simplex")
Traceback (most recent call last):
...
matcher.errors.UnknownSolverError: unknown solver 'simplex'; choose one of auto, flow, cpsat, greedy
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .decompose import one_block, solve_in_parts, split
from .errors import OptionError, UnknownSolverError
from .models import Priority, Problem
from .models.index import ORG_TYPES
from .models.rules import Goal
from .pairs.eligibility import PRIMARY_MATRIX, barred_organizations
from .pairs.table import CandidateTable, build_candidates, pinned_rows
from .plan.kpis import compute_kpis
from .plan.records import PlanRows
from .plan.solution import Conflict, Solution
from .rules.compile import SoftViolation, compile_rules, evaluate, fairness_groups
from .solvers import SOLVERS, AssignmentModel, Solver, SolverResult, Status
from .solvers.assignment import NetworkSolver
from .solvers.base import SideRules
from .solvers.budget import Budget
from .solvers.rules.conflicts import explain_conflict

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["AUTO_DECOMPOSE_PAIRS", "assemble", "check_options", "needs_rules", "solve"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_TIERS = list(Priority)

#: ``decompose=None`` splits a model into independent parts from this many candidate pairs on.
AUTO_DECOMPOSE_PAIRS = 200_000
#: Seeds are reduced modulo this, the range every back end takes (CP-SAT's is a 32-bit int).
SEED_RANGE = 2**31


def solve(
    problem: Problem,
    solver: str | Solver = "auto",
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    decompose: bool | None = None,
    executor: Executor | None = None,
    work_limit: float | None = None,
) -> Solution:
    """Find the best dispatch plan for ``problem``.

    Parameters
    ----------
    problem
        A validated :class:`~matcher.Problem`.
    solver
        ``"auto"`` (while the problem is network-shaped, which every problem without extra rules
        is, the fastest exact algorithm for its shape, :class:`~matcher.solvers.assignment.
        NetworkSolver`), ``"flow"`` (OR-Tools' min-cost flow), ``"cpsat"``, ``"greedy"``, or a
        :class:`~matcher.solvers.Solver`.
    time_limit
        Seconds the whole call may take, every phase together (see *Time and work* in
        :mod:`matcher.solving`); ``solution.stats["time_capped"]`` names the phases it stopped.
    seed
        Random seed of back ends that search: any whole number (reduced to what each back end
        takes).
    decompose
        Solve the independent parts of the candidate graph one by one and merge them (see
        *Parts*): the same objective as the whole solve. ``None`` (the default) decomposes from
        :data:`AUTO_DECOMPOSE_PAIRS` candidate pairs on when there are several parts.
    executor
        Where the parts run: any :class:`concurrent.futures.Executor` (see *Parts*); ``None``
        solves them here, one after another. Giving one implies ``decompose``.
    work_limit
        Deterministic work every search of the call may spend together, in CP-SAT's deterministic
        seconds; ``None`` means :data:`~matcher.solvers.budget.WORK_PER_SECOND` per second of
        ``time_limit``. Same problem, options and seed: the same plan, byte for byte.

    Returns
    -------
    Solution
        The plan; ``matcher.verify(problem, solution)`` is empty for it.

    Raises
    ------
    UnknownSolverError
        When ``solver`` names no back end.
    OptionError
        When ``time_limit`` or ``work_limit`` is not a positive number, ``seed`` is not a whole
        number, or ``executor`` is given with ``decompose=False``.
    """
    call = _call(problem, solver, time_limit, seed, work_limit, decompose, executor)
    started = time.perf_counter()
    budget = Budget.start(call.time_limit, call.work_limit)
    table = build_candidates(problem)
    model = _model(problem, table)
    candidates_done = time.perf_counter()
    result, conflicts = _solve_model(problem, model, call, budget)
    solved = time.perf_counter()
    solution = assemble(problem, table, result, call.backend.name, model.side, conflicts)
    solution._problem = problem
    _record_timings(solution, result, [started, candidates_done, solved])
    return solution


@dataclass(frozen=True)
class _Call:
    """The checked options of one :func:`solve` call."""

    backend: Solver
    time_limit: float
    seed: int
    work_limit: float | None
    decompose: bool | None
    executor: Executor | None


def _call(
    problem: object,
    solver: str | Solver,
    time_limit: object,
    seed: object,
    work_limit: object,
    decompose: bool | None,
    executor: Executor | None,
) -> _Call:
    """The options of :func:`solve`, checked in the order its errors are documented."""
    if not isinstance(problem, Problem):
        raise OptionError.of("error.not_problem", kind=type(problem).__name__)
    backend = _backend(solver, problem)
    seconds, seed = check_options(time_limit, seed)
    work = None if work_limit is None else _positive("work_limit", work_limit)
    if decompose is False and executor is not None:
        raise OptionError.of("error.executor_decompose")
    return _Call(backend, seconds, seed, work, decompose, executor)


def _model(problem: Problem, table: CandidateTable) -> AssignmentModel:
    """The assignment model of the candidate table, with the policy's rules when it needs them."""
    index = problem.index
    return AssignmentModel(
        n_needs=index.n_needs,
        n_orgs=index.n_orgs,
        need=table.need,
        org=table.org,
        score=table.score,
        capacity=index.org_capacity,
        fixed=pinned_rows(problem, table),
        side=_side_rules(problem, table) if needs_rules(problem) else None,
    )


def _solve_model(
    problem: Problem, model: AssignmentModel, call: _Call, budget: Budget
) -> tuple[SolverResult, list[Conflict]]:
    """The back end's result on ``model`` and, when rules make it infeasible, the conflicts."""

    def run(model: AssignmentModel) -> SolverResult:
        return _run(call.backend, model, budget, call.seed, call.decompose, call.executor)

    side = model.side
    result = _solve_around_fixed(run, model) if side is None else run(model)
    conflicts: list[Conflict] = []
    if side is not None and result.status is Status.INFEASIBLE:
        conflicts = explain_conflict(problem, model, side, budget=budget, seed=call.seed)
    if budget.capped:
        result.stats["time_capped"] = ",".join(budget.capped)
    return result, conflicts


def _record_timings(solution: Solution, result: SolverResult, stamps: list[float]) -> None:
    """The back end's phases and the call's own (``stamps``: started, candidates done, solved)."""
    started, candidates_done, solved = stamps
    solution.timings.update(
        {k: float(v) for k, v in result.stats.items() if k.endswith("_seconds")}
        | {
            "candidates_seconds": candidates_done - started,
            "assemble_seconds": time.perf_counter() - solved,
            "total_seconds": time.perf_counter() - started,
        }
    )


def _run(
    backend: Solver,
    model: AssignmentModel,
    budget: Budget,
    seed: int,
    decompose: bool | None,
    executor: Executor | None,
) -> SolverResult:
    """Solve ``model`` whole, or in parts when asked to or when it is large and falls apart."""
    wanted = decompose or executor is not None
    whole = decompose is False or (not wanted and model.n_pairs < AUTO_DECOMPOSE_PAIRS)
    # One visible block is one part: whole, unless parts are asked for.
    whole = whole or (not wanted and one_block(model))
    parts = [] if whole else split(model)
    if not parts or (len(parts) == 1 and not wanted):
        return backend.solve(model, time_limit=budget.seconds_left(), seed=seed, budget=budget)
    return solve_in_parts(backend, model, parts, budget=budget, seed=seed, executor=executor)


def check_options(time_limit: object, seed: object) -> tuple[float, int]:
    """``time_limit`` as a positive number of seconds and ``seed`` reduced to every back end's
    range (any whole number), or an :class:`OptionError`.

    Examples
    --------
    >>> check_options(10, -1)
    (10.0, 2147483647)
    >>> check_options(10, None)
    Traceback (most recent call last):
    ...
    matcher.errors.OptionError: seed must be a whole number, not None
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise OptionError.of("error.seed", value=repr(seed))
    return _positive("time_limit", time_limit), int(seed) % SEED_RANGE


def _positive(name: str, value: object) -> float:
    """``value`` as a positive, finite number of seconds or work units, or an :class:`OptionError`."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise OptionError.of("error.positive", name=name, value=repr(value))
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise OptionError.of("error.positive", name=name, value=repr(value))
    return number


def _solve_around_fixed(
    run: Callable[[AssignmentModel], SolverResult], model: AssignmentModel
) -> SolverResult:
    """Take the fixed pairs first, let ``run`` solve what is left, and put the two together."""
    if model.fixed.size == 0:
        return run(model)
    rest, back = model.residual()
    result = run(rest)
    chosen = np.sort(np.concatenate([back[result.chosen], model.fixed]))
    constant = model.objective(model.fixed)
    return replace(
        result,
        chosen=chosen,
        objective=model.objective(chosen),
        bound=result.bound + constant,
    )


def needs_rules(problem: Problem) -> bool:
    """Whether the policy or a partnership needs more than min-cost flow (CP-SAT then solves it)."""
    index = problem.index
    return (
        not problem.policy.network_shaped
        or bool((index.need_partners > 1).any())
        or bool(index.need_lead_primary.any())
    )


def _backend(solver: str | Solver, problem: Problem) -> Solver:
    if not isinstance(solver, Solver) and (
        not isinstance(solver, str) or (solver not in SOLVERS and solver != "auto")
    ):
        names = ", ".join(["auto", *SOLVERS])
        raise UnknownSolverError.of("error.unknown_solver", solver=repr(solver), names=names)
    rules = needs_rules(problem)
    if solver == "auto":
        return SOLVERS["cpsat"]() if rules else NetworkSolver()
    backend = solver if isinstance(solver, Solver) else SOLVERS[solver]()
    if rules and not backend.handles_rules:
        raise OptionError.of("error.solver_without_rules", solver=backend.name)
    return backend


def _side_rules(problem: Problem, table: CandidateTable) -> SideRules:
    index = problem.index
    servable = np.bincount(table.need, minlength=index.n_needs) >= index.need_partners
    policy = problem.policy
    goals = tuple(policy.goals)
    if not any(goal.kind == "score" for goal in goals):
        # The score always counts: last level (lexicographic) or at weight 1 (weighted).
        goals = (*goals, Goal(kind="score"))
    primary = PRIMARY_MATRIX.ravel()[
        index.need_category[table.need] * len(ORG_TYPES) + index.org_type[table.org]
    ]
    key = index.hierarchy.tier[index.need_region] == _TIERS.index(Priority.KEY)
    return SideRules(
        rules=compile_rules(problem, servable),
        partners=index.need_partners,
        lead_needed=index.need_lead_primary,
        pair_primary=primary,
        need_cost=index.need_cost,
        capacity_building=index.need_capacity_building,
        org_budget=index.org_budget,
        key_need=key,
        goals=goals,
        goal_mode=policy.goal_mode,
        fairness_groups=[
            fairness_groups(problem, servable, goal.level, goal.tier)
            if goal.kind == "fairness"
            else []
            for goal in goals
        ],
        servable=servable,
    )


def assemble(
    problem: Problem,
    table: CandidateTable,
    result: SolverResult,
    solver: str,
    side: SideRules | None = None,
    conflicts: Sequence[Conflict] = (),
) -> Solution:
    """Turn a back end's chosen pairs into a :class:`Solution` with reasons, levels and KPIs."""
    index = problem.index
    chosen = result.chosen
    need, org, score = table.need[chosen], table.org[chosen], table.score[chosen]
    stats = {k: v for k, v in result.stats.items() if not k.endswith("_seconds")}

    objective, bound = result.objective, result.bound
    if side is None:
        served = np.bincount(need, minlength=index.n_needs) > 0
        levels = {"score": objective}
        soft: list[SoftViolation] = []
    else:
        evaluation = evaluate(problem, side.rules, need, org, score, side.servable)
        served, levels, soft = evaluation.served, evaluation.levels, evaluation.violations
        if side.goal_mode == "weighted":
            weights = {_level_name(g): g.weight for g in side.goals}
            objective = sum(weights[name] * value for name, value in levels.items())
        else:
            objective = levels["score"]
        if result.status is Status.OPTIMAL:
            bound = objective
        elif result.status is Status.FEASIBLE:
            bound = max(objective, bound + float(result.stats.get("tolerance", 0.0)))
        else:
            objective, bound = 0.0, float("-inf") if result.status is Status.INFEASIBLE else bound

    infeasible = result.status is Status.INFEASIBLE
    solution = Solution(
        status=result.status,
        objective=objective,
        bound=bound,
        solver=solver,
        assignments=(),
        unmet=(),
        kpis=compute_kpis(problem, org, served, ~barred_organizations(problem)),
        levels=levels,
        soft_violations=tuple(soft),
        conflicts=tuple(conflicts),
        stats=stats,
    )
    # The records are built when first read (most callers read arrays, KPIs and levels only).
    rows = PlanRows(problem, table, chosen, served, ruled=side is not None, infeasible=infeasible)
    return solution.defer(rows)


def _level_name(goal: Goal) -> str:
    return f"fairness:{goal.level.value}" if goal.kind == "fairness" else goal.kind
