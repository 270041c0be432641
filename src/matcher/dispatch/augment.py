"""Shortest augmenting paths from a priced plan: the compiled kernel of a warm re-dispatch.

After a few offers are declined, the previous round's plan and prices are almost optimal: a few
needs lost their organization, a few organizations a slot. This module repairs exactly that, in
time proportional to the repair rather than to the province.

The network
-----------
A round is the min-cost flow of :mod:`matcher.solvers.flow`: each need sends one unit either to an
organization (cost ``-s``, one arc per candidate pair) or straight to the sink ``T`` (unassigned);
organization ``o`` forwards at most ``capacity[o]`` units to ``T``. Node potentials ``p`` price it:
the reduced cost of an arc ``i -> j`` of cost ``c`` is ``c + p[i] - p[j]``. Starting from ``p[T] =
0``, ``p[o] = -v[o]`` (the organization's shadow price) and ``p[n] = u[n]`` (the need's best surplus
at those prices), every residual arc has a reduced cost ``>= 0`` except where the change broke the
plan, and each break is repaired by moving flow off it:

- a need with a positive surplus left without an organization has a unit to place (an *excess*);
- an organization with a positive price and a free slot fills the slot from the sink (a *deficit*
  there, a unit of excess at the sink);
- a kept pair that is no longer the need's best frees the need (excess) and the slot (deficit).

Successive shortest paths then carry the excess to the deficits with Dijkstra on reduced costs,
moving the potentials by the distances so that every reduced cost stays ``>= 0``. When no excess
is left, the flow is an optimal plan and the potentials are its proof: the prices ``v[o] = p[T] -
p[o]`` and surpluses ``u[n] = p[n] - p[T]`` satisfy complementary slackness, which :func:`augment`
checks again from scratch on every pair before it answers.

Keeping each search local
-------------------------
The sink is a hub: every unassigned need and every organization with room or a price of 0 is next
to it, so a search that passes through it floods the province. Two phases avoid that.

1. Each need with a unit searches forward to the nearest deficit *or the sink*, which takes any
   number of units, so no search goes through it. Potentials only fall in this phase, so each
   need's rows are read lazily, best bid at the starting prices first: ``p[n] - bid`` bounds a
   row's reduced cost from below, and a search stops reading a need's rows beyond the nearest
   target it has seen.
2. The sink's units then go to the deficits, each deficit searching *backward* to the sink: a
   freed slot looks at the needs that bid for it and stops as soon as one of them can move.

Every unassigned need stays at the sink's potential (its surplus is 0), so the sink reaches it for
free; and an organization with room and a need keeps the sink's potential too (both arcs between
them cost 0), so its price is 0 whenever it has room.

The kernel is compiled with numba and cached on disk (beside the package, or in the user's cache
folder where that is read-only). Importing this module (``import matcher.dispatch`` does) loads it
from that cache, or compiles it once where there is none, so that a process's first re-dispatch
takes what the later ones take; ``import matcher`` alone never loads numba.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["Augmented", "Outcome", "augment"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_F = TypeVar("_F", bound=Callable[..., Any])

#: A distance no path reaches.
_INF = np.int64(2**62)

#: Outcomes of the kernel.
OPTIMAL, TOO_MANY_UNITS, TOO_MUCH_WORK, NO_CERTIFICATE, OVER_CAPACITY = range(5)


def _compiled(function: _F) -> _F:
    try:
        return cast(_F, numba.njit(cache=True, nogil=True)(function))
    except RuntimeError:  # pragma: no cover - nowhere to cache: compile in each process
        return cast(_F, numba.njit(nogil=True)(function))


class Outcome(StrEnum):
    """How the kernel ended, by its code (the position here): a proof, or why it stopped early."""

    OPTIMAL = "optimal"  #: ``row_of`` and ``prices`` are an optimal plan and its proof
    TOO_MANY_UNITS = "too many units"  #: the change left more excess units than allowed
    TOO_MUCH_WORK = "too much work"  #: the searches scanned more arcs than allowed
    NO_CERTIFICATE = "no certificate"  #: the final optimality check failed
    OVER_CAPACITY = "over capacity"  #: the kept plan breaks a capacity


@dataclass(frozen=True, eq=False)
class Augmented:
    """What the kernel did.

    Attributes
    ----------
    status
        :attr:`Outcome.OPTIMAL` (``row_of`` and ``prices`` are an optimal plan and its proof), or
        why it stopped early (the other :class:`Outcome` members).
    row_of
        Per need, the chosen row or -1.
    prices
        Per organization, the least price that proves the plan (0 where it has room).
    units
        Excess units the change left to place (0: the kept plan was optimal as it was).
    work
        Arcs scanned by the searches.
    """

    status: Outcome
    row_of: IntArray
    prices: IntArray
    units: int
    work: int


_OUTCOMES = tuple(Outcome)


def augment(
    need_start: IntArray,
    need: IntArray,
    org: IntArray,
    by_org: IntArray,
    org_start: IntArray,
    score: IntArray,
    usable: BoolArray,
    capacity: IntArray,
    row_of: IntArray,
    prices: IntArray,
    *,
    max_units: int,
    max_work: int,
) -> Augmented:
    """Repair a kept plan into an optimal one, starting from earlier prices.

    Parameters
    ----------
    need_start, need, org, by_org, org_start
        The candidate pairs (rows), sorted by (need, organization), with their compressed-row
        indexes by need and by organization (see :class:`matcher.dispatch.engine.Layout`).
    score
        Integer score per row.
    usable
        Rows that may be chosen (active, score above 0).
    capacity
        Room per organization.
    row_of
        The kept plan: per need a usable row or -1 (not modified).
    prices
        Earlier prices per organization, on the same integer scale.
    max_units, max_work
        Give up (status other than ``"optimal"``) when the change leaves more excess units than
        ``max_units``, or the searches scan more arcs than ``max_work``.

    Returns
    -------
    Augmented

    Examples
    --------
    Two needs, one organization with one slot held by the weaker need at price 0; the stronger
    need (free, surplus 5) takes the slot, and the slot's price becomes the loser's score:

    >>> rows = dict(need_start=np.array([0, 1, 2]), need=np.array([0, 1]), org=np.array([0, 0]),
    ...             by_org=np.array([0, 1]), org_start=np.array([0, 2]))
    >>> out = augment(**rows, score=np.array([5, 3]), usable=np.ones(2, bool),
    ...               capacity=np.array([1]), row_of=np.array([-1, 1]), prices=np.array([0]),
    ...               max_units=10, max_work=100)
    >>> out.status.value, out.row_of.tolist(), out.prices.tolist(), out.units
    ('optimal', [0, -1], [3], 1)
    """

    def ints(a: IntArray) -> IntArray:
        return np.asarray(a, np.int64)

    status, chosen, found, units, work = _repair(
        ints(need_start),
        ints(need),
        ints(org),
        ints(by_org),
        ints(org_start),
        ints(score),
        np.asarray(usable, np.bool_),
        np.asarray(capacity, np.int64),
        np.array(row_of, np.int64),  # a copy: the kernel works in place
        np.maximum(prices, 0).astype(np.int64),
        np.int64(max_units),
        np.int64(max_work),
    )
    return Augmented(_OUTCOMES[status], chosen, found, int(units), int(work))


# --- a binary heap of (distance, node), in preallocated arrays ----------------------------------


@_compiled
def _push(keys: IntArray, nodes: IntArray, size: int, key: np.int64, node: np.int64) -> int:
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] < key or (keys[parent] == key and nodes[parent] <= node):
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node
    return size + 1


@_compiled
def _pop(keys: IntArray, nodes: IntArray, size: int) -> int:
    """Remove the top (read it first); returns the new size."""
    size -= 1
    key, node = keys[size], nodes[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and (
            keys[child + 1] < keys[child]
            or (keys[child + 1] == keys[child] and nodes[child + 1] < nodes[child])
        ):
            child += 1
        if keys[child] > key or (keys[child] == key and nodes[child] >= node):
            break
        keys[i] = keys[child]
        nodes[i] = nodes[child]
        i = child
    if size > 0:
        keys[i] = key
        nodes[i] = node
    return size


# --- phase 1: forward from a need --------------------------------------------------------------


@_compiled
def _reach(
    j: int, nd: np.int64, i: int, r: int, dist: IntArray, link: IntArray, link_row: IntArray,
    touched: IntArray, n_touched: int, keys: IntArray, nodes: IntArray, heap: int,
) -> tuple[int, int]:  # fmt: skip
    """Node ``j`` is at ``nd`` through ``i`` (row ``r``): record it and queue it."""
    if dist[j] == _INF:
        touched[n_touched] = j
        n_touched += 1
    dist[j], link[j], link_row[j] = nd, i, r
    return n_touched, _push(keys, nodes, heap, nd, np.int64(j))


@_compiled
def _sort_rows(
    n: int, need_start: IntArray, usable: BoolArray, bid: IntArray, order: IntArray
) -> int:
    """Write need ``n``'s usable rows into ``order`` from ``need_start[n]``, best bid first."""
    lo, hi = int(need_start[n]), int(need_start[n + 1])
    end = lo
    for r in range(lo, hi):  # insertion sort: a need has a few dozen rows
        if usable[r]:
            k = end
            while k > lo and bid[order[k - 1]] < bid[r]:
                order[k] = order[k - 1]
                k -= 1
            order[k] = r
            end += 1
    return end


@_compiled
def _next_row(
    n: int, base: np.int64, bid: IntArray, order: IntArray, order_end: IntArray,
    cursor: IntArray, bound: np.int64, keys: IntArray, nodes: IntArray, heap: int, offset: int,
) -> int:  # fmt: skip
    """Queue need ``n``'s next row (as ``offset + n``) at the least distance it can give."""
    k = cursor[n]
    if k < order_end[n]:
        least = base - bid[order[k]]
        if least < bound:
            heap = _push(keys, nodes, heap, least, np.int64(offset + n))
    return heap


@_compiled
def _forward(
    start: int, n_needs: int, need_start: IntArray, org: IntArray, score: IntArray,
    usable: BoolArray, row_of: IntArray, p: IntArray, excess: IntArray, forward: IntArray,
    room: IntArray, load: IntArray, slots: IntArray, slot_start: IntArray, bid: IntArray,
    order: IntArray, order_end: IntArray, cursor: IntArray, dist: IntArray, done: BoolArray,
    link: IntArray, link_row: IntArray, touched: IntArray, keys: IntArray, nodes: IntArray,
) -> tuple[int, int, np.int64, np.int64]:  # fmt: skip
    """Dijkstra from need ``start`` to the nearest deficit or the sink.

    Nothing at or beyond the nearest target seen so far (``bound``) enters the heap. Heap
    entries ``size + n`` read need ``n``'s next row. ``link`` points back along the paths.

    Returns
    -------
    (touched, target, reach, scanned)
    """
    sink = n_needs + forward.size
    size = sink + 1
    n_touched = 1
    touched[0] = start
    dist[start] = 0
    heap = _push(keys, nodes, 0, np.int64(0), np.int64(start))
    bound = _INF
    work = np.int64(0)
    while heap > 0:
        d, i = keys[0], nodes[0]
        heap = _pop(keys, nodes, heap)
        if i >= size:  # the next row of a settled need
            if d >= bound:
                continue
            n = i - size
            k = cursor[n]
            cursor[n] = k + 1
            r = order[k]
            if r != row_of[n]:
                work += 1
                j = n_needs + org[r]
                nd = dist[n] + p[n] - p[j] - score[r]
                if nd < dist[j] and nd < bound and not done[j]:
                    if excess[j] < 0:
                        bound = nd
                    n_touched, heap = _reach(
                        j, nd, n, r, dist, link, link_row, touched, n_touched, keys, nodes, heap
                    )
            heap = _next_row(n, dist[n] + p[n], bid, order, order_end, cursor, bound, keys, nodes,
                             heap, size)  # fmt: skip
            continue
        if done[i] or d > dist[i]:
            continue
        done[i] = True
        if excess[i] < 0 or i == sink:
            return n_touched, i, d, work
        if i < n_needs:
            if order_end[i] < 0:
                order_end[i] = _sort_rows(i, need_start, usable, bid, order)
            cursor[i] = need_start[i]
            heap = _next_row(i, d + p[i], bid, order, order_end, cursor, bound, keys, nodes, heap,
                             size)  # fmt: skip
            to_sink = d + p[i] - p[sink]  # giving up
        else:
            o = i - n_needs
            to_sink = d + p[i] - p[sink] if forward[o] < room[o] else _INF  # taking room
            for k in range(slot_start[o], slot_start[o] + load[o]):  # letting a need go
                n = slots[k]
                work += 1
                nd = d + score[row_of[n]] - p[n] + p[i]
                if nd < dist[n] and nd < bound and not done[n]:
                    n_touched, heap = _reach(
                        n, nd, i, -1, dist, link, link_row, touched, n_touched, keys, nodes, heap
                    )
        if to_sink < dist[sink] and to_sink < bound:
            bound = to_sink
            n_touched, heap = _reach(
                sink, to_sink, i, -1, dist, link, link_row, touched, n_touched, keys, nodes, heap
            )
    return n_touched, -1, np.int64(0), work


# --- phase 2: backward from a deficit ------------------------------------------------------------


@_compiled
def _backward(
    target: int, n_needs: int, need: IntArray, by_org: IntArray, org_start: IntArray,
    org: IntArray, score: IntArray, usable: BoolArray, row_of: IntArray, p: IntArray,
    forward: IntArray, dist: IntArray, done: BoolArray, link: IntArray, link_row: IntArray,
    touched: IntArray, keys: IntArray, nodes: IntArray,
) -> tuple[int, np.int64, np.int64]:  # fmt: skip
    """Dijkstra backward from deficit ``target`` to the sink; ``link`` points toward the target.

    An organization's arcs in are its candidates' bids (an unassigned candidate is next to the
    sink) and, while it forwards flow, the sink itself; a need's arc in is from its organization.

    Returns
    -------
    (touched, reach, scanned)
        ``reach`` is the sink's distance, or -1 when it cannot be reached.
    """
    sink = n_needs + forward.size
    n_touched = 1
    touched[0] = target
    dist[target] = 0
    heap = _push(keys, nodes, 0, np.int64(0), np.int64(target))
    work = np.int64(0)
    while heap > 0:
        d, i = keys[0], nodes[0]
        heap = _pop(keys, nodes, heap)
        if done[i] or d > dist[i]:
            continue
        done[i] = True
        if i == sink:
            return n_touched, d, work
        bound = dist[sink]
        if i < n_needs:  # from its organization, which lets it go
            r = row_of[i]
            j = n_needs + org[r]
            nd = d + score[r] - p[i] + p[j]
            if nd < dist[j] and nd < bound and not done[j]:
                n_touched, heap = _reach(
                    j, nd, i, -1, dist, link, link_row, touched, n_touched, keys, nodes, heap
                )
            continue
        o = i - n_needs
        if forward[o] > 0:  # the sink takes a unit back
            nd = d + p[sink] - p[i]
            if nd < bound:
                bound = nd
                n_touched, heap = _reach(
                    sink, nd, i, -1, dist, link, link_row, touched, n_touched, keys, nodes, heap
                )
        for k in range(org_start[o], org_start[o + 1]):  # a candidate moves in
            r = by_org[k]
            n = need[r]
            if not usable[r] or row_of[n] == r:
                continue
            work += 1
            j = n if row_of[n] >= 0 else sink
            nd = d + p[j] - p[i] - score[r]
            if nd < dist[j] and nd < bound and not done[j]:
                if j == sink:
                    bound = nd
                n_touched, heap = _reach(
                    j, nd, i, r, dist, link, link_row, touched, n_touched, keys, nodes, heap
                )
    return n_touched, np.int64(-1), work


# --- moving a unit -------------------------------------------------------------------------------


@_compiled
def _move(
    path: IntArray, rows: IntArray, length: int, n_needs: int, need: IntArray, org: IntArray,
    row_of: IntArray, p: IntArray, forward: IntArray, load: IntArray, slots: IntArray,
    slot_start: IntArray, slot_of: IntArray,
) -> None:  # fmt: skip
    """Send one unit along ``path[length - 1] -> ... -> path[0]``; ``rows[k]`` is the row of the
    arc into ``path[k]`` where that is an organization (-1: from the sink, taking a unit back)."""
    sink = n_needs + forward.size
    for k in range(length - 1, 0, -1):
        a, b = path[k], path[k - 1]
        if b < n_needs:  # org a -> need b: b leaves a (first, so that a has its slot free)
            o = a - n_needs
            last = slots[slot_start[o] + load[o] - 1]
            slots[slot_of[b]] = last
            slot_of[last] = slot_of[b]
            load[o] -= 1
    for k in range(length - 1, 0, -1):
        a, b = path[k], path[k - 1]
        if b < n_needs:
            continue
        if b < sink:  # into organization b
            o = b - n_needs
            r = rows[k - 1]
            if a == sink and r < 0:
                forward[o] -= 1
                continue
            n = need[r]
            if a == sink:  # an unassigned need takes the slot
                p[n] = p[sink]
            row_of[n] = r
            slot_of[n] = slot_start[o] + load[o]
            slots[slot_of[n]] = n
            load[o] += 1
        elif a < n_needs:  # need a gives up
            row_of[a] = -1
        else:  # organization a takes one more unit
            forward[a - n_needs] += 1


# --- the least prices ---------------------------------------------------------------------------


@_compiled
def _least(
    prices: IntArray, need_start: IntArray, need: IntArray, org: IntArray, score: IntArray,
    usable: BoolArray, row_of: IntArray, load: IntArray, slots: IntArray, slot_start: IntArray,
    keys: IntArray, nodes: IntArray,
) -> IntArray:  # fmt: skip
    """The least prices that prove the plan optimal, from any that do.

    The least price of an organization is the longest chain of bids into it: ``v[o] = max(0, best
    unassigned bid, s[n, o] - s[n, a(n)] + v[a(n)])`` -- what one more slot at ``o`` would add.
    Measured against proving prices, every link of a chain has a slack ``>= 0``, so how far each
    price can fall is a shortest path (Dijkstra), which ends in one pass over the plan's rows.
    These are the prices a cold solve reports: the least ones are the same for every optimal plan.
    """
    n_orgs = prices.size
    floor = np.zeros(n_orgs, np.int64)
    for r in range(need.size):
        if usable[r] and row_of[need[r]] == -1:
            floor[org[r]] = max(floor[org[r]], score[r])
    drop = np.empty(n_orgs, np.int64)  # how far each price falls
    done = np.zeros(n_orgs, np.bool_)
    heap = 0
    for o in range(n_orgs):
        drop[o] = prices[o] - floor[o]
        heap = _push(keys, nodes, heap, drop[o], np.int64(o))
    while heap > 0:
        d, o = keys[0], nodes[0]
        heap = _pop(keys, nodes, heap)
        if done[o] or d > drop[o]:
            continue
        done[o] = True
        for k in range(slot_start[o], slot_start[o] + load[o]):  # o's needs bid elsewhere
            n = slots[k]
            own = row_of[n]
            for r in range(need_start[n], need_start[n + 1]):
                j = org[r]
                if not usable[r] or r == own or done[j]:
                    continue
                nd = d + prices[j] - prices[o] - (score[r] - score[own])
                if nd < drop[j]:
                    drop[j] = nd
                    heap = _push(keys, nodes, heap, nd, np.int64(j))
    least = np.empty(n_orgs, np.int64)
    for o in range(n_orgs):
        least[o] = prices[o] - drop[o]
    return least


# --- the kernel ----------------------------------------------------------------------------------


@_compiled
def _repair(
    need_start: IntArray,
    need: IntArray,
    org: IntArray,
    by_org: IntArray,
    org_start: IntArray,
    score: IntArray,
    usable: BoolArray,
    capacity: IntArray,
    row_of: IntArray,
    v: IntArray,
    max_units: np.int64,
    max_work: np.int64,
) -> tuple[int, IntArray, IntArray, np.int64, np.int64]:
    n_needs = need_start.size - 1
    n_orgs = org_start.size - 1
    sink = n_needs + n_orgs
    size = sink + 1
    p = np.zeros(size, np.int64)
    excess = np.zeros(size, np.int64)

    room = _room(org, usable, capacity)
    for o in range(n_orgs):
        p[n_needs + o] = -v[o]

    load = np.zeros(n_orgs, np.int64)
    for n in range(n_needs):
        if row_of[n] >= 0:
            load[org[row_of[n]]] += 1
    for o in range(n_orgs):
        if load[o] > room[o]:
            return OVER_CAPACITY, row_of, v, np.int64(0), np.int64(0)
    forward = load.copy()  # flow on o -> T

    # Needs: surplus at the given prices; a kept pair below the best is let go. Row states:
    # >= 0 assigned, -1 unassigned (routed straight to T), -2 excess (a unit to place).
    for n in range(n_needs):
        best = np.int64(0)
        for r in range(need_start[n], need_start[n + 1]):
            if usable[r]:
                best = max(best, score[r] - v[org[r]])
        p[n] = best
        r = row_of[n]
        if r >= 0 and score[r] - v[org[r]] < best:
            row_of[n] = -2
            load[org[r]] -= 1
            excess[n] += 1
            excess[n_needs + org[r]] -= 1
        elif r < 0 and best > 0:
            row_of[n] = -2
            excess[n] += 1
            excess[sink] -= 1
    # Organizations with a positive price and room: fill the room from the sink.
    for o in range(n_orgs):
        if v[o] > 0 and forward[o] < room[o]:
            gap = room[o] - forward[o]
            forward[o] = room[o]
            excess[n_needs + o] -= gap
            excess[sink] += gap
    units = np.int64(0)
    for i in range(size):
        if excess[i] > 0:
            units += excess[i]
    if units > max_units:
        return TOO_MANY_UNITS, row_of, v, units, np.int64(0)

    slot_start, slots, slot_of = _pack(org, row_of, room)
    # Each need's usable rows, sorted on first use by their bid at the starting prices. Potentials
    # only fall in phase 1 (the one that reads rows), so p[n] - bid bounds the reduced cost of a
    # row from below and a search reads a need's rows in that order, lazily, up to its target.
    bid = np.empty(need.size, np.int64)
    for r in range(need.size):
        bid[r] = score[r] - v[org[r]]
    order = np.empty(need.size, np.int64)
    order_end = np.full(n_needs, -1, np.int64)
    cursor = np.zeros(n_needs, np.int64)

    dist = np.full(size, _INF, np.int64)
    done = np.zeros(size, np.bool_)
    link = np.full(size, -1, np.int64)
    link_row = np.full(size, -1, np.int64)
    touched = np.empty(size, np.int64)
    capacity_heap = need.size + 2 * n_needs + 3 * n_orgs + 4
    keys = np.empty(capacity_heap, np.int64)
    nodes = np.empty(capacity_heap, np.int64)
    path = np.empty(size, np.int64)
    rows = np.empty(size, np.int64)
    work = np.int64(0)

    # Phase 1: every need with a unit, to the nearest deficit or to the sink.
    for start in range(n_needs):
        if excess[start] <= 0:
            continue
        n_touched, target, reach, scanned = _forward(
            start, n_needs, need_start, org, score, usable, row_of, p, excess, forward, room,
            load, slots, slot_start, bid, order, order_end, cursor, dist, done, link, link_row,
            touched, keys, nodes,
        )  # fmt: skip
        work += scanned
        if work > max_work:
            return TOO_MUCH_WORK, row_of, v, units, work
        if target < 0:
            return NO_CERTIFICATE, row_of, v, units, work
        for k in range(n_touched):  # potentials fall by what the target is nearer
            i = touched[k]
            if done[i] and dist[i] < reach:
                p[i] -= reach - dist[i]
        length = 0
        i = target
        while i != start:
            path[length], rows[length] = i, link_row[i]
            length += 1
            i = link[i]
        path[length] = start
        _move(path, rows, length + 1, n_needs, need, org, row_of, p, forward, load, slots,
              slot_start, slot_of)  # fmt: skip
        excess[start] -= 1
        excess[target] += 1
        for k in range(n_touched):
            i = touched[k]
            dist[i], done[i], link[i], link_row[i] = _INF, False, -1, -1

    # Phase 2: every deficit, from the sink.
    for target in range(n_needs, sink):
        while excess[target] < 0:
            n_touched, reach, scanned = _backward(
                target, n_needs, need, by_org, org_start, org, score, usable, row_of, p, forward,
                dist, done, link, link_row, touched, keys, nodes,
            )  # fmt: skip
            work += scanned
            if work > max_work:
                return TOO_MUCH_WORK, row_of, v, units, work
            if reach < 0:
                return NO_CERTIFICATE, row_of, v, units, work
            for k in range(n_touched):  # potentials rise by what the sink is farther
                i = touched[k]
                if done[i] and dist[i] < reach:
                    p[i] += reach - dist[i]
            length = _path_from_sink(sink, target, link, link_row, path, rows)
            _move(path, rows, length, n_needs, need, org, row_of, p, forward, load, slots,
                  slot_start, slot_of)  # fmt: skip
            excess[sink] -= 1
            excess[target] += 1
            for k in range(n_touched):
                i = touched[k]
                dist[i], done[i], link[i], link_row[i] = _INF, False, -1, -1

    # Prices from the potentials, lowered to the least that prove the plan, then checked.
    prices = np.zeros(n_orgs, np.int64)
    for o in range(n_orgs):
        if load[o] >= capacity[o]:
            prices[o] = max(np.int64(0), p[sink] - p[n_needs + o])
    prices = _least(prices, need_start, need, org, score, usable, row_of, load, slots,
                    slot_start, keys, nodes)  # fmt: skip
    if not _proves(prices, need, org, score, usable, capacity, row_of, load):
        return NO_CERTIFICATE, row_of, v, units, work
    return OPTIMAL, row_of, prices, units, work


@_compiled
def _room(org: IntArray, usable: BoolArray, capacity: IntArray) -> IntArray:
    """Room that can be used: no organization takes more needs than it has usable pairs."""
    room = np.zeros(capacity.size, np.int64)
    for r in range(org.size):
        if usable[r]:
            room[org[r]] += 1
    for o in range(capacity.size):
        room[o] = min(room[o], max(capacity[o], 0))
    return room


@_compiled
def _pack(org: IntArray, row_of: IntArray, room: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Each organization's needs packed in slots: where its slots start, the need in each slot,
    and each need's slot (-1 when unassigned)."""
    n_orgs, n_needs = room.size, row_of.size
    slot_start = np.zeros(n_orgs + 1, np.int64)
    for o in range(n_orgs):
        slot_start[o + 1] = slot_start[o] + room[o]
    slots = np.empty(max(slot_start[n_orgs], 1), np.int64)
    slot_of = np.full(n_needs, -1, np.int64)
    filled = np.zeros(n_orgs, np.int64)
    for n in range(n_needs):
        if row_of[n] >= 0:
            o = org[row_of[n]]
            slot_of[n] = slot_start[o] + filled[o]
            slots[slot_of[n]] = n
            filled[o] += 1
    return slot_start, slots, slot_of


@_compiled
def _path_from_sink(
    sink: int, target: int, link: IntArray, link_row: IntArray, path: IntArray, rows: IntArray
) -> int:
    """The search's path from the sink into ``path`` and ``rows``, listed target first as
    :func:`_move` reads it; returns its number of nodes."""
    length = 0
    i = sink
    while i != target:
        path[length], rows[length] = i, link_row[i]
        length += 1
        i = link[i]
    path[length] = target
    length += 1
    for k in range(length // 2):
        j = length - 1 - k
        path[k], path[j] = path[j], path[k]
    # rows[k] was the row of the arc out of the k-th node from the sink, i.e. into the
    # (k + 1)-th: after reversal the arc into path[k] is rows[length - 2 - k].
    for k in range((length - 1) // 2):
        j = length - 2 - k
        rows[k], rows[j] = rows[j], rows[k]
    return length


@_compiled
def _proves(
    prices: IntArray,
    need: IntArray,
    org: IntArray,
    score: IntArray,
    usable: BoolArray,
    capacity: IntArray,
    row_of: IntArray,
    load: IntArray,
) -> bool:
    """Whether ``prices`` prove the plan optimal: every chosen pair is usable and pays at least
    its price, no usable pair beats its need's surplus, and only full organizations charge."""
    surplus = np.zeros(row_of.size, np.int64)
    for n in range(row_of.size):
        r = row_of[n]
        if r >= 0:
            surplus[n] = score[r] - prices[org[r]]
            if surplus[n] < 0 or not usable[r]:
                return False
    for r in range(need.size):
        if usable[r] and surplus[need[r]] + prices[org[r]] < score[r]:
            return False
    for o in range(prices.size):  # noqa: SIM110 - a loop, which numba compiles
        if prices[o] > 0 and load[o] < capacity[o]:
            return False
    return True


def _load() -> None:
    """Run the kernel once, on one need and one organization: numba loads it (or compiles it)
    for the argument types :func:`augment` always passes, C-ordered int64 and bool arrays."""
    zero, ends = np.zeros(1, np.int64), np.array([0, 1], np.int64)
    augment(
        ends, zero, zero, zero, ends, score=np.ones(1, np.int64), usable=np.ones(1, bool),
        capacity=np.ones(1, np.int64), row_of=np.full(1, -1, np.int64), prices=zero,
        max_units=1, max_work=10,
    )  # fmt: skip


_load()
