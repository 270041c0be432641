"""Exact means proven: every solver's plan is checked by ``matcher.verify`` and against an
independent optimum (an exhaustive search on tiny problems, HiGHS on small ones).
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

import matcher
from strategies import (
    SMALL,
    TINY,
    dense_pair_documents,
    documents,
    near_tie_scores,
    organizations,
    problems,
)

SOLVERS = ("flow", "cpsat", "greedy")


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


# --- independent optima -------------------------------------------------------------------------


def brute_force(problem: matcher.Problem) -> float:
    """The best total score over the candidate table, by exhaustive search.

    Every need takes one of its candidates or none; every organization at most ``max_projects``.
    The search is memoized on (need, remaining capacities), which enumerates every plan's value.
    """
    table = matcher.candidates(problem)
    org_position = {o.id: i for i, o in enumerate(problem.organizations)}
    options: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for need_id, org_id, score in zip(table.need_id, table.org_id, table.score, strict=True):
        options[need_id].append((org_position[org_id], float(score)))
    needs = list(options.values())

    @cache
    def best(i: int, room: tuple[int, ...]) -> float:
        if i == len(needs):
            return 0.0
        value = best(i + 1, room)  # leave need i unassigned
        for org, score in needs[i]:
            if room[org] > 0:
                left = (*room[:org], room[org] - 1, *room[org + 1 :])
                value = max(value, score + best(i + 1, left))
        return value

    return best(0, tuple(o.max_projects for o in problem.organizations))


def highs_optimum(problem: matcher.Problem) -> float:
    """The optimum as a 0-1 program solved by HiGHS through scipy, with a zero gap."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    sparse = pytest.importorskip("scipy.sparse")
    table = matcher.candidates(problem)
    if table.empty:
        return 0.0
    index = problem.index
    need = table.need_id.map(index.need_position).to_numpy()
    org = table.org_id.map(index.org_position).to_numpy()
    pairs = np.arange(len(table))
    rows = np.concatenate([need, index.n_needs + org])
    matrix = sparse.csr_array(
        (np.ones(2 * len(table)), (rows, np.concatenate([pairs, pairs]))),
        shape=(index.n_needs + index.n_orgs, len(table)),
    )
    upper = np.concatenate([np.ones(index.n_needs), index.org_capacity.astype(float)])
    result = scipy_optimize.milp(
        c=-table.score.to_numpy(),
        constraints=scipy_optimize.LinearConstraint(matrix, -np.inf, upper),
        integrality=np.ones(len(table)),
        bounds=scipy_optimize.Bounds(0, 1),
        options={"mip_rel_gap": 0.0, "presolve": True},
    )
    assert result.status == 0, result.message
    return float(-result.fun)


# --- optimality ---------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(problems(TINY, pair_scores=None))
def test_flow_equals_brute_force(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem, solver="flow")
    assert solution.status == "optimal"
    assert solution.bound == solution.objective
    assert close(solution.objective, brute_force(problem))
    assert matcher.verify(problem, solution) == []


@settings(max_examples=60, deadline=None)
@given(problems(TINY, pair_scores=None))
def test_every_solver_against_brute_force(problem: matcher.Problem) -> None:
    optimum = brute_force(problem)
    for name in SOLVERS:
        solution = matcher.solve(problem, solver=name)
        assert matcher.verify(problem, solution) == [], name
        assert solution.objective <= optimum + 1e-9 * max(1.0, abs(optimum)), name
        assert solution.bound >= optimum - 1e-9 * max(1.0, abs(optimum)), name
        if solution.status == "optimal":
            assert close(solution.objective, optimum), name


@settings(max_examples=30, deadline=None)
@given(problems(SMALL, pair_scores=None, min_needs=10, min_orgs=3))
def test_flow_equals_highs(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem, solver="flow")
    assert solution.status == "optimal"
    assert close(solution.objective, highs_optimum(problem), rel=1e-7)


@settings(max_examples=30, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_solvers_agree_and_verify(problem: matcher.Problem) -> None:
    plans = {name: matcher.solve(problem, solver=name) for name in SOLVERS}
    for name, plan in plans.items():
        assert matcher.verify(problem, plan) == [], name
        assert plan.solver == name
    flow, cpsat, greedy = plans["flow"], plans["cpsat"], plans["greedy"]
    assert flow.status == "optimal"
    assert cpsat.status == "optimal"
    assert close(cpsat.objective, flow.objective)
    tolerance = 1e-9 * max(1.0, abs(flow.objective))
    assert greedy.objective <= flow.objective + tolerance
    assert greedy.bound >= flow.objective - tolerance
    assert greedy.bound >= greedy.objective
    if greedy.status == "optimal":
        assert close(greedy.objective, flow.objective)
    assert matcher.solve(problem, solver="auto").objective == flow.objective


# Shrinking would re-run CP-SAT thousands of times; test_solvers.py has a minimal case by hand.
@settings(max_examples=60, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(dense_pair_documents(TINY, scores=near_tie_scores()))
def test_exact_solvers_on_near_ties(document: dict[str, Any]) -> None:
    """Plans whose totals differ by millionths: the exact back ends must still find the best
    one, and no back end may claim a bound below it."""
    problem = matcher.Problem.model_validate(document)
    optimum = brute_force(problem)
    for name in SOLVERS:
        solution = matcher.solve(problem, solver=name)
        assert matcher.verify(problem, solution) == [], name
        assert solution.bound >= optimum - 1e-9 * max(1.0, abs(optimum)), name
        if name != "greedy":
            assert close(solution.objective, optimum), name


@settings(max_examples=40, deadline=None)
@given(problems(TINY, pair_scores=None))
def test_no_plan_takes_a_non_positive_pair(problem: matcher.Problem) -> None:
    for name in SOLVERS:
        solution = matcher.solve(problem, solver=name)
        assert all(a.score > 0 for a in solution.assignments), name


# --- determinism and order independence ---------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_solve_is_deterministic(problem: matcher.Problem) -> None:
    for name in SOLVERS:
        first = matcher.solve(problem, solver=name).to_json()
        assert matcher.solve(problem, solver=name).to_json() == first, name
        again = matcher.Problem.model_validate(problem.model_dump())
        assert matcher.solve(again, solver=name).to_json() == first, name
        from_text = matcher.Problem.from_json(problem.to_json())
        assert matcher.solve(from_text, solver=name).to_json() == first, name


@settings(max_examples=40, deadline=None)
@given(documents(SMALL, pair_scores=None), st.randoms(use_true_random=False))
def test_order_of_the_document_does_not_matter(document: dict[str, Any], rng: Any) -> None:
    shuffled = copy.deepcopy(document)
    for section in ("regions", "organizations", "needs", "pair_scores"):
        if section in shuffled:
            rng.shuffle(shuffled[section])
    original = matcher.solve(matcher.Problem.model_validate(document), solver="flow")
    permuted_problem = matcher.Problem.model_validate(shuffled)
    permuted = matcher.solve(permuted_problem, solver="flow")
    assert close(permuted.objective, original.objective)
    assert matcher.verify(permuted_problem, permuted) == []
    # the same needs are unmet for a reason no choice of plan can change
    fixed = ("no_candidate", "non_positive_score")
    assert {(u.need_id, u.reason) for u in original.unmet if u.reason in fixed} == {
        (u.need_id, u.reason) for u in permuted.unmet if u.reason in fixed
    }


# --- monotonicity ------------------------------------------------------------------------------


def _flow_objective(document: dict[str, Any]) -> float:
    return matcher.solve(matcher.Problem.model_validate(document), solver="flow").objective


def _not_below(after: float, before: float) -> bool:
    return after >= before - 1e-9 * max(1.0, abs(before))


@settings(max_examples=40, deadline=None)
@given(documents(SMALL, pair_scores=None, min_orgs=1), st.data())
def test_more_capacity_never_lowers_the_objective(document: dict[str, Any], data: Any) -> None:
    before = _flow_objective(document)
    raised = copy.deepcopy(document)
    org = data.draw(st.sampled_from(raised["organizations"]))
    org["max_projects"] += data.draw(st.integers(1, 3))
    assert _not_below(_flow_objective(raised), before)


@settings(max_examples=40, deadline=None)
@given(documents(SMALL, pair_scores=False), st.data())
def test_another_organization_never_lowers_the_objective(
    document: dict[str, Any], data: Any
) -> None:
    before = _flow_objective(document)
    grown = copy.deepcopy(document)
    (extra,) = data.draw(organizations(grown["regions"], 1))
    extra["id"] = "extra"
    grown["organizations"].insert(data.draw(st.integers(0, len(grown["organizations"]))), extra)
    assert _not_below(_flow_objective(grown), before)


@settings(max_examples=40, deadline=None)
@given(documents(SMALL, pair_scores=None, min_needs=1), st.data())
def test_removing_a_need_never_raises_the_objective(document: dict[str, Any], data: Any) -> None:
    before = _flow_objective(document)
    smaller = copy.deepcopy(document)
    gone = smaller["needs"].pop(data.draw(st.integers(0, len(smaller["needs"]) - 1)))
    if "pair_scores" in smaller:
        smaller["pair_scores"] = [p for p in smaller["pair_scores"] if p["need_id"] != gone["id"]]
    assert _not_below(before, _flow_objective(smaller))


@settings(max_examples=30, deadline=None)
@given(documents(SMALL, pair_scores=True, min_needs=1, min_orgs=1))
def test_raising_a_pair_score_never_lowers_the_objective(document: dict[str, Any]) -> None:
    assume(document["pair_scores"])
    before = _flow_objective(document)
    raised = copy.deepcopy(document)
    raised["pair_scores"][0]["score"] += 1.0
    assert _not_below(_flow_objective(raised), before)


# --- unmet reasons ------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_unmet_reasons_are_right(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem, solver="flow")
    rows = _candidates_by_need(problem)
    load: dict[str, int] = defaultdict(int)
    for a in solution.assignments:
        load[a.org_id] += 1
    capacity = {o.id: o.max_projects for o in problem.organizations}

    assigned = [a.need_id for a in solution.assignments]
    unmet = [u.need_id for u in solution.unmet]
    assert sorted(assigned + unmet) == sorted(n.id for n in problem.needs)
    assert len(set(assigned + unmet)) == len(problem.needs)

    for u in solution.unmet:
        mine = rows.get(u.need_id, {})
        assert u.candidates == len(mine)
        positive = [o for o, score in mine.items() if score > 0]
        if u.reason == "no_candidate":
            assert not mine
            assert sum(u.excluded.values()) == len(problem.organizations)
            assert set(u.excluded) <= set(matcher.pairs.eligibility.RULES)
        elif u.reason == "non_positive_score":
            assert mine and not positive
            assert not u.excluded
        elif u.reason == "capacity":
            assert positive
            assert all(load[o] >= capacity[o] for o in positive)
            assert not u.excluded
        else:
            pytest.fail(f"an optimal plan leaves {u.need_id} unmet as {u.reason!r}")

    for a in solution.assignments:
        assert load[a.org_id] <= capacity[a.org_id]
        assert rows[a.need_id][a.org_id] == a.score


def _candidates_by_need(problem: matcher.Problem) -> dict[str, dict[str, float]]:
    """need id -> {org id: score} over the candidate table."""
    table = matcher.candidates(problem)
    rows: dict[str, dict[str, float]] = defaultdict(dict)
    for need_id, org_id, score in zip(table.need_id, table.org_id, table.score, strict=True):
        rows[need_id][org_id] = float(score)
    return rows


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_greedy_unmet_reasons_are_consistent(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem, solver="greedy")
    rows = _candidates_by_need(problem)
    load: dict[str, int] = defaultdict(int)
    for a in solution.assignments:
        load[a.org_id] += 1
    capacity = {o.id: o.max_projects for o in problem.organizations}
    for u in solution.unmet:
        positive = [o for o, score in rows.get(u.need_id, {}).items() if score > 0]
        # greedy takes any free positive pair, so a need with an open candidate never stays unmet
        assert u.reason != "not_chosen"
        if u.reason == "capacity":
            assert all(load[o] >= capacity[o] for o in positive)


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_kpis_agree_with_the_plan(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem)
    kpis = solution.kpis
    assert kpis.needs == len(problem.needs)
    assert kpis.served == len(solution.assignments) == kpis.used
    assert kpis.organizations == len(problem.organizations)
    assert sum(kpis.load.values()) == kpis.served
    assert kpis.engaged == len(kpis.load)
    assert sum(t.needs for t in kpis.by_category.values()) == kpis.needs
    assert sum(t.served for t in kpis.by_tier.values()) == kpis.served
    assert sum(t.needs for t in kpis.by_city.values()) == kpis.needs
    usable = [o for o in problem.organizations if o.credit not in problem.policy.barred_credit]
    assert kpis.capacity == sum(o.max_projects for o in usable)


# --- a synthetic province (smoke) -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_synthetic_province_is_solved_exactly(seed: int) -> None:
    from matcher import synth

    problem = synth.shanxi(seed, n_needs=300, n_orgs=60)
    optimum = highs_optimum(problem)
    plans = {name: matcher.solve(problem, solver=name) for name in SOLVERS}
    for name, plan in plans.items():
        assert matcher.verify(problem, plan) == [], name
        assert plan.objective <= optimum * (1 + 1e-7), name
        assert plan.bound >= optimum * (1 - 1e-7), name
    assert close(plans["flow"].objective, optimum, rel=1e-7)
    assert close(plans["cpsat"].objective, plans["flow"].objective)
    assert plans["greedy"].objective <= plans["flow"].objective
