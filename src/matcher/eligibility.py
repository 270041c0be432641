"""Who may take which need: the eligibility rules, evaluated over arrays of pairs.

A pair (need, organization) is eligible when no rule removes it. The rules, in the order they are
reported (the first that fails is the reason):

=================  ===========================================================================
rule               removes the pair when
=================  ===========================================================================
``credit``         the organization's credit standing is in the policy's ``barred_credit``
``declined``       the organization declined this very need in an earlier round (``Problem.declined``)
``pair_scores``    the problem brings its own ``pair_scores`` and this pair is not among them
``capability``     the organization has no capability (0) in the need's category
``scope``          the need lies outside the area of the organization's registration level
``service_regions`` the organization lists service regions and the need lies in none of them
=================  ===========================================================================

Examples
--------
>>> import matcher
>>> problem = matcher.Problem.model_validate({
...     "regions": [{"id": "p", "level": "province"},
...                 {"id": "a", "level": "city", "parent": "p"},
...                 {"id": "b", "level": "city", "parent": "p"}],
...     "organizations": [
...         {"id": "o1", "org_type": "training", "scope": "city", "home_region": "a",
...          "capabilities": {"talent": 0.8}},
...         {"id": "o2", "org_type": "training", "scope": "province", "home_region": "p",
...          "capabilities": {"talent": 0.8}, "credit": "blacklisted"}],
...     "needs": [{"id": "n1", "region": "b", "category": "talent"}]})
>>> [rule_name(code) for code in ineligibility(problem, 0, [0, 1])]
['scope', 'credit']
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .models import Level, Problem
from .models.index import CREDITS

__all__ = ["RULES", "barred_organizations", "in_sorted", "ineligibility", "rule_name"]

#: Rule names; :func:`ineligibility` returns 1 + the position of the first failing rule, 0 if none.
RULES: tuple[str, ...] = (
    "credit",
    "declined",
    "pair_scores",
    "capability",
    "scope",
    "service_regions",
)

IntArray = npt.NDArray[np.int64]


def rule_name(code: int) -> str | None:
    """Name of the rule behind an :func:`ineligibility` code (``None`` for 0, eligible)."""
    return RULES[code - 1] if code else None


def barred_organizations(problem: Problem) -> npt.NDArray[np.bool_]:
    """Which organizations the policy's credit rule bars, by organization index."""
    barred = np.array([credit in problem.policy.barred_credit for credit in CREDITS], bool)
    return barred[problem.index.org_credit]


def ineligibility(problem: Problem, need: npt.ArrayLike, org: npt.ArrayLike) -> IntArray:
    """The first rule that removes each (need, organization) pair, as a code; 0 when eligible.

    Parameters
    ----------
    problem
        The problem.
    need, org
        Need and organization indices (broadcast against each other).

    Returns
    -------
    numpy.ndarray
        ``0`` for an eligible pair, else ``1 + RULES.index(rule)`` of the first failing rule.
    """
    index = problem.index
    tree = index.hierarchy
    need, org = np.broadcast_arrays(
        np.atleast_1d(np.asarray(need, np.int64)), np.atleast_1d(np.asarray(org, np.int64))
    )
    code = np.zeros(need.shape, np.int64)

    def fail(rule: str, mask: npt.NDArray[np.bool_]) -> None:
        code[(code == 0) & mask] = RULES.index(rule) + 1

    fail("credit", barred_organizations(problem)[org])
    fail("declined", in_sorted(need * index.n_orgs + org, index.declined_key))
    if index.pair_need is not None and index.pair_org is not None:
        listed = np.sort(index.pair_need * index.n_orgs + index.pair_org)
        fail("pair_scores", ~in_sorted(need * index.n_orgs + org, listed))
    n_categories = index.org_capability.shape[1]
    capability = index.org_capability.ravel()[org * n_categories + index.need_category[need]]
    fail("capability", capability <= 0)

    region = index.need_region[need]
    depth = index.org_scope_depth[org]
    need_anchor = tree.ancestor_at[region, depth]
    org_anchor = tree.ancestor_at[index.org_home[org], depth]
    # A nation-scope organization works anywhere, with or without a nation region above it.
    national = depth == Level.NATION.depth
    fail("scope", ~national & ((need_anchor < 0) | (need_anchor != org_anchor)))

    limited = np.flatnonzero(index.org_has_service[org] & (code == 0))
    if limited.size:
        served = np.sort(index.service_org * len(tree) + index.service_region)
        keys = org[limited] * len(tree)
        chain = tree.ancestor_at[region[limited]]
        inside = ((chain >= 0) & in_sorted(keys[:, None] + chain, served)).any(axis=1)
        code[limited[~inside]] = RULES.index("service_regions") + 1
    return code


def in_sorted(values: IntArray, sorted_set: IntArray) -> npt.NDArray[np.bool_]:
    """Elementwise ``value in sorted_set`` by binary search."""
    if sorted_set.size == 0:
        return np.zeros(values.shape, bool)
    at = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return np.asarray(sorted_set[at] == values)
