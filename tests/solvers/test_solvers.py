"""The back ends on hand-made models: what the plan must and must not do, and their edges."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from conftest import build
from matcher.models.limits import MAX_SCORE
from matcher.solvers import (
    SOLVERS,
    AssignmentModel,
    CpSatSolver,
    FlowSolver,
    GreedySolver,
    Status,
)
from matcher.solvers.base import CPSAT_STATUS, integer_scores
from matcher.solvers.greedy import relaxation_bound
from strategies import SMALL, documents, problems

ALL = ("flow", "cpsat", "greedy")


def model(
    pairs: list[tuple[int, int, float]], capacity: list[int], n_needs: int | None = None
) -> AssignmentModel:
    need = np.array([p[0] for p in pairs], np.int64)
    org = np.array([p[1] for p in pairs], np.int64)
    return AssignmentModel(
        n_needs=n_needs if n_needs is not None else int(need.max(initial=-1)) + 1,
        n_orgs=len(capacity),
        need=need,
        org=org,
        score=np.array([p[2] for p in pairs], np.float64),
        capacity=np.array(capacity, np.int64),
    )


def scored_problem(
    pairs: list[tuple[str, str, float]], capacity: dict[str, int], needs: list[str]
) -> matcher.Problem:
    """A problem whose candidates are exactly ``pairs`` (every organization can serve every need)."""
    return build(scored_document(pairs, capacity, needs))


def scored_document(
    pairs: list[tuple[str, str, float]], capacity: dict[str, int], needs: list[str]
) -> dict[str, Any]:
    """The document of :func:`scored_problem`."""
    return {
        "regions": [{"id": "P", "level": "province"}],
        "organizations": [
            {
                "id": org_id,
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"talent": 1.0},
                "max_projects": cap,
            }
            for org_id, cap in capacity.items()
        ],
        "needs": [{"id": n, "region": "P", "category": "talent"} for n in needs],
        "pair_scores": [{"need_id": n, "org_id": o, "score": s} for n, o, s in pairs],
    }


def plan(solution: matcher.Solution) -> dict[str, str]:
    return {a.need_id: a.org_id for a in solution.assignments}


def reasons(solution: matcher.Solution) -> dict[str, str]:
    return {u.need_id: u.reason for u in solution.unmet}


# --- the registry ------------------------------------------------------------------------------


def test_registry() -> None:
    assert set(SOLVERS) == {"flow", "cpsat", "greedy"}
    assert FlowSolver.exact and CpSatSolver.exact and not GreedySolver.exact
    assert {s.name for s in SOLVERS.values()} == set(SOLVERS)


def test_cpsat_status_has_the_status_codes_of_cp_sat() -> None:
    # Written out so that ``import matcher`` does not load CP-SAT: the proto's own codes.
    from ortools.sat import cp_model_pb2
    from ortools.sat.python import cp_model

    assert CPSAT_STATUS == {
        cp_model_pb2.OPTIMAL: Status.OPTIMAL,
        cp_model_pb2.FEASIBLE: Status.FEASIBLE,
        cp_model_pb2.INFEASIBLE: Status.INFEASIBLE,
    }
    assert CPSAT_STATUS[cp_model.OPTIMAL] is Status.OPTIMAL  # the solver's own answers


@pytest.mark.parametrize("backend", [FlowSolver(), CpSatSolver(), GreedySolver()])
def test_a_solver_instance_can_be_passed(backend: Any) -> None:
    problem = scored_problem([("a", "x", 2.0)], {"x": 1}, ["a"])
    solution = matcher.solve(problem, solver=backend)
    assert solution.solver == backend.name
    assert plan(solution) == {"a": "x"}


# --- what a plan must do -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_non_positive_pairs_are_never_taken(name: str) -> None:
    problem = scored_problem(
        [("a", "x", 0.0), ("b", "x", -3.0), ("c", "x", -0.0), ("d", "x", 1.5)],
        {"x": 4},
        ["a", "b", "c", "d"],
    )
    solution = matcher.solve(problem, solver=name)
    assert plan(solution) == {"d": "x"}
    assert solution.objective == 1.5
    assert reasons(solution) == {
        "a": "non_positive_score",
        "b": "non_positive_score",
        "c": "non_positive_score",
    }
    assert matcher.verify(problem, solution) == []


@pytest.mark.parametrize("name", ALL)
def test_leaving_a_need_unassigned_beats_a_bad_pair(name: str) -> None:
    # Taking b-y (-1) would place one more need; the best plan does not.
    problem = scored_problem([("a", "x", 5.0), ("b", "y", -1.0)], {"x": 1, "y": 1}, ["a", "b"])
    solution = matcher.solve(problem, solver=name)
    assert plan(solution) == {"a": "x"}
    assert solution.objective == 5.0
    assert reasons(solution) == {"b": "non_positive_score"}


def test_the_plan_does_not_maximize_the_count_first() -> None:
    pairs = [("a", "x", 10.0), ("b", "x", 1.0), ("a", "y", 1.0)]
    problem = scored_problem(pairs, {"x": 1, "y": 1}, ["a", "b"])

    # The largest matching places both needs, for a total score of 2 ...
    graph = nx.Graph()
    graph.add_weighted_edges_from(pairs)
    largest = nx.max_weight_matching(graph, maxcardinality=True)
    assert len(largest) == 2
    assert sum(graph.edges[e]["weight"] for e in largest) == 2.0

    # ... while the best plan places one need for 10.
    for name in ALL:
        solution = matcher.solve(problem, solver=name)
        assert plan(solution) == {"a": "x"}, name
        assert solution.objective == 10.0, name
        assert reasons(solution) == {"b": "capacity"}, name
        assert matcher.verify(problem, solution) == [], name


def test_greedy_can_be_beaten_and_says_so() -> None:
    # Greedy takes a-x (10) first and blocks b; the optimum is a-y + b-x = 17.
    problem = scored_problem(
        [("a", "x", 10.0), ("a", "y", 9.0), ("b", "x", 8.0)], {"x": 1, "y": 1}, ["a", "b"]
    )
    greedy = matcher.solve(problem, solver="greedy")
    exact = matcher.solve(problem, solver="flow")
    cpsat = matcher.solve(problem, solver="cpsat")
    assert plan(greedy) == {"a": "x"} and greedy.objective == 10.0
    assert greedy.status == "feasible"
    assert greedy.bound == 18.0  # min(10 + 8 needs' best, 10 + 9 organizations' best)
    assert greedy.gap == pytest.approx(8 / 18)
    assert reasons(greedy) == {"b": "capacity"}
    assert plan(exact) == {"a": "y", "b": "x"} and exact.objective == 17.0
    assert plan(cpsat) == plan(exact) and cpsat.objective == 17.0
    assert exact.status == cpsat.status == "optimal"


def test_capacity_zero_organization_takes_nothing() -> None:
    problem = scored_problem([("a", "x", 3.0), ("b", "y", 2.0)], {"x": 0, "y": 2}, ["a", "b"])
    for name in ALL:
        solution = matcher.solve(problem, solver=name)
        assert plan(solution) == {"b": "y"}
        assert reasons(solution) == {"a": "capacity"}


def test_capacity_is_shared_by_the_best_needs() -> None:
    pairs = [(n, "x", s) for n, s in [("a", 1.0), ("b", 4.0), ("c", 3.0), ("d", 2.0)]]
    problem = scored_problem(pairs, {"x": 2}, ["a", "b", "c", "d"])
    for name in ALL:
        solution = matcher.solve(problem, solver=name)
        assert plan(solution) == {"b": "x", "c": "x"}, name
        assert reasons(solution) == {"a": "capacity", "d": "capacity"}, name


def test_greedy_breaks_ties_by_need_then_organization() -> None:
    problem = scored_problem(
        [("b", "x", 1.0), ("a", "y", 1.0), ("a", "x", 1.0), ("b", "y", 1.0)],
        {"x": 1, "y": 1},
        ["a", "b"],
    )
    assert plan(matcher.solve(problem, solver="greedy")) == {"a": "x", "b": "y"}


# --- the back ends on bare models ------------------------------------------------------------


@pytest.mark.parametrize("backend", [FlowSolver(), CpSatSolver(), GreedySolver()])
def test_empty_models(backend: Any) -> None:
    for empty in (model([], [], n_needs=0), model([], [2, 0], n_needs=3)):
        result = backend.solve(empty, time_limit=1.0, seed=0)
        assert result.status == Status.OPTIMAL
        assert result.chosen.size == 0
        assert result.objective == 0.0 and result.bound == 0.0


@pytest.mark.parametrize("backend", [FlowSolver(), CpSatSolver(), GreedySolver()])
def test_only_non_positive_pairs(backend: Any) -> None:
    bare = model([(0, 0, 0.0), (1, 0, -2.0), (1, 1, -0.5)], [1, 1])
    result = backend.solve(bare, time_limit=1.0, seed=0)
    assert result.chosen.size == 0
    assert result.objective == 0.0
    assert result.bound == 0.0


def test_model_objective_sums_in_pair_order() -> None:
    bare = model([(0, 0, 0.1), (1, 0, 0.2), (2, 0, 0.3)], [3])
    assert bare.n_pairs == 3
    assert bare.objective(np.array([2, 0, 1])) == 0.1 + 0.2 + 0.3


def test_relaxation_bound_by_hand() -> None:
    # needs' best: 5 + 4 + 1 = 10; organizations' best: x (cap 1) 5, y (cap 2) 4 + 1 = 10 -> 10
    bare = model([(0, 0, 5.0), (1, 0, 4.0), (1, 1, 4.0), (2, 1, 1.0), (2, 0, -7.0)], [1, 2])
    assert relaxation_bound(bare) == 10.0
    tight = model([(0, 0, 5.0), (1, 0, 4.0), (2, 0, 3.0)], [1])
    assert relaxation_bound(tight) == 5.0


def test_integer_scores() -> None:
    score = np.array([0.5, 1.0, -2.0, 0.0])
    integers, scale = integer_scores(score, n_nodes=10)
    assert integers.dtype == np.int64
    assert np.abs(integers).max() <= 2**40
    assert np.all(np.abs(integers / scale - score) <= 0.5 / scale)
    assert integer_scores(np.zeros(3), 5)[0].tolist() == [0, 0, 0]
    assert integer_scores(np.zeros(0), 5)[0].size == 0


@pytest.mark.parametrize("top", [1e-300, 1e-200, 1e-12, 1.0, 1e12, 1e300])
def test_integer_scores_of_any_finite_magnitude(top: float) -> None:
    score = np.array([top, -top / 2, top / 4])
    integers, scale = integer_scores(score, n_nodes=100)
    assert math.isfinite(scale) and scale > 0
    assert np.abs(integers).max() <= 2**40
    # The integers keep the scores' proportions; the scale is capped where it would overflow.
    assert np.allclose(integers / np.abs(integers).max(), score / top, rtol=1e-9, atol=0)


# --- extreme scores ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("tiny", [5e-324, 1e-310, 1e-300])
def test_tiny_positive_scores_are_still_taken(name: str, tiny: float) -> None:
    problem = scored_problem([("a", "x", tiny)], {"x": 1}, ["a"])
    solution = matcher.solve(problem, solver=name)
    assert plan(solution) == {"a": "x"}
    assert solution.objective == tiny
    assert matcher.verify(problem, solution) == []


@pytest.mark.parametrize("name", ("flow", "cpsat"))
def test_an_optimal_plan_takes_every_free_positive_pair(name: str) -> None:
    """A positive pair whose need and organization are both free improves any plan."""
    problem = scored_problem([("a", "x", 1e3), ("b", "y", 1e-8)], {"x": 1, "y": 1}, ["a", "b"])
    solution = matcher.solve(problem, solver=name)
    assert solution.status == "optimal"
    assert "not_chosen" not in reasons(solution).values()
    assert plan(solution) == {"a": "x", "b": "y"}


@pytest.mark.parametrize("name", ALL)
def test_scores_at_the_limit_solve_and_beyond_it_are_refused(name: str) -> None:
    """Scores at ``MAX_SCORE`` solve to a finite, verified objective; past it, validation refuses
    them with the pair's path (1e308 used to give an ``inf`` objective)."""
    top = MAX_SCORE
    problem = scored_problem([("a", "x", top), ("b", "y", top)], {"x": 1, "y": 1}, ["a", "b"])
    solution = matcher.solve(problem, solver=name)
    assert solution.objective == 2 * top
    assert matcher.verify(problem, solution) == []
    for huge in (math.nextafter(top, math.inf), 1e308):
        with pytest.raises(matcher.ProblemError, match=r"pair_scores\[1\]\.score"):
            matcher.Problem.model_validate(
                scored_document([("a", "x", top), ("b", "y", huge)], {"x": 1, "y": 1}, ["a", "b"])
            )


@settings(max_examples=60, deadline=None)
@given(documents(SMALL, pair_scores=True, min_needs=1), st.integers(-1020, 3))
def test_scaling_pair_scores_by_a_power_of_two_scales_the_objective(
    document: dict[str, Any], exponent: int
) -> None:
    factor = 2.0**exponent
    scaled = {
        **document,
        "pair_scores": [{**p, "score": p["score"] * factor} for p in document["pair_scores"]],
    }
    base = matcher.solve(matcher.Problem.model_validate(document), solver="flow")
    problem = matcher.Problem.model_validate(scaled)
    solution = matcher.solve(problem, solver="flow")
    assert math.isclose(solution.objective, base.objective * factor, rel_tol=1e-9)
    assert matcher.verify(problem, solution) == []


@pytest.mark.parametrize("name", ("flow", "cpsat"))
def test_exact_back_ends_separate_near_ties(name: str) -> None:
    """Two plans 1e-5 apart (about 7e-8 of their score): the exact back ends take the better one,
    and the bound they prove is not below it."""
    eps = 1e-5
    pairs = [
        ("a", "x", 100.0 + eps),
        ("b", "x", 100.0),
        ("b", "y", 50.0),
        ("c", "y", 50.0 + eps),
        ("a", "y", 50.0),
    ]
    problem = scored_problem(pairs, {"x": 1, "y": 1}, ["a", "b", "c"])
    best = 100.0 + eps + 50.0 + eps  # a-x and c-y
    solution = matcher.solve(problem, solver=name)
    assert solution.bound >= best - 1e-12
    assert solution.objective == pytest.approx(best, rel=1e-12)
    assert plan(solution) == {"a": "x", "c": "y"}


# --- CP-SAT options and clocks ----------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_cpsat_without_hint_and_with_a_short_clock(problem: matcher.Problem) -> None:
    exact = matcher.solve(problem, solver="flow")
    tolerance = 1e-9 * max(1.0, abs(exact.objective))
    cold = matcher.solve(problem, solver=CpSatSolver(use_hint=False, workers=2))
    assert cold.status == "optimal"
    # Without the flow's hint CP-SAT proves optimality on its integer scale (2**22 at the top
    # score): plans closer than the scale's rounding, reported as the tolerance, tie there.
    assert cold.objective <= exact.objective + tolerance
    assert cold.objective >= exact.objective - float(cold.stats["tolerance"])
    rushed = matcher.solve(problem, solver="cpsat", time_limit=1e-6)
    assert matcher.verify(problem, rushed) == []
    assert rushed.status in ("optimal", "feasible")
    assert rushed.objective <= exact.objective + tolerance
    assert rushed.bound >= exact.objective - tolerance


@settings(max_examples=25, deadline=None)
@given(problems(SMALL, pair_scores=None), st.integers(0, 2**31 - 1))
def test_seed_does_not_change_the_optimum(problem: matcher.Problem, seed: int) -> None:
    reference = matcher.solve(problem, solver="flow").objective
    for name in ALL:
        solution = matcher.solve(problem, solver=name, seed=seed)
        assert solution.objective <= reference + 1e-9 * max(1.0, abs(reference))
        if name != "greedy":
            assert math.isclose(solution.objective, reference, rel_tol=1e-9, abs_tol=1e-9)


def test_solution_carries_solver_stats(simple_problem: matcher.Problem) -> None:
    flow = matcher.solve(simple_problem, solver="flow")
    assert flow.stats["scale"] > 0
    assert 0 <= float(flow.stats["tolerance"]) < 1e-6
    assert {"total_seconds", "candidates_seconds"} <= set(flow.timings)
    cpsat = matcher.solve(simple_problem, solver="cpsat")
    assert cpsat.stats["cpsat_status"] == "OPTIMAL"
