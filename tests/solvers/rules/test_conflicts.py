"""Why hard rules cannot all hold (``matcher.solvers.rules.conflicts``): the pre-checks' figures
against a recount, and the CP-SAT core checked for minimality by solving without each rule."""

from __future__ import annotations

from typing import Any

import pytest

import matcher


def _shanxi(n_needs: int, n_orgs: int, **rules: Any) -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=n_needs, n_orgs=n_orgs).with_policy(rules=rules)


@pytest.mark.parametrize("wanted", [78, 1000])
def test_a_floor_above_the_needs_with_a_candidate_is_found_before_any_search(wanted: int) -> None:
    problem = _shanxi(100, 30, program={"min_served": wanted})
    have = matcher.candidates(problem).need_id.nunique()  # needs with at least one candidate
    assert have < wanted
    solution = matcher.solve(problem)
    assert solution.status == "infeasible"
    (conflict,) = solution.conflicts
    assert conflict.rules == ("program:all:min",)
    assert conflict.message_en == (
        f"all needs must get at least {wanted} served needs, but only {have} of its needs "
        "have a candidate"
    )
    assert f"至少需要满足 {wanted} 项需求" in conflict.message_zh


#: Each alone can hold; together they cannot (300,000 yuan pays for fewer than 20 organizations).
#: The talent quota holds alongside both and must stay out of the core.
RULES: dict[str, dict[str, Any]] = {
    "money:total_fund": {"money": {"total_fund": 300_000}},
    "program:min_organizations": {"program": {"min_organizations": 20}},
    "categories:talent": {"categories": [{"category": "talent", "max_served": 30}]},
}


def test_the_core_is_minimal_and_leaves_out_rules_that_hold() -> None:
    everything = {k: v for rule in RULES.values() for k, v in rule.items()}
    solution = matcher.solve(_shanxi(200, 60, **everything), time_limit=20)
    assert solution.status == "infeasible"
    (conflict,) = solution.conflicts
    assert set(conflict.rules) == {"money:total_fund", "program:min_organizations"}
    for dropped in conflict.rules:  # each rule of the core is needed for the conflict
        kept = {k: v for name, rule in RULES.items() if name != dropped for k, v in rule.items()}
        assert matcher.solve(_shanxi(200, 60, **kept), time_limit=20).status != "infeasible"
    assert "300,000" in conflict.message_en and "20 organizations" in conflict.message_en
