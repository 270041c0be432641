"""Eligibility rules (``matcher.pairs.eligibility``) one at a time on hand-made documents, and rule
by rule against the plain-Python oracle of ``pair_oracle``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from pair_oracle import (
    _REGIONS,
    CORE_RULES,
    _need,
    _org,
    _problem,
    _rules,
    oracle_rule,
)

import matcher
from matcher.pairs.eligibility import RULES, ineligibility, rule_name
from strategies import SMALL, problems

# --- eligibility rules, one at a time ---------------------------------------------------------


def test_rule_codes_round_trip() -> None:
    assert [rule for rule in RULES if rule in CORE_RULES] == list(CORE_RULES)
    assert rule_name(0) is None
    assert [rule_name(i + 1) for i in range(len(RULES))] == list(RULES)


@pytest.mark.parametrize(
    ("credit", "policy", "expected"),
    [
        ("normal", {}, None),
        ("abnormal", {}, "credit"),
        ("blacklisted", {}, "credit"),
        ("活动异常名录", {}, "credit"),
        ("blacklisted", {"barred_credit": []}, None),
        ("abnormal", {"barred_credit": ["blacklisted"]}, None),
        ("normal", {"barred_credit": ["normal"]}, "credit"),
    ],
)
def test_credit_rule(credit: str, policy: dict[str, Any], expected: str | None) -> None:
    problem = _problem([_org(credit=credit)], [_need()], policy=policy)
    assert _rules(problem) == {("n", "o"): expected}
    assert len(matcher.candidates(problem)) == (0 if expected else 1)


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        ({"talent": 0.8}, None),
        ({"talent": 1e-9}, None),
        ({"talent": 0.0}, "capability"),
        ({"industry": 1.0}, "capability"),
        ({}, "capability"),
    ],
)
def test_capability_rule(capabilities: dict[str, float], expected: str | None) -> None:
    problem = _problem([_org(capabilities=capabilities)], [_need()])
    assert _rules(problem) == {("n", "o"): expected}


@pytest.mark.parametrize(
    ("scope", "home", "need_region", "expected"),
    [
        # province: anywhere in the home province, nowhere else
        ("province", "P0", "T000", None),
        ("province", "P0", "K10", None),
        ("province", "P0", "P0", None),
        ("province", "K01", "K10", None),
        ("province", "P0", "K20", "scope"),
        ("province", "P0", "P1", "scope"),
        # city: anywhere in the city that contains the home region
        ("city", "C0", "K00", None),
        ("city", "C0", "T000", None),
        ("city", "K01", "T000", None),
        ("city", "C0", "C0", None),
        ("city", "C0", "K10", "scope"),
        ("city", "C0", "P0", "scope"),
        # county
        ("county", "K00", "T000", None),
        ("county", "T000", "K00", None),
        ("county", "K00", "K01", "scope"),
        ("county", "K00", "C0", "scope"),
    ],
)
def test_scope_rule(scope: str, home: str, need_region: str, expected: str | None) -> None:
    problem = _problem([_org(scope=scope, home_region=home)], [_need(region=need_region)])
    assert _rules(problem) == {("n", "o"): expected}


@pytest.mark.parametrize("need_region", ["N", "P0", "C0", "T000", "K10", "K20", "P1"])
def test_nation_scope_with_a_nation_root(need_region: str) -> None:
    regions = [{"id": "N", "level": "nation"}] + [
        {**r, "parent": "N"} if r["level"] == "province" else r for r in _REGIONS
    ]
    problem = _problem(
        [_org(scope="nation", home_region="K00")], [_need(region=need_region)], regions=regions
    )
    assert _rules(problem) == {("n", "o"): None}


@pytest.mark.parametrize("need_region", ["P0", "T000", "K20"])
def test_nation_scope_without_a_nation_region_serves_everywhere(need_region: str) -> None:
    """A nationally registered organization works anywhere, also in a tree rooted at provinces.

    The validator accepts such a document (nation scope needs no nation region) and
    ``matcher.verify`` accepts the pair, so the candidate table must offer it too.
    """
    problem = _problem([_org(scope="nation", home_region="P0")], [_need(region=need_region)])
    assert _rules(problem) == {("n", "o"): None}
    assert len(matcher.candidates(problem)) == 1
    assert matcher.solve(problem).kpis.served == 1


@pytest.mark.parametrize(
    ("service", "need_region", "expected"),
    [
        (None, "K10", None),
        (["K00"], "K00", None),
        (["K00"], "T000", None),
        (["C0"], "T000", None),
        (["K00"], "K01", "service_regions"),
        (["K00"], "C0", "service_regions"),
        (["K01", "K10"], "K10", None),
        ([], "K00", "service_regions"),
        # service regions never widen the scope: scope fails first
        (["K20"], "K20", "scope"),
    ],
)
def test_service_regions_rule(service: list[str] | None, need_region: str, expected: str) -> None:
    org = _org() if service is None else _org(service_regions=service)
    problem = _problem([org], [_need(region=need_region)])
    assert _rules(problem) == {("n", "o"): expected}


def test_pair_scores_membership_rule() -> None:
    problem = _problem(
        [_org("a"), _org("b"), _org("c", credit="blacklisted")],
        [_need("n1"), _need("n2")],
        pair_scores=[
            {"need_id": "n1", "org_id": "a", "score": 3.0},
            {"need_id": "n2", "org_id": "b", "score": -1.0},
            {"need_id": "n2", "org_id": "c", "score": 9.0},
        ],
    )
    assert _rules(problem) == {
        ("n1", "a"): None,
        ("n1", "b"): "pair_scores",
        ("n1", "c"): "credit",  # credit is checked before membership
        ("n2", "a"): "pair_scores",
        ("n2", "b"): None,
        ("n2", "c"): "credit",
    }
    table = matcher.candidates(problem)
    assert list(zip(table.need_id, table.org_id, table.score, strict=True)) == [
        ("n1", "a", 3.0),
        ("n2", "b", -1.0),
    ]


def test_empty_pair_scores_means_no_candidates() -> None:
    problem = _problem([_org()], [_need()], pair_scores=[])
    assert _rules(problem) == {("n", "o"): "pair_scores"}
    assert matcher.candidates(problem).empty


def test_first_failing_rule_is_reported() -> None:
    org = _org(credit="abnormal", capabilities={}, scope="county", home_region="K01")
    problem = _problem([org], [_need(region="K20")])
    assert _rules(problem) == {("n", "o"): "credit"}
    org = _org(capabilities={}, scope="county", home_region="K01", service_regions=[])
    problem = _problem([org], [_need(region="K20")])
    assert _rules(problem) == {("n", "o"): "capability"}


def test_ineligibility_broadcasts() -> None:
    problem = _problem([_org("a"), _org("b", capabilities={})], [_need("n1"), _need("n2")])
    codes = ineligibility(problem, np.array([[0], [1]]), np.array([0, 1]))
    assert codes.shape == (2, 2)
    assert [[rule_name(int(c)) for c in row] for row in codes] == [
        [None, "capability"],
        [None, "capability"],
    ]


@settings(max_examples=150, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_ineligibility_matches_oracle_rule_by_rule(problem: matcher.Problem) -> None:
    """The first failing rule of every pair, in the documented order."""
    index = problem.index
    for n, need in enumerate(problem.needs):
        codes = ineligibility(problem, n, np.arange(index.n_orgs))
        for org, code in zip(problem.organizations, codes.tolist(), strict=True):
            expected = oracle_rule(problem, need, org) or None
            assert rule_name(code) == expected, (need.id, org.id)
