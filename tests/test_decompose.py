"""Decomposition: independent parts solved apart and merged equal the whole solve."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher import decompose, synth
from matcher.errors import OptionError
from matcher.models import Category, Problem
from matcher.pairs.table import build_candidates
from matcher.solvers import FlowSolver
from matcher.solvers.base import AssignmentModel
from matcher.solvers.budget import Budget
from matcher.solving import _side_rules
from strategies import SMALL, problems

FLOORS = {
    "regions": [
        {"level": "county", "tier": "key", "min_served": 1, "hard": False, "penalty": 5},
        {"level": "city", "min_served": 2},
    ]
}


@pytest.fixture
def small_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every component its own task, so that small problems split as national ones do."""
    monkeypatch.setattr(decompose, "MIN_TASK_PAIRS", 1)
    yield


@pytest.fixture(scope="module")
def threads() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as pool:
        yield pool


def plain_model(problem: Problem) -> AssignmentModel:
    table = build_candidates(problem)
    index = problem.index
    return AssignmentModel(
        index.n_needs, index.n_orgs, table.need, table.org, table.score, index.org_capacity
    )


def provinces_of(problem: Problem, needs: np.ndarray) -> set[str]:
    return {problem.needs[n].region[:2] for n in needs.tolist()}


def assert_same_objective(a: matcher.Solution, b: matcher.Solution) -> None:
    tolerance = float(a.stats.get("tolerance", 0.0)) + float(b.stats.get("tolerance", 0.0))
    assert math.isclose(a.objective, b.objective, rel_tol=1e-9, abs_tol=tolerance + 1e-9)


def test_parts_are_the_provinces_when_nothing_is_registered_nationally() -> None:
    problem = synth.generate(1500, 300, seed=2, n_provinces=3, national_share=0.0)
    model = plain_model(problem)
    parts = decompose.split(model, min_task_pairs=1)
    assert len(parts) >= 3
    assert all(len(provinces_of(problem, part.needs)) == 1 for part in parts)
    pairs = np.concatenate([part.pairs for part in parts])
    assert np.array_equal(np.sort(pairs), np.arange(model.n_pairs))
    for part in parts:
        assert set(model.need[part.pairs].tolist()) == set(part.needs.tolist())
        assert set(model.org[part.pairs].tolist()) == set(part.orgs.tolist())


def test_national_organizations_join_the_provinces() -> None:
    problem = synth.generate(1500, 600, seed=2, n_provinces=3, national_share=0.05)
    parts = decompose.split(plain_model(problem), min_task_pairs=1)
    assert len(provinces_of(problem, parts[0].needs)) == 3


def test_a_rule_joins_only_the_components_it_counts() -> None:
    problem = synth.generate(600, 150, seed=4, n_provinces=3, national_share=0.0)
    industry = problem.with_policy(
        rules={"categories": [{"category": "industry", "min_served": 5}]}
    )
    table = build_candidates(industry)
    model = replace(plain_model(industry), side=_side_rules(industry, table))
    parts = decompose.split(model, min_task_pairs=1)
    paired = set(table.need.tolist())
    wanted = {i for i, need in enumerate(industry.needs) if need.category == "industry"} & paired
    holding = [part for part in parts if wanted & set(part.needs.tolist())]
    assert len(holding) == 1
    assert len(provinces_of(problem, holding[0].needs)) == 3
    assert len(parts) == len(decompose.split(plain_model(problem), min_task_pairs=1)) - 2


def test_components_are_packed_into_tasks_of_comparable_size() -> None:
    problem = synth.generate(3000, 600, seed=5, n_provinces=6, national_share=0.0)
    model = plain_model(problem)
    parts = decompose.split(model, min_task_pairs=model.n_pairs // 2)
    assert len(parts) == 2
    assert sum(part.n_components for part in parts) >= 6
    sizes = sorted(part.pairs.size for part in parts)
    assert sizes[0] >= 0.5 * sizes[1]


def test_a_model_without_pairs_has_no_parts() -> None:
    empty = AssignmentModel(2, 1, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), [1])
    assert decompose.split(empty) == []


@pytest.mark.usefixtures("small_tasks")
def test_decomposed_flow_equals_the_whole_and_verifies(threads: ThreadPoolExecutor) -> None:
    problem = synth.generate(2000, 400, seed=1, n_provinces=4, national_share=0.0)
    whole = matcher.solve(problem, "flow", decompose=False)
    parts = matcher.solve(problem, "flow", executor=threads)
    assert parts.stats["parts"] >= 4
    assert "parts" not in whole.stats
    assert_same_objective(parts, whole)
    assert matcher.verify(problem, parts) == []
    assert parts.to_json() == matcher.solve(problem, "flow", executor=threads).to_json()


@pytest.mark.usefixtures("small_tasks")
def test_parts_solved_here_give_the_plan_of_an_inline_solve() -> None:
    problem = synth.generate(1200, 240, seed=3, n_provinces=3, national_share=0.0)
    pooled = matcher.solve(problem, "flow", decompose=True)
    model = plain_model(problem)
    inline = decompose.solve_in_parts(
        FlowSolver(), model, decompose.split(model), budget=Budget.start(1.0), executor=None
    )
    assert [(a.need_id, a.org_id) for a in pooled.assignments] == [
        (problem.index.need_ids[model.need[p]], problem.index.org_ids[model.org[p]])
        for p in inline.chosen.tolist()
    ]


@pytest.mark.usefixtures("small_tasks")
@settings(max_examples=40, deadline=None)
@given(problem=problems(SMALL), pinned=st.booleans())
def test_decomposition_never_changes_the_optimum(problem: Problem, pinned: bool) -> None:
    whole = matcher.solve(problem, "flow", decompose=False)
    if pinned and whole.assignments:
        first = whole.assignments[0]
        problem = problem.replace(pinned=[{"need_id": first.need_id, "org_id": first.org_id}])
        whole = matcher.solve(problem, "flow", decompose=False)
    model = plain_model(problem)
    inline = decompose.solve_in_parts(
        FlowSolver(), model, decompose.split(model), budget=Budget.start(1.0)
    )
    with ThreadPoolExecutor(2) as pool:
        parts = matcher.solve(problem, "flow", executor=pool)
    assert_same_objective(parts, whole)
    assert math.isclose(inline.objective, whole.objective, abs_tol=1e-6 + 2 * len(problem.needs))
    assert matcher.verify(problem, parts) == []


@pytest.mark.usefixtures("small_tasks")
@settings(max_examples=15, deadline=None)
@given(
    n_provinces=st.integers(2, 6),
    seed=st.integers(0, 10_000),
    national_share=st.sampled_from([0.0, 0.0, 0.02]),
    shuffle=st.randoms(use_true_random=False),
)
def test_multi_province_problems_solve_alike_whole_and_in_parts(
    n_provinces: int, seed: int, national_share: float, shuffle: random.Random
) -> None:
    problem = synth.generate(
        150 * n_provinces,
        40 * n_provinces,
        seed=seed,
        n_provinces=n_provinces,
        national_share=national_share,
    )
    whole = matcher.solve(problem, "flow", decompose=False)
    with ThreadPoolExecutor(2) as pool:
        parts = matcher.solve(problem, "flow", executor=pool)
        # The organizations' order changes neither the parts' plan's value nor its validity.
        organizations = list(problem.organizations)
        shuffle.shuffle(organizations)
        shuffled = problem.replace(organizations=organizations)
        reordered = matcher.solve(shuffled, "flow", executor=pool)
    assert_same_objective(parts, whole)
    assert_same_objective(reordered, whole)
    assert matcher.verify(problem, parts) == []
    assert matcher.verify(shuffled, reordered) == []


@pytest.mark.usefixtures("small_tasks")
@pytest.mark.parametrize(
    "rules",
    [
        FLOORS,
        FLOORS | {"money": {"budgets": True}},
        {"regions": [{"level": "county", "min_served": 1, "hard": False, "penalty": 3}]},
    ],
)
def test_local_rules_decompose_with_the_same_optimum(
    rules: dict[str, object], threads: ThreadPoolExecutor
) -> None:
    base = synth.generate(600, 150, seed=4, n_provinces=3, national_share=0.0)
    problem = base.with_policy(rules=rules)
    whole = matcher.solve(problem, "cpsat", decompose=False, time_limit=30)
    parts = matcher.solve(problem, "cpsat", executor=threads, time_limit=30)
    assert whole.status == parts.status == "optimal"
    assert parts.stats["parts"] >= 3
    assert math.isclose(parts.objective, whole.objective, rel_tol=1e-9, abs_tol=1e-6)
    assert parts.levels == pytest.approx(whole.levels)
    assert matcher.verify(problem, parts) == []


@pytest.mark.usefixtures("small_tasks")
@pytest.mark.parametrize(
    "policy",
    [
        {"rules": {"program": {"min_served": 30}}},
        {"rules": {"program": {"min_organizations": 20}}},
        {"rules": {"categories": [{"category": c.value, "min_served": 1} for c in Category]}},
        {"goals": [{"kind": "fairness", "level": "city"}, {"kind": "score"}]},
    ],
)
def test_rules_across_provinces_keep_one_part(
    policy: dict[str, object], threads: ThreadPoolExecutor
) -> None:
    problem = synth.generate(600, 150, seed=4, n_provinces=3, national_share=0.0)
    solution = matcher.solve(problem.with_policy(**policy), "cpsat", executor=threads)
    assert solution.stats["parts"] == 1
    assert matcher.verify(problem.with_policy(**policy), solution) == []


@pytest.mark.usefixtures("small_tasks")
def test_an_infeasible_part_makes_the_plan_infeasible_with_its_conflict() -> None:
    problem = synth.generate(600, 150, seed=4, n_provinces=3, national_share=0.0)
    # Two key counties of one province share their only organization.
    impossible = problem.with_policy(
        rules={"regions": [{"level": "county", "tier": "key", "min_served": 1}]}
    )
    solution = matcher.solve(impossible, "cpsat", decompose=True, time_limit=10)
    assert solution.status == "infeasible"
    assert solution.stats["parts"] >= 3
    assert solution.conflicts


def test_an_executor_needs_decomposition(threads: ThreadPoolExecutor) -> None:
    problem = synth.shanxi(n_needs=50, n_orgs=10)
    with pytest.raises(OptionError, match="decompose=False"):
        matcher.solve(problem, decompose=False, executor=threads)


def test_small_problems_solve_whole_by_default() -> None:
    solution = matcher.solve(synth.generate(900, 180, n_provinces=3, national_share=0.0))
    assert "parts" not in solution.stats


def test_national_scale_on_a_dask_cluster_equals_the_local_plan() -> None:
    """Two worker processes of a real Dask cluster solve the national scale's provinces."""
    distributed = pytest.importorskip("distributed")
    problem = synth.scale("national")
    local = matcher.solve(problem, "flow")
    assert local.stats["parts"] == 31
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = matcher.solve(problem, "flow", executor=client.get_executor())
    assert remote.to_json() == local.to_json()
    whole = matcher.solve(problem, "flow", decompose=False)
    assert_same_objective(remote, whole)
    assert matcher.verify(problem, remote) == []
