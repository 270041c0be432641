"""Organizations: who can help, with what, where, and how much."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Id, Model, Unit
from .limits import Count, Money
from .vocab import Category, Credit, OrgType, Scope

__all__ = ["Organization", "Stars"]

#: A satisfaction rating, 5 (非常满意) down to 1 (非常不满意).
Stars = Annotated[int, Field(ge=1, le=5)]


class Organization(Model):
    """A social organization (社会组织) that may take needs.

    Parameters
    ----------
    id, name
        Unique id and display name.
    org_type
        One of :class:`~matcher.OrgType`; decides the primary-type fit for each category.
    scope
        Registration level (``nation``, ``province``, ``city``, ``county``): it works anywhere within
        the region of that level that contains its ``home_region``.
    home_region
        Where it is registered.
    service_regions
        When given, it works only inside these regions (and still inside its scope).
    capabilities
        Strength per category in [0, 1]; a category it lacks (or rates 0) it cannot serve.
    max_projects
        How many needs it can take this round.
    credit
        ``normal``, ``abnormal`` (活动异常名录) or ``blacklisted`` (严重违法失信名单).
    ratings
        Past satisfaction ratings, 1 to 5 stars; they make up its reputation.
    acceptance
        Probability that it accepts an offer (接单), per category; missing categories count 1.
        Used when the policy maximizes expected accepted value (``policy.expected_value``).
    budget
        Most it can spend on the needs it takes (their ``cost``), when the money rule asks.
    inspection_passed
        Whether it passed the annual inspection (年检).
    grade
        Evaluation grade, 1 (1A) to 5 (5A); 0 when not evaluated.
    declines_regions, declines_categories
        Where and what it is not willing to take (不搞摊派): never assigned there.
    prefers_regions, prefers_categories
        Where and what it would like to take: raises the ``preference`` score component.

    Examples
    --------
    >>> org = Organization(id="o1", name="省农学会", org_type="农业农村类", scope="province",
    ...                    home_region="140000", capabilities={"产业帮扶": 0.9}, max_projects=3)
    >>> org.capabilities
    {<Category.INDUSTRY: 'industry'>: 0.9}
    """

    id: Id
    name: str = ""
    org_type: OrgType
    scope: Scope
    home_region: Id
    service_regions: tuple[Id, ...] | None = None
    capabilities: dict[Category, Unit]
    max_projects: Count = 1
    credit: Credit = Credit.NORMAL
    ratings: tuple[Stars, ...] = ()
    acceptance: dict[Category, Unit] = Field(default_factory=dict)
    budget: Money | None = None
    inspection_passed: bool = True
    grade: Annotated[int, Field(ge=0, le=5)] = 0
    declines_regions: tuple[Id, ...] = ()
    declines_categories: tuple[Category, ...] = ()
    prefers_regions: tuple[Id, ...] = ()
    prefers_categories: tuple[Category, ...] = ()
