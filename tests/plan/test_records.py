"""A plan's records (``matcher.plan.records``), built from the solver's arrays, against the
candidate table and a recount of each unmet need's candidates."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.models import COMPONENTS
from regions import tier_of
from strategies import SMALL, problems


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_records_are_the_candidate_rows_and_the_reasons_recount(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem, solver="flow")
    assert solution.rows_pending  # fresh from a solve: the records are built below, on first read
    table = matcher.candidates(problem).set_index(["need_id", "org_id"])
    needs = {n.id: n for n in problem.needs}
    for a in solution.assignments:
        row = table.loc[(a.need_id, a.org_id)]
        assert math.isclose(a.score, row.score, rel_tol=1e-12, abs_tol=1e-12)
        assert a.components == {name: row[name] for name in COMPONENTS}
        need = needs[a.need_id]
        assert (a.category, a.region, a.tier) == (
            need.category,
            need.region,
            tier_of(problem, need.region),
        )
    taken = Counter(a.org_id for a in solution.assignments)
    capacity = {o.id: o.max_projects for o in problem.organizations}
    served = {a.need_id for a in solution.assignments}
    assert {u.need_id for u in solution.unmet} == set(needs) - served
    for u in solution.unmet:
        rows = table.loc[u.need_id] if u.need_id in table.index.get_level_values(0) else None
        count = 0 if rows is None else len(rows)
        assert u.candidates == count
        if count == 0:
            expected = "no_candidate"
        elif not (rows.score > 0).any():
            expected = "non_positive_score"
        else:  # an optimal plan leaves a need with a useful candidate only when all are full
            positive = rows.index[rows.score > 0]
            assert all(taken[o] == capacity[o] for o in positive)
            expected = "capacity"
        assert u.reason == expected, u
        need = needs[u.need_id]
        assert (u.category, u.region) == (need.category, need.region)


@settings(max_examples=30, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_fresh_records_equal_the_records_read_back(problem: matcher.Problem) -> None:
    """Records from the arrays and the same plan through JSON (records built once, then read)."""
    solution = matcher.solve(problem, solver="flow")
    fresh = solution.to_frame()  # laid out from the arrays, the records still unbuilt
    assert solution.rows_pending
    read = matcher.Solution.from_json(solution.to_json())  # written from the arrays too
    assert read.assignments == solution.assignments
    assert read.unmet == solution.unmet
    assert read.to_frame().equals(fresh)


def _same_json_before_and_after_the_records_are_built(
    solution: matcher.Solution, indent: int | None
) -> None:
    text = solution.to_json(indent=indent)
    values = solution.model_dump(mode="json")
    assert solution.rows_pending  # both written from the arrays
    python = solution.model_dump()  # Python values keep the enums: that builds the records
    assert not solution.rows_pending
    assert python["assignments"] == tuple(a.model_dump() for a in solution.assignments)
    assert solution.to_json(indent=indent) == text
    assert solution.model_dump(mode="json") == values


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None), st.sampled_from([None, 2]))
def test_json_from_the_arrays_is_the_json_of_the_records(
    problem: matcher.Problem, indent: int | None
) -> None:
    _same_json_before_and_after_the_records_are_built(matcher.solve(problem, "flow"), indent)


@pytest.mark.parametrize("policy", ["rules", "infeasible"])
def test_json_from_the_arrays_under_rules(policy: str) -> None:
    problem = matcher.synth.shanxi(seed=1)
    if policy == "rules":
        problem = problem.with_policy(**matcher.synth.PLAN_POLICY)
    else:  # more needs served in every key county than it has
        regions = [{"level": "county", "tier": "key", "min_served": 10_000}]
        problem = problem.with_policy(rules={"regions": regions})
    solution = matcher.solve(problem, time_limit=5)
    _same_json_before_and_after_the_records_are_built(solution, 2)
    reasons = {u.reason for u in solution.unmet}
    assert ("rules" if policy == "rules" else "infeasible") in reasons
