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
from typing import Any, NamedTuple, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["Augmented", "Outcome", "Pairs", "augment"]

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


def _inlined(function: _F) -> _F:
    """A small step of a search, compiled into the loop that calls it."""
    return cast(_F, numba.njit(inline="always", nogil=True)(function))


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


class Pairs(NamedTuple):
    """The candidate pairs (rows) of a round, as the kernel reads them (never modified).

    Attributes
    ----------
    need_start, need, org, by_org, org_start
        The rows, sorted by (need, organization), with their compressed-row indexes by need and by
        organization (see :class:`matcher.dispatch.engine.Layout`).
    score
        Integer score per row.
    usable
        Rows that may be chosen (active, score above 0).
    capacity
        Room per organization.
    """

    need_start: IntArray
    need: IntArray
    org: IntArray
    by_org: IntArray
    org_start: IntArray
    score: IntArray
    usable: BoolArray
    capacity: IntArray

    def typed(self) -> Pairs:
        """The same pairs as C-ordered int64 and bool arrays: the types the kernel is compiled for."""
        return Pairs._make(
            np.ascontiguousarray(a, np.bool_ if name == "usable" else np.int64)
            for name, a in zip(self._fields, self, strict=True)
        )


def augment(
    pairs: Pairs, row_of: IntArray, prices: IntArray, *, max_units: int, max_work: int
) -> Augmented:
    """Repair a kept plan into an optimal one, starting from earlier prices.

    Parameters
    ----------
    pairs
        The candidate pairs, their scores, which may be chosen, and the room per organization.
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

    >>> pairs = Pairs(need_start=np.array([0, 1, 2]), need=np.array([0, 1]), org=np.array([0, 0]),
    ...               by_org=np.array([0, 1]), org_start=np.array([0, 2]), score=np.array([5, 3]),
    ...               usable=np.ones(2, bool), capacity=np.array([1]))
    >>> out = augment(pairs, row_of=np.array([-1, 1]), prices=np.array([0]),
    ...               max_units=10, max_work=100)
    >>> out.status.value, out.row_of.tolist(), out.prices.tolist(), out.units
    ('optimal', [0, -1], [3], 1)
    """
    status, chosen, found, units, work = _repair(
        pairs.typed(),
        np.array(row_of, np.int64),  # a copy: the kernel works in place
        np.maximum(prices, 0).astype(np.int64),
        np.int64(max_units),
        np.int64(max_work),
    )
    return Augmented(_OUTCOMES[status], chosen, found, int(units), int(work))


class _Plan(NamedTuple):
    """The flow being repaired, changed in place by every move.

    ``row_of`` per need: a row, -1 (unassigned, routed straight to the sink) or -2 (a unit to
    place). ``p`` and ``excess`` per node: the needs, then the organizations, then the sink.
    ``room`` is the room an organization can use, ``forward`` its flow to the sink and ``load``
    the needs it holds, packed in ``slots`` from ``slot_start`` (``slot_of`` per need)."""

    row_of: IntArray
    p: IntArray
    excess: IntArray
    room: IntArray
    forward: IntArray
    load: IntArray
    slot_start: IntArray
    slots: IntArray
    slot_of: IntArray


class _Bids(NamedTuple):
    """Each need's usable rows, sorted on first use by their ``bid`` at the starting prices (in
    ``order`` from ``need_start[n]`` to ``order_end[n]``, -1 until sorted); ``cursor`` is the next
    row a search reads."""

    bid: IntArray
    order: IntArray
    order_end: IntArray
    cursor: IntArray


class _Search(NamedTuple):
    """The scratch of one Dijkstra search: distances, settled nodes, links back along the paths
    (and the row of each link), the nodes touched, the heap, and the path of the move."""

    dist: IntArray
    done: BoolArray
    link: IntArray
    link_row: IntArray
    touched: IntArray
    keys: IntArray
    nodes: IntArray
    path: IntArray
    rows: IntArray


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


# --- the searches' common steps -----------------------------------------------------------------


@_inlined
def _reach(
    search: _Search, j: int, nd: np.int64, i: int, r: int, n_touched: int, heap: int
) -> tuple[int, int]:
    """Node ``j`` is at ``nd`` through ``i`` (row ``r``): record it and queue it."""
    dist = search.dist
    if dist[j] == _INF:
        search.touched[n_touched] = j
        n_touched += 1
    dist[j], search.link[j], search.link_row[j] = nd, i, r
    return n_touched, _push(search.keys, search.nodes, heap, nd, np.int64(j))


@_inlined
def _start(search: _Search, node: int) -> int:
    """Start a search at ``node``; returns the heap's size."""
    search.touched[0] = node
    search.dist[node] = 0
    return _push(search.keys, search.nodes, 0, np.int64(0), np.int64(node))


@_compiled
def _shift(p: IntArray, search: _Search, n_touched: int, reach: np.int64, sign: int) -> None:
    """Move the potentials of the settled nodes by how much nearer than ``reach`` they are: down
    with ``sign`` -1, up with +1."""
    touched, dist, done = search.touched, search.dist, search.done
    for k in range(n_touched):
        i = touched[k]
        if done[i] and dist[i] < reach:
            p[i] += sign * (reach - dist[i])


@_compiled
def _clear(search: _Search, n_touched: int) -> None:
    """Clear the nodes a search touched, for the next one."""
    touched, dist, done, link, link_row = (
        search.touched, search.dist, search.done, search.link, search.link_row
    )  # fmt: skip
    for k in range(n_touched):
        i = touched[k]
        dist[i], done[i], link[i], link_row[i] = _INF, False, -1, -1


# --- phase 1: forward from a need --------------------------------------------------------------


@_compiled
def _sort_rows(pairs: Pairs, bids: _Bids, n: int) -> int:
    """Write need ``n``'s usable rows into ``order`` from ``need_start[n]``, best bid first."""
    order, bid, usable = bids.order, bids.bid, pairs.usable
    lo, hi = int(pairs.need_start[n]), int(pairs.need_start[n + 1])
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


@_inlined
def _next_row(
    bids: _Bids, search: _Search, n: int, base: np.int64, bound: np.int64, heap: int, offset: int
) -> int:
    """Queue need ``n``'s next row (as ``offset + n``) at the least distance it can give."""
    k = bids.cursor[n]
    if k < bids.order_end[n]:
        least = base - bids.bid[bids.order[k]]
        if least < bound:
            heap = _push(search.keys, search.nodes, heap, least, np.int64(offset + n))
    return heap


@_inlined
def _let_go(
    pairs: Pairs, plan: _Plan, search: _Search, i: int, d: np.int64,
    n_touched: int, heap: int, bound: np.int64,
) -> tuple[int, int, np.int64]:  # fmt: skip
    """From settled organization ``i`` at ``d``, reach each need it holds (letting it go).

    Returns the search's new ``(touched, heap)`` and the arcs scanned."""
    o = i - (pairs.need_start.size - 1)
    score, row_of, p, slots, dist, done = (
        pairs.score, plan.row_of, plan.p, plan.slots, search.dist, search.done
    )  # fmt: skip
    work = np.int64(0)
    for k in range(plan.slot_start[o], plan.slot_start[o] + plan.load[o]):
        n = slots[k]
        work += 1
        nd = d + score[row_of[n]] - p[n] + p[i]
        if nd < dist[n] and nd < bound and not done[n]:
            n_touched, heap = _reach(search, n, nd, i, -1, n_touched, heap)
    return n_touched, heap, work


@_compiled
def _forward(
    pairs: Pairs, plan: _Plan, bids: _Bids, search: _Search, start: int
) -> tuple[int, int, np.int64, np.int64]:
    """Dijkstra from need ``start`` to the nearest deficit or the sink.

    Nothing at or beyond the nearest target seen so far (``bound``) enters the heap. Heap
    entries ``size + n`` read need ``n``'s next row. ``link`` points back along the paths.
    Returns ``(touched, target, reach, scanned)``.
    """
    n_needs = pairs.need_start.size - 1
    p, excess, forward, room = plan.p, plan.excess, plan.forward, plan.room
    dist, done, keys, nodes = search.dist, search.done, search.keys, search.nodes
    order_end, cursor, need_start = bids.order_end, bids.cursor, pairs.need_start
    order, row_of, org, score = bids.order, plan.row_of, pairs.org, pairs.score
    sink = n_needs + forward.size
    size = sink + 1
    n_touched, heap, bound, work = 1, _start(search, start), _INF, np.int64(0)
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
                    n_touched, heap = _reach(search, j, nd, n, r, n_touched, heap)
            heap = _next_row(bids, search, n, dist[n] + p[n], bound, heap, size)
            continue
        if done[i] or d > dist[i]:
            continue
        done[i] = True
        if excess[i] < 0 or i == sink:
            return n_touched, i, d, work
        if i < n_needs:
            if order_end[i] < 0:
                order_end[i] = _sort_rows(pairs, bids, i)
            cursor[i] = need_start[i]
            heap = _next_row(bids, search, i, d + p[i], bound, heap, size)
            to_sink = d + p[i] - p[sink]  # giving up
        else:
            o = i - n_needs
            to_sink = d + p[i] - p[sink] if forward[o] < room[o] else _INF  # taking room
            n_touched, heap, scanned = _let_go(pairs, plan, search, i, d, n_touched, heap, bound)
            work += scanned
        if to_sink < dist[sink] and to_sink < bound:
            bound = to_sink
            n_touched, heap = _reach(search, sink, to_sink, i, -1, n_touched, heap)
    return n_touched, -1, np.int64(0), work


@_compiled
def _path_to(search: _Search, start: int, target: int) -> int:
    """The forward search's path into ``path`` and ``rows``, listed target first as :func:`_move`
    reads it; returns its number of nodes."""
    path, rows, link, link_row = search.path, search.rows, search.link, search.link_row
    length = 0
    i = target
    while i != start:
        path[length], rows[length] = i, link_row[i]
        length += 1
        i = link[i]
    path[length] = start
    return length + 1


@_compiled
def _place_from_needs(
    pairs: Pairs, plan: _Plan, bids: _Bids, search: _Search, max_work: np.int64
) -> tuple[int, np.int64]:
    """Phase 1: carry every need's unit to the nearest deficit or to the sink.

    Returns :data:`OPTIMAL` (go on) or why to stop, and the arcs scanned."""
    work = np.int64(0)
    for start in range(pairs.need_start.size - 1):
        if plan.excess[start] <= 0:
            continue
        n_touched, target, reach, scanned = _forward(pairs, plan, bids, search, start)
        work += scanned
        if work > max_work:
            return TOO_MUCH_WORK, work
        if target < 0:
            return NO_CERTIFICATE, work
        _shift(plan.p, search, n_touched, reach, -1)  # by what the target is nearer
        _move(pairs, plan, search, _path_to(search, start, target))
        plan.excess[start] -= 1
        plan.excess[target] += 1
        _clear(search, n_touched)
    return OPTIMAL, work


# --- phase 2: backward from a deficit ------------------------------------------------------------


@_compiled
def _backward(
    pairs: Pairs, plan: _Plan, search: _Search, target: int
) -> tuple[int, np.int64, np.int64]:
    """Dijkstra backward from deficit ``target`` to the sink; ``link`` points toward the target.

    An organization's arcs in are its candidates' bids (an unassigned candidate is next to the
    sink) and, while it forwards flow, the sink itself; a need's arc in is from its organization.
    Returns ``(touched, reach, scanned)``, ``reach`` the sink's distance (-1: not reached).
    """
    n_needs = pairs.need_start.size - 1
    p, row_of, dist, done = plan.p, plan.row_of, search.dist, search.done
    need, org, by_org, score, usable = (
        pairs.need,
        pairs.org,
        pairs.by_org,
        pairs.score,
        pairs.usable,
    )
    keys, nodes = search.keys, search.nodes
    sink = n_needs + plan.forward.size
    n_touched, heap = 1, _start(search, target)
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
                n_touched, heap = _reach(search, j, nd, i, -1, n_touched, heap)
            continue
        o = i - n_needs
        if plan.forward[o] > 0:  # the sink takes a unit back
            nd = d + p[sink] - p[i]
            if nd < bound:
                bound = nd
                n_touched, heap = _reach(search, sink, nd, i, -1, n_touched, heap)
        for k in range(pairs.org_start[o], pairs.org_start[o + 1]):  # a candidate moves in
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
                n_touched, heap = _reach(search, j, nd, i, r, n_touched, heap)
    return n_touched, np.int64(-1), work


@_compiled
def _path_from_sink(search: _Search, sink: int, target: int) -> int:
    """The backward search's path from the sink into ``path`` and ``rows``, listed target first
    as :func:`_move` reads it; returns its number of nodes."""
    path, rows, link, link_row = search.path, search.rows, search.link, search.link_row
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
def _fill_from_sink(
    pairs: Pairs, plan: _Plan, search: _Search, work: np.int64, max_work: np.int64
) -> tuple[int, np.int64]:
    """Phase 2: carry the sink's units to every deficit, each searching backward to the sink.

    Returns :data:`OPTIMAL` (go on) or why to stop, and the arcs scanned (from ``work``)."""
    n_needs = pairs.need_start.size - 1
    sink = n_needs + plan.forward.size
    for target in range(n_needs, sink):
        while plan.excess[target] < 0:
            n_touched, reach, scanned = _backward(pairs, plan, search, target)
            work += scanned
            if work > max_work:
                return TOO_MUCH_WORK, work
            if reach < 0:
                return NO_CERTIFICATE, work
            _shift(plan.p, search, n_touched, reach, 1)  # by what the sink is farther
            _move(pairs, plan, search, _path_from_sink(search, sink, target))
            plan.excess[sink] -= 1
            plan.excess[target] += 1
            _clear(search, n_touched)
    return OPTIMAL, work


# --- moving a unit -------------------------------------------------------------------------------


@_compiled
def _move(pairs: Pairs, plan: _Plan, search: _Search, length: int) -> None:
    """Send one unit along ``path[length - 1] -> ... -> path[0]``; ``rows[k]`` is the row of the
    arc into ``path[k]`` where that is an organization (-1: from the sink, taking a unit back)."""
    n_needs = pairs.need_start.size - 1
    path, rows = search.path, search.rows
    row_of, load, slots, slot_start, slot_of = (
        plan.row_of, plan.load, plan.slots, plan.slot_start, plan.slot_of
    )  # fmt: skip
    sink = n_needs + plan.forward.size
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
                plan.forward[o] -= 1
                continue
            n = pairs.need[r]
            if a == sink:  # an unassigned need takes the slot
                plan.p[n] = plan.p[sink]
            row_of[n] = r
            slot_of[n] = slot_start[o] + load[o]
            slots[slot_of[n]] = n
            load[o] += 1
        elif a < n_needs:  # need a gives up
            row_of[a] = -1
        else:  # organization a takes one more unit
            plan.forward[a - n_needs] += 1


# --- the least prices ---------------------------------------------------------------------------


@_compiled
def _least(pairs: Pairs, plan: _Plan, search: _Search, prices: IntArray) -> IntArray:
    """The least prices that prove the plan optimal, from any that do.

    The least price of an organization is the longest chain of bids into it: ``v[o] = max(0, best
    unassigned bid, s[n, o] - s[n, a(n)] + v[a(n)])`` -- what one more slot at ``o`` would add.
    Measured against proving prices, every link of a chain has a slack ``>= 0``, so how far each
    price can fall is a shortest path (Dijkstra), which ends in one pass over the plan's rows.
    These are the prices a cold solve reports: the least ones are the same for every optimal plan.
    """
    need, need_start, org, score, usable = (
        pairs.need, pairs.need_start, pairs.org, pairs.score, pairs.usable
    )  # fmt: skip
    row_of, slot_start, slots, load = plan.row_of, plan.slot_start, plan.slots, plan.load
    keys, nodes = search.keys, search.nodes
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
    pairs: Pairs, row_of: IntArray, v: IntArray, max_units: np.int64, max_work: np.int64
) -> tuple[int, IntArray, IntArray, np.int64, np.int64]:
    """Repair the kept plan ``row_of`` (in place) from prices ``v``: phase 1, phase 2, then the
    least prices, checked. Returns ``(status, row_of, prices, units, work)``."""
    org = pairs.org
    room = _room(org, pairs.usable, pairs.capacity)
    load = np.zeros(room.size, np.int64)
    for n in range(row_of.size):
        if row_of[n] >= 0:
            load[org[row_of[n]]] += 1
    for o in range(room.size):
        if load[o] > room[o]:
            return OVER_CAPACITY, row_of, v, np.int64(0), np.int64(0)
    plan = _broken(pairs, row_of, v, room, load)
    units = np.int64(0)
    for unit in plan.excess:
        if unit > 0:
            units += unit
    if units > max_units:
        return TOO_MANY_UNITS, row_of, v, units, np.int64(0)

    search = _scratch(pairs)
    status, work = _place_from_needs(pairs, plan, _bids(pairs, v), search, max_work)
    if status == OPTIMAL:
        status, work = _fill_from_sink(pairs, plan, search, work, max_work)
    if status != OPTIMAL:
        return status, row_of, v, units, work

    # Prices from the potentials, lowered to the least that prove the plan, then checked.
    sink = plan.p.size - 1
    n_needs = row_of.size
    prices = np.zeros(room.size, np.int64)
    for o in range(room.size):
        if load[o] >= pairs.capacity[o]:
            prices[o] = max(np.int64(0), plan.p[sink] - plan.p[n_needs + o])
    prices = _least(pairs, plan, search, prices)
    if not _proves(pairs, plan, prices):
        return NO_CERTIFICATE, row_of, v, units, work
    return OPTIMAL, row_of, prices, units, work


@_compiled
def _broken(pairs: Pairs, row_of: IntArray, v: IntArray, room: IntArray, load: IntArray) -> _Plan:
    """The kept plan at prices ``v``, with the units to move where it breaks them.

    A need's potential is its surplus at those prices; a kept pair below the need's best is let
    go (a unit at the need, a deficit at its organization), a need with a positive surplus left
    without an organization has a unit to place (a deficit at the sink), and an organization with
    a positive price and room fills the room from the sink."""
    n_needs, n_orgs = row_of.size, room.size
    sink = n_needs + n_orgs
    p = np.zeros(sink + 1, np.int64)
    excess = np.zeros(sink + 1, np.int64)
    for o in range(n_orgs):
        p[n_needs + o] = -v[o]
    forward = load.copy()  # flow on o -> T
    need_start, org, score, usable = pairs.need_start, pairs.org, pairs.score, pairs.usable
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
    for o in range(n_orgs):
        if v[o] > 0 and forward[o] < room[o]:
            gap = room[o] - forward[o]
            forward[o] = room[o]
            excess[n_needs + o] -= gap
            excess[sink] += gap
    slot_start, slots, slot_of = _pack(org, row_of, room)
    return _Plan(row_of, p, excess, room, forward, load, slot_start, slots, slot_of)


@_compiled
def _bids(pairs: Pairs, v: IntArray) -> _Bids:
    """Each row's bid at the starting prices, and room to sort each need's rows by it on first
    use. Potentials only fall in phase 1 (the one that reads rows), so ``p[n] - bid`` bounds the
    reduced cost of a row from below and a search reads a need's rows in that order, lazily, up
    to its target."""
    n_rows, n_needs = pairs.need.size, pairs.need_start.size - 1
    score, org = pairs.score, pairs.org
    bid = np.empty(n_rows, np.int64)
    for r in range(n_rows):
        bid[r] = score[r] - v[org[r]]
    order = np.empty(n_rows, np.int64)
    return _Bids(bid, order, np.full(n_needs, -1, np.int64), np.zeros(n_needs, np.int64))


@_compiled
def _scratch(pairs: Pairs) -> _Search:
    """Empty search scratch, its heap large enough for every search."""
    n_rows, n_needs = pairs.need.size, pairs.need_start.size - 1
    n_orgs = pairs.org_start.size - 1
    size = n_needs + n_orgs + 1
    heap = n_rows + 2 * n_needs + 3 * n_orgs + 4
    return _Search(
        np.full(size, _INF, np.int64),
        np.zeros(size, np.bool_),
        np.full(size, -1, np.int64),
        np.full(size, -1, np.int64),
        np.empty(size, np.int64),
        np.empty(heap, np.int64),
        np.empty(heap, np.int64),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
    )


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
def _proves(pairs: Pairs, plan: _Plan, prices: IntArray) -> bool:
    """Whether ``prices`` prove the plan optimal: every chosen pair is usable and pays at least
    its price, no usable pair beats its need's surplus, and only full organizations charge."""
    need, org, score, usable, row_of = pairs.need, pairs.org, pairs.score, pairs.usable, plan.row_of
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
    load, capacity = plan.load, pairs.capacity
    for o in range(prices.size):  # noqa: SIM110 - a loop, which numba compiles
        if prices[o] > 0 and load[o] < capacity[o]:
            return False
    return True


def _load() -> None:
    """Run the kernel once, on one need and one organization: numba loads it (or compiles it)
    for the argument types :func:`augment` always passes, C-ordered int64 and bool arrays."""
    zero, ends = np.zeros(1, np.int64), np.array([0, 1], np.int64)
    one = np.ones(1, np.int64)
    pairs = Pairs(ends, zero, zero, zero, ends, one, np.ones(1, bool), one)
    augment(pairs, row_of=np.full(1, -1, np.int64), prices=zero, max_units=1, max_work=10)


_load()
