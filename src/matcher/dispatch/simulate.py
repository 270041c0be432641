"""A program year, simulated: organizations' answers, beneficiaries' ratings, next year's needs.

The optimizer never sees what is drawn here: it learns acceptance only from the answers, and
quality only from the ratings. Everything is seeded, so the same arguments give the same year.

The behaviour model
-------------------
- **Answers (接单).** Each organization accepts an offer in a category with a true probability
  drawn around 0.75: on the logit scale, an organization effect (some are generally reluctant), a
  capability effect (weak capability in the category, lower) and a little noise per category.
  An offer far from the organization's home is declined more: the pair's probability is the
  organization's times ``0.55 + 0.45 * proximity`` (the ``proximity`` score component, 1 next
  door, ``exp(-km / 100)`` farther). A declined offer gives one of a few plausible reasons.
- **Ratings (评单).** Each organization has a latent quality (Beta(5, 2)). A finished project's
  fit is ``0.45 quality + 0.35 capability + 0.1 type_fit + 0.1 proximity``; noise is added and the
  result is cut into 1..5 stars, so a better fit gets better stars (about 60% 4-5 stars, 10% 1-2).
- **Next year.** As many needs, posted by this year's regions (same villages and counties), in
  mostly the same categories; a share of this year's rated projects come back as follow-up needs
  (接续实施) that :meth:`~matcher.dispatch.Dispatch.next_year` links to the organization and its
  stars. The organizations stay; their ratings grow by this year's.

:func:`simulate_program` runs whole years: rounds until every need is placed or provably
unplaceable (:attr:`~matcher.dispatch.Dispatch.settled`), then every accepted project runs and is
rated, then next year's dispatch starts with continuity and the accumulated answers.

Examples
--------
>>> import matcher
>>> from matcher.dispatch import simulate
>>> problem = matcher.synth.shanxi(seed=1, n_needs=80, n_orgs=20)
>>> reports, _ = simulate.simulate_program(problem, years=2, seed=3)
>>> [r.year for r in reports], all(r.settled for r in reports)
([1, 2], True)
>>> 0.0 < reports[0].acceptance_rate < 1.0
True
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import OptionError
from ..models import Category, Need, Priority, Problem
from ..models.vocab import CATEGORY_CODES
from . import Dispatch, OfferStatus
from .acceptance import AcceptancePrior

__all__ = [
    "Behaviour",
    "YearReport",
    "next_year_problem",
    "simulate_answers",
    "simulate_behaviour",
    "simulate_program",
    "simulate_ratings",
    "simulate_year",
]

FloatArray = npt.NDArray[np.float64]

_CATEGORIES = list(Category)
_KEY = list(Priority).index(Priority.KEY)
#: Why a simulated organization declines, with how often.
_REASONS = (
    ("本季度人手不足 (no staff this season)", 0.4),
    ("距离太远 (too far)", 0.25),
    ("不在本组织重点方向 (outside our focus)", 0.2),
    ("资金未落实 (funding not secured)", 0.15),
)
#: Star thresholds on the noisy fit: below the first is 1 star, ... above the last 5.
_STAR_CUTS = np.array([0.36, 0.46, 0.56, 0.70])


@dataclass(frozen=True, eq=False)
class Behaviour:
    """How a synthetic province's organizations answer and how their projects are rated.

    Attributes
    ----------
    org_ids
        Organizations, in the order of the rows below.
    acceptance
        True probability of accepting an offer, per (organization, category).
    quality
        Latent quality of each organization's work, in [0, 1].
    """

    org_ids: tuple[str, ...]
    acceptance: FloatArray
    quality: FloatArray

    def probability(self, org_id: str, category: Category | str, proximity: float = 1.0) -> float:
        """True probability that ``org_id`` accepts an offer in ``category`` at that proximity."""
        row = self.org_ids.index(org_id)
        base = float(self.acceptance[row, CATEGORY_CODES[Category(category)]])
        return base * (0.55 + 0.45 * proximity)

    def stated(self, problem: Problem, noise: float, seed: int = 0) -> Problem:
        """``problem`` whose organizations state their willingness (``acceptance``) in a survey:
        the true probability plus Gaussian noise of sd ``noise``, for the categories they serve."""
        rng = np.random.default_rng(seed)
        organizations = []
        for org in problem.organizations:
            row = self.org_ids.index(org.id)
            said = {
                c: float(
                    np.clip(self.acceptance[row, CATEGORY_CODES[c]] + rng.normal(0, noise), 0, 1)
                )
                for c in org.capabilities
            }
            organizations.append(org.model_copy(update={"acceptance": said}))
        return problem.replace(organizations=organizations)


def simulate_behaviour(problem: Problem, seed: int = 0, *, mean: float = 0.75) -> Behaviour:
    """Draw each organization's true acceptance probabilities and quality (see the module notes).

    Parameters
    ----------
    problem
        The province.
    seed
        Seed of the draws.
    mean
        Typical acceptance probability (the center of the logit-scale draws).

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=50, n_orgs=30)
    >>> behaviour = simulate_behaviour(problem)
    >>> capable = problem.index.org_capability > 0
    >>> behaviour.acceptance.shape, round(float(behaviour.acceptance[capable].mean()), 2)
    ((30, 6), 0.72)
    """
    if not 0.0 < mean < 1.0:
        raise OptionError.of("error.mean_range", value=mean)
    rng = np.random.default_rng(seed)
    index = problem.index
    n_orgs = index.n_orgs
    org_effect = rng.normal(0.0, 0.8, n_orgs)
    noise = rng.normal(0.0, 0.35, (n_orgs, len(_CATEGORIES)))
    capability = index.org_capability
    logit = np.log(mean / (1 - mean)) + org_effect[:, None] + 2.0 * (capability - 0.6) + noise
    acceptance = 1.0 / (1.0 + np.exp(-logit))
    quality = rng.beta(5.0, 2.0, n_orgs)
    return Behaviour(tuple(index.org_ids), np.asarray(acceptance, np.float64), quality)


def simulate_answers(
    dispatch: Dispatch, behaviour: Behaviour, rng: np.random.Generator
) -> tuple[int, int]:
    """Answer every open offer of ``dispatch``, in the order they were made.

    Returns
    -------
    (accepted, declined)
        How many offers were accepted and declined.
    """
    accepted = declined = 0
    reasons = [reason for reason, _ in _REASONS]
    weights = np.array([weight for _, weight in _REASONS])
    for offer in dispatch.state.pending:
        proximity = dispatch.components(offer.need_id, offer.org_id)["proximity"]
        p = behaviour.probability(offer.org_id, offer.category, proximity)
        if rng.random() < p:
            dispatch.accept(offer.need_id, offer.org_id)
            accepted += 1
        else:
            reason = reasons[int(rng.choice(len(reasons), p=weights))]
            dispatch.decline(offer.need_id, offer.org_id, reason)
            declined += 1
    return accepted, declined


def simulate_ratings(
    dispatch: Dispatch, behaviour: Behaviour, rng: np.random.Generator
) -> dict[int, int]:
    """Run every accepted project (start, complete) and rate it; how many got each number of stars."""
    stars: Counter[int] = Counter()
    for offer in dispatch.state.offers_with(OfferStatus.ACCEPTED):
        values = dispatch.components(offer.need_id, offer.org_id)
        quality = float(behaviour.quality[behaviour.org_ids.index(offer.org_id)])
        fit = (
            0.45 * quality
            + 0.35 * values["capability"]
            + 0.1 * values["type_fit"]
            + 0.1 * values["proximity"]
        )
        value = int(np.searchsorted(_STAR_CUTS, fit + rng.normal(0.0, 0.12))) + 1
        dispatch.start(offer.need_id)
        dispatch.complete(offer.need_id)
        dispatch.rate(offer.need_id, value)
        stars[value] += 1
    return {s: stars.get(s, 0) for s in range(5, 0, -1)}


@dataclass(frozen=True)
class YearReport:
    """What a simulated program year did.

    Attributes
    ----------
    rounds
        Proposals that made offers (the first dispatch included).
    offers, accepted, declined, withdrawn
        Offers made, and how they ended.
    acceptance_rate
        Accepted over answered offers.
    expected_first, accepted_first
        The first round's expected acceptances and its actual ones.
    needs, placed, coverage
        Needs, needs with an accepted offer, and the share.
    key_needs, key_placed, key_coverage
        The same for needs in key assistance areas (重点帮扶地区).
    accepted_score
        Total score of the accepted offers (the year's matching quality).
    unplaceable
        Needs left unplaced, by reason (``no_candidate``, ``declined``, ``capacity``, ...).
    stars
        Ratings received, by number of stars (5 to 1).
    settled
        Whether the rounds ended with every need placed or provably unplaceable.
    """

    year: int
    acceptance_aware: bool
    rounds: int
    offers: int
    accepted: int
    declined: int
    withdrawn: int
    acceptance_rate: float
    expected_first: float
    accepted_first: int
    needs: int
    placed: int
    coverage: float
    key_needs: int
    key_placed: int
    key_coverage: float
    accepted_score: float
    unplaceable: dict[str, int]
    stars: dict[int, int]
    settled: bool
    seconds: float = field(compare=False)

    @property
    def mean_stars(self) -> float:
        """Average rating."""
        total = sum(self.stars.values())
        return sum(s * k for s, k in self.stars.items()) / total if total else 0.0

    def row(self) -> dict[str, Any]:
        """The report as one flat record (for a table)."""
        return {
            "year": self.year,
            "acceptance_aware": self.acceptance_aware,
            "rounds": self.rounds,
            "offers": self.offers,
            "accepted": self.accepted,
            "declined": self.declined,
            "acceptance_rate": round(self.acceptance_rate, 4),
            "expected_first": round(self.expected_first, 1),
            "accepted_first": self.accepted_first,
            "coverage": round(self.coverage, 4),
            "key_coverage": round(self.key_coverage, 4),
            "accepted_score": round(self.accepted_score, 2),
            "mean_stars": round(self.mean_stars, 2),
        }


def simulate_year(
    dispatch: Dispatch,
    behaviour: Behaviour,
    *,
    seed: int = 0,
    year: int = 1,
    max_rounds: int = 100,
    rate: bool = True,
) -> YearReport:
    """Run one program year on ``dispatch``: rounds of offers and answers, then projects and ratings.

    Rounds go on until :attr:`Dispatch.settled` (every need placed or provably unplaceable).

    Raises
    ------
    OptionError
        When ``max_rounds`` rounds pass without settling.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    rounds = 0
    expected_first = 0.0
    accepted_first = 0
    while True:
        proposal = dispatch.propose()
        if not dispatch.state.pending:
            break  # nothing left to answer: settled (the report says whether it is)
        rounds += 1
        if rounds > max_rounds:
            raise OptionError.of("error.year_unsettled", rounds=max_rounds)
        accepted, _ = simulate_answers(dispatch, behaviour, rng)
        if rounds == 1:
            expected_first, accepted_first = proposal.expected_acceptances, accepted
    stars = simulate_ratings(dispatch, behaviour, rng) if rate else {s: 0 for s in range(5, 0, -1)}
    return _report(dispatch, year, rounds, expected_first, accepted_first, stars, started)


def _report(
    dispatch: Dispatch,
    year: int,
    rounds: int,
    expected_first: float,
    accepted_first: int,
    stars: dict[int, int],
    started: float,
) -> YearReport:
    state = dispatch.state
    problem = dispatch.problem
    index = problem.index
    counts = Counter(o.status for o in state.offers)
    accepted = sum(counts[s] for s in OfferStatus if s not in _OPEN_OR_LOST)
    declined = counts[OfferStatus.DECLINED]
    placed_ids = {o.need_id for o in state.committed}
    key = index.hierarchy.tier[index.need_region] == _KEY
    key_ids = {index.need_ids[i] for i in np.flatnonzero(key).tolist()}
    unplaceable = Counter(u.reason for u in dispatch.unplaceable().values())
    return YearReport(
        year=year,
        acceptance_aware=bool(problem.policy.expected_value),
        rounds=rounds,
        offers=len(state.offers),
        accepted=accepted,
        declined=declined,
        withdrawn=counts[OfferStatus.WITHDRAWN],
        acceptance_rate=accepted / max(1, accepted + declined),
        expected_first=expected_first,
        accepted_first=accepted_first,
        needs=index.n_needs,
        placed=len(placed_ids),
        coverage=len(placed_ids) / max(1, index.n_needs),
        key_needs=len(key_ids),
        key_placed=len(placed_ids & key_ids),
        key_coverage=len(placed_ids & key_ids) / max(1, len(key_ids)),
        accepted_score=float(
            sum(_raw_score(dispatch, o.need_id, o.org_id) for o in state.committed)
        ),
        unplaceable=dict(sorted(unplaceable.items())),
        stars=stars,
        settled=dispatch.settled,
        seconds=time.perf_counter() - started,
    )


_OPEN_OR_LOST = frozenset({OfferStatus.PROPOSED, OfferStatus.DECLINED, OfferStatus.WITHDRAWN})


def _raw_score(dispatch: Dispatch, need_id: str, org_id: str) -> float:
    """The pair's score without acceptance weighting or incumbency: its matching quality."""
    values = dispatch.components(need_id, org_id)
    weights = dispatch.problem.policy.weights
    return float(
        sum(float(getattr(weights, name)) * v for name, v in values.items() if name != "incumbent")
    )


def next_year_problem(
    problem: Problem,
    dispatch: Dispatch,
    *,
    seed: int = 0,
    year: int = 2,
    follow_up_share: float = 0.35,
) -> tuple[Problem, dict[str, str]]:
    """Next year's needs from the same regions, some following up this year's rated projects.

    Parameters
    ----------
    problem
        This year's problem (regions, organizations, needs).
    dispatch
        This year's dispatch, its projects rated.
    seed, year
        Seed of the draws; the year, which prefixes the new ids (``Y2-N0001``).
    follow_up_share
        Share of this year's rated projects that post a follow-up need.

    Returns
    -------
    (problem, follow_ups)
        Next year's problem (same regions, organizations and policy, new needs) and the follow-up
        map (new need id -> this year's need id) for :meth:`Dispatch.next_year`.
    """
    if not 0.0 <= follow_up_share <= 1.0:
        raise OptionError.of("error.follow_up_share", value=follow_up_share)
    rng = np.random.default_rng(seed)
    needs = problem.needs
    rated = [o for o in dispatch.state.offers if o.status is OfferStatus.RATED]
    chosen = [o for o in rated if rng.random() < follow_up_share]
    width = max(4, len(str(len(needs))))
    count = len(chosen) + max(0, len(needs) - len(chosen))
    new_ids = [f"Y{year}-N{number:0{width}d}" for number in range(1, count + 1)]
    by_id = {n.id: n for n in needs}
    records: list[dict[str, Any]] = []
    follow_ups: dict[str, str] = {}
    for new_id, offer in zip(new_ids[: len(chosen)], chosen, strict=True):
        earlier = by_id[offer.need_id]
        records.append(
            earlier.model_dump(exclude={"id", "continues", "title"})
            | {"id": new_id, "title": f"{earlier.title}（接续）" if earlier.title else "接续项目"}
        )
        follow_ups[new_id] = earlier.id
    records += [_drawn_need(rng, needs, new_id) for new_id in new_ids[len(chosen) :]]
    return problem.replace(needs=records), follow_ups


def _drawn_need(rng: np.random.Generator, needs: Sequence[Need], new_id: str) -> dict[str, Any]:
    """A new need drawn after one of ``needs``: its region and cost, most often its category,
    about as many beneficiaries."""
    template = needs[int(rng.integers(len(needs)))]
    category = (
        template.category
        if rng.random() < 0.7
        else _CATEGORIES[int(rng.integers(len(_CATEGORIES)))]
    )
    beneficiaries = int(
        np.clip(round(template.beneficiaries * np.exp(rng.normal(0, 0.3))), 10, 20_000)
    )
    return {
        "id": new_id,
        "region": template.region,
        "category": category,
        "title": f"{category.label('zh')}项目 {new_id}",
        "beneficiaries": beneficiaries,
        "vulnerable_groups": list(template.vulnerable_groups)
        if category is Category.VULNERABLE or rng.random() < 0.05
        else [],
        "cost": template.cost,
    }


def simulate_program(
    problem: Problem,
    *,
    years: int = 2,
    acceptance_aware: bool = True,
    disruption_cost: float = 1.0,
    seed: int = 0,
    behaviour: Behaviour | None = None,
    prior: AcceptancePrior | None = None,
    follow_up_share: float = 0.35,
) -> tuple[list[YearReport], list[Dispatch]]:
    """Simulate ``years`` program years end to end on ``problem``.

    Parameters
    ----------
    problem
        The first year's province.
    years
        How many years.
    acceptance_aware
        Maximize expected accepted score (``policy.expected_value``), learning acceptance from the
        answers; otherwise maximize the raw score (the answers are still learned and reported).
    disruption_cost
        ``policy.weights.incumbent``: what moving an open offer must gain.
    seed
        Seed of the behaviour (unless given), the answers, the ratings and next years' needs.
    behaviour
        The organizations' behaviour; drawn with :func:`simulate_behaviour` when not given.
    prior
        Prior of the acceptance model.
    follow_up_share
        Share of rated projects that post a follow-up need the next year.

    Returns
    -------
    (reports, dispatches)
        One report and one dispatch per year.
    """
    if years < 1:
        raise OptionError.of("error.years", value=years)
    behaviour = behaviour or simulate_behaviour(problem, seed)
    dispatch = Dispatch(
        problem, disruption_cost=disruption_cost, acceptance_aware=acceptance_aware, prior=prior
    )
    reports: list[YearReport] = []
    dispatches: list[Dispatch] = []
    for year in range(1, years + 1):
        if year > 1:
            following, follow_ups = next_year_problem(
                dispatch.problem,
                dispatch,
                seed=seed + 1000 * year,
                year=year,
                follow_up_share=follow_up_share,
            )
            dispatch = dispatch.next_year(following, follow_ups)
        reports.append(simulate_year(dispatch, behaviour, seed=seed + year, year=year))
        dispatches.append(dispatch)
    return reports, dispatches
