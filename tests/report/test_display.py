"""HTML views for notebooks (``matcher.report.display``): every figure shown recounted from the
problem and the plan, in both languages."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest

import matcher
from matcher.report.display import comparison_html, problem_html, solution_html
from regions import tier_of


def _rows(fragment: str) -> dict[str, list[str]]:
    """Each table row of ``fragment``: its first cell -> the other cells, unescaped."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", fragment):
        cells = [html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture(scope="module")
def problem() -> matcher.Problem:
    return matcher.synth.shanxi(seed=2, n_needs=90, n_orgs=25)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_problem_html_counts_needs_by_category_and_tier(
    problem: matcher.Problem, language: str
) -> None:
    shown = problem_html(problem, language)  # type: ignore[arg-type]
    counts = Counter((n.category, tier_of(problem, n.region)) for n in problem.needs)
    rows = _rows(shown)
    tiers = list(matcher.Priority)
    for category in matcher.Category:
        row = [counts[category, t] for t in tiers]
        if sum(row):
            assert rows[category.label(language)] == [*map(str, row), str(sum(row))]
        else:
            assert category.label(language) not in rows
    capacity = sum(o.max_projects for o in problem.organizations)
    assert str(capacity) in shown and f"{len(problem.needs)}" in shown


@pytest.mark.parametrize("language", ["zh", "en"])
def test_solution_html_counts_served_needs(problem: matcher.Problem, language: str) -> None:
    solution = matcher.solve(problem)
    served = {a.need_id for a in solution.assignments}
    rows = _rows(solution_html(solution, language))  # type: ignore[arg-type]
    total = "合计" if language == "zh" else "all"
    n = len(problem.needs)
    assert rows[total] == [str(n), str(len(served)), f"{len(served) / n:.1%}"]
    for group in (
        Counter(n.category for n in problem.needs),
        Counter(tier_of(problem, n.region) for n in problem.needs),
    ):
        for key, needs in group.items():
            got = sum(
                1
                for need in problem.needs
                if need.id in served and key in (need.category, tier_of(problem, need.region))
            )
            assert rows[key.label(language)][:2] == [str(needs), str(got)]
    tail = solution_html(solution, language).rsplit("<p>", 1)[-1]  # type: ignore[arg-type]
    assert sum(map(int, re.findall(r" (\d+)", tail))) == len(solution.unmet)


def test_comparison_html_counts_the_changes(problem: matcher.Problem) -> None:
    base = matcher.solve(problem)
    fewer = matcher.variants.without_organizations(problem, [problem.organizations[0].id])
    comparison = matcher.compare(base, matcher.solve(fewer), problem=[problem, fewer])
    shown = comparison_html(comparison, "en")
    counts = comparison.counts()
    numbers = [int(k) for k in re.findall(r" (\d+)", shown.rsplit("<p>", 1)[-1])]
    assert numbers == list(counts.values())
    assert sum(numbers) == len(problem.needs)
