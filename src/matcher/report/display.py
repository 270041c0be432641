"""HTML views of problems, plans and comparisons, for notebooks (``_repr_html_``).

Each function returns a small, self-contained HTML fragment with escaped text and no scripts or
styles beyond inline alignment, so it renders in Jupyter, VS Code and exported HTML alike.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=10)
>>> "40" in problem_html(problem) and "<table" in problem_html(problem)
True
>>> solution_html(matcher.solve(problem), "en").count("<tr>") > 5
True
"""

from __future__ import annotations

import html
from collections import Counter
from typing import TYPE_CHECKING

from ..models import Category, Priority, Problem, catalog
from ..models.vocab import Language

if TYPE_CHECKING:
    from ..analysis.comparison import Comparison
    from ..plan.solution import Solution

__all__ = ["comparison_html", "problem_html", "solution_html"]

_LEFT = " style='text-align:left'"


def _row(cells: list[str], *, header: bool = False) -> str:
    tag = "th" if header else "td"
    first = f"<th{_LEFT}>{cells[0]}</th>"
    return "<tr>" + first + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells[1:]) + "</tr>"


def _esc(value: object) -> str:
    return html.escape(str(value))


def problem_html(problem: Problem, language: Language = "zh") -> str:
    """An HTML summary of a problem: sizes, needs by category and priority tier, organizations.

    Parameters
    ----------
    problem
        The problem.
    language
        ``"zh"`` or ``"en"`` labels.
    """
    index = problem.index
    tiers = list(Priority)
    categories = list(Category)
    need_tier = index.hierarchy.tier[index.need_region]
    counts = Counter(zip(index.need_category.tolist(), need_tier.tolist(), strict=True))
    head = _row(
        [
            catalog.text("html.category", language),
            *(_esc(t.label(language)) for t in tiers),
            catalog.text("html.total", language),
        ],
        header=True,
    )
    body = []
    for c, category in enumerate(categories):
        row = [counts.get((c, t), 0) for t in range(len(tiers))]
        if sum(row):
            body.append(_row([_esc(category.label(language)), *map(str, row), str(sum(row))]))
    capacity = sum(o.max_projects for o in problem.organizations)
    barred = sum(o.credit in problem.policy.barred_credit for o in problem.organizations)
    scopes = Counter(o.scope.label(language) for o in problem.organizations)
    scope_text = " · ".join(f"{_esc(s)} {n}" for s, n in scopes.most_common())
    title = catalog.text(
        "html.problem",
        language,
        regions=len(problem.regions),
        organizations=len(problem.organizations),
        needs=len(problem.needs),
    )
    orgs = catalog.text(
        "html.organizations", language, capacity=capacity, barred=barred, scopes=scope_text
    )
    caption = catalog.text("html.needs_caption", language)
    return (
        f"<div><strong>{title}</strong><p>{orgs}</p>"
        f"<table><caption>{caption}</caption>{head}{''.join(body)}</table></div>"
    )


def solution_html(solution: Solution, language: Language = "zh") -> str:
    """An HTML summary of a plan: status, objective, and needs served by tier and category."""
    k = solution.kpis
    head = _row(
        ["", *(catalog.text(f"html.{key}", language) for key in ("needs", "served", "share"))],
        header=True,
    )
    rows = [
        _row([catalog.text("html.all", language), str(k.needs), str(k.served), f"{k.share:.1%}"])
    ]
    for tier, tally in k.by_tier.items():
        rows.append(
            _row(
                [
                    _esc(tier.label(language)),
                    str(tally.needs),
                    str(tally.served),
                    f"{tally.share:.1%}",
                ]
            )
        )
    for category, tally in k.by_category.items():
        rows.append(
            _row(
                [
                    _esc(category.label(language)),
                    str(tally.needs),
                    str(tally.served),
                    f"{tally.share:.1%}",
                ]
            )
        )
    reasons = Counter(u.reason for u in solution.unmet)
    unmet = " · ".join(
        f"{_esc(catalog.text(f'reason.{r}', language))} {n}" for r, n in sorted(reasons.items())
    )
    title = catalog.text(
        "html.plan",
        language,
        status=_esc(solution.status.value),
        objective=solution.objective,
        bound=solution.bound,
        engaged=k.engaged,
        organizations=k.organizations,
        utilization=k.utilization,
    )
    tail = f"<p>{catalog.text('html.by_reason', language)}:{unmet}</p>" if unmet else ""
    return f"<div><strong>{title}</strong><table>{head}{''.join(rows)}</table>{tail}</div>"


def comparison_html(comparison: Comparison, language: Language = "zh") -> str:
    """An HTML view of a comparison: totals, tiers, categories and how many needs changed."""
    from ..analysis.comparison import _TOTALS, CHANGES, Breakdown, _delta, _fmt

    zh = language == "zh"
    a_name, b_name = (_esc(n) for n in comparison.names)
    totals = comparison.totals().to_dict(orient="index")
    head = _row(["", a_name, b_name, catalog.text("html.change", language)], header=True)
    rows = [
        _row(
            [
                _esc(catalog.text(f"total.{key}", language)),
                _fmt(key, float(totals[key]["a"])),
                _fmt(key, float(totals[key]["b"])),
                _esc(_delta(key, float(totals[key]["delta"]), zh)),
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
                _row(
                    [
                        _esc(label),
                        f"{row['served_a']}/{row['needs_a']} ({row['share_a']:.1%})",
                        f"{row['served_b']}/{row['needs_b']} ({row['share_b']:.1%})",
                        f"{row['delta_served']:+d} ({_esc(_delta('share', row['delta_share'], zh))})",
                    ]
                )
            )
    counts = comparison.counts()
    changes = " · ".join(
        f"{_esc(catalog.text(f'change.{c}', language))} {counts[c]}" for c in CHANGES
    )
    title = catalog.text("html.comparison", language)
    return (
        f"<div><strong>{title}</strong> {a_name} → {b_name}"
        f"<table>{head}{''.join(rows)}</table><p>{changes}</p></div>"
    )
