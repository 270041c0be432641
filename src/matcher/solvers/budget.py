"""One call's allowance of work and of wall-clock time, shared by every phase of a solve.

A plan must depend on the problem, the options and the seed, never on how busy the machine is.
So searches stop on *work*, counted in CP-SAT's deterministic time (its own measure of the work
done; on the rules models here one unit is about two seconds of search on a quiet core): a call's
work is :data:`WORK_PER_SECOND` units per second of ``time_limit``, and every CP-SAT search
spends from it.
Other phases stop on counts (rounds, branch-and-bound nodes) that do not depend on the clock.

The wall clock is a safety cap only: when it stops a phase before its work is done, the plan may
differ from a quiet run, and :attr:`Budget.capped` says which phases it stopped
(``solution.stats["time_capped"]``). Each call makes its own budget; nothing is shared between
calls or threads.

Examples
--------
>>> budget = Budget.start(time_limit=10.0)
>>> budget.work
1.0
>>> budget.spend(2.0)
>>> budget.work
0.0
>>> budget.cap("cpsat")
>>> budget.capped
['cpsat']
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_module

if TYPE_CHECKING:
    from ortools.sat.python import cp_model
else:
    cp_model = lazy_module("ortools.sat.python.cp_model")  # with pandas: imported on first use

__all__ = ["WORK_PER_SECOND", "Budget"]

#: Deterministic work units a call may spend per second of its ``time_limit``. At a tenth of a
#: unit a second, searches take about a fifth of the limit on a quiet machine, so they end before
#: the cap on one several times as busy (the 2023 plan's rules at 1,000 needs are proven with
#: 0.54 units: ``time_limit=10`` gives 1).
WORK_PER_SECOND = 0.1


@dataclass(eq=False)
class Budget:
    """Work left for the phases that draw on it, the wall-clock deadline and what hit it.

    Parameters
    ----------
    work
        Deterministic work units left (CP-SAT's deterministic time).
    deadline
        :func:`time.perf_counter` value at which every phase stops, whatever its work.
    capped
        Names of the phases the deadline stopped.
    """

    work: float
    deadline: float
    capped: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, time_limit: float, work: float | None = None) -> Budget:
        """A call's budget: ``time_limit`` seconds from now and ``work`` units (by default
        :data:`WORK_PER_SECOND` per second of the limit, so the same options give the same work).
        """
        if work is None:
            work = WORK_PER_SECOND * time_limit
        return cls(work=float(work), deadline=time.perf_counter() + time_limit)

    def seconds_left(self) -> float:
        """Wall-clock seconds before the deadline (never negative)."""
        return max(0.0, self.deadline - time.perf_counter())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.perf_counter() >= self.deadline

    def part(self, share: float) -> Budget:
        """A budget for one phase: ``share`` of the seconds left, the work left, and the caps
        recorded here too.

        >>> whole = Budget.start(10.0)
        >>> half = whole.part(0.5)
        >>> half.seconds_left() <= 5.0 and half.capped is whole.capped
        True
        """
        deadline = min(self.deadline, time.perf_counter() + share * self.seconds_left())
        return Budget(work=self.work, deadline=deadline, capped=self.capped)

    def spend(self, work: float) -> None:
        """Take ``work`` units off what is left."""
        self.work = max(0.0, self.work - work)

    def cap(self, phase: str) -> None:
        """Record that the deadline stopped ``phase`` before its work was done."""
        if phase not in self.capped:
            self.capped.append(phase)

    def run_cpsat(
        self,
        solver: cp_model.CpSolver,
        model: cp_model.CpModel,
        phase: str,
        *,
        work: float | None = None,
    ) -> Any:
        """``solver.solve(model)`` on the work left (at most ``work``), capped at the deadline.

        What the search used is spent. A search that stops unproven before its work is done was
        stopped by the clock: ``phase`` is recorded in :attr:`capped`.
        """
        limit = max(self.work if work is None else min(self.work, work), 1e-3)
        solver.parameters.max_deterministic_time = limit
        solver.parameters.max_time_in_seconds = max(self.seconds_left(), 1e-3)
        code = solver.solve(model)
        used = float(solver.deterministic_time)
        self.spend(used)
        if code in (cp_model.FEASIBLE, cp_model.UNKNOWN) and used < 0.999 * limit:
            self.cap(phase)
        return code
