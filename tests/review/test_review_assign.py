"""Reviewer and evaluator assignment: against staged MILPs, and properties of every answer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from review_oracle import assignment_levels, conflict_free, milp_assignment

from matcher.models.vocab import Category
from matcher.review import (
    AssignmentError,
    ReviewDocument,
    assign_evaluators,
    assign_reviewers,
    solve_transport,
)
from matcher.review.synth import random_document

CATEGORIES = [c.value for c in Category]


@st.composite
def documents(draw: st.DrawFn, max_projects: int = 6, max_experts: int = 6) -> ReviewDocument:
    n_p = draw(st.integers(1, max_projects))
    n_e = draw(st.integers(1, max_experts))
    orgs = [f"o{i}" for i in range(4)]
    regions = ["r0", "r1", "r2"]
    experts: list[dict[str, Any]] = []
    for e in range(n_e):
        cats = draw(st.lists(st.sampled_from(CATEGORIES[:3]), max_size=2, unique=True))
        experts.append(
            {
                "id": f"e{e}",
                "expertise": {c: draw(st.integers(1, 5)) for c in cats},
                "home_region": draw(st.sampled_from([None, *regions])),
                "affiliations": draw(st.lists(st.sampled_from(orgs), max_size=2, unique=True)),
                "conflicts": draw(
                    st.lists(st.sampled_from([f"p{p}" for p in range(n_p)]), max_size=1)
                ),
                "max_reviews": draw(st.integers(0, 4)),
            }
        )
    projects = [
        {
            "id": f"p{p}",
            "category": draw(st.sampled_from(CATEGORIES[:3])),
            "region": draw(st.sampled_from(regions)),
            "organizations": draw(st.lists(st.sampled_from(orgs), max_size=2, unique=True)),
        }
        for p in range(n_p)
    ]
    policy = {
        "reviewers_per_project": draw(st.integers(1, 3)),
        "fairness": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        "same_region_conflict": draw(st.booleans()),
    }
    return ReviewDocument.model_validate(
        {"experts": experts, "projects": projects, "policy": policy}
    )


@settings(max_examples=40)
@given(documents())
def test_matches_the_lexicographic_milp(document: ReviewDocument) -> None:
    assignment = assign_reviewers(document, strict=False)
    found = assignment_levels(document, assignment.pairs())
    best = milp_assignment(document)
    assert found.filled == best.filled
    assert found.covered == best.covered
    assert found.cost == pytest.approx(best.cost)


@settings(max_examples=60)
@given(documents(max_projects=8, max_experts=8))
def test_no_conflict_no_overload_no_repeat(document: ReviewDocument) -> None:
    assignment = assign_reviewers(document, strict=False)
    pairs = assignment.pairs()
    assert len(set(pairs)) == len(pairs)
    project_at = {p.id: i for i, p in enumerate(document.projects)}
    expert_at = {e.id: i for i, e in enumerate(document.experts)}
    for project_id, expert_id in pairs:
        assert conflict_free(document, project_at[project_id], expert_at[expert_id])
    for expert_id, load in assignment.loads().items():
        assert load <= document.experts[expert_at[expert_id]].max_reviews
    per_project = {p.id: 0 for p in document.projects}
    for project_id, _ in pairs:
        per_project[project_id] += 1
    k = document.policy.reviewers_per_project
    short = {s.project_id: s.missing for s in assignment.shortfalls}
    for project_id, count in per_project.items():
        assert count + short.get(project_id, 0) == k


def test_infeasible_projects_are_named_in_both_languages() -> None:
    document = ReviewDocument.model_validate(
        {
            "experts": [
                {"id": "e1", "affiliations": ["o1"]},
                {"id": "e2", "home_region": "r1"},
                {"id": "e3"},
            ],
            "projects": [
                {"id": "p1", "category": "talent", "region": "r1", "organizations": ["o1"]},
                {"id": "p2", "category": "talent", "region": "r2"},
            ],
            "policy": {"reviewers_per_project": 2},
        }
    )
    with pytest.raises(AssignmentError) as caught:
        assign_reviewers(document)
    (shortfall,) = caught.value.shortfalls
    assert shortfall.project_id == "p1" and shortfall.missing == 1
    assert "只有 1 位" in str(caught.value)
    with pytest.raises(AssignmentError, match="only 1 have no conflict"):
        assign_reviewers(document, language="en")
    partial = assign_reviewers(document, strict=False)
    assert ("p1", "e3") in partial.pairs() and len(partial.pairs()) == 3


def test_loads_taken_by_others_are_told_apart() -> None:
    document = ReviewDocument.model_validate(
        {
            "experts": [{"id": "e1", "max_reviews": 1}],
            "projects": [{"id": "p1", "category": "talent"}, {"id": "p2", "category": "talent"}],
            "policy": {"reviewers_per_project": 1},
        }
    )
    with pytest.raises(AssignmentError, match="taken by other projects"):
        assign_reviewers(document, language="en")


def test_a_specialist_comes_before_fairness() -> None:
    # One specialist, two projects of her category, k = 1: she takes one, and the other project
    # gets a non-specialist although the specialist is cheaper for both.
    document = ReviewDocument.model_validate(
        {
            "experts": [
                {"id": "spec", "expertise": {"talent": 5, "industry": 5}, "max_reviews": 2},
                {"id": "other", "max_reviews": 2},
            ],
            "projects": [{"id": "p1", "category": "talent"}, {"id": "p2", "category": "industry"}],
            "policy": {"reviewers_per_project": 1, "fairness": 100},
        }
    )
    assignment = assign_reviewers(document)
    assert assignment.covered().tolist() == [True, True]  # fairness would have split them


def test_second_round_style_options() -> None:
    document = random_document(30, 20, seed=2)
    first = assign_reviewers(document)
    used = first.loads()
    more = assign_reviewers(document, k=1, exclude=first.pairs(), used=used)
    assert not set(more.pairs()) & set(first.pairs())
    for expert in document.experts:
        total = used.get(expert.id, 0) + more.loads().get(expert.id, 0)
        assert total <= expert.max_reviews


def test_transport_on_arrays_matches_a_tiny_enumeration() -> None:
    rng = np.random.default_rng(5)
    for _ in range(30):
        n_p, n_e = 3, 3
        mask = rng.random((n_p, n_e)) < 0.7
        pp, pe = np.nonzero(mask)
        pp, pe = pp.astype(np.int64), pe.astype(np.int64)
        cost = rng.integers(0, 5, pp.size).astype(np.int64)
        capacity = rng.integers(0, 3, n_e).astype(np.int64)
        demand = np.ones(n_p, np.int64)
        chosen, empty = solve_transport(
            demand, capacity, pp, pe, cost, np.zeros(pp.size, bool), fairness=0
        )
        best = None
        # Every choice of at most one pair per project, by enumeration.
        options = [[-1, *np.flatnonzero(pp == p).tolist()] for p in range(n_p)]
        import itertools

        for pick in itertools.product(*options):
            used = [i for i in pick if i >= 0]
            loads = np.bincount(pe[used], minlength=n_e)
            if (loads > capacity).any():
                continue
            key = (-len(used), int(cost[used].sum()))
            best = key if best is None else min(best, key)
        assert best == (-chosen.size, int(cost[chosen].sum()))
        assert int(empty.sum()) == n_p - chosen.size


def test_evaluators_never_judge_their_own_or_affiliated() -> None:
    document = ReviewDocument.model_validate(
        {
            "evaluators": [
                {"id": "O1", "kind": "hub", "capacity": 5},
                {"id": "uni", "kind": "academic", "affiliations": ["O2"], "capacity": 5},
                {"id": "centre", "capacity": 1},
            ],
            "projects": [
                {"id": "a", "category": "talent", "implementer": "O1"},
                {"id": "b", "category": "talent", "implementer": "O2"},
                {"id": "c", "category": "talent", "implementer": "O3"},
            ],
        }
    )
    pairs = assign_evaluators(document).pairs()
    assert ("a", "O1") not in pairs and ("b", "uni") not in pairs
    assert sorted(p for p, _ in pairs) == ["a", "b", "c"]
    assert sum(1 for _, e in pairs if e == "centre") <= 1


def test_evaluators_prefer_the_nearer() -> None:
    import matcher

    problem = matcher.synth.shanxi(seed=0, n_needs=10, n_orgs=4)
    tree = problem.index.hierarchy
    counties = [r.id for r in problem.regions if r.level.value == "county"]
    near, far = counties[0], counties[-1]
    document = ReviewDocument.model_validate(
        {
            "evaluators": [
                {"id": "far", "home_region": far, "capacity": 1},
                {"id": "near", "home_region": near, "capacity": 1},
            ],
            "projects": [{"id": "p", "category": "talent", "region": near}],
        }
    )
    assert assign_evaluators(document, hierarchy=tree).pairs() == [("p", "near")]


def test_same_county_is_read_through_the_hierarchy() -> None:
    import matcher

    problem = matcher.synth.shanxi(seed=0, n_needs=5000, n_orgs=10)  # townships under counties
    regions = {r.id: r for r in problem.regions}
    township = next(r for r in problem.regions if r.level.value == "township")
    county = regions[township.parent or ""]
    city = regions[county.parent or ""]
    document = ReviewDocument.model_validate(
        {
            "experts": [
                {"id": "same_county", "home_region": township.id},
                {"id": "in_the_city", "home_region": city.id},
            ],
            "projects": [{"id": "p", "category": "talent", "region": county.id}],
            "policy": {"reviewers_per_project": 1},
        }
    )
    tree = problem.index.hierarchy
    assert assign_reviewers(document, hierarchy=tree).pairs() == [("p", "in_the_city")]
    # Without the hierarchy, ids are compared as they are: the township is not the county.
    assert len(assign_reviewers(document, k=2).pairs()) == 2


@settings(max_examples=60)
@given(st.data())
def test_evaluators_property(data: st.DataObject) -> None:
    orgs = [f"o{i}" for i in range(5)]
    n_e = data.draw(st.integers(1, 5))
    evaluators = [
        {
            "id": data.draw(st.sampled_from([f"v{e}", orgs[e % 5]])) if e < 5 else f"v{e}",
            "affiliations": data.draw(st.lists(st.sampled_from(orgs), max_size=2, unique=True)),
            "capacity": data.draw(st.integers(0, 3)),
        }
        for e in range(n_e)
    ]
    if len({e["id"] for e in evaluators}) < n_e:
        return
    projects = [
        {"id": f"p{p}", "category": "talent", "implementer": data.draw(st.sampled_from(orgs))}
        for p in range(data.draw(st.integers(1, 6)))
    ]
    document = ReviewDocument.model_validate({"evaluators": evaluators, "projects": projects})
    assignment = assign_evaluators(document, strict=False)
    implementer = {p["id"]: p["implementer"] for p in projects}
    by_id = {e["id"]: e for e in evaluators}
    for project_id, evaluator_id in assignment.pairs():
        evaluator = by_id[evaluator_id]
        assert implementer[project_id] != evaluator_id
        assert implementer[project_id] not in evaluator["affiliations"]
    for evaluator_id, load in assignment.loads().items():
        assert load <= by_id[evaluator_id]["capacity"]
    assert len(assignment.pairs()) + sum(s.missing for s in assignment.shortfalls) == len(projects)
