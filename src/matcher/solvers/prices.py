"""Dual prices that prove an assignment optimal: complementary slackness, checked in integers.

The assignment's LP relaxation is integral. Its dual gives each need a surplus ``u[n] >= 0`` and
each organization a price ``v[o] >= 0`` with ``u[n] + v[o] >= w[p]`` on every candidate pair ``p =
(n, o)``. A plan is optimal exactly when some prices satisfy, with it, complementary slackness:
``u[n] + v[o] = w[p]`` on every chosen pair, ``u[n] = 0`` for a need left unmet and ``v[o] = 0``
for an organization with room left. The plan's score then equals the dual objective ``sum(u) +
sum(capacity * v)``, which bounds every plan's score.

Given a plan, :func:`least_prices` finds the least such prices (longest paths over the
organizations, Bellman-Ford in numpy passes that revisit only the needs whose organization's price
rose); :func:`certify` checks them on every pair from scratch. Scores are the integers the flow
rounds to (:func:`matcher.solvers.flow.flow_scale`), so the check is exact arithmetic: a plan it
accepts is optimal in the same sense as the flow's.

Examples
--------
Two needs, one organization with one slot: the stronger need holds it, and the slot's price is the
weaker need's score, what a second slot would add.

>>> need, org, w = np.array([0, 1]), np.array([0, 0]), np.array([5, 3])
>>> prices = least_prices(need, org, w, np.array([0]), n_needs=2, n_orgs=1)
>>> prices.surplus.tolist(), prices.price.tolist()
([2, 0], [3])
>>> certify(need, org, w, np.array([1]), np.array([0]), prices)
True

The weaker need holding the slot is not optimal: its prices do not settle, or fail the check.

>>> wrong = least_prices(need, org, w, np.array([1]), n_needs=2, n_orgs=1)
>>> wrong is None or not certify(need, org, w, np.array([1]), np.array([1]), wrong)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Prices", "certify", "certify_complete", "least_prices", "least_prices_complete"]

IntArray = npt.NDArray[np.int64]

#: Give up (no certificate) after this many times the pairs' worth of revisited pairs.
MAX_WORK_PER_PAIR = 64


@dataclass(frozen=True, eq=False)
class Prices:
    """A need's surplus ``u`` and an organization's price ``v``, integers on the scores' scale."""

    surplus: IntArray
    price: IntArray
    passes: int


def least_prices(
    need: IntArray,
    org: IntArray,
    w: IntArray,
    chosen: IntArray,
    *,
    n_needs: int,
    n_orgs: int,
    first: IntArray | None = None,
    by_org: IntArray | None = None,
) -> Prices | None:
    """The least prices that satisfy complementary slackness with the plan ``chosen``, or ``None``.

    ``need``, ``org`` and the integer scores ``w`` are the candidate pairs (every one with ``w >
    0``); ``chosen`` are the plan's pairs, at most one per need. Each organization's price is the
    largest of 0 and the bids ``w[p] - u[n]`` of the needs not holding it, where an assigned need's
    surplus ``u[n] = w[own] - v[holder]`` moves with its organization's price: longest paths from
    0. They settle after as many passes as the longest chain of displacements; ``None`` when they
    keep rising past :data:`MAX_WORK_PER_PAIR` times the pairs (the plan is then not optimal, or
    not provably so at that cost).

    ``first``, when given, are the prices after the first pass (each organization's best bid at
    prices 0, and 0 at least), which a caller holding the score matrix computes faster.
    ``by_org``, when given, are the positions of the pairs that bid, sorted by organization
    (stably): a caller holding them saves sorting again, and leaves out pairs that cannot be
    chosen (the chosen ones among them).
    """
    holder = np.full(n_needs, -1, np.int64)
    own = np.zeros(n_needs, np.int64)
    holder[need[chosen]] = org[chosen]
    own[need[chosen]] = w[chosen]
    # Every pass takes each organization's best bid with one reduceat over the pairs it reads,
    # which come grouped by organization (any subset of ``arcs`` keeps them grouped).
    arcs = np.argsort(org, kind="stable") if by_org is None else by_org
    head = org[arcs]
    tail = holder[need[arcs]]  # the organization whose price moves the bid (-1: none)
    base = w[arcs] - own[need[arcs]]  # the bid, less that organization's price
    moving = np.flatnonzero(tail >= 0)
    moving_tail = tail[moving]
    work, budget, passes = 0, MAX_WORK_PER_PAIR * max(1, need.size), 0
    if first is None:
        price, todo = np.zeros(n_orgs, np.int64), np.arange(arcs.size)
    else:
        price, passes = first.astype(np.int64), 1
        todo = moving[price[moving_tail] > 0]
    while todo.size:
        passes += 1
        work += todo.size
        if work > budget:
            return None
        rose = _raise(
            price, head[todo], base[todo] + np.where(tail[todo] >= 0, price[tail[todo]], 0)
        )
        if rose.size == 0:
            break
        moved = np.zeros(n_orgs, bool)
        moved[rose] = True
        todo = moving[moved[moving_tail]]
    surplus = own - np.append(price, 0)[holder]  # an unassigned need (-1) reads the 0
    return Prices(surplus, price, passes)


def _raise(price: IntArray, heads: IntArray, bids: IntArray) -> IntArray:
    """Raise each organization's ``price`` to its best bid (``heads`` grouped); returns those
    that rose."""
    starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
    groups = heads[starts]
    best = np.maximum.reduceat(bids, starts)
    up = best > price[groups]
    rose = groups[up]
    price[rose] = best[up]
    return rose


def certify(
    need: IntArray,
    org: IntArray,
    w: IntArray,
    capacity: IntArray,
    chosen: IntArray,
    prices: Prices,
) -> bool:
    """Whether ``prices`` prove the plan ``chosen`` optimal: every condition checked on every pair.

    The plan keeps the capacities and takes each need at most once and only pairs with ``w > 0``;
    the prices are non-negative and cover every pair (``u[n] + v[o] >= w[p]``); they are tight on
    the chosen pairs, 0 for needs left unmet and for organizations with room left.
    """
    n_needs, n_orgs = prices.surplus.size, prices.price.size
    u, v = prices.surplus, prices.price
    taken = np.bincount(need[chosen], minlength=n_needs)
    load = np.bincount(org[chosen], minlength=n_orgs)
    return bool(
        (taken <= 1).all()
        and (load <= capacity).all()
        and (w[chosen] > 0).all()
        and (u >= 0).all()
        and (v >= 0).all()
        and (u[need] + v[org] >= w).all()
        and (u[need[chosen]] + v[org[chosen]] == w[chosen]).all()
        and (u[taken == 0] == 0).all()
        and (v[load < capacity] == 0).all()
    )


def least_prices_complete(matrix: IntArray, holder: IntArray) -> Prices | None:
    """:func:`least_prices` where every (need, organization) is a pair: ``matrix[n, o]`` is the
    pair's integer score (every one ``> 0``) and ``holder[n]`` the organization need ``n`` takes
    (-1: none). Each pass reads whole rows of the matrix, without gathering pairs."""
    n_needs, n_orgs = matrix.shape
    held = holder >= 0
    rows = np.arange(n_needs)
    own = np.where(held, matrix[rows, np.maximum(holder, 0)], 0)
    price = np.zeros(n_orgs, np.int64)
    needs: IntArray | None = None  # None: every need
    work, budget, passes = 0, MAX_WORK_PER_PAIR * max(1, matrix.size), 0
    while needs is None or needs.size:
        passes += 1
        block = matrix if needs is None else matrix[needs]
        work += block.size
        if work > budget:
            return None
        surplus = own - np.where(held, price[np.maximum(holder, 0)], 0)
        bids = block - (surplus if needs is None else surplus[needs])[:, None]
        raised = np.maximum(price, bids.max(axis=0, initial=0))
        rose = raised > price
        price = raised
        if not rose.any():
            break
        needs = rows[held & rose[np.maximum(holder, 0)]]
    surplus = own - np.where(held, price[np.maximum(holder, 0)], 0)
    return Prices(surplus, price, passes)


def certify_complete(
    matrix: IntArray, capacity: IntArray, holder: IntArray, prices: Prices
) -> bool:
    """:func:`certify` where every (need, organization) is a pair, scored ``matrix[n, o]``, and
    need ``n`` takes organization ``holder[n]`` (-1: none)."""
    n_needs, n_orgs = matrix.shape
    u, v = prices.surplus, prices.price
    taken = holder >= 0
    needs, orgs = np.flatnonzero(taken), holder[taken]
    load = np.bincount(orgs, minlength=n_orgs)
    chosen = matrix[needs, orgs]
    return bool(
        u.size == n_needs
        and v.size == n_orgs
        and (load <= capacity).all()
        and (chosen > 0).all()
        and (u >= 0).all()
        and (v >= 0).all()
        and (u[:, None] + v[None, :] >= matrix).all()
        and (u[needs] + v[orgs] == chosen).all()
        and (u[~taken] == 0).all()
        and (v[load < capacity] == 0).all()
    )
