"""The program's rules: limits on what a plan serves, money, the aid mix, eligibility switches, goals.

Every counting rule is *hard* (a plan must obey it; when it cannot, the result is ``infeasible`` with
the conflicting rules named) or *soft* (``"hard": false``: each unit short of a minimum or past a
maximum costs ``penalty`` score points, and the plan reports the violation).

A need is *served* when it gets its organization (all ``partners`` of them for a partnership). An
organization is *engaged* when it takes at least one need.

Examples
--------
>>> rules = Rules.model_validate({
...     "regions": [{"level": "county", "tier": "key", "min_served": 2}],
...     "categories": [{"category": "产业帮扶", "min_served": 10, "hard": False}],
...     "program": {"min_served": 30, "min_organizations": 60}})
>>> rules.regions[0].tier, rules.categories[0].hard, rules.program.min_organizations
(<Priority.KEY: 'key'>, False, 60)
>>> Goal(kind="fairness", level="city").kind
'fairness'
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from .base import Id, Model, Unit
from .limits import Count, Distance, Money, Penalty
from .vocab import Category, Level, Priority

__all__ = [
    "AidMixRule",
    "CategoryRule",
    "EligibilityRules",
    "Goal",
    "KeyProjectsRule",
    "Limit",
    "MoneyRules",
    "ProgramRule",
    "RegionRule",
    "Rules",
]


class Softness(Model):
    """Whether a rule is hard, and what a unit of violation costs when it is soft."""

    hard: bool = True
    penalty: Penalty = 10.0


class Limit(Softness):
    """At least ``min_served`` and at most ``max_served`` served needs in a group."""

    min_served: Count | None = None
    max_served: Count | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_served is None and self.max_served is None:
            raise ValueError("give min_served, max_served or both")
        if (
            self.min_served is not None
            and self.max_served is not None
            and self.min_served > self.max_served
        ):
            raise ValueError(f"min_served {self.min_served} > max_served {self.max_served}")
        return self


class RegionRule(Limit):
    """Served needs inside a region (the region and everything below it).

    Name one ``region``, or a ``level`` (optionally with a ``tier``) to apply the limit to every
    region of that level: ``{"level": "county", "tier": "key", "min_served": 1}`` asks every key
    county for at least one served need. A minimum never asks more of a region than the number of
    its needs that have a candidate at all (its *servable* needs).
    """

    region: Id | None = None
    level: Level | None = None
    tier: Priority | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.region is None) == (self.level is None):
            raise ValueError("give either region or level")
        if self.region is not None and self.tier is not None:
            raise ValueError("tier goes with level, not with a named region")
        return self


class CategoryRule(Limit):
    """Served needs of one category (quota)."""

    category: Category


class ProgramRule(Softness):
    """Program totals: the plan's floor of 30 key projects and 60 organizations a year."""

    min_served: Count | None = None
    min_organizations: Count | None = None


class KeyProjectsRule(Softness):
    """Key projects (重点项目) that a plan must serve: every need named in ``needs``.

    The key projects are selected from the project library (:mod:`matcher.review.library`).
    """

    needs: tuple[Id, ...]


class MoneyRules(Softness):
    """Money: organizations' budgets and the program fund, in the same unit as ``Need.cost``.

    ``budgets`` enforces each organization's ``budget`` (the cost of the needs it takes); a
    partnership's cost is split evenly among its partners. ``total_fund`` caps the cost of all
    served needs. Soft money rules cost ``penalty`` per 10,000 of overspending.
    """

    budgets: bool = False
    total_fund: Money | None = None


class AidMixRule(Softness):
    """At least this share of served needs builds capacity (造血) rather than giving direct aid (输血)."""

    min_capacity_building_share: Unit


class EligibilityRules(Model):
    """Switches that remove pairs before any solving (they keep the problem network-shaped).

    Parameters
    ----------
    require_inspection
        Bar organizations that failed the annual inspection (年检).
    min_grade
        Lowest evaluation grade (1 for 1A … 5 for 5A) an organization needs; 0 admits all.
    respect_scope
        Keep organizations inside the area of their registration level (default on).
    max_distance_km
        Farthest an organization's home may be from the need.
    primary_types_only
        Categories (or ``true`` for all) that only the plan's primary types may serve.
    """

    require_inspection: bool = False
    min_grade: Annotated[int, Field(ge=0, le=5)] = 0
    respect_scope: bool = True
    max_distance_km: Distance | None = None
    primary_types_only: bool | tuple[Category, ...] = False


class Rules(Model):
    """All counting rules of a policy; none by default."""

    regions: tuple[RegionRule, ...] = ()
    categories: tuple[CategoryRule, ...] = ()
    program: ProgramRule | None = None
    money: MoneyRules | None = None
    aid_mix: AidMixRule | None = None
    key_projects_served: KeyProjectsRule | None = None

    @property
    def counting(self) -> bool:
        """Whether any rule couples needs or organizations (and so needs more than a flow)."""
        return bool(
            self.regions
            or self.categories
            or self.program
            or self.money
            or self.aid_mix
            or self.key_projects_served
        )


GoalKind = Literal["score", "served", "key_served", "fairness", "organizations"]


class Goal(Model):
    """One level of the objective.

    ``score``: total score less soft penalties. ``served``: needs served. ``key_served``: needs
    served in key assistance areas. ``organizations``: organizations engaged. ``fairness``: the
    smallest coverage ratio (served / servable needs) over the regions of ``level`` (of ``tier``
    when given), to maximize. ``weight`` is used when goals are combined as a weighted sum; the
    score counts at weight 1 there when the goals do not list it.
    """

    kind: GoalKind
    level: Level = Level.CITY
    tier: Priority | None = None
    weight: Penalty = 1.0
