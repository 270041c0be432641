"""Domain models: vocabulary, the region hierarchy, immutability and the ways to build a problem."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import given, settings

import matcher
from conftest import build
from matcher import (
    PRIMARY_TYPES,
    Category,
    Credit,
    Level,
    OrgType,
    Priority,
    Scope,
    VulnerableGroup,
)
from matcher.models import SUPPORTING_TYPES, Hierarchy
from strategies import SMALL, TINY, documents, problems, simple_document

# --- vocabulary --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("industry", Category.INDUSTRY),
        ("产业帮扶", Category.INDUSTRY),
        ("产业", Category.INDUSTRY),
        ("Industry support", Category.INDUSTRY),
        ("industry SUPPORT", Category.INDUSTRY),
        ("  人才培养 ", Category.TALENT),
        ("就业帮扶", Category.EMPLOYMENT),
        ("扶弱济困", Category.VULNERABLE),
        ("消费帮扶", Category.CONSUMPTION),
        ("文旅振兴", Category.CULTURE_TOURISM),
        ("culture_tourism", Category.CULTURE_TOURISM),
        ("CULTURE_TOURISM", Category.CULTURE_TOURISM),
    ],
)
def test_category_accepts_ids_and_labels(text: str, member: Category) -> None:
    assert Category(text) is member


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("文化旅游类", OrgType.CULTURE_TOURISM),
        ("culture_tourism", OrgType.CULTURE_TOURISM),
        ("农业农村类", OrgType.AGRICULTURE),
        ("Agriculture and rural", OrgType.AGRICULTURE),
        ("基金会等慈善组织", OrgType.FOUNDATION),
        ("网络电商类", OrgType.ECOMMERCE),
        ("枢纽型", OrgType.HUB),
    ],
)
def test_org_type_accepts_ids_and_labels(text: str, member: OrgType) -> None:
    assert OrgType(text) is member


def test_other_vocabularies() -> None:
    assert Level("县") is Level.COUNTY
    assert Level("乡镇") is Level.TOWNSHIP
    assert Scope("全省性") is Scope.PROVINCE
    assert Scope("nation").level is Level.NATION
    assert Priority("重点帮扶地区") is Priority.KEY
    assert Priority("原贫困地区") is Priority.FORMER_POVERTY
    assert Credit("严重违法失信名单") is Credit.BLACKLISTED
    assert Credit("正常") is Credit.NORMAL
    assert VulnerableGroup("留守儿童") is VulnerableGroup.LEFT_BEHIND_CHILDREN
    assert [level.depth for level in Level] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("bad", ["", "food", "产业帮扶类", "industry_", 3, None])
def test_vocabulary_rejects_unknown_terms(bad: Any) -> None:
    with pytest.raises(ValueError):
        Category(bad)


def test_labels_in_both_languages() -> None:
    assert Category.INDUSTRY.label("zh") == "产业帮扶"
    assert Category.INDUSTRY.label("en") == "Industry support"
    assert Category.INDUSTRY.label() == "产业帮扶"
    assert OrgType.CULTURE_TOURISM.label("zh") == "文化旅游类"
    assert Category.CULTURE_TOURISM.label("zh") == "文旅振兴"
    assert Credit.NORMAL.label("en") == "In good standing"
    for vocabulary in (Category, OrgType, Level, Priority, Credit, VulnerableGroup, Scope):
        for member in vocabulary:
            zh, en = member.label("zh"), member.label("en")
            assert zh and en and zh != en
            # every label reads back as its own term
            assert vocabulary(zh) is member
            assert vocabulary(en) is member
            assert vocabulary(member.value) is member


def test_primary_types_are_data() -> None:
    assert set(PRIMARY_TYPES) == set(Category)
    assert PRIMARY_TYPES[Category.CULTURE_TOURISM] == {OrgType.CULTURE_TOURISM}
    assert OrgType.AGRICULTURE in PRIMARY_TYPES[Category.INDUSTRY]
    assert OrgType.ECOMMERCE in PRIMARY_TYPES[Category.CONSUMPTION]
    assert OrgType.PUBLIC_WELFARE in PRIMARY_TYPES[Category.VULNERABLE]
    primary = set().union(*PRIMARY_TYPES.values())
    assert OrgType.MEDIA in SUPPORTING_TYPES and OrgType.MEDIA not in primary
    assert OrgType.OTHER not in primary


# --- hierarchy ---------------------------------------------------------------------------------


def _tree() -> Hierarchy:
    regions = [
        matcher.Region(id="k2", level="county", parent="c1"),  # children may come first
        matcher.Region(id="p", level="province", priority="key", lat=37.0, lon=112.0),
        matcher.Region(id="c1", level="city", parent="p"),
        matcher.Region(id="k1", level="county", parent="c1", priority="normal"),
        matcher.Region(id="t1", level="township", parent="k1", lat=38.0, lon=113.0),
        matcher.Region(id="c2", level="city", parent="p", lat=36.0),  # no lon: no coordinates
        matcher.Region(id="v", level="village", parent="t1"),
        matcher.Region(id="q", level="province"),
    ]
    return Hierarchy.build(regions)


def test_hierarchy_ancestors_descendants_contains() -> None:
    tree = _tree()
    assert len(tree) == 8
    assert tree.ancestors("v") == ["p", "c1", "k1", "t1"]
    assert tree.ancestors("k2") == ["p", "c1"]
    assert tree.ancestors("p") == []
    assert tree.descendants("p") == ["k2", "c1", "k1", "t1", "c2", "v"]
    assert tree.descendants("k1") == ["t1", "v"]
    assert tree.descendants("q") == []
    assert tree.contains("p", "v") and tree.contains("c1", "k2")
    assert tree.contains("k1", "k1")
    assert not tree.contains("k2", "v")
    assert not tree.contains("v", "p")
    assert not tree.contains("q", "k1") and not tree.contains("p", "q")
    with pytest.raises(KeyError):
        tree.ancestors("nowhere")


def test_hierarchy_inherits_tiers_and_coordinates() -> None:
    tree = _tree()
    tier = {region_id: list(Priority)[t] for region_id, t in zip(tree.ids, tree.tier, strict=True)}
    assert tier == {
        "k2": Priority.KEY,
        "p": Priority.KEY,
        "c1": Priority.KEY,
        "k1": Priority.NORMAL,  # its own tier overrides the province's
        "t1": Priority.NORMAL,
        "c2": Priority.KEY,
        "v": Priority.NORMAL,
        "q": Priority.NORMAL,
    }
    at = {region_id: i for i, region_id in enumerate(tree.ids)}
    assert (tree.lat[at["k2"]], tree.lon[at["k2"]]) == (37.0, 112.0)
    assert (tree.lat[at["v"]], tree.lon[at["v"]]) == (38.0, 113.0)
    assert (tree.lat[at["c2"]], tree.lon[at["c2"]]) == (37.0, 112.0)  # half a pair: inherit
    assert math.isnan(tree.lat[at["q"]]) and math.isnan(tree.lon[at["q"]])


def test_hierarchy_vectorized_queries() -> None:
    tree = _tree()
    at = {region_id: i for i, region_id in enumerate(tree.ids)}
    inner = np.array([at["v"], at["k2"], at["q"], at["v"]])
    outer = np.array([at["c1"], at["k1"], at["p"], -1])
    assert tree.within(inner, outer).tolist() == [True, False, False, False]
    cities = tree.at_level(np.array([at["v"], at["p"], at["c2"]]), Level.CITY)
    assert cities.tolist() == [at["c1"], -1, at["c2"]]


@settings(max_examples=100, deadline=None)
@given(documents(SMALL))
def test_hierarchy_agrees_with_parent_walks(document: dict[str, Any]) -> None:
    problem = matcher.Problem.model_validate(document)
    tree = problem.index.hierarchy
    parent = {r.id: r.parent for r in problem.regions}

    def walk(region_id: str) -> list[str]:
        found = []
        current = parent[region_id]
        while current is not None:
            found.append(current)
            current = parent[current]
        return found[::-1]

    for region in problem.regions:
        assert tree.ancestors(region.id) == walk(region.id)
        expected = [r.id for r in problem.regions if region.id in walk(r.id)]
        assert tree.descendants(region.id) == expected
        for other in problem.regions:
            assert tree.contains(region.id, other.id) == (
                other.id == region.id or region.id in walk(other.id)
            )


# --- models -----------------------------------------------------------------------------------


def test_models_are_immutable(simple_problem: matcher.Problem) -> None:
    with pytest.raises(pydantic.ValidationError):
        simple_problem.needs[0].beneficiaries = 5  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        simple_problem.policy = matcher.Policy()  # type: ignore[misc]


def test_problem_lookups(simple_problem: matcher.Problem) -> None:
    assert simple_problem.region("K").name == "清徐县"
    assert simple_problem.organization("o2").max_projects == 2
    assert simple_problem.need("n3").category is Category.TALENT
    index = simple_problem.index
    assert (index.n_needs, index.n_orgs) == (3, 2)
    assert index.org_capacity.tolist() == [1, 2]


def test_defaults() -> None:
    org = matcher.Organization(
        id="o", org_type="training", scope="county", home_region="k", capabilities={}
    )
    assert org.max_projects == 1
    assert org.credit is Credit.NORMAL
    assert org.ratings == ()
    assert org.service_regions is None
    need = matcher.Need(id="n", region="k", category="talent")
    assert (need.beneficiaries, need.vulnerable_groups, need.title) == (0, (), "")
    policy = matcher.Policy()
    assert set(policy.barred_credit) == {Credit.ABNORMAL, Credit.BLACKLISTED}
    assert policy.priority_values == {
        Priority.KEY: 1.0,
        Priority.FORMER_POVERTY: 0.5,
        Priority.NORMAL: 0.0,
    }


def test_ids_are_stripped() -> None:
    document = simple_document()
    document["needs"][0]["region"] = "  K "
    document["organizations"][0]["id"] = " o1"
    problem = build(document)
    assert problem.needs[0].region == "K"
    assert problem.organizations[0].id == "o1"


# --- round trips ------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_problem_round_trips(problem: matcher.Problem) -> None:
    assert matcher.Problem.model_validate(problem.model_dump()) == problem
    assert matcher.Problem.model_validate(problem.model_dump(mode="json")) == problem
    assert matcher.Problem.from_json(problem.to_json()) == problem
    assert matcher.Problem.from_json(problem.to_json(indent=2).encode()) == problem


@settings(max_examples=30, deadline=None)
@given(documents(TINY, pair_scores=None))
def test_problem_from_a_file(tmp_path_factory: Any, document: dict[str, Any]) -> None:
    problem = matcher.Problem.model_validate(document)
    path = tmp_path_factory.mktemp("doc") / "problem.json"
    path.write_text(problem.to_json(indent=2), encoding="utf-8")
    assert matcher.Problem.from_json(path) == problem
    assert matcher.Problem.from_json(str(path)) == problem


def test_problem_json_accepts_chinese_terms() -> None:
    text = """{
      "regions": [{"id": "14", "name": "山西省", "level": "省"},
                  {"id": "1401", "name": "太原市", "level": "市", "parent": "14",
                   "priority": "重点帮扶地区"}],
      "organizations": [{"id": "o", "org_type": "文化旅游类", "scope": "全省性",
                         "home_region": "14", "capabilities": {"文旅振兴": 0.7},
                         "credit": "正常"}],
      "needs": [{"id": "n", "region": "1401", "category": "文旅振兴",
                 "vulnerable_groups": ["留守老人"]}]
    }"""
    problem = matcher.Problem.from_json(text)
    assert problem.organizations[0].org_type is OrgType.CULTURE_TOURISM
    assert problem.needs[0].category is Category.CULTURE_TOURISM
    assert problem.regions[1].priority is Priority.KEY
    assert len(matcher.candidates(problem)) == 1
    # output uses the English ids
    assert '"org_type":"culture_tourism"' in problem.to_json()


# --- frames -----------------------------------------------------------------------------------


def test_from_frames_builds_the_same_problem_as_a_dict() -> None:
    document = {
        "regions": [
            {"id": "P", "name": "山西省", "level": "province", "lat": 37.0, "lon": 112.0},
            {"id": "C", "name": "太原市", "level": "city", "parent": "P", "priority": "key"},
            {"id": "K", "name": "清徐县", "level": "county", "parent": "C"},
            {"id": "K2", "name": "阳曲县", "level": "county", "parent": "C"},
        ],
        "organizations": [
            {
                "id": "o1",
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"talent": 1.0, "industry": 0.5},
                "service_regions": ["K", "K2"],
                "ratings": [5, 4],
                "max_projects": 2,
            },
            {
                "id": "o2",
                "org_type": "agriculture",
                "scope": "city",
                "home_region": "C",
                "capabilities": {"industry": 0.3},
                "credit": "abnormal",
            },
        ],
        "needs": [
            {
                "id": "n1",
                "region": "K",
                "category": "talent",
                "vulnerable_groups": ["orphans", "disabled"],
                "beneficiaries": 40,
            },
            {"id": "n2", "region": "C", "category": "industry"},
        ],
        "policy": {"weights": {"priority": 5}},
        "pair_scores": [
            {"need_id": "n1", "org_id": "o1", "score": 2.5},
            {"need_id": "n2", "org_id": "o2", "score": -1.0},
        ],
    }
    regions = pd.DataFrame(document["regions"])
    organizations = pd.DataFrame(
        [
            {
                "id": "o1",
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capability_talent": 1.0,
                "capability_industry": 0.5,
                "service_regions": "K; K2",
                "ratings": "5;4",
                "max_projects": 2,
                "credit": None,
            },
            {
                "id": "o2",
                "org_type": "agriculture",
                "scope": "city",
                "home_region": "C",
                "capability_talent": None,
                "capability_industry": 0.3,
                "service_regions": None,
                "ratings": None,
                "max_projects": None,
                "credit": "abnormal",
            },
        ]
    )
    needs = pd.DataFrame(
        [
            {
                "id": "n1",
                "region": "K",
                "category": "talent",
                "vulnerable_groups": "orphans;disabled",
                "beneficiaries": 40,
            },
            {
                "id": "n2",
                "region": "C",
                "category": "industry",
                "vulnerable_groups": None,
                "beneficiaries": None,
            },
        ]
    )
    from_frames = matcher.Problem.from_frames(
        regions,
        organizations,
        needs,
        policy={"weights": {"priority": 5}},
        pair_scores=pd.DataFrame(document["pair_scores"]),
    )
    assert from_frames == build(document)
    assert matcher.solve(from_frames).to_json() == matcher.solve(build(document)).to_json()


def test_from_frames_reports_issues_with_paths() -> None:
    regions = pd.DataFrame({"id": ["P"], "level": ["province"]})
    organizations = pd.DataFrame(
        {
            "id": ["o1"],
            "org_type": ["training"],
            "scope": ["province"],
            "home_region": ["nowhere"],
            "capability_talent": [1.5],
        }
    )
    needs = pd.DataFrame({"id": ["n1"], "region": ["P"], "category": ["talent"]})
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.from_frames(regions, organizations, needs)
    assert [i.path for i in caught.value.issues] == [
        "organizations[0].capabilities.talent",
        "organizations[0].home_region",
    ]


def test_problem_json_is_the_same_in_every_process() -> None:
    """``Problem.to_json`` must not depend on the interpreter's string-hash seed (sets inside the
    model, such as ``policy.barred_credit``, are written in a fixed order)."""
    document = simple_document()
    document["policy"] = {"barred_credit": ["normal", "blacklisted", "abnormal"]}
    program = (
        "import json, sys, matcher\n"
        "print(matcher.Problem.model_validate(json.loads(sys.stdin.read())).to_json())\n"
    )
    outputs = set()
    for seed in ("1", "2", "3", "4", "5"):
        run = subprocess.run(
            [sys.executable, "-c", program],
            input=json.dumps(document),
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1, outputs
