"""Shared pytest configuration and fixtures for the matcher tests."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import matcher

# Solver calls take milliseconds but vary with machine load: no per-example deadline anywhere.
# Each property sets its own max_examples; another profile can be chosen with HYPOTHESIS_PROFILE.
settings.register_profile(
    "matcher", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
# In CI the examples are derived from each test's name, so that a run is repeatable; locally they
# are random, to keep finding new cases.
settings.register_profile("ci", parent=settings.get_profile("matcher"), derandomize=True)
default = "ci" if os.environ.get("CI") else "matcher"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


def build(document: dict[str, Any]) -> matcher.Problem:
    """Validate a document, failing the test with the issues when it is invalid."""
    try:
        return matcher.Problem.model_validate(document)
    except matcher.ProblemError as error:  # pragma: no cover - a broken fixture
        pytest.fail(f"fixture document is invalid: {error}")


@pytest.fixture
def simple_problem() -> matcher.Problem:
    """The small hand-made problem of :func:`strategies.simple_document`."""
    from strategies import simple_document

    return build(simple_document())


@pytest.fixture(scope="session")
def held_back() -> tuple[matcher.Problem, matcher.Solution]:
    """A plan with needs unmet for every kind of reason a feasible plan gives: a category quota
    holds some back (``rules``), twenty needs want 40 partners (``too_few_candidates``)."""
    from matcher import variants

    base = matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)
    problem = base.with_policy(rules={"categories": [{"category": "talent", "max_served": 1}]})
    problem = variants.update_needs(problem, {n.id: {"partners": 40} for n in base.needs[:20]})
    return problem, matcher.solve(problem)


@pytest.fixture(scope="session")
def infeasible_plan() -> matcher.Solution:
    """A plan whose hard rules cannot all hold: every need unmet, most as ``infeasible``."""
    problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=10)
    return matcher.solve(problem.with_policy(rules={"program": {"min_served": 1000}}))
