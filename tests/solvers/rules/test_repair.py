"""The budget repair: a plan that keeps every budget, never better than the proven optimum."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher import synth
from matcher.models import Problem
from matcher.pairs.table import build_candidates
from matcher.solvers import FlowSolver
from matcher.solvers.base import AssignmentModel
from matcher.solvers.rules import cpsat as cpsat_rules
from matcher.solvers.rules.repair import PRICE_ROUNDS, rough_plan
from matcher.solving import _side_rules
from milp_oracle import milp_optimum

BUDGETS = {"rules": {"money": {"budgets": True}, "program": {"min_served": 5}}}


def model_of(problem: Problem) -> AssignmentModel:
    table = build_candidates(problem)
    index = problem.index
    side = _side_rules(problem, table)
    return AssignmentModel(
        index.n_needs,
        index.n_orgs,
        table.need,
        table.org,
        table.score,
        index.org_capacity,
        side=side,
    )


def tight_budgets(seed: int, n_needs: int, n_orgs: int) -> Problem:
    """A province whose organizations can afford only part of what the flow gives them."""
    base = synth.generate(n_needs, n_orgs, seed=seed)
    organizations = [
        org.model_copy(update={"budget": (org.budget or 0.0) * 0.4}) for org in base.organizations
    ]
    return base.replace(organizations=organizations).with_policy(**BUDGETS)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 1_000), n_needs=st.integers(20, 60), n_orgs=st.integers(4, 12))
def test_the_repaired_plan_keeps_every_rule_and_never_beats_the_optimum(
    seed: int, n_needs: int, n_orgs: int
) -> None:
    problem = tight_budgets(seed, n_needs, n_orgs)
    model = model_of(problem)
    side = model.side
    assert side is not None
    start = FlowSolver().solve(replace(model, side=None)).chosen
    plan = rough_plan(model, side, start, prices=PRICE_ROUNDS)
    if plan is None:  # the counting rule failed: nothing to check but that it said so
        return
    assert np.unique(model.need[plan]).size == plan.size
    assert (np.bincount(model.org[plan], minlength=model.n_orgs) <= model.capacity).all()
    spend = np.bincount(
        model.org[plan], np.rint(side.need_cost)[model.need[plan]], minlength=model.n_orgs
    )
    assert (spend <= np.floor(side.org_budget)).all()
    optimum = milp_optimum(problem)
    assert model.objective(plan) <= optimum.levels["score"] + 1e-6


def test_soft_budgets_leave_the_start_as_it_is_and_partnerships_get_no_plan() -> None:
    problem = tight_budgets(0, 60, 12)
    soft = problem.with_policy(rules={"money": {"budgets": True, "hard": False}})
    model = model_of(soft)
    assert model.side is not None
    start = FlowSolver().solve(replace(model, side=None)).chosen
    assert rough_plan(model, model.side, start).tolist() == np.unique(start).tolist()
    partners = replace(model.side, partners=np.full(model.n_needs, 2, np.int64))
    assert rough_plan(model, partners, start) is None


def test_large_models_start_from_the_repair_and_never_end_below_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cpsat_rules, "RESTRICT_ABOVE", 100)
    problem = tight_budgets(3, 400, 80)
    solution = matcher.solve(problem, time_limit=5)
    assert solution.status in ("optimal", "feasible")
    assert solution.stats["start_objective"] <= solution.objective + 1e-9
    assert solution.objective <= solution.bound + 1e-6
    assert matcher.verify(problem, solution) == []


def test_the_flow_plan_breaks_tight_budgets_and_the_repair_keeps_them() -> None:
    problem = tight_budgets(0, 60, 12)
    model = model_of(problem)
    assert model.side is not None
    start = FlowSolver().solve(replace(model, side=None)).chosen
    spend = np.bincount(
        model.org[start], np.rint(model.side.need_cost)[model.need[start]], minlength=model.n_orgs
    )
    assert (spend > np.floor(model.side.org_budget)).any()
    plan = rough_plan(model, model.side, start, prices=PRICE_ROUNDS)
    assert plan is not None
    optimum = milp_optimum(problem).levels["score"]
    assert 0.9 * optimum <= model.objective(plan) <= optimum + 1e-6
