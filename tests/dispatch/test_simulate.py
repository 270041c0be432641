"""Simulated program years: seeded behaviour, answers, ratings, next year, whole programs."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import matcher
from matcher.dispatch import Dispatch, NeedStatus, OfferStatus, simulate


@cache
def province() -> matcher.Problem:
    return matcher.synth.shanxi(seed=4, n_needs=150, n_orgs=40)


@cache
def program(aware: bool) -> tuple[list[simulate.YearReport], list[Dispatch]]:
    return simulate.simulate_program(province(), years=2, acceptance_aware=aware, seed=7)


def test_behaviour_is_seeded_and_weak_capability_accepts_less() -> None:
    problem = province()
    one, two = simulate.simulate_behaviour(problem, 1), simulate.simulate_behaviour(problem, 1)
    assert np.array_equal(one.acceptance, two.acceptance)
    assert not np.array_equal(one.acceptance, simulate.simulate_behaviour(problem, 2).acceptance)
    assert ((one.acceptance > 0) & (one.acceptance < 1)).all()
    capability = problem.index.org_capability
    strong, weak = capability >= 0.6, (capability > 0) & (capability < 0.4)
    assert one.acceptance[strong].mean() > one.acceptance[weak].mean()
    org = problem.organizations[0]
    category = next(iter(org.capabilities))
    assert one.probability(org.id, category, 0.0) < one.probability(org.id, category, 1.0)


def test_a_year_settles_and_its_report_adds_up() -> None:
    reports, dispatches = program(True)
    for report, dispatch in zip(reports, dispatches, strict=True):
        state = dispatch.state
        assert report.settled and dispatch.settled
        assert report.rounds >= 1
        assert report.offers == len(state.offers)
        assert report.offers == report.accepted + report.declined + report.withdrawn
        assert report.placed == sum(
            n.status is NeedStatus.RATED for n in state.needs
        )  # every accepted project ran and was rated
        assert report.coverage == report.placed / report.needs
        assert 0 <= report.key_placed <= report.key_needs
        assert sum(report.stars.values()) == report.accepted
        assert report.needs - report.placed == sum(report.unplaceable.values())
        assert 0.0 < report.acceptance_rate < 1.0
        assert set(report.row()) >= {"rounds", "acceptance_rate", "key_coverage"}


def test_the_program_is_deterministic() -> None:
    again = simulate.simulate_program(province(), years=2, acceptance_aware=True, seed=7)
    reports, dispatches = program(True)
    assert again[0] == reports
    assert [d.to_json() for d in again[1]] == [d.to_json() for d in dispatches]


def test_next_year_continues_rated_projects_and_extends_ratings() -> None:
    _, (first, second) = program(True)
    rated = {o.need_id: o for o in first.state.offers if o.status is OfferStatus.RATED}
    # the program drew next year's needs with seed + 1000 * year: the same draw again
    following, follow_ups = simulate.next_year_problem(first.problem, first, seed=7 + 2000, year=2)
    assert [n.id for n in following.needs] == [n.id for n in second.problem.needs]
    assert follow_ups, "some projects come back as follow-up needs"
    for need in second.problem.needs:
        if need.id not in follow_ups:
            assert need.continues is None
            continue
        earlier = rated[follow_ups[need.id]]
        assert need.id.startswith("Y2-")
        assert need.title.endswith("（接续）")
        assert need.region == first.problem.need(earlier.need_id).region
        assert need.continues == matcher.Continuation(org_id=earlier.org_id, stars=earlier.stars)
    stars = first.state.ratings()
    for org in second.problem.organizations:
        before = first.problem.organization(org.id).ratings
        assert org.ratings == (*before, *stars.get(org.id, ()))
    assert second.history == tuple(first.answer_counts())
    regions = {n.region for n in first.problem.needs}
    assert {n.region for n in second.problem.needs} <= regions
    assert len(second.problem.needs) == len(first.problem.needs)


def test_better_fit_gets_better_stars() -> None:
    reports, dispatches = program(False)
    behaviour = simulate.simulate_behaviour(province(), 7)
    quality, stars = [], []
    for dispatch in dispatches:
        for offer in dispatch.state.offers:
            if offer.stars is not None:
                quality.append(behaviour.quality[behaviour.org_ids.index(offer.org_id)])
                stars.append(offer.stars)
    assert np.corrcoef(quality, stars)[0, 1] > 0.2
    assert 3.0 < reports[0].mean_stars < 5.0


def test_without_follow_ups_and_bad_arguments() -> None:
    dispatch = Dispatch(province())
    problem, follow_ups = simulate.next_year_problem(
        province(), dispatch, follow_up_share=0.0, year=3
    )
    assert follow_ups == {}
    assert all(n.id.startswith("Y3-") for n in problem.needs)
    with pytest.raises(matcher.OptionError):
        simulate.next_year_problem(province(), dispatch, follow_up_share=2.0)
    with pytest.raises(matcher.OptionError):
        simulate.simulate_program(province(), years=0)
    with pytest.raises(matcher.OptionError):
        simulate.simulate_behaviour(province(), mean=1.0)


def test_stated_intent_becomes_the_prior() -> None:
    behaviour = simulate.simulate_behaviour(province(), 0)
    stated = behaviour.stated(province(), noise=0.0)
    org = stated.organizations[0]
    category = next(iter(org.capabilities))
    row = behaviour.org_ids.index(org.id)
    truth = behaviour.acceptance[row, list(matcher.Category).index(category)]
    assert org.acceptance[category] == pytest.approx(truth)
    model = Dispatch(stated, acceptance_aware=True).acceptance()
    assert model.probability(org.id, category) == pytest.approx(truth)
