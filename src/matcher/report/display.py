"""HTML views of problems, plans and comparisons, for notebooks (``_repr_html_``).

Each view lives beside its class, so that ``_repr_html_`` imports nothing above it:
:func:`problem_html` in :mod:`matcher.models.problem`, :func:`solution_html` in
:mod:`matcher.plan.solution`, :func:`comparison_html` in :mod:`matcher.analysis.comparison`; their
cells come from :mod:`matcher.models.html`. This module gathers the three for a report.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=10)
>>> "40" in problem_html(problem) and "<table" in problem_html(problem)
True
>>> solution_html(matcher.solve(problem), "en").count("<tr>") > 5
True
"""

from ..analysis.comparison import comparison_html
from ..models.problem import problem_html
from ..plan.solution import solution_html

__all__ = ["comparison_html", "problem_html", "solution_html"]
