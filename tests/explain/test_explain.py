"""Explanations: breakdowns that add up, verdicts that hold, bottlenecks that are true Hall sets."""

from __future__ import annotations

import dataclasses
import importlib
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import matcher
from conftest import build
from matcher import Category, OptionError
from matcher.explain import Explainer, Explanation, explain, why_not
from matcher.pairs.eligibility import ineligibility
from matcher.pairs.table import build_candidates
from strategies import SMALL, TINY, problems

TOL = 1e-9
# The module itself, whatever ``matcher.explain`` may name one day (a re-exported function).
explain_module = importlib.import_module("matcher.explain.explainer")


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[0, 1])
def shanxi(request: pytest.FixtureRequest) -> tuple[matcher.Problem, matcher.Solution]:
    """A small Shanxi-like province where capacity binds, with its optimal plan."""
    problem = matcher.synth.shanxi(seed=request.param, n_needs=150, n_orgs=30)
    return problem, matcher.solve(problem)


def candidate_sets(problem: matcher.Problem) -> dict[str, dict[str, float]]:
    """need id -> {org id: score} of every eligible pair, from the candidate table."""
    table = build_candidates(problem)
    index = problem.index
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for n, o, s in zip(table.need.tolist(), table.org.tolist(), table.score.tolist(), strict=True):
        found[index.need_ids[n]][index.org_ids[o]] = s
    return found


def plan_of(solution: matcher.Solution) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """need id -> its organizations, org id -> its needs."""
    by_need: dict[str, list[str]] = defaultdict(list)
    by_org: dict[str, list[str]] = defaultdict(list)
    for a in solution.assignments:
        by_need[a.need_id].append(a.org_id)
        by_org[a.org_id].append(a.need_id)
    return by_need, by_org


def org(org_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": org_id,
        "name": f"组织{org_id}",
        "org_type": "agriculture",
        "scope": "province",
        "home_region": "P",
        "capabilities": {"industry": 0.5},
        "max_projects": 1,
    }
    return base | fields


def tiny(
    organizations: list[dict[str, Any]], needs: list[dict[str, Any]], **extra: Any
) -> matcher.Problem:
    """One province, two cities with a county each; a key county in the first."""
    regions = [
        {"id": "P", "name": "山西省", "level": "province"},
        {"id": "A", "name": "太原市", "level": "city", "parent": "P"},
        {"id": "A1", "name": "清徐县", "level": "county", "parent": "A", "priority": "key"},
        {"id": "B", "name": "大同市", "level": "city", "parent": "P"},
        {"id": "B1", "name": "阳高县", "level": "county", "parent": "B"},
    ]
    return build({"regions": regions, "organizations": organizations, "needs": needs, **extra})


def need(
    need_id: str, region: str = "A1", category: str = "industry", **fields: Any
) -> dict[str, Any]:
    return {"id": need_id, "region": region, "category": category, **fields}


# --- assigned needs --------------------------------------------------------------------------


def test_breakdown_adds_up_and_higher_candidates_are_full(
    shanxi: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, solution = shanxi
    assert solution.status is matcher.Status.OPTIMAL
    explainer = Explainer(problem, solution)
    pairs = candidate_sets(problem)
    _, by_org = plan_of(solution)
    capacity = {o.id: o.max_projects for o in problem.organizations}
    ranks = []
    for a in solution.assignments:
        e = explainer.explain(a.need_id, "en")
        own = pairs[a.need_id]
        assert e.org_id == a.org_id and e.org_ids == (a.org_id,)
        assert e.score == pytest.approx(a.score, abs=TOL)
        assert sum(r.contribution for r in e.breakdown) == pytest.approx(a.score, abs=TOL)
        assert {r.component: r.value for r in e.breakdown} == pytest.approx(a.components)
        assert e.candidates == len(own)
        listed = {x.org_id: x for x in e.alternatives if x.verdict != "ineligible"}
        assert set(listed) == set(own) - {a.org_id}
        if e.runner_up is not None:
            runner = sum(r.runner_up_contribution or 0.0 for r in e.breakdown)
            assert runner == pytest.approx(own[e.runner_up], abs=TOL)
            assert own[e.runner_up] == pytest.approx(max(listed[o].score or 0 for o in listed))
        higher = [o for o, s in own.items() if s > a.score + 1e-6]
        assert e.rank == 1 + len(higher)
        for o in higher:
            # With capacity the chosen one need not be the best: every better one is full.
            assert listed[o].verdict == "full"
            assert len(by_org[o]) == capacity[o]
            assert listed[o].took == tuple(by_org[o])
        for alt in listed.values():
            assert alt.score_gap == pytest.approx(a.score - own[alt.org_id], abs=TOL)
            assert alt.score == pytest.approx(own[alt.org_id], abs=TOL)
        ranks.append(e.rank)
    assert max(ranks) > 1  # capacity binds: some needs are not with their best candidate


def test_ineligible_alternatives_name_the_right_rule(
    shanxi: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, solution = shanxi
    explainer = Explainer(problem, solution)
    index = problem.index
    for a in solution.assignments[:40]:
        e = explainer.explain(a.need_id, limit=3)
        n = index.need_position[a.need_id]
        codes = ineligibility(problem, n, np.arange(index.n_orgs))
        removed = [x for x in e.alternatives if x.verdict == "ineligible"]
        assert len(removed) <= 3
        for x in removed:
            o = index.org_position[x.org_id]
            assert x.rule == matcher.pairs.eligibility.RULES[codes[o] - 1]
            assert problem.organization(x.org_id).capabilities.get(Category(a.category), 0) > 0
        capable = index.org_capability[:, index.need_category[n]] > 0  # no pair_scores here
        assert sum(e.omitted.values()) + len(removed) == int(((codes > 0) & capable).sum())
        assert sum(e.excluded.values()) == int((codes > 0).sum())


def test_texts_carry_the_labels_in_both_languages(
    shanxi: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, solution = shanxi
    a = solution.assignments[0]
    region = problem.region(a.region).name
    chosen = problem.organization(a.org_id).name
    for language in ("zh", "en"):
        e = explain(problem, solution, a.need_id, language=language)
        assert e.language == language and str(e) == e.text
        head = e.text.splitlines()[0]
        assert a.category.label(language) in head
        assert region in head and chosen in head and a.need_id in head
        assert ("能力" if language == "zh" else "capability") in e.text
        assert all(r.label in e.text for r in e.breakdown if r.contribution)
    zh = explain(problem, solution, a.need_id).text
    assert "派给" in zh and "得分构成" in zh
    en = explain(problem, solution, a.need_id, "en").text
    assert "went to" in en and "score (value × weight = points)" in en


def test_to_frame_and_immutability(shanxi: tuple[matcher.Problem, matcher.Solution]) -> None:
    problem, solution = shanxi
    e = explain(problem, solution, solution.assignments[0].need_id, "en")
    frame = e.to_frame()
    assert list(frame.columns) == [
        "org_id",
        "name",
        "verdict",
        "score",
        "score_gap",
        "rule",
        "took",
        "detail",
    ]
    assert len(frame) == len(e.alternatives)
    assert frame["verdict"].tolist() == [a.verdict for a in e.alternatives]
    assert len(e.breakdown_frame()) == len(e.breakdown)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.rank = 99  # type: ignore[misc]


def test_why_not_sentences() -> None:
    problem = tiny(
        [
            org("o1", name="农学会", capabilities={"industry": 0.9}, max_projects=1),
            org("o2", name="科技协会", capabilities={"industry": 0.5}, max_projects=2),
            org("o3", name="商会", credit="blacklisted", capabilities={"industry": 1.0}),
            org("o4", name="大同农协", scope="city", home_region="B"),
            org("o5", name="培训学校", org_type="training", capabilities={"talent": 0.9}),
            org("o6", name="服务社", service_regions=["B"]),
            org("o7", name="合作社", capabilities={"industry": 0.95}),
        ],
        [
            need("n1", beneficiaries=1000),
            need("n2", beneficiaries=900),
            need("n3", beneficiaries=10),
        ],
        declined=[{"need_id": "n1", "org_id": "o7"}, {"need_id": "n2", "org_id": "o7"}],
    )
    solution = matcher.solve(problem)
    taken = {a.need_id: a.org_id for a in solution.assignments}
    # n3 alone may take o7; n1 and n2 tie for o1 (the better) and o2.
    assert taken["n3"] == "o7" and {taken["n1"], taken["n2"]} == {"o1", "o2"}
    at_o1 = "n1" if taken["n1"] == "o1" else "n2"
    at_o2 = "n2" if at_o1 == "n1" else "n1"
    rules = {"o3": "credit", "o4": "scope", "o5": "capability", "o6": "service_regions"}
    rules["o7"] = "declined"
    for org_id, rule in rules.items():
        for language in ("zh", "en"):
            text = why_not(problem, solution, "n1", org_id, language)
            assert f"rule {rule}" in text or f"规则 {rule}" in text
            assert problem.organization(org_id).name in text
    en = why_not(problem, solution, at_o1, "o2", "en")
    e = explain(problem, solution, at_o1, "en")
    gap = next(a.score_gap for a in e.alternatives if a.org_id == "o2")
    assert gap is not None and gap > 0 and f"{gap:.2f} lower than the chosen 农学会 (o1)" in en
    assert "低" in why_not(problem, solution, at_o1, "o2")
    assert "chose" in why_not(problem, solution, at_o1, "o1", "en")
    assert "选定" in why_not(problem, solution, at_o1, "o1")
    full = why_not(problem, solution, at_o2, "o1", "en")
    assert "higher than the chosen one, but it is full" in full and at_o1 in full
    assert "已满额" in why_not(problem, solution, at_o2, "o1")


def test_pinned_and_rules_verdicts() -> None:
    organizations = [
        org("o1", capabilities={"industry": 0.9}, max_projects=2, budget=100.0),
        org("o2", capabilities={"industry": 0.4}, max_projects=2),
    ]
    needs = [need("n1", cost=500.0), need("n2", region="B1", cost=50.0)]
    pinned = tiny(organizations, needs, pinned=[{"need_id": "n1", "org_id": "o2"}])
    solution = matcher.solve(pinned)
    e = explain(pinned, solution, "n1", "en")
    assert e.org_id == "o2" and e.rank == 2
    (better,) = [a for a in e.alternatives if a.org_id == "o1"]
    assert better.verdict == "pinned" and "accepted offer" in better.detail

    budgets = tiny(organizations, needs, policy={"rules": {"money": {"budgets": True}}})
    solution = matcher.solve(budgets)
    assert {a.need_id: a.org_id for a in solution.assignments} == {"n1": "o2", "n2": "o1"}
    e = explain(budgets, solution, "n1", "en")
    (better,) = [a for a in e.alternatives if a.org_id == "o1"]
    assert better.verdict == "rules" and "policy rules (money) held it back" in better.detail
    assert "政策规则" in why_not(budgets, solution, "n1", "o1")


def test_not_chosen_when_the_plan_is_not_proven_best() -> None:
    problem = tiny(
        [org("o1", capabilities={"industry": 0.9}), org("o2", capabilities={"industry": 0.3})],
        [need("n1")],
    )
    best = matcher.solve(problem)
    row = matcher.candidates(problem).query("org_id == 'o2'").iloc[0].to_dict()
    worse = best.assignments[0].model_copy(
        update={
            "org_id": "o2",
            "score": row["score"],
            "components": {k: row[k] for k in matcher.models.COMPONENTS},
        }
    )
    plan = best.model_copy(update={"assignments": (worse,), "status": matcher.Status.FEASIBLE})
    e = explain(problem, plan, "n1", "en")
    assert e.rank == 2 and e.alternatives[0].verdict == "not_chosen"
    assert "not proven best" in e.alternatives[0].detail


def test_expected_value_and_pair_score_breakdowns_add_up() -> None:
    organizations = [
        org("o1", capabilities={"industry": 0.9}, acceptance={"industry": 0.5}),
        org("o2", capabilities={"industry": 0.6}),
    ]
    needs = [need("n1", beneficiaries=300)]
    expected = tiny(organizations, needs, policy={"expected_value": True})
    solution = matcher.solve(expected)
    e = explain(expected, solution, "n1", "en")
    assert e.breakdown[-1].component == "acceptance" and e.breakdown[-1].weight is None
    assert sum(r.contribution for r in e.breakdown) == pytest.approx(e.score)
    given = tiny(
        organizations,
        needs,
        pair_scores=[
            {"need_id": "n1", "org_id": "o1", "score": 3.0},
            {"need_id": "n1", "org_id": "o2", "score": 7.5},
        ],
    )
    solution = matcher.solve(given)
    e = explain(given, solution, "n1")
    assert e.org_id == "o2" and e.score == 7.5 and e.breakdown[-1].component == "pair_score"
    assert sum(r.contribution for r in e.breakdown) == pytest.approx(7.5)
    assert sum(r.runner_up_contribution or 0 for r in e.breakdown) == pytest.approx(3.0)


def test_partnership_lists_every_partner() -> None:
    problem = tiny(
        [org("o1", capabilities={"industry": 0.9}), org("o2", capabilities={"industry": 0.4})],
        [need("n1", partners=2)],
    )
    solution = matcher.solve(problem)
    e = explain(problem, solution, "n1", "en")
    assert e.org_id == "o1" and set(e.org_ids) == {"o1", "o2"} and e.alternatives == ()


# --- unmet needs and bottlenecks --------------------------------------------------------------


def check_bottleneck(
    problem: matcher.Problem,
    solution: matcher.Solution,
    e: Explanation,
    pairs: dict[str, dict[str, float]] | None = None,
) -> None:
    """The claims of a bottleneck, checked against the candidate table and the plan."""
    b = e.bottleneck
    assert b is not None
    pairs = candidate_sets(problem) if pairs is None else pairs
    by_need, by_org = plan_of(solution)
    capacity = {o.id: o.max_projects for o in problem.organizations}
    assert b.need_ids[0] == e.need_id and e.need_id not in by_need
    assert set(b.candidate_org_ids) == set(pairs[e.need_id])
    assert set(b.candidate_org_ids) <= set(b.org_ids)
    assert len(set(b.need_ids)) == len(b.need_ids) and len(set(b.org_ids)) == len(b.org_ids)
    assert b.capacity == sum(capacity[o] for o in b.org_ids)
    assert b.served == sum(1 for m in b.need_ids if m in by_need)
    positive = [o for o, s in pairs[e.need_id].items() if s > 0]
    assert all(len(by_org[o]) == capacity[o] for o in positive)
    if b.hall:
        # A Hall violation: every organization full, every competing need tied to them only.
        assert all(len(by_org[o]) == capacity[o] for o in b.org_ids)
        for m in b.need_ids:
            assert pairs[m] and set(pairs[m]) <= set(b.org_ids), m
        assert len(b.need_ids) > b.capacity == b.served
        taken = {m for o in b.org_ids for m in by_org[o]}
        assert taken <= set(b.need_ids)
    if b.outscored:
        own = pairs[e.need_id]
        for o in b.candidate_org_ids:
            for m in by_org[o]:
                assert pairs[m][o] >= own[o] - 1e-6


def brute_force_cost(
    problem: matcher.Problem,
    solution: matcher.Solution,
    need_id: str,
    pairs: dict[str, dict[str, float]] | None = None,
) -> float:
    """How much less the best plan that serves ``need_id`` scores, by re-solving with it pinned."""
    pairs = candidate_sets(problem) if pairs is None else pairs
    best = -np.inf
    for org_id in pairs[need_id]:
        pinned = [*problem.pinned, {"need_id": need_id, "org_id": org_id}]
        forced = problem.replace(pinned=pinned)
        try:
            best = max(best, matcher.solve(forced).objective)
        except matcher.ProblemError:  # the organization's capacity is all pinned already
            continue
    return float(solution.objective - best)


def test_capacity_bottlenecks_are_hall_sets(
    shanxi: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, solution = shanxi
    explainer = Explainer(problem, solution)
    pairs = candidate_sets(problem)
    capacity_unmet = [u for u in solution.unmet if u.reason == "capacity"]
    assert len(capacity_unmet) > 10
    halls = 0
    for u in capacity_unmet:
        e = explainer.explain(u.need_id, "en")
        assert e.reason == "capacity" and e.org_id is None and e.rank is None
        check_bottleneck(problem, solution, e, pairs)
        b = e.bottleneck
        assert b is not None and b.cost_to_serve is not None and b.cost_to_serve >= 0
        halls += b.hall
        head = e.text.splitlines()[0]
        assert head.endswith(".") and ". " not in head  # one sentence
        if b.hall:
            assert f"room for {b.capacity} need" in head and f"{len(b.need_ids)}" in head
        zh = explainer.explain(u.need_id).text.splitlines()[0]
        assert zh.count("。") == 1 and "未能派单" in zh
        assert u.category.label("zh") in zh and problem.region(u.region).name in zh
        if b.hall:
            assert f"共可承接 {b.capacity} 项" in zh
    assert halls > 0
    for u in capacity_unmet[:4]:
        b = explainer.explain(u.need_id).bottleneck
        assert b is not None and b.cost_to_serve is not None
        expected = brute_force_cost(problem, solution, u.need_id, pairs)
        assert b.cost_to_serve == pytest.approx(expected)


def test_hand_made_bottleneck_sentence() -> None:
    problem = tiny(
        [
            org("o1", name="农学会", capabilities={"industry": 0.9}, max_projects=2),
            org("o2", name="科技协会", capabilities={"industry": 0.6}, max_projects=1),
            org("o3", name="大同农协", scope="city", home_region="B", max_projects=3),
        ],
        [need(f"n{i}", beneficiaries=100 * (10 - i)) for i in range(1, 6)]
        + [need("m1", region="B1")],
    )
    solution = matcher.solve(problem)
    unmet = {u.need_id for u in solution.unmet}
    assert unmet == {"n4", "n5"}
    e = explain(problem, solution, "n5", "en")
    check_bottleneck(problem, solution, e)
    b = e.bottleneck
    assert b is not None and b.hall and set(b.org_ids) == {"o1", "o2"}
    assert set(b.need_ids) == {"n1", "n2", "n3", "n4", "n5"} and b.capacity == 3
    assert e.text.splitlines()[0].startswith(
        "Need n5 (Industry support, 清徐县) was not dispatched: the 2 organizations that could "
        "take it (农学会, 科技协会) have room for 3 needs, all taken by higher-scoring needs "
        "among the 5 that compete for them; the best plan that serves it scores "
    )
    zh = explain(problem, solution, "n5").text.splitlines()[0]
    assert zh.startswith(
        "清徐县的产业帮扶需求 n5 未能派单：可承接它的 2 个组织（农学会、科技协会）共可承接 3 项，"
        "已全部派给竞争这批组织的 5 项需求（含本项）中得分更高的 3 项"
    )
    assert b.cost_to_serve == pytest.approx(brute_force_cost(problem, solution, "n5"))
    assert {a.org_id: a.verdict for a in e.alternatives} == {
        "o1": "full",
        "o2": "full",
        "o3": "ineligible",
    }


def test_bottleneck_without_hall_set_is_a_score_trade_off() -> None:
    # n2 could move from o1 to o2 (which has room) to let n3 in, but n2 scores much less there.
    problem = tiny(
        [
            org("o1", capabilities={"industry": 0.3, "talent": 0.9}, max_projects=1),
            org("o2", org_type="training", capabilities={"talent": 0.05}, max_projects=1),
        ],
        [
            need("n2", category="talent", beneficiaries=5000),
            need("n3", category="industry", region="B1", beneficiaries=1),
        ],
        policy={"weights": {"priority": 0, "type_fit": 0, "proximity": 0, "reputation": 0}},
    )
    solution = matcher.solve(problem)
    assert {a.need_id: a.org_id for a in solution.assignments} == {"n2": "o1"}
    e = explain(problem, solution, "n3", "en")
    check_bottleneck(problem, solution, e)
    b = e.bottleneck
    assert b is not None and not b.hall and "o2" in b.org_ids
    assert "making room means moving other needs to lower-scoring organizations" in e.text
    assert b.cost_to_serve == pytest.approx(brute_force_cost(problem, solution, "n3"))


def test_bottleneck_of_accepted_offers_and_closed_organizations() -> None:
    organizations = [
        org("o1", name="农学会", max_projects=1),
        org("o2", name="科技协会", max_projects=0),
    ]
    pinned = [{"need_id": "n1", "org_id": "o1"}]
    problem = tiny(organizations, [need("n1"), need("n2", beneficiaries=9000)], pinned=pinned)
    solution = matcher.solve(problem)
    e = explain(problem, solution, "n2", "en")
    check_bottleneck(problem, solution, e)
    b = e.bottleneck
    assert b is not None and b.hall and b.cost_to_serve == float("inf")
    assert brute_force_cost(problem, solution, "n2") == float("inf")
    assert "no plan can serve it (the places left are held by accepted offers)" in e.text
    assert "已接受的派单" in explain(problem, solution, "n2").text

    closed = tiny([org("o2", name="科技协会", max_projects=0)], [need("n1")])
    solution = matcher.solve(closed)
    e = explain(closed, solution, "n1", "en")
    assert e.reason == "capacity" and e.bottleneck is not None and e.bottleneck.capacity == 0
    assert "the only organization that could take it (科技协会) takes no projects" in e.text
    assert "承接上限为 0" in explain(closed, solution, "n1").text


@settings(max_examples=15)
@given(problems(SMALL, pair_scores=None, min_needs=5))
def test_bottlenecks_hold_on_random_problems(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem)
    explainer = Explainer(problem, solution)
    pairs = candidate_sets(problem)
    for u in solution.unmet:
        e = explainer.explain(u.need_id, "en")
        assert e.reason == u.reason
        if u.reason == "capacity":
            check_bottleneck(problem, solution, e, pairs)
        if u.reason == "no_candidate":
            assert e.excluded == u.excluded and e.candidates == 0


@settings(max_examples=25)
@given(problems(TINY, pair_scores=None, min_needs=2))
def test_cost_to_serve_matches_a_re_solve(problem: matcher.Problem) -> None:
    solution = matcher.solve(problem)
    pairs = candidate_sets(problem)
    for u in solution.unmet:
        if u.reason != "capacity":
            continue
        b = explain(problem, solution, u.need_id).bottleneck
        assert b is not None and b.cost_to_serve is not None
        expected = brute_force_cost(problem, solution, u.need_id, pairs)
        assert b.cost_to_serve == pytest.approx(expected, abs=1e-6)


def test_no_candidate_and_other_reasons(shanxi: tuple[matcher.Problem, matcher.Solution]) -> None:
    problem, solution = shanxi
    u = next(u for u in solution.unmet if u.reason == "no_candidate")
    e = explain(problem, solution, u.need_id, "en")
    assert e.excluded == u.excluded and e.candidates == 0 and e.bottleneck is None
    assert "no organization may take it" in e.text
    assert all(f"{rule} removes {k}" in e.text for rule, k in u.excluded.items())
    assert "没有符合条件的组织" in explain(problem, solution, u.need_id).text

    rules = problem.with_policy(rules={"categories": [{"category": "industry", "max_served": 0}]})
    ruled = matcher.solve(rules)
    held = [x for x in ruled.unmet if x.reason == "rules"]
    assert held
    e = explain(rules, ruled, held[0].need_id, "en")
    assert "policy rules (category quotas)" in e.text.splitlines()[0]
    assert {a.verdict for a in e.alternatives} <= {"rules", "full", "ineligible", "not_positive"}


# --- the two ways to find other needs' candidates -----------------------------------------------


@settings(max_examples=15)
@given(problems(SMALL, pair_scores=None))
def test_on_demand_pairs_match_the_candidate_table(problem: matcher.Problem) -> None:
    table = build_candidates(problem)
    given_scores = explain_module._given_scores(problem)
    pairs = explain_module._Pairs(problem, table=False, given=given_scores)
    needs = np.arange(problem.index.n_needs, dtype=np.int64)
    pairs.of_needs(needs[::3])  # what is computed is kept: the second call merges the rest in
    need, org_, score = pairs.of_needs(needs)
    np.testing.assert_array_equal(need, table.need)
    np.testing.assert_array_equal(org_, table.org)
    np.testing.assert_allclose(score, table.score, rtol=1e-12, atol=1e-12)
    orgs = np.arange(0, problem.index.n_orgs, 2, dtype=np.int64)
    full = explain_module._Pairs(problem, table=True, given=given_scores)
    np.testing.assert_array_equal(
        pairs.needs_touching(orgs, needs), full.needs_touching(orgs, needs)
    )


def test_large_problem_path_gives_the_same_bottlenecks(
    shanxi: tuple[matcher.Problem, matcher.Solution], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, solution = shanxi
    capacity_unmet = [u.need_id for u in solution.unmet if u.reason == "capacity"]
    small = [Explainer(problem, solution).explain(n).bottleneck for n in capacity_unmet]

    def refuse(problem: matcher.Problem) -> None:
        raise AssertionError("the whole candidate table was built")

    monkeypatch.setattr(explain_module, "FULL_TABLE_BELOW", 0)
    monkeypatch.setattr(explain_module, "build_candidates", refuse)
    large = Explainer(problem, solution)
    for need_id, expected in zip(capacity_unmet, small, strict=True):
        found = large.explain(need_id).bottleneck
        assert found is not None and expected is not None
        assert dataclasses.replace(found, cost_to_serve=0.0) == dataclasses.replace(
            expected, cost_to_serve=0.0
        )
        assert found.cost_to_serve == pytest.approx(expected.cost_to_serve, abs=1e-9)
    # An assigned need never needs other needs' candidates.
    monkeypatch.setattr(explain_module, "FULL_TABLE_BELOW", 10**9)
    assert large.explain(solution.assignments[0].need_id).org_id is not None


# --- errors ------------------------------------------------------------------------------------


def test_unknown_ids_and_bad_options_raise_option_error(
    shanxi: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, solution = shanxi
    first = solution.assignments[0]
    with pytest.raises(OptionError, match="unknown need 'nope'"):
        explain(problem, solution, "nope")
    with pytest.raises(OptionError, match="unknown need"):
        why_not(problem, solution, "nope", first.org_id)
    with pytest.raises(OptionError, match="unknown organization 'nope'"):
        why_not(problem, solution, first.need_id, "nope")
    with pytest.raises(OptionError, match="language"):
        explain(problem, solution, first.need_id, language="fr")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="limit"):
        explain(problem, solution, first.need_id, limit=-1)
    with pytest.raises(OptionError, match="unknown need"):
        explain(problem, solution, 3)  # type: ignore[arg-type]
    other = matcher.synth.shanxi(seed=5, n_needs=20, n_orgs=30)
    with pytest.raises(OptionError, match="problem it was made for"):
        Explainer(other, solution)
    for error in (KeyError, IndexError):
        assert not issubclass(OptionError, error)
