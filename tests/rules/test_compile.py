"""Policy rules compiled to arrays (``matcher.rules.compile``), against a plain-Python recount
over the pydantic problem."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.models import Level, Priority
from matcher.rules.compile import compile_rules, evaluate, group_members
from regions import chain, tier_of
from strategies import SMALL, problems


def _anchor(problem: matcher.Problem, region_id: str, level: Level) -> matcher.Region | None:
    return next((r for r in chain(problem, region_id) if r.level is level), None)


@settings(max_examples=60, deadline=None)
@given(
    problems(SMALL, pair_scores=None),
    st.sampled_from(list(Level)),
    st.sampled_from([None, *Priority]),
)
def test_group_members_are_the_needs_under_each_region(
    problem: matcher.Problem, level: Level, tier: Priority | None
) -> None:
    position = {r.id: i for i, r in enumerate(problem.regions)}
    expected: dict[int, list[int]] = {}
    for n, need in enumerate(problem.needs):
        anchor = _anchor(problem, need.region, level)
        if anchor is None or (tier is not None and tier_of(problem, anchor.id) is not tier):
            continue
        expected.setdefault(position[anchor.id], []).append(n)
    found = {r: members.tolist() for r, members in group_members(problem, level, tier).items()}
    assert found == expected


def _ruled(**rules: object) -> matcher.Problem:
    return matcher.synth.shanxi(seed=1, n_needs=80, n_orgs=20).with_policy(rules=rules)


def test_groups_by_region_category_and_program_with_their_bounds() -> None:
    problem = _ruled(
        regions=[{"level": "city", "min_served": 3, "max_served": 5}],
        categories=[{"category": "talent", "min_served": 2}],
        program={"min_served": 10},
    )
    servable = np.arange(len(problem.needs)) % 3 != 0
    rules = compile_rules(problem, servable)
    expected = []
    cities = [r for r in problem.regions if r.level is Level.CITY]
    for city in cities:
        needs = [
            n
            for n, need in enumerate(problem.needs)
            if _anchor(problem, need.region, Level.CITY) is city
        ]
        if needs:  # a region minimum never asks for more than the region's servable needs
            lower = min(3, int(servable[needs].sum()))
            expected.append(("regions[0]", city.id, needs, lower or None, 5))
    talent = [n for n, need in enumerate(problem.needs) if need.category.value == "talent"]
    expected.append(("categories[0]", "talent", talent, 2, None))
    expected.append(("program", "all", list(range(len(problem.needs))), 10, None))
    found = [(g.rule, g.target, g.needs.tolist(), g.lower, g.upper) for g in rules.groups]
    assert found == expected
    assert not rules.empty
    assert compile_rules(matcher.synth.shanxi(seed=1, n_needs=80, n_orgs=20), servable).empty


def test_evaluate_counts_what_a_plan_misses() -> None:
    problem = _ruled(
        regions=[{"level": "city", "min_served": 4, "hard": False, "penalty": 7.0}],
        program={"min_served": 50},
    )
    servable = np.ones(len(problem.needs), bool)
    rules = compile_rules(problem, servable)
    # A plan that serves the first 30 needs, each by organization 0.
    need = np.arange(30, dtype=np.int64)
    org = np.zeros(30, np.int64)
    score = np.full(30, 2.0)
    result = evaluate(problem, rules, need, org, score, servable)
    assert result.served.tolist() == [n < 30 for n in range(len(problem.needs))]
    assert result.hard_violations == ["program:all:min"]  # 50 wanted, 30 served: hard
    misses = {}
    for city in (r for r in problem.regions if r.level is Level.CITY):
        inside = [
            n
            for n, need in enumerate(problem.needs)
            if _anchor(problem, need.region, Level.CITY) is city
        ]
        short = min(4, len(inside)) - sum(n < 30 for n in inside)
        if short > 0:
            misses[f"{city.id}:min"] = short
    assert {v.target: v.amount for v in result.violations} == misses
    assert all(v.penalty == pytest.approx(7.0 * v.amount) for v in result.violations)
    assert result.levels["score"] == pytest.approx(60.0 - 7.0 * sum(misses.values()))
