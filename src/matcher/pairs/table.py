"""The candidate table: every eligible (need, organization) pair with its score and components.

It is the spine of matcher: every solver, explanation and KPI reads it. Pairs are proposed by a
vectorized join of needs and organizations on (area of the organization's scope, category) and then
filtered by :func:`matcher.pairs.eligibility.ineligibility`, the one definition of the rules. With
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

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..errors import Issue, ProblemError, echo
from ..models import COMPONENTS, Category, Level, Problem, catalog
from .eligibility import RULES, barred_organizations, ineligibility
from .scoring import components
from .scoring import score as pair_score

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "BLOCK_NEEDS",
    "CandidateJoin",
    "CandidateTable",
    "build_candidates",
    "candidates",
    "need_rows",
    "pinned_rows",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Needs whose candidate pairs are built at once (see :func:`build_candidates`).
BLOCK_NEEDS = 50_000

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
    problem
        The problem the pairs belong to.
    """

    need: IntArray
    org: IntArray
    score: FloatArray
    problem: Problem = field(repr=False)

    def __len__(self) -> int:
        return int(self.need.size)

    @cached_property
    def components(self) -> FloatArray:
        """Unweighted components of every pair, shape (pairs, len(COMPONENTS)).

        Computed on first use: at national scale this matrix is the largest thing matcher holds,
        and solving needs only the scores. :meth:`components_at` computes a few rows.
        """
        return components(self.problem, self.need, self.org)

    def components_at(self, rows: IntArray) -> FloatArray:
        """The components of the pairs at ``rows``, without computing every other pair's."""
        if "components" in self.__dict__:
            return self.components[rows]
        return components(self.problem, self.need[rows], self.org[rows])

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: ``need_id``, ``org_id``, ``score`` and one column per component."""
        index = self.problem.index
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
    """Build the candidate table as arrays (see :func:`candidates` for the DataFrame).

    Needs are taken in blocks of :data:`BLOCK_NEEDS`, so that the joined pairs a rule then removes,
    and the components a score is made of, never exist for the whole problem at once.
    """
    index = problem.index
    if index.pair_need is not None and index.pair_org is not None and index.pair_score is not None:
        return _given_pairs(problem, index.pair_need, index.pair_org, index.pair_score)
    join = CandidateJoin(problem)
    blocks = [
        _block(problem, join, start, min(start + BLOCK_NEEDS, index.n_needs))
        for start in range(0, index.n_needs, BLOCK_NEEDS)
    ]
    if not blocks:
        empty = np.zeros(0, np.int64)
        return CandidateTable(empty, empty.copy(), np.zeros(0), problem)
    need, org, score = (np.concatenate(arrays) for arrays in zip(*blocks, strict=True))
    return CandidateTable(need, org, score, problem)


def _given_pairs(
    problem: Problem, need: IntArray, org: IntArray, given: FloatArray
) -> CandidateTable:
    """The problem's own pairs a rule does not remove, sorted, with their given scores.

    Where no rule removes a pair and the pairs come sorted, the table reads the problem's arrays
    as they are (read-only views), without a copy.
    """
    keep = ineligibility(problem, need, org, listed=True) == 0
    if not keep.all():
        need, org, given = need[keep], org[keep], given[keep]
    key = need * max(1, problem.index.n_orgs) + org
    if key.size > 1 and (key[1:] < key[:-1]).any():
        order = np.argsort(key, kind="stable")
        need, org, given = need[order], org[order], given[order]
    given = np.ascontiguousarray(given)
    return CandidateTable(_read_only(need), _read_only(org), _read_only(given), problem)


_Array = TypeVar("_Array", IntArray, FloatArray)


def _read_only(array: _Array) -> _Array:
    view = array.view()
    view.flags.writeable = False
    return view


def _block(
    problem: Problem, join: CandidateJoin, start: int, stop: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """The eligible pairs of needs ``start .. stop - 1``, sorted, with their scores."""
    need, org = join.pairs(np.arange(start, stop, dtype=np.int64))
    keep = ineligibility(problem, need, org) == 0
    need, org = need[keep], org[keep]
    # Each joined part is already sorted by (need, org): a stable sort merges the runs cheaply.
    order = np.argsort(need * max(1, problem.index.n_orgs) + org, kind="stable")
    need, org = need[order], org[order]
    score = pair_score(problem, need, org, components(problem, need, org))
    return need, org, np.ascontiguousarray(score)


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
    return build_candidates(problem).to_frame()


def pinned_rows(problem: Problem, table: CandidateTable) -> IntArray:
    """Rows of the candidate table that ``problem.pinned`` names, sorted.

    A pinned pair must be a candidate (eligible), and no organization may hold more pinned needs
    than its ``max_projects``: ``matcher validate`` and :func:`matcher.solve` both check it here.

    Raises
    ------
    ProblemError
        With an issue per ineligible pinned pair (``pinned[i]``) and per over-full organization.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> table = build_candidates(problem)
    >>> first = (problem.index.need_ids[table.need[0]], problem.index.org_ids[table.org[0]])
    >>> pinned = problem.replace(pinned=[{"need_id": first[0], "org_id": first[1]}])
    >>> pinned_rows(pinned, build_candidates(pinned)).tolist()
    [0]
    """
    index = problem.index
    if index.pinned_need.size == 0:
        return np.zeros(0, np.int64)
    keys = table.need * index.n_orgs + table.org  # sorted: the table is ordered by (need, org)
    wanted = index.pinned_need * index.n_orgs + index.pinned_org
    rows = np.minimum(np.searchsorted(keys, wanted), max(0, keys.size - 1))
    found = (keys.size > 0) & (keys[rows] == wanted) if keys.size else np.zeros(wanted.shape, bool)
    issues = []
    for i in np.flatnonzero(~found).tolist():
        code = int(ineligibility(problem, index.pinned_need[i], index.pinned_org[i])[0])
        rule = RULES[code - 1]
        issues.append(
            Issue.of(f"pinned[{i}]", "error.pinned_ineligible", rule_id=rule, rule=_rule_zh(rule))
        )
    load = np.bincount(index.pinned_org, minlength=index.n_orgs)
    for o in np.flatnonzero(load > index.org_capacity).tolist():
        limit = int(index.org_capacity[o])
        issues.append(
            Issue.of(
                "pinned",
                "error.pinned_over_capacity",
                org=echo(index.org_ids[o]),
                count=int(load[o]),
                limit=limit,
            )
        )
    if issues:
        raise ProblemError(issues)
    return np.sort(rows)


def need_rows(start: IntArray, needs: IntArray) -> IntArray:
    """The rows of ``needs`` in a table sorted by need, whose need ``n`` holds rows ``start[n]``
    to ``start[n + 1] - 1``: the ranges, concatenated in the order of ``needs``.

    Examples
    --------
    >>> need_rows(np.array([0, 2, 2, 5]), np.array([2, 0])).tolist()
    [2, 3, 4, 0, 1]
    """
    lo, hi = start[needs], start[needs + 1]
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    return np.repeat(lo - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)


def _rule_zh(rule: str) -> str:
    return catalog.text(f"rule_short.{rule}", "zh")


class CandidateJoin:
    """The one join of needs and organizations, before the eligibility rules: the pairs that
    share a category in which the organization has a capability, and whose need lies in the
    area of the organization's scope. Organizations whose credit is barred never join.

    The organizations are keyed once; :meth:`pairs` then answers for any needs. The candidate
    table joins its needs block by block through it, and an explanation joins the few needs it
    looks at.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    >>> need, org = CandidateJoin(problem).pairs(np.arange(60))
    >>> table = build_candidates(problem)
    >>> bool(np.isin(table.need * 20 + table.org, need * 20 + org).all())
    True
    """

    def __init__(self, problem: Problem) -> None:
        index = problem.index
        tree = index.hierarchy
        usable = ~barred_organizations(problem)
        # Without the scope rule every organization joins as if it were registered nation-wide.
        scope_depth = index.org_scope_depth
        if not problem.policy.eligibility.respect_scope:
            scope_depth = np.full_like(scope_depth, Level.NATION.depth)
        self._problem = problem
        #: Per scope depth with organizations: the depth, the sorted keys (area, category) of
        #: their capabilities, and the organization of each key.
        self._depths: list[tuple[int, IntArray, IntArray]] = []
        for depth in _SCOPE_DEPTHS:
            orgs = np.flatnonzero(usable & (scope_depth == depth))
            if orgs.size == 0:
                continue
            row, category = np.nonzero(index.org_capability[orgs] > 0)
            anchor = _anchor(tree.ancestor_at[index.org_home[orgs[row]], depth], depth)
            org_key = anchor * len(Category) + category
            by_key = np.argsort(org_key, kind="stable")
            self._depths.append((depth, org_key[by_key], orgs[row][by_key]))

    def pairs(self, needs: IntArray) -> tuple[IntArray, IntArray]:
        """The joined pairs of ``needs`` (sorted), as (need, org); sorted by (need, org) within
        each scope depth."""
        index = self._problem.index
        tree = index.hierarchy
        parts_need, parts_org = [], []
        for depth, org_key, org_sorted in self._depths:
            need_anchor = _anchor(tree.ancestor_at[index.need_region[needs], depth], depth)
            inside = need_anchor >= 0
            need_idx = needs[inside]
            need_key = need_anchor[inside] * len(Category) + index.need_category[need_idx]
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
