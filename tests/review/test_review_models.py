"""The review document is validated like a problem document; its tables read Chinese headers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import matcher
from matcher.io.reviews import HEADERS, TABLE_NAMES, read_review_tables, write_review_templates
from matcher.review import ReviewDocument, review_schema


def test_every_issue_is_reported_with_its_path() -> None:
    with pytest.raises(matcher.ProblemError) as caught:
        ReviewDocument.model_validate(
            {
                "experts": [
                    {"id": "e1", "max_reviews": -1},
                    {"id": "e1", "expertise": {"cooking": 2}},
                ],
                "projects": [{"id": "p1", "category": "talent", "reviewers": 0}],
                "evaluators": [{"id": "x", "kind": "friendly"}],
            }
        )
    paths = {issue.path for issue in caught.value.issues}
    assert {
        "experts[0].max_reviews",
        "experts[1].expertise.cooking",
        "projects[0].reviewers",
        "evaluators[0].kind",
    } <= paths


def test_cross_references_and_scales() -> None:
    with pytest.raises(matcher.ProblemError) as caught:
        ReviewDocument.model_validate(
            {
                "experts": [{"id": "e"}, {"id": "e"}],
                "projects": [{"id": "p", "category": "talent"}],
                "reviews": [
                    {"project_id": "p", "expert_id": "e", "score": 7},
                    {"project_id": "p", "expert_id": "e", "score": 3},
                    {"project_id": "p", "expert_id": "e", "scores": {"x": 3}, "round": 2},
                ],
                "evaluations": [{"project_id": "q", "evaluator_id": "z", "stars": 3}],
                "policy": {"scale": 5},
            }
        )
    messages = [str(issue) for issue in caught.value.issues]
    assert "experts[1].id: duplicate id 'e' (first at experts[0])" in messages
    assert "reviews[0]: score 7 is outside 1-5" in messages
    assert "reviews[1]: duplicate review (first at reviews[0])" in messages
    assert "reviews[2].scores: the policy names no criteria: give score" in messages
    assert "evaluations[0].project_id: unknown project 'q'" in messages
    assert "evaluations[0].evaluator_id: unknown evaluator 'z'" in messages
    chinese = [issue.text("zh") for issue in caught.value.issues]
    assert "reviews[0]: 得分 7 超出 1-5" in chinese
    assert "evaluations[0].evaluator_id: 未知的评估机构 'z'" in chinese


def test_schema_describes_every_section() -> None:
    schema = review_schema()
    assert set(schema["properties"]) == {
        "experts",
        "projects",
        "reviews",
        "evaluators",
        "evaluations",
        "policy",
    }
    assert "Expert" in schema["$defs"] and "KeyProjectPolicy" in schema["$defs"]


def test_templates_round_trip_through_excel(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    workbook = tmp_path / "评审模板.xlsx"
    write_review_templates(workbook)
    sheets = pd.read_excel(workbook, sheet_name=None)
    assert set(sheets) == set(TABLE_NAMES.values())
    for table, name in TABLE_NAMES.items():
        assert list(sheets[name].columns) == list(HEADERS[table])


def test_tables_with_chinese_headers(tmp_path: Path) -> None:
    experts = pd.DataFrame(
        {"专家编号": ["E1", "E2"], "专业领域": ["产业帮扶:4", "人才培养：2、扶弱济困:5"],
         "所属组织": ["O1；O2", None], "最多评审数": [5, 8]}
    )  # fmt: skip
    projects = pd.DataFrame(
        {"项目编号": ["P1"], "帮扶类别": ["产业帮扶"], "重点帮扶地区": ["是"], "实施组织": ["O3"]}
    )
    reviews = pd.DataFrame({"项目编号": ["P1", "P1"], "专家编号": ["E1", "E2"],
                            "创新性": [80, 70], "可行性": [90, 60]})  # fmt: skip
    evaluators = pd.DataFrame({"机构编号": ["H1"], "机构类型": ["枢纽型"]})
    evaluations = pd.DataFrame({"项目编号": ["P1"], "评估机构编号": ["H1"], "评估结果": ["良好"]})
    path = tmp_path / "评审.csv"
    reviews.to_csv(path, index=False)
    document = read_review_tables(
        experts=experts,
        projects=projects,
        reviews=path,
        evaluators=evaluators,
        evaluations=evaluations,
        policy={"criteria": ["创新性", "可行性"]},
    )
    assert document.experts[0].affiliations == ("O1", "O2")
    assert len(document.experts[1].expertise) == 2
    assert document.projects[0].key_area and document.projects[0].implementer == "O3"
    assert document.reviews[1].scores == {"创新性": 70.0, "可行性": 60.0}
    assert document.evaluators[0].kind == "hub"
    assert document.evaluations[0].stars == 4


def test_bad_rows_name_the_table_and_row() -> None:
    experts = pd.DataFrame({"专家编号": ["E1", "E2"], "最多评审数": [3, "很多"]})
    with pytest.raises(matcher.ProblemError) as caught:
        read_review_tables(experts=experts)
    assert [i.path for i in caught.value.issues] == ["experts[1].max_reviews"]
    with pytest.raises(matcher.ProblemError, match="unknown table"):
        read_review_tables(judges=experts)
