"""Properties of the program's rules on random problems and random policies from every family.

Problems come from ``strategies.documents``; the rules, switches, willingness, partnerships, money
and goals are drawn on top of them. ``matcher.verify`` recounts every hard and soft rule of a plan
on its own, so ``verify(...) == []`` says that no hard rule is broken and that each reported soft
violation is the real one; the MILP of ``milp_oracle`` checks optimality and conflicts.

The smallest known failures (see ``test_rules.py``) are kept there as fixed examples, so that
these properties keep exploring random policies rather than stop at the first known defect.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import matcher
from milp_oracle import (
    Instance,
    Tree,
    close_enough,
    feasible_with,
    hard_rule_names,
    measure,
    milp_optimum,
    plan_of,
)
from strategies import Size, documents

SIZE = Size(
    max_needs=14, max_orgs=6, max_provinces=1, max_cities=2, max_counties=2, max_townships=1
)
TIME_LIMIT = 3.0
CATEGORIES = [c.value for c in matcher.Category]
TIERS = [None, "key", "former_poverty", "normal"]


def solve(problem: matcher.Problem, **options: Any) -> matcher.Solution:
    return matcher.solve(problem, time_limit=TIME_LIMIT, **options)


# --- strategies ---------------------------------------------------------------------------------


def softness(soft: bool | None = None) -> st.SearchStrategy[dict[str, Any]]:
    hard = st.just({})
    loose = st.builds(
        lambda p: {"hard": False, "penalty": p}, st.sampled_from([0.0, 0.5, 3.0, 20.0])
    )
    return hard if soft is False else loose if soft else st.one_of(hard, loose)


@st.composite
def limits(draw: Any, most: int) -> dict[str, int]:
    low = draw(st.one_of(st.none(), st.integers(0, most)))
    high = draw(st.one_of(st.none(), st.integers(low or 0, most + 1)))
    if low is None and high is None:
        low = draw(st.integers(0, most))
    return {k: v for k, v in (("min_served", low), ("max_served", high)) if v is not None}


@st.composite
def region_rule(draw: Any, document: dict[str, Any], soft: bool | None = None) -> dict[str, Any]:
    if draw(st.booleans()):
        target: dict[str, Any] = {
            "region": draw(st.sampled_from([r["id"] for r in document["regions"]]))
        }
    else:
        levels = sorted({r["level"] for r in document["regions"]})
        target = {"level": draw(st.sampled_from(levels))}
        tier = draw(st.sampled_from(TIERS))
        if tier:
            target["tier"] = tier
    return {**target, **draw(limits(4)), **draw(softness(soft))}


@st.composite
def category_rule(draw: Any, document: dict[str, Any], soft: bool | None = None) -> dict[str, Any]:
    category = draw(st.sampled_from(CATEGORIES))
    size = sum(1 for n in document["needs"] if n["category"] == category)
    return {"category": category, **draw(limits(size)), **draw(softness(soft))}


@st.composite
def program_rule(draw: Any, document: dict[str, Any], soft: bool | None = None) -> dict[str, Any]:
    rule = {
        "min_served": draw(st.integers(0, len(document["needs"]))),
        "min_organizations": draw(st.integers(0, len(document["organizations"]))),
    }
    return {**rule, **draw(softness(soft))}


@st.composite
def money_rule(draw: Any, document: dict[str, Any], soft: bool | None = None) -> dict[str, Any]:
    total = sum(n.get("cost", 0.0) for n in document["needs"])
    fund = draw(st.sampled_from([None, 0.0, 0.25, 0.5, 1.0]))
    rule: dict[str, Any] = {"budgets": draw(st.booleans())}
    if fund is not None or not rule["budgets"]:
        rule["total_fund"] = (fund or 0.0) * total + draw(st.sampled_from([0.0, 0.5]))
    return {**rule, **draw(softness(soft))}


@st.composite
def aid_mix_rule(draw: Any, document: dict[str, Any], soft: bool | None = None) -> dict[str, Any]:
    share = draw(st.sampled_from([0.0, 0.25, 1 / 3, 0.5, 0.6664, 2 / 3, 1.0]))
    return {"min_capacity_building_share": share, **draw(softness(soft))}


@st.composite
def switches(draw: Any) -> dict[str, Any]:
    return {
        "require_inspection": draw(st.booleans()),
        "min_grade": draw(st.sampled_from([0, 0, 2, 4])),
        "respect_scope": draw(st.booleans()),
        "max_distance_km": draw(st.sampled_from([None, 50.0, 300.0])),
        "primary_types_only": draw(
            st.one_of(st.booleans(), st.lists(st.sampled_from(CATEGORIES), max_size=2))
        ),
    }


@st.composite
def goals(draw: Any, weighted: bool | None = None) -> dict[str, Any]:
    kinds = draw(
        st.lists(
            st.sampled_from(["score", "served", "key_served", "organizations", "fairness"]),
            unique=True,
            max_size=3,
        )
    )
    mode = (
        draw(st.sampled_from(["lexicographic", "weighted"]))
        if weighted is None
        else ("weighted" if weighted else "lexicographic")
    )
    if mode == "weighted" and "score" not in kinds:
        # verify and solve disagree on an unlisted score's weight (see test_rules.py): list it
        kinds.append("score")
    chosen = []
    for kind in kinds:
        goal: dict[str, Any] = {"kind": kind, "weight": draw(st.sampled_from([0.5, 1.0, 4.0]))}
        if kind == "fairness":
            goal["level"] = draw(st.sampled_from(["city", "county"]))
            tier = draw(st.sampled_from(TIERS))
            if tier:
                goal["tier"] = tier
        chosen.append(goal)
    return {"goals": chosen, "goal_mode": mode}


@st.composite
def augmented(draw: Any, *, partners: bool = True) -> dict[str, Any]:
    """A document with costs, aid kinds, partnerships, budgets, inspection, grades, willingness."""
    document = draw(documents(SIZE, pair_scores=None, min_needs=1, min_orgs=1))
    region_ids = [r["id"] for r in document["regions"]]
    for need in document["needs"]:
        need["cost"] = draw(st.sampled_from([0.0, 1_000.0, 50_000.0, 100_001.0, 333_333.3]))
        need["aid"] = draw(st.sampled_from(["direct_aid", "capacity_building"]))
        if partners and draw(st.integers(0, 4)) == 0:
            need["partners"] = draw(st.integers(2, 3))
            need["lead_primary"] = draw(st.booleans())
    asked = sorted({n["category"] for n in document["needs"]})
    for org in document["organizations"]:
        # denser than the plain documents: most organizations can serve what is asked, anywhere
        if draw(st.integers(0, 2)):
            extra = {c: draw(st.sampled_from([0.3, 0.7, 1.0])) for c in asked}
            org["capabilities"] = {**org["capabilities"], **extra}
            org["credit"] = "normal"
        if draw(st.integers(0, 2)) == 0:
            org["scope"] = "nation"
        org["max_projects"] = max(org["max_projects"], draw(st.integers(0, 2)))
        budget = draw(st.sampled_from([None, 0.0, 60_000.0, 150_000.5, 1e7]))
        if budget is not None:
            org["budget"] = budget
        org["inspection_passed"] = draw(st.booleans())
        org["grade"] = draw(st.integers(0, 5))
        if draw(st.integers(0, 3)) == 0:
            org["declines_regions"] = draw(
                st.lists(st.sampled_from(region_ids), max_size=2, unique=True)
            )
        if draw(st.integers(0, 3)) == 0:
            org["declines_categories"] = draw(
                st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)
            )
        if draw(st.integers(0, 3)) == 0:
            org["prefers_regions"] = draw(
                st.lists(st.sampled_from(region_ids), max_size=2, unique=True)
            )
        if draw(st.integers(0, 3)) == 0:
            org["prefers_categories"] = draw(
                st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)
            )
    document.setdefault("policy", {})
    return document


@st.composite
def ruled(
    draw: Any, *, soft: bool | None = None, weighted: bool | None = None, partners: bool = True
) -> dict[str, Any]:
    """An augmented document with a random policy drawn from every family."""
    document = draw(augmented(partners=partners))
    policy = document["policy"]
    rules: dict[str, Any] = {}
    if draw(st.booleans()):
        rules["regions"] = draw(st.lists(region_rule(document, soft), min_size=1, max_size=2))
    if draw(st.booleans()):
        rules["categories"] = draw(st.lists(category_rule(document, soft), min_size=1, max_size=2))
    if draw(st.integers(0, 2)) == 0:
        rules["program"] = draw(program_rule(document, soft))
    if draw(st.integers(0, 2)) == 0:
        rules["money"] = draw(money_rule(document, soft))
    if draw(st.integers(0, 2)) == 0:
        rules["aid_mix"] = draw(aid_mix_rule(document, soft))
    policy["rules"] = rules
    if draw(st.booleans()):
        policy["eligibility"] = draw(switches())
    if draw(st.booleans()) or weighted:
        policy.update(draw(goals(weighted)))
    return document


def build(document: dict[str, Any]) -> matcher.Problem:
    return matcher.Problem.model_validate(document)


def rank(problem: matcher.Problem, solution: matcher.Solution) -> list[tuple[str, float]] | None:
    """The plan's value as the policy orders plans: goal levels in order (lexicographic) or the
    weighted objective; ``None`` when infeasible."""
    if solution.status == "infeasible":
        return None
    if problem.policy.goal_mode == "weighted":
        return [("weighted", solution.objective)]
    return list(solution.levels.items())


def not_better(
    new: list[tuple[str, float]] | None,
    old: list[tuple[str, float]] | None,
    solution: matcher.Solution,
) -> bool:
    """``new`` is no better than ``old``, lexicographically: counts and ratios exactly, score
    points to the back end's tolerance."""
    if new is None:
        return True
    if old is None:
        return False
    for (name, a), (_, b) in zip(new, old, strict=True):
        if name in ("score", "weighted"):
            if close_enough(a, b, solution):
                continue
        elif math.isclose(a, b, abs_tol=1e-9):
            continue
        return a < b
    return True


# --- a hard rule is never broken, a soft rule's violation is the real one -------------------------


def check_plan(problem: matcher.Problem, solution: matcher.Solution) -> None:
    """The plan obeys every rule, reports its real soft violations, and is the MILP's optimum."""
    assert solution.status in ("optimal", "infeasible")  # small problems are always proven
    expected = milp_optimum(
        problem, score_tolerance=float(solution.stats.get("tolerance", 0.0)) + 1e-9
    )
    assert (solution.status == "infeasible") == (not expected.feasible)
    if solution.status == "infeasible":
        assert solution.conflicts
        return
    assert matcher.verify(problem, solution) == []
    counted = measure(Instance.of(problem), plan_of(solution))
    assert counted.broken == []
    reported = {(v.rule, v.target): v.amount for v in solution.soft_violations}
    assert reported.keys() == counted.soft.keys()
    assert all(math.isclose(reported[k], v, abs_tol=1e-9) for k, v in counted.soft.items())
    assert close_enough(solution.objective, expected.objective, solution), (
        solution.objective,
        expected.objective,
    )


@settings(max_examples=150, deadline=None)
@given(ruled(weighted=False))
def test_lexicographic_plans_verify_and_are_optimal(document: dict[str, Any]) -> None:
    problem = build(document)
    check_plan(problem, solve(problem))


@settings(max_examples=80, deadline=None)
@given(ruled(weighted=True))
def test_weighted_plans_verify_and_are_optimal(document: dict[str, Any]) -> None:
    problem = build(document)
    check_plan(problem, solve(problem))


@settings(max_examples=80, deadline=None)
@given(ruled(soft=True))
def test_soft_rules_alone_never_make_a_problem_infeasible(document: dict[str, Any]) -> None:
    problem = build(document)
    solution = solve(problem)
    assert solution.status == "optimal"
    check_plan(problem, solution)


# --- monotonicity ------------------------------------------------------------------------------


@st.composite
def extra_hard_rule(draw: Any, document: dict[str, Any]) -> tuple[str, Any]:
    """A hard rule to add: a region or category limit, or money, program, aid mix if absent."""
    rules = document["policy"]["rules"]
    options = ["regions", "categories"] + [
        name for name in ("money", "program", "aid_mix") if name not in rules
    ]
    family = draw(st.sampled_from(options))
    make = {
        "regions": region_rule,
        "categories": category_rule,
        "money": money_rule,
        "program": program_rule,
        "aid_mix": aid_mix_rule,
    }[family]
    return family, draw(make(document, soft=False))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_adding_a_hard_rule_never_raises_the_objective(data: Any) -> None:
    document = data.draw(ruled())
    family, rule = data.draw(extra_hard_rule(document))
    tighter = copy.deepcopy(document)
    rules = tighter["policy"]["rules"]
    if family in ("regions", "categories"):
        rules[family] = [*rules.get(family, []), rule]
    else:
        rules[family] = rule
    before, after = build(document), build(tighter)
    old, new = solve(before), solve(after)
    assert not_better(rank(after, new), rank(before, old), new), (old.levels, new.levels)


@st.composite
def hard_and_soft(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document with at least one hard rule, and the same with one hard rule made soft."""
    document = draw(ruled(soft=False))
    rules = document["policy"]["rules"]
    choices = [(name, None) for name in ("program", "money", "aid_mix") if name in rules]
    choices += [
        (name, i) for name in ("regions", "categories") for i in range(len(rules.get(name, [])))
    ]
    if not choices:
        rules["categories"] = [draw(category_rule(document, soft=False))]
        choices = [("categories", 0)]
    name, i = draw(st.sampled_from(choices))
    softer = copy.deepcopy(document)
    target = softer["policy"]["rules"][name]
    target = target if i is None else target[i]
    target.update(hard=False, penalty=draw(st.sampled_from([0.0, 1.0, 50.0])))
    return document, softer


@settings(max_examples=80, deadline=None)
@given(hard_and_soft())
def test_turning_a_hard_rule_soft_never_lowers_the_objective(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    hard, soft = (build(d) for d in pair)
    strict, relaxed = solve(hard), solve(soft)
    assert not_better(rank(hard, strict), rank(soft, relaxed), strict), (
        strict.levels,
        relaxed.levels,
    )


@st.composite
def tightened(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document and the same with stricter eligibility switches.

    Region minimums and fairness goals count *servable* needs, which fewer candidates lower: they
    are left out, as removing pairs may then rightly raise the objective.
    """
    document = draw(ruled())
    policy = document["policy"]
    for rule in policy["rules"].get("regions", []):
        rule.pop("min_served", None)
        rule.setdefault("max_served", 4)
    policy["goals"] = [g for g in policy.get("goals", []) if g["kind"] != "fairness"]
    base = policy.get("eligibility", {})
    stricter = {
        "require_inspection": base.get("require_inspection", False) or draw(st.booleans()),
        "min_grade": max(base.get("min_grade", 0), draw(st.integers(0, 5))),
        "respect_scope": base.get("respect_scope", True) or draw(st.booleans()),
    }
    distance = base.get("max_distance_km")
    cap = draw(st.sampled_from([None, 20.0, 100.0, 400.0]))
    if distance is not None or cap is not None:
        stricter["max_distance_km"] = min(d for d in (distance, cap) if d is not None)
    only = base.get("primary_types_only", False)
    extra = draw(st.one_of(st.booleans(), st.lists(st.sampled_from(CATEGORIES), max_size=2)))
    if only is True or extra is True:
        stricter["primary_types_only"] = True
    else:
        stricter["primary_types_only"] = sorted(set(only or []) | set(extra or []))
    strict = copy.deepcopy(document)
    strict["policy"]["eligibility"] = stricter
    return document, strict


def pairs(problem: matcher.Problem) -> set[tuple[str, str]]:
    table = matcher.candidates(problem)
    return set(zip(table.need_id, table.org_id, strict=True))


@settings(max_examples=80, deadline=None)
@given(tightened())
def test_eligibility_switches_only_remove_pairs(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    loose, strict = (build(d) for d in pair)
    assert pairs(strict) <= pairs(loose)
    wide, narrow = solve(loose), solve(strict)
    assert not_better(rank(strict, narrow), rank(loose, wide), narrow), (
        wide.levels,
        narrow.levels,
    )


# --- the switches and willingness, pair by pair -------------------------------------------------


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def _coordinates(tree: Tree, region_id: str) -> tuple[float, float] | None:
    for r in tree.chain(region_id):
        region = tree.regions[r]
        if region.lat is not None and region.lon is not None:
            return region.lat, region.lon
    return None


def switch_keeps(problem: matcher.Problem, need: matcher.Need, org: matcher.Organization) -> bool:
    """Whether every eligibility switch of the policy keeps the pair, as documented."""
    switches = problem.policy.eligibility
    tree = Tree(problem)
    chain = tree.chain(need.region)
    if switches.require_inspection and not org.inspection_passed:
        return False
    if org.grade < switches.min_grade:
        return False
    only = switches.primary_types_only
    if (only is True or (not isinstance(only, bool) and need.category in only)) and (
        org.org_type not in matcher.PRIMARY_TYPES[need.category]
    ):
        return False
    # given pair scores replace the structural rules, scope among them (matcher.pairs.eligibility)
    structural = problem.pair_scores is None
    if structural and switches.respect_scope and org.scope.value != "nation":
        area = tree.at_level(org.home_region, matcher.Level(org.scope.value))
        if area not in chain:
            return False
    if switches.max_distance_km is not None:
        here, there = _coordinates(tree, need.region), _coordinates(tree, org.home_region)
        if here is not None and there is not None and _km(here, there) > switches.max_distance_km:
            return False
    return True


@settings(max_examples=100, deadline=None)
@given(augmented(), switches())
def test_switches_remove_exactly_the_pairs_they_name(
    document: dict[str, Any], chosen: dict[str, Any]
) -> None:
    off = copy.deepcopy(document)
    off["policy"]["eligibility"] = {"respect_scope": False}
    on = copy.deepcopy(document)
    on["policy"]["eligibility"] = chosen
    base, problem = build(off), build(on)
    kept = {
        (n, o)
        for n, o in pairs(base)
        if switch_keeps(problem, problem.need(n), problem.organization(o))
    }
    assert pairs(problem) == kept


@settings(max_examples=100, deadline=None)
@given(augmented(), st.sampled_from([0.0, 1.0, 5.0]))
def test_declined_places_and_categories_are_never_assigned(
    document: dict[str, Any], preference: float
) -> None:
    document["policy"].setdefault("weights", {})["preference"] = preference
    problem = build(document)
    tree = Tree(problem)
    table = matcher.candidates(problem)
    for row in table.itertuples():
        need, org = problem.need(row.need_id), problem.organization(row.org_id)
        chain = tree.chain(need.region)
        assert need.category not in org.declines_categories
        assert not set(org.declines_regions) & set(chain)
        preferred = need.category in org.prefers_categories or bool(
            set(org.prefers_regions) & set(chain)
        )
        assert row.preference == (1.0 if preferred else 0.0)
    solution = solve(problem)
    for a in solution.assignments:
        org = problem.organization(a.org_id)
        assert a.category not in org.declines_categories
        assert not set(org.declines_regions) & set(tree.chain(a.region))
    if solution.status != "infeasible":
        assert matcher.verify(problem, solution) == []


# --- conflicts ---------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(ruled(soft=False))
def test_infeasible_results_name_a_minimal_conflict(document: dict[str, Any]) -> None:
    problem = build(document)
    solution = solve(problem)
    assume(solution.status == "infeasible")
    assert not milp_optimum(problem).feasible
    assert solution.conflicts
    names = set(hard_rule_names(problem))
    for conflict in solution.conflicts:
        assert conflict.message_zh and conflict.message_en
        assert set(conflict.rules) <= names, conflict.rules
        assert not feasible_with(problem, conflict.rules), conflict.rules
        for rule in conflict.rules:
            rest = [r for r in conflict.rules if r != rule]
            assert feasible_with(problem, rest), (conflict.rules, rule)


@pytest.mark.xfail(
    strict=True,
    reason="known defect: one CP-SAT worker with linearization_level=2 never closes this weighted "
    "fairness model's last 3e-6 of gap (two workers or linearization 0 prove it at once)",
)
def test_small_weighted_fairness_model_is_proven() -> None:
    document = json.loads(
        (Path(__file__).parents[1] / "data" / "weighted_fairness_stall.json").read_text()
    )
    problem = build(document)
    solution = solve(problem)
    assert solution.status == "optimal"
    check_plan(problem, solution)
