"""Tests of the synthetic provinces: determinism, Shanxi's structure, realistic mixes, scaling."""

from __future__ import annotations

import doctest
from collections import Counter
from functools import cache

import numpy as np
import pytest

from matcher import synth
from matcher.errors import OptionError
from matcher.models import (
    PRIMARY_TYPES,
    Category,
    Credit,
    Level,
    OrgType,
    Priority,
    Problem,
    Scope,
)

SHANXI_CITIES = {
    "140100": ("太原市", 10),
    "140200": ("大同市", 10),
    "140300": ("阳泉市", 5),
    "140400": ("长治市", 12),
    "140500": ("晋城市", 6),
    "140600": ("朔州市", 6),
    "140700": ("晋中市", 11),
    "140800": ("运城市", 13),
    "140900": ("忻州市", 14),
    "141000": ("临汾市", 17),
    "141100": ("吕梁市", 13),
}
NORTH_WEST = {"140900", "141100", "140200", "141000"}  # 忻州, 吕梁, 大同, 临汾


@cache
def default() -> Problem:
    return synth.shanxi()


@cache
def medium() -> Problem:
    """One province, more organizations than the default, for steadier shares."""
    return synth.shanxi(seed=11, n_needs=2500, n_orgs=600)


@cache
def national() -> Problem:
    """The 10k x 2k rung of the benchmark ladder: 3 provinces with townships."""
    return synth.generate(10_000, 2_000, seed=5)


def regions_at(problem: Problem, level: Level) -> list[str]:
    return [r.id for r in problem.regions if r.level is level]


def candidates_per_need(problem: Problem) -> np.ndarray:
    """How many organizations may take each need (credit, capability, scope, service regions)."""
    ix = problem.index
    tree = ix.hierarchy
    need = np.arange(ix.n_needs)[:, None]
    org = np.arange(ix.n_orgs)[None, :]
    ok = (ix.org_credit[org] == list(Credit).index(Credit.NORMAL)) & (
        ix.org_capability[org, ix.need_category[need]] > 0
    )
    depth = ix.org_scope_depth[org]
    region = ix.need_region[need]
    ok &= tree.ancestor_at[region, depth] == tree.ancestor_at[ix.org_home[org], depth]
    served = np.zeros(ok.shape, bool)
    for o, r in zip(ix.service_org.tolist(), ix.service_region.tolist(), strict=True):
        served[:, o] |= tree.within(ix.need_region, np.full(ix.n_needs, r))
    ok &= ~ix.org_has_service[org] | served
    return np.asarray(ok.sum(axis=1))


# --- determinism ----------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_json() -> None:
    assert synth.shanxi().model_dump_json() == default().model_dump_json()
    first = synth.generate(300, 60, seed=4, n_provinces=3, townships=True)
    again = synth.generate(300, 60, seed=4, n_provinces=3, townships=True)
    assert first.model_dump_json() == again.model_dump_json()


def test_different_seeds_differ_but_share_the_regions() -> None:
    other = synth.shanxi(seed=1)
    assert other.model_dump_json() != default().model_dump_json()
    assert other.needs != default().needs
    assert other.organizations != default().organizations
    assert other.regions == default().regions


def test_shanxi_is_generate_with_one_province() -> None:
    assert (
        synth.generate(300, 60, seed=9, n_provinces=1).model_dump_json()
        == synth.shanxi(9, n_needs=300, n_orgs=60).model_dump_json()
    )


def test_organizations_do_not_depend_on_the_number_of_needs_except_capacity() -> None:
    a = synth.shanxi(seed=2, n_needs=300, n_orgs=50).organizations
    b = synth.shanxi(seed=2, n_needs=600, n_orgs=50).organizations
    assert [(o.id, o.org_type, o.home_region, o.capabilities) for o in a] == [
        (o.id, o.org_type, o.home_region, o.capabilities) for o in b
    ]


def test_module_examples_run() -> None:
    result = doctest.testmod(synth)
    assert result.failed == 0 and result.attempted > 0


# --- Shanxi's structure ---------------------------------------------------------------------------


def test_shanxi_has_one_province_eleven_cities_and_117_counties() -> None:
    problem = default()
    (province,) = [r for r in problem.regions if r.level is Level.PROVINCE]
    assert (province.id, province.name, province.parent) == ("140000", "山西省", None)
    assert not regions_at(problem, Level.NATION)
    assert not regions_at(problem, Level.TOWNSHIP)
    cities = {r.id: r for r in problem.regions if r.level is Level.CITY}
    assert {c: (r.name) for c, r in cities.items()} == {c: n for c, (n, _) in SHANXI_CITIES.items()}
    assert all(r.parent == "140000" for r in cities.values())
    counties = [r for r in problem.regions if r.level is Level.COUNTY]
    assert len(counties) == 117
    assert len({r.id for r in counties}) == 117
    per_city = Counter(r.parent for r in counties)
    assert per_city == {c: k for c, (_, k) in SHANXI_CITIES.items()}
    for county in counties:
        assert county.id.isdigit() and len(county.id) == 6
        assert county.id[:4] == county.parent[:4]  # type: ignore[index]
        assert county.name
        city = cities[county.parent]  # type: ignore[index]
        assert county.lat is not None and county.lon is not None
        assert city.lat is not None and city.lon is not None
        assert abs(county.lat - city.lat) < 0.5 and abs(county.lon - city.lon) < 0.5
    assert problem.region("140121").name == "清徐县"
    assert problem.region("140181").name == "古交市"


def test_shanxi_priority_tiers() -> None:
    counties = [r for r in default().regions if r.level is Level.COUNTY]
    tiers = Counter(r.priority for r in counties)
    assert tiers[Priority.KEY] + tiers[Priority.FORMER_POVERTY] == 58
    assert 20 <= tiers[Priority.KEY] <= 25
    assert tiers[Priority.NORMAL] == 117 - 58
    key_cities = Counter(r.parent for r in counties if r.priority is Priority.KEY)
    assert sum(key_cities[c] for c in NORTH_WEST) >= 0.7 * tiers[Priority.KEY]


def test_needs_favour_key_and_former_poverty_counties() -> None:
    problem = medium()
    tier = {r.id: r.priority for r in problem.regions if r.level is Level.COUNTY}
    per_county = Counter(n.region for n in problem.needs)
    mean = {
        t: np.mean([per_county[c] for c, ct in tier.items() if ct is t])
        for t in (Priority.KEY, Priority.FORMER_POVERTY, Priority.NORMAL)
    }
    assert mean[Priority.KEY] > mean[Priority.FORMER_POVERTY] > mean[Priority.NORMAL]


# --- needs ----------------------------------------------------------------------------------------


def test_default_needs() -> None:
    problem = default()
    assert len(problem.needs) == 1000
    assert len({n.id for n in problem.needs}) == 1000
    counties = set(regions_at(problem, Level.COUNTY))
    assert all(n.region in counties for n in problem.needs)
    categories = Counter(n.category for n in problem.needs)
    assert set(categories) == set(Category)
    most = {c for c, _ in categories.most_common(2)}
    assert most == {Category.INDUSTRY, Category.VULNERABLE}
    for need in problem.needs:
        assert problem.region(need.region).name in need.title
        assert need.category.label("zh") in need.title
        assert need.beneficiaries >= 1
        assert 50_000 <= need.cost <= 2_000_000
        if need.category is Category.VULNERABLE:
            assert 1 <= len(need.vulnerable_groups) <= 3
            assert len(set(need.vulnerable_groups)) == len(need.vulnerable_groups)
    others = [n for n in problem.needs if n.category is not Category.VULNERABLE]
    assert sum(bool(n.vulnerable_groups) for n in others) < 0.15 * len(others)
    people = np.array([n.beneficiaries for n in problem.needs])
    assert 10 <= np.median(people) <= 1000 and people.max() >= 1000


def test_every_category_and_type_appears_even_at_small_sizes() -> None:
    problem = synth.generate(20, 18, seed=3)
    assert {n.category for n in problem.needs} == set(Category)
    assert {o.org_type for o in problem.organizations} == set(OrgType)


# --- organizations --------------------------------------------------------------------------------


def test_default_organizations_cover_every_type() -> None:
    problem = default()
    assert len(problem.organizations) == 200
    types = Counter(o.org_type for o in problem.organizations)
    assert set(types) == set(OrgType)
    for category, primary in PRIMARY_TYPES.items():
        strong = [
            o
            for o in problem.organizations
            if o.org_type in primary and o.capabilities.get(category, 0) >= 0.6
        ]
        assert len(strong) >= 5, category


def test_capabilities_one_strong_fitting_category() -> None:
    for org in medium().organizations:
        values = sorted(org.capabilities.values(), reverse=True)
        assert 1 <= len(values) <= 3
        assert 0.6 <= values[0] <= 1.0
        assert all(0.1 <= v < 0.6 for v in values[1:])
        (strong,) = [c for c, v in org.capabilities.items() if v >= 0.6]
        fits = [c for c in Category if org.org_type in PRIMARY_TYPES[c]]
        if fits:
            assert strong in fits, (org.org_type, strong)


def test_scope_credit_capacity_and_ratings_mix() -> None:
    problem = medium()
    orgs = problem.organizations
    n = len(orgs)
    scopes = Counter(o.scope for o in orgs)
    assert 0.05 <= scopes[Scope.PROVINCE] / n <= 0.15
    assert 0.32 <= scopes[Scope.CITY] / n <= 0.48
    assert 0.42 <= scopes[Scope.COUNTY] / n <= 0.58
    assert scopes[Scope.NATION] == 0
    level = {r.id: r.level for r in problem.regions}
    for org in orgs:
        assert level[org.home_region] is org.scope.level
        assert 1 <= org.max_projects <= 6
        assert all(1 <= s <= 5 for s in org.ratings) and len(org.ratings) <= 12
    credit = Counter(o.credit for o in orgs)
    assert credit[Credit.NORMAL] / n >= 0.9
    assert credit[Credit.ABNORMAL] > 0 and credit[Credit.BLACKLISTED] > 0
    capacity = sum(o.max_projects for o in orgs)
    assert 0.6 * len(problem.needs) <= capacity <= 0.9 * len(problem.needs)
    rated = [o for o in orgs if o.ratings]
    assert 0.3 * n <= len(rated) <= 0.55 * n
    assert np.mean([s for o in rated for s in o.ratings]) > 3.5


def test_service_regions_are_counties_inside_the_scope() -> None:
    problem = medium()
    tree = problem.index.hierarchy
    with_service = [o for o in problem.organizations if o.service_regions is not None]
    assert (
        0.02 * len(problem.organizations) <= len(with_service) <= 0.1 * len(problem.organizations)
    )
    for org in with_service:
        assert org.service_regions
        assert org.scope is not Scope.COUNTY
        for region in org.service_regions:
            assert problem.region(region).level is Level.COUNTY
            assert tree.contains(org.home_region, region)


def test_names_are_chinese_and_numbered() -> None:
    for i, org in enumerate(default().organizations, start=1):
        assert org.name.endswith(f" #{i}")
        assert org.name.startswith(default().region(org.home_region).name)


def test_default_has_a_handful_of_candidates_per_need() -> None:
    counts = candidates_per_need(default())
    assert 3 <= counts.mean() <= 20
    assert (counts > 0).mean() >= 0.97


# --- generate() -----------------------------------------------------------------------------------


def test_multi_province_structure() -> None:
    problem = synth.generate(600, 120, seed=2, n_provinces=3)
    root = problem.regions[0]
    assert (root.id, root.level, root.parent) == ("100000", Level.NATION, None)
    provinces = [r for r in problem.regions if r.level is Level.PROVINCE]
    assert [p.id for p in provinces] == ["140000", "110000", "120000"]
    assert all(p.parent == "100000" for p in provinces)
    assert len(regions_at(problem, Level.CITY)) == 33
    counties = [r for r in problem.regions if r.level is Level.COUNTY]
    assert len(counties) == 3 * 117
    tree = problem.index.hierarchy
    for province in provinces:
        inside = [c for c in counties if tree.contains(province.id, c.id)]
        assert len(inside) == 117
        tiers = Counter(c.priority for c in inside)
        assert tiers[Priority.KEY] + tiers[Priority.FORMER_POVERTY] == 58
    ids = [r.id for r in problem.regions]
    assert len(set(ids)) == len(ids)
    region_ids = set(ids)
    assert all(n.region in region_ids for n in problem.needs)


def test_default_number_of_provinces() -> None:
    assert len(regions_at(synth.generate(5000, 10), Level.PROVINCE)) == 2
    assert len(regions_at(synth.generate(1000, 10), Level.PROVINCE)) == 1
    assert not regions_at(synth.generate(1000, 10), Level.NATION)


def test_ten_thousand_rung_has_townships_and_moderate_candidates() -> None:
    problem = national()
    assert len(problem.needs) == 10_000 and len(problem.organizations) == 2_000
    assert len(regions_at(problem, Level.PROVINCE)) == 3
    townships = [r for r in problem.regions if r.level is Level.TOWNSHIP]
    per_county = Counter(t.parent for t in townships)
    assert len(per_county) == 3 * 117
    assert 10 <= len(townships) / len(per_county) <= 14
    assert all(len(t.id) == 9 and t.id.startswith(t.parent or "") for t in townships)
    township_ids = {t.id for t in townships}
    assert all(n.region in township_ids for n in problem.needs)
    assert 0 < sum(o.scope is Scope.NATION for o in problem.organizations) <= 30
    assert {o.org_type for o in problem.organizations} == set(OrgType)
    sample = Problem.model_validate(
        {
            "regions": problem.regions,
            "organizations": problem.organizations,
            "needs": problem.needs[:1500],
        }
    )
    counts = candidates_per_need(sample)
    assert 20 <= counts.mean() <= 60


def test_townships_can_be_switched() -> None:
    with_townships = synth.generate(100, 20, townships=True)
    assert regions_at(with_townships, Level.TOWNSHIP)
    township_ids = set(regions_at(with_townships, Level.TOWNSHIP))
    assert all(n.region in township_ids for n in with_townships.needs)
    assert not regions_at(synth.generate(6000, 20, townships=False), Level.TOWNSHIP)


def test_empty_instance() -> None:
    problem = synth.generate(0, 0)
    assert problem.needs == () and problem.organizations == ()
    assert len(problem.regions) == 129


@pytest.mark.parametrize(
    ("n_needs", "n_orgs", "seed", "n_provinces"),
    [(-1, 5, 0, None), (5, -1, 0, None), (5, 5, -3, None), (5, 5, 0, 0), (5, 5, 0, 90)],
)
def test_bad_arguments(n_needs: int, n_orgs: int, seed: int, n_provinces: int | None) -> None:
    assert synth.MAX_PROVINCES == 89
    with pytest.raises(ValueError):
        synth.generate(n_needs, n_orgs, seed=seed, n_provinces=n_provinces)


def test_named_scales_match_their_specification() -> None:
    assert list(synth.SCALES) == ["shanxi", "province", "national", "xlarge"]
    assert synth.scale("shanxi", seed=4).to_json() == synth.shanxi(seed=4).to_json()
    province = synth.scale("province")
    townships = [r for r in province.regions if r.level.value == "township"]
    assert (len(province.needs), len(province.organizations)) == (10_000, 2_000)
    assert 1_300 <= len(townships) <= 1_500
    assert {r.level.value for r in province.regions} == {"province", "city", "county", "township"}


def test_every_province_code_differs_from_the_nation() -> None:
    problem = synth.generate(900, 300, n_provinces=synth.MAX_PROVINCES)
    provinces = [r.id for r in problem.regions if r.level.value == "province"]
    assert len(set(provinces)) == synth.MAX_PROVINCES
    assert "100000" not in provinces


def test_scales_without_national_organizations_split_by_province() -> None:
    problem = synth.generate(600, 120, seed=1, n_provinces=3, national_share=0.0)
    assert not any(o.scope.value == "nation" for o in problem.organizations)
    coupled = synth.generate(600, 400, seed=1, n_provinces=3, national_share=0.05)
    assert any(o.scope.value == "nation" for o in coupled.organizations)


def test_unknown_scale_and_bad_national_share_are_option_errors() -> None:
    with pytest.raises(OptionError, match="unknown scale 'tiny'"):
        synth.scale("tiny")
    with pytest.raises(OptionError, match="national_share"):
        synth.generate(10, 5, national_share=0.7)
