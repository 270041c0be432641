"""Plans to tables and workbooks (派单方案, 未满足需求, 指标 ...), and plans read back from JSON."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._lazy import lazy_module
from ..errors import Issue, PlanError
from ..models import (
    COMPONENTS,
    Category,
    Level,
    Priority,
    Problem,
    catalog,
)
from ..models.vocab import Language
from ..plan.kpis import Kpis
from ..plan.solution import Solution, problem_then_plan

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")
from .files import _path, _require, _write_workbook
from .headers import _COLUMN_LABELS, _SHEET_LABELS, _checked_language, _expect


def read_plan(source: str | Path) -> Solution:
    """Read a plan written by :meth:`Solution.to_json` (or ``matcher solve``).

    Returns
    -------
    Solution
        The plan.

    Raises
    ------
    PlanError
        When the file cannot be read or is not a plan, with every issue found.
    """
    path = _path(source, "source")
    try:
        text = path.read_bytes()
    except OSError as error:
        raise PlanError([Issue("", f"cannot read {path}: {error.strerror}")]) from None
    return parse_plan(text, str(path))


def parse_plan(data: str | bytes, where: str = "") -> Solution:
    """Read a plan from JSON text; ``where`` (a file name) prefixes the path of each issue.

    Raises
    ------
    PlanError
        When the text is not a plan, with every issue found.
    """
    try:
        return Solution.from_json(data)
    except PlanError as error:
        if not where:
            raise
        issues = [replace(i, path=f"{where}: {i.path}" if i.path else where) for i in error.issues]
        raise PlanError(issues) from None


def plan_frames(
    problem: Problem | None, solution: Solution | None = None, language: Language = "zh"
) -> dict[str, pd.DataFrame]:
    """The sheets of :func:`write_plan` as DataFrames, labelled in Chinese or English.

    Parameters
    ----------
    problem
        The problem the plan solves, or ``None``: it adds need titles, organization names, region
        and city names.
    solution
        A :class:`~matcher.Solution`. The old order, ``(solution, problem)`` or ``(solution,)``,
        still works for one release, with a ``DeprecationWarning``.
    language
        ``"zh"`` (the default) or ``"en"`` for sheet names, headers and labels.

    Returns
    -------
    dict of str to pandas.DataFrame
        The plan (one row per assignment), the unmet needs, the overview, the breakdowns by
        category, priority tier and city, and the load of each engaged organization.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=50, n_orgs=12)
    >>> sheets = plan_frames(problem, matcher.solve(problem), language="en")
    >>> list(sheets["plan"].columns[:6])
    ['need_id', 'title', 'region', 'city', 'category', 'tier']
    >>> sheets["by_tier"]["name"].tolist()
    ['Key assistance area', 'Former poverty area', 'Other area']
    """
    problem, solution = problem_then_plan(problem, solution, "plan_frames")
    _expect(solution, Solution, "solution")
    if problem is not None:
        _expect(problem, Problem, "problem")
    zh = _checked_language(language) == "zh"
    names = _Names.of(problem)
    k = solution.kpis
    frames = {
        "plan": _plan_sheet(solution, names, language),
        "unmet": _unmet_sheet(solution, names, language),
        "kpis": _overview_sheet(solution, language),
        "by_category": _breakdown_sheet(k, "category", names, language),
        "by_tier": _breakdown_sheet(k, "tier", names, language),
        "by_city": _breakdown_sheet(k, "city", names, language),
        "load": _load_sheet(k, names),
    }
    if problem is None:
        for key in ("plan", "unmet"):
            frames[key] = frames[key].drop(columns=["title", "city"])
        frames["plan"] = frames["plan"].drop(columns=["org_name"])
        frames["load"] = frames["load"].drop(columns=["org_name", "capacity"])
    if not zh:
        return frames
    return {
        _SHEET_LABELS[key]: frame.rename(columns=lambda c: _COLUMN_LABELS.get(c, c))
        for key, frame in frames.items()
    }


def _label(value: Any, language: Language) -> str:
    return str(value.label(language)) if hasattr(value, "label") else str(value)


def _plan_sheet(solution: Solution, names: _Names, language: Language) -> pd.DataFrame:
    """One row per assignment: the need, the organization, the score and its components."""
    rows = [
        {
            "need_id": a.need_id,
            "title": names.need.get(a.need_id, ""),
            "region": names.region.get(a.region, a.region),
            "city": names.city_name(a.region),
            "category": _label(a.category, language),
            "tier": _label(a.tier, language),
            "org_id": a.org_id,
            "org_name": names.org.get(a.org_id, ""),
            "score": a.score,
            **{name: a.components.get(name, 0.0) for name in COMPONENTS},
        }
        for a in solution.assignments
    ]
    columns = [
        "need_id", "title", "region", "city", "category", "tier", "org_id", "org_name", "score",
        *COMPONENTS,
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _unmet_sheet(solution: Solution, names: _Names, language: Language) -> pd.DataFrame:
    """One row per unmet need, with its reason said in ``language``."""
    rows = [
        {
            "need_id": u.need_id,
            "title": names.need.get(u.need_id, ""),
            "region": names.region.get(u.region, u.region),
            "city": names.city_name(u.region),
            "category": _label(u.category, language),
            "tier": _label(u.tier, language),
            "reason": catalog.text(f"reason.{u.reason}", language),
            "detail": u.describe(language),
            "candidates": u.candidates,
        }
        for u in solution.unmet
    ]
    columns = [
        "need_id", "title", "region", "city", "category", "tier", "reason", "detail", "candidates",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _overview_sheet(solution: Solution, language: Language) -> pd.DataFrame:
    """The plan's status, objective and bound, and its totals."""
    k = solution.kpis
    overview = [
        ("status", solution.status.value),
        ("solver", solution.solver),
        ("objective", solution.objective),
        ("bound", solution.bound),
        ("needs", k.needs),
        ("served", k.served),
        ("share", k.share),
        ("organizations", k.organizations),
        ("engaged", k.engaged),
        ("capacity", k.capacity),
        ("used", k.used),
        ("utilization", k.utilization),
    ]
    return pd.DataFrame(
        [(catalog.text(f"metric.{key}", language), value) for key, value in overview],
        columns=[catalog.text(f"column.{key}", language) for key in ("metric", "amount")],
    )


def _breakdown_sheet(
    k: Kpis, by: Literal["category", "tier", "city"], names: _Names, language: Language
) -> pd.DataFrame:
    """Needs and served needs per category, priority tier or city."""
    frame = k.frame(by).reset_index()
    if by == "city":
        frame["name"] = [
            names.region.get(c, n) or n for c, n in zip(frame["city"], frame["name"], strict=True)
        ]
        return frame[["city", "name", "needs", "served", "share"]]
    enum_type: type[Category] | type[Priority] = Category if by == "category" else Priority
    frame["name"] = [enum_type(v).label(language) for v in frame[by]]
    return frame[[by, "name", "needs", "served", "share"]]


def _load_sheet(k: Kpis, names: _Names) -> pd.DataFrame:
    """Each engaged organization's load beside its capacity, busiest first."""
    rows = [
        {
            "org_id": org_id,
            "org_name": names.org.get(org_id, ""),
            "load": load,
            "capacity": names.capacity.get(org_id),
        }
        for org_id, load in sorted(k.load.items(), key=lambda item: (-item[1], item[0]))
    ]
    return pd.DataFrame(rows, columns=["org_id", "org_name", "load", "capacity"])


def write_plan(
    solution: Solution,
    destination: str | Path,
    *,
    problem: Problem | None = None,
    language: Language = "zh",
) -> None:
    """Write a plan to an Excel workbook: the plan, unmet needs, KPIs and organizations' load.

    Sheets and headers are in Chinese by default (派单方案, 未满足需求, 指标, 按帮扶类别, 按优先级,
    按市, 组织承接); ``language="en"`` writes them in English. Columns are sized to their text
    and the header row is frozen. See :func:`plan_frames` for the content.

    Raises
    ------
    ImportError
        When ``openpyxl`` is not installed (``pip install "matcher[excel]"``).
    """
    _require("openpyxl", "excel")
    frames = plan_frames(problem, solution, _checked_language(language))
    _write_workbook(frames, _path(destination, "destination"), percent=True)


@dataclass(frozen=True)
class _Names:
    """Display names looked up from a problem (empty when there is none)."""

    need: dict[str, str]
    org: dict[str, str]
    region: dict[str, str]
    city: dict[str, str]  # region id -> id of its city
    capacity: dict[str, int]

    @classmethod
    def of(cls, problem: Problem | None) -> _Names:
        if problem is None:
            return cls({}, {}, {}, {}, {})
        tree = problem.index.hierarchy
        cities = tree.at_level(np.arange(len(tree), dtype=np.int64), Level.CITY).tolist()
        return cls(
            need={n.id: n.title for n in problem.needs},
            org={o.id: o.name for o in problem.organizations},
            region={r.id: r.name or r.id for r in problem.regions},
            city={rid: tree.ids[c] for rid, c in zip(tree.ids, cities, strict=True) if c >= 0},
            capacity={o.id: o.max_projects for o in problem.organizations},
        )

    def city_name(self, region_id: str) -> str:
        city = self.city.get(region_id, "")
        return self.region.get(city, city)
