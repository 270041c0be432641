"""The LP's vertex rounded by an integer program, the neighbourhood search, and the large path.

The oracle is :func:`milp_oracle.milp_optimum`, a MILP built straight from the policy document.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_repair import model_of

import matcher
from matcher import synth
from matcher.models import Problem
from matcher.solvers import FlowSolver
from matcher.solvers.base import AssignmentModel, SideRules
from matcher.solvers.budget import Budget
from matcher.solvers.rules import cpsat as cpsat_rules
from matcher.solvers.rules import relaxation
from matcher.solvers.rules.relaxation import linear_program, solve_relaxation
from matcher.solvers.rules.rounding import improve, round_relaxation
from milp_oracle import milp_optimum, random_document

RULES = {
    "rules": {
        "money": {"budgets": True},
        "program": {"min_served": 5, "min_organizations": 3},
        "categories": [{"category": "industry", "min_served": 1}],
    }
}


def tight(seed: int, n_needs: int, n_orgs: int, share: float = 0.4) -> Problem:
    """A province whose organizations can afford only part of what the flow gives them."""
    base = synth.generate(n_needs, n_orgs, seed=seed)
    organizations = [
        org.model_copy(update={"budget": (org.budget or 0.0) * share}) for org in base.organizations
    ]
    return base.replace(organizations=organizations).with_policy(**RULES)


def sides(problem: Problem) -> tuple[AssignmentModel, SideRules]:
    model = model_of(problem)
    assert model.side is not None
    return model, model.side


def keeps_rules(model: AssignmentModel, side: SideRules, chosen: np.ndarray) -> bool:
    """Capacities, all partners or none, budgets and the counting rules, counted here."""
    taken = np.bincount(model.need[chosen], minlength=model.n_needs)
    if not np.all((taken == 0) | (taken == side.partners)):
        return False
    if np.any(np.bincount(model.org[chosen], minlength=model.n_orgs) > model.capacity):
        return False
    share = np.rint(side.need_cost / side.partners)[model.need[chosen]]
    spend = np.bincount(model.org[chosen], share, minlength=model.n_orgs)
    if np.any(spend > np.floor(side.org_budget)):
        return False
    served = taken > 0
    for group in side.rules.groups:
        count = int(served[group.needs].sum())
        if group.lower is not None and count < group.lower:
            return False
    wanted = side.rules.min_organizations
    return wanted is None or np.unique(model.org[chosen]).size >= wanted[0]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1_000), n_needs=st.integers(20, 60), n_orgs=st.integers(4, 12))
def test_rounding_on_every_pair_finds_the_independent_optimum(
    seed: int, n_needs: int, n_orgs: int
) -> None:
    problem = tight(seed, n_needs, n_orgs)
    model, side = sides(problem)
    relaxed = solve_relaxation(model, side, budget=Budget.start(10))
    optimum = milp_optimum(problem)
    if not optimum.feasible:
        return
    assert relaxed.bound >= optimum.levels["score"] - 1e-6  # the LP bounds every plan
    plan = round_relaxation(
        model, side, relaxed.x, budget=Budget.start(10), columns=np.arange(model.n_pairs)
    )
    assert plan is not None
    assert keeps_rules(model, side, plan)
    assert model.objective(plan) == pytest.approx(optimum.levels["score"], abs=1e-6)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1_000))
def test_partners_take_all_or_none_and_rounding_meets_the_oracle(seed: int) -> None:
    document = random_document(seed, 24, 8, partners=True, money=True)
    problem = Problem.model_validate(document).with_policy(
        rules={"money": {"budgets": True}, "program": {"min_served": 2}}
    )
    model, side = sides(problem)
    optimum = milp_optimum(problem)
    relaxed = solve_relaxation(model, side, budget=Budget.start(10))
    plan = round_relaxation(
        model, side, relaxed.x, budget=Budget.start(10), columns=np.arange(model.n_pairs)
    )
    if not optimum.feasible:
        assert plan is None
        return
    assert plan is not None
    assert keeps_rules(model, side, plan)
    assert model.objective(plan) == pytest.approx(optimum.levels["score"], abs=1e-6)


def test_the_lp_is_a_vertex_with_few_fractional_pairs() -> None:
    problem = tight(5, 400, 80)
    model, side = sides(problem)
    relaxed = solve_relaxation(model, side, budget=Budget.start(10))
    fractional = (relaxed.x > 1e-6) & (relaxed.x < 1 - 1e-6)
    # A basic solution: no more values strictly between bounds than rows, most of the support whole.
    assert fractional.sum() <= linear_program(model, side).b_ub.size
    assert 0 < fractional.sum() < 0.5 * (relaxed.x > 1e-6).sum()
    # Column generation from a subset prices its way to the whole LP's optimum.
    start = FlowSolver().solve(replace(model, side=None)).chosen
    priced = solve_relaxation(model, side, budget=Budget.start(10), start=start)
    assert priced.bound == pytest.approx(relaxed.bound, rel=1e-7)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1_000), rounds=st.integers(1, 3))
def test_column_generation_bounds_the_lp_at_every_round(seed: int, rounds: int) -> None:
    """Stopped after any round, the priced LP's bound still holds the whole LP's optimum; left
    to close, it is that optimum, from the flow's near-tight pairs or from a single pair."""
    problem = tight(seed, 80, 16)
    model, side = sides(problem)
    whole = solve_relaxation(model, side, budget=Budget.start(10))
    if not whole.feasible:
        return
    hint = FlowSolver().solve(replace(model, side=None)).chosen
    near = cpsat_rules._pricing_start(model, hint)
    assert np.isin(hint, near).all()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(relaxation, "MAX_ROUNDS", rounds)
        stopped = solve_relaxation(model, side, budget=Budget.start(10), start=hint[:1])
    assert stopped.bound >= whole.bound - 1e-7 * abs(whole.bound)
    for start in (near, hint[:1]):
        closed = solve_relaxation(model, side, budget=Budget.start(10), start=start)
        assert closed.bound == pytest.approx(whole.bound, rel=1e-7)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 1_000))
def test_the_search_never_loses_score_nor_breaks_a_rule(seed: int) -> None:
    problem = tight(seed, 60, 12)
    model, side = sides(problem)
    relaxed = solve_relaxation(model, side, budget=Budget.start(10))
    lp = linear_program(model, side)
    plan = round_relaxation(model, side, relaxed.x, budget=Budget.start(10), lp=lp)
    if plan is None:  # the LP's pairs alone hold no plan: nothing to improve
        return
    better = improve(
        model,
        side,
        plan,
        budget=Budget.start(5),
        seeds=np.arange(model.n_orgs),
        lp=lp,
        random_seed=seed,
    )
    assert keeps_rules(model, side, better)
    assert model.objective(better) >= model.objective(plan) - 1e-9
    optimum = milp_optimum(problem)
    assert model.objective(better) <= optimum.levels["score"] + 1e-6


def test_the_search_reaches_the_optimum_from_a_poor_plan() -> None:
    problem = tight(2, 50, 10)
    model, side = sides(problem)
    optimum = milp_optimum(problem).levels["score"]
    relaxed = solve_relaxation(model, side, budget=Budget.start(10))
    plan = round_relaxation(model, side, relaxed.x, budget=Budget.start(10))
    assert plan is not None
    better = improve(model, side, plan, budget=Budget.start(20), seeds=np.arange(model.n_orgs))
    assert model.objective(better) == pytest.approx(optimum, abs=1e-6)


def test_a_rounding_with_no_time_gives_no_plan_and_says_the_clock_stopped_it() -> None:
    model, side = sides(tight(0, 30, 6))
    relaxed = solve_relaxation(model, side, budget=Budget.start(10))
    spent = Budget(work=1.0, deadline=0.0)
    assert round_relaxation(model, side, relaxed.x, budget=spent) is None
    assert spent.capped == ["rounding"]


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 1_000), share=st.sampled_from([0.3, 0.6, 1.0]))
def test_large_path_plans_keep_every_rule_and_report_the_gap_to_the_lp_bound(
    seed: int, share: float
) -> None:
    problem = tight(seed, 150, 30, share)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cpsat_rules, "RESTRICT_ABOVE", 20)
        solution = matcher.solve(problem, time_limit=10)
    optimum = milp_optimum(problem)
    if not optimum.feasible:
        return
    assert solution.status in ("optimal", "feasible")
    assert matcher.verify(problem, solution) == []
    best = optimum.levels["score"]
    lp_bound = float(solution.stats["relaxation_bound"])
    assert solution.objective <= best + 1e-6 <= lp_bound + 2e-6
    assert solution.bound == pytest.approx(lp_bound, rel=1e-8)
    assert solution.gap == pytest.approx(
        max(0.0, solution.bound - solution.objective) / max(1.0, abs(solution.bound))
    )
    assert "rounding_seconds" in solution.timings


def test_soft_rules_and_earlier_goals_leave_the_rounding_to_cp_sat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cpsat_rules, "RESTRICT_ABOVE", 20)
    problem = tight(4, 150, 30).with_policy(
        rules={"money": {"budgets": True, "hard": False, "penalty": 1.0}}
    )
    solution = matcher.solve(problem, time_limit=5)
    assert "rounding_seconds" not in solution.timings
    assert matcher.verify(problem, solution) == []
