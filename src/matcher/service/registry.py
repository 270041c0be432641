"""The dispatches a server holds: each one replayed from the store once, then kept in step with it.

A write takes the dispatch's lock, reads the events other processes appended since (one indexed
query), checks the sequence number the writer expects, runs the command on the dispatch (which
refuses an impossible one before changing anything) and appends the new events through the store,
together with the request's idempotency record. When the store refuses (another process came
first), the dispatch is dropped and replayed on its next use: memory never runs ahead of the
database.

Explanations read the plan the dispatch's next round would make (:class:`RoundPlan`): it is made
once per state of the log, by the first request that asks (the others wait for it), and kept with
its prepared explainer until the next event, for the most recently explained dispatches
(:class:`RoundPlans`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from ..dispatch import Dispatch, DispatchState
from ..dispatch.errors import TransitionError
from ..explain import Explainer, explainer_for
from ..models import Problem
from ..plan.solution import Solution
from ..solving import solve
from .guards import ServiceError, Ticket
from .store import EventStore, Remembered, StaleSequenceError, UnknownDispatchError

__all__ = ["Registry", "RoundPlan", "RoundPlans"]

T = TypeVar("T")
R = TypeVar("R")

#: Dispatches a server holds in memory at most (the least recently used is dropped first).
KEPT = 32

#: Dispatches whose round plan a server keeps for explanations, by default.
PLANS = 8

#: Runs of a write that named no position, while other processes come first.
_ATTEMPTS = 5


@dataclass(frozen=True)
class RoundPlan:
    """The plan the dispatch's next round would make once its log held ``seq`` events.

    Attributes
    ----------
    seq
        The number of events in the log: any later event calls for another plan.
    problem, solution
        The round's problem (:meth:`~matcher.dispatch.Dispatch.round_problem`) and the plan
        :func:`matcher.solve` makes for it.
    explainer
        The plan's explainer, prepared: explaining one need reads what it holds.
    """

    seq: int
    problem: Problem
    solution: Solution
    explainer: Explainer


class RoundPlans:
    """The latest round plan of at most ``kept`` dispatches; the least recently used is dropped.

    A plan is held as a future from the moment one request claims it: the requests that come
    while it is made wait for it instead of making it again.
    """

    def __init__(self, kept: int = PLANS) -> None:
        self.kept = kept
        self._guard = threading.Lock()
        self._plans: OrderedDict[str, tuple[int, Future[RoundPlan]]] = OrderedDict()

    def claim(self, dispatch_id: str, seq: int) -> tuple[Future[RoundPlan], bool]:
        """The dispatch's plan at ``seq``, and whether the caller makes it (it was not claimed)."""
        with self._guard:
            found = self._plans.get(dispatch_id)
            if found is not None and found[0] == seq:
                self._plans.move_to_end(dispatch_id)
                return found[1], False
            future: Future[RoundPlan] = Future()
            self._plans[dispatch_id] = (seq, future)  # an older round's plan is dropped
            self._plans.move_to_end(dispatch_id)
            while len(self._plans) > self.kept:
                self._plans.popitem(last=False)
            return future, True

    def forget(self, dispatch_id: str, future: Future[RoundPlan]) -> None:
        """Drop the claim ``future`` (one that failed), unless a newer one replaced it."""
        with self._guard:
            found = self._plans.get(dispatch_id)
            if found is not None and found[1] is future:
                del self._plans[dispatch_id]

    def held(self) -> list[str]:
        """The dispatches whose plan is held or being made, least recently used first."""
        with self._guard:
            return list(self._plans)


class Registry:
    """Dispatches by id, read from and written through ``store``; with the round plans of the
    ``plans`` most recently explained."""

    def __init__(self, store: EventStore, plans: int = PLANS) -> None:
        self.store = store
        self.plans = RoundPlans(plans)
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._cache: OrderedDict[str, Dispatch] = OrderedDict()  # least recently used first

    @contextmanager
    def _lock(self, dispatch_id: str) -> Iterator[None]:
        """Hold the dispatch's lock; the lock of an id the store does not know is not kept."""
        with self._guard:
            lock = self._locks.setdefault(dispatch_id, threading.Lock())
        with lock:
            try:
                yield
            except UnknownDispatchError:
                with self._guard:
                    self._locks.pop(dispatch_id, None)
                raise

    def _current(self, dispatch_id: str) -> Dispatch:
        """The dispatch with every stored event (call with its lock held)."""
        with self._guard:
            dispatch = self._cache.get(dispatch_id)
            if dispatch is not None:
                self._cache.move_to_end(dispatch_id)
        if dispatch is None:
            dispatch = Dispatch.from_store(self.store, dispatch_id)
            self._keep(dispatch_id, dispatch)
            return dispatch
        try:
            for event in self.store.events(dispatch_id, after=len(dispatch.events) - 1):
                dispatch.record(event)
        except TransitionError:  # pragma: no cover - the store holds only checked events
            self._drop(dispatch_id)
            return self._current(dispatch_id)
        return dispatch

    def _keep(self, dispatch_id: str, dispatch: Dispatch) -> None:
        """Hold ``dispatch`` in memory, dropping the least recently used beyond :data:`KEPT`."""
        with self._guard:
            self._cache[dispatch_id] = dispatch
            self._cache.move_to_end(dispatch_id)
            while len(self._cache) > KEPT:
                self._cache.popitem(last=False)  # replayed from the store on its next use

    def _drop(self, dispatch_id: str) -> None:
        with self._guard:
            self._cache.pop(dispatch_id, None)

    def create(
        self, dispatch_id: str, dispatch: Dispatch, request: Remembered | None, ticket: Ticket
    ) -> None:
        """Store a new dispatch (with its idempotency record)."""
        with self._lock(dispatch_id):
            if not ticket.commit():
                return
            self.store.create(dispatch_id, dispatch, request)
            self._keep(dispatch_id, dispatch)

    def read(self, dispatch_id: str, view: Callable[[Dispatch], T]) -> T:
        """``view`` of the dispatch as the store has it now."""
        with self._lock(dispatch_id):
            return view(self._current(dispatch_id))

    def state(self, dispatch_id: str) -> DispatchState:
        """The dispatch's state as the store has it now."""
        return self.read(dispatch_id, lambda dispatch: dispatch.state)

    def round_plan(self, dispatch_id: str, check: Callable[[Dispatch], None]) -> RoundPlan:
        """The plan the dispatch's next round would make now, made once per state of its log.

        ``check`` sees the dispatch first, under its lock, and raises to refuse the request.
        The round's problem is built under the lock; the plan is solved and its explainer
        prepared outside it, by the first request for this state, while the others wait.
        """
        future, claimed = self.read(
            dispatch_id, lambda dispatch: self._claim_plan(dispatch_id, dispatch, check)
        )
        if claimed is not None:
            self._make_plan(dispatch_id, future, claimed)
        return future.result()

    def _claim_plan(
        self, dispatch_id: str, dispatch: Dispatch, check: Callable[[Dispatch], None]
    ) -> tuple[Future[RoundPlan], tuple[int, Problem] | None]:
        """The plan of the dispatch's current state, and, when the caller is to make it, the
        number of events and the round's problem (call with the dispatch's lock held)."""
        check(dispatch)
        seq = len(dispatch.events)
        future, claimed = self.plans.claim(dispatch_id, seq)
        if not claimed:
            return future, None
        try:
            problem = dispatch.round_problem()
        except BaseException as error:
            self._fail_plan(dispatch_id, future, error)
            raise
        return future, (seq, problem)

    def _make_plan(
        self, dispatch_id: str, future: Future[RoundPlan], claimed: tuple[int, Problem]
    ) -> None:
        """Solve the claimed round and prepare its explainer, for every request waiting."""
        seq, problem = claimed
        try:
            solution = solve(problem)
            explainer = explainer_for(problem, solution).prepare()
        except BaseException as error:
            self._fail_plan(dispatch_id, future, error)
            raise
        future.set_result(RoundPlan(seq, problem, solution, explainer))

    def _fail_plan(self, dispatch_id: str, future: Future[RoundPlan], error: BaseException) -> None:
        """Give the waiting requests ``error``; the next request tries again."""
        self.plans.forget(dispatch_id, future)
        future.set_exception(error)

    def write(
        self,
        dispatch_id: str,
        expected: int | None,
        command: Callable[[Dispatch], T],
        answer: Callable[[T, int, int], tuple[int, str]],
        remember: Callable[[int, str], Remembered] | None,
        replay: Callable[[], R | None],
        ticket: Ticket,
    ) -> tuple[int, str] | R:
        """Run ``command`` on the dispatch and append what it recorded, or nothing.

        Parameters
        ----------
        expected
            The sequence number the writer expects next (``None``: wherever the log stands).
        command
            Records events on the dispatch, or raises and changes nothing.
        answer
            The HTTP status and JSON body of the result, given the first and next numbers.
        remember
            Builds the idempotency record of that answer, when the request carries a key.
        replay
            The first answer to the request when it was recorded before (under its key): it is
            asked once the dispatch is up to date, under its lock, so that of two copies of one
            request the second gets the first one's answer.

        Raises
        ------
        StaleSequenceError
            When the log is not at ``expected``, or another process appended first (without
            ``expected``, the write is run again, up to 5 times).
        ServiceError
            503 ``timeout`` when the request was answered before the write could commit.
        """
        for attempt in range(_ATTEMPTS):
            try:
                return self._write(dispatch_id, expected, command, answer, remember, replay, ticket)
            except StaleSequenceError:
                # Another process appended between this one's read and its write. A writer that
                # named no position asked for wherever the log stands: run it again there.
                if expected is not None or attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(
        self,
        dispatch_id: str,
        expected: int | None,
        command: Callable[[Dispatch], T],
        answer: Callable[[T, int, int], tuple[int, str]],
        remember: Callable[[int, str], Remembered] | None,
        replay: Callable[[], R | None],
        ticket: Ticket,
    ) -> tuple[int, str] | R:
        with self._lock(dispatch_id):
            dispatch = self._current(dispatch_id)
            replayed = replay()
            if replayed is not None:
                return replayed
            first = len(dispatch.events)
            if expected is not None and expected != first:
                raise StaleSequenceError(dispatch_id, expected, first)
            result = command(dispatch)
            try:
                new = dispatch.events[first:]
                status, body = answer(result, first, first + len(new))
                request = remember(status, body) if remember is not None else None
                if not ticket.commit():
                    raise ServiceError(503, "timeout")
                self.store.append(dispatch_id, new, request, expected=first)
            except BaseException:
                self._drop(dispatch_id)  # its new events are not stored: replay it
                raise
            return status, body
