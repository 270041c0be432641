"""The round engine: warm re-dispatch equals a cold solve, and its prices prove optimality."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.dispatch.engine import Layout, RoundOutcome, integer_scale, solve_round
from matcher.pairs.table import build_candidates

IntArray = npt.NDArray[np.int64]


def certificate_holds(
    layout: Layout,
    score: IntArray,
    active: npt.NDArray[np.bool_],
    capacity: IntArray,
    outcome: RoundOutcome,
) -> bool:
    """Complementary slackness, checked from scratch on every active pair."""
    row_of, prices = outcome.row_of, outcome.prices
    assigned = row_of >= 0
    u = np.zeros(layout.n_needs, np.int64)
    u[assigned] = score[row_of[assigned]] - prices[layout.org[row_of[assigned]]]
    rows = np.flatnonzero(active)
    load = np.bincount(layout.org[row_of[assigned]], minlength=layout.n_orgs)
    return bool(
        (prices >= 0).all()
        and (u >= 0).all()
        and (u[layout.need[rows]] + prices[layout.org[rows]] >= score[rows]).all()
        and (prices[load < capacity] == 0).all()
        and (load <= capacity).all()
        and active[row_of[assigned]].all()
    )


def integer_round(problem: matcher.Problem) -> tuple[Layout, IntArray, float]:
    """A problem's candidate pairs as a round: layout, integer scores and their scale."""
    table = build_candidates(problem)
    index = problem.index
    layout = Layout.build(index.n_needs, index.n_orgs, table.need, table.org)
    scale = integer_scale(float(np.abs(table.score).max()) + 1.0, index.n_needs + index.n_orgs + 2)
    return layout, np.rint(table.score * scale).astype(np.int64), scale


def value(score: IntArray, outcome: RoundOutcome) -> int:
    return int(score[outcome.row_of[outcome.row_of >= 0]].sum())


@st.composite
def instances(draw: Any) -> tuple[Layout, IntArray, IntArray]:
    n = draw(st.integers(1, 25))
    m = draw(st.integers(1, 7))
    mask = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m))).reshape(n, m)
    need, org = np.nonzero(mask)
    layout = Layout.build(n, m, need.astype(np.int64), org.astype(np.int64))
    low = draw(st.sampled_from([-3, 0, 1]))
    high = draw(st.sampled_from([3, 20, 1000]))  # 3: many ties
    score = np.array(
        draw(st.lists(st.integers(low, high), min_size=need.size, max_size=need.size)), np.int64
    )
    capacity = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)), np.int64)
    return layout, score, capacity


@settings(max_examples=300, deadline=None)
@given(instances(), st.data())
def test_warm_equals_cold_after_any_change(
    instance: tuple[Layout, IntArray, IntArray], data: st.DataObject
) -> None:
    layout, score, capacity = instance
    active = np.ones(layout.n_pairs, bool)
    first = solve_round(layout, score, active, capacity)
    assert certificate_holds(layout, score, active, capacity, first)

    # Decline some chosen pairs, change some scores, add a disruption bonus to the kept ones.
    chosen = np.flatnonzero(first.row_of >= 0)
    declined = (
        data.draw(st.lists(st.sampled_from(chosen.tolist()), unique=True)) if chosen.size else []
    )
    later = active.copy()
    later[first.row_of[np.array(declined, np.int64)]] = False
    changed = score.copy()
    if layout.n_pairs:
        moved = np.array(
            data.draw(st.lists(st.booleans(), min_size=layout.n_pairs, max_size=layout.n_pairs))
        )
        changed[moved] += data.draw(st.integers(-5, 5))
    keep = first.row_of.copy()
    if layout.n_pairs:
        keep[(keep >= 0) & ~later[np.maximum(keep, 0)]] = -1
    changed[keep[keep >= 0]] += data.draw(st.integers(0, 3))
    # Capacities may move too, as far as the kept plan still fits.
    load = np.bincount(layout.org[keep[keep >= 0]], minlength=layout.n_orgs)
    shift = np.array(data.draw(st.lists(st.integers(-2, 2), min_size=layout.n_orgs,
                                        max_size=layout.n_orgs)), np.int64)  # fmt: skip
    room = np.maximum(capacity + shift, load)

    warm = solve_round(
        layout, changed, later, room, keep, first.prices, max_start=10**9, max_work=10**12
    )
    cold = solve_round(layout, changed, later, room)
    assert value(changed, warm) == value(changed, cold)
    assert certificate_holds(layout, changed, later, room, warm)
    assert (changed[warm.row_of[warm.row_of >= 0]] > 0).all()
    if layout.n_pairs:
        assert warm.method in ("kept", "warm")  # the repair always finds its certificate
    # The least proving prices are the same for every optimal plan, however it was found.
    assert warm.prices.tolist() == cold.prices.tolist()


def test_a_few_declines_on_a_province_stay_warm_and_exact() -> None:
    problem = matcher.synth.shanxi(seed=2)
    index = problem.index
    layout, score, scale = integer_round(problem)
    active, capacity = np.ones(layout.n_pairs, bool), index.org_capacity
    first = solve_round(layout, score, active, capacity)
    rng = np.random.default_rng(0)
    chosen = np.flatnonzero(first.row_of >= 0)
    for k in (1, 3, 8):
        gone = rng.choice(chosen, size=k, replace=False)
        later = active.copy()
        later[first.row_of[gone]] = False
        keep = first.row_of.copy()
        keep[gone] = -1
        bonus = score.copy()
        bonus[keep[keep >= 0]] += int(scale)  # a disruption cost of 1
        warm = solve_round(layout, bonus, later, capacity, keep, first.prices)
        cold = solve_round(layout, bonus, later, capacity)
        assert warm.method == "warm"
        assert int(warm.stats["needs_resolved"]) < index.n_needs // 10
        assert value(bonus, warm) == value(bonus, cold)
        assert certificate_holds(layout, bonus, later, capacity, warm)


def test_five_percent_declines_on_a_province_stay_warm_exact_and_local() -> None:
    problem = matcher.synth.generate(3000, 600, seed=4)
    layout, score, scale = integer_round(problem)
    active, capacity = np.ones(layout.n_pairs, bool), problem.index.org_capacity
    first = solve_round(layout, score, active, capacity)
    chosen = np.flatnonzero(first.row_of >= 0)
    gone = np.random.default_rng(1).choice(chosen, size=chosen.size // 20, replace=False)
    later = active.copy()
    later[first.row_of[gone]] = False
    keep = first.row_of.copy()
    keep[gone] = -1
    bonus = score.copy()
    bonus[keep[keep >= 0]] += int(scale)
    warm = solve_round(layout, bonus, later, capacity, keep, first.prices)
    cold = solve_round(layout, bonus, later, capacity)
    assert warm.method == "warm"
    assert value(bonus, warm) == value(bonus, cold)
    assert warm.prices.tolist() == cold.prices.tolist()
    assert certificate_holds(layout, bonus, later, capacity, warm)
    # The repair reads a small part of the pairs, not the province.
    assert int(warm.stats["pairs_scanned"]) < layout.n_pairs // 4
    # Deterministic: the same inputs give the same plan and prices.
    again = solve_round(layout, bonus, later, capacity, keep, first.prices)
    assert (again.row_of == warm.row_of).all() and (again.prices == warm.prices).all()


def test_the_repair_leaves_its_inputs_alone() -> None:
    layout = Layout.build(2, 1, np.array([0, 1]), np.array([0, 0]))
    keep, prices = np.array([-1, 1]), np.array([0])
    outcome = solve_round(layout, np.array([5, 3]), np.ones(2, bool), np.array([1]), keep, prices)
    assert outcome.row_of.tolist() == [0, -1] and outcome.prices.tolist() == [3]
    assert keep.tolist() == [-1, 1] and prices.tolist() == [0]


def test_a_kept_plan_over_capacity_or_too_much_work_goes_cold() -> None:
    layout = Layout.build(2, 1, np.array([0, 1]), np.array([0, 0]))
    score, active = np.array([5, 3]), np.ones(2, bool)
    full = solve_round(layout, score, active, np.array([1]), np.array([0, 1]), np.array([0]))
    assert full.method == "cold" and full.stats["fallback"] == "the kept plan exceeds a capacity"
    busy = solve_round(
        layout, score, active, np.array([1]), np.array([-1, 1]), np.array([0]), max_work=0
    )
    assert busy.method == "cold" and "scanned more than 0 pairs" in str(busy.stats["fallback"])
    assert busy.row_of.tolist() == [0, -1]


def test_too_many_changes_go_cold_and_say_why() -> None:
    layout = Layout.build(3, 1, np.array([0, 1, 2]), np.array([0, 0, 0]))
    score = np.array([5, 4, 3])
    first = solve_round(layout, score, np.ones(3, bool), np.array([1]))
    later = solve_round(
        layout, score, np.array([False, True, True]), np.array([1]), first.row_of, first.prices,
        max_start=0,
    )  # fmt: skip
    assert later.method == "cold"
    assert "break the kept plan" in str(later.stats["fallback"])
    assert later.row_of.tolist() == [-1, 1, -1]
