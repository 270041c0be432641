"""Ratings (评单): the five-level satisfaction scale, reputation, and continuity (接续实施).

The scale is the one Chinese public services use, 5 to 1 stars:

===== ============ ===================
stars label        English
===== ============ ===================
5     非常满意      very satisfied
4     满意          satisfied
3     基本满意      basically satisfied
2     不满意        dissatisfied
1     非常不满意    very dissatisfied
===== ============ ===================

**Reputation** is the Bayesian average of an organization's ratings, shrunk toward a prior of
``policy.reputation_prior_mean`` stars worth ``policy.reputation_prior_weight`` ratings, mapped
from 1..5 stars to the ``reputation`` score component in 0..1. Two 5-star ratings do not beat forty
4-star ones: with the defaults (3.5 stars, weight 5), ``(5 * 3.5 + 2 * 5) / 7 = 3.93`` stars against
``(5 * 3.5 + 40 * 4) / 45 = 3.94``. A year's ratings are added to the organizations' ``ratings`` for
the next year (:meth:`Dispatch.next_year`), so they feed the next year's scores.

**Continuity**: a need that follows up a project (``Need.continues``) gives the organization that
ran it the ``continuity`` component (+1, weight ``policy.weights.continuity``, default 2) when its
beneficiaries rated it 4-5 stars, and the ``discontinuity`` component (-1, weight
``policy.weights.discontinuity``, default 2) when they rated it 1-2; 3 stars gives neither. Both
weights are set in the policy like every other: ``problem.with_policy(weights={"continuity": 3})``.

Examples
--------
>>> from matcher.dispatch import ratings
>>> ratings.stars("非常满意"), ratings.stars("dissatisfied"), ratings.stars(3)
(5, 2, 3)
>>> ratings.label(4), ratings.label(4, "en")
('满意', 'satisfied')
>>> round(ratings.reputation([5, 5]), 3), round(ratings.reputation([4] * 40), 3)
(3.929, 3.944)
>>> ratings.continuation(5), ratings.continuation(3), ratings.continuation(1)
('continuity', None, 'discontinuity')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ..errors import OptionError, echo
from ..models import catalog
from ..models.vocab import Language

__all__ = ["BAD", "GOOD", "RATING_SCALE", "continuation", "label", "reputation", "stars"]

#: Stars -> (Chinese label, English label).
RATING_SCALE: dict[int, tuple[str, str]] = {
    int(stars): labels for stars, labels in catalog.section("rating").items()
}

#: Ratings that earn the continuity bonus, and those that earn the malus.
GOOD: frozenset[int] = frozenset({4, 5})
BAD: frozenset[int] = frozenset({1, 2})

_BY_LABEL = {
    text.casefold(): value for value, labels in RATING_SCALE.items() for text in labels
} | {str(value): value for value in RATING_SCALE}


def stars(value: int | str) -> int:
    """Stars (1-5) from a number or a label of the scale, in Chinese or English.

    Raises
    ------
    OptionError
        When the value is not on the scale.
    """
    if isinstance(value, bool):
        raise OptionError.of("error.not_rating", value=echo(value))
    if isinstance(value, int):
        if value in RATING_SCALE:
            return value
    elif isinstance(value, str) and value.strip().casefold() in _BY_LABEL:
        return _BY_LABEL[value.strip().casefold()]
    labels = ", ".join(f"{v} {zh}" for v, (zh, _) in RATING_SCALE.items())
    raise OptionError.of("error.not_rating_scale", value=echo(value), labels=labels)


def label(value: int, language: Language = "zh") -> str:
    """The scale's label for a number of stars."""
    zh, en = RATING_SCALE[stars(value)]
    return zh if language == "zh" else en


def reputation(ratings: Iterable[int], prior_mean: float = 3.5, prior_weight: float = 5.0) -> float:
    """Bayesian average of ratings in stars, shrunk toward ``prior_mean`` (worth ``prior_weight``).

    The ``reputation`` score component is ``(reputation(...) - 1) / 4``; the prior comes from
    ``policy.reputation_prior_mean`` and ``policy.reputation_prior_weight``.
    """
    values = list(ratings)
    weight = prior_weight + len(values)
    if weight <= 0:
        return prior_mean
    return (prior_weight * prior_mean + sum(values)) / weight


def continuation(value: int) -> Literal["continuity", "discontinuity"] | None:
    """The score component a follow-up need gives the organization rated ``value`` stars."""
    rated = stars(value)
    if rated in GOOD:
        return "continuity"
    if rated in BAD:
        return "discontinuity"
    return None
