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
project slot at ``o`` would add to the plan.

Warm re-dispatch
----------------
After a few offers are declined, the plan that keeps every other offer is checked, with the previous
round's prices, against the new round's scores. Only the needs and organizations that break a
condition are re-solved (min-cost flow on the sub-network they span, the rest of the plan held in
place), their organizations' prices are recomputed, and the check is repeated on the pairs that
touch them; a broken condition at a region organization is traced along the chain of best bids to
the needs that cause it. The region only grows, so the loop ends: every condition holds -- the
combined plan is then optimal for the whole round, with the prices as certificate -- or the region
passes a bound and the round is solved cold. Scores are integers on one fixed scale per dispatch,
so the certificate is exact arithmetic. Many changes at once (hundreds of declines spread over a
province) touch so much of the network that a cold flow is faster: :func:`solve_round` goes cold
straight away when the first check finds more than ``max_start`` broken needs and organizations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from ..errors import SolverError
from ..solvers.base import integer_scores

__all__ = ["Layout", "RoundOutcome", "integer_scale", "solve_round"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
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

    def rows_of_needs(self, needs: IntArray) -> IntArray:
        """Rows of the given needs, need by need."""
        return _slices(self.need_start, needs, None)

    def rows_of_orgs(self, orgs: IntArray) -> IntArray:
        """Rows of the given organizations, grouped by organization in the given order."""
        return _slices(self.org_start, orgs, self.by_org)


def _slices(start: IntArray, ids: IntArray, order: IntArray | None) -> IntArray:
    lo, hi = start[ids], start[ids + 1]
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(total)
    return offsets if order is None else order[offsets]


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
        ``kept`` (the kept plan was already optimal), ``warm`` (a region was re-solved) or
        ``cold`` (the whole round was solved).
    stats
        Sizes and times: needs and organizations re-solved, loop iterations, seconds per phase.
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
    max_share: float = 0.1,
    max_iterations: int = 20,
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
        Go cold at once when the first check breaks more needs and organizations than this
        (default: 20 plus 2% of the needs).
    max_share, max_iterations
        Go cold when the region passes this share of the needs (and ``max_start``), or the loop
        this many rounds.

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
        limit = max_start if max_start is not None else 20 + layout.n_needs // 50
        try:
            return _warm(
                layout, score, active, capacity, keep, prices, started,
                max_start=limit, max_share=max_share, max_iterations=max_iterations,
            )  # fmt: skip
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
    sizes = (layout.n_needs, layout.n_orgs)
    chosen = _flow(layout.need[rows], layout.org[rows], score[rows], capacity, sizes)
    row_of[layout.need[rows[chosen]]] = rows[chosen]
    solved = time.perf_counter()
    everyone = np.ones(layout.n_orgs, bool)
    try:
        prices, _, iterations = _least_prices(
            layout, score, active, row_of, np.zeros(layout.n_orgs, np.int64), everyone
        )
    except Diverged:  # pragma: no cover - the flow plan is optimal, so prices settle
        prices, iterations = np.zeros(layout.n_orgs, np.int64), -1
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


def _flow(
    need: IntArray,
    org: IntArray,
    score: IntArray,
    capacity: IntArray,
    sizes: tuple[int, int] | None = None,
) -> IntArray:
    """Positions (into the given pairs) of a best assignment, by min-cost flow.

    The network is the core's: source -> need -> organization -> sink with a free bypass. With
    ``sizes`` (needs, organizations) nodes are numbered as given; otherwise needs and
    organizations are renumbered to those the pairs use (a region's sub-network).
    """
    positive = np.flatnonzero(score > 0)
    if positive.size == 0:
        return positive
    if sizes is None:
        needs, need_local = np.unique(need[positive], return_inverse=True)
        orgs, org_local = np.unique(org[positive], return_inverse=True)
    else:
        needs, need_local = np.arange(sizes[0]), need[positive]
        orgs, org_local = np.arange(sizes[1]), org[positive]
    n, m = needs.size, orgs.size
    source, sink = 0, n + m + 1
    tails = np.concatenate([np.zeros(n, np.int64), need_local + 1, np.arange(n + 1, n + m + 1)])
    heads = np.concatenate([np.arange(1, n + 1), org_local + n + 1, np.full(m, sink)])
    caps = np.concatenate([np.ones(n + positive.size, np.int64), capacity[orgs]])
    costs = np.concatenate([np.zeros(n, np.int64), -score[positive], np.zeros(m, np.int64)])
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(
        np.append(tails, source), np.append(heads, sink), np.append(caps, n), np.append(costs, 0)
    )
    network.set_nodes_supplies(np.array([source, sink]), np.array([n, -n]))
    status = network.solve()
    if status != network.OPTIMAL:
        raise SolverError(f"min-cost flow failed with status {status!r}")
    flows = network.flows(np.arange(n, n + positive.size))
    return np.sort(positive[flows > 0])


# --- prices -------------------------------------------------------------------------------------


def _surplus(layout: Layout, score: IntArray, row_of: IntArray, prices: IntArray) -> IntArray:
    """Each need's surplus ``u``: its pair's score less its organization's price; 0 if unassigned."""
    u = np.zeros(layout.n_needs, np.int64)
    assigned = np.flatnonzero(row_of >= 0)
    rows = row_of[assigned]
    u[assigned] = score[rows] - prices[layout.org[rows]]
    return u


class Diverged(Exception):
    """Prices keep rising around a cycle: the plan improves by moving needs these :attr:`orgs` hold."""

    def __init__(self, orgs: IntArray) -> None:
        super().__init__("prices do not settle")
        self.orgs = orgs


def _least_prices(
    layout: Layout,
    score: IntArray,
    active: BoolArray,
    row_of: IntArray,
    prices: IntArray,
    free: BoolArray,
    *,
    max_passes: int | None = None,
) -> tuple[IntArray, IntArray, int]:
    """The least prices of the ``free`` organizations, the others' held fixed.

    Each free organization's price is the largest of 0 and the bids ``s[n, o] - u[n]`` over the
    active pairs of needs not assigned to it, where ``u`` of a need held by a free organization
    moves with that organization's price: Bellman-Ford for longest paths, from 0, in numpy passes
    that only revisit bids whose holder's price rose. It settles after as many passes as the
    longest chain of displacements. Prices that keep rising mean the plan can be improved: the
    needs whose bids drive them are raised with :class:`Diverged`.

    Returns
    -------
    (prices, bid, passes)
        ``bid[o]`` is the row whose bid set ``o``'s price (-1 where the price is 0 or ``o`` is
        not free): following bids back leads to the need that makes an organization dear.
    """
    orgs = np.flatnonzero(free)
    prices = prices.copy()
    prices[orgs] = 0
    bid = np.full(layout.n_orgs, -1, np.int64)
    rows = layout.rows_of_orgs(orgs)
    own = row_of[layout.need[rows]]
    rows, own = rows[active[rows] & (own != rows)], own[active[rows] & (own != rows)]
    if rows.size == 0:
        return prices, bid, 0
    head = layout.org[rows]
    holder = np.where(own >= 0, layout.org[np.maximum(own, 0)], -1)
    # bid = s[row] - u[need]; u = own score less the holder's price (0 when unassigned)
    base = score[rows] - np.where(own >= 0, score[np.maximum(own, 0)], 0)
    moving = (holder >= 0) & free[np.maximum(holder, 0)]
    fixed = ~moving & (holder >= 0)
    base[fixed] += prices[holder[fixed]]
    arcs = np.arange(rows.size)
    moving_arcs = np.flatnonzero(moving)
    moving_tail = holder[moving_arcs]
    limit = max_passes if max_passes is not None else orgs.size + 2
    passes = 0
    late = np.zeros(layout.n_orgs, bool)  # organizations that rose in the second half
    # Rows come grouped by organization (ascending), and so does any subset of them: each pass
    # takes group maxima with reduceat, and the first row reaching the maximum records the bid.
    while arcs.size:
        passes += 1
        candidate = base[arcs] + np.where(moving[arcs], prices[np.maximum(holder[arcs], 0)], 0)
        heads = head[arcs]
        starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
        group_heads = heads[starts]
        best = np.maximum.reduceat(candidate, starts)
        up = best > prices[group_heads]
        if not up.any():
            break
        group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, heads.size]))
        hits = np.flatnonzero(up[group] & (candidate == best[group]))
        first = hits[np.r_[True, group[hits][1:] != group[hits][:-1]]]
        bid[heads[first]] = rows[arcs[first]]
        rose = group_heads[up]
        prices[rose] = best[up]
        if 2 * passes > limit:
            late[rose] = True
        if passes >= limit:
            raise Diverged(np.flatnonzero(late))
        changed = np.zeros(layout.n_orgs, bool)
        changed[rose] = True
        arcs = moving_arcs[changed[moving_tail]]
    return prices, bid, passes


# --- checks -------------------------------------------------------------------------------------


@dataclass
class _Region:
    needs: BoolArray
    orgs: BoolArray

    def size(self) -> tuple[int, int]:
        return int(self.needs.sum()), int(self.orgs.sum())


def _violations(
    layout: Layout,
    score: IntArray,
    rows: IntArray,
    row_of: IntArray,
    prices: IntArray,
    capacity: IntArray,
    region: _Region,
) -> bool:
    """Mark the needs and organizations of every broken condition on ``rows``; any found?

    Conditions: ``u[n] + v[o] >= s`` on each row, ``u >= 0`` for assigned needs, ``v = 0`` where
    an organization has room. Organizations of broken rows and needs of broken rows join the
    region; so do organizations with a positive price and room, and needs with negative surplus.
    """
    u = _surplus(layout, score, row_of, prices)
    broken = _most_broken(layout, score, rows, u, prices)
    found = bool(broken.size)
    region.needs[layout.need[broken]] = True
    region.orgs[layout.org[broken]] = True
    assigned = row_of >= 0
    negative = assigned & (u < 0)
    if negative.any():
        found = True
        region.needs[negative] = True
    load = np.bincount(layout.org[row_of[assigned]], minlength=layout.n_orgs)
    idle = (load < capacity) & (prices > 0)
    if idle.any():
        found = True
        region.orgs[idle] = True
    return found


def _close(layout: Layout, row_of: IntArray, region: _Region) -> None:
    """Add the organizations that hold the region's needs (so that releasing them frees room)."""
    held = np.flatnonzero(region.needs & (row_of >= 0))
    region.orgs[layout.org[row_of[held]]] = True


# --- warm ---------------------------------------------------------------------------------------


def _warm(
    layout: Layout,
    score: IntArray,
    active: BoolArray,
    capacity: IntArray,
    keep: IntArray,
    prices: IntArray,
    started: float,
    *,
    max_start: int,
    max_share: float,
    max_iterations: int,
) -> RoundOutcome:
    # A pair that is no longer active, or no longer adds score, leaves the kept plan.
    kept = np.maximum(keep, 0)
    row_of = np.where((keep >= 0) & active[kept] & (score[kept] > 0), keep, -1)
    load = np.bincount(layout.org[row_of[row_of >= 0]], minlength=layout.n_orgs)
    if (load > capacity).any():
        raise NoCertificate("the kept plan exceeds a capacity")
    prices = np.maximum(prices, 0)
    region = _Region(np.zeros(layout.n_needs, bool), np.zeros(layout.n_orgs, bool))
    all_rows = np.flatnonzero(active)
    if not _violations(layout, score, all_rows, row_of, prices, capacity, region):
        return RoundOutcome(
            row_of,
            prices,
            "kept",
            {
                "needs_resolved": 0,
                "orgs_resolved": 0,
                "iterations": 0,
                "total_seconds": time.perf_counter() - started,
            },
        )
    broken = int(region.needs.sum() + region.orgs.sum())
    if broken > max_start:
        raise NoCertificate(f"{broken} needs and organizations break the kept plan's prices")
    limit = max(max_share * layout.n_needs, max_start)
    iterations = 0
    passes = 0
    flow_seconds = prices_seconds = 0.0
    while True:
        iterations += 1
        if iterations > max_iterations:
            raise NoCertificate(f"no certificate after {max_iterations} re-solves")
        _close(layout, row_of, region)
        if region.needs.sum() > limit:
            raise NoCertificate(f"the region to re-solve passed {max_share:.0%} of the needs")
        needs = np.flatnonzero(region.needs)
        rows = layout.rows_of_needs(needs)
        inside = rows[active[rows] & region.orgs[layout.org[rows]]]
        # Needs outside the region keep their organization and its room.
        outside = np.flatnonzero(~region.needs & (row_of >= 0))
        room = capacity - np.bincount(layout.org[row_of[outside]], minlength=layout.n_orgs)
        t0 = time.perf_counter()
        chosen = _flow(layout.need[inside], layout.org[inside], score[inside], room)
        row_of[needs] = -1
        row_of[layout.need[inside[chosen]]] = inside[chosen]
        t1 = time.perf_counter()
        try:
            prices, bid, k = _least_prices(
                layout, score, active, row_of, prices, region.orgs, max_passes=MAX_PASSES
            )
        except Diverged as diverged:
            # A cycle of bids through needs held in place: let the rising organizations' needs move.
            holder = np.where(row_of >= 0, layout.org[np.maximum(row_of, 0)], -1)
            rising = np.zeros(layout.n_orgs, bool)
            rising[diverged.orgs] = True
            fresh = (holder >= 0) & rising[np.maximum(holder, 0)] & ~region.needs
            if not fresh.any():
                raise NoCertificate("prices do not settle inside the region") from None
            region.needs |= fresh
            passes += MAX_PASSES
            continue
        passes += k
        t2 = time.perf_counter()
        flow_seconds += t1 - t0
        prices_seconds += t2 - t1
        grown = _grow(
            layout, score, active, capacity, row_of, prices, bid, region,
            per_need=PER_NEED << min(iterations, 16),
        )  # fmt: skip
        if not grown:
            break
    needs_resolved, orgs_resolved = region.size()
    return RoundOutcome(
        row_of,
        prices,
        "warm",
        {
            "needs_resolved": needs_resolved,
            "orgs_resolved": orgs_resolved,
            "iterations": iterations,
            "price_passes": passes,
            "flow_seconds": flow_seconds,
            "prices_seconds": prices_seconds,
            "total_seconds": time.perf_counter() - started,
        },
    )


def _grow(
    layout: Layout,
    score: IntArray,
    active: BoolArray,
    capacity: IntArray,
    row_of: IntArray,
    prices: IntArray,
    bid: IntArray,
    region: _Region,
    *,
    per_need: int,
) -> bool:
    """After a re-solve: add what still breaks a condition to the region; whether anything did.

    Every pair into a region organization holds by construction (its price is the least solution
    of exactly those constraints). Left to check: the pairs from the region's needs, and from needs
    that region organizations hold, to organizations outside the region; a price above a held
    need's score; a positive price with room. The last two are caused by a need that bids for the
    organization: following the chain of best bids back finds it, and it joins the region together
    with the needs it would displace.
    """
    solved = _Region(region.needs.copy(), region.orgs.copy())
    u = _surplus(layout, score, row_of, prices)
    assigned = row_of >= 0
    holder = np.where(assigned, layout.org[np.maximum(row_of, 0)], -1)
    held = assigned & solved.orgs[np.maximum(holder, 0)]
    load = np.bincount(holder[assigned], minlength=layout.n_orgs)
    negative = held & (u < 0)
    over = np.zeros(layout.n_orgs, bool)
    over[holder[negative]] = True
    over |= solved.orgs & (load < capacity) & (prices > 0)
    for o in np.flatnonzero(over).tolist():
        region.needs[_trace(layout, row_of, bid, solved, o)] = True
    region.needs |= negative
    if over.any() and region.size() == solved.size():
        raise NoCertificate("a region need bids against its own plan")

    needs = np.flatnonzero(solved.needs | held)
    rows = layout.rows_of_needs(needs)
    rows = rows[active[rows] & ~solved.orgs[layout.org[rows]]]
    broken = _most_broken(layout, score, rows, u, prices, per_need)
    region.needs[layout.need[broken]] = True
    region.orgs[layout.org[broken]] = True
    return bool(over.any() or negative.any() or broken.size)


#: Passes after which rising prices in a warm region count as a plan to improve.
MAX_PASSES = 40

#: How many of a need's broken pairs join the region at first (the most broken first); the number
#: doubles with each re-solve, so that a need scanning many organizations does not take long.
PER_NEED = 2


def _most_broken(
    layout: Layout,
    score: IntArray,
    rows: IntArray,
    u: IntArray,
    prices: IntArray,
    per_need: int = PER_NEED,
) -> IntArray:
    """Rows among ``rows`` with ``u + v < s``, the ``per_need`` most broken of each need."""
    need = layout.need[rows]
    excess = score[rows] - u[need] - prices[layout.org[rows]]
    hit = excess > 0
    rows, need, excess = rows[hit], need[hit], excess[hit]
    if rows.size == 0:
        return rows
    order = np.lexsort((rows, -excess, need))
    rows, need = rows[order], need[order]
    first = np.r_[True, need[1:] != need[:-1]]
    rank = np.arange(rows.size) - np.maximum.accumulate(np.where(first, np.arange(rows.size), 0))
    return rows[rank < per_need]


def _trace(layout: Layout, row_of: IntArray, bid: IntArray, solved: _Region, org: int) -> list[int]:
    """Follow best bids from ``org`` back; the needs outside the region met on the way.

    A bid chain runs organization -> the need whose bid sets its price -> the organization that
    holds that need -> ... and ends at a need that is unassigned or held where the price is fixed
    or 0. Any need on it that is held in place (outside the region) may be what keeps the price
    up, so all of them join the region.
    """
    found: list[int] = []
    for _ in range(layout.n_orgs + 1):
        row = int(bid[org])
        if row < 0:
            break
        need = int(layout.need[row])
        if not solved.needs[need]:
            found.append(need)
        own = int(row_of[need])
        holder = int(layout.org[own]) if own >= 0 else -1
        if holder < 0 or not solved.orgs[holder] or bid[holder] < 0:
            break
        org = holder
    return found
