"""``matcher.solve``: from a problem to a plan, through the candidate table and one back end.

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
from collections import Counter
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from .candidates import CandidateTable, build_candidates
from .eligibility import RULES, barred_organizations, ineligibility
from .errors import Issue, OptionError, ProblemError, UnknownSolverError
from .kpis import compute_kpis
from .models import COMPONENTS, Category, Priority, Problem
from .solution import Assignment, Solution, Unmet
from .solvers import SOLVERS, AssignmentModel, Solver, SolverResult

__all__ = ["solve"]

IntArray = npt.NDArray[np.int64]

_CATEGORIES = list(Category)
_TIERS = list(Priority)


def solve(
    problem: Problem,
    solver: str | Solver = "auto",
    *,
    time_limit: float = 10.0,
    seed: int = 0,
) -> Solution:
    """Find the best dispatch plan for ``problem``.

    Parameters
    ----------
    problem
        A validated :class:`~matcher.Problem`.
    solver
        ``"auto"`` (min-cost flow while the problem is network-shaped, which every problem without
        extra rules is), ``"flow"``, ``"cpsat"``, ``"greedy"``, or a :class:`~matcher.solvers.Solver`.
    time_limit
        Seconds a back end with a clock (CP-SAT) may search; when it runs out it returns its best
        plan with status ``feasible`` and a proven ``bound``.
    seed
        Random seed of back ends that search.

    Returns
    -------
    Solution
        The plan; ``matcher.verify(problem, solution)`` is empty for it.

    Raises
    ------
    UnknownSolverError
        When ``solver`` names no back end.
    OptionError
        When ``time_limit`` is not a positive number.
    """
    backend = _backend(solver)
    if not isinstance(time_limit, int | float) or not math.isfinite(time_limit) or time_limit <= 0:
        raise OptionError(f"time_limit must be a positive number of seconds, not {time_limit!r}")
    started = time.perf_counter()
    table = build_candidates(problem)
    index = problem.index
    model = AssignmentModel(
        n_needs=index.n_needs,
        n_orgs=index.n_orgs,
        need=table.need,
        org=table.org,
        score=table.score,
        capacity=index.org_capacity,
        fixed=_pinned_pairs(problem, table),
    )
    candidates_done = time.perf_counter()
    result = _solve_around_fixed(backend, model, time_limit=float(time_limit), seed=int(seed))
    solved = time.perf_counter()
    solution = assemble(problem, table, result, backend.name)
    solution.timings.update(
        {k: float(v) for k, v in result.stats.items() if k.endswith("_seconds")}
        | {
            "candidates_seconds": candidates_done - started,
            "assemble_seconds": time.perf_counter() - solved,
            "total_seconds": time.perf_counter() - started,
        }
    )
    return solution


def _pinned_pairs(problem: Problem, table: CandidateTable) -> IntArray:
    """Rows of the candidate table that ``problem.pinned`` names; an error if one is not there."""
    index = problem.index
    if index.pinned_need.size == 0:
        return np.zeros(0, np.int64)
    keys = table.need * index.n_orgs + table.org  # sorted: the table is ordered by (need, org)
    wanted = index.pinned_need * index.n_orgs + index.pinned_org
    rows = np.minimum(np.searchsorted(keys, wanted), max(0, keys.size - 1))
    found = (keys.size > 0) & (keys[rows] == wanted) if keys.size else np.zeros(wanted.shape, bool)
    issues = []
    for i in np.flatnonzero(~found).tolist():
        code = int(ineligibility(problem, index.pinned_need[i], index.pinned_org[i])[0])
        issues.append(Issue(f"pinned[{i}]", f"the pair is not eligible: rule {RULES[code - 1]}"))
    load = np.bincount(index.pinned_org, minlength=index.n_orgs)
    for o in np.flatnonzero(load > index.org_capacity).tolist():
        limit = int(index.org_capacity[o])
        issues.append(
            Issue(
                "pinned",
                f"{index.org_ids[o]} has {int(load[o])} pinned needs > max_projects {limit}",
            )
        )
    if issues:
        raise ProblemError(issues)
    return np.sort(rows)


def _solve_around_fixed(
    backend: Solver, model: AssignmentModel, *, time_limit: float, seed: int
) -> SolverResult:
    """Take the fixed pairs first, let ``backend`` solve what is left, and put the two together."""
    if model.fixed.size == 0:
        return backend.solve(model, time_limit=time_limit, seed=seed)
    rest, back = model.residual()
    result = backend.solve(rest, time_limit=time_limit, seed=seed)
    chosen = np.sort(np.concatenate([back[result.chosen], model.fixed]))
    constant = model.objective(model.fixed)
    return replace(
        result,
        chosen=chosen,
        objective=model.objective(chosen),
        bound=result.bound + constant,
    )


def _backend(solver: str | Solver) -> Solver:
    if isinstance(solver, Solver):
        return solver
    if solver == "auto":
        return SOLVERS["flow"]()
    if isinstance(solver, str) and solver in SOLVERS:
        return SOLVERS[solver]()
    names = ", ".join(["auto", *SOLVERS])
    raise UnknownSolverError(f"unknown solver {solver!r}; choose one of {names}")


def assemble(
    problem: Problem, table: CandidateTable, result: SolverResult, solver: str
) -> Solution:
    """Turn a back end's chosen pairs into a :class:`Solution` with reasons and KPIs."""
    index = problem.index
    chosen = result.chosen
    need_org = np.full(index.n_needs, -1, np.int64)
    need_org[table.need[chosen]] = table.org[chosen]
    need_tier = index.hierarchy.tier[index.need_region]
    region_ids = index.hierarchy.ids

    assignments = tuple(
        Assignment(
            need_id=index.need_ids[n],
            org_id=index.org_ids[o],
            score=s,
            category=_CATEGORIES[index.need_category[n]],
            region=region_ids[index.need_region[n]],
            tier=_TIERS[need_tier[n]],
            components=dict(zip(COMPONENTS, values, strict=True)),
        )
        for n, o, s, values in zip(
            table.need[chosen].tolist(),
            table.org[chosen].tolist(),
            table.score[chosen].tolist(),
            table.components[chosen].tolist(),
            strict=True,
        )
    )
    stats = {k: v for k, v in result.stats.items() if not k.endswith("_seconds")}
    return Solution(
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        solver=solver,
        assignments=assignments,
        unmet=_unmet(problem, table, need_org),
        kpis=compute_kpis(problem, need_org, ~barred_organizations(problem)),
        stats=stats,
    )


def _unmet(problem: Problem, table: CandidateTable, need_org: IntArray) -> tuple[Unmet, ...]:
    index = problem.index
    n_candidates = np.bincount(table.need, minlength=index.n_needs)
    load = np.bincount(need_org[need_org >= 0], minlength=index.n_orgs)
    open_pair = (table.score > 0) & (load[table.org] < index.org_capacity[table.org])
    has_open = np.bincount(table.need, weights=open_pair, minlength=index.n_needs) > 0
    has_positive = np.bincount(table.need, weights=table.score > 0, minlength=index.n_needs) > 0
    need_tier = index.hierarchy.tier[index.need_region]
    region_ids = index.hierarchy.ids
    exclusions = _exclusions(problem, np.flatnonzero((need_org < 0) & (n_candidates == 0)))

    unmet = []
    for n in np.flatnonzero(need_org < 0).tolist():
        count = int(n_candidates[n])
        excluded: dict[str, int] = {}
        if count == 0:
            excluded = exclusions[n]
            reason, detail = (
                "no_candidate",
                "no eligible organization: "
                + ", ".join(f"{rule} removes {k}" for rule, k in excluded.items()),
            )
        elif not has_positive[n]:
            reason, detail = "non_positive_score", f"all {count} candidates score 0 or less"
        elif has_open[n]:
            reason, detail = "not_chosen", "a candidate had room but the plan is not proven best"
        else:
            reason, detail = "capacity", f"all {count} candidates with a positive score are full"
        unmet.append(
            Unmet(
                need_id=index.need_ids[n],
                reason=reason,
                detail=detail,
                category=_CATEGORIES[index.need_category[n]],
                region=region_ids[index.need_region[n]],
                tier=_TIERS[need_tier[n]],
                candidates=count,
                excluded=excluded,
            )
        )
    return tuple(unmet)


def _exclusions(problem: Problem, needs: IntArray) -> dict[int, dict[str, int]]:
    """For needs without candidates: organizations removed by each rule (first failing rule)."""
    index = problem.index
    if needs.size == 0 or index.n_orgs == 0:
        return {int(n): {} for n in needs.tolist()}
    # Without pair_scores the verdict depends only on (region, category): evaluate each once.
    if index.pair_need is None:
        keys = index.need_region[needs] * len(Category) + index.need_category[needs]
    else:
        keys = needs
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    result: dict[int, dict[str, int]] = {}
    orgs = np.arange(index.n_orgs, dtype=np.int64)
    verdicts = []
    for representative in needs[first].tolist():
        codes = Counter(ineligibility(problem, representative, orgs).tolist())
        verdicts.append({RULES[c - 1]: codes[c] for c in sorted(codes) if c})
    for n, group in zip(needs.tolist(), inverse.tolist(), strict=True):
        result[n] = dict(verdicts[group])
    return result
