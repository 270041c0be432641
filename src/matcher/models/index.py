"""A validated problem laid out as numpy arrays, the form every solver and rule reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .hierarchy import Hierarchy
from .need import Need
from .organization import Organization
from .region import Region
from .vocab import CATEGORY_CODES, Category, Credit, OrgType

__all__ = ["ProblemIndex", "in_sorted"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

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
        pair_scores: Sequence[tuple[str, str, float]] | None,
        pinned: Sequence[tuple[str, str]] = (),
        declined: Sequence[tuple[str, str]] = (),
        pending: Sequence[tuple[str, str]] = (),
    ) -> ProblemIndex:
        """Lay out validated entities (ids unique, references known) as arrays."""
        tree = Hierarchy.build(regions)
        where = tree.position
        need_ids = tuple(n.id for n in needs)
        org_ids = tuple(o.id for o in organizations)
        need_position = {need_id: i for i, need_id in enumerate(need_ids)}
        org_position = {org_id: i for i, org_id in enumerate(org_ids)}

        capability = np.zeros((len(organizations), len(Category)), np.float64)
        acceptance = np.ones((len(organizations), len(Category)), np.float64)
        for row, org in enumerate(organizations):
            for category, value in org.capabilities.items():
                capability[row, CATEGORY_CODES[category]] = value
            for category, value in org.acceptance.items():
                acceptance[row, CATEGORY_CODES[category]] = value

        def category_mask(field: str) -> BoolArray:
            mask = np.zeros((len(organizations), len(Category)), bool)
            for row, org in enumerate(organizations):
                for category in getattr(org, field):
                    mask[row, CATEGORY_CODES[category]] = True
            return mask

        def region_keys(field: str) -> IntArray:
            listed = [
                row * len(tree) + where[region_id]
                for row, org in enumerate(organizations)
                for region_id in getattr(org, field)
            ]
            return np.sort(np.array(listed, np.int64))

        def pairs(refs: Sequence[tuple[str, str]]) -> tuple[IntArray, IntArray]:
            need = np.array([need_position[n] for n, _ in refs], np.int64)
            org = np.array([org_position[o] for _, o in refs], np.int64)
            return need, org

        def keys(refs: Sequence[tuple[str, str]]) -> IntArray:
            need, org = pairs(refs)
            return np.sort(need * len(organizations) + org)

        pinned_need, pinned_org = pairs(pinned)

        service = [
            (row, where[region_id])
            for row, org in enumerate(organizations)
            for region_id in org.service_regions or ()
        ]
        service_array = np.array(service, np.int64).reshape(-1, 2)

        pair_need = pair_org = pair_score = None
        if pair_scores is not None:
            pair_need = np.array([need_position[n] for n, _, _ in pair_scores], np.int64)
            pair_org = np.array([org_position[o] for _, o, _ in pair_scores], np.int64)
            pair_score = np.array([s for _, _, s in pair_scores], np.float64)

        return cls(
            hierarchy=tree,
            need_ids=need_ids,
            need_region=np.array([where[n.region] for n in needs], np.int64),
            need_category=np.array([CATEGORY_CODES[n.category] for n in needs], np.int64),
            need_beneficiaries=np.array([n.beneficiaries for n in needs], np.float64),
            need_vulnerable=np.array([len(set(n.vulnerable_groups)) for n in needs], np.int64),
            need_cost=np.array([n.cost for n in needs], np.float64),
            need_previous_org=np.array(
                [org_position.get(n.continues.org_id, -1) if n.continues else -1 for n in needs],
                np.int64,
            ),
            need_previous_stars=np.array(
                [n.continues.stars if n.continues else 0 for n in needs], np.int64
            ),
            need_partners=np.array([n.partners for n in needs], np.int64),
            need_lead_primary=np.array([n.lead_primary for n in needs], bool),
            need_capacity_building=np.array([n.aid == "capacity_building" for n in needs], bool),
            org_ids=org_ids,
            org_type=np.array([ORG_TYPES.index(o.org_type) for o in organizations], np.int64),
            org_scope_depth=np.array([o.scope.level.depth for o in organizations], np.int64),
            org_home=np.array([where[o.home_region] for o in organizations], np.int64),
            org_capability=capability,
            org_capacity=np.array([o.max_projects for o in organizations], np.int64),
            org_credit=np.array([CREDITS.index(o.credit) for o in organizations], np.int64),
            org_rating_count=np.array([len(o.ratings) for o in organizations], np.float64),
            org_rating_sum=np.array([sum(o.ratings) for o in organizations], np.float64),
            service_org=service_array[:, 0].copy(),
            service_region=service_array[:, 1].copy(),
            org_has_service=np.array([o.service_regions is not None for o in organizations], bool),
            pair_need=pair_need,
            pair_org=pair_org,
            pair_score=pair_score,
            org_acceptance=acceptance,
            org_budget=np.array(
                [np.inf if o.budget is None else o.budget for o in organizations], np.float64
            ),
            org_inspection=np.array([o.inspection_passed for o in organizations], bool),
            org_grade=np.array([o.grade for o in organizations], np.int64),
            org_declines_category=category_mask("declines_categories"),
            org_prefers_category=category_mask("prefers_categories"),
            declines_region_key=region_keys("declines_regions"),
            prefers_region_key=region_keys("prefers_regions"),
            pinned_need=pinned_need,
            pinned_org=pinned_org,
            declined_key=keys(declined),
            pending_key=keys(pending),
            need_position=need_position,
            org_position=org_position,
        )


def in_sorted(values: IntArray, sorted_set: IntArray) -> BoolArray:
    """Elementwise ``value in sorted_set`` by binary search."""
    if sorted_set.size == 0:
        return np.zeros(np.shape(values), bool)
    at = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return np.asarray(sorted_set[at] == values)
