"""The candidate table: every eligible (need, organization) pair with its score and components.

It is the spine of matcher: every solver, explanation and KPI reads it. Pairs are proposed by a
vectorized join of needs and organizations on (area of the organization's scope, category) and then
filtered by :func:`matcher.eligibility.ineligibility`, the one definition of the rules. With
``pair_scores`` the problem's own pairs are the candidates (less those a rule removes) and their
given scores are used; the components are still computed, to explain.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=1, n_needs=50, n_orgs=20)
>>> table = matcher.candidates(problem)
>>> list(table.columns[:4])
['need_id', 'org_id', 'score', 'capability']
>>> bool((table.score > 0).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .eligibility import barred_organizations, ineligibility
from .models import COMPONENTS, Category, Level, Problem
from .scoring import components
from .scoring import score as pair_score

__all__ = ["CandidateTable", "build_candidates", "candidates"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_SCOPE_DEPTHS = (Level.NATION.depth, Level.PROVINCE.depth, Level.CITY.depth, Level.COUNTY.depth)


@dataclass(frozen=True, eq=False)
class CandidateTable:
    """Eligible pairs as arrays, sorted by (need, organization).

    Attributes
    ----------
    need, org
        Need and organization index of each pair.
    score
        The pair's score (the policy's weighted components, or the given pair score).
    components
        Unweighted components, shape (pairs, len(COMPONENTS)).
    """

    need: IntArray
    org: IntArray
    score: FloatArray
    components: FloatArray

    def __len__(self) -> int:
        return int(self.need.size)

    def to_frame(self, problem: Problem) -> pd.DataFrame:
        """One row per pair: ``need_id``, ``org_id``, ``score`` and one column per component."""
        index = problem.index
        frame = pd.DataFrame(
            {
                "need_id": np.asarray(index.need_ids, dtype=object)[self.need],
                "org_id": np.asarray(index.org_ids, dtype=object)[self.org],
                "score": self.score,
            }
        )
        for column, name in enumerate(COMPONENTS):
            frame[name] = self.components[:, column]
        return frame


def build_candidates(problem: Problem) -> CandidateTable:
    """Build the candidate table as arrays (see :func:`candidates` for the DataFrame)."""
    index = problem.index
    if index.pair_need is not None and index.pair_org is not None and index.pair_score is not None:
        need, org, given = index.pair_need, index.pair_org, index.pair_score
        keep = ineligibility(problem, need, org) == 0
        need, org, given = need[keep], org[keep], given[keep]
    else:
        need, org = _join(problem)
        keep = ineligibility(problem, need, org) == 0
        need, org, given = need[keep], org[keep], None
    # Each joined part is already sorted by (need, org): a stable sort merges the runs cheaply.
    order = np.argsort(need * max(1, index.n_orgs) + org, kind="stable")
    need, org = need[order], org[order]
    values = components(problem, need, org)
    score = pair_score(problem, need, org, values) if given is None else given[order]
    return CandidateTable(need, org, np.ascontiguousarray(score), values)


def candidates(problem: Problem) -> pd.DataFrame:
    """Every eligible (need, organization) pair with its score and score components.

    Parameters
    ----------
    problem
        A validated problem.

    Returns
    -------
    pandas.DataFrame
        Columns ``need_id``, ``org_id``, ``score`` and one per component in
        :data:`matcher.models.COMPONENTS`; rows sorted by need, then organization, in input order.
    """
    return build_candidates(problem).to_frame(problem)


def _join(problem: Problem) -> tuple[IntArray, IntArray]:
    """Pairs that share a category and whose need lies in the area of the organization's scope."""
    index = problem.index
    tree = index.hierarchy
    n_categories = len(Category)
    usable = ~barred_organizations(problem)
    # Without the scope rule every organization joins as if it were registered nation-wide.
    scope_depth = index.org_scope_depth
    if not problem.policy.eligibility.respect_scope:
        scope_depth = np.full_like(scope_depth, Level.NATION.depth)
    needs_all = np.arange(index.n_needs, dtype=np.int64)
    parts_need, parts_org = [], []
    for depth in _SCOPE_DEPTHS:
        orgs = np.flatnonzero(usable & (scope_depth == depth))
        if orgs.size == 0:
            continue
        row, category = np.nonzero(index.org_capability[orgs] > 0)
        anchor = _anchor(tree.ancestor_at[index.org_home[orgs[row]], depth], depth)
        org_key = anchor * n_categories + category
        by_key = np.argsort(org_key, kind="stable")
        org_key, org_sorted = org_key[by_key], orgs[row][by_key]

        need_anchor = _anchor(tree.ancestor_at[index.need_region, depth], depth)
        inside = need_anchor >= 0
        need_idx = needs_all[inside]
        need_key = need_anchor[inside] * n_categories + index.need_category[inside]
        lo = np.searchsorted(org_key, need_key, side="left")
        hi = np.searchsorted(org_key, need_key, side="right")
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            continue
        starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        parts_need.append(np.repeat(need_idx, counts))
        parts_org.append(org_sorted[starts + np.arange(total)])
    if not parts_need:
        empty = np.zeros(0, np.int64)
        return empty, empty.copy()
    return np.concatenate(parts_need), np.concatenate(parts_org)


def _anchor(ancestor: IntArray, depth: int) -> IntArray:
    """The area a scope joins on; the whole problem is one area for nation-scope organizations."""
    return np.zeros_like(ancestor) if depth == Level.NATION.depth else ancestor
