"""A validated problem laid out as numpy arrays, the form every solver and rule reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .hierarchy import Hierarchy
from .need import Need
from .organization import Organization
from .region import Region
from .vocab import CATEGORY_CODES, Category, Credit, OrgType, Scope

__all__ = [
    "NEED_FIELDS",
    "ORGANIZATION_FIELDS",
    "REGION_FIELDS",
    "CodedIds",
    "Columns",
    "Ids",
    "PairColumns",
    "ProblemIndex",
    "in_sorted",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Validated rows given field by field: field name -> one value per row.
Columns = Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class CodedIds:
    """Ids given as codes into their distinct values: the i-th id is ``distinct[codes[i]]``."""

    codes: npt.NDArray[np.intp]
    distinct: Sequence[str] | npt.NDArray[np.object_]


#: Ids given one by one, or coded.
Ids = Iterable[str] | npt.NDArray[np.object_] | CodedIds

#: Validated pair scores given column by column: need ids, organization ids, scores.
PairColumns = tuple[Ids, Ids, Sequence[float] | FloatArray]

ORG_TYPES: list[OrgType] = list(OrgType)
CREDITS: list[Credit] = list(Credit)


@dataclass(frozen=True, eq=False)
class ProblemIndex:
    """Columnar view of a problem: one array per attribute, rows in input order.

    Needs, organizations and regions are numbered by their position in the problem; categories,
    organization types and credit standings by their declaration order in :mod:`matcher.models.vocab`.
    """

    hierarchy: Hierarchy
    need_ids: tuple[str, ...]
    need_region: IntArray
    need_category: IntArray
    need_beneficiaries: FloatArray
    need_vulnerable: IntArray
    need_cost: FloatArray
    need_previous_org: IntArray  # organization of the project a need follows up, -1 if none
    need_previous_stars: IntArray  # its rating, 0 if none
    need_partners: IntArray
    need_lead_primary: BoolArray
    need_capacity_building: BoolArray
    need_merit: FloatArray  # review merit in 0..1
    org_ids: tuple[str, ...]
    org_type: IntArray
    org_scope_depth: IntArray
    org_home: IntArray
    org_capability: FloatArray  # (organizations, categories)
    org_capacity: IntArray
    org_credit: IntArray
    org_rating_count: FloatArray
    org_rating_sum: FloatArray
    service_org: IntArray  # one row per (organization, service region)
    service_region: IntArray
    org_has_service: BoolArray
    pair_need: IntArray | None
    pair_org: IntArray | None
    pair_score: FloatArray | None
    org_acceptance: FloatArray  # (organizations, categories), 1 where not given
    org_budget: FloatArray  # inf where not given
    org_inspection: BoolArray
    org_grade: IntArray
    org_declines_category: BoolArray  # (organizations, categories)
    org_prefers_category: BoolArray
    declines_region_key: IntArray  # sorted org * n_regions + region
    prefers_region_key: IntArray
    pinned_need: IntArray
    pinned_org: IntArray
    declined_key: IntArray  # sorted need * n_orgs + org of declined pairs
    pending_key: IntArray  # likewise for pending offers
    need_position: dict[str, int] = field(repr=False)
    org_position: dict[str, int] = field(repr=False)

    @property
    def n_needs(self) -> int:
        return len(self.need_ids)

    @property
    def n_orgs(self) -> int:
        return len(self.org_ids)

    @classmethod
    def build(
        cls,
        regions: Sequence[Region],
        organizations: Sequence[Organization],
        needs: Sequence[Need],
        pair_scores: PairColumns | None,
        pinned: Sequence[tuple[str, str]] = (),
        declined: Sequence[tuple[str, str]] = (),
        pending: Sequence[tuple[str, str]] = (),
    ) -> ProblemIndex:
        """Lay out validated entities (ids unique, references known) as arrays."""
        return cls.from_columns(
            _columns(regions, REGION_FIELDS),
            _columns(organizations, ORGANIZATION_FIELDS),
            _columns(needs, NEED_FIELDS),
            pair_scores,
            pinned=pinned,
            declined=declined,
            pending=pending,
        )

    @classmethod
    def from_columns(
        cls,
        regions: Columns,
        organizations: Columns,
        needs: Columns,
        pair_scores: PairColumns | None,
        pinned: Sequence[tuple[str, str]] = (),
        declined: Sequence[tuple[str, str]] = (),
        pending: Sequence[tuple[str, str]] = (),
    ) -> ProblemIndex:
        """Lay out validated entities given field by field, one sequence per field.

        ``regions``, ``organizations`` and ``needs`` map the field names in
        :data:`REGION_FIELDS`, :data:`ORGANIZATION_FIELDS` and :data:`NEED_FIELDS` to the
        validated values of every row (defaults filled in), as the models hold them. Ids must be
        unique and references known, as :class:`~matcher.Problem` validation guarantees.

        Examples
        --------
        >>> from matcher.models.vocab import Level, Scope
        >>> index = ProblemIndex.from_columns(
        ...     {"id": ["14"], "level": [Level.PROVINCE], "parent": [None], "priority": [None],
        ...      "lat": [None], "lon": [None]},
        ...     {"id": ["o1"], "org_type": [OrgType.TRAINING], "scope": [Scope.PROVINCE],
        ...      "home_region": ["14"], "service_regions": [None],
        ...      "capabilities": [{Category.TALENT: 0.8}], "max_projects": [2],
        ...      "credit": [Credit.NORMAL], "ratings": [()], "acceptance": [{}],
        ...      "budget": [None], "inspection_passed": [True], "grade": [0],
        ...      "declines_regions": [()], "declines_categories": [()],
        ...      "prefers_regions": [()], "prefers_categories": [()]},
        ...     {"id": ["n1"], "region": ["14"], "category": [Category.TALENT],
        ...      "beneficiaries": [120], "vulnerable_groups": [()], "cost": [0.0],
        ...      "continues": [None], "partners": [1], "lead_primary": [False],
        ...      "aid": ["direct_aid"]},
        ...     None)
        >>> index.org_capability[0].tolist(), index.need_category.tolist()
        ([0.0, 0.8, 0.0, 0.0, 0.0, 0.0], [1])
        """
        tree = _hierarchy(regions)
        need_ids = tuple(needs["id"])
        org_ids = tuple(organizations["id"])
        need_position = {need_id: i for i, need_id in enumerate(need_ids)}
        org_position = {org_id: i for i, org_id in enumerate(org_ids)}
        pinned_need, pinned_org = _ref_positions(pinned, need_position, org_position)
        return cls(
            hierarchy=tree,
            need_ids=need_ids,
            org_ids=org_ids,
            **_need_arrays(needs, tree.position, org_position),
            **_organization_arrays(organizations, tree),
            **_pair_score_arrays(pair_scores, need_position, org_position),
            pinned_need=pinned_need,
            pinned_org=pinned_org,
            declined_key=_ref_keys(declined, need_position, org_position, len(org_ids)),
            pending_key=_ref_keys(pending, need_position, org_position, len(org_ids)),
            need_position=need_position,
            org_position=org_position,
        )


def _hierarchy(regions: Columns) -> Hierarchy:
    """The region tree, from the regions' columns."""
    return Hierarchy.from_columns(
        ids=regions["id"],
        levels=regions["level"],
        parents=regions["parent"],
        priorities=regions["priority"],
        lat=regions["lat"],
        lon=regions["lon"],
    )


def _ref_positions(
    refs: Sequence[tuple[str, str]],
    need_position: Mapping[str, int],
    org_position: Mapping[str, int],
) -> tuple[IntArray, IntArray]:
    """The need and organization positions of pairs given by ids."""
    need = np.array([need_position[n] for n, _ in refs], np.int64)
    org = np.array([org_position[o] for _, o in refs], np.int64)
    return need, org


def _ref_keys(
    refs: Sequence[tuple[str, str]],
    need_position: Mapping[str, int],
    org_position: Mapping[str, int],
    n_orgs: int,
) -> IntArray:
    """Pairs given by ids as sorted keys ``need * n_orgs + org``."""
    need, org = _ref_positions(refs, need_position, org_position)
    return np.sort(need * n_orgs + org)


def _pair_score_arrays(
    pair_scores: PairColumns | None,
    need_position: Mapping[str, int],
    org_position: Mapping[str, int],
) -> dict[str, Any]:
    """The ``pair_*`` arrays of :class:`ProblemIndex` (``None`` when no pair scores are given)."""
    if pair_scores is None:
        return {"pair_need": None, "pair_org": None, "pair_score": None}
    pair_need_ids, pair_org_ids, scores = pair_scores
    return {
        "pair_need": _positions(pair_need_ids, need_position),
        "pair_org": _positions(pair_org_ids, org_position),
        "pair_score": np.array(scores, np.float64).reshape(-1),
    }


def _need_arrays(
    needs: Columns, where: Mapping[str, int], org_position: Mapping[str, int]
) -> dict[str, Any]:
    """The ``need_*`` arrays of :class:`ProblemIndex`, from the needs' columns."""
    continues = needs["continues"]
    return {
        "need_region": np.array([where[r] for r in needs["region"]], np.int64),
        "need_category": np.array([CATEGORY_CODES[c] for c in needs["category"]], np.int64),
        "need_beneficiaries": np.array(needs["beneficiaries"], np.float64).reshape(-1),
        "need_vulnerable": np.array([len(set(g)) for g in needs["vulnerable_groups"]], np.int64),
        "need_cost": np.array(needs["cost"], np.float64).reshape(-1),
        "need_previous_org": np.array(
            [org_position.get(c.org_id, -1) if c else -1 for c in continues], np.int64
        ),
        "need_previous_stars": np.array([c.stars if c else 0 for c in continues], np.int64),
        "need_partners": np.array(needs["partners"], np.int64).reshape(-1),
        "need_lead_primary": np.array(needs["lead_primary"], bool).reshape(-1),
        "need_capacity_building": np.array(
            [aid == "capacity_building" for aid in needs["aid"]], bool
        ),
        "need_merit": np.array(needs.get("merit", [0.0] * len(needs["id"])), np.float64).reshape(-1)
        / 100.0,
    }


def _organization_arrays(organizations: Columns, tree: Hierarchy) -> dict[str, Any]:
    """The ``org_*`` arrays of :class:`ProblemIndex` and the organizations' listed regions
    (service, declined, preferred), from the organizations' columns."""
    where = tree.position
    n_orgs = len(organizations["id"])
    service_regions = organizations["service_regions"]
    service_org, service_region = _service_pairs(service_regions, where)
    org_type_code = {org_type: code for code, org_type in enumerate(ORG_TYPES)}
    credit_code = {credit: code for code, credit in enumerate(CREDITS)}
    scope_depth = {scope: scope.level.depth for scope in Scope}
    ratings = organizations["ratings"]
    return {
        "org_type": np.array([org_type_code[t] for t in organizations["org_type"]], np.int64),
        "org_scope_depth": np.array([scope_depth[s] for s in organizations["scope"]], np.int64),
        "org_home": np.array([where[h] for h in organizations["home_region"]], np.int64),
        "org_capability": _per_category(organizations["capabilities"], n_orgs, 0.0),
        "org_capacity": np.array(organizations["max_projects"], np.int64).reshape(-1),
        "org_credit": np.array([credit_code[c] for c in organizations["credit"]], np.int64),
        "org_rating_count": np.array([len(r) for r in ratings], np.float64),
        "org_rating_sum": np.array([sum(r) for r in ratings], np.float64),
        "service_org": service_org,
        "service_region": service_region,
        "org_has_service": np.array([s is not None for s in service_regions], bool),
        "org_acceptance": _per_category(organizations["acceptance"], n_orgs, 1.0),
        "org_budget": np.array(
            [np.inf if b is None else b for b in organizations["budget"]], np.float64
        ),
        "org_inspection": np.array(organizations["inspection_passed"], bool).reshape(-1),
        "org_grade": np.array(organizations["grade"], np.int64).reshape(-1),
        "org_declines_category": _category_mask(organizations["declines_categories"], n_orgs),
        "org_prefers_category": _category_mask(organizations["prefers_categories"], n_orgs),
        "declines_region_key": _region_keys(organizations["declines_regions"], tree),
        "prefers_region_key": _region_keys(organizations["prefers_regions"], tree),
    }


def _per_category(
    column: Sequence[Mapping[Category, float]], n_orgs: int, fill: float
) -> FloatArray:
    """An (organizations, categories) table of per-category values, ``fill`` where not given."""
    table = np.full((n_orgs, len(Category)), fill, np.float64)
    for row, values in enumerate(column):
        for category, value in values.items():
            table[row, CATEGORY_CODES[category]] = value
    return table


def _category_mask(column: Sequence[Iterable[Category]], n_orgs: int) -> BoolArray:
    """An (organizations, categories) mask of the categories each organization lists."""
    mask = np.zeros((n_orgs, len(Category)), bool)
    for row, listed in enumerate(column):
        for category in listed:
            mask[row, CATEGORY_CODES[category]] = True
    return mask


def _region_keys(column: Sequence[Iterable[str]], tree: Hierarchy) -> IntArray:
    """The regions each organization lists, as sorted keys ``org * n_regions + region``."""
    where = tree.position
    listed = [
        row * len(tree) + where[region_id]
        for row, regions_of in enumerate(column)
        for region_id in regions_of
    ]
    return np.sort(np.array(listed, np.int64))


def _service_pairs(
    service_regions: Sequence[Iterable[str] | None], where: Mapping[str, int]
) -> tuple[IntArray, IntArray]:
    """One (organization, region) row per listed service region, as two arrays."""
    service = [
        (row, where[region_id])
        for row, listed in enumerate(service_regions)
        for region_id in listed or ()
    ]
    service_array = np.array(service, np.int64).reshape(-1, 2)
    return service_array[:, 0].copy(), service_array[:, 1].copy()


#: The fields :meth:`ProblemIndex.from_columns` reads, per kind of row.
REGION_FIELDS = ("id", "level", "parent", "priority", "lat", "lon")
ORGANIZATION_FIELDS = (
    "id",
    "org_type",
    "scope",
    "home_region",
    "service_regions",
    "capabilities",
    "max_projects",
    "credit",
    "ratings",
    "acceptance",
    "budget",
    "inspection_passed",
    "grade",
    "declines_regions",
    "declines_categories",
    "prefers_regions",
    "prefers_categories",
)
NEED_FIELDS = (
    "id",
    "region",
    "category",
    "beneficiaries",
    "vulnerable_groups",
    "cost",
    "continues",
    "partners",
    "lead_primary",
    "aid",
    "merit",
)


def _positions(ids: Ids, position: Mapping[str, int]) -> IntArray:
    """The positions of ``ids`` (each distinct one looked up once when they are coded)."""
    if isinstance(ids, CodedIds):
        distinct = np.fromiter(map(position.__getitem__, ids.distinct), np.int64, len(ids.distinct))
        return distinct[ids.codes]
    return np.fromiter(map(position.__getitem__, ids), np.int64)


def _columns(items: Sequence[Any], fields: Sequence[str]) -> dict[str, list[Any]]:
    """``items`` field by field: ``{field: [item.field for item in items]}``."""
    return {name: [getattr(item, name) for item in items] for name in fields}


def in_sorted(values: IntArray, sorted_set: IntArray) -> BoolArray:
    """Elementwise ``value in sorted_set`` by binary search."""
    if sorted_set.size == 0:
        return np.zeros(np.shape(values), bool)
    at = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return np.asarray(sorted_set[at] == values)
