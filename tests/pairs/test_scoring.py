"""Score components (``matcher.pairs.scoring``) on a hand-computed example and against the
plain-Python oracle of ``pair_oracle``."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pair_oracle import (
    CORE_COMPONENTS,
    _problem,
    assert_table_matches_oracle,
)

import matcher
from matcher.models import COMPONENTS
from matcher.pairs.scoring import components, weighted

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
