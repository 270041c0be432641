"""The plan a solve returns: assignments, unmet needs with reasons, objective, bound and KPIs.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
>>> solution = matcher.solve(problem)
>>> print(solution.status, solution.bound == solution.objective)
optimal True
>>> matcher.Solution.from_json(solution.to_json()) == solution
True
>>> list(solution.to_frame().columns[:4])
['need_id', 'org_id', 'score', 'category']
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import pydantic
from pydantic import ConfigDict, Field, PrivateAttr

from .._lazy import lazy_module
from ..errors import Issue, PlanError
from ..models import COMPONENTS, Category, Priority, Problem, catalog
from ..models.base import Model
from ..models.deferred import Deferred, PendingRows
from ..models.document import _field_issues, _issue_order
from ..models.html import escape, table_row
from ..models.vocab import Language
from ..rules.compile import SoftViolation
from ..solvers.base import Status
from ..solvers.rules.conflicts import Conflict
from .kpis import Kpis, Tally

if TYPE_CHECKING:
    import pandas as pd

else:
    pd = lazy_module("pandas")

__all__ = [
    "Assignment",
    "Conflict",
    "Solution",
    "Unmet",
    "UnmetReason",
    "problem_then_plan",
    "solution_html",
    "unmet_detail",
]

#: Why a need is not served:
#:
#: - ``no_candidate``: every organization is removed by an eligibility rule (see ``excluded``);
#: - ``capacity``: it has candidates, but every one with a positive score is full;
#: - ``non_positive_score``: its candidates' scores are all <= 0, so taking one adds nothing;
#: - ``too_few_candidates``: a partnership needs more organizations than it has candidates;
#: - ``rules``: a candidate had room, but the policy's rules (quotas, money, …) hold it back;
#: - ``not_chosen``: a candidate had room, but the plan (not proven optimal) left it out;
#: - ``infeasible``: the hard rules cannot all hold, so there is no plan.
UnmetReason = Literal[
    "no_candidate",
    "capacity",
    "non_positive_score",
    "too_few_candidates",
    "rules",
    "not_chosen",
    "infeasible",
]


def unmet_detail(
    reason: UnmetReason,
    candidates: int,
    language: Language = "en",
    *,
    excluded: Mapping[str, int] | None = None,
    partners: int | None = None,
) -> str:
    """The one sentence on why a need is not served, in ``language``.

    Parameters
    ----------
    reason, candidates, excluded
        As in :class:`Unmet`.
    partners
        The organizations a partnership needs (``too_few_candidates``); ``None`` leaves it out.

    Examples
    --------
    >>> unmet_detail("capacity", 4), unmet_detail("capacity", 4, "zh")
    ('all 4 candidates with a positive score are full', '全部 4 个得分为正的候选组织均已满额')
    >>> unmet_detail("no_candidate", 0, "zh", excluded={"scope": 3, "credit": 1})
    '无符合条件的组织:超出登记范围排除 3 个、信用排除 1 个'
    """
    if reason == "no_candidate" and excluded:
        removed = catalog.text("detail.separator", language).join(
            catalog.text(
                "detail.removes",
                language,
                rule=catalog.text(f"rule_short.{rule}", language),
                count=count,
            )
            for rule, count in excluded.items()
        )
        return catalog.text("detail.no_candidate_because", language, removed=removed)
    if reason == "too_few_candidates" and partners is None:
        return catalog.text("detail.too_few", language, count=candidates)
    return catalog.text(f"detail.{reason}", language, count=candidates, partners=partners)


class Assignment(Model):
    """One need given to one organization, with the score and its components."""

    need_id: str
    org_id: str
    score: float
    category: Category
    region: str
    tier: Priority
    components: dict[str, float]


class Unmet(Model):
    """A need the plan does not serve, and why.

    Attributes
    ----------
    reason
        One of :data:`UnmetReason`.
    detail
        One sentence on the reason.
    candidates
        Eligible organizations it had.
    excluded
        For ``no_candidate``: how many organizations each eligibility rule removed (the first rule
        that fails for each), see :mod:`matcher.pairs.eligibility`.
    """

    need_id: str
    reason: UnmetReason
    detail: str
    category: Category
    region: str
    tier: Priority
    candidates: int = 0
    excluded: dict[str, int] = Field(default_factory=dict)

    def describe(self, language: Language = "zh") -> str:
        """:attr:`detail` in ``language``: the record's own sentence in English, rebuilt in Chinese.

        Examples
        --------
        >>> from matcher.models import Category, Priority
        >>> u = Unmet(need_id="n1", reason="capacity", detail="all 2 candidates with a positive "
        ...           "score are full", category=Category.TALENT, region="r", tier=Priority.KEY,
        ...           candidates=2)
        >>> u.describe("zh")
        '全部 2 个得分为正的候选组织均已满额'
        """
        if language == "en":
            return self.detail
        return unmet_detail(self.reason, self.candidates, language, excluded=self.excluded)


@runtime_checkable
class FrameRows(PendingRows, Protocol):
    """Pending rows that also lay out the assignment table straight from the solver's arrays
    (:class:`~matcher.plan.records.PlanRows`)."""

    def assignment_frame(self) -> pd.DataFrame:
        """One row per assignment, as :meth:`Solution.to_frame` gives it."""
        ...


class Solution(Deferred):
    """A dispatch plan (派单) and everything known about it.

    Attributes
    ----------
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``unknown``.
    objective
        Total score of the assigned pairs.
    bound
        A proven upper bound on the objective of any plan (equal to it when optimal).
    solver
        The back end that produced the plan.
    assignments, unmet
        Every need appears in exactly one of the two.
    kpis
        Key figures, see :class:`~matcher.plan.kpis.Kpis`.
    levels
        Value of each goal level, in order (``score`` is the total score less soft penalties).
    soft_violations
        Soft rules the plan misses, by how much and at what penalty.
    conflicts
        For an ``infeasible`` result: hard rules that cannot hold together, in plain words.
    stats
        Back-end facts that do not change between runs (scale of integer scores, tolerance).

    Notes
    -----
    ``optimal`` from an integer back end means optimal for the scores rounded to ``1 / scale``;
    ``stats["tolerance"]`` bounds the difference to the float optimum (far below 1e-6 of it).
    Wall-clock times are in :attr:`timings`, which the JSON leaves out so that the same input
    always gives byte-identical JSON.
    """

    model_config = ConfigDict(ser_json_inf_nan="constants", allow_inf_nan=True)

    status: Status
    objective: float
    bound: float
    solver: str
    assignments: tuple[Assignment, ...]
    unmet: tuple[Unmet, ...]
    kpis: Kpis
    levels: dict[str, float] = Field(default_factory=dict)
    soft_violations: tuple[SoftViolation, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    stats: dict[str, float | int | str] = Field(default_factory=dict)
    _timings: dict[str, float] = PrivateAttr(default_factory=dict)
    _problem: Problem | None = PrivateAttr(default=None)

    #: Built on first read when the plan comes from a solve (:mod:`matcher.plan.records`).
    deferred_fields: ClassVar[tuple[str, ...]] = ("assignments", "unmet")

    def __eq__(self, other: object) -> bool:
        # Plans are equal when their fields are; wall-clock timings do not take part.
        if not isinstance(other, Solution):
            return NotImplemented
        self._build_rows()
        other._build_rows()
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent per phase (candidates, build, solve, assemble) in this process."""
        return self._timings

    def _repr_html_(self) -> str:
        return solution_html(self)

    @property
    def gap(self) -> float:
        """Relative gap between bound and objective, 0 when optimal."""
        return max(0.0, self.bound - self.objective) / max(1.0, abs(self.bound))

    def to_frame(self) -> pd.DataFrame:
        """One row per assignment: ids, score, category, region, tier and each score component."""
        builder = self.pending_builder("assignments")
        if isinstance(builder, FrameRows):  # fresh from a solve: straight from its arrays
            return builder.assignment_frame()
        columns = ["need_id", "org_id", "score", "category", "region", "tier", *COMPONENTS]
        rows = [
            {
                "need_id": a.need_id,
                "org_id": a.org_id,
                "score": a.score,
                "category": a.category.value,
                "region": a.region,
                "tier": a.tier.value,
                **a.components,
            }
            for a in self.assignments
        ]
        numbers = dict.fromkeys(["score", *COMPONENTS], "float64")  # typed even when empty
        return pd.DataFrame(rows, columns=columns).astype(numbers)

    def unmet_frame(self) -> pd.DataFrame:
        """One row per unmet need: id, reason, detail, category, region, tier, candidates."""
        columns = ["need_id", "reason", "detail", "category", "region", "tier", "candidates"]
        rows = [u.model_dump(mode="json", exclude={"excluded"}) for u in self.unmet]
        return pd.DataFrame(rows, columns=columns)

    def to_json(self, *, indent: int | None = None) -> str:
        """The plan as JSON; :meth:`from_json` reads it back equal."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Solution:
        """Read a plan written by :meth:`to_json`.

        Raises
        ------
        PlanError
            When the text is not JSON or not a plan, with every issue found and its path.

        Examples
        --------
        >>> import matcher
        >>> try:
        ...     matcher.Solution.from_json("nope")
        ... except matcher.PlanError as error:
        ...     print(error.text("zh"))
        计划中有 1 处问题
          不是有效的 JSON:expected ident,位于第 1 行第 2 列
        """
        try:
            return cls.model_validate_json(text)
        except pydantic.ValidationError as error:
            raise PlanError(sorted(set(_plan_issues(error)), key=_issue_order)) from None

    def summary(self, language: Language = "zh") -> str:
        """A readable report of the plan, with labels in Chinese (``"zh"``) or English (``"en"``)."""
        k = self.kpis

        def tally(label: str, t: Tally) -> str:
            return f"  {catalog.pad(label, 24)} {t.served:>6} / {t.needs:<6} {t.share:6.1%}"

        lines = [
            catalog.text("summary.head", language, status=self.status.value, solver=self.solver),
            catalog.text(
                "summary.objective",
                language,
                objective=self.objective,
                bound=self.bound,
                gap=self.gap,
            ),
            catalog.text(
                "summary.served",
                language,
                served=k.served,
                needs=k.needs,
                share=k.share,
                engaged=k.engaged,
                organizations=k.organizations,
                utilization=k.utilization,
            ),
            catalog.text("summary.by_category", language),
            *(tally(c.label(language), t) for c, t in k.by_category.items()),
            catalog.text("summary.by_tier", language),
            *(tally(p.label(language), t) for p, t in k.by_tier.items()),
            catalog.text("summary.by_city", language),
            *(tally(t.name or key or "-", t) for key, t in k.by_city.items()),
        ]
        if self.unmet:
            counts: dict[str, int] = {}
            for u in self.unmet:
                counts[u.reason] = counts.get(u.reason, 0) + 1
            lines.append(catalog.text("summary.by_reason", language))
            for reason, count in sorted(counts.items()):
                label = catalog.text(f"reason.{reason}", language)
                lines.append(f"  {catalog.pad(label, 24)} {count:>6}")
        return "\n".join(lines)


def solution_html(solution: Solution, language: Language = "zh") -> str:
    """An HTML summary of a plan: status, objective, and needs served by tier and category."""
    k = solution.kpis
    head = table_row(
        ["", *(catalog.text(f"html.{key}", language) for key in ("needs", "served", "share"))],
        header=True,
    )
    rows = [
        table_row(
            [catalog.text("html.all", language), str(k.needs), str(k.served), f"{k.share:.1%}"]
        )
    ]
    for tier, tally in k.by_tier.items():
        rows.append(
            table_row(
                [
                    escape(tier.label(language)),
                    str(tally.needs),
                    str(tally.served),
                    f"{tally.share:.1%}",
                ]
            )
        )
    for category, tally in k.by_category.items():
        rows.append(
            table_row(
                [
                    escape(category.label(language)),
                    str(tally.needs),
                    str(tally.served),
                    f"{tally.share:.1%}",
                ]
            )
        )
    reasons = Counter(u.reason for u in solution.unmet)
    unmet = " · ".join(
        f"{escape(catalog.text(f'reason.{r}', language))} {n}" for r, n in sorted(reasons.items())
    )
    title = catalog.text(
        "html.plan",
        language,
        status=escape(solution.status.value),
        objective=solution.objective,
        bound=solution.bound,
        engaged=k.engaged,
        organizations=k.organizations,
        utilization=k.utilization,
    )
    tail = f"<p>{catalog.text('html.by_reason', language)}:{unmet}</p>" if unmet else ""
    return f"<div><strong>{title}</strong><table>{head}{''.join(rows)}</table>{tail}</div>"


def problem_then_plan(first: Any, second: Any, name: str) -> tuple[Any, Any]:
    """The ``(problem, solution)`` of a call to ``name``, which may still come in the old order.

    Every function that takes both takes the problem first, as :func:`matcher.verify` does. A few
    took the plan first; that order is still read for one release, with a
    :class:`DeprecationWarning`.

    Examples
    --------
    >>> import warnings
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=20, n_orgs=6)
    >>> plan = matcher.solve(problem)
    >>> problem_then_plan(problem, plan, "f") == (problem, plan)
    True
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     swapped = problem_then_plan(plan, problem, "f")
    >>> swapped == (problem, plan), caught[0].category.__name__
    (True, 'DeprecationWarning')
    """
    if isinstance(first, Solution) and not isinstance(second, Solution):
        warnings.warn(
            f"{name}(solution, problem) is deprecated: pass the problem first, "
            f"{name}(problem, solution) (the old order goes in the next release)",
            DeprecationWarning,
            stacklevel=3,
        )
        return second, first
    return first, second


def _plan_issues(error: pydantic.ValidationError) -> list[Issue]:
    """The issues of a plan's validation error; pydantic's words for JSON it cannot read become
    the catalog's, in both languages."""
    issues = []
    for issue in _field_issues(error):
        unreadable = _UNREADABLE.fullmatch(issue.message)
        if unreadable:
            reason, line, column = unreadable.groups()
            issue = Issue.of("", "error.not_json", reason=reason, line=line, column=column)
        issues.append(issue)
    return issues


#: pydantic's message for text it cannot read as JSON.
_UNREADABLE = re.compile(r"invalid JSON: (.*) at line (\d+) column (\d+)", re.S)
