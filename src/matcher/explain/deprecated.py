"""``Solution.explain``, ``Solution.explanations`` and ``Solution.why_not``, for one more release.

A plan sits below its explanations, so it cannot call them. The explain layer lends it these three
methods instead, each with a :class:`DeprecationWarning` that names the function that replaces
it: :func:`matcher.explain.explain`, :func:`matcher.explanations` and :func:`matcher.why_not`,
which take the problem first, as :func:`matcher.verify` does.

Examples
--------
>>> import warnings, matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12)
>>> solution = matcher.solve(problem)
>>> need_id = solution.assignments[0].need_id
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     old = solution.explain(need_id)
>>> caught[0].category.__name__, old.text == matcher.explain.explain(problem, solution, need_id).text
('DeprecationWarning', True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import OptionError
from ..models import Problem
from ..models.vocab import Language
from ..plan.solution import Solution

if TYPE_CHECKING:
    import pandas as pd

    from . import Explanation

__all__ = ["lend"]


def lend(
    explain: Callable[..., Explanation],
    explanations: Callable[..., pd.DataFrame],
    why_not: Callable[..., str],
) -> None:
    """Give :class:`~matcher.Solution` its three old methods, which call these functions."""

    def old_explain(
        self: Solution, need_id: str, language: Language = "zh", *, problem: Problem | None = None
    ) -> Explanation:
        _warn("explain", "matcher.explain.explain(problem, solution, need_id)")
        return explain(_problem_of(self, problem), self, need_id, language)

    def old_explanations(
        self: Solution,
        problem: Problem | None = None,
        languages: Sequence[Language] | Language = ("zh", "en"),
    ) -> pd.DataFrame:
        _warn("explanations", "matcher.explanations(problem, solution)")
        return explanations(_problem_of(self, problem), self, languages)

    def old_why_not(
        self: Solution,
        need_id: str,
        org_id: str,
        language: Language = "zh",
        *,
        problem: Problem | None = None,
    ) -> str:
        _warn("why_not", "matcher.why_not(problem, solution, need_id, org_id)")
        return why_not(_problem_of(self, problem), self, need_id, org_id, language)

    methods: dict[str, Any] = {
        "explain": old_explain,
        "explanations": old_explanations,
        "why_not": old_why_not,
    }
    for name, method in methods.items():
        method.__name__, method.__qualname__ = name, f"Solution.{name}"
        setattr(Solution, name, method)


def _warn(name: str, replacement: str) -> None:
    warnings.warn(
        f"Solution.{name} is deprecated and goes in the next release: use {replacement}",
        DeprecationWarning,
        stacklevel=3,
    )


def _problem_of(solution: Solution, problem: Problem | None) -> Problem:
    """The problem given, else the one a plan fresh from :func:`matcher.solve` remembers."""
    found = problem if problem is not None else getattr(solution, "_problem", None)
    if found is None:
        raise OptionError.of("error.plan_from_json")
    return found
