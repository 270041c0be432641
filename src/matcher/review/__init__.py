"""Expert review, the project library and third-party evaluation (专家评审 → 项目库 → 重点项目).

A room on top of matcher: it imports the rest of the package, nothing there imports it.

- :mod:`.models`: experts, submitted projects, reviews, evaluators, evaluations and the policy,
  validated like a problem document (:func:`review_schema` gives the JSON Schema);
- :mod:`.assign`: reviewers and evaluators assigned exactly by one min-cost flow;
- :mod:`.merit`: reviews aggregated into merit, reviewer calibration, disagreement;
- :mod:`.library`: admission to the library and the exact selection of key projects;
- :mod:`.dispatch`: the library and the key projects carried into a dispatch problem, and the
  evaluations into next year's ratings, continuity and eligibility;
- their tables with Chinese headers are read and written by :mod:`matcher.io` (templates
  included);
- :mod:`.synth`: seeded synthetic experts, evaluators, reviews and evaluations.

The yearly flow is described in ``docs/program-year.md``.
"""

from .assign import (
    Assignment,
    AssignmentError,
    Shortfall,
    assign_evaluators,
    assign_reviewers,
    solve_transport,
)
from .dispatch import apply_evaluations, dispatch_scores, evaluation_results, library_problem
from .library import SelectionError, admit, select_key_projects
from .merit import Merit, compute_merit, second_round
from .models import (
    Evaluation,
    Evaluator,
    Expert,
    KeyProjectPolicy,
    Project,
    Review,
    ReviewDocument,
    ReviewPolicy,
    review_schema,
)

__all__ = [
    "Assignment",
    "AssignmentError",
    "Evaluation",
    "Evaluator",
    "Expert",
    "KeyProjectPolicy",
    "Merit",
    "Project",
    "Review",
    "ReviewDocument",
    "ReviewPolicy",
    "SelectionError",
    "Shortfall",
    "admit",
    "apply_evaluations",
    "assign_evaluators",
    "assign_reviewers",
    "compute_merit",
    "dispatch_scores",
    "evaluation_results",
    "library_problem",
    "review_schema",
    "second_round",
    "select_key_projects",
    "solve_transport",
]
