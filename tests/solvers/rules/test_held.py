"""Lexicographic goals of a large model on its relaxation: earlier levels held as rows, the score's
vertex rounded and improved.

The oracle is :func:`milp_optimum.milp_optimum`, a MILP built straight from the policy document,
level by level.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rounding import RULES, sides, tight

import matcher
from matcher import synth
from matcher.models import Problem
from matcher.solvers.budget import Budget
from matcher.solvers.highs import IntegerProgram, LinearSolver
from matcher.solvers.rules import cpsat as cpsat_rules
from matcher.solvers.rules.held import held_relaxation, holds_levels
from matcher.solvers.rules.relaxation import linear_program
from matcher.solvers.rules.rounding import plan_value
from milp_oracle import milp_optimum

#: The program's rules at a small size: key areas first, then fairness across cities, then score,
#: with a soft aid mix whose penalty the score pays.
POLICY = {
    "rules": {
        "regions": [{"level": "county", "tier": "key", "min_served": 1}],
        "program": {"min_served": 5},
        "money": {"budgets": True},
        "aid_mix": {"min_capacity_building_share": 0.35, "hard": False, "penalty": 5},
    },
    "goals": [{"kind": "key_served"}, {"kind": "fairness", "level": "city"}, {"kind": "score"}],
}


def solved_held(problem: Problem, *, held_up_to: int | None = None) -> matcher.Solution:
    """``problem`` solved with the large problems' path taken at this size (and, with
    ``held_up_to``, the earlier levels held at the plan's values above that many pairs)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cpsat_rules, "RESTRICT_ABOVE", 20)
        if held_up_to is not None:
            patch.setattr(cpsat_rules, "HELD_LEVELS_UP_TO", held_up_to)
        return matcher.solve(problem, time_limit=20)


def province(seed: int, n_needs: int = 120, n_orgs: int = 24, aid_mix: float = 0.35) -> Problem:
    rules = {
        **POLICY["rules"],
        "aid_mix": {**POLICY["rules"]["aid_mix"], "min_capacity_building_share": aid_mix},
    }  # type: ignore[dict-item]
    return synth.generate(n_needs, n_orgs, seed=seed).with_policy(
        rules=rules, goals=POLICY["goals"]
    )


def test_only_a_lexicographic_goal_ending_in_the_score_is_held() -> None:
    _, side = sides(province(0, 40, 8))
    assert holds_levels(side)
    _, weighted = sides(
        synth.generate(40, 8, seed=0).with_policy(
            goals=[{"kind": "key_served", "weight": 2.0}, {"kind": "score"}], goal_mode="weighted"
        )
    )
    assert not holds_levels(weighted)
    _, score_only = sides(synth.generate(40, 8, seed=0).with_policy(rules={"program": {}}))
    assert not holds_levels(score_only)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 1_000))
def test_held_levels_and_score_bound_the_independent_optimum(seed: int) -> None:
    problem = province(seed, 60, 12)
    optimum = milp_optimum(problem)
    if not optimum.feasible:
        return
    model, side = sides(problem)
    held = held_relaxation(model, side, linear_program(model, side), Budget.start(30))
    assert held is not None
    key, fairness = held.levels
    assert optimum.levels["key_served"] <= key
    assert optimum.levels["fairness:city"] <= fairness / 1e6 + 1e-6
    assert optimum.levels["score"] <= held.optimum.bound + 1e-6


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 1_000))
def test_large_path_plans_reach_the_held_levels_and_stay_under_the_bound(seed: int) -> None:
    problem = province(seed)
    solution = solved_held(problem)
    optimum = milp_optimum(problem)
    if not optimum.feasible:
        return
    assert solution.status in ("optimal", "feasible")
    assert matcher.verify(problem, solution) == []
    assert solution.objective <= optimum.levels["score"] + 1e-6 <= solution.bound + 2e-6
    if "rounding_seconds" in solution.timings:  # the held path's plan: earlier levels at best
        assert solution.levels["key_served"] == optimum.levels["key_served"]
        assert solution.levels["fairness:city"] == pytest.approx(
            optimum.levels["fairness:city"], abs=1e-6
        )
    if solution.status == "optimal":
        assert solution.objective == pytest.approx(optimum.levels["score"], abs=1e-6)


def test_the_held_path_finds_the_independent_optimum() -> None:
    problem = province(3)
    solution = solved_held(problem)
    optimum = milp_optimum(problem)
    assert "rounding_seconds" in solution.timings
    assert solution.stats["levels_by_lp"] == 2
    assert solution.levels == pytest.approx(optimum.levels, abs=1e-6)
    assert matcher.verify(problem, solution) == []


def test_a_plan_is_worth_its_score_less_the_soft_penalties() -> None:
    problem = province(3, aid_mix=0.8)
    model, side = sides(problem)
    lp = linear_program(model, side)
    assert lp.c.size > lp.n_pairs + model.n_orgs  # the aid mix is soft: a slack column
    plans: list[np.ndarray] = []
    original = cpsat_rules._round_held

    def keep(*args: object, **kwargs: object) -> object:
        outcome = original(*args, **kwargs)  # type: ignore[arg-type]
        if outcome is not None:
            plans.append(outcome[1])
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cpsat_rules, "RESTRICT_ABOVE", 20)
        patch.setattr(cpsat_rules, "_round_held", keep)
        solution = matcher.solve(problem, time_limit=20)
    assert plans and solution.soft_violations  # the aid mix costs the plan something
    assert plan_value(model, lp, plans[0]) == pytest.approx(solution.levels["score"], abs=1e-6)
    assert plan_value(model, lp, plans[0]) < model.objective(plans[0])


def test_a_warm_lp_answers_again_after_a_row_and_says_when_nothing_holds() -> None:
    from scipy import sparse

    a = sparse.csc_array(np.array([[1.0, 1.0]]))
    lp = LinearSolver(
        IntegerProgram(
            np.array([-1.0, -2.0]),
            a,
            np.array([-np.inf]),
            np.array([1.5]),
            np.zeros(2),
            np.ones(2),
            np.zeros(2, bool),
        )
    )
    budget = Budget.start(5.0)
    assert lp.solve(budget, "lp") is not None
    rows = lp.add_rows(sparse.csr_array(np.array([[1.0, 0.0]])), np.array([1.0]), np.array([1.0]))
    value, x = lp.solve(budget, "lp") or (None, None)
    assert value == pytest.approx(-2.0) and x is not None and x.tolist() == pytest.approx([1, 0.5])
    lp.row_bounds(rows, np.array([2.0]), np.array([2.0]))
    answer = lp.solve(budget, "lp")
    assert answer is not None and answer[0] == np.inf
    assert lp.solve(Budget(work=1.0, deadline=0.0), "lp") is None


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 1_000))
def test_levels_held_at_a_plans_values_still_bound_the_independent_optimum(seed: int) -> None:
    # Budgets the flow breaks, and floors it keeps: the plan made before the search holds.
    problem = tight(seed, 150, 30, 0.6).with_policy(rules=RULES["rules"], goals=POLICY["goals"])
    solution = solved_held(problem, held_up_to=20)
    optimum = milp_optimum(problem)
    if not optimum.feasible:
        return
    assert solution.status in ("optimal", "feasible")
    assert matcher.verify(problem, solution) == []
    assert optimum.levels["score"] <= solution.bound + 2e-6
    if "rounding_seconds" in solution.timings:
        assert solution.status == "feasible"  # the levels are not proven
        assert solution.stats["levels_by_lp"] == 0
        assert solution.levels["key_served"] <= optimum.levels["key_served"]


def test_a_plans_levels_are_what_it_serves() -> None:
    problem = province(3)
    model, side = sides(problem)
    lp = linear_program(model, side)
    proven = held_relaxation(model, side, lp, Budget.start(30))
    assert proven is not None and proven.proven
    plan = np.flatnonzero(proven.optimum.x > 0.999)
    held = held_relaxation(model, side, lp, Budget.start(30), plan)
    assert held is not None and not held.proven
    key = side.key_need[model.need[plan]].sum()
    assert held.levels[0] == key <= proven.levels[0]
    assert held.levels[1] <= proven.levels[1]
    assert held.optimum.bound >= proven.optimum.bound - 1e-6
    # Its LPs priced in from the plan's pairs reach the same bound as on every pair.
    priced = held_relaxation(model, side, lp, Budget.start(30), plan, columns=plan[:1])
    assert priced is not None and priced.levels == held.levels
    assert priced.optimum.bound == pytest.approx(held.optimum.bound, rel=1e-7)
