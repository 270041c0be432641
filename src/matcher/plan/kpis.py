"""Key figures of a plan: needs served by category, priority tier and city; organizations' load.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
>>> kpis = matcher.solve(problem).kpis
>>> kpis.needs
60
>>> sorted(kpis.frame("tier").index)
['former_poverty', 'key', 'normal']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..models import Category, Level, Priority, Problem
from ..models.base import Model

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = ["Kpis", "Tally", "compute_kpis", "gini"]

IntArray = npt.NDArray[np.int64]
_Key = TypeVar("_Key", Category, Priority)

#: Key of the ``by_city`` entry for needs that lie in no city.
NO_CITY = ""


class Tally(Model):
    """How many needs a group has and how many of them the plan serves."""

    needs: int
    served: int
    share: float
    name: str = ""


class Kpis(Model):
    """The plan's key figures.

    Attributes
    ----------
    needs, served, share
        All needs, those served, and the ratio.
    by_category, by_tier, by_city
        A :class:`Tally` per category, priority tier and city id (``""``: needs in no city).
    organizations, engaged
        Organizations in the problem, and those that take at least one need.
    capacity, used, utilization
        Total ``max_projects`` of organizations in good standing, needs they take, and the ratio.
    load
        Needs taken per organization id (engaged organizations only).
    min_city_share, gini_city_share
        Fairness across cities: the smallest served share, and the Gini coefficient of the shares
        (0 when every city is served alike).
    capacity_building_share
        Share of served needs that build capacity (造血) rather than give direct aid (输血).
    cost_served
        Total cost of the served needs (money used).
    """

    needs: int
    served: int
    share: float
    by_category: dict[Category, Tally]
    by_tier: dict[Priority, Tally]
    by_city: dict[str, Tally]
    organizations: int
    engaged: int
    capacity: int
    used: int
    utilization: float
    load: dict[str, int]
    min_city_share: float = 0.0
    gini_city_share: float = 0.0
    capacity_building_share: float = 0.0
    cost_served: float = 0.0

    def frame(self, by: Literal["category", "tier", "city"]) -> pd.DataFrame:
        """One of the breakdowns as a DataFrame indexed by group id."""
        if by == "category":
            rows = {c.value: t.model_dump() for c, t in self.by_category.items()}
        elif by == "tier":
            rows = {p.value: t.model_dump() for p, t in self.by_tier.items()}
        else:
            rows = {city: t.model_dump() for city, t in self.by_city.items()}
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(Tally.model_fields))
        frame.index.name = by
        return frame


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _tallies(groups: IntArray, served: npt.NDArray[np.bool_], size: int) -> list[tuple[int, int]]:
    needs = np.bincount(groups, minlength=size)
    hits = np.bincount(groups[served], minlength=size)
    return list(zip(needs.tolist(), hits.tolist(), strict=True))


def compute_kpis(
    problem: Problem, org: IntArray, served: npt.NDArray[np.bool_], usable: npt.NDArray[np.bool_]
) -> Kpis:
    """Key figures of a plan.

    Parameters
    ----------
    problem
        The problem.
    org
        Organization index of each assigned pair (a partnership has several pairs).
    served
        Per need, whether the plan serves it.
    usable
        Organizations in good standing (their capacity counts towards utilization).
    """
    index = problem.index
    n_served = int(served.sum())
    by_city = _by_city(problem, served)
    shares = np.array([t.share for key, t in by_city.items() if key != NO_CITY], np.float64)
    taken = np.bincount(org, minlength=index.n_orgs)
    capacity = int(index.org_capacity[usable].sum())
    return Kpis(
        needs=index.n_needs,
        served=n_served,
        share=_ratio(n_served, index.n_needs),
        by_category=_by_code(list(Category), index.need_category, served),
        by_tier=_by_code(list(Priority), index.hierarchy.tier[index.need_region], served),
        by_city=by_city,
        organizations=index.n_orgs,
        engaged=int((taken > 0).sum()),
        capacity=capacity,
        used=int(org.size),
        utilization=_ratio(int(org.size), capacity),
        load={index.org_ids[o]: int(taken[o]) for o in np.flatnonzero(taken).tolist()},
        min_city_share=float(shares.min()) if shares.size else 0.0,
        gini_city_share=gini(shares),
        capacity_building_share=_ratio(
            int((served & index.need_capacity_building).sum()), n_served
        ),
        cost_served=float(index.need_cost[served].sum()),
    )


def _by_code(
    keys: Sequence[_Key], codes: IntArray, served: npt.NDArray[np.bool_]
) -> dict[_Key, Tally]:
    """A :class:`Tally` per key with needs, the needs coded by position in ``keys``."""
    return {
        keys[code]: Tally(needs=n, served=s, share=_ratio(s, n))
        for code, (n, s) in enumerate(_tallies(codes, served, len(keys)))
        if n
    }


def _by_city(problem: Problem, served: npt.NDArray[np.bool_]) -> dict[str, Tally]:
    """A :class:`Tally` per city with needs, with its name, then one for needs in no city."""
    index = problem.index
    tree = index.hierarchy
    city = tree.at_level(index.need_region, Level.CITY)
    city_slot = np.where(city >= 0, city, len(tree))
    by_city = {}
    for slot, (n, s) in enumerate(_tallies(city_slot, served, len(tree) + 1)):
        if n:
            key = tree.ids[slot] if slot < len(tree) else NO_CITY
            name = problem.regions[slot].name if slot < len(tree) else ""
            by_city[key] = Tally(needs=n, served=s, share=_ratio(s, n), name=name)
    return by_city


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one has all.

    Examples
    --------
    >>> gini([0.5, 0.5, 0.5]), round(gini([0.0, 0.0, 1.0]), 3)
    (0.0, 0.667)
    """
    x = np.sort(np.asarray(values, np.float64))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, x.size + 1)
    return float((2 * (ranks * x).sum()) / (x.size * x.sum()) - (x.size + 1) / x.size)
