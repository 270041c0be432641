"""The exact round solver behind :meth:`Dispatch.propose`, warm-started by shadow prices.

A round is a capacity-constrained assignment: each open need takes at most one organization, each
organization at most its remaining capacity (``max_projects`` less its accepted offers). Min-cost
flow solves it exactly (the network of :mod:`matcher.solvers.flow`); this module adds what a
re-dispatch needs to be cheap *and* exact.

Shadow prices (LP duality)
--------------------------
The LP relaxation of the assignment is integral. Its dual gives each organization a price
``v[o] >= 0`` and each need a surplus ``u[n] >= 0`` with ``u[n] + v[o] >= s[n, o]`` on every
candidate pair. A plan is optimal exactly when some prices satisfy, with it, complementary
slackness: ``u[n] = s[n, a(n)] - v[a(n)] >= 0`` for an assigned need, ``u[n] = 0`` for an
unassigned one, ``v[o] = 0`` where an organization has room left. Given a plan, the least such
prices are longest-path distances over the organizations (Bellman-Ford, run as numpy passes), so one
computation both prices every organization and proves the plan optimal. ``v[o]`` is what one more
project slot at ``o`` would add to the plan. The least prices are the same for every optimal plan,
so a warm and a cold round report the same ones.

Warm re-dispatch
----------------
After a few offers are declined, the plan that keeps every other offer and the previous round's
prices are repaired together by successive shortest paths (:mod:`.augment`, compiled): each need
left without an organization and each freed slot is carried along the cheapest chain of moves, and
the prices move with it. The result is optimal for the whole round; its prices are lowered to the
least that prove it (one shortest-path pass) and checked on every pair. Scores are integers on one
fixed scale per dispatch, so the certificate is exact arithmetic. When a change breaks the kept
plan in too many places, or the paths grow past a budget of work, :func:`solve_round` solves cold
instead and says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..solvers.base import integer_scores
from ..solvers.flow import build_network, chosen_pairs
from ..solvers.prices import least_prices
from .augment import Outcome, Pairs, augment

__all__ = ["Layout", "RoundOutcome", "integer_scale", "solve_round"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Largest integer score, as the core's flow back end bounds it (no overflow in cost scaling).
_CEILING = 2.0**40


class NoCertificate(Exception):
    """The warm loop could not prove its plan optimal; the caller solves cold."""


@dataclass(frozen=True, eq=False)
class Layout:
    """Candidate pairs sorted by (need, organization), with both compressed-row indexes.

    Attributes
    ----------
    need, org
        Need and organization index of each pair (row).
    need_start
        Rows of need ``n`` are ``need_start[n]:need_start[n + 1]``.
    by_org, org_start
        Rows sorted by organization: those of ``o`` are ``by_org[org_start[o]:org_start[o + 1]]``.
    """

    n_needs: int
    n_orgs: int
    need: IntArray
    org: IntArray
    need_start: IntArray
    by_org: IntArray
    org_start: IntArray

    @classmethod
    def build(cls, n_needs: int, n_orgs: int, need: IntArray, org: IntArray) -> Layout:
        """Index pairs already sorted by (need, organization).

        Examples
        --------
        >>> layout = Layout.build(2, 2, np.array([0, 0, 1]), np.array([0, 1, 1]))
        >>> layout.need_start.tolist(), layout.by_org.tolist(), layout.org_start.tolist()
        ([0, 2, 3], [0, 1, 2], [0, 1, 3])
        """
        need_start = np.zeros(n_needs + 1, np.int64)
        np.cumsum(np.bincount(need, minlength=n_needs), out=need_start[1:])
        by_org = np.argsort(org, kind="stable").astype(np.int64)
        org_start = np.zeros(n_orgs + 1, np.int64)
        np.cumsum(np.bincount(org, minlength=n_orgs), out=org_start[1:])
        return cls(n_needs, n_orgs, need, org, need_start, by_org, org_start)

    @property
    def n_pairs(self) -> int:
        return int(self.need.size)


def integer_scale(top: float, n_nodes: int) -> float:
    """The factor that turns scores into integers for exact arithmetic and min-cost flow.

    ``top`` bounds every score's magnitude; the largest maps to at most ``min(2**40,
    2**62 / (n_nodes + 1)**2)``, as in the core's flow back end.

    Examples
    --------
    >>> integer_scale(10.0, 100) == float(np.floor(2.0**40)) / 10.0
    True
    """
    if top <= 0:
        return 1.0
    return integer_scores(np.array([top]), n_nodes, _CEILING)[1]


@dataclass(frozen=True, eq=False)
class RoundOutcome:
    """The optimal plan of a round and the prices that prove it.

    Attributes
    ----------
    row_of
        Per need, the chosen row (pair) or -1.
    prices
        Per organization, its integer shadow price (in score units times the scale).
    method
        ``kept`` (the kept plan was already optimal), ``warm`` (the kept plan was repaired) or
        ``cold`` (the whole round was solved).
    stats
        Sizes and times: needs and slots re-placed (``units``), needs that changed
        (``needs_resolved``), pairs scanned, seconds per phase.
    """

    row_of: IntArray
    prices: IntArray
    method: str
    stats: dict[str, float | int | str] = field(default_factory=dict)


def solve_round(
    layout: Layout,
    score: IntArray,
    active: BoolArray,
    capacity: IntArray,
    keep: IntArray | None = None,
    prices: IntArray | None = None,
    *,
    max_start: int | None = None,
    max_work: int | None = None,
) -> RoundOutcome:
    """Solve one round exactly, warm when a kept plan and earlier prices are given.

    Parameters
    ----------
    layout
        The candidate pairs.
    score
        Integer score of each row.
    active
        Rows that may be chosen this round (not declined, need still open, need not pinned).
    capacity
        Room left per organization this round.
    keep
        Per need, the row of its pending offer (or -1): the plan to start from; it must fit the
        capacities. Rows that are inactive or score 0 or less are dropped from it.
    prices
        Prices from an earlier round of the same dispatch (same scale), to start from.
    max_start
        Go cold at once when the change leaves more needs and slots to re-place than this
        (default: no limit; the work bound decides).
    max_work
        Go cold when the repair has scanned this many pairs (default: 30 times the pairs, plus
        100,000), about what a cold flow costs.

    Returns
    -------
    RoundOutcome
        An optimal plan with prices that certify it.

    Examples
    --------
    Two needs, one organization with room for one: the better need wins, and the slot's price is
    the loser's score (what a second slot would add).

    >>> layout = Layout.build(2, 1, np.array([0, 1]), np.array([0, 0]))
    >>> outcome = solve_round(layout, np.array([5, 3]), np.ones(2, bool), np.array([1]))
    >>> outcome.row_of.tolist(), outcome.prices.tolist(), outcome.method
    ([0, -1], [3], 'cold')
    >>> again = solve_round(layout, np.array([5, 3]), np.ones(2, bool), np.array([1]),
    ...                     keep=outcome.row_of, prices=outcome.prices)
    >>> again.method
    'kept'

    When the first need's pair is no longer active, the second takes the slot, warm:

    >>> later = solve_round(layout, np.array([5, 3]), np.array([False, True]), np.array([1]),
    ...                     keep=outcome.row_of, prices=outcome.prices)
    >>> later.row_of.tolist(), later.prices.tolist(), later.method
    ([-1, 1], [0], 'warm')
    """
    started = time.perf_counter()
    if keep is not None and prices is not None and layout.n_pairs:
        units = max_start if max_start is not None else layout.n_needs + layout.n_orgs
        work = max_work if max_work is not None else 30 * layout.n_pairs + 100_000
        try:
            outcome = _warm(layout, score, active, capacity, keep, prices, units, work)
            outcome.stats["total_seconds"] = time.perf_counter() - started
            return outcome
        except NoCertificate as reason:
            outcome = _cold(layout, score, active, capacity, started)
            outcome.stats["fallback"] = str(reason)
            return outcome
    return _cold(layout, score, active, capacity, started)


# --- cold ---------------------------------------------------------------------------------------


def _cold(
    layout: Layout, score: IntArray, active: BoolArray, capacity: IntArray, started: float
) -> RoundOutcome:
    rows = np.flatnonzero(active & (score > 0))
    row_of = np.full(layout.n_needs, -1, np.int64)
    chosen = _flow(layout.need[rows], layout.org[rows], score[rows], capacity, layout.n_needs)
    row_of[layout.need[rows[chosen]]] = rows[chosen]
    solved = time.perf_counter()
    prices, iterations = _least_prices(layout, score, rows, row_of)
    finished = time.perf_counter()
    return RoundOutcome(
        row_of,
        prices,
        "cold",
        {
            "needs_resolved": layout.n_needs,
            "orgs_resolved": layout.n_orgs,
            "iterations": 1,
            "price_passes": iterations,
            "flow_seconds": solved - started,
            "prices_seconds": finished - solved,
            "total_seconds": finished - started,
        },
    )


def _least_prices(
    layout: Layout, score: IntArray, rows: IntArray, row_of: IntArray
) -> tuple[IntArray, int]:
    """The least prices that prove the optimal plan ``row_of`` on the usable ``rows``
    (:func:`~matcher.solvers.prices.least_prices`), and the passes they took."""
    usable = np.zeros(layout.n_pairs, bool)
    usable[rows] = True
    found = least_prices(
        layout.need, layout.org, score, row_of[row_of >= 0],
        n_needs=layout.n_needs, n_orgs=layout.n_orgs, by_org=layout.by_org[usable[layout.by_org]],
    )  # fmt: skip
    if found is None:  # pragma: no cover - the flow plan is optimal, so prices settle
        return np.zeros(layout.n_orgs, np.int64), -1
    return found.price, found.passes


def _flow(
    need: IntArray, org: IntArray, score: IntArray, capacity: IntArray, n_needs: int
) -> IntArray:
    """Positions (into the given pairs) of a best assignment, by min-cost flow.

    The network is the flow back end's (:func:`~matcher.solvers.flow.build_network`).
    """
    positive = np.flatnonzero(score > 0)
    if positive.size == 0:
        return positive
    network = build_network(n_needs, capacity, need[positive], org[positive], score[positive])
    return np.sort(positive[chosen_pairs(network, n_needs, positive.size)])


# --- warm ---------------------------------------------------------------------------------------


def _warm(
    layout: Layout,
    score: IntArray,
    active: BoolArray,
    capacity: IntArray,
    keep: IntArray,
    prices: IntArray,
    max_units: int,
    max_work: int,
) -> RoundOutcome:
    # A pair that is no longer active, or no longer adds score, leaves the kept plan.
    usable = active & (score > 0)
    row_of = np.where((keep >= 0) & usable[np.maximum(keep, 0)], keep, -1)
    pairs = Pairs(
        layout.need_start, layout.need, layout.org, layout.by_org, layout.org_start,
        score, usable, capacity,
    )  # fmt: skip
    repaired = augment(pairs, row_of, prices, max_units=max_units, max_work=max_work)
    if repaired.status is Outcome.TOO_MANY_UNITS:
        raise NoCertificate(f"{repaired.units} needs and slots break the kept plan's prices")
    if repaired.status is Outcome.TOO_MUCH_WORK:
        raise NoCertificate(f"the repair scanned more than {max_work:,} pairs")
    if repaired.status is Outcome.OVER_CAPACITY:
        raise NoCertificate("the kept plan exceeds a capacity")
    if repaired.status is not Outcome.OPTIMAL:  # pragma: no cover - the kernel checks it
        raise NoCertificate("the repaired plan failed its optimality check")
    changed = int((repaired.row_of != row_of).sum())
    return RoundOutcome(
        repaired.row_of,
        repaired.prices,
        "warm" if repaired.units else "kept",
        {
            "units": repaired.units,
            "needs_resolved": changed,
            "pairs_scanned": repaired.work,
        },
    )
