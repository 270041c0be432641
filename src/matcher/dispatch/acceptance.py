"""How likely an organization is to accept an offer (接单): Beta posteriors over its answers.

The model
---------
Answers are Bernoulli draws: accept with probability ``p``. Each probability gets a Beta prior and
is updated by counting accepts ``a`` and declines ``d``: ``Beta(alpha + a, beta + d)``, whose mean
``(alpha + a) / (alpha + beta + a + d)`` is the estimate the plan uses.

Two levels share what they learn:

1. **Category.** Every category starts from ``Beta(k m, k (1 - m))`` (``m = prior.mean``, ``k =
   prior.strength`` pseudo-answers) and counts every organization's answers in it.
2. **Organization and category.** Its prior is centered on what is known before it answers: the
   organization's own stated willingness (``Organization.acceptance[category]``, e.g. from the
   August survey) when the problem gives one, else the category's posterior mean over the *other*
   organizations' answers (so that its own answers are not counted twice); it weighs
   ``prior.org_strength`` pseudo-answers. Its own accepts and declines in the category update it.

So an organization that never answered in a category is expected to behave like the others in it;
one that declined both of its two offers drops from 0.75 to ``(3 + 0) / (4 + 2) = 0.5`` with the
defaults, and keeps dropping as declines accumulate, while a single decline by an organization
with a long record of accepts barely moves it. ``AcceptanceModel.organization`` gives an
organization's overall rate across categories the same way (prior: the pooled rate of all answers).

Examples
--------
>>> import matcher
>>> from matcher.dispatch.acceptance import AcceptanceModel, AcceptancePrior
>>> problem = matcher.synth.shanxi(seed=0, n_needs=20, n_orgs=5)
>>> org = problem.organizations[0].id
>>> model = AcceptanceModel(problem, {(org, matcher.Category.INDUSTRY): (0, 2)})
>>> round(model.category(matcher.Category.INDUSTRY).mean, 4)   # (3 + 0) / (4 + 2)
0.5
>>> round(model.probability(org, matcher.Category.INDUSTRY), 4)   # others: 0.75; own: 0 of 2
0.5
>>> round(model.probability(org, matcher.Category.TALENT), 4)   # nothing known: the prior
0.75
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

from ..models import Category, Problem
from ..models.base import Id, Model, Unit
from ..models.vocab import CATEGORY_CODES

__all__ = ["AcceptanceCount", "AcceptanceModel", "AcceptancePrior", "Beta", "Counts"]

FloatArray = npt.NDArray[np.float64]

#: Accepts and declines per (organization id, category).
Counts = Mapping[tuple[str, Category], tuple[int, int]]

_CATEGORIES = list(Category)


class AcceptancePrior(Model):
    """The prior of the acceptance model (see the module notes).

    Parameters
    ----------
    mean
        Acceptance rate of a category before any answer.
    strength
        Weight of that prior, in answers.
    org_strength
        Weight, in answers, of an organization's prior in a category (centered on its stated
        willingness or on the category's rate).
    """

    mean: Unit = 0.75
    strength: Annotated[float, Field(gt=0.0)] = 4.0
    org_strength: Annotated[float, Field(gt=0.0)] = 4.0


class AcceptanceCount(Model):
    """Accepts and declines of one organization in one category (carried from earlier years)."""

    org_id: Id
    category: Category
    accepted: Annotated[int, Field(ge=0)] = 0
    declined: Annotated[int, Field(ge=0)] = 0


@dataclass(frozen=True)
class Beta:
    """A Beta distribution over an acceptance rate.

    Examples
    --------
    >>> b = Beta(3.0, 1.0)
    >>> b.mean, round(b.sd, 4), b.answers
    (0.75, 0.1936, 4.0)
    """

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """The expected rate."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def sd(self) -> float:
        """Standard deviation of the rate."""
        total = self.alpha + self.beta
        return float(np.sqrt(self.alpha * self.beta / (total * total * (total + 1.0))))

    @property
    def answers(self) -> float:
        """Weight of the distribution, in answers (prior pseudo-answers included)."""
        return self.alpha + self.beta

    def update(self, accepted: int, declined: int) -> Beta:
        """The posterior after ``accepted`` accepts and ``declined`` declines."""
        return Beta(self.alpha + accepted, self.beta + declined)


class AcceptanceModel:
    """Beta posteriors of acceptance per category, organization, and organization and category.

    Parameters
    ----------
    problem
        The problem whose organizations answer (their ``acceptance`` is their stated prior).
    counts
        Accepts and declines per (organization id, category); organizations the problem does not
        have are ignored.
    prior
        The model's prior.
    """

    def __init__(
        self, problem: Problem, counts: Counts, prior: AcceptancePrior | None = None
    ) -> None:
        self.problem = problem
        self.prior = prior or AcceptancePrior()
        index = problem.index
        n_orgs, n_cat = index.n_orgs, len(_CATEGORIES)
        accepted = np.zeros((n_orgs, n_cat), np.float64)
        declined = np.zeros((n_orgs, n_cat), np.float64)
        for (org_id, category), (a, d) in counts.items():
            row = index.org_position.get(org_id)
            if row is not None:
                accepted[row, CATEGORY_CODES[Category(category)]] += a
                declined[row, CATEGORY_CODES[Category(category)]] += d
        self.accepted, self.declined = accepted, declined
        k, m = self.prior.strength, self.prior.mean
        self._category = [
            Beta(k * m + float(accepted[:, c].sum()), k * (1 - m) + float(declined[:, c].sum()))
            for c in range(n_cat)
        ]
        stated = np.full((n_orgs, n_cat), np.nan)
        for row, org in enumerate(problem.organizations):
            for category, value in org.acceptance.items():
                stated[row, CATEGORY_CODES[category]] = value
        # The category's rate over the other organizations' answers (leave one out).
        others_a = accepted.sum(axis=0)[None, :] - accepted
        others_d = declined.sum(axis=0)[None, :] - declined
        pooled = (k * m + others_a) / (k + others_a + others_d)
        center = np.where(np.isnan(stated), pooled, stated)
        ko = self.prior.org_strength
        self._alpha = ko * center + accepted
        self._beta = ko * (1.0 - center) + declined

    def category(self, category: Category | str) -> Beta:
        """Posterior of a category's acceptance rate (all organizations' answers in it)."""
        return self._category[CATEGORY_CODES[Category(category)]]

    def pair(self, org_id: str, category: Category | str) -> Beta:
        """Posterior of one organization's acceptance rate in one category."""
        row = self.problem.index.org_position[org_id]
        c = CATEGORY_CODES[Category(category)]
        return Beta(float(self._alpha[row, c]), float(self._beta[row, c]))

    def probability(self, org_id: str, category: Category | str) -> float:
        """Expected probability that the organization accepts an offer in the category."""
        return self.pair(org_id, category).mean

    def organization(self, org_id: str) -> Beta:
        """Posterior of an organization's acceptance rate over all categories.

        Its prior is the pooled rate of every answer (``prior.mean`` before any), weighted
        ``prior.org_strength`` answers.
        """
        row = self.problem.index.org_position[org_id]
        k, m = self.prior.strength, self.prior.mean
        pooled = Beta(k * m + float(self.accepted.sum()), k * (1 - m) + float(self.declined.sum()))
        ko = self.prior.org_strength
        return Beta(
            ko * pooled.mean + float(self.accepted[row].sum()),
            ko * (1 - pooled.mean) + float(self.declined[row].sum()),
        )

    def matrix(self) -> FloatArray:
        """Expected acceptance probability per (organization, category), in problem order."""
        return np.asarray(self._alpha / (self._alpha + self._beta), np.float64)

    def as_acceptance(self) -> list[dict[Category, float]]:
        """Each organization's ``acceptance`` field (every category), as the posterior means."""
        probabilities = self.matrix()
        return [
            {category: float(probabilities[row, c]) for c, category in enumerate(_CATEGORIES)}
            for row in range(probabilities.shape[0])
        ]

    def counts(self) -> list[AcceptanceCount]:
        """The answers behind the model, one record per (organization, category) with any."""
        index = self.problem.index
        rows, cols = np.nonzero((self.accepted > 0) | (self.declined > 0))
        return [
            AcceptanceCount(
                org_id=index.org_ids[r],
                category=_CATEGORIES[c],
                accepted=int(self.accepted[r, c]),
                declined=int(self.declined[r, c]),
            )
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
        ]


def merge_counts(*groups: Iterable[AcceptanceCount]) -> dict[tuple[str, Category], tuple[int, int]]:
    """Add up answer counts from several sources (earlier years, this year).

    Examples
    --------
    >>> from matcher import Category
    >>> a = AcceptanceCount(org_id="O1", category="industry", accepted=2, declined=1)
    >>> b = AcceptanceCount(org_id="O1", category="industry", accepted=1)
    >>> merge_counts([a], [b])
    {('O1', <Category.INDUSTRY: 'industry'>): (3, 1)}
    """
    total: dict[tuple[str, Category], tuple[int, int]] = {}
    for group in groups:
        for count in group:
            key = (count.org_id, count.category)
            a, d = total.get(key, (0, 0))
            total[key] = (a + count.accepted, d + count.declined)
    return total
