"""Tables in and out: Chinese headers, CSV / Excel / Parquet round trips, the plan workbook."""

from __future__ import annotations

from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pytest

import matcher
from matcher import io, variants
from matcher.analysis.comparison import compare
from matcher.errors import OptionError, ProblemError
from matcher.models import catalog
from matcher.report.display import comparison_html, problem_html, solution_html


@pytest.fixture(scope="module")
def base() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)


@pytest.fixture(scope="module")
def rich(base: matcher.Problem) -> matcher.Problem:
    """The base with a non-default policy, pair lists, a follow-up need and service regions."""
    plan = matcher.solve(base)
    first = plan.assignments[0]
    need = base.needs[1]
    problem = variants.update_needs(
        base,
        {
            need.id: {
                "continues": {"org_id": first.org_id, "stars": 5},
                "vulnerable_groups": ["留守儿童", "孤儿"],
            }
        },
    )
    org = base.organizations[2]
    problem = variants.update_organizations(
        problem, {org.id: {"service_regions": [org.home_region], "ratings": [5, 4, 3]}}
    )
    problem = problem.with_policy(weights={"priority": 5}, distance_scale_km=80)
    return problem.replace(pinned=[{"need_id": first.need_id, "org_id": first.org_id}])


def test_chinese_headers_and_messy_cells() -> None:
    problem = io.problem_from_frames(
        regions=pd.DataFrame(
            {
                "编码": [14, 1401, 140121],
                "名称": ["山西省", "太原市", "清徐县"],
                "级别": ["省", "市", "县"],
                "上级编码": [None, 14.0, "1401"],
                "帮扶优先级": [None, None, "重点帮扶地区"],
                "纬度": [None, None, "37.6"],
                " 经度 ": [None, None, 112.4],
            }
        ),
        organizations=pd.DataFrame(
            {
                "组织编号": ["o1", "o2"],
                "组织名称": ["省农学会", "县社工站"],
                "组织类型": ["农业农村类", "social_service"],
                "登记级别": ["全省性", "县级"],
                "登记地区": ["14", "140121"],
                "能力_产业帮扶": [0.9, None],
                "人才培养能力": [0.5, None],
                "capability_employment": [None, "0.8"],
                "最多承接项目数": ["3.0", 1],
                "信用状况": ["正常", "活动异常名录"],
                "历史评价": ["5；4、3", None],
                "服务地区": [None, "140121"],
            }
        ),
        needs=pd.DataFrame(
            {
                "需求编号": ["n1", "n2"],
                "所在地区": [140121, "140121"],
                "帮扶类别": ["产业帮扶", "就业"],
                "需求名称": ["合作社技术升级", ""],
                "受益人数": ["1,200", 40.0],
                "帮扶对象": [None, "留守儿童,残疾人"],
                "接续组织": ["o1", None],
                "接续评价": [4.0, None],
            }
        ),
    )
    county = problem.region("140121")
    assert (county.parent, county.priority.value, county.lat, county.lon) == (  # type: ignore[union-attr]
        "1401",
        "key",
        37.6,
        112.4,
    )
    o1, o2 = problem.organizations
    assert {c.value: v for c, v in o1.capabilities.items()} == {"industry": 0.9, "talent": 0.5}
    assert (o1.max_projects, o1.ratings, o1.scope.value) == (3, (5, 4, 3), "province")
    assert (o2.credit.value, o2.service_regions, o2.scope.value) == (
        "abnormal",
        ("140121",),
        "county",
    )
    n1, n2 = problem.needs
    assert (n1.beneficiaries, n1.continues.org_id, n1.continues.stars) == (1200, "o1", 4)  # type: ignore[union-attr]
    assert [g.value for g in n2.vulnerable_groups] == ["left_behind_children", "disabled"]
    assert n2.title == "" and n2.category.value == "employment"


def test_yes_no_and_aid_cells() -> None:
    problem = io.problem_from_frames(
        regions=pd.DataFrame({"id": ["14"], "level": ["province"]}),
        organizations=pd.DataFrame(
            {
                "id": ["o1"],
                "org_type": ["training"],
                "scope": ["province"],
                "home_region": ["14"],
                "年检合格": ["否"],
            }
        ),
        needs=pd.DataFrame(
            {"id": ["n1"], "region": ["14"], "category": ["talent"], "帮扶方式": ["造血"]}
        ),
    )
    assert problem.organizations[0].inspection_passed is False
    assert problem.needs[0].aid == "capacity_building"


def test_invalid_rows_are_reported_with_their_row_number() -> None:
    with pytest.raises(ProblemError) as error:
        io.problem_from_frames(
            regions=pd.DataFrame({"编码": ["14"], "级别": ["省"]}),
            organizations=pd.DataFrame(columns=["组织编号"]),
            needs=pd.DataFrame(
                {
                    "需求编号": ["n1", "n2"],
                    "所在地区": ["14", "99"],
                    "帮扶类别": ["产业", "x"],
                    "颜色": [1, 2],
                }
            ),
        )
    messages = [str(issue) for issue in error.value.issues]
    assert "needs[1].region: unknown region '99'" in messages
    assert any(m.startswith("needs[1].category") for m in messages)
    assert "needs.颜色: 未知的列" in messages  # a column that names no field, once


@pytest.mark.parametrize("language", ["en", "zh"])
def test_problem_frames_round_trip(rich: matcher.Problem, language: str) -> None:
    frames = io.problem_frames(rich, language)  # type: ignore[arg-type]
    assert io.problem_from_tables(frames) == rich
    if language == "zh":
        assert list(frames) == ["地区", "组织", "需求", "已接单", "政策"]
        assert "能力_产业帮扶" in frames["组织"].columns
        assert set(frames["需求"]["帮扶类别"]) <= {c.label("zh") for c in matcher.Category}
    else:
        assert list(frames) == ["regions", "organizations", "needs", "pinned", "policy"]
        assert "capability_industry" in frames["organizations"].columns


@pytest.mark.parametrize(
    ("name", "language", "fmt"),
    [
        ("problem.xlsx", "zh", "csv"),
        ("problem.xlsx", "en", "csv"),
        ("folder", "zh", "csv"),
        ("folder", "en", "parquet"),
    ],
)
def test_write_and_read_problem_files(
    rich: matcher.Problem, tmp_path: Path, name: str, language: str, fmt: str
) -> None:
    if name.endswith(".xlsx"):
        pytest.importorskip("openpyxl", reason="the excel extra is not installed")
    if fmt == "parquet":
        pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
    destination = tmp_path / name
    io.write_problem(rich, destination, language=language, format=fmt)  # type: ignore[arg-type]
    assert io.read_problem(destination) == rich


def test_three_files_and_gb18030_csv(base: matcher.Problem, tmp_path: Path) -> None:
    frames = io.problem_frames(base, "zh")
    paths = []
    for name, encoding in (("地区", "gb18030"), ("组织", "utf-8"), ("需求", "utf-8-sig")):
        path = tmp_path / f"{name}.csv"
        frames[name].to_csv(path, index=False, encoding=encoding)
        paths.append(path)
    assert io.read_problem(*paths) == base
    table = io.read_table(paths[0])
    assert table["编码"].tolist()[0] == "140000"  # CSV cells are text: ids keep leading zeros


def test_reading_errors(base: matcher.Problem, tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"cannot read \.json"):
        io.read_table(tmp_path / "x.json")
    with pytest.raises(ProblemError, match="organizations: table is missing"):
        io.read_problem(io.problem_frames(base)["regions"])
    with pytest.raises(ProblemError, match="needs: table is missing"):
        io.read_problem(tmp_path / "regions.csv", tmp_path / "organizations.csv")
    with pytest.raises(ProblemError, match="unknown table"):
        io.problem_from_tables({**io.problem_frames(base), "weather": pd.DataFrame()})
    (tmp_path / "regions.csv").write_text("id,level\n14,province\n", encoding="utf-8")
    with pytest.raises(ProblemError, match="organizations: table is missing"):
        io.read_problem(tmp_path)
    with pytest.raises(ProblemError, match="No such file"):
        io.read_problem(tmp_path / "nowhere.xlsx")


def test_policy_table(base: matcher.Problem) -> None:
    frames = io.problem_frames(base)
    policy = pd.DataFrame(
        {
            "参数": ["weights.priority", "distance_scale_km", "barred_credit"],
            "取值": ["6", 50, '["blacklisted"]'],
        }
    )
    problem = io.problem_from_tables({**frames, "政策": policy})
    assert problem.policy.weights.priority == 6
    assert problem.policy.distance_scale_km == 50
    assert [c.value for c in problem.policy.barred_credit] == ["blacklisted"]
    # An explicit policy wins over the table.
    explicit = io.problem_from_tables(
        {**frames, "政策": policy}, policy={"weights": {"priority": 1}}
    )
    assert explicit.policy.weights.priority == 1


# --- plans --------------------------------------------------------------------------------------------


def test_plan_frames_in_chinese_and_english(base: matcher.Problem) -> None:
    plan = matcher.solve(base)
    zh = io.plan_frames(base, plan)
    assert list(zh) == [
        "派单方案",
        "未满足需求",
        "指标",
        "按帮扶类别",
        "按优先级",
        "按市",
        "组织承接",
    ]
    sheet = zh["派单方案"]
    assert list(sheet.columns[:9]) == [
        "需求编号", "需求名称", "地区", "市", "帮扶类别", "帮扶优先级", "组织编号", "组织名称", "得分",
    ]  # fmt: skip
    assert len(sheet) == plan.kpis.served
    assert set(sheet["帮扶类别"]) <= {c.label("zh") for c in matcher.Category}
    assert sheet["市"].str.endswith("市").all()
    assert set(zh["未满足需求"]["未满足原因"]) <= {
        "无符合条件的组织",
        "候选组织承接能力已满",
        "候选匹配得分不为正",
        "未被选中",
    }
    assert zh["指标"].iloc[5].tolist() == ["已满足需求", plan.kpis.served]
    assert zh["组织承接"]["承接项目数"].sum() == plan.kpis.served
    en = io.plan_frames(None, plan, language="en")  # without the problem: no names
    assert list(en) == ["plan", "unmet", "kpis", "by_category", "by_tier", "by_city", "load"]
    assert "title" not in en["plan"].columns and "org_name" not in en["load"].columns
    assert en["by_tier"]["name"].tolist()[0] == "Key assistance area"


def test_write_plan_workbook(base: matcher.Problem, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="the excel extra is not installed")
    plan = matcher.solve(base)
    path = tmp_path / "plan.xlsx"
    io.write_plan(plan, path, problem=base)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "派单方案",
        "未满足需求",
        "指标",
        "按帮扶类别",
        "按优先级",
        "按市",
        "组织承接",
    ]
    sheet = book["派单方案"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["需求编号", "需求名称", "地区"]
    assert sheet.max_row == plan.kpis.served + 1
    assert sheet.column_dimensions["B"].width > 10  # sized to the Chinese titles
    by_city = book["按市"]
    share = [c.value for c in by_city[1]].index("满足率") + 1
    assert by_city.cell(row=2, column=share).number_format == "0.0%"
    io.write_plan(plan, tmp_path / "plan_en.xlsx", language="en")
    assert openpyxl.load_workbook(tmp_path / "plan_en.xlsx").sheetnames[0] == "plan"


def test_read_plan(base: matcher.Problem, tmp_path: Path) -> None:
    plan = matcher.solve(base)
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json(), encoding="utf-8")
    assert io.read_plan(path) == plan
    with pytest.raises(io.PlanError, match="cannot read"):
        io.read_plan(tmp_path / "missing.json")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(io.PlanError) as error:
        io.read_plan(path)
    assert str(path) in str(error.value)
    with pytest.raises(io.PlanError, match=r"x\.json: status"):
        io.parse_plan('{"status": "great"}', "x.json")


# --- notebook views -----------------------------------------------------------------------------------


def test_html_views(base: matcher.Problem) -> None:
    plan = matcher.solve(base)
    html = problem_html(base)
    assert "200 项需求" in html and "产业帮扶" in html and "<table>" in html
    assert "200 needs" in problem_html(base, "en")
    html = solution_html(plan)
    assert "派单方案" in html and "重点帮扶地区" in html and f"{plan.kpis.share:.1%}" in html
    assert "Unmet needs by reason" in solution_html(plan, "en")
    other = matcher.solve(variants.scale_capacity(base, 2))
    html = comparison_html(compare(plan, other, names=("<a>", "b")), "en")
    assert "&lt;a&gt;" in html and "gained service" in html
    weird = variants.update_organizations(base, {base.organizations[0].id: {"name": "<script>"}})
    assert "<script>" not in problem_html(weird)


def _has_cjk(text: str) -> bool:
    return any(ord(ch) > 0x2E7F for ch in text)


def test_unmet_sheet_says_reasons_and_details_in_the_chosen_language(
    held_back: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, plan = held_back
    reasons = {u.reason for u in plan.unmet}
    assert {"rules", "too_few_candidates", "no_candidate", "capacity"} <= reasons
    zh = io.plan_frames(problem, plan, language="zh")["未满足需求"]
    assert set(zh["未满足原因"]) == {catalog.text(f"reason.{r}", "zh") for r in reasons}
    assert all(_has_cjk(text) for text in zh["说明"])
    assert list(zh["说明"]) == [u.describe("zh") for u in plan.unmet]
    en = io.plan_frames(problem, plan, language="en")["unmet"]
    assert set(en["reason"]) == {catalog.text(f"reason.{r}", "en") for r in reasons}
    assert not set(en["reason"]) & reasons - {"capacity"}  # labels, never the raw ids
    assert list(en["detail"]) == [u.detail for u in plan.unmet]  # the record's own sentence


def test_html_views_name_every_reason(
    held_back: tuple[matcher.Problem, matcher.Solution], infeasible_plan: matcher.Solution
) -> None:
    for plan in (held_back[1], infeasible_plan):
        for language in ("zh", "en"):
            html = solution_html(plan, language)  # type: ignore[arg-type]
            for reason in {u.reason for u in plan.unmet}:
                label = html_escape(catalog.text(f"reason.{reason}", language))  # type: ignore[arg-type]
                assert f"{label} " in html


def test_plan_frames_reads_the_old_order_with_a_warning() -> None:
    problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=10)
    plan = matcher.solve(problem)
    new = io.plan_frames(problem, plan, language="en")
    with pytest.warns(DeprecationWarning, match=r"plan_frames\(problem, solution\)"):
        old = io.plan_frames(plan, problem, language="en")
    assert new.keys() == old.keys()
    assert all(new[name].equals(old[name]) for name in new)
