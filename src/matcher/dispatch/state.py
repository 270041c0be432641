"""The state of a dispatch: a fold over its events, checked one event at a time.

Offers move through ``proposed → accepted | declined | withdrawn``, then ``accepted → in_service →
completed → rated``. A need's status mirrors the platforms' (open, dispatched, accepted, in
service, completed, rated, cancelled) and follows from its live offer:

============== =====================================================================
need status    when
============== =====================================================================
``open``       no live offer (never offered, or every offer declined or withdrawn)
``dispatched`` an offer waits for the organization's answer (已派单)
``accepted``   the organization accepted (已接单)
``in_service`` the project runs (服务中)
``completed``  the project is finished (已完成)
``rated``      its beneficiaries rated it (已评价)
``cancelled``  the need was cancelled (已取消)
============== =====================================================================

An event that the state does not allow raises a :class:`~matcher.dispatch.TransitionError` before
anything changes: :func:`fold` and :class:`Ledger` check each event in full, then apply it.

Examples
--------
>>> import matcher
>>> from matcher.dispatch import events as ev, fold
>>> problem = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
>>> pair = matcher.candidates(problem).iloc[0]
>>> state = fold(problem, [
...     ev.Proposed(seq=0, round=0, need_id=pair.need_id, org_id=pair.org_id, score=1.0,
...                 probability=0.8),
...     ev.Accepted(seq=1, need_id=pair.need_id, org_id=pair.org_id)])
>>> state.need(pair.need_id).status.value, state.offers[0].status.value
('accepted', 'accepted')
>>> fold(problem, [ev.Accepted(seq=0, need_id="N01", org_id="O01")])
Traceback (most recent call last):
...
matcher.dispatch.errors.TransitionError: cannot accept (N01, O01): no offer of N01 to O01
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from ..errors import echo
from ..models import Category, Problem
from ..pairs.table import build_candidates
from .errors import DuplicateEventError, TransitionError, UnknownIdError
from .events import (
    Accepted,
    Cancelled,
    Completed,
    Declined,
    Event,
    Proposed,
    Rated,
    Round,
    Started,
    Withdrawn,
)

__all__ = [
    "DispatchState",
    "Ledger",
    "NeedState",
    "NeedStatus",
    "Offer",
    "OfferStatus",
    "candidate_keys",
    "fold",
]

IntArray = npt.NDArray[np.int64]


class OfferStatus(StrEnum):
    """Where an offer stands."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    RATED = "rated"


class NeedStatus(StrEnum):
    """Where a need stands (see the module notes)."""

    OPEN = "open"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    RATED = "rated"
    CANCELLED = "cancelled"


#: Offers that hold their need and a slot of their organization.
LIVE: frozenset[OfferStatus] = frozenset(
    {
        OfferStatus.PROPOSED,
        OfferStatus.ACCEPTED,
        OfferStatus.IN_SERVICE,
        OfferStatus.COMPLETED,
        OfferStatus.RATED,
    }
)
#: Offers the organization agreed to: every later plan keeps them (``Problem.pinned``).
COMMITTED: frozenset[OfferStatus] = LIVE - {OfferStatus.PROPOSED}

_NEED_STATUS = {
    OfferStatus.PROPOSED: NeedStatus.DISPATCHED,
    OfferStatus.ACCEPTED: NeedStatus.ACCEPTED,
    OfferStatus.IN_SERVICE: NeedStatus.IN_SERVICE,
    OfferStatus.COMPLETED: NeedStatus.COMPLETED,
    OfferStatus.RATED: NeedStatus.RATED,
}


@dataclass(frozen=True)
class Offer:
    """One offer of a need to an organization and where it stands.

    Attributes
    ----------
    round
        The round that made it (0 for an offer made by hand before the first round).
    score, probability
        The pair's score and the organization's acceptance probability when it was made.
    reason
        Why it was declined or withdrawn.
    stars
        The rating of its finished project.
    """

    need_id: str
    org_id: str
    category: Category
    round: int
    score: float
    probability: float
    status: OfferStatus = OfferStatus.PROPOSED
    reason: str = ""
    stars: int | None = None


@dataclass(frozen=True)
class NeedState:
    """Where one need stands."""

    need_id: str
    status: NeedStatus
    org_id: str | None = None  #: organization of its live offer
    offers: int = 0  #: offers it has had
    declined_by: tuple[str, ...] = ()  #: organizations that declined it
    reason: str = ""  #: why it was cancelled


@dataclass(frozen=True)
class DispatchState:
    """The state after a list of events: offers, needs, the round and its prices.

    Build it with :func:`fold` (or read :attr:`Dispatch.state`). Two states are equal when the same
    events made them.
    """

    n_events: int
    round: int
    offers: tuple[Offer, ...]
    needs: tuple[NeedState, ...]
    prices: Mapping[str, float]

    @cached_property
    def _need_at(self) -> dict[str, int]:
        return {need.need_id: i for i, need in enumerate(self.needs)}

    def need(self, need_id: str) -> NeedState:
        """The state of one need."""
        at = self._need_at.get(need_id)
        if at is None:
            raise UnknownIdError.of("error.unknown_need", id=echo(need_id))
        return self.needs[at]

    def offers_with(self, *statuses: OfferStatus) -> tuple[Offer, ...]:
        """Offers in any of the given statuses, in the order they were made."""
        wanted = set(statuses)
        return tuple(o for o in self.offers if o.status in wanted)

    @property
    def pending(self) -> tuple[Offer, ...]:
        """Offers waiting for an answer."""
        return self.offers_with(OfferStatus.PROPOSED)

    @property
    def committed(self) -> tuple[Offer, ...]:
        """Offers accepted (in service, completed and rated ones included)."""
        return self.offers_with(*COMMITTED)

    def statuses(self) -> dict[NeedStatus, int]:
        """How many needs are in each status."""
        counts = Counter(n.status for n in self.needs)
        return {status: counts.get(status, 0) for status in NeedStatus}

    def answers(self) -> dict[tuple[str, Category], tuple[int, int]]:
        """Accepts and declines per (organization, category) so far."""
        tally: dict[tuple[str, Category], tuple[int, int]] = {}
        for offer in self.offers:
            accepted = offer.status in COMMITTED
            if accepted or offer.status is OfferStatus.DECLINED:
                a, d = tally.get((offer.org_id, offer.category), (0, 0))
                tally[offer.org_id, offer.category] = (a + accepted, d + (not accepted))
        return tally

    def ratings(self) -> dict[str, tuple[int, ...]]:
        """Stars each organization received, in the order of its offers."""
        found: dict[str, list[int]] = {}
        for offer in self.offers:
            if offer.stars is not None:
                found.setdefault(offer.org_id, []).append(offer.stars)
        return {org: tuple(stars) for org, stars in found.items()}


def candidate_keys(problem: Problem) -> IntArray:
    """Sorted ``need * n_orgs + org`` of every eligible pair of ``problem`` (its candidates)."""
    table = build_candidates(problem)
    return np.asarray(table.need * problem.index.n_orgs + table.org, np.int64)


class Ledger:
    """The mutable fold behind :class:`Dispatch`: checks an event in full, then applies it.

    Parameters
    ----------
    problem
        The dispatch's problem.
    candidates
        Sorted candidate keys of the problem (:func:`candidate_keys`), computed when not given.
    """

    def __init__(self, problem: Problem, candidates: IntArray | None = None) -> None:
        self.problem = problem
        self.index = problem.index
        keys = candidate_keys(problem) if candidates is None else candidates
        self.candidates: list[int] = keys.tolist()  # sorted, for bisect
        self.n_events = 0
        self.round = 0
        self.offers: list[Offer] = []
        self.latest: dict[tuple[str, str], int] = {}  # pair -> its latest offer
        self.live: dict[str, int] = {}  # need -> its live offer
        self.load: Counter[str] = Counter()  # organization -> live offers
        self.cancelled: dict[str, str] = {}
        self.declined_by: dict[str, list[str]] = {}
        self.made: Counter[str] = Counter()  # need -> offers made
        self.prices: dict[str, float] = {}
        self.answers: dict[tuple[str, Category], tuple[int, int]] = {}  # accepts, declines
        self._snapshot: DispatchState | None = None

    def copy(self) -> Ledger:
        """An independent copy (to try events on without touching this one)."""
        other = Ledger.__new__(Ledger)
        other.__dict__.update(self.__dict__)
        other.offers = list(self.offers)
        other.latest = dict(self.latest)
        other.live = dict(self.live)
        other.load = Counter(self.load)
        other.cancelled = dict(self.cancelled)
        other.declined_by = {k: list(v) for k, v in self.declined_by.items()}
        other.made = Counter(self.made)
        other.prices = dict(self.prices)
        other.answers = dict(self.answers)
        return other

    # --- checks -----------------------------------------------------------------------------

    def check(self, event: Event) -> None:
        """Raise :class:`TransitionError` (or a subclass) unless ``event`` may come next."""
        if event.seq != self.n_events:
            if event.seq < self.n_events:
                raise DuplicateEventError.of(
                    "error.event_recorded", seq=event.seq, kind=event.kind, next=self.n_events
                )
            raise DuplicateEventError.of(
                "error.event_skips", seq=event.seq, kind=event.kind, next=self.n_events
            )
        if isinstance(event, Round):
            if event.round != self.round + 1:
                raise TransitionError.of("error.round_order", round=event.round, current=self.round)
            for org_id in event.prices:
                self._org(org_id)
            return
        self._need(event.need_id)
        if isinstance(event, Proposed):
            self._check_proposed(event)
        elif isinstance(event, Accepted | Declined | Withdrawn):
            verb = {Accepted: "accept", Declined: "decline", Withdrawn: "withdraw"}[type(event)]
            self._open_offer(verb, event.need_id, event.org_id)
        elif isinstance(event, Started):
            self._project("start", event.need_id, OfferStatus.ACCEPTED)
        elif isinstance(event, Completed):
            self._project("complete", event.need_id, OfferStatus.IN_SERVICE)
        elif isinstance(event, Rated):
            self._project("rate", event.need_id, OfferStatus.COMPLETED)
        elif isinstance(event, Cancelled):
            self._not_cancelled("cancel", event.need_id)
            offer = self._live_offer(event.need_id)
            if offer is not None and offer.status not in (
                OfferStatus.PROPOSED,
                OfferStatus.ACCEPTED,
            ):
                raise TransitionError.of(
                    "error.cancel_under_way",
                    need=event.need_id,
                    said={"status": f"status.{offer.status.value}"},
                )

    def _need(self, need_id: str) -> int:
        position = self.index.need_position.get(need_id)
        if position is None:
            raise UnknownIdError.of("error.unknown_need", id=echo(need_id))
        return position

    def _org(self, org_id: str) -> int:
        position = self.index.org_position.get(org_id)
        if position is None:
            raise UnknownIdError.of("error.unknown_organization", id=echo(org_id))
        return position

    def _live_offer(self, need_id: str) -> Offer | None:
        at = self.live.get(need_id)
        return None if at is None else self.offers[at]

    def _not_cancelled(self, verb: str, need_id: str) -> None:
        if need_id in self.cancelled:
            raise TransitionError.of(
                "error.need_cancelled", need=need_id, said={"action": f"action.{verb}"}
            )

    def _check_proposed(self, event: Proposed) -> None:
        need_id, org_id = event.need_id, event.org_id
        n, o = self._need(need_id), self._org(org_id)
        pair = f"({need_id}, {org_id})"
        if event.round != self.round:
            raise TransitionError.of(
                "error.propose_round", pair=pair, round=event.round, current=self.round
            )
        self._not_cancelled("propose", need_id)
        live = self._live_offer(need_id)
        if live is not None:
            raise TransitionError.of(
                "error.propose_live",
                pair=pair,
                need=need_id,
                org=live.org_id,
                said={"status": f"status.{live.status.value}"},
            )
        if org_id in self.declined_by.get(need_id, ()):
            raise TransitionError.of("error.propose_declined", pair=pair, org=org_id, need=need_id)
        key = n * self.index.n_orgs + o
        at = bisect.bisect_left(self.candidates, key)
        if at == len(self.candidates) or self.candidates[at] != key:
            raise TransitionError.of("error.propose_ineligible", pair=pair)
        capacity = int(self.index.org_capacity[o])
        if self.load[org_id] >= capacity:
            raise TransitionError.of(
                "error.propose_full",
                pair=pair,
                org=org_id,
                load=self.load[org_id],
                capacity=capacity,
            )

    def _open_offer(self, verb: str, need_id: str, org_id: str) -> None:
        self._org(org_id)
        pair = f"({need_id}, {org_id})"
        at = self.latest.get((need_id, org_id))
        if at is None:
            raise TransitionError.of(
                "error.no_offer",
                pair=pair,
                need=need_id,
                org=org_id,
                said={"action": f"action.{verb}"},
            )
        status = self.offers[at].status
        if status is not OfferStatus.PROPOSED:
            raise TransitionError.of(
                "error.offer_was",
                pair=pair,
                said={"action": f"action.{verb}", "status": f"status.{status.value}"},
            )

    def _project(self, verb: str, need_id: str, required: OfferStatus) -> None:
        self._not_cancelled(verb, need_id)
        offer = self._live_offer(need_id)
        if offer is None:
            raise TransitionError.of(
                "error.no_accepted", need=need_id, said={"action": f"action.{verb}"}
            )
        if offer.status is not required:
            raise TransitionError.of(
                "error.offer_status",
                need=need_id,
                org=offer.org_id,
                said={
                    "action": f"action.{verb}",
                    "status": f"status.{offer.status.value}",
                    "required": f"status.{required.value}",
                },
            )

    # --- apply ------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Apply an event that :meth:`check` accepted."""
        self._snapshot = None
        self.n_events += 1
        if isinstance(event, Round):
            self.round = event.round
            self.prices = dict(event.prices)
        elif isinstance(event, Proposed):
            category = self.problem.needs[self.index.need_position[event.need_id]].category
            offer = Offer(
                event.need_id, event.org_id, category, event.round, event.score, event.probability
            )
            self.offers.append(offer)
            at = len(self.offers) - 1
            self.latest[event.need_id, event.org_id] = at
            self.live[event.need_id] = at
            self.load[event.org_id] += 1
            self.made[event.need_id] += 1
        elif isinstance(event, Accepted):
            self._answer(self.live[event.need_id], accepted=True)
            self._set(self.live[event.need_id], OfferStatus.ACCEPTED)
        elif isinstance(event, Declined):
            self._answer(self.live[event.need_id], accepted=False)
            self.declined_by.setdefault(event.need_id, []).append(event.org_id)
            self._release(event.need_id, OfferStatus.DECLINED, event.reason)
        elif isinstance(event, Withdrawn):
            self._release(event.need_id, OfferStatus.WITHDRAWN, event.reason)
        elif isinstance(event, Started):
            self._set(self.live[event.need_id], OfferStatus.IN_SERVICE)
        elif isinstance(event, Completed):
            self._set(self.live[event.need_id], OfferStatus.COMPLETED)
        elif isinstance(event, Rated):
            self._set(self.live[event.need_id], OfferStatus.RATED, stars=event.stars)
        elif isinstance(event, Cancelled):
            self.cancelled[event.need_id] = event.reason
            if event.need_id in self.live:
                reason = "need cancelled" + (f": {event.reason}" if event.reason else "")
                self._release(event.need_id, OfferStatus.WITHDRAWN, reason)

    def record(self, event: Event) -> None:
        """Check, then apply."""
        self.check(event)
        self.apply(event)

    def _answer(self, at: int, *, accepted: bool) -> None:
        offer = self.offers[at]
        a, d = self.answers.get((offer.org_id, offer.category), (0, 0))
        self.answers[offer.org_id, offer.category] = (a + accepted, d + (not accepted))

    def _set(self, at: int, status: OfferStatus, **changes: object) -> None:
        self.offers[at] = dataclasses.replace(self.offers[at], status=status, **changes)  # type: ignore[arg-type]

    def _release(self, need_id: str, status: OfferStatus, reason: str) -> None:
        at = self.live.pop(need_id)
        self._set(at, status, reason=reason)
        self.load[self.offers[at].org_id] -= 1

    # --- views ------------------------------------------------------------------------------

    def snapshot(self) -> DispatchState:
        """The frozen state (built once per event)."""
        if self._snapshot is None:
            needs = []
            for need_id in self.index.need_ids:
                offer = self._live_offer(need_id)
                if need_id in self.cancelled:
                    status = NeedStatus.CANCELLED
                elif offer is None:
                    status = NeedStatus.OPEN
                else:
                    status = _NEED_STATUS[offer.status]
                needs.append(
                    NeedState(
                        need_id,
                        status,
                        None if offer is None else offer.org_id,
                        self.made[need_id],
                        tuple(self.declined_by.get(need_id, ())),
                        self.cancelled.get(need_id, ""),
                    )
                )
            self._snapshot = DispatchState(
                self.n_events,
                self.round,
                tuple(self.offers),
                tuple(needs),
                MappingProxyType(dict(self.prices)),
            )
        return self._snapshot


def fold(
    problem: Problem, events: Iterable[Event], *, candidates: IntArray | None = None
) -> DispatchState:
    """The state that ``events`` leave, starting from ``problem`` with no offer.

    Parameters
    ----------
    problem
        The dispatch's problem.
    events
        Its events, in order (``seq`` 0, 1, 2, ...).
    candidates
        Sorted candidate keys (:func:`candidate_keys`) when already known.

    Raises
    ------
    TransitionError
        At the first event the state before it does not allow.
    """
    ledger = Ledger(problem, candidates)
    for event in events:
        ledger.record(event)
    return ledger.snapshot()
