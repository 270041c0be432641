"""Score components of (need, organization) pairs, each in [0, 1], and their weighted sum.

The components and their formulas are documented in :mod:`matcher.models.policy`.

Examples
--------
>>> import matcher
>>> from matcher.pairs.scoring import components, weighted
>>> problem = matcher.Problem.model_validate({
...     "regions": [{"id": "p", "level": "province", "priority": "key"}],
...     "organizations": [{"id": "o", "org_type": "training", "scope": "province",
...                        "home_region": "p", "capabilities": {"talent": 0.5}}],
...     "needs": [{"id": "n", "region": "p", "category": "talent", "beneficiaries": 9999}]})
>>> values = components(problem, [0], [0])
>>> for name, value in zip(matcher.models.COMPONENTS, values[0].round(3).tolist()):
...     print(name, value)
capability 0.5
type_fit 1.0
priority 1.0
beneficiaries 1.0
vulnerable 0.0
proximity 0.5
reputation 0.625
continuity 0.0
discontinuity 0.0
incumbent 0.0
preference 0.0
merit 0.0
>>> weighted(problem.policy, values).round(3).tolist()
[9.125]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..models import COMPONENTS, PRIMARY_TYPES, Category, Policy, Priority, Problem, VulnerableGroup
from ..models.index import ORG_TYPES, in_sorted
from .eligibility import listed_region

__all__ = ["components", "score", "weighted"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: type_fit lookup: [category code, org type code] -> 1.0 when the type is primary for the category.
_TYPE_FIT = np.array(
    [[float(t in PRIMARY_TYPES[c]) for t in ORG_TYPES] for c in Category], dtype=np.float64
)


def components(problem: Problem, need: npt.ArrayLike, org: npt.ArrayLike) -> FloatArray:
    """Unweighted score components of each pair, one column per name in ``COMPONENTS``.

    Per-need and per-organization values are computed once and gathered straight into the
    columns of one Fortran-ordered array: at millions of pairs, temporaries cost more than math.
    """
    index, policy = problem.index, problem.policy
    tree = index.hierarchy
    need, org = np.broadcast_arrays(
        np.atleast_1d(np.asarray(need, np.int64)), np.atleast_1d(np.asarray(org, np.int64))
    )
    values = np.zeros((need.size, len(COMPONENTS)), np.float64, order="F")
    column = {name: values[:, k] for k, name in enumerate(COMPONENTS)}
    category = index.need_category[need]

    # Per need.
    tier_value = np.array([policy.priority_values.get(t, 0.0) for t in Priority], np.float64)
    reference = np.log1p(policy.beneficiaries_reference)
    np.take(tier_value[tree.tier[index.need_region]], need, out=column["priority"])
    beneficiaries = np.minimum(1.0, np.log1p(index.need_beneficiaries) / reference)
    np.take(beneficiaries, need, out=column["beneficiaries"])
    np.take(index.need_vulnerable / len(VulnerableGroup), need, out=column["vulnerable"])
    np.take(index.need_merit, need, out=column["merit"])
    # Per organization.
    prior_w, prior_mean = policy.reputation_prior_weight, policy.reputation_prior_mean
    denominator = prior_w + index.org_rating_count
    stars = np.divide(
        prior_w * prior_mean + index.org_rating_sum,
        denominator,
        out=np.full(index.n_orgs, prior_mean),
        where=denominator > 0,
    )
    np.take((stars - 1.0) / 4.0, org, out=column["reputation"])
    # Per pair. Flat gathers: numpy's 2-D fancy indexing is slower at millions of pairs.
    np.take(index.org_capability.ravel(), org * len(Category) + category, out=column["capability"])
    flat_type = category * len(ORG_TYPES) + index.org_type[org]
    np.take(_TYPE_FIT.ravel(), flat_type, out=column["type_fit"])
    need_region = index.need_region[need]
    km = tree.distance_km(need_region, index.org_home[org])
    np.exp(-km / policy.distance_scale_km, out=column["proximity"])
    column["proximity"][np.isnan(km)] = 0.5
    if (index.need_previous_org >= 0).any():
        same = index.need_previous_org[need] == org
        previous_stars = index.need_previous_stars[need]
        column["continuity"][same & (previous_stars >= 4)] = 1.0
        column["discontinuity"][same & (previous_stars <= 2)] = -1.0
    if index.pending_key.size:
        column["incumbent"][in_sorted(need * index.n_orgs + org, index.pending_key)] = 1.0
    if index.org_prefers_category.any() or index.prefers_region_key.size:
        preferred = index.org_prefers_category.ravel()[org * len(Category) + category]
        if index.prefers_region_key.size:
            preferred |= listed_region(problem, org, need_region, index.prefers_region_key)
        column["preference"][preferred] = 1.0
    return values


def score(problem: Problem, need: IntArray, org: IntArray, values: FloatArray) -> FloatArray:
    """The pairs' scores: weighted components, times the acceptance probability when the policy
    maximizes expected value."""
    total = weighted(problem.policy, values)
    if problem.policy.expected_value:
        index = problem.index
        flat = org * len(Category) + index.need_category[need]
        total = total * index.org_acceptance.ravel()[flat]
    return total


def weighted(policy: Policy, values: FloatArray) -> FloatArray:
    """Components weighted by the policy's weights."""
    weights = np.array([getattr(policy.weights, name) for name in COMPONENTS], np.float64)
    return np.asarray(values @ weights)
