"""Who may take which need: the eligibility rules, evaluated over arrays of pairs.

A pair (need, organization) is eligible when no rule removes it. The rules, in the order they are
reported (the first that fails is the reason):

=================  ===========================================================================
rule               removes the pair when
=================  ===========================================================================
``credit``         the organization's credit standing is in the policy's ``barred_credit``
``inspection``     it failed the annual inspection and the policy requires one
                   (``eligibility.require_inspection``)
``grade``          its evaluation grade is below ``eligibility.min_grade``
``declined``       the organization declined this very need in an earlier round (``Problem.declined``)
``pair_scores``    the problem brings its own ``pair_scores`` and this pair is not among them
``capability``     the organization has no capability (0) in the need's category
``unwilling``      it declines the need's category or a region containing the need (不搞摊派)
``primary_type``   the category is one ``eligibility.primary_types_only`` keeps for primary types,
                   and the organization's type is not one of them
``scope``          the need lies outside the area of the organization's registration level (unless
                   ``eligibility.respect_scope`` is off)
``service_regions`` the organization lists service regions and the need lies in none of them
``distance``       the two regions are farther apart than ``eligibility.max_distance_km``
=================  ===========================================================================

With ``pair_scores`` the portal's pairs replace the structural rules (``capability``, ``scope``,
``service_regions``); the others still remove pairs.

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

from ..models import PRIMARY_TYPES, Category, Level, Problem
from ..models.index import CREDITS, ORG_TYPES, in_sorted

__all__ = [
    "PRIMARY_MATRIX",
    "RULES",
    "barred_organizations",
    "ineligibility",
    "listed_region",
    "rule_name",
]

#: Rule names; :func:`ineligibility` returns 1 + the position of the first failing rule, 0 if none.
RULES: tuple[str, ...] = (
    "credit",
    "inspection",
    "grade",
    "declined",
    "pair_scores",
    "capability",
    "unwilling",
    "primary_type",
    "scope",
    "service_regions",
    "distance",
)

IntArray = npt.NDArray[np.int64]


def rule_name(code: int) -> str | None:
    """Name of the rule behind an :func:`ineligibility` code (``None`` for 0, eligible)."""
    return RULES[code - 1] if code else None


def barred_organizations(problem: Problem) -> npt.NDArray[np.bool_]:
    """Which organizations the policy's credit rule bars, by organization index."""
    barred = np.array([credit in problem.policy.barred_credit for credit in CREDITS], bool)
    return barred[problem.index.org_credit]


def ineligibility(
    problem: Problem, need: npt.ArrayLike, org: npt.ArrayLike, *, listed: bool = False
) -> IntArray:
    """The first rule that removes each (need, organization) pair, as a code; 0 when eligible.

    Parameters
    ----------
    problem
        The problem.
    need, org
        Need and organization indices (broadcast against each other).
    listed
        Whether the pairs are known to be among the problem's ``pair_scores`` (the ``pair_scores``
        rule then has nothing to remove, and is not evaluated).

    Returns
    -------
    numpy.ndarray
        ``0`` for an eligible pair, else ``1 + RULES.index(rule)`` of the first failing rule.
    """
    need, org = np.broadcast_arrays(
        np.atleast_1d(np.asarray(need, np.int64)), np.atleast_1d(np.asarray(org, np.int64))
    )
    # The first three rules look at the organization alone: evaluated once per organization.
    by_org = _organization_codes(problem)
    code = by_org[org] if by_org.any() else np.zeros(need.shape, np.int64)
    _pair_rules(problem, need, org, code, listed=listed)
    return code


def _organization_codes(problem: Problem) -> IntArray:
    """Per organization, the first of ``credit``, ``inspection`` and ``grade`` that removes it
    from every pair (as an :func:`ineligibility` code), 0 when none does."""
    index = problem.index
    switches = problem.policy.eligibility
    code = np.zeros(index.n_orgs, np.int64)
    _fail(code, "grade", index.org_grade < switches.min_grade)
    if switches.require_inspection:
        _fail(code, "inspection", ~index.org_inspection, first=True)
    _fail(code, "credit", barred_organizations(problem), first=True)
    return code


def _fail(code: IntArray, rule: str, mask: npt.NDArray[np.bool_], *, first: bool = False) -> None:
    """Record ``rule`` where ``mask`` holds and no earlier rule failed (``first``: where it
    holds, over any later rule's code)."""
    where = mask if first else (code == 0) & mask
    code[where] = RULES.index(rule) + 1


def _pair_rules(
    problem: Problem, need: IntArray, org: IntArray, code: IntArray, *, listed: bool
) -> None:
    """The rules after ``grade``, in order, where ``code`` is still 0; a rule that cannot remove
    any pair of this problem is not evaluated."""
    index = problem.index
    switches = problem.policy.eligibility
    if index.declined_key.size:
        _fail(code, "declined", in_sorted(need * index.n_orgs + org, index.declined_key))
    if index.pair_need is not None and index.pair_org is not None and not listed:
        keys = np.sort(index.pair_need * index.n_orgs + index.pair_org)
        _fail(code, "pair_scores", ~in_sorted(need * index.n_orgs + org, keys))
    # Given pair scores replace the structural rules (capability, scope, service regions): the
    # portal that scored the pairs decided those. Credit, willingness and the switches still hold.
    structural = index.pair_need is None
    by_region = structural or index.declines_region_key.size or switches.max_distance_km is not None
    region = index.need_region[need] if by_region else None
    _category_rules(problem, need, org, region, code)
    if region is not None and structural:
        _structural_area_rules(problem, org, region, code)
    if region is not None and switches.max_distance_km is not None:
        km = problem.index.hierarchy.distance_km(region, index.org_home[org])
        _fail(code, "distance", km > switches.max_distance_km)


def _category_rules(
    problem: Problem, need: IntArray, org: IntArray, region: IntArray | None, code: IntArray
) -> None:
    """``capability`` (without given pair scores), ``unwilling`` and ``primary_type``, where
    ``code`` is still 0."""
    index = problem.index
    structural = index.pair_need is None
    declines = index.org_declines_category.any() or index.declines_region_key.size
    primary_only = _primary_only(problem.policy.eligibility.primary_types_only)
    if not (structural or declines or primary_only.any()):
        return
    category = index.need_category[need]
    flat = org * len(Category) + category
    if structural:
        _fail(code, "capability", index.org_capability.ravel()[flat] <= 0)
    if declines:
        unwilling = index.org_declines_category.ravel()[flat]
        if region is not None and index.declines_region_key.size:
            unwilling = unwilling | listed_region(problem, org, region, index.declines_region_key)
        _fail(code, "unwilling", unwilling)
    if primary_only.any():
        _fail(
            code,
            "primary_type",
            primary_only[category]
            & ~PRIMARY_MATRIX.ravel()[category * len(ORG_TYPES) + index.org_type[org]],
        )


def _structural_area_rules(
    problem: Problem, org: IntArray, region: IntArray, code: IntArray
) -> None:
    """``scope`` and ``service_regions``, where ``code`` is still 0."""
    index = problem.index
    tree = index.hierarchy
    if problem.policy.eligibility.respect_scope:
        depth = index.org_scope_depth[org]
        need_anchor = tree.ancestor_at[region, depth]
        org_anchor = tree.ancestor_at[index.org_home[org], depth]
        # A nation-scope organization works anywhere, with or without a nation region above it.
        national = depth == Level.NATION.depth
        _fail(code, "scope", ~national & ((need_anchor < 0) | (need_anchor != org_anchor)))
    limited = np.flatnonzero(index.org_has_service[org] & (code == 0))
    if limited.size:
        served = np.sort(index.service_org * len(tree) + index.service_region)
        inside = listed_region(problem, org.ravel()[limited], region.ravel()[limited], served)
        code.ravel()[limited[~inside]] = RULES.index("service_regions") + 1


def listed_region(
    problem: Problem, org: IntArray, region: IntArray, keys: IntArray
) -> npt.NDArray[np.bool_]:
    """Whether ``region`` or a region containing it is listed for ``org`` in the sorted ``keys``
    (``org * n_regions + region``)."""
    tree = problem.index.hierarchy
    chain = tree.ancestor_at[region]
    hits = (chain >= 0) & in_sorted(org[:, None] * len(tree) + chain, keys)
    return np.asarray(hits.any(axis=1))


#: [category, org type] -> whether the type is primary for the category.
PRIMARY_MATRIX = np.array([[t in PRIMARY_TYPES[c] for t in ORG_TYPES] for c in Category], bool)


def _primary_only(setting: bool | tuple[Category, ...]) -> npt.NDArray[np.bool_]:
    if isinstance(setting, bool):
        return np.full(len(Category), setting)
    return np.array([c in setting for c in Category], bool)
