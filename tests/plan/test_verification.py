"""``matcher.verify`` catches every rule a tampered plan breaks, one test per rule name."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import matcher
from conftest import build
from matcher.models import COMPONENTS
from matcher.pairs.scoring import components, weighted
from matcher.plan.verification import _Plan, _Rules
from strategies import SMALL, problems


def document() -> dict[str, Any]:
    talent = {"talent": 1.0}
    return {
        "regions": [
            {"id": "P", "level": "province"},
            {"id": "C", "level": "city", "parent": "P"},
            {"id": "K", "level": "county", "parent": "C", "priority": "key"},
            {"id": "C2", "level": "city", "parent": "P"},
            {"id": "K2", "level": "county", "parent": "C2"},
        ],
        "organizations": [
            {"id": "o1", "org_type": "training", "scope": "province", "home_region": "P",
             "capabilities": talent, "max_projects": 1},
            {"id": "o2", "org_type": "training", "scope": "city", "home_region": "C",
             "capabilities": {"talent": 0.8}, "max_projects": 2},
            {"id": "o3", "org_type": "training", "scope": "province", "home_region": "P",
             "capabilities": talent, "max_projects": 5, "credit": "blacklisted"},
            {"id": "o4", "org_type": "training", "scope": "province", "home_region": "P",
             "capabilities": {"talent": 0.5}, "max_projects": 1, "service_regions": ["K2"]},
            {"id": "o5", "org_type": "agriculture", "scope": "province", "home_region": "P",
             "capabilities": {"industry": 1.0}, "max_projects": 1},
        ],
        "needs": [
            {"id": "n1", "region": "K", "category": "talent", "beneficiaries": 100},
            {"id": "n2", "region": "K", "category": "talent"},
            {"id": "n3", "region": "K2", "category": "talent"},
            {"id": "n4", "region": "K2", "category": "consumption"},
        ],
    }  # fmt: skip


@pytest.fixture
def problem() -> matcher.Problem:
    return build(document())


@pytest.fixture
def solution(problem: matcher.Problem) -> matcher.Solution:
    plan = matcher.solve(problem, solver="flow")
    assert matcher.verify(problem, plan) == []
    # the fixture's shape: three needs served, n4 has no candidate
    assert {a.need_id for a in plan.assignments} == {"n1", "n2", "n3"}
    assert [u.need_id for u in plan.unmet] == ["n4"]
    return plan


def assignment(
    problem: matcher.Problem, need_id: str, org_id: str, score: float | None = None
) -> matcher.Assignment:
    """An assignment with the pair's true score and components, eligible or not."""
    index = problem.index
    n, o = index.need_position[need_id], index.org_position[org_id]
    values = components(problem, [n], [o])
    need = problem.need(need_id)
    tier = list(matcher.Priority)[index.hierarchy.tier[index.need_region[n]]]
    return matcher.Assignment(
        need_id=need_id,
        org_id=org_id,
        score=float(weighted(problem.policy, values)[0]) if score is None else score,
        category=need.category,
        region=need.region,
        tier=tier,
        components=dict(zip(COMPONENTS, values[0].tolist(), strict=True)),
    )


def replan(
    solution: matcher.Solution,
    assignments: list[matcher.Assignment],
    unmet: list[matcher.Unmet] | None = None,
    **claims: Any,
) -> matcher.Solution:
    """The plan with other assignments, its objective and bound recomputed unless given."""
    total = sum(a.score for a in assignments)
    update: dict[str, Any] = {
        "assignments": tuple(assignments),
        "unmet": tuple(solution.unmet if unmet is None else unmet),
        "objective": total,
        "bound": total,
        "status": matcher.Status.FEASIBLE,
    }
    levels = getattr(solution, "levels", None)
    if levels and "score" in levels:
        # the score level is the plan's total (it is what the objective reports)
        update["levels"] = {**levels, "score": total}
    update.update(claims)
    return solution.model_copy(update=update)


def rules(problem: matcher.Problem, plan: matcher.Solution) -> list[str]:
    return sorted({v.rule for v in matcher.verify(problem, plan)})


def unmet_for(problem: matcher.Problem, need_id: str) -> matcher.Unmet:
    need = problem.need(need_id)
    return matcher.Unmet(
        need_id=need_id,
        reason="not_chosen",
        detail="tampered",
        category=need.category,
        region=need.region,
        tier=matcher.Priority.NORMAL,
    )


def test_the_plan_itself_is_clean(problem: matcher.Problem, solution: matcher.Solution) -> None:
    assert matcher.verify(problem, solution) == []
    assert rules(problem, replan(solution, list(solution.assignments))) == []


def test_capacity(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, [assignment(problem, n, "o1") for n in ("n1", "n2", "n3")])
    assert rules(problem, plan) == ["capacity"]
    (violation,) = matcher.verify(problem, plan)
    assert violation.org_id == "o1" and "3 > 1" in violation.message


def valid(problem: matcher.Problem, *pairs: tuple[str, str]) -> list[matcher.Assignment]:
    """Assignments n1 -> o1, n2 -> o2, n3 -> o4 (a valid plan), with some pairs replaced."""
    plan = {"n1": "o1", "n2": "o2", "n3": "o4"}
    plan.update(dict(pairs))
    return [assignment(problem, n, o) for n, o in plan.items()]


def test_the_hand_plan_is_valid(problem: matcher.Problem, solution: matcher.Solution) -> None:
    assert rules(problem, replan(solution, valid(problem))) == []


def test_need_twice(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, list(solution.assignments), [*solution.unmet, unmet_for(problem, "n1")])
    assert rules(problem, plan) == ["need_twice"]
    same_pair = replan(solution, [*valid(problem), assignment(problem, "n2", "o2")])
    found = rules(problem, same_pair)
    assert "need_twice" in found and set(found) <= {"need_twice", "partners"}
    # one need, two organizations: a second organization for a need that takes one
    two_orgs = replan(solution, [*valid(problem), assignment(problem, "n1", "o2")])
    assert len(rules(problem, two_orgs)) == 1
    assert rules(problem, two_orgs)[0] in ("need_twice", "partners")


def test_need_missing(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, list(solution.assignments), [])
    assert rules(problem, plan) == ["need_missing"]
    (violation,) = matcher.verify(problem, plan)
    assert violation.need_id == "n4"
    dropped = [a for a in solution.assignments if a.need_id != "n2"]
    assert rules(problem, replan(solution, dropped)) == ["need_missing"]


def test_unknown_org(problem: matcher.Problem, solution: matcher.Solution) -> None:
    first, *rest = solution.assignments
    ghost = first.model_copy(update={"org_id": "ghost"})
    found = rules(problem, replan(solution, [ghost, *rest]))
    assert "unknown_org" in found
    assert set(found) <= {"unknown_org", "need_missing"}  # the need is not really served


def test_unknown_need(problem: matcher.Problem, solution: matcher.Solution) -> None:
    extra = assignment(problem, "n1", "o2", score=0.0).model_copy(update={"need_id": "ghost"})
    plan = replan(solution, [*solution.assignments, extra])
    assert rules(problem, plan) == ["unknown_need"]
    stray = unmet_for(problem, "n1").model_copy(update={"need_id": "ghost"})
    assert rules(
        problem, replan(solution, list(solution.assignments), [*solution.unmet, stray])
    ) == ["unknown_need"]


def test_credit(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, valid(problem, ("n3", "o3")))
    assert rules(problem, plan) == ["credit"]


def test_capability(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, valid(problem, ("n3", "o5")))
    assert rules(problem, plan) == ["capability"]


def test_scope(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, valid(problem, ("n3", "o2")))  # K2 lies outside o2's city
    assert rules(problem, plan) == ["scope"]


def test_service_regions(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, valid(problem, ("n1", "o4"), ("n3", "o1")))  # o4 serves K2 only
    assert rules(problem, plan) == ["service_regions"]


def test_pair_scores() -> None:
    doc = document()
    doc["pair_scores"] = [
        {"need_id": "n1", "org_id": "o1", "score": 2.0},
        {"need_id": "n2", "org_id": "o2", "score": 3.0},
    ]
    problem = build(doc)
    solution = matcher.solve(problem)
    assert matcher.verify(problem, solution) == []
    assert solution.objective == 5.0
    off_list = assignment(problem, "n3", "o1", score=1.0)  # eligible, but not a given pair
    kept = [a for a in solution.assignments if a.org_id != "o1"]
    plan = replan(solution, [*kept, off_list], [unmet_for(problem, "n1"), unmet_for(problem, "n4")])
    assert rules(problem, plan) == ["pair_scores"]
    # a given pair must carry the given score
    wrong = [a.model_copy(update={"score": a.score + 1}) for a in solution.assignments]
    assert rules(problem, replan(solution, wrong)) == ["score"]


def test_score(problem: matcher.Problem, solution: matcher.Solution) -> None:
    first, *rest = solution.assignments
    bumped = first.model_copy(update={"score": first.score + 1.0})
    assert rules(problem, replan(solution, [bumped, *rest])) == ["score"]
    nudged = first.model_copy(update={"score": first.score * (1 + 1e-6)})
    assert rules(problem, replan(solution, [nudged, *rest])) == ["score"]
    # far below the tolerance: not a violation
    close = first.model_copy(update={"score": first.score * (1 + 1e-13)})
    assert rules(problem, replan(solution, [close, *rest])) == []


def test_objective(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = solution.model_copy(
        update={"objective": solution.objective + 1, "bound": solution.objective + 1}
    )
    assert rules(problem, plan) == ["objective"]
    plan = solution.model_copy(
        update={"objective": solution.objective - 1, "status": matcher.Status.FEASIBLE}
    )
    assert rules(problem, plan) == ["objective"]  # the bound stays above it: only the sum is off


def test_bound(problem: matcher.Problem, solution: matcher.Solution) -> None:
    below = solution.model_copy(
        update={"bound": solution.objective - 1, "status": matcher.Status.FEASIBLE}
    )
    assert rules(problem, below) == ["bound"]
    # an optimal plan's bound must equal its objective
    loose = solution.model_copy(update={"bound": solution.objective + 1})
    assert rules(problem, loose) == ["bound"]
    feasible = loose.model_copy(update={"status": matcher.Status.FEASIBLE})
    assert rules(problem, feasible) == []


def test_violations_name_need_and_org(problem: matcher.Problem, solution: matcher.Solution) -> None:
    plan = replan(solution, valid(problem, ("n3", "o3")))
    (violation,) = matcher.verify(problem, plan)
    assert (violation.rule, violation.need_id, violation.org_id) == ("credit", "n3", "o3")
    assert str(violation).startswith("credit: ")


def test_several_rules_at_once(problem: matcher.Problem, solution: matcher.Solution) -> None:
    # n3 -> o5: no capability; n1 -> o2 and n2 -> o2 and n4 -> o2: capacity 2 and category
    bad = [
        assignment(problem, "n1", "o2"),
        assignment(problem, "n2", "o2"),
        assignment(problem, "n3", "o5"),
        assignment(problem, "n4", "o2"),
    ]
    plan = replan(solution, bad, [], objective=0.0)
    assert rules(problem, plan) == ["capability", "capacity", "objective", "scope"]


# --- verify against an independent reading of the rules -----------------------------------------


def _failing_rules(
    problem: matcher.Problem, need: matcher.Need, org: matcher.Organization
) -> set[str]:
    """Every rule the pair breaks (not just the first)."""
    chain: list[str] = []
    current: str | None = need.region
    parents = {r.id: r.parent for r in problem.regions}
    levels = {r.id: r.level for r in problem.regions}
    while current is not None:
        chain.append(current)
        current = parents[current]
    broken = set()
    if org.credit in problem.policy.barred_credit:
        broken.add("credit")
    if problem.pair_scores is not None:
        # the given pairs replace the structural rules (capability, scope, service regions)
        if (need.id, org.id) not in {(p.need_id, p.org_id) for p in problem.pair_scores}:
            broken.add("pair_scores")
        return broken
    if org.capabilities.get(need.category, 0) <= 0:
        broken.add("capability")
    if org.scope is not matcher.Scope.NATION:
        home: str | None = org.home_region
        while home is not None and levels[home].value != org.scope.value:
            home = parents[home]
        if home not in chain:
            broken.add("scope")
    if org.service_regions is not None and not set(org.service_regions) & set(chain):
        broken.add("service_regions")
    return broken


@settings(max_examples=100, deadline=None)
@given(problems(SMALL, pair_scores=None, min_needs=1, min_orgs=1), st.data())
def test_verify_judges_an_added_pair_like_the_rules_say(
    problem: matcher.Problem, data: Any
) -> None:
    solution = matcher.solve(problem, solver="flow")
    assume(solution.unmet)
    unmet = data.draw(st.sampled_from(solution.unmet))
    org = data.draw(st.sampled_from(problem.organizations))
    need = problem.need(unmet.need_id)
    given_scores = (
        {(p.need_id, p.org_id): p.score for p in problem.pair_scores}
        if problem.pair_scores is not None
        else {}
    )
    added = assignment(problem, need.id, org.id, score=given_scores.get((need.id, org.id)))
    plan = replan(
        solution,
        [*solution.assignments, added],
        [u for u in solution.unmet if u.need_id != need.id],
    )
    expected = _failing_rules(problem, need, org)
    load = sum(a.org_id == org.id for a in plan.assignments)
    if load > org.max_projects:
        expected.add("capacity")
    assert rules(problem, plan) == sorted(expected)
    assert math.isclose(
        plan.objective, solution.objective + added.score, rel_tol=1e-12, abs_tol=1e-12
    )


# --- the shortlist of organizations a need may take is never short -----------------------------


@st.composite
def _judged(draw: Any) -> matcher.Problem:
    """A problem with random eligibility switches, declined pairs and partnership sizes (and
    pair scores half of the time)."""
    problem = draw(problems(SMALL, pair_scores=None, min_orgs=1))
    switches = {
        "require_inspection": draw(st.booleans()),
        "min_grade": draw(st.integers(0, 5)),
        "respect_scope": draw(st.booleans()),
        "max_distance_km": draw(st.sampled_from([None, 30.0, 300.0])),
        "primary_types_only": draw(st.booleans()),
    }
    pairs = [(n.id, o.id) for n in problem.needs for o in problem.organizations]
    declined = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=20)) if pairs else []
    needs = [n.model_copy(update={"partners": draw(st.integers(1, 3))}) for n in problem.needs]
    return problem.with_policy(eligibility=switches).replace(
        needs=needs, declined=[{"need_id": n, "org_id": o} for n, o in declined]
    )


@settings(max_examples=150, deadline=None)
@given(_judged())
def test_servable_matches_the_scan_of_every_organization(problem: matcher.Problem) -> None:
    plan = _Plan.read(problem)
    judge = _Rules(plan)
    for need in problem.needs:
        eligible = [o.id for o in problem.organizations if not plan.ineligible(need, o)]
        listed = [o.id for o in judge.shortlist.of(need)]
        assert len(listed) == len(set(listed))
        assert set(eligible) <= set(listed)
        assert judge.servable(need) is (len(eligible) >= need.partners)
