"""The oracle of the candidate pairs: eligibility and scores re-derived one pair at a time in plain
Python from the pydantic objects, sharing no code with ``matcher.pairs.eligibility``,
``matcher.pairs.scoring`` or ``matcher.plan.verification``; and the hand-made documents the pair
tests share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import matcher
from conftest import build
from matcher.models import COMPONENTS
from matcher.pairs.eligibility import ineligibility, rule_name
from regions import chain

#: The rules the pair tests check, in the order they are documented to be checked (others may sit
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


# --- the oracle -------------------------------------------------------------------------------


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
    need_chain = [r.id for r in chain(problem, need.region)]
    if org.scope is not matcher.Scope.NATION:
        area = [r.id for r in chain(problem, org.home_region) if r.level.value == org.scope.value]
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
    regions = chain(problem, need.region)
    tier = next((r.priority for r in regions if r.priority is not None), matcher.Priority.NORMAL)

    def coordinates(region_id: str) -> tuple[float, float] | None:
        for r in chain(problem, region_id):
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
