"""Eligibility rules, score components and the candidate table, against an independent oracle.

The oracle below re-derives eligibility and scores one pair at a time in plain Python from the
pydantic objects, sharing no code with ``matcher.pairs.eligibility``, ``matcher.pairs.scoring`` or
``matcher.verify``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import matcher
from conftest import build
from matcher.models import COMPONENTS
from matcher.pairs.eligibility import RULES, ineligibility, rule_name
from matcher.pairs.scoring import components, weighted
from strategies import SMALL, TINY, documents, problems

# --- the oracle -------------------------------------------------------------------------------


def _chain(problem: matcher.Problem, region_id: str) -> list[matcher.Region]:
    by_id = {r.id: r for r in problem.regions}
    found = []
    current: str | None = region_id
    while current is not None:
        found.append(by_id[current])
        current = by_id[current].parent
    return found


def oracle_rule(problem: matcher.Problem, need: matcher.Need, org: matcher.Organization) -> str:
    """The first rule (in ``RULES`` order) that removes the pair, or ``""`` when it is eligible.

    With ``pair_scores`` the given pairs are the candidate set: only credit (a hard exclusion)
    and membership apply, not capability, scope or service regions (design: "exactly those
    pairs, with those scores").
    """
    if org.credit in problem.policy.barred_credit:
        return "credit"
    if problem.pair_scores is not None:
        listed = any(p.need_id == need.id and p.org_id == org.id for p in problem.pair_scores)
        return "" if listed else "pair_scores"
    if org.capabilities.get(need.category, 0.0) <= 0.0:
        return "capability"
    need_chain = [r.id for r in _chain(problem, need.region)]
    if org.scope is not matcher.Scope.NATION:
        area = [r.id for r in _chain(problem, org.home_region) if r.level.value == org.scope.value]
        if not area or area[0] not in need_chain:
            return "scope"
    if org.service_regions is not None and not set(org.service_regions) & set(need_chain):
        return "service_regions"
    return ""


def oracle_components(
    problem: matcher.Problem, need: matcher.Need, org: matcher.Organization
) -> dict[str, float]:
    """The seven score components of a pair, from their documented formulas."""
    policy = problem.policy
    chain = _chain(problem, need.region)
    tier = next((r.priority for r in chain if r.priority is not None), matcher.Priority.NORMAL)

    def coordinates(region_id: str) -> tuple[float, float] | None:
        for r in _chain(problem, region_id):
            if r.lat is not None and r.lon is not None:
                return r.lat, r.lon
        return None

    here, there = coordinates(need.region), coordinates(org.home_region)
    if here is None or there is None:
        proximity = 0.5
    else:
        (a, b), (c, d) = (math.radians(v) for v in here), (math.radians(v) for v in there)
        h = math.sin((c - a) / 2) ** 2 + math.cos(a) * math.cos(c) * math.sin((d - b) / 2) ** 2
        km = 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))
        proximity = math.exp(-km / policy.distance_scale_km)
    prior_w, prior_mean = policy.reputation_prior_weight, policy.reputation_prior_mean
    ratings = list(org.ratings)
    stars = (
        (prior_w * prior_mean + sum(ratings)) / (prior_w + len(ratings))
        if prior_w + len(ratings) > 0
        else prior_mean
    )
    previous = need.continues
    rated = previous.stars if previous is not None and previous.org_id == org.id else None
    return {
        "capability": org.capabilities.get(need.category, 0.0),
        "type_fit": 1.0 if org.org_type in matcher.PRIMARY_TYPES[need.category] else 0.0,
        "priority": policy.priority_values.get(tier, 0.0),
        "beneficiaries": min(
            1.0, math.log(1 + need.beneficiaries) / math.log(1 + policy.beneficiaries_reference)
        ),
        "vulnerable": len(set(need.vulnerable_groups)) / 6,
        "proximity": proximity,
        "reputation": (stars - 1) / 4,
        "continuity": 1.0 if rated is not None and rated >= 4 else 0.0,
        "discontinuity": -1.0 if rated is not None and rated <= 2 else 0.0,
    }


def oracle_score(problem: matcher.Problem, need: matcher.Need, org: matcher.Organization) -> float:
    if problem.pair_scores is not None:
        return next(
            p.score for p in problem.pair_scores if p.need_id == need.id and p.org_id == org.id
        )
    values = oracle_components(problem, need, org)
    return sum(getattr(problem.policy.weights, name) * values[name] for name in CORE_COMPONENTS)


def oracle_table(problem: matcher.Problem) -> list[tuple[str, str, float, dict[str, float]]]:
    """Eligible pairs in (need, organization) input order with score and components."""
    return [
        (need.id, org.id, oracle_score(problem, need, org), oracle_components(problem, need, org))
        for need in problem.needs
        for org in problem.organizations
        if not oracle_rule(problem, need, org)
    ]


def assert_table_matches_oracle(problem: matcher.Problem) -> None:
    table = matcher.candidates(problem)
    expected = oracle_table(problem)
    assert list(zip(table.need_id, table.org_id, strict=True)) == [
        (n, o) for n, o, _, _ in expected
    ]
    for row, (_, _, score, values) in zip(table.itertuples(), expected, strict=True):
        assert math.isclose(row.score, score, rel_tol=1e-9, abs_tol=1e-12)
        for name in COMPONENTS:
            expected = values.get(name, 0.0)
            assert math.isclose(getattr(row, name), expected, rel_tol=1e-9, abs_tol=1e-12), name


# --- hand-made documents ------------------------------------------------------------------------


def _org(org_id: str = "o", **fields: Any) -> dict[str, Any]:
    org = {
        "id": org_id,
        "org_type": "training",
        "scope": "province",
        "home_region": "P0",
        "capabilities": {"talent": 0.8},
        "max_projects": 1,
    }
    org.update(fields)
    return org


def _need(need_id: str = "n", **fields: Any) -> dict[str, Any]:
    need = {"id": need_id, "region": "K00", "category": "talent"}
    need.update(fields)
    return need


#: Two provinces; P0 has cities C0 (counties K00, K01; K00 has township T000) and C1 (county K10).
_REGIONS = [
    {"id": "P0", "level": "province"},
    {"id": "C0", "level": "city", "parent": "P0"},
    {"id": "K00", "level": "county", "parent": "C0"},
    {"id": "T000", "level": "township", "parent": "K00"},
    {"id": "K01", "level": "county", "parent": "C0"},
    {"id": "C1", "level": "city", "parent": "P0"},
    {"id": "K10", "level": "county", "parent": "C1"},
    {"id": "P1", "level": "province"},
    {"id": "C2", "level": "city", "parent": "P1"},
    {"id": "K20", "level": "county", "parent": "C2"},
]


def _problem(
    orgs: list[dict[str, Any]], needs: list[dict[str, Any]], **extra: Any
) -> matcher.Problem:
    regions = extra.pop("regions", _REGIONS)
    return build({"regions": regions, "organizations": orgs, "needs": needs, **extra})


def _rules(problem: matcher.Problem) -> dict[tuple[str, str], str | None]:
    """Rule name (or None) for every (need, organization) pair, from ``ineligibility``."""
    index = problem.index
    need, org = np.meshgrid(np.arange(index.n_needs), np.arange(index.n_orgs), indexing="ij")
    codes = ineligibility(problem, need.ravel(), org.ravel())
    return {
        (index.need_ids[n], index.org_ids[o]): rule_name(int(c))
        for n, o, c in zip(need.ravel(), org.ravel(), codes, strict=True)
    }


# --- eligibility rules, one at a time ---------------------------------------------------------


#: The rules this file tests, in the order they are documented to be checked (others may sit
#: between them).
CORE_RULES = ("credit", "pair_scores", "capability", "scope", "service_regions")

#: The score components the oracle knows; any other component must be 0 when the problem does
#: not use the feature behind it (the strategies use none).
CORE_COMPONENTS = (
    "capability",
    "type_fit",
    "priority",
    "beneficiaries",
    "vulnerable",
    "proximity",
    "reputation",
    "continuity",
    "discontinuity",
)


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


# --- score components on a hand-computed example ------------------------------------------------

# One degree of latitude along a meridian on the sphere matcher uses.
_ONE_DEGREE_KM = 6371.0088 * math.pi / 180


def _scored_problem(**policy: Any) -> matcher.Problem:
    regions = [
        {"id": "P", "level": "province", "lat": 37.0, "lon": 112.0},
        {"id": "C", "level": "city", "parent": "P", "priority": "former_poverty"},
        {"id": "K", "level": "county", "parent": "C", "lat": 38.0, "lon": 112.0},
        {"id": "T", "level": "township", "parent": "K", "priority": "key"},
        {"id": "Q", "level": "province"},
        {"id": "QC", "level": "city", "parent": "Q", "lat": 38.0},  # lat without lon: none
    ]
    orgs = [
        {
            "id": "farm",
            "org_type": "农业农村类",
            "scope": "province",
            "home_region": "C",  # inherits P's coordinates
            "capabilities": {"industry": 0.6, "talent": 0.25},
            "max_projects": 3,
            "ratings": [5, 5, 4],
        },
        {
            "id": "media",
            "org_type": "media",
            "scope": "province",
            "home_region": "Q",
            "capabilities": {"industry": 1.0},
        },
        {
            "id": "far",
            "org_type": "foundation",
            "scope": "city",
            "home_region": "QC",
            "capabilities": {"industry": 0.5},
        },
    ]
    needs = [
        {
            "id": "n1",
            "region": "K",
            "category": "产业帮扶",
            "beneficiaries": 99,
            "vulnerable_groups": ["orphans", "disabled", "orphans"],
            "continues": {"org_id": "farm", "stars": 5},
        },
        {
            "id": "n2",
            "region": "T",
            "category": "talent",
            "beneficiaries": 10**6,
            "continues": {"org_id": "farm", "stars": 3},
        },
        {
            "id": "n3",
            "region": "QC",
            "category": "industry",
            "continues": {"org_id": "far", "stars": 2},
        },
    ]
    return _problem(orgs, needs, regions=regions, policy=policy)


def test_score_components_by_hand() -> None:
    problem = _scored_problem()
    values = components(problem, [0, 1, 2, 2], [0, 0, 1, 2])
    as_dicts = [dict(zip(COMPONENTS, row.tolist(), strict=True)) for row in values]
    for row in as_dicts:
        assert all(row.pop(name) == 0.0 for name in COMPONENTS if name not in CORE_COMPONENTS)
    benefit = math.log(100) / math.log(10_001)
    proximity = math.exp(-_ONE_DEGREE_KM / 100.0)
    reputation = ((5 * 3.5 + 14) / 8 - 1) / 4  # 0.734375
    assert as_dicts[0] == pytest.approx(
        {
            "capability": 0.6,
            "type_fit": 1.0,  # agriculture is primary for industry
            "priority": 0.5,  # former_poverty, inherited from the city
            "beneficiaries": benefit,
            "vulnerable": 2 / 6,  # duplicates count once
            "proximity": proximity,  # K's own coordinates vs P's, inherited by C
            "reputation": reputation,
            "continuity": 1.0,  # follows up a 5-star project of this organization
            "discontinuity": 0.0,
        },
        rel=1e-12,
    )
    assert as_dicts[1] == pytest.approx(
        {
            "capability": 0.25,
            "type_fit": 0.0,  # agriculture is not primary for talent
            "priority": 1.0,  # the township's own tier wins over the city's
            "beneficiaries": 1.0,  # capped
            "vulnerable": 0.0,
            "proximity": proximity,  # T inherits K's coordinates
            "reputation": reputation,
            "continuity": 0.0,  # 3 stars: neither bonus nor malus
            "discontinuity": 0.0,
        },
        rel=1e-12,
    )
    # media: supporting type, no ratings (the prior alone), Q has no coordinates
    assert as_dicts[2] == pytest.approx(
        {
            "capability": 1.0,
            "type_fit": 0.0,
            "priority": 0.0,
            "beneficiaries": 0.0,
            "vulnerable": 0.0,
            "proximity": 0.5,
            "reputation": (3.5 - 1) / 4,
            "continuity": 0.0,  # n3 follows up another organization's project
            "discontinuity": 0.0,
        }
    )
    # QC has a latitude but no longitude: no coordinates, so proximity is neutral
    assert as_dicts[3]["proximity"] == 0.5
    assert as_dicts[3]["type_fit"] == 1.0  # foundation is primary for industry
    assert as_dicts[3]["discontinuity"] == -1.0  # n3 follows up a 2-star project of "far"
    assert as_dicts[3]["continuity"] == 0.0

    score = 4 * 0.6 + 2 * 1 + 3 * 0.5 + benefit + 2 / 6 + proximity + reputation + 2 * 1.0
    assert weighted(problem.policy, values)[0] == pytest.approx(score, rel=1e-12)
    table = matcher.candidates(problem)
    row = table[(table.need_id == "n1") & (table.org_id == "farm")].iloc[0]
    assert row.score == pytest.approx(score, rel=1e-12)
    assert list(table.columns) == ["need_id", "org_id", "score", *COMPONENTS]


def test_score_follows_the_policy() -> None:
    policy = {
        "weights": {"capability": 10, "type_fit": 0, "proximity": 0, "reputation": 2},
        "priority_values": {"key": 0.2},
        "distance_scale_km": 50,
        "beneficiaries_reference": 99,
        "reputation_prior_weight": 0,
    }
    problem = _scored_problem(**policy)
    values = dict(zip(COMPONENTS, components(problem, [0, 1], [0, 0])[0].tolist(), strict=True))
    assert values["priority"] == 0.0  # former_poverty is not listed: 0
    assert values["beneficiaries"] == pytest.approx(1.0)  # 99 people reach the reference
    assert values["proximity"] == pytest.approx(math.exp(-_ONE_DEGREE_KM / 50))
    assert values["reputation"] == pytest.approx((14 / 3 - 1) / 4)  # no prior: the plain mean
    expected = 10 * 0.6 + 3 * 0.0 + 1.0 + 2 / 6 + 2 * (14 / 3 - 1) / 4 + 2 * 1.0
    table = matcher.candidates(problem)
    assert table.score.iloc[0] == pytest.approx(expected)
    n2 = components(problem, [1], [0])[0]
    assert n2[COMPONENTS.index("priority")] == pytest.approx(0.2)


def test_reputation_with_no_prior_and_no_ratings_uses_the_prior_mean() -> None:
    problem = _scored_problem(reputation_prior_weight=0, reputation_prior_mean=5)
    values = components(problem, [2], [1])[0]
    assert values[COMPONENTS.index("reputation")] == 1.0


def test_hand_example_matches_the_oracle() -> None:
    assert_table_matches_oracle(_scored_problem())


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(problems(SMALL, pair_scores=False))
def test_candidate_table_matches_oracle(problem: matcher.Problem) -> None:
    """Pairs, scores and components equal the plain-Python oracle."""
    assert_table_matches_oracle(problem)


@settings(max_examples=60, deadline=None)
@given(problems(TINY, nation=False, pair_scores=False))
def test_candidate_table_matches_oracle_in_province_rooted_trees(
    problem: matcher.Problem,
) -> None:
    assert_table_matches_oracle(problem)


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


@settings(max_examples=150, deadline=None)
@given(documents(SMALL, pair_scores=True))
def test_pair_scores_are_the_candidate_set(document: dict[str, Any]) -> None:
    """With pair_scores the candidates are exactly the given pairs less barred-credit
    organizations, with the given scores (design: "exactly those pairs, with those scores")."""
    problem = matcher.Problem.model_validate(document)
    barred = {o.id for o in problem.organizations if o.credit in problem.policy.barred_credit}
    position = {n["id"]: i for i, n in enumerate(document["needs"])}
    org_position = {o["id"]: i for i, o in enumerate(document["organizations"])}
    expected = sorted(
        (
            (p["need_id"], p["org_id"], p["score"])
            for p in document["pair_scores"]
            if p["org_id"] not in barred
        ),
        key=lambda t: (position[t[0]], org_position[t[1]]),
    )
    table = matcher.candidates(problem)
    assert list(zip(table.need_id, table.org_id, table.score, strict=True)) == expected


@settings(max_examples=100, deadline=None)
@given(documents(SMALL, pair_scores=True))
def test_pair_scores_candidates_are_a_subset_with_given_scores(document: dict[str, Any]) -> None:
    """Whatever else is removed, every candidate is a given pair with its given score, and no
    barred organization appears."""
    problem = matcher.Problem.model_validate(document)
    given_scores = {(p["need_id"], p["org_id"]): p["score"] for p in document["pair_scores"]}
    barred = {o.id for o in problem.organizations if o.credit in problem.policy.barred_credit}
    table = matcher.candidates(problem)
    pairs = list(zip(table.need_id, table.org_id, table.score, strict=True))
    assert len(set((n, o) for n, o, _ in pairs)) == len(pairs)
    for need_id, org_id, score in pairs:
        assert given_scores[need_id, org_id] == score
        assert org_id not in barred


@settings(max_examples=100, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_table_is_sorted_and_components_in_range(problem: matcher.Problem) -> None:
    table = matcher.candidates(problem)
    need_pos = table.need_id.map(problem.index.need_position)
    org_pos = table.org_id.map(problem.index.org_position)
    keys = list(zip(need_pos, org_pos, strict=True))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for name in COMPONENTS:
        low, high = (-1.0, 0.0) if name == "discontinuity" else (0.0, 1.0)
        assert table[name].between(low, high).all(), name
    assert np.isfinite(table.score.to_numpy()).all()


@settings(max_examples=60, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_no_candidate_exclusions_count_every_organization(problem: matcher.Problem) -> None:
    """Unmet ``no_candidate`` needs list, per rule, the organizations it removes (first rule)."""
    solution = matcher.solve(problem, solver="greedy")
    by_id = {n.id: n for n in problem.needs}
    for unmet in solution.unmet:
        if unmet.reason != "no_candidate":
            continue
        need = by_id[unmet.need_id]
        expected = Counter(oracle_rule(problem, need, org) for org in problem.organizations)
        assert "" not in expected
        assert unmet.excluded == dict(expected)
        assert sum(unmet.excluded.values()) == len(problem.organizations)
