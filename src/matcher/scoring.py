"""Score components of (need, organization) pairs, each in [0, 1], and their weighted sum.

The components and their formulas are documented in :mod:`matcher.models.policy`.

Examples
--------
>>> import matcher
>>> from matcher.scoring import components, weighted
>>> problem = matcher.Problem.model_validate({
...     "regions": [{"id": "p", "level": "province", "priority": "key"}],
...     "organizations": [{"id": "o", "org_type": "training", "scope": "province",
...                        "home_region": "p", "capabilities": {"talent": 0.5}}],
...     "needs": [{"id": "n", "region": "p", "category": "talent", "beneficiaries": 9999}]})
>>> values = components(problem, [0], [0])
>>> dict(zip(matcher.models.COMPONENTS, values[0].round(3).tolist()))
{'capability': 0.5, 'type_fit': 1.0, 'priority': 1.0, 'beneficiaries': 1.0, 'vulnerable': 0.0, 'proximity': 0.5, 'reputation': 0.625}
>>> weighted(problem.policy, values).round(3).tolist()
[9.625]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .models import COMPONENTS, PRIMARY_TYPES, Category, Policy, Priority, Problem, VulnerableGroup
from .models.index import ORG_TYPES

__all__ = ["EARTH_RADIUS_KM", "components", "distance_km", "weighted"]

FloatArray = npt.NDArray[np.float64]

EARTH_RADIUS_KM = 6371.0088

#: type_fit lookup: [category code, org type code] -> 1.0 when the type is primary for the category.
_TYPE_FIT = np.array(
    [[float(t in PRIMARY_TYPES[c]) for t in ORG_TYPES] for c in Category], dtype=np.float64
)


def distance_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle (haversine) distance in km; NaN where a coordinate is missing."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def components(problem: Problem, need: npt.ArrayLike, org: npt.ArrayLike) -> FloatArray:
    """Unweighted score components of each pair, one column per name in ``COMPONENTS``."""
    index, policy = problem.index, problem.policy
    tree = index.hierarchy
    need = np.asarray(need, np.int64)
    org = np.asarray(org, np.int64)
    category = index.need_category[need]
    need_region = index.need_region[need]
    org_home = index.org_home[org]

    tier_value = np.array([policy.priority_values.get(t, 0.0) for t in Priority], np.float64)
    reference = np.log1p(policy.beneficiaries_reference)
    prior_w, prior_mean = policy.reputation_prior_weight, policy.reputation_prior_mean
    count, total = index.org_rating_count[org], index.org_rating_sum[org]
    denominator = prior_w + count
    stars = np.divide(
        prior_w * prior_mean + total,
        denominator,
        out=np.full(org.shape, prior_mean),
        where=denominator > 0,
    )
    km = distance_km(
        tree.lat[need_region], tree.lon[need_region], tree.lat[org_home], tree.lon[org_home]
    )
    proximity = np.where(np.isnan(km), 0.5, np.exp(-km / policy.distance_scale_km))

    columns = {
        "capability": index.org_capability[org, category],
        "type_fit": _TYPE_FIT[category, index.org_type[org]],
        "priority": tier_value[tree.tier[need_region]],
        "beneficiaries": np.minimum(1.0, np.log1p(index.need_beneficiaries[need]) / reference),
        "vulnerable": index.need_vulnerable[need] / len(VulnerableGroup),
        "proximity": proximity,
        "reputation": (stars - 1.0) / 4.0,
    }
    return np.column_stack([np.broadcast_to(columns[name], need.shape) for name in COMPONENTS])


def weighted(policy: Policy, values: FloatArray) -> FloatArray:
    """The score: components weighted by the policy's weights."""
    weights = np.array([getattr(policy.weights, name) for name in COMPONENTS], np.float64)
    return np.asarray(values @ weights)
