"""The complete-matrix path of the dense assignment (every need x organization a pair) against the
flow, scipy's ``linear_sum_assignment`` and the pair-by-pair certificate; and the shortcuts of the
solve around it (one visible block, given pairs read as they are)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import matcher
from matcher.decompose import one_block, split
from matcher.pairs.eligibility import ineligibility
from matcher.pairs.table import build_candidates
from matcher.solvers import AssignmentModel, FlowSolver, Status
from matcher.solvers.assignment import NetworkSolver, scaled
from matcher.solvers.prices import (
    Prices,
    certify,
    certify_complete,
    least_prices,
    least_prices_complete,
)
from strategies import scored_document


@st.composite
def complete_models(draw: Any, max_needs: int = 8, max_orgs: int = 8) -> AssignmentModel:
    """Every (need, organization) a pair, in row-major order, every score positive (with ties)."""
    n = draw(st.integers(1, max_needs))
    m = draw(st.integers(1, max_orgs))
    values = st.one_of(st.integers(1, 5).map(float), st.floats(0.01, 5.0, allow_nan=False))
    need, org = np.divmod(np.arange(n * m, dtype=np.int64), m)
    score = np.array([draw(values) for _ in range(n * m)], np.float64)
    return AssignmentModel(n, m, need, org, score, np.ones(m, np.int64))


def integers(model: AssignmentModel) -> np.ndarray:
    return scaled(model, np.arange(model.n_pairs))[0]


@settings(max_examples=150)
@given(complete_models())
def test_complete_path_is_optimal_and_proven(model: AssignmentModel) -> None:
    result = NetworkSolver().solve(model)
    assert result.status is Status.OPTIMAL
    assert result.stats["algorithm"] == "dense" and "fallback" not in result.stats
    w = integers(model)
    reference = FlowSolver().solve(model)
    assert w[result.chosen].sum() == w[reference.chosen].sum()
    matrix = w.reshape(model.n_needs, model.n_orgs)
    rows, columns = linear_sum_assignment(matrix.astype(float), maximize=True)
    assert w[result.chosen].sum() == matrix[rows, columns].sum()
    # The matrix certificate is the pair-by-pair one: the same least prices, the same verdict.
    holder = np.full(model.n_needs, -1, np.int64)
    holder[model.need[result.chosen]] = model.org[result.chosen]
    complete = least_prices_complete(matrix, holder)
    pairs = least_prices(
        model.need, model.org, w, result.chosen, n_needs=model.n_needs, n_orgs=model.n_orgs
    )
    assert complete is not None and pairs is not None
    assert complete.price.tolist() == pairs.price.tolist()
    assert complete.surplus.tolist() == pairs.surplus.tolist()
    assert certify_complete(matrix, model.capacity, holder, complete)
    assert certify(model.need, model.org, w, model.capacity, result.chosen, complete)


def test_complete_certificate_refuses_a_worse_plan() -> None:
    matrix = np.array([[5, 1], [4, 3]], np.int64)
    best, crossed = np.array([0, 1]), np.array([1, 0])
    capacity = np.ones(2, np.int64)
    prices = least_prices_complete(matrix, best)
    assert prices is not None and certify_complete(matrix, capacity, best, prices)
    assert not certify_complete(matrix, capacity, crossed, prices)
    wrong = least_prices_complete(matrix, crossed)
    assert wrong is None or not certify_complete(matrix, capacity, crossed, wrong)
    assert not certify_complete(
        matrix, capacity, best, Prices(np.zeros(2, np.int64), np.zeros(2, np.int64), 0)
    )


@st.composite
def sparse_models(draw: Any) -> AssignmentModel:
    n, m = draw(st.integers(0, 7)), draw(st.integers(1, 7))
    cells = [(i, j) for i in range(n) for j in range(m)]
    pairs = sorted(draw(st.sets(st.sampled_from(cells), max_size=len(cells)))) if cells else []
    return AssignmentModel(
        n,
        m,
        np.array([p[0] for p in pairs], np.int64),
        np.array([p[1] for p in pairs], np.int64),
        np.ones(len(pairs)),
        np.ones(m, np.int64),
    )


@settings(max_examples=200)
@given(sparse_models())
def test_one_block_means_one_part(model: AssignmentModel) -> None:
    if one_block(model):
        assert len(split(model, min_task_pairs=1)) == 1


@pytest.mark.parametrize("seed", range(5))
def test_dense_plans_match_the_flow_from_a_problem(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 12, 9
    pairs = [(i, j, float(rng.integers(1, 101))) for i in range(n) for j in range(m)]
    problem = matcher.Problem.model_validate(scored_document(n, m, pairs))
    solution = matcher.solve(problem)
    assert solution.stats["algorithm"] == "dense"
    assert solution.objective == matcher.solve(problem, solver="flow").objective
    assert matcher.verify(problem, solution) == []
    table = build_candidates(problem)
    index = problem.index
    assert index.pair_need is not None and index.pair_org is not None
    assert np.array_equal(
        ineligibility(problem, index.pair_need, index.pair_org, listed=True),
        ineligibility(problem, index.pair_need, index.pair_org),
    )
    assert not table.need.flags.writeable
