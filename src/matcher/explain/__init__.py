"""Explanations an official can read: why each need went where it went, or why it went nowhere.

:func:`explain` tells, for one need of a plan, which organization took it and how its score is made
up against the runner-up's, where it ranks among the candidates, and why every other organization
that could have been considered did not take it. For a need the plan leaves unmet it gives the
reason, and when every candidate is full it names the *bottleneck*: the needs that compete for the
same full organizations, more of them than those organizations can take (a Hall-violating set of
the bipartite candidate graph). :func:`why_not` answers for one (need, organization) pair in one
sentence. :func:`explanations` explains every need of a plan at once, as a table with the texts in
both languages, from facts found for all needs together (one candidate table, one walk over the
organizations' graph for the bottlenecks, one shortest-path pass for the costs of serving unmet
needs). :class:`Explainer` holds those facts for one plan; :func:`explainer_for` keeps it while the
plan lives, so that explaining one need after another, from any thread, shares the work.

Verdicts on an organization that did not take a need:

================  ===================================================================================
verdict           meaning
================  ===================================================================================
``ineligible``    an eligibility rule removes the pair (see :mod:`matcher.pairs.eligibility`)
``lower``         it scores no higher than the chosen organization (``score_gap`` says by how much)
``full``          it scores higher, but takes as many needs as it may in this plan (``took`` lists them)
``pinned``        it scores higher and had room, but the need's accepted offer (``pinned``) is kept
``rules``         it scores higher and had room, but the policy's counting rules, money limits,
                  goals or partnerships held it back
``not_chosen``    it scores higher and had room, and the plan is not proven best
``not_positive``  (unmet needs) it had room, but its score is 0 or less: taking it adds nothing
``chosen``        (:func:`why_not` only) it is the organization the plan chose
================  ===================================================================================

Examples
--------
>>> import matcher
>>> problem = matcher.Problem.model_validate({
...     "regions": [{"id": "c", "name": "清徐县", "level": "county", "priority": "key"}],
...     "organizations": [
...         {"id": "o1", "name": "农学会", "org_type": "agriculture", "scope": "county",
...          "home_region": "c", "capabilities": {"industry": 0.9}},
...         {"id": "o2", "name": "科技协会", "org_type": "science_technology", "scope": "county",
...          "home_region": "c", "capabilities": {"industry": 0.6}},
...         {"id": "o3", "name": "商会", "org_type": "industry_association", "scope": "county",
...          "home_region": "c", "capabilities": {"industry": 0.8}, "credit": "blacklisted"}],
...     "needs": [{"id": "n1", "region": "c", "category": "industry", "beneficiaries": 900},
...               {"id": "n2", "region": "c", "category": "industry", "beneficiaries": 500},
...               {"id": "n3", "region": "c", "category": "industry", "beneficiaries": 20}]})
>>> solution = matcher.solve(problem)
>>> explanation = explain(problem, solution, "n1", language="en")
>>> explanation.org_id, explanation.rank, explanation.candidates
('o1', 1, 2)
>>> [(a.org_id, a.verdict) for a in explanation.alternatives]
[('o2', 'lower'), ('o3', 'ineligible')]
>>> print(why_not(problem, solution, "n1", "o3", language="en"))
商会 (o3) may not take n1: its credit standing is barred by the policy (rule credit).
>>> print(explain(problem, solution, "n3", language="en").text.splitlines()[0])
Need n3 (Industry support, 清徐县) was not dispatched: the 2 organizations that could take it (农学会, 科技协会) have room for 2 needs, all taken by higher-scoring needs among the 3 that compete for them; the best plan that serves it scores 0.34 less.
>>> print(explain(problem, solution, "n3").text.splitlines()[0])
清徐县的产业帮扶需求 n3 未能派单：可承接它的 2 个组织（农学会、科技协会）共可承接 2 项，已全部派给竞争这批组织的 3 项需求（含本项）中得分更高的 2 项，能服务它的最佳方案总分低 0.34。
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._lazy import lazy_module
from ..models import Problem
from ..models.vocab import Language
from ..plan.solution import Solution

# The explainer, with scipy's sparse graphs, comes with this subpackage (``import matcher`` leaves
# it until first read): a plan's first explanation takes what the later ones take.
from . import explainer as _explainer
from .deprecated import lend
from .explainer import FULL_TABLE_BELOW, Explainer
from .records import Alternative, Bottleneck, BreakdownRow, Explanation, Verdict
from .wording import TEXT_LINES

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")


__all__ = [
    "FULL_TABLE_BELOW",
    "TEXT_LINES",
    "Alternative",
    "Bottleneck",
    "BreakdownRow",
    "Explainer",
    "Explanation",
    "Verdict",
    "explain",
    "explainer_for",
    "explanations",
    "why_not",
]


def explain(
    problem: Problem,
    solution: Solution,
    need_id: str,
    language: Language = "zh",
    *,
    limit: int = 10,
) -> Explanation:
    """Why ``need_id`` went where it went in ``solution``, or why it went nowhere.

    Parameters
    ----------
    problem
        The problem the plan was made for.
    solution
        The plan.
    need_id
        The need to explain.
    language
        ``"zh"`` or ``"en"``: the language of the text, of the labels and of every detail.
    limit
        At most this many organizations removed by a rule are listed (those most capable in the
        need's category); the rest are counted in :attr:`Explanation.omitted`. Every candidate is
        listed.

    Returns
    -------
    Explanation
        Structured fields, :attr:`~Explanation.text`, and :meth:`~Explanation.to_frame`.

    Raises
    ------
    OptionError
        For an unknown need, a language other than ``zh``/``en``, a negative ``limit``, or a plan
        that does not belong to ``problem``.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    >>> solution = matcher.solve(problem)
    >>> first = solution.assignments[0]
    >>> explanation = explain(problem, solution, first.need_id, language="en")
    >>> explanation.org_id == first.org_id
    True
    >>> total = sum(row.contribution for row in explanation.breakdown)
    >>> bool(abs(total - first.score) < 1e-9)
    True
    >>> explain(problem, solution, "nowhere")
    Traceback (most recent call last):
    ...
    matcher.errors.OptionError: unknown need 'nowhere'
    """
    return explainer_for(problem, solution).explain(need_id, language, limit=limit)


def why_not(
    problem: Problem,
    solution: Solution,
    need_id: str,
    org_id: str,
    language: Language = "zh",
) -> str:
    """Why ``org_id`` does not take ``need_id`` in ``solution``, in one sentence.

    Parameters
    ----------
    problem, solution
        The problem and the plan made for it.
    need_id, org_id
        The pair.
    language
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        Ineligible by which rule; full with which needs; how much lower it scores than the chosen
        organization; held back by the policy's rules; or that it is the chosen one.

    Raises
    ------
    OptionError
        For an unknown need or organization, or a language other than ``zh``/``en``.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    >>> solution = matcher.solve(problem)
    >>> first = solution.assignments[0]
    >>> why_not(problem, solution, first.need_id, first.org_id, language="en").endswith(
    ...     "is the organization the plan chose for it.")
    True
    """
    return explainer_for(problem, solution).why_not(need_id, org_id, language)


def explanations(
    problem: Problem,
    solution: Solution,
    languages: Sequence[Language] | Language = ("zh", "en"),
    *,
    limit: int = 10,
) -> pd.DataFrame:
    """Every need of ``solution`` explained: one row per need, assigned and unmet.

    Parameters
    ----------
    problem, solution
        The problem and the plan made for it.
    languages
        ``"zh"``, ``"en"`` or both (the default): a text column for each.
    limit
        As for :func:`explain`.

    Returns
    -------
    pandas.DataFrame
        In the problem's need order: ``need_id``; ``status`` (``assigned`` or ``unmet``);
        ``org_id`` (the best-scoring organization that takes it), ``score``, ``rank`` among the
        ``candidates`` and the ``runner_up`` for an assigned need; ``reason`` and ``cost_to_serve``
        (how much less the best plan that serves it scores, where known) for an unmet one; and
        ``text_zh`` / ``text_en``, the :attr:`Explanation.text` that :func:`explain` gives need by
        need.

    Raises
    ------
    OptionError
        For a language other than ``zh``/``en``, a negative ``limit``, or a plan that does not
        belong to ``problem``.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    >>> solution = matcher.solve(problem)
    >>> table = explanations(problem, solution)
    >>> len(table) == len(problem.needs), list(table.columns[:3])
    (True, ['need_id', 'status', 'org_id'])
    >>> first = table.iloc[0]
    >>> first.text_en == explain(problem, solution, first.need_id, "en").text
    True
    """
    return explainer_for(problem, solution).frame(languages, limit=limit)


#: The explainer of each plan explained lately, by the plan's id (dropped with the plan).
_EXPLAINERS: dict[int, tuple[weakref.ref[Solution], Problem, Explainer]] = {}
_EXPLAINERS_LOCK = threading.Lock()


def explainer_for(problem: Problem, solution: Solution) -> Explainer:
    """The :class:`Explainer` of ``solution`` with ``problem``, kept while the plan lives.

    Explaining one need after another, as a web service does per request, then shares the work
    of the plan's lookups, candidate pairs and bottlenecks across requests and threads.
    """
    key = id(solution)
    with _EXPLAINERS_LOCK:
        found = _EXPLAINERS.get(key)
        if found is not None and found[0]() is solution and found[1] is problem:
            return found[2]
    explainer = _explainer.Explainer(problem, solution)
    with _EXPLAINERS_LOCK:
        found = _EXPLAINERS.get(key)
        if found is not None and found[0]() is solution and found[1] is problem:
            return found[2]
        if found is None:
            weakref.finalize(solution, _forget, key)
        _EXPLAINERS[key] = (weakref.ref(solution), problem, explainer)
    return explainer


def _forget(key: int) -> None:
    with _EXPLAINERS_LOCK:
        _EXPLAINERS.pop(key, None)


lend(explain, explanations, why_not)
