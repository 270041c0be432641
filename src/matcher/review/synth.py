"""Seeded synthetic experts, evaluators, projects, reviews and evaluations.

The generators draw from :func:`numpy.random.default_rng` only, so the same arguments give the
same document. :func:`review_document` turns a problem's needs into submitted projects and draws an
expert pool and evaluators for it; :func:`random_document` builds one of any size without a
problem (for benchmarks); :func:`simulate_reviews` and :func:`simulate_evaluations` fill in scores.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
>>> document = review_document(problem, seed=0)
>>> len(document.projects), len(document.experts) >= 30, len(document.evaluators) > 0
(60, True, True)
>>> random_document(50, 20, seed=1) == random_document(50, 20, seed=1)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..models import Level, OrgType, Priority, Problem
from ..models.vocab import Category
from .assign import Assignment
from .models import Evaluation, Review, ReviewDocument

__all__ = [
    "random_document",
    "review_document",
    "simulate_evaluations",
    "simulate_reviews",
]

_CATEGORIES = tuple(Category)
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "建国志强秀英丽华文军海燕晓明玉兰春梅国华红霞伟平"
#: Organization types that may act as third-party evaluators, and their kind.
_EVALUATOR_TYPES = {
    OrgType.HUB: "hub",
    OrgType.ACADEMIC: "academic",
    OrgType.PROFESSIONAL: "professional",
}


def _name(rng: np.random.Generator) -> str:
    given = rng.integers(0, len(_GIVEN) // 2)
    return _SURNAMES[rng.integers(0, len(_SURNAMES))] + _GIVEN[2 * given : 2 * given + 2]


def _experts(
    rng: np.random.Generator, n: int, regions: Sequence[str], orgs: Sequence[str], load: int
) -> list[dict[str, Any]]:
    experts = []
    for i in range(n):
        fields = rng.choice(len(_CATEGORIES), size=int(rng.integers(1, 4)), replace=False)
        size = min(len(orgs), int(rng.integers(0, 3)))
        affiliations = rng.choice(len(orgs), size=size, replace=False).tolist() if orgs else []
        experts.append(
            {
                "id": f"E{i:04d}",
                "name": _name(rng),
                "expertise": {_CATEGORIES[c].value: int(rng.integers(1, 6)) for c in fields},
                "home_region": regions[int(rng.integers(0, len(regions)))] if regions else None,
                "affiliations": [orgs[a] for a in affiliations],
                "max_reviews": int(rng.integers(max(1, load - 3), load + 4)),
            }
        )
    return experts


def random_document(
    n_projects: int, n_experts: int, *, seed: int = 0, k: int = 3, n_orgs: int = 200
) -> ReviewDocument:
    """A review document of any size: projects over 100 counties, organizations ``O0000`` ….

    Expert loads average about ``1.25 * k * n_projects / n_experts`` (room to spare).
    """
    rng = np.random.default_rng(seed)
    counties = [f"C{c:03d}" for c in range(100)]
    orgs = [f"O{o:04d}" for o in range(n_orgs)]
    projects = [
        {
            "id": f"P{p:05d}",
            "category": _CATEGORIES[int(rng.integers(0, len(_CATEGORIES)))].value,
            "region": counties[int(rng.integers(0, len(counties)))],
            "organizations": [orgs[int(o)] for o in rng.integers(0, n_orgs, size=2)],
            "cost": float(rng.integers(5, 60)) * 10_000.0,
            "key_area": bool(rng.random() < 0.3),
        }
        for p in range(n_projects)
    ]
    load = max(1, round(1.25 * k * n_projects / max(n_experts, 1)))
    return ReviewDocument.model_validate(
        {
            "experts": _experts(rng, n_experts, counties, orgs, load),
            "projects": projects,
            "policy": {"reviewers_per_project": k},
        }
    )


def review_document(
    problem: Problem,
    *,
    seed: int = 0,
    n_experts: int | None = None,
    k: int = 3,
    policy: dict[str, Any] | None = None,
) -> ReviewDocument:
    """The problem's needs as submitted projects, with an expert pool and third-party evaluators.

    Each project lies in its need's county, is co-submitted by two organizations, costs the need's
    cost and is in a key area when its county is of the ``key`` tier. The expert pool has about
    one expert per eight review places (at least 30). Evaluators are the problem's hub, academic
    and professional organizations (each affiliated with one or two others), plus three
    independent evaluation centres.
    """
    rng = np.random.default_rng(seed)
    orgs = [o.id for o in problem.organizations]
    projects, counties = _projects(rng, problem, orgs)
    n = n_experts or max(30, round(len(projects) * k / 8))
    load = max(1, round(1.25 * k * len(projects) / n))
    evaluators = _evaluators(rng, problem, orgs, len(projects))
    return ReviewDocument.model_validate(
        {
            "experts": _experts(rng, n, counties, orgs, load),
            "projects": projects,
            "evaluators": evaluators,
            "policy": {"reviewers_per_project": k, **(policy or {})},
        }
    )


def _projects(
    rng: np.random.Generator, problem: Problem, orgs: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The needs as projects in their counties, each co-submitted by two of ``orgs``; and the
    counties they lie in, sorted."""
    index = problem.index
    tree = index.hierarchy
    county = tree.at_level(index.need_region, Level.COUNTY)
    county = np.where(county >= 0, county, index.need_region)
    key = tree.tier[county] == list(Priority).index(Priority.KEY)
    counties = sorted({tree.ids[c] for c in county.tolist()})
    projects = [
        {
            "id": need.id,
            "name": need.title,
            "category": need.category.value,
            "region": tree.ids[int(county[i])],
            "organizations": [orgs[int(o)] for o in rng.integers(0, len(orgs), size=2)],
            "cost": need.cost,
            "key_area": bool(key[i]),
        }
        for i, need in enumerate(problem.needs)
    ]
    return projects, counties


def _evaluators(
    rng: np.random.Generator, problem: Problem, orgs: Sequence[str], n_projects: int
) -> list[dict[str, Any]]:
    """The problem's hub, academic and professional organizations (each affiliated with one or
    two of ``orgs``), and three independent evaluation centres at the root."""
    own = [
        {
            "id": o.id,
            "name": o.name,
            "kind": _EVALUATOR_TYPES[o.org_type],
            "home_region": o.home_region,
            "affiliations": [orgs[int(a)] for a in rng.integers(0, len(orgs), size=2)],
            "capacity": 40,
        }
        for o in problem.organizations
        if o.org_type in _EVALUATOR_TYPES
    ]
    centres = [
        {
            "id": f"EV{i}",
            "name": f"第三方评估中心{i + 1}",
            "kind": "professional",
            "home_region": problem.index.hierarchy.ids[0],
            "capacity": max(20, n_projects // 4),
        }
        for i in range(3)
    ]
    return own + centres


def simulate_reviews(
    document: ReviewDocument, assignment: Assignment, *, seed: int = 0, round: int = 1
) -> ReviewDocument:
    """The document with a review for each assigned pair added.

    A project's true merit is drawn once per seed (normal, mean 70, sd 12); each expert has a
    leniency (normal, sd 6) and each review a noise (sd 5); a score is their sum, clipped to
    1-100 (or mapped onto 1-5 when the policy's scale is 5).
    """
    rng = np.random.default_rng(seed)
    merit = rng.normal(70.0, 12.0, len(document.projects))
    leniency = rng.normal(0.0, 6.0, len(document.experts))
    at = {p.id: i for i, p in enumerate(document.projects)}
    expert_at = {e.id: i for i, e in enumerate(document.experts)}
    noise = np.random.default_rng([seed, round]).normal(0.0, 5.0, len(assignment.project))
    reviews = list(document.reviews)
    for (project_id, expert_id), shake in zip(assignment.pairs(), noise.tolist(), strict=True):
        value = merit[at[project_id]] + leniency[expert_at[expert_id]] + shake
        value = float(np.clip(value, 1.0, 100.0))
        if document.policy.scale == 5:
            value = float(np.clip(round_half(1.0 + (value - 1.0) / 25.0), 1, 5))
        score = round_half(value)
        entry: dict[str, Any] = (
            {"scores": dict.fromkeys(document.policy.criteria, score)}
            if document.policy.criteria
            else {"score": score}
        )
        reviews.append(
            Review.model_validate(
                {"project_id": project_id, "expert_id": expert_id, "round": round, **entry}
            )
        )
    return document.replace(reviews=reviews)


def round_half(value: float) -> float:
    """``value`` to one decimal."""
    return float(np.round(value, 1))


def simulate_evaluations(
    document: ReviewDocument,
    assignment: Assignment,
    quality: dict[str, float],
    *,
    seed: int = 0,
) -> ReviewDocument:
    """The document with one evaluation (stars) per assigned pair: the implementer's ``quality``
    (0-1) plus noise, mapped onto 1-5 stars."""
    rng = np.random.default_rng(seed)
    at = {p.id: p for p in document.projects}
    evaluations = list(document.evaluations)
    for project_id, evaluator_id in assignment.pairs():
        implementer = at[project_id].implementer or ""
        value = quality.get(implementer, 0.7) + rng.normal(0.0, 0.12)
        stars = int(np.clip(np.rint(1.0 + 4.0 * value), 1, 5))
        evaluations.append(
            Evaluation(project_id=project_id, evaluator_id=evaluator_id, stars=stars)
        )
    return document.replace(evaluations=evaluations)
