"""Needs: what a village or county orders (点单)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import MAX_COUNT, Id, Model
from .limits import Count, Money
from .vocab import Category, VulnerableGroup

__all__ = ["Continuation", "Need"]


class Continuation(Model):
    """The project a need follows up (接续实施): who ran it and how its beneficiaries rated it."""

    org_id: Id
    stars: Annotated[int, Field(ge=1, le=5)]


class Need(Model):
    """One need posted by a region.

    Parameters
    ----------
    id
        Unique id.
    region
        Id of the region that posts it (a county, township or village, usually).
    category
        One of the six :class:`~matcher.Category` values (English id or Chinese name).
    title
        Short description.
    beneficiaries
        How many people it reaches.
    vulnerable_groups
        The vulnerable groups it serves (特困供养人员, 留守老人, …).
    cost
        Estimated cost (yuan); used by budget rules.
    continues
        The earlier project this need follows up, if any: its organization gets the ``continuity``
        bonus when it was rated 4–5 stars, the ``discontinuity`` malus when rated 1–2.
    partners
        How many organizations it needs (牵手合作): all of them or none.
    lead_primary
        A partnership must include an organization of a primary type for the category.
    aid
        ``direct_aid`` (输血) or ``capacity_building`` (造血), for the aid-mix rule.
    merit
        Its merit from the expert review (0-100, :mod:`matcher.review`); the ``merit`` score
        component is ``merit / 100``.

    Examples
    --------
    >>> Need(id="n1", region="140121", category="扶弱济困", beneficiaries=40,
    ...      vulnerable_groups=["留守儿童"]).vulnerable_groups
    (<VulnerableGroup.LEFT_BEHIND_CHILDREN: 'left_behind_children'>,)
    """

    id: Id
    region: Id
    category: Category
    title: str = ""
    beneficiaries: Count = 0
    vulnerable_groups: tuple[VulnerableGroup, ...] = ()
    cost: Money = 0.0
    continues: Continuation | None = None
    partners: Annotated[int, Field(ge=1, le=MAX_COUNT)] = 1
    lead_primary: bool = False
    aid: Literal["direct_aid", "capacity_building"] = "direct_aid"
    merit: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
