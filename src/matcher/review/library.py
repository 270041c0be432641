"""The project library (项目库) and the exact selection of key projects (重点项目).

A reviewed project whose merit reaches the policy's ``library_threshold`` is admitted to the
library. Key projects are then selected from the library by a small integer program, solved to
proven optimality by HiGHS:

.. math::

    \\max \\sum_i x_i (\\mathrm{merit}_i + w\\,\\mathrm{dispatch}_i)
    \\quad\\text{s.t.}\\quad \\sum_i x_i \\ge N,\\;
    \\sum_i \\mathrm{cost}_i x_i \\le F,\\;
    \\sum_{i \\in c} x_i \\ge f_c,\\;
    \\sum_{i\\ \\mathrm{key}} x_i \\ge f_{\\mathrm{key}},\\; x \\in \\{0, 1\\}

where ``dispatch_i`` is the best dispatch score among the organizations able to take project
``i`` (a project none can take is not selectable), ``N`` is ``min_key`` (the plan: 30), ``F`` the
fund, ``f_c`` the category floors and ``f_key`` the key-area floor (all in
:class:`~matcher.review.KeyProjectPolicy`). ``max_key`` caps the count when given.

Examples
--------
>>> import numpy as np
>>> from matcher.review import KeyProjectPolicy
>>> policy = KeyProjectPolicy(min_key=2, fund=100, category_floors={"talent": 1})
>>> chosen = select_key_projects(
...     merit=np.array([90.0, 80.0, 70.0, 60.0]), cost=np.array([60.0, 50.0, 40.0, 10.0]),
...     category=np.array([0, 0, 0, 1]), key_area=np.zeros(4, bool), policy=policy)
>>> chosen.tolist()  # 80 + 70 + 60 beats 90 + 60 within the fund
[1, 2, 3]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from highspy import HighsModelStatus, HighsVarType, MatrixFormat, ObjSense
from highspy._core import _Highs
from scipy import sparse

from ..errors import MatcherError
from ..models.vocab import CATEGORY_CODES, Category, Language
from .merit import Merit
from .models import KeyProjectPolicy, ReviewDocument

__all__ = ["SelectionError", "admit", "select_key_projects"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class SelectionError(MatcherError):
    """No selection of key projects meets the policy; the message says which rule cannot be met."""


def admit(document: ReviewDocument, result: Merit) -> list[str]:
    """Ids of the projects whose merit reaches the policy's ``library_threshold`` (纳入项目库).

    Examples
    --------
    >>> from matcher.review import ReviewDocument, compute_merit
    >>> document = ReviewDocument.model_validate({
    ...     "experts": [{"id": "e"}],
    ...     "projects": [{"id": "a", "category": "talent"}, {"id": "b", "category": "talent"}],
    ...     "reviews": [{"project_id": "a", "expert_id": "e", "score": 75},
    ...                 {"project_id": "b", "expert_id": "e", "score": 40}],
    ...     "policy": {"calibrate": False}})
    >>> admit(document, compute_merit(document))
    ['a']
    """
    threshold = document.policy.library_threshold
    passed = np.nan_to_num(result.merit, nan=-1.0) >= threshold
    return [result.project_ids[i] for i in np.flatnonzero(passed).tolist()]


def _infeasible_reason(
    value: FloatArray,
    cost: FloatArray,
    category: IntArray,
    key_area: BoolArray,
    policy: KeyProjectPolicy,
    language: Language,
) -> str:
    able = ~np.isnan(value)
    zh = language == "zh"
    if able.sum() < policy.min_key:
        return (
            f"可选项目只有 {int(able.sum())} 个，少于至少 {policy.min_key} 个重点项目的要求"
            if zh
            else f"only {int(able.sum())} selectable projects, fewer than min_key {policy.min_key}"
        )
    for cat, floor in policy.category_floors.items():
        have = int((able & (category == CATEGORY_CODES[cat])).sum())
        if have < floor:
            return (
                f"{cat.label('zh')}类可选项目只有 {have} 个，少于下限 {floor}"
                if zh
                else f"only {have} selectable {cat.label('en')} projects, below the floor {floor}"
            )
    if int((able & key_area).sum()) < policy.key_area_floor:
        return (
            f"重点帮扶地区的可选项目少于下限 {policy.key_area_floor}"
            if zh
            else f"fewer selectable key-area projects than the floor {policy.key_area_floor}"
        )
    if policy.fund is not None:
        cheapest = float(np.sort(cost[able])[: policy.min_key].sum())
        if cheapest > policy.fund:
            return (
                f"最便宜的 {policy.min_key} 个项目也需 {cheapest:,.0f}，超出资金 {policy.fund:,.0f}"
                if zh
                else f"the {policy.min_key} cheapest projects cost {cheapest:,.0f}, "
                f"more than the fund {policy.fund:,.0f}"
            )
    return (
        "资金、数量与各类下限无法同时满足"
        if zh
        else "the fund, the count and the floors cannot all be met together"
    )


def select_key_projects(
    merit: FloatArray,
    cost: FloatArray,
    category: IntArray,
    key_area: BoolArray,
    policy: KeyProjectPolicy,
    *,
    dispatch: FloatArray | None = None,
    time_limit: float = 60.0,
    language: Language = "zh",
) -> IntArray:
    """The key projects, proven optimal (see the module): indices into the arrays, sorted.

    Parameters
    ----------
    merit
        Merit of each library project (NaN: not selectable).
    cost
        Cost of each.
    category
        Category code of each (:data:`matcher.models.vocab.CATEGORY_CODES`).
    key_area
        Whether each lies in a key assistance area.
    policy
        Count, fund, floors and the dispatch weight.
    dispatch
        The best dispatch score among the organizations able to take each (NaN where none can:
        not selectable); zeros when not given.
    time_limit
        Seconds HiGHS may take; running out raises :class:`SelectionError`.

    Raises
    ------
    SelectionError
        When no selection meets the policy (the message names the rule that cannot be met), or
        optimality was not proven within ``time_limit``.
    """
    n = merit.size
    extra = np.zeros(n) if dispatch is None else np.asarray(dispatch, np.float64)
    value = np.asarray(merit, np.float64) + policy.dispatch_weight * extra
    rows = _selection_rows(n, cost, category, key_area, policy)
    highs = _selection_model(value, rows, time_limit)
    highs.run()
    status = highs.getModelStatus()
    if status == HighsModelStatus.kOptimal:
        x = np.asarray(highs.getSolution().col_value)
        return np.flatnonzero(x > 0.5).astype(np.int64)
    if status == HighsModelStatus.kInfeasible:
        raise SelectionError(_infeasible_reason(value, cost, category, key_area, policy, language))
    raise SelectionError(
        f"未能在 {time_limit:g} 秒内证明最优（{status}）"
        if language == "zh"
        else f"optimality not proven within {time_limit:g} s ({status})"
    )


#: A row of the selection: its coefficients, and its lower and upper bounds.
_Row = tuple[BoolArray | FloatArray, float, float]


def _selection_rows(
    n: int, cost: FloatArray, category: IntArray, key_area: BoolArray, policy: KeyProjectPolicy
) -> list[_Row]:
    """The rows of the selection: the count, the fund, the category floors, the key-area floor."""
    rows: list[_Row] = [(np.ones(n), float(policy.min_key), float(policy.max_key or np.inf))]
    if policy.fund is not None:
        rows.append((np.asarray(cost, np.float64), -np.inf, float(policy.fund)))
    for cat, floor in policy.category_floors.items():
        if floor:
            rows.append((category == CATEGORY_CODES[Category(cat)], float(floor), np.inf))
    if policy.key_area_floor:
        rows.append((key_area, float(policy.key_area_floor), np.inf))
    return rows


def _selection_model(value: FloatArray, rows: list[_Row], time_limit: float) -> _Highs:
    """HiGHS with the selection's binary program loaded: maximize ``value`` (NaN: fixed at 0)."""
    n = value.size
    able = ~np.isnan(value)
    a = sparse.csc_array(np.array([np.asarray(r, np.float64) for r, _, _ in rows]))
    a.sort_indices()
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 1e-9)
    highs.passModel(
        int(n),
        len(rows),
        int(a.nnz),
        int(MatrixFormat.kColwise),
        int(ObjSense.kMaximize),
        0.0,
        np.ascontiguousarray(np.nan_to_num(value, nan=0.0)),
        np.zeros(n),
        able.astype(np.float64),
        np.array([low for _, low, _ in rows]),
        np.array([high for _, _, high in rows]),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(np.float64),
        np.full(n, int(HighsVarType.kInteger), np.int32),
    )
    return highs
