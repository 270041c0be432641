"""Key projects in dispatch: the rule key_projects_served, the library switch, evaluations."""

from __future__ import annotations

import numpy as np
import pytest

import matcher
from matcher.pairs.table import candidates
from matcher.review import (
    ReviewDocument,
    apply_evaluations,
    dispatch_scores,
    evaluation_results,
    library_problem,
)


@pytest.fixture(scope="module")
def problem() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=120, n_orgs=60)


def _servable(problem: matcher.Problem) -> list[str]:
    frame = candidates(problem)
    return sorted(set(frame["need_id"]))


@pytest.mark.parametrize("solver", ["auto", "cpsat"])
def test_every_key_project_is_served(problem: matcher.Problem, solver: str) -> None:
    plain = matcher.solve(problem, solver=solver)
    served = {a.need_id for a in plain.assignments}
    # Key projects among the needs the plain plan leaves out, so the rule has to move the plan.
    left = [n for n in _servable(problem) if n not in served][:3]
    key = [*sorted(served)[:5], *left]
    year = library_problem(problem, [n.id for n in problem.needs], key, only_library=False)
    solution = matcher.solve(year, solver=solver)
    assert solution.status.value in {"optimal", "feasible"}
    assert set(key) <= {a.need_id for a in solution.assignments}
    assert matcher.verify(year, solution) == []


def test_a_plan_that_misses_a_key_project_fails_verify(problem: matcher.Problem) -> None:
    plain = matcher.solve(problem)
    served = {a.need_id for a in plain.assignments}
    missed = [n.id for n in problem.needs if n.id not in served][:1]
    year = problem.with_policy(rules={"key_projects_served": {"needs": missed}})
    violations = matcher.verify(year, plain)
    assert [v.rule for v in violations] == ["key_projects_served"]


def test_soft_key_projects_report_the_shortfall(problem: matcher.Problem) -> None:
    unservable = [n.id for n in problem.needs if n.id not in set(_servable(problem))][:2]
    assert unservable, "the fixture has needs without candidates"
    year = problem.with_policy(
        rules={"key_projects_served": {"needs": unservable, "hard": False, "penalty": 5}}
    )
    solution = matcher.solve(year)
    (violation,) = solution.soft_violations
    assert violation.rule == "key_projects_served" and violation.amount == len(unservable)
    hard = problem.with_policy(rules={"key_projects_served": {"needs": unservable}})
    assert matcher.solve(hard).status.value == "infeasible"


def test_unknown_key_needs_are_named(problem: matcher.Problem) -> None:
    with pytest.raises(matcher.ProblemError) as caught:
        problem.with_policy(rules={"key_projects_served": {"needs": [problem.needs[0].id, "nope"]}})
    assert [i.path for i in caught.value.issues] == ["policy.rules.key_projects_served.needs[1]"]


def test_the_library_switch(problem: matcher.Problem) -> None:
    library = [n.id for n in problem.needs[::2]]
    only = library_problem(problem, library)
    assert [n.id for n in only.needs] == library
    everything = library_problem(problem, library, only_library=False)
    assert len(everything.needs) == len(problem.needs)
    assert everything.policy.rules.key_projects_served is None


def test_dispatch_scores_are_the_best_candidate_scores(problem: matcher.Problem) -> None:
    frame = candidates(problem)
    best = frame.groupby("need_id")["score"].max()
    ids = [n.id for n in problem.needs]
    found = dispatch_scores(problem, ids)
    for need_id, value in zip(ids, found.tolist(), strict=True):
        if need_id in best.index:
            assert value == pytest.approx(best[need_id])
        else:
            assert np.isnan(value)


def test_evaluations_flow_into_ratings_continuity_and_eligibility(
    problem: matcher.Problem,
) -> None:
    o1, o2, o3 = (o.id for o in problem.organizations[:3])
    document = ReviewDocument.model_validate(
        {
            "evaluators": [{"id": "hub"}, {"id": "uni"}],
            "projects": [
                {"id": "a", "category": "talent", "implementer": o1},
                {"id": "b", "category": "talent", "implementer": o2},
                {"id": "c", "category": "talent", "implementer": o3},
            ],
            "evaluations": [
                {"project_id": "a", "evaluator_id": "hub", "stars": 5},
                {"project_id": "a", "evaluator_id": "uni", "stars": 4},
                {"project_id": "b", "evaluator_id": "hub", "stars": 1},
                {"project_id": "c", "evaluator_id": "hub", "stars": 3},
            ],
            "policy": {"min_evaluation": 3},
        }
    )
    assert evaluation_results(document) == {o1: 4.5, o2: 1.0, o3: 3.0}
    first, second = problem.needs[0].id, problem.needs[1].id
    after = apply_evaluations(problem, document, follow_ups={first: "a", second: "b"})
    before = {o.id: o for o in problem.organizations}
    assert after.organization(o1).ratings == (*before[o1].ratings, 5, 4)
    assert after.organization(o2).max_projects == 0  # below the minimum: not bought next year
    assert after.organization(o3).max_projects == before[o3].max_projects
    assert after.need(first).continues == matcher.models.Continuation(org_id=o1, stars=4)
    assert after.need(second).continues == matcher.models.Continuation(org_id=o2, stars=1)
    everyone = apply_evaluations(problem, document.replace(policy={}))
    assert everyone.organization(o2).max_projects == before[o2].max_projects


def test_merit_is_a_score_component(problem: matcher.Problem) -> None:
    ids = [n.id for n in problem.needs]
    merit = {need_id: float(10 * (i % 11)) for i, need_id in enumerate(ids)}
    year = library_problem(problem, ids, merit=merit).with_policy(weights={"merit": 2.0})
    assert [n.merit for n in year.needs] == [min(v, 100.0) for v in merit.values()]
    plain = candidates(problem).set_index(["need_id", "org_id"])["score"]
    weighed = candidates(year).set_index(["need_id", "org_id"])
    expected = plain + 2.0 * weighed.index.get_level_values(0).map(merit).to_numpy() / 100.0
    assert np.allclose(weighed["score"], expected.loc[weighed.index])
    assert np.allclose(weighed["merit"], weighed.index.get_level_values(0).map(merit) / 100.0)
    solution = matcher.solve(year)
    assert matcher.verify(year, solution) == []  # verify recomputes each score with merit
