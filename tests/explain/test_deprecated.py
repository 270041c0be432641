"""The plan's old explanation methods still answer, for one release, with a DeprecationWarning."""

from __future__ import annotations

import pytest

import matcher
from matcher.errors import OptionError


def test_old_methods_warn_and_give_the_functions_answers() -> None:
    problem = matcher.synth.shanxi(seed=3, n_needs=60, n_orgs=15)
    solution = matcher.solve(problem)
    served = solution.assignments[0]
    unmet = solution.unmet[0].need_id
    other = next(o.id for o in problem.organizations if o.id != served.org_id)
    with pytest.warns(DeprecationWarning, match=r"matcher\.explain\.explain\(problem"):
        old = solution.explain(unmet, "en")
    assert old == matcher.explain.explain(problem, solution, unmet, "en")
    with pytest.warns(DeprecationWarning, match=r"matcher\.explanations\(problem"):
        table = solution.explanations(languages="zh")
    assert table.equals(matcher.explanations(problem, solution, "zh"))
    with pytest.warns(DeprecationWarning, match=r"matcher\.why_not\(problem"):
        sentence = solution.why_not(served.need_id, other)
    assert sentence == matcher.why_not(problem, solution, served.need_id, other)


def test_a_plan_read_back_needs_its_problem() -> None:
    problem = matcher.synth.shanxi(seed=3, n_needs=30, n_orgs=10)
    plan = matcher.Solution.from_json(matcher.solve(problem).to_json())
    need_id = plan.assignments[0].need_id
    with pytest.warns(DeprecationWarning), pytest.raises(OptionError, match=r"pass problem=\.\.\."):
        plan.explain(need_id)
    with pytest.warns(DeprecationWarning):
        assert plan.explain(need_id, problem=problem).need_id == need_id
