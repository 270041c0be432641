"""Partnerships by flow first, against brute force, the MILP oracle and CP-SAT alone."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

import matcher
from matcher.solvers import AssignmentModel
from matcher.solvers.partners import partnership_flow
from milp_oracle import brute_force, close_enough, milp_optimum
from strategies import scored_document


@st.composite
def partnered(draw: Any, max_needs: int = 5, max_orgs: int = 5) -> dict[str, Any]:
    """Needs of 1 to 3 partners over a few organizations that compete for them."""
    n = draw(st.integers(1, max_needs))
    m = draw(st.integers(1, max_orgs))
    return {
        "regions": [{"id": "P", "level": "province"}],
        "organizations": [
            {
                "id": f"o{j}",
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"talent": 1.0},
                "max_projects": draw(st.integers(0, 3)),
            }
            for j in range(m)
        ],
        "needs": [
            {
                "id": f"n{i}",
                "region": "P",
                "category": "talent",
                "partners": draw(st.sampled_from([1, 2, 2, 3])),
            }
            for i in range(n)
        ],
        "pair_scores": [
            {"need_id": f"n{i}", "org_id": f"o{j}", "score": draw(st.integers(-1, 9)) / 2}
            for i in range(n)
            for j in range(m)
            if draw(st.integers(0, 4))
        ],
    }


@settings(max_examples=60)
@given(partnered())
def test_partnerships_against_brute_force(document: dict[str, Any]) -> None:
    problem = matcher.Problem.model_validate(document)
    solution = matcher.solve(problem)
    best = brute_force(problem)
    assert solution.status == "optimal"
    assert close_enough(solution.objective, best.objective, solution)
    assert solution.bound >= best.objective - 1e-9
    assert matcher.verify(problem, solution) == []
    # Where the flow took the plan, it is all or none and was not searched.
    event(str(solution.stats.get("algorithm", "search")))
    if solution.stats.get("algorithm") == "partnership flow":
        assert solution.stats["flow_partial_needs"] == 0


@settings(max_examples=20)
@given(partnered(max_needs=8, max_orgs=6), st.data())
def test_partnerships_with_a_rule_against_the_milp_oracle(
    document: dict[str, Any], data: st.DataObject
) -> None:
    """With a rule in force the flow's plan only starts the search and bounds the score."""
    document["policy"] = {"rules": {"program": {"min_served": data.draw(st.integers(1, 3))}}}
    problem = matcher.Problem.model_validate(document)
    solution = matcher.solve(problem)
    expected = milp_optimum(problem)
    if not expected.feasible:
        assert solution.status == "infeasible"
        return
    assert solution.stats.get("algorithm") != "partnership flow"
    assert close_enough(solution.objective, expected.objective, solution)
    assert solution.bound >= expected.objective - 1e-9
    assert matcher.verify(problem, solution) == []


def test_the_flow_settles_a_shape_where_it_is_all_or_none() -> None:
    """The 118 x 177 shape, scaled down: 3 partners each, 4 projects per organization, every pair
    scored at random in [0, 2]."""
    rng = np.random.default_rng(0)
    n, m = 12, 18
    pairs = [(i, j, float(rng.uniform(0, 2))) for i in range(n) for j in range(m)]
    document = scored_document(n, m, pairs, max_projects=4, partners=3)
    problem = matcher.Problem.model_validate(document)
    solution = matcher.solve(problem)
    assert solution.stats["algorithm"] == "partnership flow"
    assert solution.status == "optimal"
    assert close_enough(solution.objective, milp_optimum(problem).objective, solution)
    assert matcher.verify(problem, solution) == []


def test_a_flow_that_splits_a_partnership_goes_to_the_search() -> None:
    """Need a wants x and y together (5 + 5); b wants x alone (6). The flow gives x to b and y to
    a (11), which serves a in part; the best plan gives a both (10)."""
    model = AssignmentModel(
        2,
        2,
        need=np.array([0, 0, 1]),
        org=np.array([0, 1, 0]),
        score=np.array([5.0, 5.0, 6.0]),
        capacity=np.array([1, 1]),
    )
    relaxed = partnership_flow(model, np.array([2, 1]))
    assert relaxed.objective == 11.0
    assert relaxed.partial.tolist() == [0]
    assert relaxed.plan(model).tolist() == [2]
    document = {
        "regions": [{"id": "P", "level": "province"}],
        "organizations": [
            {
                "id": o,
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"talent": 1.0},
                "max_projects": 1,
            }
            for o in ("x", "y")
        ],
        "needs": [
            {"id": "a", "region": "P", "category": "talent", "partners": 2},
            {"id": "b", "region": "P", "category": "talent"},
        ],
        "pair_scores": [
            {"need_id": "a", "org_id": "x", "score": 5.0},
            {"need_id": "a", "org_id": "y", "score": 5.0},
            {"need_id": "b", "org_id": "x", "score": 6.0},
        ],
    }
    problem = matcher.Problem.model_validate(document)
    solution = matcher.solve(problem)
    assert solution.status == "optimal"
    assert solution.objective == 10.0
    assert solution.stats["flow_partial_needs"] == 1
    assert solution.stats["flow_bound"] >= 11.0
    assert matcher.verify(problem, solution) == []
