"""matcher.io with untrusted tables and files: every bad input ends in matcher's own error, placed
in its file, sheet, row and column; nothing matcher writes can run in a spreadsheet.

The corpus under tests/data/bad/ (made by its make_corpus.py) holds hand-made bad files; each
case replaces one table of the valid tables in tests/data/bad/good/.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher import io, variants
from matcher.errors import OptionError, ProblemError

openpyxl = pytest.importorskip("openpyxl", reason="the excel extra is not installed")
pytest.importorskip("pyarrow", reason="the parquet extra is not installed")

DATA = Path(__file__).parents[1] / "data" / "bad"
GOOD = DATA / "good"


def read_with(role: str, path: Path) -> matcher.Problem:
    """The good tables with the ``role`` table (or the pair scores) read from ``path``."""
    tables: dict[str, Any] = {
        "regions": GOOD / "regions.csv",
        "organizations": GOOD / "organizations.csv",
        "needs": GOOD / "needs.csv",
    }
    if role == "pair_scores":
        return io.read_problem(*tables.values(), pair_scores=path)
    tables[role] = path
    return io.read_problem(*tables.values())


@pytest.fixture(scope="module")
def good() -> matcher.Problem:
    return read_with("needs", GOOD / "needs.csv")


@pytest.fixture(scope="module")
def synth() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=8)


# --- the corpus: bad files -------------------------------------------------------------------------

#: file, table it stands for, where the issue is (after the file), what the message says.
BAD_FILES = [
    ("needs_empty.csv", "needs", "", "no header row"),
    ("needs_blank_lines.csv", "needs", "", "no header row"),
    ("needs_duplicate_header.csv", "needs", "受益人数", "列名重复"),
    ("needs_same_field.csv", "needs", "beneficiaries", "与列 '受益人数' 同为字段 beneficiaries"),
    ("needs_unknown_column.csv", "needs", "颜色", "未知的列"),
    ("needs_headerless_column.csv", "needs", "F 列", "没有列名"),
    ("needs_ragged.csv", "needs", "", "Expected 5 fields in line 3, saw 6"),
    ("needs_not_text.csv", "needs", "", "is not UTF-8 or GB18030 text"),
    ("needs_nul.csv", "needs", "第 5 行 · 所在地区", "unknown region"),
    ("needs_bool_text.csv", "needs", "第 3 行 · 受益人数", "valid integer"),
    ("needs_unknown_region.csv", "needs", "第 4 行 · 所在地区", "unknown region '999999'"),
    ("needs_huge_number.csv", "needs", "第 2 行 · 受益人数", "valid integer"),
    ("needs_negative.csv", "needs", "第 3 行 · 受益人数", "greater than or equal to 0"),
    ("needs_bad_category.csv", "needs", "第 4 行 · 帮扶类别", "not one of"),
    ("needs_duplicate_id.csv", "needs", "第 4 行 · 需求编号", "duplicate id 'n1'"),
    ("needs_continues_unknown.csv", "needs", "第 2 行 · 接续组织", "未知的组织 'o9'"),
    ("needs_blank_line_then_bad.csv", "needs", "第 6 行 · 所在地区", "unknown region"),
    ("needs_multiline_then_bad.csv", "needs", "第 4 行 · 所在地区", "unknown region"),
    ("needs.json", "needs", "", "cannot read .json"),
    (
        "organizations_same_capability.csv",
        "organizations",
        "capability_industry",
        "同为字段 capabilities.industry",
    ),
    ("pair_scores_unknown_org.csv", "pair_scores", "第 3 行 · 组织编号", "unknown organization"),
    ("needs_corrupt.xlsx", "needs", "", "BadZipFile"),
    ("needs_truncated.xlsx", "needs", "", "is not an Excel workbook"),
    ("needs_zip_without_workbook.xlsx", "needs", "", "is not an Excel workbook"),
    ("needs_empty_sheet.xlsx", "needs", "需求", "没有表头行"),
    (
        "needs_formula_no_value.xlsx",
        "needs",
        "需求 · 第 3 行 · 受益人数",
        "公式 '=100+20' 没有保存",
    ),
    ("needs_bool_cell.xlsx", "needs", "需求 · 第 2 行 · 受益人数", "是/否值"),
    ("needs_error_cell.xlsx", "needs", "需求 · 第 4 行 · 受益人数", "Excel 错误值 #DIV/0!"),
    ("needs_duplicate_header.xlsx", "needs", "需求 · 需求名称", "列名重复"),
    ("needs_date_cell.xlsx", "needs", "需求 · 第 3 行 · 受益人数", "valid integer"),
    ("needs_header_in_row3.xlsx", "needs", "需求 · 第 6 行 · 所在地区", "unknown region"),
    ("needs.xls", "needs", "", "save it as .xlsx"),
    ("needs_bool.parquet", "needs", "第 1 行 · 受益人数", "是/否值"),
    ("needs_bytes.parquet", "needs", "第 2 行 · 需求名称", "字节串"),
    ("needs_corrupt.parquet", "needs", "", "is not a Parquet file"),
    ("needs_no_columns.parquet", "needs", "", "no header row"),
    ("needs_duplicate_names.parquet", "needs", "受益人数", "列名重复"),
    ("needs_list_cell.parquet", "needs", "第 2 行 · 所在地区", "一个单元格只能填一个值"),
]


@pytest.mark.parametrize(("name", "role", "where", "message"), BAD_FILES)
def test_bad_files_give_placed_issues(name: str, role: str, where: str, message: str) -> None:
    path = DATA / name
    with pytest.raises(ProblemError) as error:
        read_with(role, path)
    issues = error.value.issues
    assert all(issue.path.startswith(str(path)) for issue in issues), issues
    expected = " · ".join(part for part in (str(path), where) if part)
    assert any(i.path == expected and message in i.message for i in issues), issues


#: workbooks read whole: where (after the file) and what.
BAD_WORKBOOKS = [
    ("problem_two_needs_sheets.xlsx", "needs", "a second 需求 table"),
    ("problem_missing_needs.xlsx", "needs", "table is missing"),
    (
        "problem_policy_clash.xlsx",
        "政策 · 第 3 行 · 取值",
        "参数 'weights.priority' 与 'weights' 冲突",
    ),
    ("problem_english.xlsx", "needs · row 4 · beneficiaries", "greater than or equal to 0"),
]


@pytest.mark.parametrize(("name", "where", "message"), BAD_WORKBOOKS)
def test_bad_workbooks_give_placed_issues(name: str, where: str, message: str) -> None:
    path = DATA / name
    with pytest.raises(ProblemError) as error:
        io.read_problem(path)
    assert any(
        i.path == f"{path} · {where}" and message in i.message for i in error.value.issues
    ), error.value.issues


def test_good_odd_files_read_right(good: matcher.Problem) -> None:
    assert read_with("needs", DATA / "needs_gb18030.csv") == good
    assert read_with("needs", DATA / "needs_numeric_ids.xlsx") == good  # 140121 typed as a number
    assert read_with("needs", DATA / "needs_header_only.csv").needs == ()
    # A sheet that claims a million rows and every column is read as the rows it holds.
    assert read_with("needs", DATA / "needs_huge_dimension.xlsx") == good
    # A formula with the value Excel saved is read as that value.
    cached = read_with("needs", DATA / "needs_formula_cached.xlsx")
    assert cached == variants.update_needs(good, {"n2": {"beneficiaries": 120}})
    # CSV cells guarded with a quote read as what they guard; other cells stay as they are.
    quoted = read_with("needs", DATA / "needs_formula_text.csv")
    assert [n.title for n in quoted.needs] == ["=1+1", "电商培训", "冷库建设", "@SUM(A1)"]


@pytest.mark.parametrize(
    "name",
    [
        "plan_empty.json",
        "plan_truncated.json",
        "plan_not_utf8.json",
        "plan_deep.json",
        "plan_wrong_types.json",
    ],
)
def test_bad_plan_files(name: str) -> None:
    path = DATA / name
    with pytest.raises(io.PlanError) as error:
        io.read_plan(path)
    assert error.value.issues
    assert all(issue.path.startswith(str(path)) for issue in error.value.issues)


# --- tables given as DataFrames ------------------------------------------------------------------


def frames(good: matcher.Problem, language: str = "zh") -> dict[str, pd.DataFrame]:
    return io.problem_frames(good, language)  # type: ignore[arg-type]


def issues_of(tables: dict[str, Any], **options: Any) -> list[str]:
    with pytest.raises(ProblemError) as error:
        io.problem_from_tables(tables, **options)
    return [str(issue) for issue in error.value.issues]


def with_column(frame: pd.DataFrame, header: str, values: list[Any]) -> pd.DataFrame:
    changed = frame.copy()
    changed.insert(changed.shape[1], header, pd.Series(values, dtype=object), allow_duplicates=True)
    return changed


def with_cell(frame: pd.DataFrame, row: int, header: str, value: Any) -> pd.DataFrame:
    changed = frame.copy()
    cells = changed[header].tolist()
    cells[row] = value
    changed[header] = pd.Series(cells, dtype=object)
    return changed


def test_table_shapes(synth: matcher.Problem) -> None:
    tables = frames(synth)
    needs = tables["需求"]
    assert issues_of({**tables, "需求": pd.DataFrame(index=range(3))}) == ["needs: 表中没有列"]
    assert issues_of({**tables, "需求": pd.DataFrame()}) == ["needs: 表是空的,没有表头行"]
    doubled = pd.concat([needs, needs[["受益人数"]]], axis=1)
    assert issues_of({**tables, "需求": doubled}) == ["needs.受益人数: 列名重复"]
    english = with_column(needs, "beneficiaries", [1] * len(needs))
    assert issues_of({**tables, "需求": english}) == [
        "needs.beneficiaries: 与列 '受益人数' 同为字段 beneficiaries"
    ]
    mangled = with_column(needs, "受益人数.1", [1] * len(needs))  # what pandas makes of a repeat
    assert issues_of({**tables, "需求": mangled}) == [
        "needs.受益人数.1: 未知的列(pandas 给第二个 '受益人数' 列起的名字?)"
    ]
    # A whole continuation and its parts: two columns for one field.
    both = with_column(needs, "continues", ['{"org_id": "O1", "stars": 4}'] + [None] * 29)
    both = with_column(both, "接续组织", ["O1"] + [None] * 29)
    assert issues_of({**tables, "需求": both}) == [
        "needs.接续组织: 与列 'continues' 同为字段 continues.org_id"
    ]


def test_cells_of_the_wrong_kind(synth: matcher.Problem) -> None:
    tables = frames(synth)
    needs = with_cell(tables["需求"], 3, "受益人数", True)
    needs = with_cell(needs, 4, "需求名称", b"\xe4\xb8\xad")
    needs = with_cell(needs, 5, "所在地区", ["140121", "1401"])
    needs = with_cell(needs, 6, "受益人数", np.bool_(False))
    needs = with_cell(needs, 7, "受益人数", b"40")
    organizations = with_cell(tables["组织"], 1, "最多承接项目数", False)
    assert issues_of({**tables, "需求": needs, "组织": organizations}) == [
        "organizations[1].max_projects: 是/否值不能当作数字或文本",
        "needs[3].beneficiaries: 是/否值不能当作数字或文本",
        "needs[4].title: 字节串不是文本或数字",
        "needs[5].region: 一个单元格只能填一个值",
        "needs[6].beneficiaries: 是/否值不能当作数字或文本",
        "needs[7].beneficiaries: 字节串不是文本或数字",
    ]
    english = frames(synth, "en")
    needs = with_cell(english["needs"], 0, "beneficiaries", True)
    assert issues_of({**english, "needs": needs}) == [
        "needs[0].beneficiaries: a yes/no value is neither a number nor text"
    ]


def test_a_policy_cell_with_a_number_longer_than_python_reads_is_placed() -> None:
    problem = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=8).with_policy(
        **matcher.synth.PLAN_POLICY
    )
    tables = frames(problem, "en")
    policy = tables["policy"].copy()
    row = policy.index[policy["key"] == "rules.program.min_served"][0]
    for value in ("1" + "0" * 5000, '[{"min_served": 1' + "0" * 5000 + "}]"):
        policy.loc[row, "value"] = value
        (issue,) = issues_of({**tables, "policy": policy})
        assert issue.startswith("policy.rules.program.min_served: ")


def test_continues_must_name_an_organization(synth: matcher.Problem) -> None:
    tables = frames(synth, "en")
    needs = with_column(tables["needs"], "continues_org_id", ["O1", "O99", *[None] * 28])
    needs = with_column(needs, "continues_stars", [5, 4, *[None] * 28])
    assert issues_of({**tables, "needs": needs}) == [
        "needs[1].continues.org_id: unknown organization 'O99'"
    ]
    whole = with_column(
        tables["needs"], "continues", [None, '{"org_id": "O77", "stars": 2}', *[None] * 28]
    )
    assert issues_of({**tables, "needs": whole}) == [
        "needs[1].continues.org_id: unknown organization 'O77'"
    ]
    ok = with_column(tables["needs"], "continues_org_id", ["O1", *[None] * 29])
    ok = with_column(ok, "continues_stars", [5, *[None] * 29])
    assert io.problem_from_tables({**tables, "needs": ok}).needs[0].continues.org_id == "O1"  # type: ignore[union-attr]


def test_table_names_and_kinds(synth: matcher.Problem) -> None:
    tables = frames(synth)
    assert issues_of({**tables, "needs": tables["需求"]}) == ["needs: a second 需求 table"]
    assert issues_of({**tables, "需求": "needs.csv"}) == ["需求: 不是表(pandas.DataFrame)"]
    assert issues_of(tables, policy="weights.priority=3") == ["policy: expected a mapping, not str"]
    policy = pd.DataFrame({"参数": ["weights.priority", "weights"], "取值": [3, '{"priority": 1}']})
    assert issues_of({**tables, "政策": policy}) == [
        "policy.weights: 参数 'weights' 与 'weights.priority' 冲突"
    ]
    deep = pd.DataFrame({"参数": ["weights"], "取值": ["[" * 5000 + "]" * 5000]})
    assert any(m.startswith("policy.weights") for m in issues_of({**tables, "政策": deep}))


def test_long_cells_are_not_echoed_whole(synth: matcher.Problem) -> None:
    tables = frames(synth)
    huge = "x" * 1_000_000
    needs = with_column(tables["需求"], "接续组织", [huge, *[None] * 29])
    needs = with_column(needs, "接续评价", [5, *[None] * 29])
    (message,) = issues_of({**tables, "需求": needs})
    assert message.startswith("needs[0].continues.org_id: 未知的组织 'xxx") and len(message) < 200


# --- folders, sheets, destinations --------------------------------------------------------------


def test_folders_and_sheets(synth: matcher.Problem, tmp_path: Path) -> None:
    io.write_problem(synth, tmp_path, language="zh")
    (tmp_path / "needs.csv").write_bytes((tmp_path / "需求.csv").read_bytes())
    (tmp_path / "组织.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ProblemError) as error:
        io.read_problem(tmp_path)
    assert [str(i) for i in error.value.issues] == [
        f"{tmp_path / '组织.csv'}: 不是 UTF-8 或 GB18030 编码的文本",
        f"{tmp_path / '需求'}: a second needs table",
    ]
    with pytest.raises(ProblemError, match="No such file or directory"):
        io.read_problem(tmp_path / "nowhere")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ProblemError, match=r"folder\.csv: cannot read: it is a folder"):
        io.read_table(tmp_path / "folder.csv")
    with pytest.raises(ProblemError, match="No such file or directory"):
        io.read_problem(tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.xlsx")
    workbook = tmp_path / "problem.xlsx"
    io.write_problem(synth, workbook)
    with pytest.raises(ProblemError) as error:
        io.read_table(workbook, sheet="需求")
    assert str(error.value.issues[0]) == (
        f"{workbook}: no sheet '需求'; the sheets are 'regions', 'organizations', 'needs'"
    )
    with pytest.raises(ProblemError, match="no sheet 7"):
        io.read_table(workbook, sheet=7)
    assert len(io.read_table(workbook, sheet="needs")) == 30
    assert len(io.read_table(workbook, sheet=-1)) == 30


def test_destinations_that_cannot_be_written(synth: matcher.Problem, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    for destination in (blocker / "problem.xlsx", blocker / "folder", tmp_path / "no" / "p.xlsx"):
        with pytest.raises(ProblemError) as error:
            io.write_problem(synth, destination)
        assert error.value.issues[0].path == str(destination)
        assert error.value.issues[0].message.startswith("cannot write")
    with pytest.raises(ProblemError, match="cannot write"):
        io.write_plan(matcher.solve(synth), tmp_path / "missing" / "plan.xlsx")
    with pytest.raises(OptionError, match="language"):
        io.write_problem(synth, tmp_path / "x", language="fr")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="format"):
        io.write_problem(synth, tmp_path / "x", format="json")  # type: ignore[arg-type]
    lone = pd.DataFrame({"x": pd.Series(["a\ud800"], dtype=object)})  # not Unicode text
    for name in ("lone.csv", "lone.xlsx"):
        with pytest.raises(ProblemError, match="cannot write: UnicodeEncodeError"):
            io.write_tables({"t": lone}, tmp_path / name)
    with pytest.raises(OptionError, match="one table"):
        io.write_tables({"a": pd.DataFrame(), "b": pd.DataFrame()}, tmp_path / "x.csv")


def test_arguments_of_the_wrong_kind(synth: matcher.Problem, tmp_path: Path) -> None:
    plan = matcher.solve(synth)
    calls = [
        lambda: io.read_problem(123),  # type: ignore[arg-type]
        lambda: io.read_table(None),  # type: ignore[arg-type]
        lambda: io.read_plan(None),  # type: ignore[arg-type]
        lambda: io.problem_from_tables([("needs", pd.DataFrame())]),  # type: ignore[arg-type]
        lambda: io.problem_frames(plan),  # type: ignore[arg-type]
        lambda: io.plan_frames(None, synth),  # type: ignore[arg-type]
        lambda: io.plan_frames(plan, plan),  # type: ignore[arg-type]
        lambda: io.write_plan(plan, 7),  # type: ignore[arg-type]
        lambda: io.write_problem(synth, tmp_path / "p.xlsx", language="中文"),  # type: ignore[arg-type]
        lambda: io.write_tables({"a": [1, 2]}, tmp_path / "t.xlsx"),  # type: ignore[dict-item]
        lambda: io.need_records({"id": ["n1"]}),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(OptionError):
            call()
    with pytest.raises(ProblemError) as error:
        io.problem_from_frames(1, "x", None)  # type: ignore[arg-type]
    assert [str(i) for i in error.value.issues] == [
        "regions: is not a table (a pandas.DataFrame)",
        "organizations: is not a table (a pandas.DataFrame)",
        "needs: is not a table (a pandas.DataFrame)",
    ]


# --- nothing written can run ----------------------------------------------------------------------


def formula_cells(path: Path) -> list[str]:
    """Every formula cell of a workbook, found by openpyxl and in the sheets' XML."""
    book = openpyxl.load_workbook(path)
    found = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name):
                found.append(name)
    return found


TRIGGERS = ["=", "+", "-", "@"]


def hostile(problem: matcher.Problem) -> matcher.Problem:
    """``problem`` with ids, names and titles that a spreadsheet would run."""
    payloads = [
        "=1+1",
        "+SUM(A1:A9)",
        "-2+3",
        "@SUM(A1)",
        '=HYPERLINK("http://x")',
        "=cmd|'/c calc'!A0",
    ]
    orgs = {o.id: f"{payloads[i % len(payloads)]}#{i}" for i, o in enumerate(problem.organizations)}
    document = problem.model_dump(mode="json", exclude_unset=True)
    for i, org in enumerate(document["organizations"]):
        org["id"] = orgs[org["id"]]
        org["name"] = payloads[(i + 1) % len(payloads)]
    for i, need in enumerate(document["needs"]):
        need["id"] = f"{payloads[i % len(payloads)]}@{i}"
        need["title"] = payloads[(i + 2) % len(payloads)]
    for i, region in enumerate(document["regions"]):
        region["name"] = payloads[i % len(payloads)]
    return matcher.Problem.model_validate(document)


@pytest.fixture(scope="module")
def hostile_problem(synth: matcher.Problem) -> matcher.Problem:
    return hostile(synth)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_written_workbooks_hold_no_formula(
    hostile_problem: matcher.Problem, tmp_path: Path, language: str
) -> None:
    plan = matcher.solve(hostile_problem)
    assert plan.assignments
    io.write_plan(plan, tmp_path / "plan.xlsx", problem=hostile_problem, language=language)  # type: ignore[arg-type]
    io.write_problem(hostile_problem, tmp_path / "problem.xlsx", language=language)  # type: ignore[arg-type]
    for name in ("plan.xlsx", "problem.xlsx"):
        assert formula_cells(tmp_path / name) == []
    # Text that looks like a formula is a string cell with Excel's quote prefix.
    sheet = openpyxl.load_workbook(tmp_path / "problem.xlsx").worksheets[2]
    titles = [cell for cell in next(sheet.iter_cols(min_col=1, max_col=1, min_row=2))]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in titles)
    assert io.read_problem(tmp_path / "problem.xlsx") == hostile_problem


def test_written_csv_guards_text_and_keeps_numbers(
    hostile_problem: matcher.Problem, tmp_path: Path
) -> None:
    io.write_problem(hostile_problem, tmp_path, language="en")
    lines = (tmp_path / "needs.csv").read_text(encoding="utf-8-sig").splitlines()
    for line in lines[1:]:
        for cell in line.split('","'):
            text = cell.strip('"')
            assert not text.startswith(tuple(TRIGGERS)), line
    assert io.read_problem(tmp_path) == hostile_problem
    frame = pd.DataFrame({"text": ["-5", "=A1", "'=A1", "plain"], "number": [-5, -2.5, 0, 1e300]})
    io.write_tables({"t": frame}, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines() == [
        '"text","number"',
        '"\'-5",-5.0',
        '"\'=A1",-2.5',
        "\"''=A1\",0.0",
        '"plain",1e+300',
    ]
    back = io.read_table(tmp_path / "t.csv")
    assert back["text"].tolist() == ["-5", "=A1", "'=A1", "plain"]
    io.write_tables({"t": frame}, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    assert [c.data_type for c in sheet["B"][1:]] == ["n"] * 4  # numbers stay numbers
    assert [c.data_type for c in sheet["A"][1:]] == ["s"] * 4
    assert io.read_table(tmp_path / "t.xlsx").equals(frame)


# --- properties: what is written reads back the same ----------------------------------------------

#: Text as people and portals type it: formula starts, quotes, CJK, escapes, control characters.
_PIECES = st.sampled_from(
    ["=", "+", "-", "@", "\t", "\r", "\n", "'", '"', ",", ";", "_x000D_", "_x", "需求", "山西",
     "a", "Z", "1", "0.5", " ", "\x01", "\x0b", "\u3000", "💡", "NA", "nan", "#N/A"]
)  # fmt: skip
TEXT = st.lists(
    st.one_of(
        _PIECES, st.text(max_size=3).filter(lambda s: not any("\ud800" <= c <= "\udfff" for c in s))
    ),
    min_size=1,
    max_size=6,
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=6),
    fmt=st.sampled_from(["xlsx", "csv"]),
)
def test_tables_read_back_as_written(
    tmp_path_factory: Any, cells: list[tuple[str, str]], fmt: str
) -> None:
    frame = pd.DataFrame(
        {
            "key": [f"k{i}" for i in range(len(cells))],
            "a": [a for a, _ in cells],
            "b": [b for _, b in cells],
        }
    )
    path = tmp_path_factory.mktemp("t") / f"table.{fmt}"
    io.write_tables({"表": frame}, path)
    back = io.read_table(path)
    blank = [[not v.strip() for v in column] for column in (frame["a"], frame["b"])]
    for column, empty in zip(("a", "b"), blank, strict=True):
        read = back[column].tolist()
        written = frame[column].tolist()
        for value, was, missing in zip(read, written, empty, strict=True):
            if missing and not was:
                assert pd.isna(value)
            else:
                assert value == was
    if fmt == "xlsx":
        assert formula_cells(path) == []


def strings() -> st.SearchStrategy[str]:
    """Text a model keeps as given: stripped, and not empty."""
    return TEXT.map(str.strip).filter(bool)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_problems_and_plans_keep_every_string(data: Any, tmp_path_factory: Any) -> None:
    base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=8)
    document = base.model_dump(mode="json", exclude_unset=True)
    org_ids = data.draw(st.lists(strings(), min_size=8, max_size=8, unique=True))
    need_ids = data.draw(st.lists(strings(), min_size=30, max_size=30, unique=True))
    for org, new_id in zip(document["organizations"], org_ids, strict=True):
        org["id"] = new_id
        org["name"] = data.draw(strings())
    for need, new_id in zip(document["needs"], need_ids, strict=True):
        need["id"] = new_id
        need["title"] = data.draw(strings())
    for region in document["regions"][:10]:
        region["name"] = data.draw(strings())
    document["needs"][0]["continues"] = {"org_id": org_ids[0], "stars": 5}
    problem = matcher.Problem.model_validate(document)
    folder = tmp_path_factory.mktemp("p")
    language = data.draw(st.sampled_from(["zh", "en"]))
    io.write_problem(problem, folder / "problem.xlsx", language=language)
    io.write_problem(problem, folder / "csv", language=language)
    assert io.read_problem(folder / "problem.xlsx") == problem
    assert io.read_problem(folder / "csv") == problem
    plan = matcher.solve(problem)
    io.write_plan(plan, folder / "plan.xlsx", problem=problem, language=language)
    assert formula_cells(folder / "plan.xlsx") == []
    sheets = io.plan_frames(problem, plan, language)
    io.write_tables(sheets, folder / "plan_csv")
    for sheet, expected in sheets.items():
        for read in (
            io.read_table(folder / "plan.xlsx", sheet=sheet),
            io.read_table(folder / "plan_csv" / f"{sheet}.csv"),
        ):
            assert list(read.columns) == list(expected.columns)
            for column in expected.columns:
                pairs = zip(expected[column].tolist(), read[column].tolist(), strict=True)
                assert all(value == was for was, value in pairs if isinstance(was, str) and was)
