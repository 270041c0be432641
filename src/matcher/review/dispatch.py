"""The library and the key projects carried into dispatch; evaluations carried into next year.

- :func:`dispatch_scores`: per need, the best score among the organizations able to take it (what
  key-project selection adds to merit).
- :func:`library_problem`: the dispatch problem of the year: with ``only_library`` (the switch)
  needs not in the library are left out, the key projects get the rule ``key_projects_served``
  (hard by default), which the solvers and :func:`matcher.verify` read as a floor on served
  needs among them (all of them), and the needs carry their review merit (the ``merit`` score
  component, weighed by ``policy.weights.merit``).
- :func:`apply_evaluations`: third-party evaluations become the implementers' ratings (reputation),
  the continuity of follow-up needs (接续实施), and, with a minimum evaluation result, next year's
  eligibility for government purchase of services (政府购买服务): an organization whose mean
  evaluation falls below it gets no project next year (``max_projects`` 0).

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12)
>>> ids = [n.id for n in problem.needs]
>>> year = library_problem(problem, library=ids[:30], key=ids[:2])
>>> len(year.needs), year.policy.rules.key_projects_served.needs
(30, ('N01', 'N02'))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from ..models import Continuation, Need, Organization, Problem
from ..pairs.table import build_candidates
from .models import ReviewDocument

__all__ = ["apply_evaluations", "dispatch_scores", "evaluation_results", "library_problem"]

FloatArray = npt.NDArray[np.float64]


def dispatch_scores(problem: Problem, need_ids: Iterable[str]) -> FloatArray:
    """Per need id, the best score of a pair with an eligible organization (NaN: none, or an
    unknown id)."""
    table = build_candidates(problem)
    best = np.full(len(problem.needs), -np.inf)
    np.maximum.at(best, table.need, table.score)
    best[np.isinf(best)] = np.nan
    at = problem.index.need_position
    return np.array([best[at[n]] if n in at else np.nan for n in need_ids], np.float64)


def library_problem(
    problem: Problem,
    library: Iterable[str],
    key: Iterable[str] = (),
    *,
    only_library: bool = True,
    hard: bool = True,
    penalty: float = 100.0,
    merit: Mapping[str, float] | None = None,
) -> Problem:
    """The year's dispatch problem: the library's needs (all needs without ``only_library``) and
    the key projects' rule.

    Parameters
    ----------
    problem
        The province's needs and organizations.
    library
        Need ids admitted to the library.
    key
        Need ids of the key projects: every one must be served (``hard``), or each unserved one
        costs ``penalty`` score points.
    only_library
        Leave out the needs not in the library (and the pairs that name them).
    merit
        Need id -> merit from the review, set as ``Need.merit`` (clipped to 0-100: calibration
        may push a mark past either end), the ``merit`` score component (weighed by
        ``policy.weights.merit``).
    """
    key_ids = list(dict.fromkeys(key))
    kept = set(library) | set(key_ids)
    needs = [
        n.model_copy(update={"merit": min(max(float(merit[n.id]), 0.0), 100.0)})
        if merit and n.id in merit
        else n
        for n in problem.needs
        if n.id in kept or not only_library
    ]
    changes: dict[str, object] = {"needs": needs}
    if only_library:
        for name in ("pinned", "declined", "pending"):
            changes[name] = [p for p in getattr(problem, name) if p.need_id in kept]
        if problem.pair_scores is not None:
            changes["pair_scores"] = [p for p in problem.pair_scores if p.need_id in kept]
    problem = problem.replace(**changes)
    rule = {"needs": key_ids, "hard": hard, "penalty": penalty} if key_ids else None
    return problem.with_policy(rules={"key_projects_served": rule})


def evaluation_results(document: ReviewDocument) -> dict[str, float]:
    """Implementing organization id -> mean stars of the evaluations of its projects."""
    implementer = {p.id: p.implementer for p in document.projects}
    stars: dict[str, list[int]] = defaultdict(list)
    for evaluation in document.evaluations:
        org = implementer.get(evaluation.project_id)
        if org:
            stars[org].append(evaluation.stars)
    return {org: float(np.mean(values)) for org, values in stars.items()}


def apply_evaluations(
    problem: Problem,
    document: ReviewDocument,
    *,
    follow_ups: Mapping[str, str] | None = None,
    min_evaluation: int | None = None,
) -> Problem:
    """Next year's problem with this year's evaluations carried in.

    Parameters
    ----------
    problem
        Next year's problem.
    document
        This year's projects (with their ``implementer``) and evaluations.
    follow_ups
        Next year's need id -> this year's project it follows up: the need gets ``continues`` =
        (the implementer, its evaluation in stars, the mean rounded), hence the continuity
        bonus (4-5 stars) or malus (1-2).
    min_evaluation
        The lowest mean evaluation (stars) for next year's government purchase of services; by
        default the document policy's ``min_evaluation`` (``None``: everyone stays eligible).

    Examples
    --------
    >>> import matcher
    >>> from matcher.review import ReviewDocument
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=10, n_orgs=4)
    >>> document = ReviewDocument.model_validate({
    ...     "evaluators": [{"id": "hub"}],
    ...     "projects": [{"id": "p", "category": "talent", "implementer": "O1"},
    ...                  {"id": "q", "category": "talent", "implementer": "O2"}],
    ...     "evaluations": [{"project_id": "p", "evaluator_id": "hub", "stars": 5},
    ...                     {"project_id": "q", "evaluator_id": "hub", "stars": 2}]})
    >>> after = apply_evaluations(problem, document, follow_ups={"N03": "p"}, min_evaluation=3)
    >>> after.organization("O1").ratings[-1], after.organization("O2").max_projects
    (5, 0)
    >>> after.need("N03").continues
    Continuation(org_id='O1', stars=5)
    """
    wanted = document.policy.min_evaluation if min_evaluation is None else min_evaluation
    by_project: dict[str, list[int]] = defaultdict(list)
    for evaluation in document.evaluations:
        by_project[evaluation.project_id].append(evaluation.stars)
    implementer = {p.id: p.implementer for p in document.projects}
    new_stars: dict[str, list[int]] = defaultdict(list)
    for project_id, values in by_project.items():
        org = implementer.get(project_id)
        if org:
            new_stars[org].extend(values)
    organizations = _rated(problem, new_stars, evaluation_results(document), wanted)
    runners = {
        need_id: (implementer.get(project_id), by_project.get(project_id))
        for need_id, project_id in (follow_ups or {}).items()
    }
    return problem.replace(organizations=organizations, needs=_continued(problem, runners))


def _rated(
    problem: Problem,
    new_stars: Mapping[str, list[int]],
    results: Mapping[str, float],
    wanted: float | None,
) -> list[Organization]:
    """The organizations with their new ratings, and without projects where their mean evaluation
    falls below ``wanted``."""
    organizations = []
    for organization in problem.organizations:
        changes: dict[str, object] = {}
        if organization.id in new_stars:
            changes["ratings"] = (*organization.ratings, *new_stars[organization.id])
        if wanted is not None and results.get(organization.id, wanted) < wanted:
            changes["max_projects"] = 0
        organizations.append(organization.model_copy(update=changes) if changes else organization)
    return organizations


def _continued(
    problem: Problem, runners: Mapping[str, tuple[str | None, list[int] | None]]
) -> list[Need]:
    """The needs, a follow-up continuing its project's implementer with the mean stars."""
    needs = list(problem.needs)
    known = {o.id for o in problem.organizations}
    for position, need in enumerate(needs):
        runner, stars = runners.get(need.id, (None, None))
        if runner and runner in known and stars:
            mean = int(np.rint(np.mean(stars)))
            needs[position] = need.model_copy(
                update={"continues": Continuation(org_id=runner, stars=mean)}
            )
    return needs
