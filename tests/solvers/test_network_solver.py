"""The assignment algorithms of the network-shaped solve against the flow, the MILP oracle and
their own certificate."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.solvers import AssignmentModel, FlowSolver, Status
from matcher.solvers.assignment import NetworkSolver, choose, scaled
from matcher.solvers.prices import certify, least_prices
from milp_oracle import close_enough, milp_optimum
from strategies import TINY, dense_pair_documents, scored_document

ALGORITHMS = ("dense", "sparse", "flow")


@st.composite
def models(draw: Any, max_needs: int = 9, max_orgs: int = 9, slots: int = 1) -> AssignmentModel:
    """A random model: some pairs of each need, scores with ties and non-positive ones."""
    n = draw(st.integers(0, max_needs))
    m = draw(st.integers(1, max_orgs))
    cells = [(i, j) for i in range(n) for j in range(m)]
    pairs = sorted(draw(st.sets(st.sampled_from(cells), max_size=len(cells)))) if cells else []
    values = st.one_of(st.integers(-2, 6).map(float), st.floats(-1.0, 5.0, allow_nan=False))
    return AssignmentModel(
        n_needs=n,
        n_orgs=m,
        need=np.array([p[0] for p in pairs], np.int64),
        org=np.array([p[1] for p in pairs], np.int64),
        score=np.array([draw(values) for _ in pairs], np.float64),
        capacity=np.array(draw(st.lists(st.integers(0, slots), min_size=m, max_size=m)), np.int64),
    )


def integer_objective(model: AssignmentModel, chosen: np.ndarray) -> int:
    """The plan's score in the integers every exact algorithm compares plans by."""
    positive = np.flatnonzero(model.score > 0)
    w, _ = scaled(model, positive)
    weight = np.zeros(model.n_pairs, np.int64)
    weight[positive] = w
    return int(weight[chosen].sum())


@settings(max_examples=150)
@given(models(), st.sampled_from(ALGORITHMS))
def test_each_algorithm_finds_the_flows_optimum(model: AssignmentModel, algorithm: str) -> None:
    result = NetworkSolver(algorithm).solve(model)
    reference = FlowSolver().solve(model)
    assert result.status is Status.OPTIMAL
    assert "fallback" not in result.stats
    assert result.stats["algorithm"] == algorithm
    assert integer_objective(model, result.chosen) == integer_objective(model, reference.chosen)
    chosen = result.chosen
    assert (model.score[chosen] > 0).all()
    assert (np.bincount(model.need[chosen], minlength=model.n_needs) <= 1).all()
    assert (np.bincount(model.org[chosen], minlength=model.n_orgs) <= model.capacity).all()


@settings(max_examples=40)
@given(models(max_needs=6, max_orgs=5, slots=3))
def test_several_slots_go_to_the_flow(model: AssignmentModel) -> None:
    result = NetworkSolver("dense").solve(model)
    if (model.capacity > 1).any():
        assert result.stats["algorithm"] == "flow"
    assert result.objective == FlowSolver().solve(model).objective


@settings(max_examples=120)
@given(models(max_needs=5, max_orgs=4), st.data())
def test_the_certificate_accepts_exactly_the_optimal_plans(
    model: AssignmentModel, data: st.DataObject
) -> None:
    """Every plan that keeps the capacities: prices prove it iff it scores the optimum."""
    positive = np.flatnonzero(model.score > 0)
    w, _ = scaled(model, positive)
    need, org = model.need[positive], model.org[positive]
    best = integer_objective(model, FlowSolver().solve(model).chosen)
    options = [[-1, *np.flatnonzero(need == n).tolist()] for n in range(model.n_needs)]
    plans = [
        np.array([p for p in plan if p >= 0], np.int64) for plan in itertools.product(*options)
    ]
    fitting = [
        p for p in plans if (np.bincount(org[p], minlength=model.n_orgs) <= model.capacity).all()
    ]
    for plan in data.draw(st.lists(st.sampled_from(fitting), max_size=6)) if fitting else []:
        prices = least_prices(need, org, w, plan, n_needs=model.n_needs, n_orgs=model.n_orgs)
        proven = prices is not None and certify(need, org, w, model.capacity, plan, prices)
        assert proven == (int(w[plan].sum()) == best)


def test_a_wrong_plans_certificate_fails() -> None:
    """Two needs, two organizations: the diagonal scores 9, the other way 4."""
    need, org = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    w, capacity = np.array([5, 2, 2, 4]), np.array([1, 1])
    best = np.array([0, 3])
    prices = least_prices(need, org, w, best, n_needs=2, n_orgs=2)
    assert prices is not None and certify(need, org, w, capacity, best, prices)
    crossed = np.array([1, 2])
    wrong = least_prices(need, org, w, crossed, n_needs=2, n_orgs=2)
    assert wrong is None or not certify(need, org, w, capacity, crossed, wrong)
    # The right plan's prices do not prove another plan, nor a plan that drops a pair.
    assert not certify(need, org, w, capacity, crossed, prices)
    assert not certify(need, org, w, capacity, np.array([0]), prices)
    # Nor prices nudged off the least ones on a tight pair.
    nudged = type(prices)(prices.surplus + 1, prices.price, prices.passes)
    assert not certify(need, org, w, capacity, best, nudged)


def test_choose_by_shape() -> None:
    def square(n: int, share: float, slots: int = 1) -> AssignmentModel:
        rng = np.random.default_rng(0)
        need, org = np.nonzero(rng.random((n, n)) < share)
        return AssignmentModel(n, n, need, org, np.ones(need.size), np.full(n, slots))

    assert choose(square(50, 1.0)) == "dense"
    assert choose(square(200, 0.15)) == "sparse"
    assert choose(square(200, 0.02)) == "flow"
    assert choose(square(50, 1.0, slots=2)) == "flow"


def one_slot(document: dict[str, Any]) -> matcher.Problem:
    for organization in document["organizations"]:
        organization["max_projects"] = 1
    return matcher.Problem.model_validate(document)


@settings(max_examples=40)
@given(dense_pair_documents(TINY, scores=st.integers(-3, 20).map(float)))
def test_auto_against_the_milp_oracle(document: dict[str, Any]) -> None:
    problem = one_slot(document)
    solution = matcher.solve(problem)
    assert solution.solver == "flow"
    assert solution.status == "optimal"
    assert close_enough(solution.objective, milp_optimum(problem).objective, solution)
    assert matcher.verify(problem, solution) == []


@pytest.mark.parametrize("algorithm", ["dense", "sparse"])
def test_auto_takes_the_assignment_algorithm_on_its_shape(algorithm: str) -> None:
    n = 40
    rng = np.random.default_rng(3)
    keep = rng.random((n, n)) < (1.0 if algorithm == "dense" else 0.6)
    needs, orgs = np.nonzero(keep)
    if algorithm == "sparse":  # more organizations than fit a dense matrix of this share
        orgs = orgs * 4
    n_orgs = int(orgs.max()) + 1
    scores = rng.integers(1, 101, needs.size).astype(float)
    pairs = zip(needs.tolist(), orgs.tolist(), scores.tolist(), strict=True)
    document = scored_document(n, n_orgs, pairs)
    problem = matcher.Problem.model_validate(document)
    solution = matcher.solve(problem)
    assert solution.stats["algorithm"] == algorithm
    assert solution.objective == matcher.solve(problem, solver="flow").objective
    assert matcher.verify(problem, solution) == []


@settings(max_examples=60, deadline=None)
@given(models())
def test_least_prices_read_only_the_pairs_given_by_organization(model: AssignmentModel) -> None:
    """The dispatch engine's form (every row, the usable ones listed by organization) finds the
    prices, surpluses and passes of the usable pairs alone."""
    if model.n_needs == 0:
        return
    w = np.round(model.score * 10).astype(np.int64)
    usable = w > 0
    rows = np.flatnonzero(usable)
    plan = FlowSolver().solve(replace(model, score=w.astype(float))).chosen  # optimal for w
    position = np.full(model.n_pairs, -1, np.int64)
    position[rows] = np.arange(rows.size)
    alone = least_prices(
        model.need[rows], model.org[rows], w[rows], position[plan],
        n_needs=model.n_needs, n_orgs=model.n_orgs,
    )  # fmt: skip
    by_org = np.argsort(model.org, kind="stable")
    listed = least_prices(
        model.need, model.org, w, plan, n_needs=model.n_needs, n_orgs=model.n_orgs,
        by_org=by_org[usable[by_org]],
    )  # fmt: skip
    assert alone is not None and listed is not None
    assert alone.price.tolist() == listed.price.tolist()
    assert alone.surplus.tolist() == listed.surplus.tolist()
    assert alone.passes == listed.passes


def test_least_prices_without_organizations() -> None:
    none = np.zeros(0, np.int64)
    prices = least_prices(none, none, none, none, n_needs=2, n_orgs=0)
    assert prices is not None
    assert prices.surplus.tolist() == [0, 0] and prices.price.tolist() == [] and prices.passes == 0
