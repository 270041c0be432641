"""The dispatch lifecycle, its event log, acceptance learning, ratings and the next year."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import cache

import pytest

import matcher
from matcher.dispatch import (
    AcceptanceCount,
    AcceptanceModel,
    AcceptancePrior,
    Dispatch,
    DuplicateEventError,
    NeedStatus,
    OfferStatus,
    TransitionError,
    UnknownIdError,
    events,
    fold,
    ratings,
)
from strategies import simple_document


@cache
def province() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=80, n_orgs=40)


def tiny() -> matcher.Problem:
    """Three needs, two organizations (o1 takes 1 industry/talent need, o2 two talent needs)."""
    return matcher.Problem.model_validate(simple_document())


# --- the lifecycle ----------------------------------------------------------------------------


def test_a_project_from_offer_to_rating() -> None:
    dispatch = Dispatch(tiny())
    proposal = dispatch.propose()
    assert proposal.round == 1 and proposal.changed
    assert type(dispatch.events[0]).__name__ == "Round"
    offer = next(e for e in proposal.offers if e.need_id == "n1")
    assert dispatch.state.need("n1").status is NeedStatus.DISPATCHED
    dispatch.accept("n1", offer.org_id)
    assert dispatch.state.need("n1").status is NeedStatus.ACCEPTED
    dispatch.start("n1")
    assert dispatch.state.need("n1").status is NeedStatus.IN_SERVICE
    dispatch.complete("n1")
    assert dispatch.state.need("n1").status is NeedStatus.COMPLETED
    rated = dispatch.rate("n1", "满意")
    assert rated.stars == 4
    assert dispatch.state.need("n1").status is NeedStatus.RATED
    assert dispatch.state.ratings() == {offer.org_id: (4,)}


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (["accept", "accept"], "the offer was accepted"),
        (["decline", "accept"], "the offer was declined"),
        (["withdraw", "decline"], "the offer was withdrawn"),
        (["rate"], "is proposed, not completed"),
        (["accept", "rate"], "is accepted, not completed"),
        (["accept", "complete"], "is accepted, not in service"),
        (["start"], "is proposed, not accepted"),
        (["accept", "start", "cancel"], "its project is in service"),
        (["cancel", "accept"], "the offer was withdrawn"),
    ],
)
def test_impossible_transitions_are_refused_and_change_nothing(
    steps: list[str], message: str
) -> None:
    dispatch = Dispatch(tiny())
    offer = dispatch.propose().offers[0]
    n, o = offer.need_id, offer.org_id
    commands: dict[str, Callable[[], object]] = {
        "accept": lambda: dispatch.accept(n, o),
        "decline": lambda: dispatch.decline(n, o, "no staff"),
        "withdraw": lambda: dispatch.withdraw(n, o),
        "start": lambda: dispatch.start(n),
        "complete": lambda: dispatch.complete(n),
        "rate": lambda: dispatch.rate(n, 5),
        "cancel": lambda: dispatch.cancel(n),
    }
    *valid, last = steps
    for step in valid:
        commands[step]()
    before = (dispatch.state, dispatch.events, dispatch.to_json())
    with pytest.raises(TransitionError, match=message) as caught:
        commands[last]()
    assert (dispatch.state, dispatch.events, dispatch.to_json()) == before
    # The same refusal in Chinese names the need and no English word.
    chinese = caught.value.text("zh")
    assert chinese.startswith("不能") and n in chinese
    assert not any(word in chinese for word in ("cannot", "offer", "proposed", "accepted"))


def test_unknown_ids_and_duplicate_events_are_clear_errors() -> None:
    dispatch = Dispatch(tiny())
    offer = dispatch.propose().offers[0]
    with pytest.raises(UnknownIdError, match="unknown need 'n9'"):
        dispatch.accept("n9", offer.org_id)
    with pytest.raises(UnknownIdError, match="unknown organization 'o9'"):
        dispatch.accept(offer.need_id, "o9")
    with pytest.raises(DuplicateEventError, match="already recorded"):
        dispatch.record(dispatch.events[1])
    skipping = events.Accepted(seq=99, need_id=offer.need_id, org_id=offer.org_id)
    with pytest.raises(DuplicateEventError, match="skips ahead"):
        dispatch.record(skipping)
    with pytest.raises(TransitionError, match="not a valid event"):
        dispatch.record({"seq": len(dispatch.events), "kind": "teleported", "need_id": "n1"})
    with pytest.raises(TransitionError, match="invalid accepted event"):
        dispatch.accept("", offer.org_id)
    with pytest.raises(matcher.OptionError, match="not a rating"):
        dispatch.rate(offer.need_id, 6)


def test_manual_offers_respect_eligibility_capacity_and_declines() -> None:
    dispatch = Dispatch(tiny())
    # o2 is a city organization without industry capability: not a candidate for n1
    with pytest.raises(TransitionError, match="not eligible"):
        dispatch.offer("n1", "o2")
    dispatch.offer("n1", "o1")
    with pytest.raises(TransitionError, match="already has a proposed offer"):
        dispatch.offer("n1", "o1")
    with pytest.raises(TransitionError, match="already holds 1 of its 1 projects"):
        dispatch.offer("n2", "o1")
    dispatch.decline("n1", "o1", "too far")
    with pytest.raises(TransitionError, match="o1 declined n1"):
        dispatch.offer("n1", "o1")
    assert dispatch.state.need("n1").declined_by == ("o1",)
    assert dispatch.state.need("n1").status is NeedStatus.OPEN


def test_cancel_withdraws_the_offer_and_leaves_the_need_out() -> None:
    dispatch = Dispatch(tiny())
    proposal = dispatch.propose()
    offer = next(e for e in proposal.offers if e.need_id == "n2")
    dispatch.accept("n2", offer.org_id)
    dispatch.cancel("n2", "the village merged it into n3")
    state = dispatch.state
    assert state.need("n2").status is NeedStatus.CANCELLED
    assert state.offers[[o.need_id for o in state.offers].index("n2")].status is (
        OfferStatus.WITHDRAWN
    )
    assert "n2" not in {n.id for n in dispatch.round_problem().needs}
    later = dispatch.propose()
    assert all(pair[0] != "n2" for pair in later.plan)
    with pytest.raises(TransitionError, match="cancelled"):
        dispatch.offer("n2", offer.org_id)


def test_the_problem_must_not_carry_round_state() -> None:
    problem = tiny().replace(pending=[{"need_id": "n2", "org_id": "o2"}])
    with pytest.raises(matcher.OptionError, match="without pending"):
        Dispatch(problem)


# --- re-dispatch ------------------------------------------------------------------------------


def test_a_decline_is_re_dispatched_warm_and_the_rest_kept() -> None:
    dispatch = Dispatch(matcher.synth.shanxi(seed=1), disruption_cost=2.0)
    first = dispatch.propose()
    assert first.method == "cold"
    victim = first.offers[0]
    dispatch.decline(victim.need_id, victim.org_id, "no staff")
    second = dispatch.propose()
    assert second.method in ("warm", "kept")
    assert (victim.need_id, victim.org_id) not in second.plan
    assert len(second.kept) >= len(first.offers) - 5
    full = matcher.solve(second.problem)
    assert math.isclose(full.objective, second.objective, rel_tol=1e-9)
    assert matcher.verify(second.problem, second.solution) == []
    assert second.prices and all(v > 0 for v in second.prices.values())


def test_disruption_cost_zero_may_move_offers_a_large_one_does_not() -> None:
    """With the cost 0 a re-dispatch may withdraw open offers; with a huge one it never does."""
    for cost, may_move in ((0.0, True), (100.0, False)):
        dispatch = Dispatch(
            matcher.synth.shanxi(seed=3), disruption_cost=cost, acceptance_aware=True
        )
        first = dispatch.propose()
        for offer in first.offers[::4]:
            dispatch.decline(offer.need_id, offer.org_id)
        second = dispatch.propose()
        assert second.objective >= second.keep_objective - 1e-9 * second.objective
        if not may_move:
            assert second.withdrawn == ()
        for event in second.withdrawn:
            assert event.reason == "re-dispatched"
            assert dispatch.state.need(event.need_id).status in (
                NeedStatus.DISPATCHED,
                NeedStatus.OPEN,
            )


def test_other_solvers_solve_the_same_round_problem() -> None:
    dispatch = Dispatch(province(), disruption_cost=1.0)
    first = dispatch.propose(solver="cpsat", time_limit=20.0)
    assert first.method == "solve"
    assert first.prices == {}
    twin = Dispatch(province(), disruption_cost=1.0)
    assert math.isclose(twin.propose().objective, first.objective, rel_tol=1e-6)


def test_pair_scores_problems_use_their_own_scores() -> None:
    document = simple_document()
    document["pair_scores"] = [
        {"need_id": "n1", "org_id": "o1", "score": 5.0},
        {"need_id": "n2", "org_id": "o2", "score": 2.0},
        {"need_id": "n3", "org_id": "o2", "score": -1.0},
    ]
    dispatch = Dispatch(matcher.Problem.model_validate(document), disruption_cost=3.0)
    proposal = dispatch.propose()
    assert sorted(proposal.plan) == [("n1", "o1"), ("n2", "o2")]
    assert proposal.objective == 7.0
    assert dispatch.unplaceable()["n3"].reason == "non_positive_score"


def test_unplaceable_needs_say_why() -> None:
    document = simple_document()
    document["needs"].append({"id": "n4", "region": "K", "category": "vulnerable"})
    dispatch = Dispatch(matcher.Problem.model_validate(document))
    reasons = {k: u.reason for k, u in dispatch.unplaceable().items()}
    assert reasons == {"n4": "no_candidate"}
    assert "capability removes 2" in dispatch.unplaceable()["n4"].detail
    dispatch.propose()
    for offer in dispatch.state.pending:
        if offer.org_id == "o1":
            dispatch.accept(offer.need_id, offer.org_id)
        else:
            dispatch.decline(offer.need_id, offer.org_id)
    dispatch.propose()
    for offer in dispatch.state.pending:
        dispatch.decline(offer.need_id, offer.org_id)
    dispatch.propose()
    assert dispatch.settled
    # o1 took n1 (only it does industry); o2 declined n2 and n3, which o1 has no room for
    reasons = {k: u.reason for k, u in dispatch.unplaceable().items()}
    assert reasons == {"n2": "capacity", "n3": "capacity", "n4": "no_candidate"}
    assert "full with accepted offers" in dispatch.unplaceable()["n2"].detail


def test_a_need_every_candidate_declined_is_unplaceable() -> None:
    dispatch = Dispatch(tiny())
    dispatch.offer("n1", "o1")
    dispatch.decline("n1", "o1", "outside our focus")
    assert dispatch.unplaceable()["n1"].reason == "declined"
    assert dispatch.unplaceable()["n1"].detail == "all 1 eligible organizations declined it"


# --- the log ----------------------------------------------------------------------------------


def test_the_log_is_json_and_back_exactly() -> None:
    dispatch = Dispatch(province(), disruption_cost=1.0, acceptance_aware=True)
    first = dispatch.propose()
    for k, offer in enumerate(first.offers):
        if k % 3:
            dispatch.accept(offer.need_id, offer.org_id)
        else:
            dispatch.decline(offer.need_id, offer.org_id, "资金未落实")
    dispatch.propose()
    text = dispatch.to_json()
    document = json.loads(text)
    assert set(document) == {"version", "problem", "prior", "history", "events"}
    assert document["events"][0]["kind"] == "round"
    again = Dispatch.from_json(text)
    assert again.to_json() == text
    assert again.state == dispatch.state == fold(dispatch.problem, dispatch.events)
    assert again.propose().offers == dispatch.propose().offers


def test_events_parse_and_dump() -> None:
    event = events.parse_event(
        {"seq": 0, "kind": "rated", "need_id": "n1", "stars": 5, "comment": "很好"}
    )
    assert isinstance(event, events.Rated)
    assert events.load_events(json.loads(events.dump_events([event]))) == [event]
    assert set(events.EVENT_KINDS) == {
        "round", "proposed", "accepted", "declined", "withdrawn", "started", "completed",
        "rated", "cancelled",
    }  # fmt: skip


# --- acceptance, ratings, next year -------------------------------------------------------------


def test_acceptance_posteriors_learn_from_answers() -> None:
    problem = province()
    org = problem.organizations[0].id
    model = AcceptanceModel(problem, {(org, matcher.Category.INDUSTRY): (1, 5)})
    category = model.category("industry")
    assert category.alpha == 3.0 + 1 and category.beta == 1.0 + 5
    # its prior is the other organizations' rate (none answered: the prior 0.75), weight 4
    assert math.isclose(model.probability(org, "industry"), (3.0 + 1) / (4.0 + 6))
    other = problem.organizations[1].id
    assert math.isclose(model.probability(other, "industry"), category.mean)
    assert model.organization(org).mean < model.organization(other).mean
    assert model.counts() == [
        AcceptanceCount(org_id=org, category="industry", accepted=1, declined=5)
    ]
    stated = problem.replace(
        organizations=[
            problem.organizations[0].model_copy(update={"acceptance": {"talent": 0.2}}),
            *problem.organizations[1:],
        ]
    )
    assert math.isclose(AcceptanceModel(stated, {}).probability(org, "talent"), 0.2)
    strong = AcceptanceModel(problem, {}, AcceptancePrior(mean=0.5, strength=10.0))
    assert strong.probability(org, "talent") == 0.5


def test_expected_acceptances_use_the_posteriors() -> None:
    dispatch = Dispatch(province(), acceptance_aware=True)
    first = dispatch.propose()
    assert math.isclose(first.expected_acceptances, 0.75 * len(first.offers))
    for offer in first.offers:
        dispatch.decline(offer.need_id, offer.org_id)
    second = dispatch.propose()
    assert second.offers
    model = dispatch.acceptance()
    assert math.isclose(
        second.expected_acceptances,
        sum(model.probability(o.org_id, o.category) for o in dispatch.state.pending),
    )
    assert second.expected_acceptances < 0.75 * len(second.offers)


def test_rating_scale_and_reputation() -> None:
    assert [ratings.label(s) for s in (5, 4, 3, 2, 1)] == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意",
    ]  # fmt: skip
    assert ratings.stars("Very Satisfied") == 5
    assert ratings.reputation([], 3.5, 5.0) == 3.5
    assert ratings.reputation([1], 3.5, 0.0) == 1.0
    with pytest.raises(matcher.OptionError):
        ratings.stars("so-so")


def test_next_year_carries_ratings_continuity_and_answers() -> None:
    dispatch = Dispatch(tiny(), disruption_cost=1.0)
    dispatch.propose()
    stars = {"n1": 5, "n2": 1}
    for offer in dispatch.state.pending:
        dispatch.accept(offer.need_id, offer.org_id)
        dispatch.start(offer.need_id)
        dispatch.complete(offer.need_id)
        dispatch.rate(offer.need_id, stars.get(offer.need_id, 3))
    ran = {o.need_id: o.org_id for o in dispatch.state.offers}
    document = simple_document()
    document["needs"] = [
        {"id": "m1", "region": "K", "category": "industry"},
        {"id": "m2", "region": "K", "category": "talent"},
        {"id": "m3", "region": "C", "category": "talent"},
    ]
    following = matcher.Problem.model_validate(document)
    later = dispatch.next_year(following, {"m1": "n1", "m2": "n2"})
    problem = later.problem
    assert problem.need("m1").continues == matcher.Continuation(org_id=ran["n1"], stars=5)
    assert problem.need("m2").continues == matcher.Continuation(org_id=ran["n2"], stars=1)
    assert problem.need("m3").continues is None
    assert problem.organization(ran["n1"]).ratings[-1:] == (5,)
    assert problem.policy.weights.incumbent == 1.0
    history = {(c.org_id, c.category): (c.accepted, c.declined) for c in later.history}
    assert sum(a for a, _ in history.values()) == len(dispatch.state.offers)
    table = matcher.candidates(problem).set_index(["need_id", "org_id"])
    assert table.loc[("m1", ran["n1"]), "continuity"] == 1.0
    assert table.loc[("m2", ran["n2"]), "discontinuity"] == -1.0
