"""The candidate table (``matcher.pairs.table``): its pairs, scores and components equal the
plain-Python oracle of ``pair_oracle``, which shares no code with the package."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from hypothesis import given, settings
from pair_oracle import (
    assert_table_matches_oracle,
    oracle_rule,
)

import matcher
from matcher.models import COMPONENTS
from strategies import SMALL, TINY, documents, problems

# --- properties -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(problems(SMALL, pair_scores=False))
def test_candidate_table_matches_oracle(problem: matcher.Problem) -> None:
    """Pairs, scores and components equal the plain-Python oracle."""
    assert_table_matches_oracle(problem)


@settings(max_examples=60, deadline=None)
@given(problems(TINY, nation=False, pair_scores=False))
def test_candidate_table_matches_oracle_in_province_rooted_trees(
    problem: matcher.Problem,
) -> None:
    assert_table_matches_oracle(problem)


@settings(max_examples=150, deadline=None)
@given(documents(SMALL, pair_scores=True))
def test_pair_scores_are_the_candidate_set(document: dict[str, Any]) -> None:
    """With pair_scores the candidates are exactly the given pairs less barred-credit
    organizations, with the given scores (design: "exactly those pairs, with those scores")."""
    problem = matcher.Problem.model_validate(document)
    barred = {o.id for o in problem.organizations if o.credit in problem.policy.barred_credit}
    position = {n["id"]: i for i, n in enumerate(document["needs"])}
    org_position = {o["id"]: i for i, o in enumerate(document["organizations"])}
    expected = sorted(
        (
            (p["need_id"], p["org_id"], p["score"])
            for p in document["pair_scores"]
            if p["org_id"] not in barred
        ),
        key=lambda t: (position[t[0]], org_position[t[1]]),
    )
    table = matcher.candidates(problem)
    assert list(zip(table.need_id, table.org_id, table.score, strict=True)) == expected


@settings(max_examples=100, deadline=None)
@given(documents(SMALL, pair_scores=True))
def test_pair_scores_candidates_are_a_subset_with_given_scores(document: dict[str, Any]) -> None:
    """Whatever else is removed, every candidate is a given pair with its given score, and no
    barred organization appears."""
    problem = matcher.Problem.model_validate(document)
    given_scores = {(p["need_id"], p["org_id"]): p["score"] for p in document["pair_scores"]}
    barred = {o.id for o in problem.organizations if o.credit in problem.policy.barred_credit}
    table = matcher.candidates(problem)
    pairs = list(zip(table.need_id, table.org_id, table.score, strict=True))
    assert len(set((n, o) for n, o, _ in pairs)) == len(pairs)
    for need_id, org_id, score in pairs:
        assert given_scores[need_id, org_id] == score
        assert org_id not in barred


@settings(max_examples=100, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_table_is_sorted_and_components_in_range(problem: matcher.Problem) -> None:
    table = matcher.candidates(problem)
    need_pos = table.need_id.map(problem.index.need_position)
    org_pos = table.org_id.map(problem.index.org_position)
    keys = list(zip(need_pos, org_pos, strict=True))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for name in COMPONENTS:
        low, high = (-1.0, 0.0) if name == "discontinuity" else (0.0, 1.0)
        assert table[name].between(low, high).all(), name
    assert np.isfinite(table.score.to_numpy()).all()


@settings(max_examples=60, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_no_candidate_exclusions_count_every_organization(problem: matcher.Problem) -> None:
    """Unmet ``no_candidate`` needs list, per rule, the organizations it removes (first rule)."""
    solution = matcher.solve(problem, solver="greedy")
    by_id = {n.id: n for n in problem.needs}
    for unmet in solution.unmet:
        if unmet.reason != "no_candidate":
            continue
        need = by_id[unmet.need_id]
        expected = Counter(oracle_rule(problem, need, org) for org in problem.organizations)
        assert "" not in expected
        assert unmet.excluded == dict(expected)
        assert sum(unmet.excluded.values()) == len(problem.organizations)
