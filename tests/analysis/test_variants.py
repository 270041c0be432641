"""What-if variants: each one-liner returns a new valid problem and leaves the original alone."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import matcher
from matcher import variants
from matcher.analysis.variants import Variant
from matcher.errors import OptionError, ProblemError


@pytest.fixture(scope="module")
def base() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)


@pytest.fixture(scope="module")
def with_pairs(base: matcher.Problem) -> matcher.Problem:
    """The base with pair lists naming the first organizations and needs."""
    plan = matcher.solve(base)
    first = plan.assignments[:3]
    return base.replace(
        pinned=[{"need_id": first[0].need_id, "org_id": first[0].org_id}],
        pending=[{"need_id": first[1].need_id, "org_id": first[1].org_id}],
        declined=[{"need_id": first[2].need_id, "org_id": first[2].org_id}],
    )


def _snapshot(problem: matcher.Problem) -> str:
    return problem.to_json()


# --- removing -------------------------------------------------------------------------------------


def test_without_organizations_removes_them_and_their_pairs(with_pairs: matcher.Problem) -> None:
    before = _snapshot(with_pairs)
    pinned_org = with_pairs.pinned[0].org_id
    result = variants.without_organizations(with_pairs, [pinned_org])
    assert pinned_org not in {o.id for o in result.organizations}
    assert len(result.organizations) == len(with_pairs.organizations) - 1
    assert all(p.org_id != pinned_org for p in (*result.pinned, *result.pending, *result.declined))
    assert _snapshot(with_pairs) == before  # the original is untouched
    assert matcher.verify(result, matcher.solve(result)) == []


def test_without_organizations_takes_one_id_as_text(base: matcher.Problem) -> None:
    org_id = base.organizations[5].id
    assert [o.id for o in variants.without_organizations(base, org_id).organizations] == [
        o.id for o in base.organizations if o.id != org_id
    ]


def test_unknown_ids_are_an_error_never_ignored(base: matcher.Problem) -> None:
    with pytest.raises(OptionError, match="unknown organization ids: 'nope', 'zzz'"):
        variants.without_organizations(base, ["zzz", base.organizations[0].id, "nope"])
    with pytest.raises(OptionError, match="unknown need id: 'nope'"):
        variants.without_needs(base, "nope")
    with pytest.raises(OptionError, match="unknown region id"):
        variants.update_regions(base, {"nope": {"lat": 1.0}})


def test_without_needs_drops_pair_scores_of_the_need(base: matcher.Problem) -> None:
    table = matcher.candidates(base).head(20)
    scored = base.replace(pair_scores=table[["need_id", "org_id", "score"]].to_dict("records"))
    gone = table["need_id"].iloc[0]
    result = variants.without_needs(scored, [gone])
    assert result.pair_scores is not None
    assert all(p.need_id != gone for p in result.pair_scores)
    assert len(result.needs) == len(base.needs) - 1


def test_filters_keep_what_passes(base: matcher.Problem) -> None:
    counties = variants.filter_organizations(base, lambda o: o.scope.value == "county")
    assert {o.scope.value for o in counties.organizations} == {"county"}
    key_only = variants.filter_needs(base, lambda n: base.region(n.region).priority is not None)
    assert 0 < len(key_only.needs) <= len(base.needs)


# --- adding ---------------------------------------------------------------------------------------


def test_add_organizations_from_dicts_models_and_chinese_frames(base: matcher.Problem) -> None:
    as_dict = {
        "id": "X1",
        "org_type": "foundation",
        "scope": "province",
        "home_region": "140000",
        "capabilities": {"vulnerable": 0.9},
        "max_projects": 4,
    }
    model = matcher.Organization.model_validate({**as_dict, "id": "X2"})
    frame = pd.DataFrame(
        {
            "组织编号": ["X3"],
            "组织名称": ["山西省新基金会"],
            "组织类型": ["基金会等慈善组织"],
            "登记级别": ["全省性"],
            "登记地区": [140000],
            "能力_扶弱济困": [0.7],
            "最多承接项目数": [2.0],
        }
    )
    result = variants.add_organizations(variants.add_organizations(base, [as_dict, model]), frame)
    assert [o.id for o in result.organizations[-3:]] == ["X1", "X2", "X3"]
    added = result.organization("X3")
    assert (added.home_region, added.max_projects, added.name) == ("140000", 2, "山西省新基金会")
    assert len(base.organizations) == 50


def test_add_organizations_with_a_taken_id_names_the_path(base: matcher.Problem) -> None:
    taken = base.organizations[0].model_dump()
    with pytest.raises(ProblemError) as error:
        variants.add_organizations(base, [taken])
    assert any("duplicate id" in issue.message for issue in error.value.issues)
    assert error.value.issues[0].path == "organizations[50].id"


def test_add_needs_and_regions(base: matcher.Problem) -> None:
    more = variants.add_regions(
        base, [{"id": "140123101", "name": "杜交曲镇", "level": "township", "parent": "140123"}]
    )
    more = variants.add_needs(
        more,
        pd.DataFrame(
            {
                "需求编号": ["X1"],
                "所在地区": ["140123101"],
                "帮扶类别": ["产业帮扶"],
                "受益人数": ["300"],
            }
        ),
    )
    need = more.need("X1")
    assert (need.region, need.beneficiaries, need.category.value) == ("140123101", 300, "industry")
    # The township inherits its county's key tier.
    assert more.index.hierarchy.tier[more.index.hierarchy.index("140123101")] == 0
    assert len(base.needs) == 200


# --- changing -------------------------------------------------------------------------------------


def test_update_organizations_and_needs(base: matcher.Problem) -> None:
    org, need = base.organizations[0], base.needs[0]
    result = variants.update_organizations(base, {org.id: {"credit": "严重违法失信名单"}})
    assert result.organization(org.id).credit.value == "blacklisted"
    assert result.organization(org.id).capabilities == org.capabilities
    assert org.id not in {a.org_id for a in matcher.solve(result).assignments}
    result = variants.update_needs(base, {need.id: {"category": "文旅振兴", "beneficiaries": 7}})
    assert (result.need(need.id).category.value, result.need(need.id).beneficiaries) == (
        "culture_tourism",
        7,
    )
    with pytest.raises(ProblemError, match=r"organizations\[0\]\.max_projects"):
        variants.update_organizations(base, {org.id: {"max_projects": -1}})


def test_with_region_priority_makes_key_counties(base: matcher.Problem) -> None:
    normal = [r.id for r in base.regions if r.priority is not None and r.priority.value == "normal"]
    result = variants.with_region_priority(base, {normal[0]: "key", normal[1]: "重点帮扶地区"})
    assert {result.region(r).priority.value for r in normal[:2]} == {"key"}  # type: ignore[union-attr]
    before = matcher.solve(base).kpis.by_tier[matcher.Priority.KEY].needs
    after = matcher.solve(result).kpis.by_tier[matcher.Priority.KEY].needs
    assert after >= before


def test_with_capacity_by_id_or_by_factor(base: matcher.Problem) -> None:
    org = base.organizations[0]
    assert variants.with_capacity(base, {org.id: 9}).organization(org.id).max_projects == 9
    doubled = variants.with_capacity(base, 2.0)
    assert [o.max_projects for o in doubled.organizations] == [
        2 * o.max_projects for o in base.organizations
    ]
    with pytest.raises(ProblemError):
        variants.with_capacity(base, {org.id: 1.5})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [("round", [2, 2, 3, 3]), ("floor", [1, 2, 2, 3]), ("ceil", [2, 2, 3, 3])],
)
def test_scale_capacity_rounds(base: matcher.Problem, rounding: str, expected: list[int]) -> None:
    four = base.replace(
        organizations=[
            o.model_copy(update={"max_projects": k})
            for o, k in zip(base.organizations[:4], [3, 4, 5, 6], strict=True)
        ]
    )
    result = variants.scale_capacity(four, 0.5, rounding=rounding)  # type: ignore[arg-type]
    assert [o.max_projects for o in result.organizations] == expected


def test_scale_capacity_of_some_organizations(base: matcher.Problem) -> None:
    ids = [base.organizations[1].id]
    by_id = variants.scale_capacity(base, 3, organizations=ids)
    by_test = variants.scale_capacity(base, 3, organizations=lambda o: o.id in ids)
    assert by_id == by_test
    changed = [o.id for o, p in zip(by_id.organizations, base.organizations, strict=True) if o != p]
    assert changed == ids


@pytest.mark.parametrize("factor", [-1, float("nan"), float("inf"), True, "2"])
def test_scale_capacity_rejects_bad_factors(base: matcher.Problem, factor: object) -> None:
    with pytest.raises(OptionError, match="factor"):
        variants.scale_capacity(base, factor)  # type: ignore[arg-type]


def test_scale_capacity_rejects_unknown_rounding(base: matcher.Problem) -> None:
    with pytest.raises(OptionError, match="rounding"):
        variants.scale_capacity(base, 2, rounding="banker")  # type: ignore[arg-type]


def test_with_weights_and_with_policy(base: matcher.Problem) -> None:
    result = variants.with_weights(base, priority=9, proximity=0)
    assert (result.policy.weights.priority, result.policy.weights.proximity) == (9, 0)
    assert result.policy.weights.capability == base.policy.weights.capability
    assert variants.with_policy(base, distance_scale_km=40).policy.distance_scale_km == 40
    with pytest.raises(ProblemError, match="unknown field"):
        variants.with_weights(base, bogus=1)


# --- recipes --------------------------------------------------------------------------------------


def test_variant_chains_steps_and_keeps_params(base: matcher.Problem) -> None:
    dropped = [o.id for o in base.organizations[:10]]
    recipe = (
        Variant("ten drop out", params={"dropped": 10})
        .then(variants.without_organizations, dropped)
        .then(variants.with_weights, priority=6)
    )
    result = recipe.apply(base)
    assert len(result.organizations) == 40
    assert result.policy.weights.priority == 6
    assert recipe(base) == result
    assert recipe.params == {"dropped": 10}
    assert Variant("same").apply(base) is base


def test_variants_pickle_for_process_pools(base: matcher.Problem) -> None:
    recipe = Variant("x").then(variants.scale_capacity, 0.5).then(variants.with_weights, priority=2)
    copy = pickle.loads(pickle.dumps(recipe))
    assert copy == recipe
    assert copy.apply(base) == recipe.apply(base)
    assert pickle.loads(pickle.dumps(base)) == base


def test_variant_steps_must_return_problems(base: matcher.Problem) -> None:
    with pytest.raises(OptionError, match="must be callable"):
        Variant("x").then("scale")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="returned int"):
        Variant("x").then(lambda p: 1).apply(base)


def test_from_policy_names_and_flattens() -> None:
    recipe = Variant.from_policy(
        {"weights": {"priority": 6, "proximity": 0}, "distance_scale_km": 50}
    )
    assert recipe.params == {
        "weights.priority": 6,
        "weights.proximity": 0,
        "distance_scale_km": 50,
    }
    assert recipe.name == "weights.priority=6, weights.proximity=0, distance_scale_km=50"
    assert Variant.from_policy({"weights": {"priority": 1}}, name="p1").name == "p1"


def test_policy_grid_is_a_row_major_product(base: matcher.Problem) -> None:
    grid = variants.policy_grid(
        {"priority": np.array([0.0, 6.0]), "distance_scale_km": [50, 100, 200]}
    )
    assert len(grid) == 6
    assert [v.params for v in grid[:3]] == [
        {"weights.priority": 0.0, "distance_scale_km": 50},
        {"weights.priority": 0.0, "distance_scale_km": 100},
        {"weights.priority": 0.0, "distance_scale_km": 200},
    ]
    assert type(grid[0].params["weights.priority"]) is float  # numpy scalars become floats
    problem = grid[-1].apply(base)
    assert (problem.policy.weights.priority, problem.policy.distance_scale_km) == (6, 200)
    with pytest.raises(OptionError, match="at least one value"):
        variants.policy_grid({"priority": []})
