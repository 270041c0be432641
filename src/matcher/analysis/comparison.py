"""Compare two plans: KPI deltas, needs that gained or lost service, moves and load changes.

:func:`compare` takes two :class:`~matcher.Solution` objects (a base plan and a what-if variant,
two solvers, last year and this year) and returns a :class:`Comparison`, readable as DataFrames,
as text in Chinese or English, as JSON and, in a notebook, as an HTML table. The plans need not
cover the same needs or organizations: a need that only one plan knows counts as ``absent`` in the
other.

Plans made under different weights are judged by one yardstick: both are scored with the weights
of plan A's problem (:func:`base_score`, the ``base_score`` of :func:`matcher.sweep`), never by
their own objectives. A problem given for a plan must be the one it was made for: one that lacks
its needs or organizations, or places a need in another region or category, is a
:class:`PlanMismatchError`.

Examples
--------
>>> import matcher
>>> from matcher import variants
>>> base = matcher.synth.shanxi(seed=0, n_needs=120, n_orgs=30)
>>> plan_a = matcher.solve(base)
>>> plan_b = matcher.solve(variants.with_weights(base, priority=12))
>>> comparison = compare(plan_a, plan_b, names=("today", "priority x4"))
>>> list(comparison.kpis("tier").index)
['key', 'former_poverty', 'normal']
>>> counts = comparison.counts()
>>> counts["gained"] + counts["kept"] + counts["moved"] == plan_b.kpis.served
True
>>> print(comparison.summary("en").splitlines()[0])
Plan comparison · today → priority x4
>>> totals = comparison.totals()
>>> bool(totals.loc["base_score", "b"] <= totals.loc["base_score", "a"] + 1e-9)
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._lazy import lazy_module
from ..errors import OptionError
from ..models import Category, Priority, Problem, catalog
from ..models.html import escape, table_row
from ..models.vocab import Language
from ..plan.kpis import Tally
from ..plan.solution import Assignment, Solution, Unmet

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "CHANGES",
    "Change",
    "Comparison",
    "PlanMismatchError",
    "base_score",
    "compare",
    "comparison_html",
    "plan_score",
]

#: What happened to a need between plan A and plan B.
Change = Literal["gained", "lost", "moved", "kept", "unserved"]

#: The changes in the order tables list them.
CHANGES: tuple[Change, ...] = ("gained", "lost", "moved", "kept", "unserved")

Breakdown = Literal["category", "tier", "city"]

#: Overall figures compared by :meth:`Comparison.totals`.
_TOTALS: tuple[str, ...] = (
    "base_score",
    "needs",
    "served",
    "share",
    "organizations",
    "engaged",
    "capacity",
    "utilization",
)


def compare(
    plan_a: Solution,
    plan_b: Solution,
    *,
    names: tuple[str, str] = ("A", "B"),
    problem: Problem | Sequence[Problem] | None = None,
) -> Comparison:
    """Compare plan ``plan_b`` with plan ``plan_a``.

    Parameters
    ----------
    plan_a, plan_b
        The plans; deltas are ``b - a``.
    names
        What to call the plans in text, HTML and plots.
    problem
        The problem(s) the plans solve (one for both, or one per plan): adds need titles,
        organization and region names to the tables, and plan A's problem is the yardstick
        both plans are scored by (``base_score`` in :meth:`Comparison.totals`). Without it,
        the problems the plans were solved for, when they come fresh from
        :func:`matcher.solve`.

    Returns
    -------
    Comparison

    Raises
    ------
    PlanMismatchError
        When a plan's problem lacks one of its needs or organizations, or places a need in
        another region or category: it is not the problem the plan was made for.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=80, n_orgs=20)
    >>> same = compare(matcher.solve(base), matcher.solve(base))
    >>> counts = same.counts()
    >>> counts["gained"], counts["lost"], counts["moved"], counts["kept"] == same.plan_a.kpis.served
    (0, 0, 0, True)
    """
    if not (isinstance(plan_a, Solution) and isinstance(plan_b, Solution)):
        raise OptionError.of("error.compare_plans")
    problems: tuple[Problem, ...]
    if problem is None:
        problems = ()
    elif isinstance(problem, Problem):
        problems = (problem,)
    else:
        problems = tuple(problem)
    if not all(isinstance(p, Problem) for p in problems) or len(problems) > 2:
        raise OptionError.of("error.compare_problem")
    comparison = Comparison(plan_a, plan_b, (str(names[0]), str(names[1])), problems)
    for plan, name, own in zip(
        (plan_a, plan_b), comparison.names, comparison.plan_problems, strict=True
    ):
        if own is not None:
            _check_belongs(plan, name, own)
    return comparison


class PlanMismatchError(OptionError):
    """A plan does not belong to the problem given for it; the message in both languages.

    Attributes
    ----------
    message_zh, message_en
        What is wrong, in Chinese and in English (``str(error)`` gives the English one).
    """

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, language: Language) -> str:
        """The message in ``language`` (``"zh"`` or ``"en"``)."""
        return self.message_zh if language == "zh" else self.message_en


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two plans side by side; build it with :func:`compare`.

    Attributes
    ----------
    plan_a, plan_b
        The plans compared (deltas are B - A).
    names
        Their display names.
    problems
        Problems used to look up display names (may be empty).

    Examples
    --------
    >>> import matcher
    >>> from matcher import variants
    >>> base = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> fewer = variants.without_organizations(base, [o.id for o in base.organizations[:5]])
    >>> comparison = compare(matcher.solve(base), matcher.solve(fewer), problem=(base, fewer))
    >>> comparison.totals().loc["organizations"].tolist()
    [25.0, 20.0, -5.0]
    >>> list(comparison.kpis("category").columns[:4])
    ['name', 'needs_a', 'served_a', 'share_a']
    >>> lost = comparison.lost()
    >>> bool((lost["status_b"] != "served").all())
    True
    >>> list(comparison.load().columns)
    ['org_id', 'name', 'load_a', 'load_b', 'delta']
    >>> print(comparison.summary("en", top=0).splitlines()[0])
    Plan comparison · A → B
    """

    plan_a: Solution
    plan_b: Solution
    names: tuple[str, str] = ("A", "B")
    problems: tuple[Problem, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def plan_problems(self) -> tuple[Problem | None, Problem | None]:
        """The problem of each plan: the one given for it or for both, else the one it was
        solved for (``None`` for a plan read from JSON with no problem given)."""
        if len(self.problems) == 2:
            return self.problems[0], self.problems[1]
        if self.problems:
            return self.problems[0], self.problems[0]
        return self.plan_a._problem, self.plan_b._problem

    def base_scores(self) -> tuple[float, float] | None:
        """Both plans' total scores under plan A's problem and weights (:func:`base_score`):
        one yardstick for plans made under different weights. ``None`` when plan A's problem is
        unknown (a plan read from JSON and no ``problem`` given).

        A plan whose own problem is unknown is taken to differ from A's in its weights at most
        (its needs and organizations were checked against A's problem).
        """
        if "base_scores" not in self._cache:
            base = self.plan_problems[0]
            scores = None
            if base is not None:
                own = [
                    given if len(self.problems) == 2 else plan._problem
                    for plan, given in zip(
                        (self.plan_a, self.plan_b), self.plan_problems, strict=True
                    )
                ]
                scores = (
                    base_score(base, own[0] or base, self.plan_a),
                    base_score(base, own[1] or base, self.plan_b),
                )
            self._cache["base_scores"] = scores
        result: tuple[float, float] | None = self._cache["base_scores"]
        return result

    # --- tables -------------------------------------------------------------------------------

    def totals(self) -> pd.DataFrame:
        """Overall figures of both plans and their difference.

        Returns
        -------
        pandas.DataFrame
            Indexed by metric (``base_score``, ``needs``, ``served``, ``share``,
            ``organizations``, ``engaged``, ``capacity``, ``utilization``); columns ``a``, ``b``,
            ``delta``. ``base_score`` scores both plans by plan A's problem and weights
            (:meth:`base_scores`; NaN when that problem is unknown): the plans' own objectives
            are not comparable when they were made under different weights.
        """
        rows = {}
        scores = self.base_scores() or (math.nan, math.nan)
        for key in _TOTALS:
            if key == "base_score":
                a, b = scores
            else:
                a, b = float(getattr(self.plan_a.kpis, key)), float(getattr(self.plan_b.kpis, key))
            rows[key] = {"a": a, "b": b, "delta": b - a}
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["a", "b", "delta"])
        frame.index.name = "metric"
        return frame

    def kpis(self, by: Breakdown = "category") -> pd.DataFrame:
        """Needs, served and share per group in both plans, with the deltas.

        Parameters
        ----------
        by
            ``"category"``, ``"tier"`` or ``"city"``.

        Returns
        -------
        pandas.DataFrame
            Indexed by group id; columns ``name``, ``needs_a``, ``served_a``, ``share_a``,
            ``needs_b``, ``served_b``, ``share_b``, ``delta_served``, ``delta_share``. A group
            that one plan lacks has 0 needs there.
        """
        if by not in ("category", "tier", "city"):
            raise OptionError.of("error.group_by", value=repr(by))
        a, b = _groups(self.plan_a, by), _groups(self.plan_b, by)
        keys = list(a) + [key for key in b if key not in a]
        if by == "category":
            keys.sort(key=lambda k: list(Category).index(Category(k)))
        elif by == "tier":
            keys.sort(key=lambda k: list(Priority).index(Priority(k)))
        empty = Tally(needs=0, served=0, share=0.0)
        rows = []
        for key in keys:
            ta, tb = a.get(key, empty), b.get(key, empty)
            rows.append(
                {
                    by: key,
                    "name": self._group_name(by, key, ta.name or tb.name, "zh"),
                    "needs_a": ta.needs,
                    "served_a": ta.served,
                    "share_a": ta.share,
                    "needs_b": tb.needs,
                    "served_b": tb.served,
                    "share_b": tb.share,
                    "delta_served": tb.served - ta.served,
                    "delta_share": tb.share - ta.share,
                }
            )
        columns = [
            by, "name", "needs_a", "served_a", "share_a", "needs_b", "served_b", "share_b",
            "delta_served", "delta_share",
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index(by)

    def needs(self) -> pd.DataFrame:
        """One row per need of either plan: what each plan does with it and what changed.

        Returns
        -------
        pandas.DataFrame
            Columns ``need_id``, ``title``, ``category``, ``region``, ``tier``, ``change`` (one of
            :data:`CHANGES`), ``org_a``, ``org_b``, ``score_a``, ``score_b``, ``status_a``,
            ``status_b`` (``served``, an unmet reason such as ``capacity``, or ``absent`` when
            the plan does not have the need); rows by change (gained, lost, moved, kept,
            unserved), then need id.
        """
        cached = self._cache.get("needs")
        if cached is None:
            cached = self._need_table()
            self._cache["needs"] = cached
        return cached.copy()

    def gained(self) -> pd.DataFrame:
        """Needs served in B that A does not serve (see :meth:`needs` for the columns)."""
        return self._change("gained")

    def lost(self) -> pd.DataFrame:
        """Needs served in A that B does not serve."""
        return self._change("lost")

    def moved(self) -> pd.DataFrame:
        """Needs served in both plans by different organizations."""
        return self._change("moved")

    def counts(self) -> dict[str, int]:
        """How many needs fall in each change, in :data:`CHANGES` order."""
        counts = self.needs()["change"].value_counts()
        return {change: int(counts.get(change, 0)) for change in CHANGES}

    def load(self, *, changed_only: bool = True) -> pd.DataFrame:
        """Needs each organization takes in both plans.

        Parameters
        ----------
        changed_only
            Only organizations whose load differs (the default); otherwise every organization
            that takes at least one need in either plan.

        Returns
        -------
        pandas.DataFrame
            Columns ``org_id``, ``name``, ``load_a``, ``load_b``, ``delta``; largest change first,
            then by id.
        """
        la, lb = self.plan_a.kpis.load, self.plan_b.kpis.load
        ids = list(la) + [org_id for org_id in lb if org_id not in la]
        rows = []
        for org_id in ids:
            a, b = la.get(org_id, 0), lb.get(org_id, 0)
            if changed_only and a == b:
                continue
            rows.append(
                {
                    "org_id": org_id,
                    "name": self._lookup("org", org_id),
                    "load_a": a,
                    "load_b": b,
                    "delta": b - a,
                }
            )
        frame = pd.DataFrame(rows, columns=["org_id", "name", "load_a", "load_b", "delta"])
        if frame.empty:
            return frame
        order = np.lexsort((frame["org_id"].to_numpy(), -frame["delta"].abs().to_numpy()))
        return frame.iloc[order].reset_index(drop=True)

    # --- text, JSON and HTML ------------------------------------------------------------------

    def summary(self, language: Language = "zh", *, top: int = 5) -> str:
        """A readable report of the differences, in Chinese (``"zh"``) or English (``"en"``).

        Parameters
        ----------
        language
            ``"zh"`` or ``"en"``.
        top
            How many cities (those that changed most) and needs of each change to list.
        """
        zh = language == "zh"
        a_name, b_name = self.names
        totals = self.totals()
        lines = [catalog.text("comparison.head", language, a=a_name, b=b_name)]
        values = totals.to_dict(orient="index")
        for key in _TOTALS:
            a, b, delta = (float(values[key][column]) for column in ("a", "b", "delta"))
            label = catalog.text(f"total.{key}", language)
            lines.append(
                f"  {catalog.pad(label, _LABEL_WIDTH)} {_fmt(key, a):>12} → "
                f"{_fmt(key, b):>12}  {_delta(key, delta, zh)}"
            )
        lines.append("  " + self._yardstick(language))
        sections: tuple[Breakdown, ...] = ("category", "tier", "city")
        for by in sections:
            frame = self.kpis(by)
            if by == "city":
                frame = frame.reindex(
                    frame["delta_served"].abs().sort_values(ascending=False, kind="stable").index
                ).head(top)
            lines.append(catalog.text(f"comparison.by_{by}", language) + ":")
            for group, row in frame.iterrows():
                label = self._group_name(by, str(group), str(row["name"]), language)
                lines.append(
                    f"  {catalog.pad(label, _LABEL_WIDTH)} {row['served_a']:>5}/{row['needs_a']:<5} → "
                    f"{row['served_b']:>5}/{row['needs_b']:<5} {row['delta_served']:+5d}  "
                    f"{_delta('share', row['delta_share'], zh)}"
                )
        counts = self.counts()
        lines.append(catalog.text("comparison.counts", language, **counts))
        lines.append(catalog.text("comparison.load", language, count=len(self.load())))
        for change in ("gained", "lost", "moved"):
            listed = self._change(change).head(top)
            if listed.empty:
                continue
            label = catalog.text(f"change.{change}", language)
            lines.append(catalog.text("comparison.first", language, label=label, count=len(listed)))
            for need in listed.to_dict(orient="records"):
                title = need["title"] or need["need_id"]
                org_a = self._org_label(need["org_a"]) if need["org_a"] else "-"
                org_b = self._org_label(need["org_b"]) if need["org_b"] else "-"
                if change == "gained":
                    detail = f"{_status_label(need['status_a'], language)} → {org_b}"
                elif change == "lost":
                    detail = f"{org_a} → {_status_label(need['status_b'], language)}"
                else:
                    detail = f"{org_a} → {org_b}"
                lines.append(f"  {need['need_id']} {title} · {detail}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as plain data: names, totals, breakdowns, changed needs and loads."""
        needs = self.needs()
        changed = needs[needs["change"].isin(["gained", "lost", "moved"])]
        base = self.plan_problems[0] if self.base_scores() is not None else None
        return {
            "names": list(self.names),
            "scored_by": None
            if base is None
            else {"plan": self.names[0], "weights": base.policy.weights.model_dump()},
            "totals": [
                {k: (int(v) if key_is_count and k != "metric" else v) for k, v in row.items()}
                for row in _records(self.totals().reset_index())
                for key_is_count in [row["metric"] not in ("base_score", "share", "utilization")]
            ],
            "kpis": {
                by: _records(self.kpis(by).reset_index()) for by in ("category", "tier", "city")
            },
            "counts": self.counts(),
            "needs": _records(changed),
            "load": _records(self.load()),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text (UTF-8, Chinese kept as characters)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def _repr_html_(self) -> str:
        return comparison_html(self)

    def __repr__(self) -> str:
        counts = self.counts()
        return (
            f"Comparison({self.names[0]!r} → {self.names[1]!r}: served "
            f"{self.plan_a.kpis.served} → {self.plan_b.kpis.served}, gained {counts['gained']}, "
            f"lost {counts['lost']}, moved {counts['moved']})"
        )

    # --- helpers ------------------------------------------------------------------------------

    def _change(self, change: Change) -> pd.DataFrame:
        needs = self.needs()
        return needs[needs["change"] == change].reset_index(drop=True)

    def _yardstick(self, language: Language) -> str:
        """One line on how the plans are scored."""
        if self.base_scores() is None:
            return catalog.text("comparison.no_yardstick", language)
        return catalog.text("comparison.yardstick", language, name=self.names[0])

    def _lookup(self, kind: Literal["org", "need", "region"], key: str) -> str:
        a, b = self.plan_problems
        for problem in (a, b) if b is not a else (a,):
            if problem is None:
                continue
            try:
                if kind == "org":
                    return problem.organization(key).name
                if kind == "need":
                    return problem.need(key).title
                return problem.region(key).name
            except KeyError:
                continue
        return ""

    def _org_label(self, org_id: str) -> str:
        name = self._lookup("org", org_id)
        return f"{org_id} {name}" if name else org_id

    def _group_name(self, by: Breakdown, key: str, name: str, language: Language) -> str:
        if by == "category":
            return Category(key).label(language)
        if by == "tier":
            return Priority(key).label(language)
        return name or self._lookup("region", key) or key or "-"

    def _need_table(self) -> pd.DataFrame:
        a = _need_states(self.plan_a)
        b = _need_states(self.plan_b)
        ids = list(a) + [need_id for need_id in b if need_id not in a]
        rows = []
        for need_id in ids:
            sa, sb = a.get(need_id), b.get(need_id)
            info = sa or sb
            assert info is not None
            org_a = sa.org if sa else ""
            org_b = sb.org if sb else ""
            if org_a and org_b:
                change: Change = "kept" if org_a == org_b else "moved"
            elif org_b:
                change = "gained"
            elif org_a:
                change = "lost"
            else:
                change = "unserved"
            rows.append(
                {
                    "need_id": need_id,
                    "title": self._lookup("need", need_id),
                    "category": info.category,
                    "region": info.region,
                    "tier": info.tier,
                    "change": change,
                    "org_a": org_a,
                    "org_b": org_b,
                    "score_a": sa.score if sa and org_a else np.nan,
                    "score_b": sb.score if sb and org_b else np.nan,
                    "status_a": sa.status if sa else "absent",
                    "status_b": sb.status if sb else "absent",
                }
            )
        columns = [
            "need_id", "title", "category", "region", "tier", "change", "org_a", "org_b",
            "score_a", "score_b", "status_a", "status_b",
        ]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        if frame.empty:
            return frame
        rank = frame["change"].map({c: i for i, c in enumerate(CHANGES)}).to_numpy()
        order = np.lexsort((frame["need_id"].to_numpy(), rank))
        return frame.iloc[order].reset_index(drop=True)


def base_score(base: Problem, problem: Problem, solution: Solution) -> float:
    """Total score of ``solution`` (a plan for ``problem``) under ``base``'s policy.

    The one yardstick for plans made under different weights (:func:`compare`,
    :func:`matcher.sweep`): when the policies differ in weights only, each assignment's score
    components are weighed again with ``base``'s weights; otherwise the plan is scored by
    :func:`plan_score` on ``problem`` with ``base``'s policy.

    Examples
    --------
    >>> import matcher
    >>> from matcher import variants
    >>> base = matcher.synth.shanxi(seed=0, n_needs=80, n_orgs=20)
    >>> tilted = variants.with_weights(base, priority=20)
    >>> plan = matcher.solve(tilted)
    >>> abs(base_score(base, tilted, plan) - plan_score(base, plan)) < 1e-9
    True
    """
    same_but_weights = (
        problem.index.pair_score is None
        and not getattr(base.policy, "expected_value", False)
        and problem.policy.model_copy(update={"weights": base.policy.weights}) == base.policy
    )
    if same_but_weights:  # components do not depend on weights: reweigh them
        weights = base.policy.weights.model_dump()
        return float(
            sum(
                sum(weights.get(name, 0.0) * value for name, value in a.components.items())
                for a in solution.assignments
            )
        )
    if problem.policy != base.policy:
        problem = problem.replace(policy=base.policy)
    return plan_score(problem, solution)


def plan_score(problem: Problem, solution: Solution) -> float:
    """Total score of a plan's assignments under ``problem``'s scoring.

    Use it to judge plans made under different weights by one yardstick: solve a variant with
    its own weights, then score its plan with the base problem. Pairs that are not candidates of
    ``problem`` (an organization it does not have, a pair a rule removes there) add nothing.

    Examples
    --------
    >>> import matcher
    >>> from matcher import variants
    >>> base = matcher.synth.shanxi(seed=0, n_needs=80, n_orgs=20)
    >>> plan = matcher.solve(base)
    >>> abs(plan_score(base, plan) - plan.objective) < 1e-9
    True
    >>> tilted = matcher.solve(variants.with_weights(base, priority=20))
    >>> plan_score(base, tilted) <= plan.objective + 1e-9
    True
    """
    from ..pairs.table import candidates

    table = candidates(problem)
    if table.empty or not solution.assignments:
        return 0.0
    lookup = dict(
        zip(zip(table["need_id"], table["org_id"], strict=True), table["score"], strict=True)
    )
    return float(sum(lookup.get((a.need_id, a.org_id), 0.0) for a in solution.assignments))


# --- module helpers --------------------------------------------------------------------------------


def _check_belongs(plan: Solution, name: str, problem: Problem) -> None:
    """Raise :class:`PlanMismatchError` unless ``problem`` has every need of ``plan``, in the
    region and category the plan gives, and every organization it assigns."""
    index = problem.index
    categories = list(Category)
    regions = index.hierarchy.ids
    needs: dict[str, Assignment | Unmet] = {a.need_id: a for a in plan.assignments}
    needs.update((u.need_id, u) for u in plan.unmet)
    wrong = []
    for need_id, row in needs.items():
        at = index.need_position.get(need_id)
        if (
            at is None
            or categories[index.need_category[at]] is not row.category
            or regions[index.need_region[at]] != row.region
        ):
            wrong.append(need_id)
    orgs = dict.fromkeys(a.org_id for a in plan.assignments)
    missing = [org_id for org_id in orgs if org_id not in index.org_position]
    if not wrong and not missing:
        return

    def said(language: Language) -> str:
        parts = []
        separator = catalog.text("detail.separator", language)
        if wrong:
            parts.append(
                catalog.text(
                    "comparison.wrong_needs",
                    language,
                    count=len(wrong),
                    total=len(needs),
                    examples=_examples(wrong, separator),
                )
            )
        if missing:
            parts.append(
                catalog.text(
                    "comparison.missing_orgs",
                    language,
                    count=len(missing),
                    total=len(orgs),
                    examples=_examples(missing, separator),
                )
            )
        reasons = catalog.text("comparison.parts", language).join(parts)
        return catalog.text(
            "comparison.mismatch", language, name=name, quoted=repr(name), reasons=reasons
        )

    raise PlanMismatchError(said("zh"), said("en"))


def _examples(ids: Sequence[str], separator: str, shown: int = 3) -> str:
    listed = separator.join(ids[:shown])
    return listed + (f"{separator}…" if len(ids) > shown else "")


@dataclass(frozen=True)
class _NeedState:
    category: str
    region: str
    tier: str
    org: str
    score: float
    status: str


def _need_states(plan: Solution) -> dict[str, _NeedState]:
    states = {
        a.need_id: _NeedState(a.category.value, a.region, a.tier.value, a.org_id, a.score, "served")
        for a in plan.assignments
    }
    for u in plan.unmet:
        states[u.need_id] = _NeedState(u.category.value, u.region, u.tier.value, "", 0.0, u.reason)
    return states


def _groups(plan: Solution, by: Breakdown) -> dict[str, Tally]:
    k = plan.kpis
    if by == "category":
        return {c.value: t for c, t in k.by_category.items()}
    if by == "tier":
        return {p.value: t for p, t in k.by_tier.items()}
    return dict(k.by_city)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, float) and np.isnan(value):
                clean[str(key)] = None
            elif isinstance(value, np.generic):
                clean[str(key)] = value.item()
            else:
                clean[str(key)] = value
        rows.append(clean)
    return rows


#: Terminal columns of the label column in :meth:`Comparison.summary`.
_LABEL_WIDTH = 25


def _status_label(status: str, language: Language) -> str:
    """``served``, ``absent`` or an unmet reason, as words."""
    if status in ("served", "absent"):
        return catalog.text(f"outcome.{status}", language)
    return catalog.text(f"reason.{status}", language)


def _fmt(key: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if key in ("share", "utilization"):
        return f"{value:.1%}"
    if key == "base_score":
        return f"{value:,.3f}"
    return f"{value:,.0f}"


def _delta(key: str, value: float, zh: bool) -> str:
    if math.isnan(value):
        return "-"
    if key in ("share", "utilization"):
        return catalog.text("delta.points", "zh" if zh else "en", points=value * 100)
    if key == "base_score":
        return f"{value:+,.3f}"
    return f"{value:+,.0f}"


def comparison_html(comparison: Comparison, language: Language = "zh") -> str:
    """An HTML view of a comparison: totals, tiers, categories and how many needs changed."""
    zh = language == "zh"
    a_name, b_name = (escape(n) for n in comparison.names)
    totals = comparison.totals().to_dict(orient="index")
    head = table_row(["", a_name, b_name, catalog.text("html.change", language)], header=True)
    rows = [
        table_row(
            [
                escape(catalog.text(f"total.{key}", language)),
                _fmt(key, float(totals[key]["a"])),
                _fmt(key, float(totals[key]["b"])),
                escape(_delta(key, float(totals[key]["delta"]), zh)),
            ]
        )
        for key in _TOTALS
    ]
    breakdowns: tuple[Breakdown, ...] = ("tier", "category")
    for by in breakdowns:
        frame = comparison.kpis(by)
        for key, row in frame.iterrows():
            label = comparison._group_name(by, str(key), str(row["name"]), language)
            rows.append(
                table_row(
                    [
                        escape(label),
                        f"{row['served_a']}/{row['needs_a']} ({row['share_a']:.1%})",
                        f"{row['served_b']}/{row['needs_b']} ({row['share_b']:.1%})",
                        f"{row['delta_served']:+d} ({escape(_delta('share', row['delta_share'], zh))})",
                    ]
                )
            )
    counts = comparison.counts()
    changes = " · ".join(
        f"{escape(catalog.text(f'change.{c}', language))} {counts[c]}" for c in CHANGES
    )
    title = catalog.text("html.comparison", language)
    return (
        f"<div><strong>{title}</strong> {a_name} → {b_name}"
        f"<table>{head}{''.join(rows)}</table><p>{changes}</p></div>"
    )
