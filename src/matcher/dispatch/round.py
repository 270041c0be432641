"""A dispatch round and its lifecycle: propose, accept or decline, re-dispatch, serve, rate.

:class:`Dispatch` holds a problem and the append-only list of its events. Every command checks the
current state, then appends exactly one event -- or raises a
:class:`~matcher.dispatch.TransitionError` and changes nothing. :meth:`Dispatch.propose` solves the
round from the current state and records the plan as a ``round`` event followed by ``withdrawn``
and ``proposed`` events (all or none).

The round problem
-----------------
``propose()`` solves ``problem.replace(pinned=..., declined=..., pending=..., organizations=...)``
(:meth:`Dispatch.round_problem`, which :class:`Proposal` also gives):

- ``pinned``: every accepted offer (in service, completed and rated ones too): kept by every plan;
- ``declined``: every declined pair: never offered again;
- ``pending``: every open offer: it earns the ``incumbent`` component, whose weight
  ``policy.weights.incumbent`` is the **disruption cost**: a new plan moves an open offer only when
  that gains more than the cost. With a cost >= 0 the new plan scores at least as much as keeping
  every open offer (:attr:`Proposal.keep_objective`), which is one of the plans it chooses from;
- ``organizations[i].acceptance``: the acceptance model's posterior means
  (:mod:`matcher.dispatch.acceptance`). With ``policy.expected_value`` (``acceptance_aware=True``)
  each score is multiplied by them, so the plan maximizes the expected accepted score; the
  disruption cost is then in expected-score units too;
- cancelled needs are left out.

It is solved exactly: min-cost flow on the dispatch's candidate table (computed once), warm-started
from the previous round's shadow prices when few things changed (:mod:`matcher.dispatch.engine`);
problems with counting rules, goals or partnership rules go through :func:`matcher.solve`.

Examples
--------
>>> import matcher
>>> from matcher.dispatch import Dispatch
>>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
>>> dispatch = Dispatch(problem, disruption_cost=1.0, acceptance_aware=True)
>>> first = dispatch.propose()
>>> first.round, len(first.offers) > 0, first.objective >= first.keep_objective
(1, True, True)
>>> offer = first.offers[0]
>>> _ = dispatch.decline(offer.need_id, offer.org_id, "no staff this season")
>>> second = dispatch.propose()
>>> (offer.need_id, offer.org_id) in second.plan
False
>>> matcher.verify(second.problem, second.solution)
[]
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import pydantic

from ..errors import Issue, OptionError, ProblemError, echo, shorten
from ..models import COMPONENTS, Category, Continuation, Problem
from ..models.base import Model
from ..models.document import PairRef, _field_issues
from ..models.limits import parse_json
from ..pairs.eligibility import RULES, ineligibility
from ..pairs.scoring import weighted
from ..pairs.table import CandidateTable, build_candidates
from ..plan.solution import Solution
from ..solvers.base import SolverResult, Status
from ..solving import assemble, check_options, needs_rules, solve
from . import ratings as rating_scale
from .acceptance import AcceptanceCount, AcceptanceModel, AcceptancePrior, merge_counts
from .engine import Layout, RoundOutcome, integer_scale, solve_round
from .errors import TransitionError, UnknownIdError
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
    load_events,
    parse_event,
)
from .state import COMMITTED, DispatchState, Ledger, OfferStatus

__all__ = ["Dispatch", "Proposal", "Unplaceable", "UnplaceableReason"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Why an open need cannot be placed, whatever the coming answers:
#:
#: - ``no_candidate``: no organization is eligible (``detail`` counts each rule's removals);
#: - ``declined``: every eligible organization declined it;
#: - ``non_positive_score``: its remaining candidates all score 0 or less;
#: - ``capacity``: its remaining candidates with a positive score are all full with accepted offers.
UnplaceableReason = Literal["no_candidate", "declined", "non_positive_score", "capacity"]

_M = TypeVar("_M", bound=Model)
_E = TypeVar("_E", Proposed, Accepted, Declined, Withdrawn, Started, Completed, Rated, Cancelled)

#: Version of the JSON document :meth:`Dispatch.to_json` writes.
FORMAT_VERSION = 1

_CATEGORIES = list(Category)
_INCUMBENT = COMPONENTS.index("incumbent")


@dataclass(frozen=True)
class Unplaceable:
    """An open need that no plan can place any more, and why."""

    need_id: str
    reason: UnplaceableReason
    detail: str


@dataclass(frozen=True)
class _Later:
    """What a proposal builds only when first asked: its pairs, its round problem and plan, and
    the needs no plan can place any more."""

    kept: Callable[[], tuple[tuple[str, str], ...]]
    plan: Callable[[], tuple[tuple[str, str], ...]]
    problem: Callable[[], Problem]
    solution: Callable[[Problem], Solution]
    unplaceable: Callable[[], dict[str, Unplaceable]]


class Proposal:
    """What :meth:`Dispatch.propose` decided, and the round problem it solved.

    Attributes
    ----------
    round
        The round's number (the current round when nothing changed).
    offers, withdrawn
        The events it recorded: new offers, and open offers it took back.
    kept, plan
        Open offers the plan keeps; every pair of the plan (accepted, kept and new offers).
    objective
        Total score of the plan (accepted offers included).
    keep_objective
        Total score of keeping every open offer and nothing more (never above ``objective``).
    expected_acceptances
        Sum, over the plan's open offers (kept and new), of their acceptance probability.
    prices
        Shadow price of each organization with a positive one (see :mod:`.engine`).
    method
        ``kept``, ``warm``, ``cold`` (the flow engine) or ``solve`` (:func:`matcher.solve`).
    stats
        Sizes and seconds of the solve.
    """

    def __init__(
        self,
        *,
        round: int,
        offers: tuple[Proposed, ...],
        withdrawn: tuple[Withdrawn, ...],
        sums: _RoundRows,
        prices: Mapping[str, float],
        method: str,
        stats: dict[str, Any],
        later: _Later,
    ) -> None:
        self.round = round
        self.offers = offers
        self.withdrawn = withdrawn
        self.objective = sums.objective
        self.keep_objective = sums.keep_objective
        self.expected_acceptances = sums.expected
        self.prices = dict(prices)
        self.method = method
        self.stats = stats
        self._later = later

    @property
    def changed(self) -> bool:
        """Whether the proposal recorded anything (new offers or withdrawals)."""
        return bool(self.offers or self.withdrawn)

    @cached_property
    def kept(self) -> tuple[tuple[str, str], ...]:
        """Open offers the plan keeps, as ``(need_id, org_id)``."""
        return self._later.kept()

    @cached_property
    def plan(self) -> tuple[tuple[str, str], ...]:
        """Every pair of the plan, as ``(need_id, org_id)``: accepted, kept and new offers."""
        return self._later.plan()

    @cached_property
    def problem(self) -> Problem:
        """The round problem it solved (built on first use)."""
        return self._later.problem()

    @cached_property
    def solution(self) -> Solution:
        """The plan as a :class:`~matcher.Solution` of :attr:`problem` (built on first use)."""
        return self._later.solution(self.problem)

    @cached_property
    def unplaceable(self) -> dict[str, Unplaceable]:
        """Open needs that no plan can place any more, by id, once the proposal is recorded."""
        return self._later.unplaceable()

    def __repr__(self) -> str:
        return (
            f"Proposal(round={self.round}, offers={len(self.offers)}, "
            f"withdrawn={len(self.withdrawn)}, kept={len(self.kept)}, "
            f"objective={self.objective:.3f}, expected_acceptances="
            f"{self.expected_acceptances:.2f}, method={self.method!r})"
        )


@dataclass(frozen=True, eq=False)
class _Table:
    """The dispatch's candidate table, laid out for rounds (built once)."""

    table: CandidateTable
    layout: Layout
    keys: IntArray  # need * n_orgs + org, sorted
    category: IntArray  # category code of each row
    base: FloatArray  # score without the incumbent component (before acceptance)
    given: bool  # the problem brings pair scores: they are the scores
    scale: float  # integers = round(score * scale), the same in every round
    incumbent: float  # the disruption cost (policy.weights.incumbent)
    expected_value: bool

    def rows(self, problem: Problem, pairs: Iterable[tuple[str, str]]) -> IntArray:
        """Rows of the given (need_id, org_id) pairs; each must be a candidate."""
        index = problem.index
        wanted = np.array(
            [index.need_position[n] * index.n_orgs + index.org_position[o] for n, o in pairs],
            np.int64,
        )
        at = np.searchsorted(self.keys, wanted)
        return np.asarray(at, np.int64)


@dataclass
class _Arrays:
    """The state of a round as arrays over the candidate table."""

    pinned_row: IntArray  # per need: its accepted offer's row, -1
    pending_row: IntArray  # per need: its open offer's row, -1
    declined: BoolArray  # per row
    cancelled: BoolArray  # per need
    committed_load: IntArray  # per organization: accepted offers
    probability: FloatArray  # per row: acceptance probability
    acceptance: FloatArray  # per (organization, category): acceptance probability
    score: FloatArray  # per row: this round's score
    stats: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class _RoundRows:
    """A round's plan as rows of the dispatch's table, per need (-1: none), and its sums."""

    #: Accepted offers, and the plan's choice elsewhere.
    plan: IntArray
    #: The plan's open offers (kept and new; accepted ones left out).
    open: IntArray
    #: The open offers before the round.
    pending: IntArray
    objective: float
    #: Total score of keeping every open offer and nothing more.
    keep_objective: float
    #: Sum of the acceptance probabilities of the plan's open offers.
    expected: float

    @classmethod
    def of(cls, arrays: _Arrays, chosen: IntArray) -> _RoundRows:
        pinned, pending, score = arrays.pinned_row, arrays.pending_row, arrays.score
        plan = np.where(pinned >= 0, pinned, chosen)
        open_rows = np.where(pinned >= 0, -1, chosen)
        keep = np.where(pinned >= 0, pinned, pending)
        return cls(
            plan=plan,
            open=open_rows,
            pending=pending,
            objective=float(score[np.sort(plan[plan >= 0])].sum()),
            keep_objective=float(score[np.sort(keep[keep >= 0])].sum()),
            expected=float(arrays.probability[open_rows[open_rows >= 0]].sum()),
        )


class Dispatch:
    """A dispatch (派单 → 接单 → 实施 → 评单) over one problem, as an append-only event log.

    Parameters
    ----------
    problem
        The round's problem, without ``pinned``, ``declined`` or ``pending`` (the dispatch keeps
        that state itself) and with one organization per need.
    events
        Events to replay (each is checked as if it were recorded now).
    disruption_cost
        When given, sets ``policy.weights.incumbent``: what moving an open offer must gain.
    acceptance_aware
        When given, sets ``policy.expected_value``: maximize the expected accepted score.
    prior
        Prior of the acceptance model.
    history
        Accepts and declines from earlier years (see :meth:`next_year`).

    Raises
    ------
    OptionError
        When the problem is not a :class:`~matcher.Problem`, already carries dispatch state, or a
        need asks for partners; when ``events`` or ``history`` is not a list.
    ProblemError
        When ``prior`` or an entry of ``history`` is invalid, or ``disruption_cost`` is out of
        bounds (``policy.weights.incumbent``).
    TransitionError
        When a replayed event is invalid or not allowed where it stands (its message starts
        with its position, ``events[3]: ...``).
    """

    def __init__(
        self,
        problem: Problem,
        events: Iterable[Event] = (),
        *,
        disruption_cost: float | None = None,
        acceptance_aware: bool | None = None,
        prior: AcceptancePrior | None = None,
        history: Iterable[AcceptanceCount] = (),
    ) -> None:
        if not isinstance(problem, Problem):
            raise OptionError.of("error.dispatch_problem", kind=type(problem).__name__)
        events = _sequence("events", events)
        history = _sequence("history", history)
        changes: dict[str, Any] = {}
        if disruption_cost is not None:
            changes["weights"] = {"incumbent": disruption_cost}
        if acceptance_aware is not None:
            changes["expected_value"] = bool(acceptance_aware)
        if changes:
            problem = problem.with_policy(**changes)
        _check_problem(problem)
        self._problem = problem
        self._prior = _checked(
            AcceptancePrior, AcceptancePrior() if prior is None else prior, ("prior",)
        )
        self._history = tuple(
            _checked(AcceptanceCount, count, ("history", i)) for i, count in enumerate(history)
        )
        self._base_counts = merge_counts(self._history)
        table = build_candidates(problem)
        keys = np.asarray(table.need * problem.index.n_orgs + table.org, np.int64)
        self._ledger = Ledger(problem, keys)
        self._table_data = table
        self._table = self._layout_table()
        self._events: list[Event] = []
        for i, event in enumerate(events):
            try:
                self.record(event)
            except TransitionError as error:
                raise type(error)(f"events[{i}]: {error}") from None

    # --- what it holds ----------------------------------------------------------------------

    @property
    def problem(self) -> Problem:
        """The dispatch's problem (with the policy the dispatch runs under)."""
        return self._problem

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event so far, in order."""
        return tuple(self._events)

    @property
    def state(self) -> DispatchState:
        """The state the events leave (equal to ``fold(problem, events)``)."""
        return self._ledger.snapshot()

    @property
    def candidates(self) -> CandidateTable:
        """The problem's candidate table (eligible pairs, scores and components), built once."""
        return self._table_data

    def components(self, need_id: str, org_id: str) -> dict[str, float]:
        """The score components of a candidate pair (see :mod:`matcher.models.policy`).

        Raises
        ------
        UnknownIdError
            When the pair is not a candidate of the problem.
        """
        _check_ids(None, need_id, org_id)
        index = self._problem.index
        table = self._table
        n, o = index.need_position.get(need_id), index.org_position.get(org_id)
        key = -1 if n is None or o is None else n * index.n_orgs + o
        row = int(np.searchsorted(table.keys, key))
        if key < 0 or row >= table.keys.size or table.keys[row] != key:
            raise UnknownIdError.of(
                "error.not_candidate", pair=f"({echo(need_id)}, {echo(org_id)})"
            )
        values = self._table_data.components[row].tolist()
        return dict(zip(COMPONENTS, values, strict=True))

    @property
    def prior(self) -> AcceptancePrior:
        """The acceptance model's prior."""
        return self._prior

    @property
    def history(self) -> tuple[AcceptanceCount, ...]:
        """Accepts and declines carried from earlier years."""
        return self._history

    def acceptance(self) -> AcceptanceModel:
        """The acceptance model after every answer so far (earlier years included)."""
        counts = dict(self._base_counts)
        for key, (a, d) in self._ledger.answers.items():
            a0, d0 = counts.get(key, (0, 0))
            counts[key] = (a0 + a, d0 + d)
        return AcceptanceModel(self._problem, counts, self._prior)

    # --- commands ---------------------------------------------------------------------------

    def record(self, event: Event | Mapping[str, Any]) -> Event:
        """Append an event from elsewhere (a portal's own log), after checking it.

        Raises
        ------
        TransitionError
            When the event is not a valid event, or not allowed where the state stands (nothing
            changes).
        """
        try:
            parsed = parse_event(event)
        except ProblemError as error:
            raise TransitionError.of(
                "error.invalid_event", issues="; ".join(map(str, error.issues))
            ) from None
        self._ledger.record(parsed)
        self._events.append(parsed)
        return parsed

    def offer(self, need_id: str, org_id: str) -> Proposed:
        """Offer a need to an organization by hand (派单), outside a round's plan."""
        _check_ids(Proposed, need_id, org_id)
        model = self.acceptance()
        table = self._table
        need_id, org_id = need_id.strip(), org_id.strip()
        index = self._problem.index
        score, probability = 0.0, 1.0
        if need_id in index.need_position and org_id in index.org_position:
            row = int(table.rows(self._problem, [(need_id, org_id)])[0])
            if row < table.keys.size and table.keys[row] == (
                index.need_position[need_id] * index.n_orgs + index.org_position[org_id]
            ):
                probability = model.probability(org_id, _CATEGORIES[int(table.category[row])])
                score = float(self._round_score(row, probability))
        return self._command(
            self._event(
                Proposed,
                round=self._ledger.round,
                need_id=need_id,
                org_id=org_id,
                score=score,
                probability=probability,
            )
        )

    def accept(self, need_id: str, org_id: str) -> Accepted:
        """The organization accepts the offer (接单)."""
        return self._command(self._event(Accepted, need_id=need_id, org_id=org_id))

    def decline(self, need_id: str, org_id: str, reason: str = "") -> Declined:
        """The organization declines the offer; it is never offered this need again."""
        return self._command(self._event(Declined, need_id=need_id, org_id=org_id, reason=reason))

    def withdraw(self, need_id: str, org_id: str, reason: str = "") -> Withdrawn:
        """Take back an open offer."""
        return self._command(self._event(Withdrawn, need_id=need_id, org_id=org_id, reason=reason))

    def start(self, need_id: str) -> Started:
        """The need's accepted project starts (in service)."""
        return self._command(self._event(Started, need_id=need_id))

    def complete(self, need_id: str) -> Completed:
        """The need's project is finished."""
        return self._command(self._event(Completed, need_id=need_id))

    def rate(self, need_id: str, stars: int | str, comment: str = "") -> Rated:
        """The beneficiaries rate the finished project: 1-5 stars or a label (非常满意 …)."""
        value = rating_scale.stars(stars)
        return self._command(self._event(Rated, need_id=need_id, stars=value, comment=comment))

    def cancel(self, need_id: str, reason: str = "") -> Cancelled:
        """Cancel a need before its project starts; an offer it has is withdrawn."""
        return self._command(self._event(Cancelled, need_id=need_id, reason=reason))

    def _command(self, event: _E) -> _E:
        self._ledger.record(event)
        self._events.append(event)
        return event

    def _event(self, kind: type[_E], **fields: Any) -> _E:
        """Build the next event; a field that cannot be valid is a :class:`TransitionError`."""
        try:
            return kind(seq=len(self._events), **fields)
        except pydantic.ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
            )
            raise TransitionError.of(
                "error.invalid_kind_event", kind=kind.__name__.lower(), issues=problems
            ) from None

    # --- rounds -----------------------------------------------------------------------------

    def propose(self, *, solver: str = "auto", time_limit: float = 10.0, seed: int = 0) -> Proposal:
        """Solve the round from the current state and record the new plan's offers.

        Accepted offers are kept, declined pairs are left out, open offers are kept unless moving
        them gains more than the disruption cost. New offers are recorded as ``proposed``, dropped
        open offers as ``withdrawn`` (reason ``re-dispatched``), both after a ``round`` event; when
        the plan changes nothing, nothing is recorded.

        Parameters
        ----------
        solver, time_limit, seed
            As for :func:`matcher.solve`. ``"auto"`` and ``"flow"`` use the dispatch's own exact
            flow engine when the policy is network-shaped; anything else solves the round problem
            with :func:`matcher.solve`.

        Returns
        -------
        Proposal
            The decision, its round problem and its plan.

        Raises
        ------
        OptionError
            When ``time_limit`` is not a positive number or ``seed`` not a whole number.
        """
        time_limit, seed = check_options(time_limit, seed)
        started = time.perf_counter()
        arrays = self._arrays()
        snapshot = self._round_inputs(arrays.acceptance)
        chosen, prices, method, stats = self._solve_round(
            arrays, snapshot, solver, time_limit, seed
        )
        solved = time.perf_counter()
        rows = _RoundRows.of(arrays, chosen)
        round_no, recorded = self._record(rows, arrays, prices)
        stats.update(arrays.stats)
        stats["propose_seconds"] = time.perf_counter() - started
        stats["record_seconds"] = time.perf_counter() - solved
        return Proposal(
            round=round_no,
            offers=tuple(e for e in recorded if isinstance(e, Proposed)),
            withdrawn=tuple(e for e in recorded if isinstance(e, Withdrawn)),
            sums=rows,
            prices=prices,
            method=method,
            stats=stats,
            later=self._later(rows, snapshot, method),
        )

    def _later(self, rows: _RoundRows, snapshot: _RoundInputs, method: str) -> _Later:
        """What the proposal of a round's plan ``rows`` builds when first asked: its kept offers
        and pairs by ids, its round problem (from ``snapshot``) and its solution."""
        layout_org = self._table.layout.org
        need_ids, org_ids = self._problem.index.need_ids, self._problem.index.org_ids

        def pairs(chosen: IntArray, needs: IntArray) -> tuple[tuple[str, str], ...]:
            orgs = layout_org[chosen]
            return tuple(
                (need_ids[n], org_ids[o])
                for n, o in zip(needs.tolist(), orgs.tolist(), strict=True)
            )

        pending = rows.pending
        kept_needs = np.flatnonzero((pending >= 0) & (rows.open == pending))
        plan_needs = np.flatnonzero(rows.plan >= 0)
        plan_chosen = rows.plan[plan_needs]
        return _Later(
            kept=lambda: pairs(pending[kept_needs], kept_needs),
            plan=lambda: pairs(plan_chosen, plan_needs),
            problem=lambda: self._build_round_problem(snapshot),
            solution=lambda p: self._plan_solution(p, plan_chosen, method),
            unplaceable=self.unplaceable,
        )

    def _solve_round(
        self, arrays: _Arrays, snapshot: _RoundInputs, solver: str, time_limit: float, seed: int
    ) -> tuple[IntArray, dict[str, float], str, dict[str, Any]]:
        """Per need, the row the round's plan chooses (-1: none); the organizations' positive
        shadow prices (the flow engine only); how it was solved; its stats."""
        problem = self._problem
        if solver in ("auto", "flow") and _network_shaped(problem):
            outcome = self._solve_flow(arrays)
            prices = {
                problem.index.org_ids[o]: float(v) / self._table.scale
                for o, v in enumerate(outcome.prices.tolist())
                if v > 0
            }
            return outcome.row_of, prices, outcome.method, dict(outcome.stats)
        chosen, stats = self._solve_core(arrays, solver, time_limit, seed, snapshot)
        return chosen, {}, "solve", stats

    def _record(
        self, rows: _RoundRows, arrays: _Arrays, prices: dict[str, float]
    ) -> tuple[int, list[Event]]:
        """Record the round's events (a round, withdrawn and new offers) when the plan changes
        anything; the round's number and the events recorded."""
        pending, open_rows = rows.pending, rows.open
        dropped = np.flatnonzero((pending >= 0) & (open_rows != pending))
        new = np.flatnonzero((open_rows >= 0) & (open_rows != pending))
        round_no = self._ledger.round
        recorded: list[Event] = []
        if not (dropped.size or new.size):
            return round_no, recorded
        need_ids, org_ids = self._problem.index.need_ids, self._problem.index.org_ids
        layout = self._table.layout
        round_no += 1
        seq = len(self._events)
        recorded.append(
            Round(
                seq=seq,
                round=round_no,
                objective=rows.objective,
                expected_acceptances=rows.expected,
                prices=prices,
            )
        )
        for n in dropped.tolist():
            recorded.append(
                Withdrawn(
                    seq=seq + len(recorded),
                    need_id=need_ids[n],
                    org_id=org_ids[int(layout.org[pending[n]])],
                    reason="re-dispatched",
                )
            )
        for n in new.tolist():
            row = int(open_rows[n])
            recorded.append(
                Proposed(
                    seq=seq + len(recorded),
                    round=round_no,
                    need_id=need_ids[n],
                    org_id=org_ids[int(layout.org[row])],
                    score=float(arrays.score[row]),
                    probability=float(arrays.probability[row]),
                )
            )
        trial = self._ledger.copy()
        for event in recorded:
            trial.record(event)
        self._ledger = trial
        self._events.extend(recorded)
        return round_no, recorded

    def round_problem(self) -> Problem:
        """The problem the next :meth:`propose` solves (see the module notes)."""
        return self._build_round_problem(self._round_inputs(self.acceptance().matrix()))

    def unplaceable(self) -> dict[str, Unplaceable]:
        """Open needs (no live offer, not cancelled) that no plan can place, whatever comes.

        A need is placeable while it has a candidate that did not decline it, scores above 0, and
        is not full with accepted offers.
        """
        table, arrays = self._table, self._arrays()
        index = self._problem.index
        layout = table.layout
        live = {n for n in self._ledger.live}
        open_needs = np.array(
            [
                i
                for i, need_id in enumerate(index.need_ids)
                if need_id not in live and need_id not in self._ledger.cancelled
            ],
            np.int64,
        )
        if open_needs.size == 0:
            return {}
        n_needs = index.n_needs
        alive = ~arrays.declined
        base = table.base if not table.given else table.table.score
        room = (index.org_capacity - arrays.committed_load) > 0
        count_all = np.bincount(layout.need, minlength=n_needs)
        count_alive = np.bincount(layout.need[alive], minlength=n_needs)
        positive = alive & (base > 0)
        count_positive = np.bincount(layout.need[positive], minlength=n_needs)
        count_room = np.bincount(layout.need[positive & room[layout.org]], minlength=n_needs)
        found: dict[str, Unplaceable] = {}
        for n in open_needs.tolist():
            need_id = index.need_ids[n]
            if count_all[n] == 0:
                found[need_id] = Unplaceable(need_id, "no_candidate", self._exclusions(n))
            elif count_alive[n] == 0:
                detail = f"all {int(count_all[n])} eligible organizations declined it"
                found[need_id] = Unplaceable(need_id, "declined", detail)
            elif count_positive[n] == 0:
                detail = f"its {int(count_alive[n])} remaining candidates score 0 or less"
                found[need_id] = Unplaceable(need_id, "non_positive_score", detail)
            elif count_room[n] == 0:
                detail = (
                    f"its {int(count_positive[n])} remaining candidates are full with accepted "
                    "offers"
                )
                found[need_id] = Unplaceable(need_id, "capacity", detail)
        return found

    @property
    def settled(self) -> bool:
        """No offer waits for an answer and every open need is unplaceable: the round is over."""
        if any(o.status is OfferStatus.PROPOSED for o in self._ledger.offers):
            return False
        index = self._problem.index
        open_count = sum(
            1
            for need_id in index.need_ids
            if need_id not in self._ledger.live and need_id not in self._ledger.cancelled
        )
        return open_count == len(self.unplaceable())

    # --- years ------------------------------------------------------------------------------

    def answer_counts(self) -> list[AcceptanceCount]:
        """Accepts and declines of earlier years and of this one, per organization and category."""
        return self.acceptance().counts()

    def next_year(
        self,
        problem: Problem,
        follow_ups: Mapping[str, str] | None = None,
        *,
        disruption_cost: float | None = None,
        acceptance_aware: bool | None = None,
    ) -> Dispatch:
        """Next year's dispatch: this year's ratings and answers carried into ``problem``.

        Parameters
        ----------
        problem
            Next year's problem (its organizations' ``ratings`` are this year's start).
        follow_ups
            New need id -> this year's need it follows up (接续实施). The new need gets
            ``continues`` = (the organization that ran the project, its stars): the continuity
            bonus for 4-5 stars, the malus for 1-2. Projects not rated yet are skipped.
        disruption_cost, acceptance_aware
            As for :class:`Dispatch`; by default this dispatch's (``policy.weights.incumbent``
            and ``policy.expected_value``).

        Returns
        -------
        Dispatch
            With ``history`` = every answer so far, and ``problem`` whose organizations' ratings
            are extended by this year's stars and whose follow-up needs continue this year's
            projects.
        """
        carried = self.carry_over(problem, follow_ups)
        policy = self._problem.policy
        return Dispatch(
            carried,
            disruption_cost=(
                policy.weights.incumbent if disruption_cost is None else disruption_cost
            ),
            acceptance_aware=(
                policy.expected_value if acceptance_aware is None else acceptance_aware
            ),
            prior=self._prior,
            history=self.answer_counts(),
        )

    def carry_over(self, problem: Problem, follow_ups: Mapping[str, str] | None = None) -> Problem:
        """``problem`` with this year's ratings added and follow-up needs continuing projects."""
        stars = self.state.ratings()
        organizations = [
            org.model_copy(update={"ratings": (*org.ratings, *stars.get(org.id, ()))})
            if org.id in stars
            else org
            for org in problem.organizations
        ]
        rated = {
            o.need_id: (o.org_id, o.stars)
            for o in self._ledger.offers
            if o.status is OfferStatus.RATED and o.stars is not None
        }
        needs = list(problem.needs)
        for i, need in enumerate(needs):
            earlier = (follow_ups or {}).get(need.id)
            if earlier is not None and earlier in rated:
                org_id, value = rated[earlier]
                needs[i] = need.model_copy(
                    update={"continues": Continuation(org_id=org_id, stars=value)}
                )
        return problem.replace(organizations=organizations, needs=needs)

    # --- JSON -------------------------------------------------------------------------------

    def to_json(self, *, indent: int | None = None) -> str:
        """The dispatch as JSON: problem, acceptance prior and history, events.

        :meth:`from_json` reads it back to an equal dispatch (same state, same next proposals),
        and writing that again gives the same text.
        """
        document = {
            "version": FORMAT_VERSION,
            "problem": json.loads(self._problem.to_json()),
            "prior": self._prior.model_dump(mode="json"),
            "history": [c.model_dump(mode="json") for c in self._history],
            "events": [e.model_dump(mode="json") for e in self._events],
        }
        return json.dumps(document, ensure_ascii=False, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Dispatch:
        """Read a dispatch written by :meth:`to_json`, replaying (and checking) its events.

        Raises
        ------
        ProblemError
            When the text is not JSON, is larger or nests deeper than the limits
            (:mod:`matcher.models.limits`), or the document is invalid: every issue, with its
            path (``events[3].seq``, ``problem.needs[0].region``).
        TransitionError
            When an event is not allowed where it stands (``events[3]: cannot accept ...``).
        """
        if not isinstance(text, str | bytes | bytearray):
            raise ProblemError([Issue.of("", "error.not_json_text", kind=type(text).__name__)])
        document = parse_json(text)
        if not isinstance(document, dict):
            raise ProblemError([Issue.of("", "error.dispatch_object")])
        if document.get("version") != FORMAT_VERSION:
            issue = Issue.of("version", "error.dispatch_version", version=FORMAT_VERSION)
            raise ProblemError([issue])
        known = {"version", *_SECTIONS}
        issues = [
            Issue.of(shorten(key), "error.unknown_field") for key in document if key not in known
        ]
        parts: dict[str, Any] = {}
        for name, (read, default) in _SECTIONS.items():
            try:
                parts[name] = read(document.get(name, default))
            except ProblemError as error:
                issues.extend(
                    Issue(
                        f"{name}.{issue.path}" if issue.path else name,
                        issue.message,
                        issue.message_zh,
                    )
                    if name == "problem"
                    else issue
                    for issue in error.issues
                )
        if issues:
            raise ProblemError(issues)
        return cls(
            parts["problem"], parts["events"], prior=parts["prior"], history=parts["history"]
        )

    @classmethod
    def from_store(cls, store: _Log, dispatch_id: str) -> Dispatch:
        """Rebuild a dispatch kept in an event store (:mod:`matcher.service.store`) by replaying
        its log, each event checked as in :meth:`from_json`.

        ``store`` is anything with ``document(dispatch_id)`` giving the document that
        :meth:`to_json` writes.
        """
        return cls.from_json(store.document(dispatch_id))

    # --- internals --------------------------------------------------------------------------

    def _layout_table(self) -> _Table:
        """The candidate table laid out for rounds, with its score scale (built once, up front)."""
        problem = self._problem
        table = self._table_data
        index = problem.index
        layout = Layout.build(index.n_needs, index.n_orgs, table.need, table.org)
        keys = np.asarray(table.need * index.n_orgs + table.org, np.int64)
        given = index.pair_score is not None
        values = table.components
        if values.shape[0] and bool(values[:, _INCUMBENT].any()):  # pragma: no cover - no pending
            raise OptionError.of("error.dispatch_pending")
        base = weighted(problem.policy, values) if not given else table.score
        incumbent = 0.0 if given else float(problem.policy.weights.incumbent)
        top = float(np.abs(base).max()) + incumbent if base.size else 1.0
        return _Table(
            table=table,
            layout=layout,
            keys=keys,
            category=index.need_category[table.need],
            base=np.ascontiguousarray(base, np.float64),
            given=given,
            scale=integer_scale(top, index.n_needs + index.n_orgs + 2),
            incumbent=incumbent,
            expected_value=bool(problem.policy.expected_value) and not given,
        )

    def _round_score(self, row: int, probability: float) -> float:
        table = self._table
        if table.given:
            return float(table.base[row])
        value = float(table.base[row])
        return value * probability if table.expected_value else value

    def _arrays(self) -> _Arrays:
        started = time.perf_counter()
        table, ledger = self._table, self._ledger
        problem = self._problem
        index = problem.index
        n_needs, n_orgs = index.n_needs, index.n_orgs
        pinned_row = np.full(n_needs, -1, np.int64)
        pending_row = np.full(n_needs, -1, np.int64)
        committed_load = np.zeros(n_orgs, np.int64)
        live = [ledger.offers[at] for at in ledger.live.values()]
        if live:
            rows = table.rows(problem, [(o.need_id, o.org_id) for o in live])
            needs = np.array([index.need_position[o.need_id] for o in live], np.int64)
            committed = np.array([o.status in COMMITTED for o in live], bool)
            pinned_row[needs[committed]] = rows[committed]
            pending_row[needs[~committed]] = rows[~committed]
            committed_load = np.bincount(
                table.layout.org[rows[committed]], minlength=n_orgs
            ).astype(np.int64)
        declined = np.zeros(table.layout.n_pairs, bool)
        declined_pairs = [(n, o) for n, orgs in ledger.declined_by.items() for o in orgs]
        if declined_pairs:
            declined[table.rows(problem, declined_pairs)] = True
        cancelled = np.zeros(n_needs, bool)
        if ledger.cancelled:
            cancelled[[index.need_position[n] for n in ledger.cancelled]] = True
        probability_matrix = self.acceptance().matrix()
        probability = probability_matrix.ravel()[
            table.layout.org * len(_CATEGORIES) + table.category
        ]
        if table.given:
            score = table.base
        else:
            score = table.base.copy()
            if table.incumbent and (pending_row >= 0).any():
                score[pending_row[pending_row >= 0]] += table.incumbent
            if table.expected_value:
                score = score * probability
        return _Arrays(
            pinned_row=pinned_row,
            pending_row=pending_row,
            declined=declined,
            cancelled=cancelled,
            committed_load=committed_load,
            probability=probability,
            acceptance=probability_matrix,
            score=score,
            stats={"arrays_seconds": time.perf_counter() - started},
        )

    def _solve_flow(self, arrays: _Arrays) -> RoundOutcome:
        table = self._table
        layout = table.layout
        index = self._problem.index
        integers = np.rint(arrays.score * table.scale).astype(np.int64)
        blocked = arrays.cancelled | (arrays.pinned_row >= 0)
        active = ~arrays.declined & ~blocked[layout.need]
        capacity = index.org_capacity - arrays.committed_load
        prices = None
        if self._ledger.round > 0:
            prices = np.zeros(index.n_orgs, np.int64)
            for org_id, value in self._ledger.prices.items():
                prices[index.org_position[org_id]] = round(value * table.scale)
        return solve_round(layout, integers, active, capacity, arrays.pending_row, prices)

    def _solve_core(
        self,
        arrays: _Arrays,
        solver: str,
        time_limit: float,
        seed: int,
        snapshot: _RoundInputs,
    ) -> tuple[IntArray, dict[str, Any]]:
        problem = self._build_round_problem(snapshot)
        solution = solve(problem, solver, time_limit=time_limit, seed=seed)
        if solution.status not in (Status.OPTIMAL, Status.FEASIBLE):
            raise TransitionError.of("error.round_no_plan", status=solution.status.value)
        table = self._table
        chosen = np.full(self._problem.index.n_needs, -1, np.int64)
        pairs = [(a.need_id, a.org_id) for a in solution.assignments]
        if pairs:
            rows = table.rows(self._problem, pairs)
            chosen[table.layout.need[rows]] = rows
        chosen[arrays.pinned_row >= 0] = -1
        return chosen, {"status": solution.status.value, **solution.timings}

    def _round_inputs(self, acceptance: FloatArray) -> _RoundInputs:
        ledger = self._ledger
        declined = tuple(
            (n, o)
            for n, orgs in ledger.declined_by.items()
            if n not in ledger.cancelled
            for o in orgs
        )
        live = [ledger.offers[at] for at in ledger.live.values()]
        return _RoundInputs(
            pinned=tuple((o.need_id, o.org_id) for o in live if o.status in COMMITTED),
            pending=tuple((o.need_id, o.org_id) for o in live if o.status is OfferStatus.PROPOSED),
            declined=declined,
            cancelled=frozenset(ledger.cancelled),
            acceptance=acceptance,
        )

    def _build_round_problem(self, inputs: _RoundInputs) -> Problem:
        problem = self._problem
        organizations = [
            org.model_copy(update={"acceptance": dict(zip(_CATEGORIES, row.tolist(), strict=True))})
            for org, row in zip(problem.organizations, inputs.acceptance, strict=True)
        ]
        needs = [n for n in problem.needs if n.id not in inputs.cancelled]

        def refs(pairs: Sequence[tuple[str, str]]) -> list[PairRef]:
            return [PairRef(need_id=n, org_id=o) for n, o in pairs]

        changes: dict[str, Any] = {}
        if problem.pair_scores is not None and inputs.cancelled:
            changes["pair_scores"] = [
                p for p in problem.pair_scores if p.need_id not in inputs.cancelled
            ]
        return problem.replace(
            organizations=organizations,
            needs=needs,
            pinned=refs(inputs.pinned),
            declined=refs(inputs.declined),
            pending=refs(inputs.pending),
            **changes,
        )

    def _plan_solution(self, problem: Problem, rows: IntArray, method: str) -> Solution:
        """The plan (rows of the dispatch's table) as a Solution of the round problem."""
        table = build_candidates(problem)
        index = problem.index
        base = self._problem.index
        layout = self._table.layout
        wanted = (
            np.array([index.need_position[base.need_ids[n]] for n in layout.need[rows].tolist()])
            * index.n_orgs
            + layout.org[rows]
        ).astype(np.int64)
        keys = table.need * index.n_orgs + table.org
        at = np.searchsorted(keys, np.sort(wanted))
        objective = float(table.score[np.sort(at)].sum())
        result = SolverResult(Status.OPTIMAL, np.sort(at), objective, objective, {})
        return assemble(problem, table, result, "dispatch" if method != "solve" else "auto")

    def _exclusions(self, n: int) -> str:
        problem = self._problem
        orgs = np.arange(problem.index.n_orgs, dtype=np.int64)
        codes = Counter(ineligibility(problem, n, orgs).tolist())
        parts = [f"{RULES[c - 1]} removes {codes[c]}" for c in sorted(codes) if c]
        return "no eligible organization" + (": " + ", ".join(parts) if parts else "")


class _Log(Protocol):
    """Where :meth:`Dispatch.from_store` reads a dispatch: its whole document by id."""

    def document(self, dispatch_id: str) -> str: ...


@dataclass(frozen=True)
class _RoundInputs:
    """What the round problem is made of, taken when a proposal is made."""

    pinned: tuple[tuple[str, str], ...]
    pending: tuple[tuple[str, str], ...]
    declined: tuple[tuple[str, str], ...]
    cancelled: frozenset[str]
    acceptance: FloatArray  # per (organization, category)


def _sequence(name: str, values: Any) -> Sequence[Any]:
    """``values`` as a list, or an :class:`OptionError` when it is not a list-like of items."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise OptionError.of("error.not_list", name=name, kind=type(values).__name__)
    return list(values)


def _checked(model: type[_M], value: Any, at: tuple[int | str, ...]) -> _M:
    """``value`` as a ``model``, or a :class:`ProblemError` with paths below ``at``."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as error:
        raise ProblemError(_field_issues(error, at)) from None


def _read_list(model: type[_M], name: str) -> Callable[[Any], list[_M]]:
    """A reader of a list of ``model`` at ``name`` in a dispatch document (absent: empty)."""

    def read(data: Any) -> list[_M]:
        if not isinstance(data, list):
            raise ProblemError([Issue.of(name, "error.must_be_list", kind=type(data).__name__)])
        issues, items = [], []
        for i, item in enumerate(data):
            try:
                items.append(_checked(model, item, (name, i)))
            except ProblemError as error:
                issues.extend(error.issues)
        if issues:
            raise ProblemError(issues)
        return items

    return read


#: The sections of a dispatch document besides ``version``: how each is read, and what an absent
#: one means (``null`` is not absent: it is an error where a list or an object is due).
_SECTIONS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "problem": (Problem.model_validate, None),
    "prior": (lambda data: _checked(AcceptancePrior, data, ("prior",)), {}),
    "history": (_read_list(AcceptanceCount, "history"), []),
    "events": (lambda data: load_events(data, ("events",)), []),
}


def _check_ids(kind: type[Model] | None, need_id: Any, org_id: Any) -> None:
    """A command's ids must be text: a :class:`TransitionError` (an unknown pair for ``None``)."""
    for name, value in (("need_id", need_id), ("org_id", org_id)):
        if not isinstance(value, str):
            what = f"invalid {kind.__name__.lower()} event" if kind else "not a candidate pair"
            error = TransitionError if kind else UnknownIdError
            raise error(f"{what}: {name} must be text, not {type(value).__name__}")


def _check_problem(problem: Problem) -> None:
    carried = [name for name in ("pinned", "declined", "pending") if getattr(problem, name)]
    if carried:
        raise OptionError.of("error.dispatch_round_state", fields=", ".join(carried))
    partners = [n.id for n in problem.needs if getattr(n, "partners", 1) > 1]
    if partners:
        raise OptionError.of(
            "error.dispatch_partners",
            need=partners[0],
            partners=problem.need(partners[0]).partners,
        )


def _network_shaped(problem: Problem) -> bool:
    """Whether the round is a plain capacity-constrained assignment (min-cost flow is exact)."""
    return not needs_rules(problem)
