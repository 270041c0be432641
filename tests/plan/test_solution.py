"""The plan a solve returns: assignments, unmet reasons, KPIs, JSON, frames and summaries."""

from __future__ import annotations

import json
import pickle
import threading
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings

import matcher
from conftest import build
from matcher import Category, Priority
from matcher.models import COMPONENTS
from strategies import SMALL, problems


def kpi_document() -> dict[str, Any]:
    return {
        "regions": [
            {"id": "P", "name": "山西省", "level": "province"},
            {"id": "C", "name": "太原市", "level": "city", "parent": "P"},
            {"id": "K", "name": "清徐县", "level": "county", "parent": "C", "priority": "key"},
            {
                "id": "C2",
                "name": "大同市",
                "level": "city",
                "parent": "P",
                "priority": "原贫困地区",
            },
            {"id": "K2", "name": "阳高县", "level": "county", "parent": "C2"},
        ],
        "organizations": [
            {
                "id": "o1",
                "org_type": "agriculture",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"industry": 0.9, "talent": 0.5},
                "max_projects": 1,
            },
            {
                "id": "o2",
                "org_type": "training",
                "scope": "city",
                "home_region": "C",
                "capabilities": {"talent": 0.8},
                "max_projects": 2,
            },
            {
                "id": "o3",
                "org_type": "foundation",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"industry": 1.0},
                "max_projects": 5,
                "credit": "blacklisted",
            },
        ],
        "needs": [
            {"id": "n1", "region": "K", "category": "industry", "beneficiaries": 300},
            {"id": "n2", "region": "K", "category": "talent"},
            {"id": "n3", "region": "C", "category": "talent"},
            {"id": "n4", "region": "K", "category": "vulnerable"},
            {"id": "n5", "region": "K2", "category": "talent"},
            {"id": "n6", "region": "P", "category": "industry"},
        ],
    }


@pytest.fixture
def kpi_problem() -> matcher.Problem:
    return build(kpi_document())


@pytest.fixture(params=["flow", "cpsat", "greedy"])
def kpi_solution(request: Any, kpi_problem: matcher.Problem) -> matcher.Solution:
    return matcher.solve(kpi_problem, solver=request.param)


def test_plan_by_hand(kpi_problem: matcher.Problem, kpi_solution: matcher.Solution) -> None:
    assert {a.need_id: a.org_id for a in kpi_solution.assignments} == {
        "n1": "o1",
        "n2": "o2",
        "n3": "o2",
    }
    assert {u.need_id: u.reason for u in kpi_solution.unmet} == {
        "n4": "no_candidate",
        "n5": "capacity",
        "n6": "capacity",
    }
    n4 = next(u for u in kpi_solution.unmet if u.need_id == "n4")
    assert n4.excluded == {"credit": 1, "capability": 2}
    assert n4.candidates == 0
    assert n4.category is Category.VULNERABLE and n4.tier is Priority.KEY and n4.region == "K"
    n5 = next(u for u in kpi_solution.unmet if u.need_id == "n5")
    assert n5.candidates == 1 and n5.tier is Priority.FORMER_POVERTY
    assert matcher.verify(kpi_problem, kpi_solution) == []
    a1 = kpi_solution.assignments[0]
    assert (a1.category, a1.region, a1.tier) == (Category.INDUSTRY, "K", Priority.KEY)
    assert set(a1.components) == set(COMPONENTS)
    assert kpi_solution.objective == pytest.approx(sum(a.score for a in kpi_solution.assignments))


def test_kpis_by_hand(kpi_solution: matcher.Solution) -> None:
    k = kpi_solution.kpis
    assert (k.needs, k.served, k.share) == (6, 3, 0.5)
    assert {c: (t.needs, t.served) for c, t in k.by_category.items()} == {
        Category.INDUSTRY: (2, 1),
        Category.TALENT: (3, 2),
        Category.VULNERABLE: (1, 0),
    }
    assert {p: (t.needs, t.served) for p, t in k.by_tier.items()} == {
        Priority.KEY: (3, 2),
        Priority.FORMER_POVERTY: (1, 0),
        Priority.NORMAL: (2, 1),
    }
    assert {c: (t.needs, t.served, t.name) for c, t in k.by_city.items()} == {
        "C": (4, 3, "太原市"),
        "C2": (1, 0, "大同市"),
        "": (1, 0, ""),  # n6 lies in no city
    }
    assert k.by_city["C"].share == 0.75
    assert (k.organizations, k.engaged) == (3, 2)
    assert (k.capacity, k.used, k.utilization) == (3, 3, 1.0)  # the blacklisted o3 does not count
    assert k.load == {"o1": 1, "o2": 2}
    frame = k.frame("category")
    assert frame.index.name == "category"
    assert frame.loc["talent", "served"] == 2
    assert list(k.frame("tier").index) == ["key", "former_poverty", "normal"]
    assert k.frame("city").loc["C2", "needs"] == 1


def test_json_round_trip(kpi_solution: matcher.Solution) -> None:
    text = kpi_solution.to_json()
    back = matcher.Solution.from_json(text)
    assert back == kpi_solution
    assert back.to_json() == text
    assert matcher.Solution.from_json(text.encode()) == kpi_solution
    assert matcher.Solution.from_json(kpi_solution.to_json(indent=2)) == kpi_solution
    data = json.loads(text)
    assert data["status"] == kpi_solution.status.value
    assert "timings" not in data and "total_seconds" not in text
    assert {a["need_id"] for a in data["assignments"]} == {"n1", "n2", "n3"}


def test_equality_ignores_timings(kpi_problem: matcher.Problem) -> None:
    first, second = matcher.solve(kpi_problem), matcher.solve(kpi_problem)
    assert first.timings and second.timings
    assert first == second
    assert first != first.model_copy(update={"objective": first.objective + 1})


def test_records_wait_for_their_first_read_and_change_nothing() -> None:
    problem = matcher.synth.shanxi(seed=3, n_needs=120, n_orgs=30)
    built = matcher.solve(problem)
    assert built.rows_pending
    assert len(built.assignments) + len(built.unmet) == 120 and not built.rows_pending
    fresh = matcher.solve(problem)
    assert fresh.rows_pending
    assert fresh.to_json() == built.to_json()  # serializing builds them
    assert matcher.solve(problem) == built  # so does comparing
    assert pickle.loads(pickle.dumps(matcher.solve(problem))) == built
    copied = matcher.solve(problem).model_copy(update={"solver": "copy"})
    assert copied.assignments == built.assignments and copied.unmet == built.unmet
    assert matcher.Solution.from_json(built.to_json()) == built
    # Threads reading a fresh plan at once see the same records.
    shared = matcher.solve(problem)
    seen: list[int] = []
    threads = [
        threading.Thread(target=lambda: seen.append(id(shared.assignments))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1


@settings(max_examples=40, deadline=None)
@given(problems(SMALL, pair_scores=None))
def test_json_round_trip_on_random_plans(problem: matcher.Problem) -> None:
    for name in ("flow", "cpsat", "greedy"):
        solution = matcher.solve(problem, solver=name)
        back = matcher.Solution.from_json(solution.to_json())
        assert back == solution, name
        assert matcher.verify(problem, back) == [], name


@settings(max_examples=30, deadline=None)
@given(problems(SMALL))
def test_a_fresh_plan_frames_its_arrays_as_its_records(problem: matcher.Problem) -> None:
    fresh = matcher.solve(problem)
    frame = fresh.to_frame()
    assert fresh.rows_pending  # laid out from the arrays
    built = matcher.Solution.from_json(fresh.to_json())
    pd.testing.assert_frame_equal(frame, built.to_frame())


def test_to_frame(kpi_solution: matcher.Solution) -> None:
    frame = kpi_solution.to_frame()
    assert list(frame.columns) == [
        "need_id",
        "org_id",
        "score",
        "category",
        "region",
        "tier",
        *COMPONENTS,
    ]
    assert len(frame) == 3
    assert frame.set_index("need_id").loc["n1", "category"] == "industry"
    assert frame.set_index("need_id").loc["n1", "tier"] == "key"
    assert frame.score.sum() == pytest.approx(kpi_solution.objective)
    unmet = kpi_solution.unmet_frame()
    assert list(unmet.columns) == [
        "need_id",
        "reason",
        "detail",
        "category",
        "region",
        "tier",
        "candidates",
    ]
    assert dict(zip(unmet.need_id, unmet.reason, strict=True)) == {
        "n4": "no_candidate",
        "n5": "capacity",
        "n6": "capacity",
    }


def test_empty_frames() -> None:
    problem = build(
        {"regions": [{"id": "P", "level": "province"}], "organizations": [], "needs": []}
    )
    solution = matcher.solve(problem)
    assert solution.to_frame().empty
    assert len(solution.to_frame().columns) == 6 + len(COMPONENTS)
    assert solution.unmet_frame().empty
    assert solution.status == "optimal" and solution.objective == 0.0
    assert solution.kpis.share == 0.0 and solution.kpis.utilization == 0.0


def test_summary_in_chinese(kpi_solution: matcher.Solution) -> None:
    text = kpi_solution.summary("zh")
    for label in (
        "产业帮扶",
        "人才培养",
        "扶弱济困",
        "重点帮扶地区",
        "原贫困地区",
        "太原市",
        "大同市",
    ):
        assert label in text
    assert "无符合条件的组织" in text and "候选组织承接能力已满" in text
    assert "Industry support" not in text
    assert kpi_solution.summary() == text


def test_summary_in_english(kpi_solution: matcher.Solution) -> None:
    text = kpi_solution.summary("en")
    for label in (
        "Industry support",
        "Talent development",
        "Help for the vulnerable",
        "Key assistance area",
        "Former poverty area",
        "no eligible organization",
        "every candidate is full",
    ):
        assert label in text
    assert "产业帮扶" not in text
    assert kpi_solution.solver in text


def test_gap(kpi_solution: matcher.Solution) -> None:
    if kpi_solution.status == "optimal":
        assert kpi_solution.gap == 0.0
    loose = kpi_solution.model_copy(update={"bound": kpi_solution.objective * 2})
    assert loose.gap == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("text", "issues"),
    [
        ("nope", ["not valid JSON: expected ident at line 1 column 2"]),
        (
            '{"status": "optimal", "objective": ' + "9" * 5000 + "}",
            ["not valid JSON: number out of range at line 1 column 4337"],
        ),
        ("[1]", ["input should be an object"]),
    ],
)
def test_a_bad_plan_is_matchers_own_error(text: str, issues: list[str]) -> None:
    with pytest.raises(matcher.PlanError) as error:
        matcher.Solution.from_json(text)
    assert [str(issue) for issue in error.value.issues] == issues
    assert isinstance(error.value, matcher.ProblemError)  # one handler takes every bad document


def test_a_plan_with_bad_fields_names_each_in_both_languages(
    kpi_solution: matcher.Solution,
) -> None:
    document = json.loads(kpi_solution.to_json())
    document["status"] = "done"
    document["assignments"][0]["org_id"] = 3
    del document["objective"]
    with pytest.raises(matcher.PlanError) as error:
        matcher.Solution.from_json(json.dumps(document))
    paths = [issue.path for issue in error.value.issues]
    assert paths == ["assignments[0].org_id", "objective", "status"]
    assert error.value.text("zh").splitlines()[0] == "计划中有 3 处问题"
    assert "objective: 缺少必填字段" in error.value.text("zh")
