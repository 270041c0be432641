"""Seeded, deterministic synthetic provinces: a Shanxi-like default and scaled benchmark instances.

:func:`shanxi` builds one program year in a Shanxi-like province (what ``matcher demo`` solves);
:func:`generate` builds instances of any size, from hundreds of needs to national scale, for
benchmarks. Both go through the same builder and draw everything from
:func:`numpy.random.default_rng`, so the same arguments give the same :class:`~matcher.Problem`
(byte for byte in JSON) on every run.

The geography does not depend on the seed: Shanxi's 11 prefecture cities and 117 county-level units
carry their real GB/T 2260 codes, names and approximate coordinates (county coordinates are
jittered around the city centre). The 58 former-poverty counties and the 22 province-designated key
counties are a plausible approximation assembled for realism, *not* the official lists. Further
provinces are synthetic copies of the Shanxi structure under other two-digit codes, with the county
tiers shuffled within each city. The seed decides the needs and the organizations.

Examples
--------
>>> problem = shanxi(seed=0)
>>> len(problem.regions), len(problem.needs), len(problem.organizations)
(129, 1000, 200)
>>> problem.region("140123").name, problem.region("140123").priority.value
('娄烦县', 'key')
>>> generate(200, 40, seed=3).model_dump_json() == generate(200, 40, seed=3).model_dump_json()
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ..errors import OptionError
from ..models import (
    PRIMARY_TYPES,
    Category,
    Credit,
    OrgType,
    Priority,
    Problem,
    Scope,
    VulnerableGroup,
)

__all__ = [
    "MAX_PROVINCES",
    "PLAN_POLICY",
    "SCALES",
    "Scale",
    "generate",
    "scale",
    "shanxi",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Seed of the geography (coordinates jitter, township counts, tiers of the copied provinces).
_GEOGRAPHY_SEED = 140000
#: Needs per province when ``generate`` chooses the number of provinces.
_NEEDS_PER_PROVINCE = 3300
#: Needs from which ``generate`` adds townships under the counties.
_TOWNSHIP_THRESHOLD = 5000

# --- Shanxi -------------------------------------------------------------------------------------

_City = tuple[str, str, float, float, tuple[tuple[str, str], ...]]

#: The geography, from the data file beside this module (read once, at import: 10 KB).
_DATA: dict[str, Any] = json.loads(
    resources.files(__name__).joinpath("geography.json").read_text(encoding="utf-8")
)

#: The 11 prefecture cities: code, name, approximate centre (lat, lon), county-level units.
_SHANXI_CITIES: tuple[_City, ...] = tuple(
    (
        city["code"],
        city["name"],
        city["lat"],
        city["lon"],
        tuple((code, name) for code, name in city["counties"]),
    )
    for city in _DATA["shanxi_cities"]
)

#: Former national poverty counties (58).
_FORMER_POVERTY: frozenset[str] = frozenset(_DATA["former_poverty"])

#: Key counties designated by the province (22, all former-poverty; most in the north and west).
_KEY: frozenset[str] = frozenset(_DATA["key"])

_SHANXI_CENTRE: tuple[float, float] = (_DATA["shanxi_centre"][0], _DATA["shanxi_centre"][1])

# --- other provinces ----------------------------------------------------------------------------

#: Two-digit codes, short names, names and approximate capital coordinates of China's provinces.
_PROVINCES: tuple[tuple[int, str, str, float, float], ...] = tuple(
    (code, short, name, lat, lon) for code, short, name, lat, lon in _DATA["provinces"]
)
_REAL_CODES = frozenset(code for code, *_ in _PROVINCES)
#: Every two-digit code a province may take: the real ones first, then the unused ones (not 10:
#: the nation root is ``100000``).
_CODES: tuple[int, ...] = tuple(code for code, *_ in _PROVINCES) + tuple(
    code for code in range(11, 100) if code not in _REAL_CODES
)
#: Most provinces an instance can have (one per two-digit code).
MAX_PROVINCES = len(_CODES)

_NATION_ID = "100000"

# --- needs ----------------------------------------------------------------------------------------

_CATEGORIES: tuple[Category, ...] = tuple(Category)
#: How often each category is ordered (industry and help for the vulnerable most often).
_CATEGORY_WEIGHTS: dict[Category, float] = {
    Category.INDUSTRY: 0.28,
    Category.TALENT: 0.12,
    Category.EMPLOYMENT: 0.16,
    Category.VULNERABLE: 0.24,
    Category.CONSUMPTION: 0.11,
    Category.CULTURE_TOURISM: 0.09,
}
_GROUPS: tuple[VulnerableGroup, ...] = tuple(VulnerableGroup)
_GROUP_WEIGHTS = np.array([0.20, 0.25, 0.08, 0.10, 0.25, 0.12])
#: Need weight by tier (key, former poverty, normal), in :class:`Priority` order.
_TIER_WEIGHTS = np.array([3.0, 2.0, 1.0])

# --- organizations --------------------------------------------------------------------------------

_TYPES: tuple[OrgType, ...] = tuple(OrgType)
#: Share of each type and the name stems it draws from.
_TYPE_TABLE: dict[OrgType, tuple[float, tuple[str, ...]]] = {
    OrgType.INDUSTRY_ASSOCIATION: (0.10, ("农产品流通行业协会", "中小企业商会", "食品工业协会")),
    OrgType.AGRICULTURE: (0.08, ("农业技术推广协会", "果业协会", "农村专业技术协会")),
    OrgType.SCIENCE_TECHNOLOGY: (0.06, ("科学技术协会", "农业科技服务中心", "科技创新促进会")),
    OrgType.FOUNDATION: (0.06, ("慈善基金会", "乡村振兴基金会", "教育发展基金会")),
    OrgType.TRAINING: (0.06, ("职业技能培训学校", "农民培训中心", "继续教育协会")),
    OrgType.ACADEMIC: (0.04, ("农学会", "社会学会", "乡村发展研究会")),
    OrgType.EMPLOYMENT_SERVICE: (0.06, ("人力资源服务协会", "就业促进会", "劳务协作中心")),
    OrgType.SOCIAL_SERVICE: (0.07, ("社会工作服务中心", "养老服务中心", "康复服务中心")),
    OrgType.PUBLIC_WELFARE: (0.09, ("公益慈善联合会", "慈善总会", "志愿服务联合会")),
    OrgType.COMMUNITY_SERVICE: (0.07, ("城乡社区服务中心", "社区发展协会", "邻里互助中心")),
    OrgType.GRASSROOTS_COMMUNITY: (0.07, ("村民互助会", "老年协会", "妇女儿童之家")),
    OrgType.ECOMMERCE: (0.06, ("电子商务协会", "网商协会", "直播电商促进会")),
    OrgType.PRIVATE_INSTITUTION: (0.04, ("民办职业学院", "民营医院", "民办高等专科学校")),
    OrgType.CULTURE_TOURISM: (0.07, ("旅游协会", "文化旅游促进会", "民俗文化研究会")),
    OrgType.MEDIA: (0.02, ("新媒体协会", "网络文化协会", "融媒体服务中心")),
    OrgType.HUB: (0.015, ("社会组织联合会", "社会组织孵化中心", "社会组织促进会")),
    OrgType.PROFESSIONAL: (0.02, ("社会工作者协会", "社会组织评估中心", "公益法律服务中心")),
    OrgType.OTHER: (0.015, ("志愿者协会", "乡贤促进会", "青年创业协会")),
}
#: Strong category of the types the plan puts first for no category.
_SUPPORTING_AFFINITY: dict[OrgType, tuple[Category, ...]] = {
    OrgType.MEDIA: (Category.CONSUMPTION, Category.CULTURE_TOURISM),
    OrgType.HUB: _CATEGORIES,
    OrgType.PROFESSIONAL: (Category.TALENT, Category.EMPLOYMENT, Category.VULNERABLE),
    OrgType.OTHER: _CATEGORIES,
}
_SCOPES = (Scope.NATION, Scope.PROVINCE, Scope.CITY, Scope.COUNTY)
_CREDITS = (Credit.NORMAL, Credit.ABNORMAL, Credit.BLACKLISTED)
_CREDIT_SHARES = np.array([0.95, 0.03, 0.02])
_STAR_SHARES = np.array([0.03, 0.05, 0.15, 0.37, 0.40])
#: Total capacity as a share of the number of needs.
_CAPACITY_SHARE = 0.75


#: The 2023 plan's own rules as a policy document: every key county gets a served need, all six
#: categories are present, at least 30 projects and 60 organizations a year, organizations stay
#: within budget, about a third of the work builds capacity (造血); key areas first, then fairness
#: across cities, then score. Use it with ``problem.with_policy(**PLAN_POLICY)``.
PLAN_POLICY: dict[str, Any] = {
    "rules": {
        "regions": [{"level": "county", "tier": "key", "min_served": 1}],
        "categories": [{"category": c.value, "min_served": 5} for c in Category],
        "program": {"min_served": 30, "min_organizations": 60},
        "money": {"budgets": True},
        "aid_mix": {"min_capacity_building_share": 0.35, "hard": False, "penalty": 5},
    },
    "goals": [{"kind": "key_served"}, {"kind": "fairness", "level": "city"}, {"kind": "score"}],
}


def shanxi(seed: int = 0, *, n_needs: int = 1000, n_orgs: int = 200) -> Problem:
    """The default Shanxi-like province: one program year, what ``matcher demo`` solves.

    Regions are the province (140000 山西省), its 11 prefecture cities and 117 county-level units
    with their real codes and names; 58 counties are ``former_poverty`` tier, 22 of them ``key``.
    Townships are added under the counties when ``n_needs`` is 5,000 or more.

    Parameters
    ----------
    seed
        Seed of the needs and organizations (the regions are the same for every seed).
    n_needs, n_orgs
        How many needs and organizations to draw.

    Returns
    -------
    Problem
        A validated problem with the default policy.

    Examples
    --------
    >>> problem = shanxi(seed=1, n_needs=300, n_orgs=60)
    >>> problem.regions[0].name, len(problem.needs), len(problem.organizations)
    ('山西省', 300, 60)
    """
    return _build(n_needs, n_orgs, seed=seed, n_provinces=1, townships=None, national_share=0.0)


def generate(
    n_needs: int,
    n_orgs: int,
    *,
    seed: int = 0,
    n_provinces: int | None = None,
    townships: bool | None = None,
    national_share: float = 0.005,
) -> Problem:
    """A scaled synthetic instance for benchmarks, from one province to national scale.

    Parameters
    ----------
    n_needs, n_orgs
        How many needs and organizations to draw.
    seed
        Seed of the needs and organizations (the regions depend only on the structure).
    n_provinces
        Number of provinces; ``None`` means ``max(1, round(n_needs / 3300))`` (at most 89). The
        first is Shanxi, the others synthetic copies of its structure under other two-digit codes.
        With two or more, a nation root (``"100000"``) sits above them.
    townships
        Whether to add about 12 townships under each county (9-digit ids such as ``140121001``)
        and post the needs there; ``None`` means ``n_needs >= 5000``.
    national_share
        Share of organizations registered nationally (scope ``nation``) when there are two or more
        provinces. They may serve every province and so join the provinces into one connected
        candidate graph; with ``0.0`` every province is an independent part.

    Returns
    -------
    Problem
        A validated problem with the default policy.

    Raises
    ------
    OptionError
        When a count or the seed is negative, ``n_provinces`` is not in 1..89 or
        ``national_share`` is not in [0, 0.5].

    Examples
    --------
    >>> problem = generate(400, 80, seed=7, n_provinces=2)
    >>> problem.regions[0].id, problem.regions[0].level.value
    ('100000', 'nation')
    >>> sorted({r.id for r in problem.regions if r.level.value == "province"})
    ['110000', '140000']
    """
    if n_provinces is None:
        n_provinces = min(MAX_PROVINCES, max(1, round(n_needs / _NEEDS_PER_PROVINCE)))
    if not 0.0 <= national_share <= 0.5:
        raise OptionError.of("error.national_share", value=national_share)
    return _build(
        n_needs,
        n_orgs,
        seed=seed,
        n_provinces=n_provinces,
        townships=townships,
        national_share=national_share,
    )


class Scale(NamedTuple):
    """A named size of synthetic instance: what :func:`scale` draws."""

    n_needs: int
    n_orgs: int
    n_provinces: int
    national_share: float
    description: str


#: The named scales, from one program year to beyond national size. ``national`` and ``xlarge``
#: have no nationally registered organizations: each province runs its own program, so the
#: candidate graph falls apart into one independent part per province. ``xlarge`` spreads its
#: needs over 89 provinces, the most :func:`generate` draws (about 5,600 needs per province against
#: national's 3,200), as the country's half-million villages would be.
SCALES: dict[str, Scale] = {
    "shanxi": Scale(1_000, 200, 1, 0.0, "one program year in the Shanxi-like province"),
    "province": Scale(10_000, 2_000, 1, 0.0, "the Shanxi-like province with its ~1,400 townships"),
    "national": Scale(100_000, 20_000, 31, 0.0, "31 provinces with townships"),
    "xlarge": Scale(500_000, 100_000, MAX_PROVINCES, 0.0, "89 provinces, five times national"),
}


def scale(name: str, seed: int = 0) -> Problem:
    """The synthetic instance of a named scale (see :data:`SCALES`).

    Parameters
    ----------
    name
        ``"shanxi"`` (1,000 needs x 200 organizations, what :func:`shanxi` gives), ``"province"``
        (10,000 x 2,000), ``"national"`` (100,000 x 20,000 in 31 provinces) or ``"xlarge"``
        (500,000 x 100,000 in 89 provinces).
    seed
        Seed of the needs and organizations.

    Returns
    -------
    Problem
        A validated problem with the default policy.

    Raises
    ------
    OptionError
        When ``name`` is not one of :data:`SCALES`.

    Examples
    --------
    >>> problem = scale("shanxi", seed=2)
    >>> len(problem.needs), len(problem.organizations)
    (1000, 200)
    >>> problem.to_json() == shanxi(seed=2).to_json()
    True
    """
    if name not in SCALES:
        raise OptionError.of("error.unknown_scale", scale=repr(name), names=", ".join(SCALES))
    spec = SCALES[name]
    return _build(
        spec.n_needs,
        spec.n_orgs,
        seed=seed,
        n_provinces=spec.n_provinces,
        townships=None,
        national_share=spec.national_share,
    )


# --- the builder ----------------------------------------------------------------------------------


def _build(
    n_needs: int,
    n_orgs: int,
    *,
    seed: int,
    n_provinces: int,
    townships: bool | None,
    national_share: float,
) -> Problem:
    if n_needs < 0 or n_orgs < 0:
        raise OptionError.of("error.counts", n_needs=n_needs, n_orgs=n_orgs)
    if seed < 0:
        raise OptionError.of("error.synth_seed", value=seed)
    if not 1 <= n_provinces <= MAX_PROVINCES:
        raise OptionError.of("error.provinces", limit=MAX_PROVINCES, value=n_provinces)
    if townships is None:
        townships = n_needs >= _TOWNSHIP_THRESHOLD
    geo = _geography(n_provinces, townships)
    need_seed, org_seed = np.random.SeedSequence(seed).spawn(2)
    needs = _needs(np.random.default_rng(need_seed), geo, n_needs)
    orgs = _organizations(np.random.default_rng(org_seed), geo, n_orgs, n_needs, national_share)
    data = {"regions": geo.regions, "organizations": orgs, "needs": needs}
    return Problem.model_validate(data)


@dataclass(frozen=True)
class _Geography:
    """The region records plus the arrays the draws index into."""

    regions: list[dict[str, Any]]
    nation: str | None
    province_ids: list[str]
    province_names: list[str]
    province_county_start: IntArray  # counties of province p: start[p] .. start[p + 1]
    city_ids: list[str]
    city_names: list[str]
    city_county_start: IntArray  # counties of city c: start[c] .. start[c + 1]
    county_ids: list[str]
    county_names: list[str]
    county_tier: IntArray  # index into Priority
    township_ids: list[str]  # empty without townships
    township_names: list[str]
    county_township_start: IntArray  # townships of county k: start[k] .. start[k + 1]


def _geography(n_provinces: int, townships: bool) -> _Geography:
    """The regions of ``n_provinces`` provinces (Shanxi first), with townships when asked."""
    draft = _GeographyDraft(
        rng=np.random.default_rng(_GEOGRAPHY_SEED),
        townships=townships,
        nation=_NATION_ID if n_provinces > 1 else None,
        province_start=np.zeros(n_provinces + 1, np.int64),
        city_start=np.zeros(n_provinces * len(_SHANXI_CITIES) + 1, np.int64),
    )
    if draft.nation is not None:
        draft.regions.append({"id": draft.nation, "name": "中国", "level": "nation"})
    for p in range(n_provinces):
        draft.add_province(p)
    return draft.finish()


@dataclass
class _GeographyDraft:
    """A geography while it is drawn, province by province, from one generator in a fixed order."""

    rng: np.random.Generator
    townships: bool
    nation: str | None
    province_start: IntArray
    city_start: IntArray
    regions: list[dict[str, Any]] = field(default_factory=list)
    province_ids: list[str] = field(default_factory=list)
    province_names: list[str] = field(default_factory=list)
    city_ids: list[str] = field(default_factory=list)
    city_names: list[str] = field(default_factory=list)
    county_ids: list[str] = field(default_factory=list)
    county_names: list[str] = field(default_factory=list)
    county_tiers: list[int] = field(default_factory=list)
    township_ids: list[str] = field(default_factory=list)
    township_names: list[str] = field(default_factory=list)
    township_counts: list[int] = field(default_factory=list)

    def add_province(self, p: int) -> None:
        """Province ``p``: Shanxi's structure under the ``p``-th code, with its cities and counties."""
        code = _CODES[p]
        if p < len(_PROVINCES):
            _, short, province_name, lat0, lon0 = _PROVINCES[p]
        else:
            short, province_name = f"模{code}", f"模拟{code}省"
            lat0, lon0 = 24.0 + (p % 8) * 2.5, 100.0 + (p // 8) * 4.0
        province_id = f"{code}0000"
        self.province_ids.append(province_id)
        self.province_names.append(province_name)
        self.regions.append(
            {"id": province_id, "name": province_name, "level": "province", "parent": self.nation}
            | _coordinates(lat0, lon0)
        )
        for c, city in enumerate(_SHANXI_CITIES):
            city_code, city_name, lat, lon, _ = city
            if p > 0:
                city_name = f"{short}{c + 1}市"
            place = _Place(
                f"{code}{city_code[2:]}",
                city_name,
                lat - _SHANXI_CENTRE[0] + lat0,
                lon - _SHANXI_CENTRE[1] + lon0,
            )
            self.add_city(p, province_id, place, city[4])
            self.city_start[p * len(_SHANXI_CITIES) + c + 1] = len(self.county_ids)
        self.province_start[p + 1] = len(self.county_ids)

    def add_city(
        self, p: int, province_id: str, city: _Place, counties: tuple[tuple[str, str], ...]
    ) -> None:
        """A city of province ``p`` and its counties (tiers shuffled outside Shanxi, jittered)."""
        self.city_ids.append(city.id)
        self.city_names.append(city.name)
        self.regions.append(
            {"id": city.id, "name": city.name, "level": "city", "parent": province_id}
            | _coordinates(city.lat, city.lon)
        )
        tiers = [0 if k in _KEY else 1 if k in _FORMER_POVERTY else 2 for k, _ in counties]
        if p > 0:
            tiers = [tiers[i] for i in self.rng.permutation(len(tiers)).tolist()]
        jitter = self.rng.uniform(-0.45, 0.45, (len(counties), 2))
        code = city.id[:2]
        for j, (county_code, county_name) in enumerate(counties):
            if p > 0:
                county_name = f"{city.name}{j + 1}县"
            county = _Place(
                f"{code}{county_code[2:]}",
                county_name,
                city.lat + jitter[j, 0],
                city.lon + jitter[j, 1],
            )
            self.add_county(city.id, county, tiers[j])

    def add_county(self, city_id: str, county: _Place, tier: int) -> None:
        """A county of tier ``tier`` (an index into :class:`Priority`), and its townships."""
        self.county_ids.append(county.id)
        self.county_names.append(county.name)
        self.county_tiers.append(tier)
        self.regions.append(
            {
                "id": county.id,
                "name": county.name,
                "level": "county",
                "parent": city_id,
                "priority": _TIERS[tier].value,
            }
            | _coordinates(county.lat, county.lon)
        )
        if self.townships:
            self.add_townships(county)

    def add_townships(self, county: _Place) -> None:
        """8 to 16 townships around the county's seat."""
        count = int(self.rng.integers(8, 17))
        self.township_counts.append(count)
        near = self.rng.uniform(-0.12, 0.12, (count, 2))
        for t in range(count):
            township_id = f"{county.id}{t + 1:03d}"
            township_name = f"{county.name}第{t + 1}{'镇' if t % 3 else '乡'}"
            self.township_ids.append(township_id)
            self.township_names.append(township_name)
            self.regions.append(
                {"id": township_id, "name": township_name, "level": "township", "parent": county.id}
                | _coordinates(county.lat + near[t, 0], county.lon + near[t, 1])
            )

    def finish(self) -> _Geography:
        """The geography drawn."""
        township_start = np.zeros(len(self.county_ids) + 1, np.int64)
        if self.township_counts:
            township_start[1:] = np.cumsum(np.array(self.township_counts, np.int64))
        return _Geography(
            regions=self.regions,
            nation=self.nation,
            province_ids=self.province_ids,
            province_names=self.province_names,
            province_county_start=self.province_start,
            city_ids=self.city_ids,
            city_names=self.city_names,
            city_county_start=self.city_start,
            county_ids=self.county_ids,
            county_names=self.county_names,
            county_tier=np.array(self.county_tiers, np.int64),
            township_ids=self.township_ids,
            township_names=self.township_names,
            county_township_start=township_start,
        )


class _Place(NamedTuple):
    """A region as it is drawn: its id, name and coordinates before rounding."""

    id: str
    name: str
    lat: float
    lon: float


#: The tiers of :class:`Priority`, in the order a county's tier indexes them.
_TIERS: tuple[Priority, ...] = tuple(Priority)


def _coordinates(lat: float, lon: float) -> dict[str, float]:
    return {"lat": round(float(lat), 4), "lon": round(float(lon), 4)}


def _stratified(rng: np.random.Generator, n: int, shares: FloatArray) -> IntArray:
    """``n`` draws from ``shares`` where every outcome appears at least once when ``n`` allows."""
    k = len(shares)
    first = rng.permutation(k)[: min(n, k)]
    rest = rng.choice(k, size=max(0, n - k), p=shares / shares.sum())
    return np.asarray(rng.permutation(np.concatenate([first, rest])), np.int64)


def _row_choice(rng: np.random.Generator, weights: FloatArray) -> IntArray:
    """One draw per row of ``weights`` (rows need not be normalized)."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cumulative[:, -1]
    drawn = (u[:, None] >= cumulative).sum(axis=1)
    return np.asarray(np.minimum(drawn, weights.shape[1] - 1), np.int64)


def _top_k(rng: np.random.Generator, weights: FloatArray) -> IntArray:
    """Each row's columns in a weighted random order without replacement (Efraimidis-Spirakis)."""
    keys = np.full(weights.shape, -np.inf)
    positive = weights > 0
    keys[positive] = np.log(rng.random(weights.shape)[positive]) / weights[positive]
    return np.asarray(np.argsort(-keys, axis=1, kind="stable"), np.int64)


def _needs(rng: np.random.Generator, geo: _Geography, n: int) -> list[dict[str, Any]]:
    """``n`` needs, posted in counties (townships when there are) weighted by tier."""
    place, region_ids, region_names = _need_places(rng, geo, n)
    shares = np.array([_CATEGORY_WEIGHTS[c] for c in _CATEGORIES])
    category = _stratified(rng, n, shares)
    vulnerable = category == _CATEGORIES.index(Category.VULNERABLE)

    median = np.where(vulnerable, 80.0, 300.0)
    noise = rng.normal(0.0, 1.0, n)
    beneficiaries = np.clip(np.rint(median * np.exp(noise)), 10, 20_000).astype(np.int64)
    log_cost = np.log(300_000.0) + 0.3 * noise + rng.normal(0.0, 0.6, n)
    cost = np.clip(np.rint(np.exp(log_cost) / 1000.0) * 1000.0, 50_000.0, 2_000_000.0)
    group_code = _vulnerable_groups(rng, vulnerable)

    # Capacity building (造血) is likelier for talent and industry than for relief of the vulnerable.
    building = rng.random(n) < _CAPACITY_BUILDING_SHARE[category]
    aid = ["capacity_building" if b else "direct_aid" for b in building.tolist()]

    categories = [c.value for c in _CATEGORIES]
    labels = [c.label("zh") for c in _CATEGORIES]
    width = len(str(max(n, 1)))
    return [
        {
            "id": f"N{i:0{width}d}",
            "region": region_ids[p],
            "category": categories[c],
            "title": f"{region_names[p]} {labels[c]}项目 #{i}",
            "beneficiaries": b,
            "vulnerable_groups": _GROUP_LISTS[g],
            "cost": x,
            "aid": a,
        }
        for i, p, c, b, x, g, a in zip(
            range(1, n + 1),
            place.tolist(),
            category.tolist(),
            beneficiaries.tolist(),
            cost.tolist(),
            group_code.tolist(),
            aid,
            strict=True,
        )
    ]


def _need_places(
    rng: np.random.Generator, geo: _Geography, n: int
) -> tuple[IntArray, list[str], list[str]]:
    """Where ``n`` needs are posted: positions into the region ids and names returned with them."""
    county_weight = _TIER_WEIGHTS[geo.county_tier]
    county = rng.choice(len(county_weight), size=n, p=county_weight / county_weight.sum())
    if len(geo.township_ids):
        start = geo.county_township_start
        count = start[county + 1] - start[county]
        place = start[county] + (rng.random(n) * count).astype(np.int64)
        return place, geo.township_ids, geo.township_names
    return county, geo.county_ids, geo.county_names


def _vulnerable_groups(rng: np.random.Generator, vulnerable: npt.NDArray[np.bool_]) -> IntArray:
    """Each need's vulnerable groups as a bit mask over :data:`_GROUPS`: one to three for help
    to the vulnerable, rarely one for other needs."""
    n = len(vulnerable)
    n_groups = np.where(
        vulnerable,
        rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15]),
        (rng.random(n) < 0.05).astype(np.int64),
    )
    order = _top_k(rng, np.broadcast_to(_GROUP_WEIGHTS, (n, len(_GROUPS))).copy())
    chosen = np.zeros((n, len(_GROUPS)), np.int64)
    rows = np.arange(n)
    for rank in range(3):
        take = n_groups > rank
        chosen[rows[take], order[take, rank]] = 1
    return np.asarray(chosen @ (1 << np.arange(len(_GROUPS))), np.int64)


#: Every subset of the vulnerable groups, in declaration order, by bit mask.
_GROUP_LISTS: list[list[str]] = [
    [g.value for b, g in enumerate(_GROUPS) if code >> b & 1] for code in range(1 << len(_GROUPS))
]


#: Chance that a need builds capacity (造血) rather than gives direct aid (输血), per category.
_CAPACITY_BUILDING_SHARE = np.array(
    [
        {
            Category.INDUSTRY: 0.6,
            Category.TALENT: 0.8,
            Category.EMPLOYMENT: 0.5,
            Category.VULNERABLE: 0.1,
            Category.CONSUMPTION: 0.2,
            Category.CULTURE_TOURISM: 0.4,
        }[c]
        for c in _CATEGORIES
    ]
)
#: Evaluation grades 1A..5A among graded organizations (3A and above most common).
_GRADE_SHARES = np.array([0.05, 0.15, 0.35, 0.3, 0.15])


def _capacity_shares(mean: float) -> FloatArray:
    """Shares of ``max_projects`` 1..6, exponentially tilted to have the given mean."""
    mean = min(max(mean, 1.2), 5.5)
    sizes = np.arange(1, 7, dtype=np.float64)
    low, high = -5.0, 5.0
    for _ in range(60):
        tilt = (low + high) / 2
        weights = np.exp(tilt * sizes)
        if float(weights @ sizes / weights.sum()) < mean:
            low = tilt
        else:
            high = tilt
    weights = np.exp((low + high) / 2 * sizes)
    return np.asarray(weights / weights.sum(), np.float64)


def _strong_affinity() -> FloatArray:
    """Weight of each category as the strong one of each type (rows: types)."""
    demand = np.array([_CATEGORY_WEIGHTS[c] for c in _CATEGORIES])
    affinity = np.zeros((len(_TYPES), len(_CATEGORIES)))
    for t, org_type in enumerate(_TYPES):
        fits = [c for c in _CATEGORIES if org_type in PRIMARY_TYPES[c]]
        fits = fits or list(_SUPPORTING_AFFINITY.get(org_type, _CATEGORIES))
        for category in fits:
            k = _CATEGORIES.index(category)
            affinity[t, k] = demand[k]
    return affinity


def _organizations(
    rng: np.random.Generator, geo: _Geography, n: int, n_needs: int, national_share: float
) -> list[dict[str, Any]]:
    """``n`` organizations, with capacity for about three quarters of ``n_needs``."""
    draws = _draw_organizations(rng, geo, n, n_needs, national_share)
    width = len(str(max(n, 1)))
    return [_organization(geo, draws, i, width) for i in range(n)]


class _Capabilities(NamedTuple):
    """Each organization's strong category and value, and its weaker ones (rows: organizations)."""

    strong: IntArray
    strong_value: FloatArray
    weak_order: IntArray  # categories other than the strong one, in the order they are taken
    n_weak: IntArray
    weak_value: FloatArray

    def of(self, i: int) -> dict[str, float]:
        """Organization ``i``'s capabilities, by category value in category order."""
        values = {int(self.strong[i]): float(self.strong_value[i])}
        for r in range(int(self.n_weak[i])):
            values[int(self.weak_order[i, r])] = float(self.weak_value[i, r])
        return {_CATEGORIES[k].value: values[k] for k in sorted(values)}


class _Homes(NamedTuple):
    """Each organization's scope and home region, and the counties a few of them serve."""

    scope: IntArray  # index into _SCOPES
    home: list[int]  # position in the ids of the scope's level
    levels: list[tuple[list[str], list[str]]]  # ids and names of each scope's regions
    serves: npt.NDArray[np.bool_]  # whether it serves only a few counties
    n_served: IntArray
    served_pick: FloatArray


class _OrganizationDraws(NamedTuple):
    """Everything drawn for the organizations, one row (or item) per organization."""

    org_type: IntArray
    stem: IntArray
    capabilities: _Capabilities
    homes: _Homes
    capacity: IntArray
    credit: IntArray
    ratings: list[list[int]]
    grade: IntArray
    inspected: npt.NDArray[np.bool_]
    budget: FloatArray


def _draw_organizations(
    rng: np.random.Generator, geo: _Geography, n: int, n_needs: int, national_share: float
) -> _OrganizationDraws:
    """The draws of :func:`_organizations`, in the order that keeps every seed's instance."""
    type_shares = np.array([_TYPE_TABLE[t][0] for t in _TYPES])
    org_type = _stratified(rng, n, type_shares)
    stem = rng.integers(0, 3, n)
    capabilities = _capabilities(rng, org_type)
    homes = _homes(rng, geo, n, national_share)
    # National organizations stay specialised: fewer pairs per need.
    capabilities.n_weak[homes.scope == 0] = 0

    capacity = rng.choice(
        np.arange(1, 7), size=n, p=_capacity_shares(_CAPACITY_SHARE * n_needs / max(n, 1))
    )
    credit = rng.choice(len(_CREDITS), size=n, p=_CREDIT_SHARES)
    n_ratings = np.where(rng.random(n) < 0.5, rng.integers(0, 13, n), 0)
    stars = rng.choice(np.arange(1, 6), size=int(n_ratings.sum()), p=_STAR_SHARES).tolist()
    start = np.concatenate([[0], np.cumsum(n_ratings)]).tolist()
    ratings = [stars[start[i] : start[i + 1]] for i in range(n)]

    # Drawn last, so that the draws above stay as they were before these fields existed.
    grade = np.where(rng.random(n) < 0.6, rng.choice(np.arange(1, 6), size=n, p=_GRADE_SHARES), 0)
    inspected = rng.random(n) >= 0.03
    budget = np.rint(capacity * rng.uniform(300_000.0, 1_200_000.0, n) / 10_000.0) * 10_000.0
    return _OrganizationDraws(
        org_type, stem, capabilities, homes, capacity, credit, ratings, grade, inspected, budget
    )


def _capabilities(rng: np.random.Generator, org_type: IntArray) -> _Capabilities:
    """One strong category that fits the type, and 0-2 weaker others."""
    n, n_cat = len(org_type), len(_CATEGORIES)
    strong = _row_choice(rng, _strong_affinity()[org_type])
    strong_value = np.round(rng.uniform(0.6, 1.0, n), 2)
    demand = np.array([_CATEGORY_WEIGHTS[c] for c in _CATEGORIES])
    others = np.broadcast_to(demand, (n, n_cat)).copy()
    others[np.arange(n), strong] = 0.0
    weak_order = _top_k(rng, others)
    n_weak = rng.choice([0, 1, 2], size=n, p=[0.4, 0.4, 0.2])
    weak_value = np.round(rng.uniform(0.1, 0.55, (n, 2)), 2)
    return _Capabilities(strong, strong_value, weak_order, n_weak, weak_value)


def _homes(rng: np.random.Generator, geo: _Geography, n: int, national_share: float) -> _Homes:
    """Scope and home region; national scope only when there is a nation above the provinces."""
    nation_share = national_share if geo.nation is not None else 0.0
    scope_shares = np.array([nation_share, 0.10, 0.40, 0.50 - nation_share])
    scope = rng.choice(len(_SCOPES), size=n, p=scope_shares / scope_shares.sum())
    pick = rng.random(n)
    levels: list[tuple[list[str], list[str]]] = [
        ([geo.nation or ""], ["中国"]),
        (geo.province_ids, geo.province_names),
        (geo.city_ids, geo.city_names),
        (geo.county_ids, geo.county_names),
    ]
    home = [int(u * len(levels[s][0])) for u, s in zip(pick.tolist(), scope.tolist(), strict=True)]

    # A few wider organizations serve only a couple of counties inside their scope.
    serves = (rng.random(n) < 0.10) & (scope < 3)
    n_served = rng.integers(2, 4, n)
    served_pick = rng.random((n, 3))
    return _Homes(scope, home, levels, serves, n_served, served_pick)


def _organization(geo: _Geography, draws: _OrganizationDraws, i: int, width: int) -> dict[str, Any]:
    """Organization ``i``'s record (ids ``O`` and ``i + 1`` padded to ``width`` digits)."""
    homes = draws.homes
    s, h, t = int(homes.scope[i]), homes.home[i], _TYPES[int(draws.org_type[i])]
    ids, names = homes.levels[s]
    record: dict[str, Any] = {
        "id": f"O{i + 1:0{width}d}",
        "name": f"{names[h]}{_TYPE_TABLE[t][1][int(draws.stem[i])]} #{i + 1}",
        "org_type": t.value,
        "scope": _SCOPES[s].value,
        "home_region": ids[h],
        "capabilities": draws.capabilities.of(i),
        "max_projects": int(draws.capacity[i]),
        "credit": _CREDITS[int(draws.credit[i])].value,
        "ratings": draws.ratings[i],
        "budget": float(draws.budget[i]),
        "grade": int(draws.grade[i]),
        "inspection_passed": bool(draws.inspected[i]),
    }
    if homes.serves[i]:
        record["service_regions"] = _service_regions(geo, homes, i)
    return record


def _service_regions(geo: _Geography, homes: _Homes, i: int) -> list[str]:
    """The few counties organization ``i`` serves, inside its home region."""
    s, h = int(homes.scope[i]), homes.home[i]
    if s == 0:
        low, high = 0, len(geo.county_ids)
    elif s == 1:
        low, high = int(geo.province_county_start[h]), int(geo.province_county_start[h + 1])
    else:
        low, high = int(geo.city_county_start[h]), int(geo.city_county_start[h + 1])
    chosen = sorted(
        {low + int(u * (high - low)) for u in homes.served_pick[i, : homes.n_served[i]]}
    )
    return [geo.county_ids[k] for k in chosen]
