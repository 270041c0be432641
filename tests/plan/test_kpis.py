"""A plan's key figures (``matcher.plan.kpis``) against a recount from the plan's own records."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings

import matcher
from matcher.plan.kpis import gini
from regions import chain, tier_of
from strategies import SMALL, problems


def _recount(problem: matcher.Problem, solution: matcher.Solution) -> dict[str, object]:
    """The figures counted need by need from the records and the pydantic problem."""
    served = {a.need_id for a in solution.assignments}
    needs_by = {"category": Counter(), "tier": Counter(), "city": Counter()}
    served_by = {"category": Counter(), "tier": Counter(), "city": Counter()}
    for need in problem.needs:
        cities = [r.id for r in chain(problem, need.region) if r.level is matcher.Level.CITY]
        keys = {
            "category": need.category,
            "tier": tier_of(problem, need.region),
            "city": cities[0] if cities else "",
        }
        for by, key in keys.items():
            needs_by[by][key] += 1
            served_by[by][key] += need.id in served
    load = Counter(a.org_id for a in solution.assignments)
    good = [o for o in problem.organizations if o.credit not in problem.policy.barred_credit]
    return {
        "served": len(served),
        "needs_by": needs_by,
        "served_by": served_by,
        "engaged": len(load),
        "load": dict(load),
        "capacity": sum(o.max_projects for o in good),
        "used": len(solution.assignments),
    }


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_kpis_recount_the_plan(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem)
    kpis = solution.kpis
    expected = _recount(problem, solution)
    assert (kpis.needs, kpis.served) == (len(problem.needs), expected["served"])
    assert kpis.share == pytest.approx(expected["served"] / max(1, len(problem.needs)))
    for by, tallies in (("category", kpis.by_category), ("tier", kpis.by_tier)):
        assert {k: t.needs for k, t in tallies.items()} == dict(expected["needs_by"][by])
        assert {k: t.served for k, t in tallies.items()} == dict(expected["served_by"][by])
    assert {k: t.needs for k, t in kpis.by_city.items()} == dict(expected["needs_by"]["city"])
    assert {k: t.served for k, t in kpis.by_city.items()} == dict(expected["served_by"]["city"])
    assert (kpis.organizations, kpis.engaged) == (len(problem.organizations), expected["engaged"])
    assert kpis.load == expected["load"]
    assert (kpis.capacity, kpis.used) == (expected["capacity"], expected["used"])
    shares = [
        expected["served_by"]["city"][c] / n
        for c, n in expected["needs_by"]["city"].items()
        if c != ""
    ]
    assert kpis.min_city_share == pytest.approx(min(shares, default=0.0))
    assert kpis.gini_city_share == pytest.approx(_gini(shares))


def _gini(values: list[float]) -> float:
    """Mean absolute difference over all ordered pairs, over twice the mean."""
    if not values or sum(values) == 0:
        return 0.0
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (n * n) / (2 * mean)


@pytest.mark.parametrize(
    "values", [[0.5, 0.5, 0.5], [0.0, 1.0], [0.0, 0.0, 1.0], [0.2, 0.9, 0.4, 0.4], [0.0], []]
)
def test_gini_is_the_mean_difference_over_twice_the_mean(values: list[float]) -> None:
    assert gini(values) == pytest.approx(_gini(values))
