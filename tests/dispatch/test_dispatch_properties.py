"""Properties of a dispatch under random sequences of commands (hypothesis).

Every sequence mixes valid and impossible commands. After each one: an impossible command left
the dispatch untouched; after each ``propose``: accepted offers survived, declined pairs did not
come back, the plan is at least as good as keeping every open offer (scored on the round problem's
own candidate table), it is exactly as good as ``matcher.solve`` on the same round problem, and
``matcher.verify`` finds nothing. At the end: replaying the events gives the same state and the
same next proposal, and the JSON round trip is exact.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.dispatch import Dispatch, OfferStatus, TransitionError, fold
from strategies import SMALL, problems

KINDS = (
    "propose",
    "propose",
    "accept",
    "accept",
    "decline",
    "decline",
    "withdraw",
    "start",
    "complete",
    "rate",
    "cancel",
    "offer",
    "unknown",
    "replayed",
)

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.integers(1, 5),
    ),
    min_size=1,
    max_size=25,
)


@cache
def shanxi(seed: int) -> matcher.Problem:
    return matcher.synth.shanxi(seed=seed, n_needs=60, n_orgs=40)


def synthetic() -> st.SearchStrategy[matcher.Problem]:
    return st.integers(0, 4).map(shanxi)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def snapshot(dispatch: Dispatch) -> tuple[Any, ...]:
    return dispatch.state, dispatch.events, dispatch.to_json()


def check_proposal(dispatch: Dispatch, before: Any) -> None:
    """Run ``propose`` and check every promise of a re-dispatch."""
    committed = {(o.need_id, o.org_id) for o in before.committed}
    declined = {(o.need_id, o.org_id) for o in before.offers if o.status is OfferStatus.DECLINED}
    pending = {(o.need_id, o.org_id) for o in before.pending}
    proposal = dispatch.propose()
    plan = set(proposal.plan)
    assert committed <= plan, "an accepted offer was dropped"
    assert not plan & declined, "a declined pair came back"
    assert not {(e.need_id, e.org_id) for e in proposal.offers} & declined
    assert {(e.need_id, e.org_id) for e in proposal.withdrawn} <= pending
    assert proposal.objective >= proposal.keep_objective - 1e-9 * max(1.0, abs(proposal.objective))

    problem = proposal.problem
    table = matcher.candidates(problem).set_index(["need_id", "org_id"])["score"]
    keep_plan = committed | pending
    keep_score = sum(float(table[pair]) for pair in keep_plan)
    assert proposal.objective >= keep_score - 1e-9 * max(1.0, abs(keep_score))
    assert close(proposal.keep_objective, keep_score)

    solution = proposal.solution
    assert matcher.verify(problem, solution) == []
    assert close(solution.objective, proposal.objective)
    full = matcher.solve(problem)
    assert close(full.objective, proposal.objective), (full.objective, proposal.objective)

    # The plan's open offers are now the pending ones; their current probabilities add up.
    model = dispatch.acceptance()
    expected = sum(model.probability(o.org_id, o.category) for o in dispatch.state.pending)
    assert close(proposal.expected_acceptances, expected)
    assert set(proposal.kept) | {(e.need_id, e.org_id) for e in proposal.offers} == {
        (o.need_id, o.org_id) for o in dispatch.state.pending
    }


def apply(dispatch: Dispatch, action: tuple[str, int, int, int]) -> None:
    """One command, valid or not; an impossible one must leave everything as it was."""
    kind, i, j, stars = action
    state = dispatch.state
    needs = dispatch.problem.needs
    orgs = dispatch.problem.organizations
    offers = state.offers
    before = snapshot(dispatch)
    try:
        if kind == "propose":
            check_proposal(dispatch, state)
            return
        if kind in ("accept", "decline", "withdraw"):
            if not offers:
                return
            offer = offers[i % len(offers)]
            if kind == "accept":
                dispatch.accept(offer.need_id, offer.org_id)
            elif kind == "decline":
                dispatch.decline(offer.need_id, offer.org_id, "busy")
            else:
                dispatch.withdraw(offer.need_id, offer.org_id)
        elif kind in ("start", "complete", "rate", "cancel"):
            if not needs:
                return
            need_id = needs[i % len(needs)].id
            if kind == "start":
                dispatch.start(need_id)
            elif kind == "complete":
                dispatch.complete(need_id)
            elif kind == "rate":
                dispatch.rate(need_id, stars)
            else:
                dispatch.cancel(need_id, "merged with another need")
        elif kind == "offer":
            if not needs or not orgs:
                return
            dispatch.offer(needs[i % len(needs)].id, orgs[j % len(orgs)].id)
        elif kind == "unknown":
            dispatch.accept("no-such-need", orgs[0].id if orgs else "no-such-org")
        elif kind == "replayed" and dispatch.events:
            dispatch.record(dispatch.events[i % len(dispatch.events)])
    except TransitionError:
        assert snapshot(dispatch) == before, "a refused command changed the dispatch"


def check_replay(dispatch: Dispatch) -> None:
    state = dispatch.state
    assert fold(dispatch.problem, dispatch.events) == state
    again = Dispatch(dispatch.problem, dispatch.events)
    assert again.state == state
    text = dispatch.to_json()
    loaded = Dispatch.from_json(text)
    assert loaded.to_json() == text
    assert loaded.state == state
    first, second, third = dispatch.propose(), again.propose(), loaded.propose()
    assert first.offers == second.offers == third.offers
    assert first.withdrawn == second.withdrawn == third.withdrawn
    assert dispatch.events == again.events == loaded.events


@settings(max_examples=40, deadline=None)
@given(synthetic(), ACTIONS, st.sampled_from([0.0, 0.5, 2.0]), st.booleans())
def test_dispatch_keeps_its_promises_on_synthetic_provinces(
    problem: matcher.Problem, actions: list[tuple[str, int, int, int]], cost: float, aware: bool
) -> None:
    dispatch = Dispatch(problem, disruption_cost=cost, acceptance_aware=aware)
    for action in actions:
        apply(dispatch, action)
    check_replay(dispatch)


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None), ACTIONS, st.sampled_from([0.0, 1.0]), st.booleans())
def test_dispatch_keeps_its_promises_on_random_problems(
    problem: matcher.Problem, actions: list[tuple[str, int, int, int]], cost: float, aware: bool
) -> None:
    dispatch = Dispatch(problem, disruption_cost=cost, acceptance_aware=aware)
    for action in actions:
        apply(dispatch, action)
    check_replay(dispatch)


@pytest.mark.parametrize("aware", [False, True])
def test_answers_until_settled(aware: bool) -> None:
    """Rounds of answers (every third offer declined) end settled, every promise kept."""
    dispatch = Dispatch(shanxi(0), disruption_cost=1.0, acceptance_aware=aware)
    for round_no in range(30):
        check_proposal(dispatch, dispatch.state)
        pending = dispatch.state.pending
        if not pending and dispatch.settled:
            break
        for k, offer in enumerate(pending):
            if (k + round_no) % 3 == 0:
                dispatch.decline(offer.need_id, offer.org_id)
            else:
                dispatch.accept(offer.need_id, offer.org_id)
    assert dispatch.settled
    check_replay(dispatch)
