"""The review's inputs: experts, submitted projects, reviews, evaluators, evaluations, the policy.

A :class:`ReviewDocument` is validated like a problem document: every problem found is reported
at once as a :class:`~matcher.ProblemError` whose issues carry JSON paths (``experts[2].id``), and
its JSON Schema comes from the models (:func:`review_schema`).

Examples
--------
>>> document = ReviewDocument.model_validate({
...     "experts": [{"id": "e1", "expertise": {"产业帮扶": 3}, "affiliations": ["o1"]}],
...     "projects": [{"id": "p1", "category": "industry", "region": "140121",
...                   "organizations": ["o1"]}]})
>>> document.experts[0].expertise
{<Category.INDUSTRY: 'industry'>: 3}
>>> try:
...     ReviewDocument.model_validate({"experts": [], "projects": [],
...         "reviews": [{"project_id": "p9", "expert_id": "e1", "score": 80}]})
... except ProblemError as error:
...     print(*error.issues, sep="\\n")
reviews[0].expert_id: unknown expert 'e1'
reviews[0].project_id: unknown project 'p9'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Self

import pydantic
from pydantic import Field, model_validator

from ..errors import Issue, ProblemError, echo
from ..models.base import Id, Model
from ..models.document import _field_issues, _issue_order
from ..models.limits import Count, Money, Weight
from ..models.vocab import Category

__all__ = [
    "EVALUATOR_KINDS",
    "Evaluation",
    "Evaluator",
    "Expert",
    "KeyProjectPolicy",
    "Project",
    "Review",
    "ReviewDocument",
    "ReviewPolicy",
    "review_schema",
]

#: Evaluator kinds named by the plan: hub, academic and professional organizations.
EVALUATOR_KINDS: dict[str, tuple[str, str]] = {
    "hub": ("枢纽型", "hub"),
    "academic": ("学术型", "academic"),
    "professional": ("专业型", "professional"),
}

Level = Annotated[int, Field(ge=1, le=5)]
Stars = Annotated[int, Field(ge=1, le=5)]
Mark = Annotated[float, Field(ge=0.0, le=100.0)]


class Expert(Model):
    """A member of the expert pool (专家库).

    Parameters
    ----------
    id, name
        Unique id and display name.
    expertise
        Categories of expertise with a level, 1 (some) to 5 (leading).
    home_region
        Where she lives or works: she never reviews a project of that region (county).
    affiliations
        Organizations she belongs to: she never reviews a project they submit or may take.
    conflicts
        Further projects or organizations she declared a conflict of interest with.
    max_reviews
        The most projects she reviews this year.
    """

    id: Id
    name: str = ""
    expertise: dict[Category, Level] = Field(default_factory=dict)
    home_region: Id | None = None
    affiliations: tuple[Id, ...] = ()
    conflicts: tuple[Id, ...] = ()
    max_reviews: Count = 10


class Evaluator(Model):
    """A third-party evaluator (第三方评估机构): a hub, academic or professional organization.

    ``affiliations`` are organizations it is affiliated with (its own id always counts): it never
    evaluates a project one of them carried out. ``capacity`` is how many projects it evaluates.
    """

    id: Id
    name: str = ""
    kind: Literal["hub", "academic", "professional"] = "professional"
    home_region: Id | None = None
    affiliations: tuple[Id, ...] = ()
    capacity: Count = 10


class Project(Model):
    """A project submitted for review (a need, or an organization's supply project).

    Parameters
    ----------
    id, name
        Unique id and title.
    category
        Its assistance category.
    region
        The county (or region) it serves; experts living there do not review it.
    organizations
        The organizations that submitted it, may take it, or carried it out.
    implementer
        The organization that carried it out, for third-party evaluation.
    cost
        Its cost (yuan), counted against the key-project fund.
    key_area
        Whether it lies in a key assistance area (重点帮扶地区).
    reviewers
        Reviewers it needs, overriding the policy's ``reviewers_per_project``.
    need_id
        The dispatch need it stands for (its own ``id`` when not given).
    """

    id: Id
    name: str = ""
    category: Category
    region: Id | None = None
    organizations: tuple[Id, ...] = ()
    implementer: Id | None = None
    cost: Money = 0.0
    key_area: bool = False
    reviewers: Annotated[int, Field(ge=1, le=50)] | None = None
    need_id: Id | None = None

    @property
    def need(self) -> str:
        """The need this project stands for in a dispatch problem."""
        return self.need_id or self.id


class Review(Model):
    """One expert's review of one project: a single ``score``, or ``scores`` per criterion.

    Scores are on the policy's scale (1-100 or 1-5). ``round`` is 1 for the first round, 2 for
    the extra reviewer a disagreement calls for.
    """

    project_id: Id
    expert_id: Id
    score: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    scores: dict[str, Annotated[float, Field(ge=0.0, le=100.0)]] = Field(default_factory=dict)
    round: Annotated[int, Field(ge=1, le=9)] = 1

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.score is None) == (not self.scores):
            raise ValueError("give either score or scores per criterion")
        return self


class Evaluation(Model):
    """A third-party evaluation of a carried-out project: its result in stars (1-5)."""

    project_id: Id
    evaluator_id: Id
    stars: Stars


class KeyProjectPolicy(Model):
    """How key projects (重点项目) are selected from the library.

    Parameters
    ----------
    min_key
        At least this many key projects (the plan: 30 a year).
    max_key
        At most this many, when given.
    fund
        The fund the key projects' costs must fit in, when given.
    category_floors
        At least this many key projects per category.
    key_area_floor
        At least this many key projects in key assistance areas.
    dispatch_weight
        Weight of the best dispatch score among the organizations able to take a project, added
        to its merit (0-100) in the objective.
    """

    min_key: Count = 30
    max_key: Count | None = None
    fund: Money | None = None
    category_floors: dict[Category, Count] = Field(default_factory=dict)
    key_area_floor: Count = 0
    dispatch_weight: Weight = 1.0


class ReviewPolicy(Model):
    """How projects are reviewed, aggregated, admitted and how evaluators are assigned.

    Parameters
    ----------
    reviewers_per_project
        ``k``, the reviewers each project gets (a project's ``reviewers`` overrides it).
    scale
        Scores run 1-100 or 1-5; both are mapped onto 0-100 (1-5 as ``(s - 1) * 25``).
    criteria
        Names of the criteria each review scores; empty for a single score.
    aggregate
        ``mean``, ``trimmed_mean`` (dropping ``trim`` of the scores at each end) or ``median``.
    calibrate
        Remove each expert's leniency, estimated from her reviews (:mod:`matcher.review.merit`).
    calibration_strength
        How many reviews' worth of shrinkage toward no leniency.
    disagreement
        A spread (highest less lowest calibrated score, 0-100) above this flags the project for a
        second round.
    same_region_conflict
        An expert never reviews a project of her ``home_region``.
    fairness
        Weight of the convex load cost that spreads reviews across experts.
    library_threshold
        The merit (0-100) a project needs to enter the library (纳入项目库).
    key
        Key-project selection.
    min_evaluation
        The lowest evaluation result (stars) that keeps an organization eligible for next year's
        government purchase of services; ``None`` keeps everyone.
    """

    reviewers_per_project: Annotated[int, Field(ge=1, le=50)] = 3
    scale: Literal[5, 100] = 100
    criteria: tuple[str, ...] = ()
    aggregate: Literal["mean", "trimmed_mean", "median"] = "trimmed_mean"
    trim: Annotated[float, Field(ge=0.0, lt=0.5)] = 0.2
    calibrate: bool = True
    calibration_strength: Annotated[float, Field(ge=0.0, le=1000.0)] = 2.0
    disagreement: Mark = 30.0
    same_region_conflict: bool = True
    fairness: Weight = 1.0
    library_threshold: Mark = 60.0
    key: KeyProjectPolicy = Field(default_factory=KeyProjectPolicy)
    min_evaluation: Stars | None = None


class ReviewDocument(Model):
    """Everything a year's review works on; ids are checked across the sections."""

    experts: tuple[Expert, ...] = ()
    projects: tuple[Project, ...] = ()
    reviews: tuple[Review, ...] = ()
    evaluators: tuple[Evaluator, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()
    policy: ReviewPolicy = Field(default_factory=ReviewPolicy)

    @model_validator(mode="wrap")
    @classmethod
    def _validate_whole(
        cls, data: Any, handler: Callable[[Any], Self], info: pydantic.ValidationInfo
    ) -> Self:
        try:
            document = handler(data)
        except pydantic.ValidationError as error:
            raise ProblemError(sorted(set(_field_issues(error)), key=_issue_order)) from None
        issues = _reference_issues(document)
        if issues:
            raise ProblemError(sorted(set(issues), key=_issue_order))
        return document

    def replace(self, **changes: Any) -> ReviewDocument:
        """A new document with some sections replaced, validated as a whole."""
        data: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return type(self).model_validate(data)


def _unique(section: str, ids: list[str], issues: list[Issue]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        if item_id in seen:
            issues.append(
                Issue.of(
                    f"{section}[{i}].id",
                    "error.duplicate_id",
                    id=echo(item_id),
                    first=f"{section}[{seen[item_id]}]",
                )
            )
        else:
            seen[item_id] = i
    return seen


def _reference_issues(document: ReviewDocument) -> list[Issue]:
    issues: list[Issue] = []
    experts = _unique("experts", [e.id for e in document.experts], issues)
    projects = _unique("projects", [p.id for p in document.projects], issues)
    evaluators = _unique("evaluators", [e.id for e in document.evaluators], issues)
    policy = document.policy

    def known(path: str, value: str, table: Mapping[str, int], what: str) -> None:
        if value not in table:
            issues.append(Issue.of(path, f"error.unknown_{what}", id=echo(value)))

    pairs: dict[tuple[str, str, int], int] = {}
    for i, review in enumerate(document.reviews):
        known(f"reviews[{i}].project_id", review.project_id, projects, "project")
        known(f"reviews[{i}].expert_id", review.expert_id, experts, "expert")
        key = (review.project_id, review.expert_id, review.round)
        if key in pairs:
            issues.append(
                Issue.of(f"reviews[{i}]", "error.duplicate_review", first=f"reviews[{pairs[key]}]")
            )
        pairs.setdefault(key, i)
        if policy.criteria:
            if review.score is not None:
                issues.append(Issue.of(f"reviews[{i}].score", "error.score_per_criterion"))
            elif set(review.scores) != set(policy.criteria):
                wanted = ", ".join(policy.criteria)
                issues.append(
                    Issue.of(f"reviews[{i}].scores", "error.score_criteria", criteria=wanted)
                )
        elif review.scores:
            issues.append(Issue.of(f"reviews[{i}].scores", "error.no_criteria"))
        low = 1.0
        values = [review.score] if review.score is not None else list(review.scores.values())
        for value in values:
            if value is not None and not low <= value <= policy.scale:
                issues.append(
                    Issue.of(
                        f"reviews[{i}]", "error.score_range", value=f"{value:g}", scale=policy.scale
                    )
                )
                break
    for i, evaluation in enumerate(document.evaluations):
        known(f"evaluations[{i}].project_id", evaluation.project_id, projects, "project")
        known(f"evaluations[{i}].evaluator_id", evaluation.evaluator_id, evaluators, "evaluator")
    return issues


def review_schema() -> dict[str, Any]:
    """The JSON Schema of a review document.

    Examples
    --------
    >>> sorted(review_schema()["properties"])
    ['evaluations', 'evaluators', 'experts', 'policy', 'projects', 'reviews']
    """
    return ReviewDocument.model_json_schema()
