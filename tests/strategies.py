"""Reusable hypothesis strategies for matcher problems, and small helpers shared by the tests.

Everything here produces *valid* problem documents (plain dicts, as a portal would send them) or
validated :class:`matcher.Problem` objects:

- :func:`region_trees`: an optional nation root, one or two provinces, cities, counties and
  optional townships, with some priority tiers and some coordinates (own or inherited);
- :func:`organizations`: random types, scopes with a home region consistent with the scope,
  capabilities (some 0, some missing), capacities 0-3, credit including abnormal/blacklisted,
  ratings, and sometimes service regions;
- :func:`needs`: categories, beneficiaries, vulnerable groups (duplicates included), and
  sometimes the earlier project they follow up (``continues``);
- :func:`documents` / :func:`problems`: whole problems, optionally with a random policy and with
  ``pair_scores`` (a random subset of pairs with finite scores, negative and zero included).

Two sizes: ``TINY`` (at most 7 needs and 4 organizations, small enough for brute force) and
``SMALL`` (at most 60 needs and 15 organizations, for solver comparisons).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import matcher
from matcher import Category, Level, OrgType, Priority, VulnerableGroup

__all__ = [
    "SMALL",
    "TINY",
    "Size",
    "dense_pair_documents",
    "documents",
    "near_tie_scores",
    "needs",
    "organizations",
    "pair_score_values",
    "problems",
    "region_trees",
    "scored_document",
    "simple_document",
]


@dataclass(frozen=True)
class Size:
    """Bounds of a generated problem."""

    max_needs: int
    max_orgs: int
    max_provinces: int
    max_cities: int
    max_counties: int
    max_townships: int


TINY = Size(max_needs=7, max_orgs=4, max_provinces=1, max_cities=2, max_counties=2, max_townships=1)
SMALL = Size(
    max_needs=60, max_orgs=15, max_provinces=2, max_cities=3, max_counties=3, max_townships=2
)

_CATEGORIES = [c.value for c in Category]
_ORG_TYPES = [t.value for t in OrgType]
_PRIORITIES = [p.value for p in Priority]
_GROUPS = [g.value for g in VulnerableGroup]
_SCOPE_LEVELS = ["nation", "province", "city", "county"]


# --- regions -----------------------------------------------------------------------------------


def _coordinates(draw: Any, region: dict[str, Any]) -> None:
    """Sometimes give a region coordinates (sometimes only one of the two, which counts as none)."""
    kind = draw(st.sampled_from(["none", "none", "both", "lat_only"]))
    if kind in ("both", "lat_only"):
        region["lat"] = draw(st.floats(30.0, 45.0, allow_nan=False, allow_subnormal=False))
    if kind == "both":
        region["lon"] = draw(st.floats(105.0, 120.0, allow_nan=False, allow_subnormal=False))


@st.composite
def region_trees(
    draw: Any, size: Size = TINY, *, nation: bool | None = None
) -> list[dict[str, Any]]:
    """A valid region list: optional nation root, provinces, cities, counties, optional townships.

    ``nation``: ``True`` always puts a nation root above the provinces, ``False`` never does,
    ``None`` lets hypothesis choose.
    """
    with_nation = draw(st.booleans()) if nation is None else nation
    regions: list[dict[str, Any]] = []

    def add(region_id: str, level: str, parent: str | None) -> None:
        region: dict[str, Any] = {"id": region_id, "name": f"{level} {region_id}", "level": level}
        if parent is not None:
            region["parent"] = parent
        if draw(st.integers(0, 3)) == 0:
            region["priority"] = draw(st.sampled_from(_PRIORITIES))
        _coordinates(draw, region)
        regions.append(region)

    if with_nation:
        add("N", "nation", None)
    for p in range(draw(st.integers(1, size.max_provinces))):
        province = f"P{p}"
        add(province, "province", "N" if with_nation else None)
        for c in range(draw(st.integers(0, size.max_cities))):
            city = f"{province}C{c}"
            add(city, "city", province)
            for k in range(draw(st.integers(0, size.max_counties))):
                county = f"{city}K{k}"
                add(county, "county", city)
                for t in range(draw(st.integers(0, size.max_townships))):
                    add(f"{county}T{t}", "township", county)
    return regions


def _chain(regions: list[dict[str, Any]], region_id: str) -> list[dict[str, Any]]:
    """The region and its ancestors, innermost first."""
    by_id = {r["id"]: r for r in regions}
    found = []
    current: str | None = region_id
    while current is not None:
        found.append(by_id[current])
        current = by_id[current].get("parent")
    return found


def _homes_for(regions: list[dict[str, Any]], scope: str) -> list[str]:
    """Region ids a ``scope``-scope organization may have as its home region."""
    if scope == "nation":
        return [r["id"] for r in regions]
    return [r["id"] for r in regions if any(a["level"] == scope for a in _chain(regions, r["id"]))]


# --- organizations and needs -------------------------------------------------------------------


@st.composite
def capabilities(draw: Any, focus: list[str] | None = None) -> dict[str, float]:
    """Capabilities per category: some missing, some exactly 0, some 1.

    ``focus``: categories to favour (those the needs of the document use).
    """
    pool = st.sampled_from(_CATEGORIES)
    if focus:
        pool = st.one_of(st.sampled_from(focus), pool)
    chosen = draw(st.lists(pool, unique=True, min_size=1, max_size=4))
    value = st.one_of(
        st.sampled_from([0.0, 0.2, 0.5, 0.6, 0.8, 0.9, 1.0, 1.0]),
        st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False),
    )
    return {category: draw(value) for category in chosen}


@st.composite
def organizations(
    draw: Any,
    regions: list[dict[str, Any]],
    count: int,
    *,
    nation_needs_root: bool = False,
    focus: list[str] | None = None,
) -> list[dict[str, Any]]:
    """``count`` organizations whose home region is consistent with their scope.

    ``nation_needs_root``: only draw nation-scope organizations when the tree has a nation root.
    ``focus``: categories to favour in capabilities.
    """
    levels = {r["level"] for r in regions}
    # wide scopes are drawn more often, so that organizations compete for the same needs
    scopes = [s for s in (*_SCOPE_LEVELS, "province", "nation") if s in levels or s == "nation"]
    if nation_needs_root and "nation" not in levels:
        scopes = [s for s in scopes if s != "nation"]
    region_ids = [r["id"] for r in regions]
    result = []
    for i in range(count):
        scope = draw(st.sampled_from(scopes))
        org: dict[str, Any] = {
            "id": f"o{i}",
            "name": f"组织{i}",
            "org_type": draw(st.sampled_from(_ORG_TYPES)),
            "scope": scope,
            "home_region": draw(st.sampled_from(_homes_for(regions, scope))),
            "capabilities": draw(capabilities(focus)),
            "max_projects": draw(st.integers(0, 3)),
        }
        credit = draw(st.sampled_from(["normal"] * 6 + ["abnormal", "blacklisted"]))
        if credit != "normal" or draw(st.booleans()):
            org["credit"] = credit
        ratings = draw(st.lists(st.integers(1, 5), max_size=4))
        if ratings:
            org["ratings"] = ratings
        if draw(st.integers(0, 5)) == 0:
            org["service_regions"] = draw(
                st.lists(st.sampled_from(region_ids), unique=True, max_size=2)
            )
        result.append(org)
    return result


@st.composite
def needs(
    draw: Any,
    regions: list[dict[str, Any]],
    count: int,
    *,
    focus: list[str] | None = None,
    org_ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """``count`` needs, mostly in counties and townships but anywhere in the tree.

    ``focus``: the categories to draw from (all six by default). ``org_ids``: organizations a
    need may follow up a project of (``continues``; a document names only its own).
    """
    categories = focus or _CATEGORIES
    low = [r["id"] for r in regions if r["level"] in ("county", "township")]
    anywhere = [r["id"] for r in regions]
    result = []
    for i in range(count):
        pool = low if low and draw(st.integers(0, 3)) else anywhere
        need: dict[str, Any] = {
            "id": f"n{i}",
            "region": draw(st.sampled_from(pool)),
            "category": draw(st.sampled_from(categories)),
            "title": f"需求{i}",
            "beneficiaries": draw(st.one_of(st.just(0), st.integers(0, 20_000))),
        }
        groups = draw(st.lists(st.sampled_from(_GROUPS), max_size=4))
        if groups:
            need["vulnerable_groups"] = groups
        if org_ids and draw(st.integers(0, 3)) == 0:
            need["continues"] = {
                "org_id": draw(st.sampled_from(org_ids)),
                "stars": draw(st.integers(1, 5)),
            }
        result.append(need)
    return result


@st.composite
def policies(draw: Any) -> dict[str, Any]:
    """An empty policy most of the time, else random weights, tiers and switches."""
    if draw(st.integers(0, 2)):
        return {}
    weight = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 5.0])
    names = list(matcher.models.COMPONENTS)
    policy: dict[str, Any] = {
        "weights": {n: draw(weight) for n in draw(st.lists(st.sampled_from(names), unique=True))},
        "priority_values": {
            p: draw(st.sampled_from([0.0, 0.3, 1.0]))
            for p in draw(st.lists(st.sampled_from(_PRIORITIES), unique=True))
        },
        "barred_credit": draw(
            st.sampled_from(
                [[], ["blacklisted"], ["abnormal"], ["abnormal", "blacklisted"], ["normal"]]
            )
        ),
    }
    if draw(st.booleans()):
        policy["distance_scale_km"] = draw(st.sampled_from([10.0, 100.0, 500.0]))
        policy["beneficiaries_reference"] = draw(st.sampled_from([50.0, 10_000.0]))
        policy["reputation_prior_mean"] = draw(st.sampled_from([1.0, 3.5, 5.0]))
        policy["reputation_prior_weight"] = draw(st.sampled_from([0.0, 1.0, 5.0]))
    return policy


def pair_score_values() -> st.SearchStrategy[float]:
    """Finite pair scores: zero, negative and positive, integral and fractional.

    Magnitudes stay within [1e-6, 100] (or exactly 0): far extremes are tested on their own in
    ``test_solvers.py``.
    """
    fractional = st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False).filter(
        lambda x: x == 0.0 or abs(x) >= 1e-6
    )
    return st.one_of(
        st.just(0.0),
        st.integers(-5, 20).map(float),
        st.sampled_from([0.1, 0.2, 0.3, 1 / 3, 2 / 3]),
        fractional,
    )


def _count(low: int, high: int) -> st.SearchStrategy[int]:
    """A count in [low, high], biased towards the upper half (hypothesis favours small ones)."""
    upper = st.integers(max(low, high // 2), high)
    return st.one_of(st.integers(low, high), upper, upper)


def near_tie_scores() -> st.SearchStrategy[float]:
    """Scores that differ by a few millionths: plans whose totals almost tie."""
    return st.builds(
        lambda base, eps: base + eps * 1e-6,
        st.sampled_from([1.0, 2.0, 50.0, 100.0]),
        st.integers(0, 4),
    )


@st.composite
def dense_pair_documents(
    draw: Any, size: Size = TINY, scores: st.SearchStrategy[float] | None = None
) -> dict[str, Any]:
    """Every organization can serve every need; ``pair_scores`` lists most pairs.

    Organizations compete for the same needs, so plans differ in many ways and their totals
    (with :func:`near_tie_scores`) nearly tie.
    """
    n_needs = draw(st.integers(2, size.max_needs))
    n_orgs = draw(st.integers(1, size.max_orgs))
    loads = [draw(st.integers(1, 3)) for _ in range(n_orgs)]
    values = near_tie_scores() if scores is None else scores
    pairs = [
        (i, j, draw(values))
        for i in range(n_needs)
        for j in range(n_orgs)
        if draw(st.integers(0, 3))
    ]
    return scored_document(n_needs, n_orgs, pairs, max_projects=loads)


def scored_document(
    n_needs: int,
    n_orgs: int,
    pairs: Iterable[tuple[int, int, float]],
    *,
    max_projects: int | Sequence[int] = 1,
    partners: int = 1,
) -> dict[str, Any]:
    """One province where every organization can serve every need; ``pairs`` (need, organization,
    score) are the given pair scores, ``max_projects`` one load for all or one per organization."""
    loads = [max_projects] * n_orgs if isinstance(max_projects, int) else list(max_projects)
    needs = [{"id": f"n{i}", "region": "P", "category": "talent"} for i in range(n_needs)]
    if partners != 1:
        for need in needs:
            need["partners"] = partners
    return {
        "regions": [{"id": "P", "level": "province"}],
        "organizations": [
            {
                "id": f"o{j}",
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"talent": 1.0},
                "max_projects": load,
            }
            for j, load in enumerate(loads)
        ],
        "needs": needs,
        "pair_scores": [
            {"need_id": f"n{i}", "org_id": f"o{j}", "score": score} for i, j, score in pairs
        ],
    }


@st.composite
def documents(
    draw: Any,
    size: Size = TINY,
    *,
    pair_scores: bool | None = False,
    policy: bool = True,
    nation: bool | None = None,
    nation_needs_root: bool = False,
    min_needs: int = 0,
    min_orgs: int = 0,
    scores: st.SearchStrategy[float] | None = None,
) -> dict[str, Any]:
    """A valid problem document (a dict).

    ``pair_scores``: ``True`` always adds them, ``False`` never, ``None`` lets hypothesis choose.
    ``scores``: the strategy for pair scores (:func:`pair_score_values` by default).
    """
    regions = draw(region_trees(size, nation=nation))
    n_orgs = draw(_count(min_orgs, size.max_orgs))
    n_needs = draw(_count(min_needs, size.max_needs))
    # A few categories carry most needs, so that organizations compete for them.
    focus = draw(st.lists(st.sampled_from(_CATEGORIES), unique=True, min_size=1, max_size=6))
    orgs = draw(organizations(regions, n_orgs, nation_needs_root=nation_needs_root, focus=focus))
    doc: dict[str, Any] = {
        "regions": regions,
        "organizations": orgs,
        "needs": draw(needs(regions, n_needs, focus=focus, org_ids=[o["id"] for o in orgs])),
    }
    if policy:
        chosen = draw(policies())
        if chosen or draw(st.booleans()):
            doc["policy"] = chosen
    with_pairs = draw(st.booleans()) if pair_scores is None else pair_scores
    if with_pairs:
        score_values = pair_score_values() if scores is None else scores
        all_pairs = [(n["id"], o["id"]) for n in doc["needs"] for o in doc["organizations"]]
        subset = draw(st.lists(st.sampled_from(all_pairs), unique=True)) if all_pairs else []
        doc["pair_scores"] = [
            {"need_id": n, "org_id": o, "score": draw(score_values)} for n, o in subset
        ]
    return doc


@st.composite
def problems(draw: Any, size: Size = TINY, **options: Any) -> matcher.Problem:
    """A validated :class:`matcher.Problem` (see :func:`documents` for the options)."""
    return matcher.Problem.model_validate(draw(documents(size, **options)))


# --- hand-made documents ----------------------------------------------------------------------


_SIMPLE: dict[str, Any] = {
    "regions": [
        {"id": "P", "name": "山西省", "level": "province"},
        {"id": "C", "name": "太原市", "level": "city", "parent": "P"},
        {"id": "K", "name": "清徐县", "level": "county", "parent": "C", "priority": "key"},
    ],
    "organizations": [
        {
            "id": "o1",
            "org_type": "agriculture",
            "scope": "province",
            "home_region": "P",
            "capabilities": {"industry": 0.9, "talent": 0.5},
            "max_projects": 1,
        },
        {
            "id": "o2",
            "org_type": "training",
            "scope": "city",
            "home_region": "C",
            "capabilities": {"talent": 0.8},
            "max_projects": 2,
        },
    ],
    "needs": [
        {"id": "n1", "region": "K", "category": "industry", "beneficiaries": 300},
        {"id": "n2", "region": "K", "category": "talent", "beneficiaries": 50},
        {"id": "n3", "region": "C", "category": "talent"},
    ],
}


def simple_document() -> dict[str, Any]:
    """A fresh copy of a small valid document (3 regions, 2 organizations, 3 needs)."""
    return copy.deepcopy(_SIMPLE)


def region_levels() -> list[str]:
    """Every level name, root first."""
    return [level.value for level in Level]
