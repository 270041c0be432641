"""Policy: how pairs are scored and which organizations are barred.

The score of an eligible (need, organization) pair is a weighted sum of named components, each in
[0, 1] (``discontinuity`` in [-1, 0]):

============== ================================================================================
component      meaning
============== ================================================================================
capability     the organization's capability in the need's category
type_fit       1 when its type is one the plan puts first for the category, else 0
priority       the need's region tier: ``priority_values`` (key 1, former poverty 0.5, other 0)
beneficiaries  ``log(1 + people) / log(1 + beneficiaries_reference)``, capped at 1
vulnerable     share of the six vulnerable groups the need serves
proximity      ``exp(-km / distance_scale_km)`` between the two regions; 0.5 where either has
               no coordinates (own or inherited)
reputation     Bayesian average of past ratings, mapped from 1..5 stars to 0..1; the prior
               (``reputation_prior_mean`` stars, weight ``reputation_prior_weight`` ratings)
               shrinks small samples
continuity     1 when the need follows up a project this organization ran and was rated 4-5
               stars for (接续实施), else 0
discontinuity  -1 when it follows up a project this organization was rated 1-2 stars for, else 0
incumbent      1 when the pair is a pending offer (``Problem.pending``): its weight is the cost of
               disrupting an offer already made
preference     1 when the organization stated a preference for the need's region (or a region
               containing it) or category, else 0
merit          the need's merit from the expert review, ``Need.merit / 100`` (weight 0 by
               default: it counts once a policy weighs it)
============== ================================================================================

With ``expected_value`` the weighted sum is multiplied by the organization's probability of
accepting an offer in the need's category (``Organization.acceptance``), so that the plan maximizes
the expected accepted score rather than the raw score.

An empty policy means the defaults below.

Examples
--------
>>> Policy().weights.capability
4.0
>>> Policy.model_validate({"weights": {"priority": 5}}).weights.priority
5.0
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import Model
from .limits import MAX_COUNT, Distance, Weight
from .rules import EligibilityRules, Goal, Rules
from .vocab import Credit, Priority

__all__ = ["COMPONENTS", "Policy", "Weights"]

#: Names of the score components, in the order of the candidate table's columns.
COMPONENTS: tuple[str, ...] = (
    "capability",
    "type_fit",
    "priority",
    "beneficiaries",
    "vulnerable",
    "proximity",
    "reputation",
    "continuity",
    "discontinuity",
    "incumbent",
    "preference",
    "merit",
)


class Weights(Model):
    """Weight of each score component, in [0, :data:`~matcher.models.limits.MAX_WEIGHT`]
    (``discontinuity`` is a malus: its component is <= 0)."""

    capability: Weight = 4.0
    type_fit: Weight = 2.0
    priority: Weight = 3.0
    beneficiaries: Weight = 1.0
    vulnerable: Weight = 1.0
    proximity: Weight = 1.0
    reputation: Weight = 1.0
    continuity: Weight = 2.0
    discontinuity: Weight = 2.0
    incumbent: Weight = 0.0
    preference: Weight = 1.0
    merit: Weight = 0.0


def _default_priority_values() -> dict[Priority, float]:
    return {Priority.KEY: 1.0, Priority.FORMER_POVERTY: 0.5, Priority.NORMAL: 0.0}


class Policy(Model):
    """Score weights and eligibility switches of a matching round.

    Parameters
    ----------
    weights
        Weight per score component.
    priority_values
        Value in [0, 1] of the ``priority`` component for each tier; missing tiers count 0.
    barred_credit
        Credit standings that exclude an organization.
    distance_scale_km
        Distance at which proximity falls to 1/e.
    beneficiaries_reference
        Head count at which the beneficiaries component reaches 1.
    reputation_prior_mean, reputation_prior_weight
        Prior of the reputation average, in stars and in number of ratings.
    expected_value
        Multiply each score by the organization's acceptance probability for the category.
    eligibility
        Switches that remove pairs (inspection, grade, scope, distance, primary types only).
    rules
        Counting rules: region and category limits, program totals, money, aid mix
        (:mod:`matcher.models.rules`).
    goals, goal_mode
        Objective levels, solved in order (``lexicographic``: each level keeps the best value of
        the ones before) or summed with their weights (``weighted``). None means ``score`` alone.
    """

    weights: Weights = Weights()
    priority_values: dict[Priority, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=_default_priority_values
    )
    barred_credit: tuple[Credit, ...] = (Credit.ABNORMAL, Credit.BLACKLISTED)
    distance_scale_km: Distance = 100.0
    beneficiaries_reference: Annotated[float, Field(gt=0.0, le=MAX_COUNT)] = 10_000.0
    reputation_prior_mean: Annotated[float, Field(ge=1.0, le=5.0)] = 3.5
    reputation_prior_weight: Annotated[float, Field(ge=0.0, le=MAX_COUNT)] = 5.0
    expected_value: bool = False
    eligibility: EligibilityRules = EligibilityRules()
    rules: Rules = Rules()
    goals: tuple[Goal, ...] = ()
    goal_mode: Literal["lexicographic", "weighted"] = "lexicographic"

    @field_validator("barred_credit")
    @classmethod
    def _sorted_credit(cls, barred: tuple[Credit, ...]) -> tuple[Credit, ...]:
        # A set of standings, kept in declaration order so that equal policies dump alike.
        return tuple(sorted(set(barred), key=list(Credit).index))

    @property
    def network_shaped(self) -> bool:
        """Whether min-cost flow solves this policy exactly: no counting rule, score as only goal."""
        if self.rules.counting or any(goal.kind != "score" for goal in self.goals):
            return False
        # A weighted score alone is the score times its weight: still a flow, but not the same
        # objective; leave it to CP-SAT, which reports it as such.
        return not (self.goal_mode == "weighted" and self.goals)
