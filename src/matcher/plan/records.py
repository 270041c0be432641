"""A plan's records -- its assignments, and its unmet needs with their reasons -- from arrays.

A solve ends with arrays: the chosen pairs, their scores and components, and per need whether it
is served. :class:`PlanRows` keeps those (and the few per-need facts the reasons need, so that it
holds no candidate table) and builds the :class:`~matcher.plan.solution.Assignment` and
:class:`~matcher.plan.solution.Unmet` records when the plan's ``assignments`` or ``unmet`` is first read
(see :mod:`matcher.models.deferred`). Reading the plan's arrays, KPIs and levels never builds them,
and neither does writing the plan as JSON: :meth:`PlanRows.json_rows` gives the same records as
JSON values straight from the arrays.

Examples
--------
>>> import matcher
>>> solution = matcher.solve(matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12))
>>> solution.rows_pending
True
>>> len(solution.assignments) + len(solution.unmet)
40
>>> solution.rows_pending
False
>>> fresh = matcher.solve(matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12))
>>> text = fresh.to_json()
>>> fresh.rows_pending, text == solution.to_json()
(True, True)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..models import COMPONENTS, Category, Priority, Problem
from ..models.base import Model
from ..pairs.eligibility import RULES, ineligibility
from ..pairs.table import CandidateTable, need_rows
from .solution import Assignment, Unmet, UnmetReason, unmet_detail

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = ["PlanRows"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CATEGORIES = list(Category)
_TIERS = list(Priority)
_CATEGORY_VALUES = np.array([c.value for c in _CATEGORIES], dtype=object)
_TIER_VALUES = np.array([t.value for t in _TIERS], dtype=object)
# The members themselves (``np.array(members)`` would turn them into strings).
_CATEGORY_MEMBERS = np.empty(len(_CATEGORIES), dtype=object)
_CATEGORY_MEMBERS[:] = _CATEGORIES
_TIER_MEMBERS = np.empty(len(_TIERS), dtype=object)
_TIER_MEMBERS[:] = _TIERS


class PlanRows:
    """The records of one plan, built on demand from its arrays.

    Parameters
    ----------
    problem, table
        The problem and its candidate table (read now, not kept).
    chosen
        Rows of ``table`` the plan takes.
    served
        Per need, whether the plan serves it.
    ruled
        Whether policy rules took part (an unmet need with room is then held back by them).
    infeasible
        Whether there is no plan (every unmet need then says so).
    """

    def __init__(
        self,
        problem: Problem,
        table: CandidateTable,
        chosen: IntArray,
        served: BoolArray,
        *,
        ruled: bool,
        infeasible: bool,
    ) -> None:
        index = problem.index
        self._problem = problem
        self._need, self._org = table.need[chosen], table.org[chosen]
        self._score = table.score[chosen]
        self._components = table.components_at(chosen)
        self._unserved = np.flatnonzero(~served)
        self._ruled, self._infeasible = ruled, infeasible
        n = index.n_needs
        # The table is sorted by need: each need's rows are one range.
        start = np.searchsorted(table.need, np.arange(n + 1))
        self._candidates = np.diff(start)
        # Whether an unserved need has a pair with a positive score, and one at an organization
        # with room: read on the unserved needs' rows only (served needs never ask).
        rows = need_rows(start, self._unserved)
        need, org, positive = table.need[rows], table.org[rows], table.score[rows] > 0
        load = np.bincount(self._org, minlength=index.n_orgs)
        open_pair = positive & (load[org] < index.org_capacity[org])
        self._has_open = np.bincount(need, weights=open_pair, minlength=n) > 0
        self._has_positive = np.bincount(need, weights=positive, minlength=n) > 0

    def rows(self, field: str) -> tuple[Model, ...]:
        """The records of ``field``: ``assignments`` or ``unmet``."""
        return self.assignments() if field == "assignments" else self.unmet()

    def json_rows(self, field: str) -> Iterator[dict[str, Any]]:
        """The records of ``field`` as JSON values (``record.model_dump(mode="json")``), built
        without their models, one at a time as the serializer reads them."""
        if field == "assignments":
            return self._assignment_fields(json=True)
        return self._unmet_fields(self._unserved, json=True)

    @property
    def problem(self) -> Problem:
        """The problem the plan was made for."""
        return self._problem

    @property
    def pairs(self) -> tuple[IntArray, IntArray, npt.NDArray[np.float64]]:
        """The chosen pairs as (need, organization, score), in the order of ``assignments``."""
        return self._need, self._org, self._score

    @property
    def unserved(self) -> IntArray:
        """The needs the plan does not serve, in the order of ``unmet``."""
        return self._unserved

    def assignment_frame(self) -> pd.DataFrame:
        """:meth:`Solution.to_frame <matcher.Solution.to_frame>`, laid out from the arrays."""
        need_id, org_id, category, region, tier = self._labels(json=True)
        columns: dict[str, Any] = {
            "need_id": need_id,
            "org_id": org_id,
            "score": self._score,
            "category": category,
            "region": region,
            "tier": tier,
        }
        for k, name in enumerate(COMPONENTS):
            columns[name] = self._components[:, k]
        return pd.DataFrame(columns)

    def assignments(self) -> tuple[Assignment, ...]:
        """One record per chosen pair (built without validation: the arrays are checked data)."""
        return tuple(Assignment.model_construct(**f) for f in self._assignment_fields(json=False))

    def _assignment_fields(self, *, json: bool) -> Iterator[dict[str, Any]]:
        """Each assignment's fields, in field order; enums as their values where ``json``."""
        need_id, org_id, category, region, tier = self._labels(json=json)
        columns = zip(
            need_id.tolist(),
            org_id.tolist(),
            self._score.tolist(),
            category.tolist(),
            region.tolist(),
            tier.tolist(),
            self._components,  # a row at a time: a record's lists do not outlive it
            strict=True,
        )
        for need_id, org_id, score, category, region, tier_, values in columns:
            yield {
                "need_id": need_id,
                "org_id": org_id,
                "score": score,
                "category": category,
                "region": region,
                "tier": tier_,
                "components": dict(zip(COMPONENTS, values.tolist(), strict=True)),
            }

    def _labels(self, *, json: bool) -> tuple[npt.NDArray[np.object_], ...]:
        """Per chosen pair: need id, organization id, category, region id and tier (object
        arrays); the category and tier as their values where ``json``, else as members."""
        index = self._problem.index
        need = self._need
        region = index.need_region[need]
        return (
            np.asarray(index.need_ids, dtype=object)[need],
            np.asarray(index.org_ids, dtype=object)[self._org],
            (_CATEGORY_VALUES if json else _CATEGORY_MEMBERS)[index.need_category[need]],
            np.asarray(index.hierarchy.ids, dtype=object)[region],
            (_TIER_VALUES if json else _TIER_MEMBERS)[index.hierarchy.tier[region]],
        )

    def unmet(self, needs: IntArray | None = None) -> tuple[Unmet, ...]:
        """One record per unserved need (or per need of ``needs``, unserved ones), with the reason
        it is not served."""
        unserved = self._unserved if needs is None else needs
        return tuple(Unmet.model_construct(**f) for f in self._unmet_fields(unserved, json=False))

    def _unmet_fields(self, unserved: IntArray, *, json: bool) -> Iterator[dict[str, Any]]:
        """Each unserved need's record fields, in field order; enums as values where ``json``."""
        problem = self._problem
        index = problem.index
        n_candidates = self._candidates
        need_tier = index.hierarchy.tier[index.need_region]
        region_ids = index.hierarchy.ids
        categories = _CATEGORY_VALUES if json else _CATEGORY_MEMBERS
        tiers = _TIER_VALUES if json else _TIER_MEMBERS
        exclusions = _exclusions(problem, unserved[n_candidates[unserved] == 0])
        ruled = self._ruled
        details: dict[tuple[Any, ...], str] = {}  # many needs share a sentence
        reason: UnmetReason
        for n in unserved.tolist():
            count = int(n_candidates[n])
            partners = int(index.need_partners[n])
            excluded: dict[str, int] = {}
            if count == 0:
                excluded = exclusions[n]
                reason = "no_candidate"
            elif self._infeasible:
                reason = "infeasible"
            elif count < partners:
                reason = "too_few_candidates"
            elif not self._has_positive[n] and not ruled:
                reason = "non_positive_score"
            elif self._has_open[n] or (ruled and not self._has_positive[n]):
                reason = "rules" if ruled else "not_chosen"
            else:
                reason = "capacity"
            key = (reason, count, partners, *excluded.items())
            detail = details.get(key)
            if detail is None:
                detail = details[key] = unmet_detail(
                    reason, count, excluded=excluded, partners=partners
                )
            yield {
                "need_id": index.need_ids[n],
                "reason": reason,
                "detail": detail,
                "category": categories[index.need_category[n]],
                "region": region_ids[index.need_region[n]],
                "tier": tiers[need_tier[n]],
                "candidates": count,
                "excluded": excluded,
            }


def _exclusions(problem: Problem, needs: IntArray) -> dict[int, dict[str, int]]:
    """For needs without candidates: organizations removed by each rule (first failing rule)."""
    index = problem.index
    if needs.size == 0 or index.n_orgs == 0:
        return {int(n): {} for n in needs.tolist()}
    # Without pair_scores the verdict depends only on (region, category): evaluate each once.
    if index.pair_need is None:
        keys = index.need_region[needs] * len(Category) + index.need_category[needs]
    else:
        keys = needs
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    result: dict[int, dict[str, int]] = {}
    orgs = np.arange(index.n_orgs, dtype=np.int64)
    verdicts = []
    for representative in needs[first].tolist():
        codes = Counter(ineligibility(problem, representative, orgs).tolist())
        verdicts.append({RULES[c - 1]: codes[c] for c in sorted(codes) if c})
    for n, group in zip(needs.tolist(), inverse.tolist(), strict=True):
        result[n] = dict(verdicts[group])
    return result
