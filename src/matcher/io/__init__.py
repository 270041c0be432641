"""Tables in and out: problems from DataFrames, CSV, Excel or Parquet; plans to Excel.

Analysts keep regions, organizations and needs in spreadsheets. :func:`read_problem` builds a
:class:`~matcher.Problem` from one workbook (a sheet per table), a folder of files, or three
tables; :func:`problem_from_frames` does the same from DataFrames. :func:`write_problem` writes a
problem back in the same layout, and :func:`write_plan` writes a plan to an Excel workbook with
sheets for the assignments, the unmet needs and the KPIs, labelled in Chinese or English.

The tables
----------
One row per entity; each column is a field of :class:`~matcher.Region`,
:class:`~matcher.Organization` or :class:`~matcher.Need`, under its English name or a Chinese
header (case, spaces and underscores do not matter). Values take English ids or Chinese labels
(``产业帮扶``, ``县``, ``重点帮扶地区``, ``活动异常名录`` ...). Empty cells mean "not given".

============= =========================================================================
table         columns (a few Chinese headers that are accepted)
============= =========================================================================
regions       ``id`` 编码, ``name`` 名称, ``level`` 级别, ``parent`` 上级编码,
              ``priority`` 帮扶优先级, ``lat`` 纬度, ``lon`` 经度
organizations ``id`` 组织编号, ``name`` 组织名称, ``org_type`` 组织类型, ``scope`` 登记级别,
              ``home_region`` 登记地区, ``service_regions`` 服务地区, ``max_projects``
              最多承接项目数, ``credit`` 信用状况, ``ratings`` 历史评价, and one column per
              category for each per-category field: ``capability_industry`` (or
              ``能力_产业帮扶``, ``产业帮扶能力``), ``acceptance_talent`` (``接单概率_人才培养``)
needs         ``id`` 需求编号, ``region`` 所在地区, ``category`` 帮扶类别, ``title`` 需求名称,
              ``beneficiaries`` 受益人数, ``vulnerable_groups`` 帮扶对象, ``cost`` 估算费用,
              ``continues_org_id`` 接续组织 and ``continues_stars`` 接续评价
pair_scores   ``need_id`` 需求编号, ``org_id`` 组织编号, ``score`` 得分 (also ``pinned``
              已接单, ``declined`` 已拒单 and ``pending`` 待接单 with the first two)
policy        ``key`` 参数 and ``value`` 取值: dotted paths such as ``weights.priority``
============= =========================================================================

Every other field of the models is read the same way under its English name. Lists
(``service_regions``, ``ratings``, ``vulnerable_groups`` ...) are written as text separated by
``;`` (``；``, ``,``, ``，`` and ``、`` work too). A workbook's sheets, or a folder's files, are
named after the tables in English or Chinese (``regions`` or ``地区``, ``organizations`` or
``组织``, ``needs`` or ``需求``, ``policy`` or ``政策``). CSV files may be UTF-8 (with or without
a BOM) or GB18030, as Excel writes them on Chinese Windows.

Excel needs ``openpyxl`` and Parquet needs ``pyarrow`` (the ``excel`` and ``parquet`` extras).

Untrusted tables
----------------
Tables come from whoever typed them, and what matcher writes is opened in Excel. Every function
here raises only matcher's errors: a :class:`~matcher.ProblemError` lists every issue, each
placed where it is, ``needs.xlsx · 需求 · 第 5 行 · 受益人数`` in a file (``row 5`` when the table
is named and headed in English; rows are numbered as a spreadsheet shows them) or
``needs[3].beneficiaries`` in a DataFrame; no exception of pandas, openpyxl, pyarrow, zipfile or
the file system reaches the caller. Files are read by matcher's own readers, which keep headers
as written (a header twice is an issue, not ``x.1``), leave out rows with no value, and report a
formula without a saved value or an Excel error where it is. :func:`problem_from_tables` lists
the checks made before validation. Writers leave nothing a spreadsheet would run: text is
written as text (:func:`write_tables`), and reads back as written.

Examples
--------
>>> import pandas as pd
>>> problem = problem_from_frames(
...     regions=pd.DataFrame({"编码": ["14", "1401"], "名称": ["山西省", "太原市"],
...                           "级别": ["省", "市"], "上级编码": [None, "14"]}),
...     organizations=pd.DataFrame({"组织编号": ["o1"], "组织类型": ["培训类"],
...                                 "登记级别": ["全省性"], "登记地区": ["14"],
...                                 "能力_人才培养": [0.8], "最多承接项目数": [2]}),
...     needs=pd.DataFrame({"需求编号": ["n1"], "所在地区": [1401], "帮扶类别": ["人才培养"],
...                         "受益人数": ["120"]}))
>>> problem.needs[0].region, problem.organizations[0].max_projects
('1401', 2)
>>> frames = plan_frames(__import__("matcher").solve(problem), problem)
>>> list(frames)
['派单方案', '未满足需求', '指标', '按帮扶类别', '按优先级', '按市', '组织承接']
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import enum
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO, StringIO
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pydantic

from .._lazy import lazy_module
from ..errors import Issue, MatcherError, OptionError, ProblemError
from ..models import (
    COMPONENTS,
    Category,
    Level,
    Need,
    Organization,
    Priority,
    Problem,
    Region,
    catalog,
)
from ..models.columnar import problem_from_tables as problem_from_columns
from ..models.vocab import Language
from ..plan.solution import Solution

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "PlanError",
    "need_records",
    "organization_records",
    "parse_plan",
    "plan_frames",
    "problem_frames",
    "problem_from_frames",
    "problem_from_tables",
    "read_plan",
    "read_problem",
    "read_table",
    "region_records",
    "write_plan",
    "write_problem",
    "write_tables",
]

Source: TypeAlias = "str | Path | pd.DataFrame"

#: Separators of list cells.
_LIST_SEPARATORS = re.compile(r"[;；,，、]")

#: Table names: canonical section -> accepted sheet or file names (besides the canonical one).
_TABLE_NAMES: dict[str, tuple[str, ...]] = {
    "regions": ("地区", "地区表", "行政区划", "区划"),
    "organizations": ("组织", "社会组织", "组织表"),
    "needs": ("需求", "需求清单", "需求表", "点单"),
    "pair_scores": ("配对得分", "得分"),
    "pinned": ("已接单",),
    "declined": ("已拒单",),
    "pending": ("待接单",),
    "policy": ("政策", "参数"),
}

#: Chinese headers per section: alias -> field (or ``field.sub`` for a nested model's field).
_HEADERS: dict[str, dict[str, str]] = {
    "regions": {
        "编码": "id", "地区编码": "id", "区划代码": "id", "行政区划代码": "id", "代码": "id",
        "编号": "id", "名称": "name", "地区名称": "name", "级别": "level", "层级": "level",
        "行政级别": "level", "上级": "parent", "上级编码": "parent", "上级地区": "parent",
        "上级区划": "parent", "优先级": "priority", "帮扶优先级": "priority",
        "地区类型": "priority", "纬度": "lat", "经度": "lon",
    },
    "organizations": {
        "编号": "id", "组织编号": "id", "组织编码": "id", "统一社会信用代码": "id", "代码": "id",
        "名称": "name", "组织名称": "name", "组织类型": "org_type", "类型": "org_type",
        "登记级别": "scope", "登记层级": "scope", "登记地": "home_region",
        "登记地区": "home_region", "所在地区": "home_region", "服务地区": "service_regions",
        "服务区域": "service_regions", "最多承接项目数": "max_projects",
        "承接上限": "max_projects", "承接能力": "max_projects", "信用": "credit",
        "信用状况": "credit", "历史评价": "ratings", "评价": "ratings", "评分": "ratings",
        "预算": "budget", "可用资金": "budget", "年检": "inspection_passed",
        "年检合格": "inspection_passed", "评估等级": "grade", "等级": "grade",
        "不愿承接地区": "declines_regions", "不愿承接类别": "declines_categories",
        "意向地区": "prefers_regions", "意向类别": "prefers_categories",
    },
    "needs": {
        "编号": "id", "需求编号": "id", "地区": "region", "所在地区": "region",
        "地区编码": "region", "需求地区": "region", "类别": "category", "帮扶类别": "category",
        "帮扶内容": "category", "名称": "title", "需求名称": "title", "标题": "title",
        "项目名称": "title", "受益人数": "beneficiaries", "受益人口": "beneficiaries",
        "帮扶对象": "vulnerable_groups", "困难群体": "vulnerable_groups", "费用": "cost",
        "估算费用": "cost", "预算": "cost", "接续组织": "continues.org_id",
        "接续评价": "continues.stars", "接续星级": "continues.stars",
        "合作组织数": "partners", "牵手组织数": "partners", "帮扶方式": "aid",
        "评审得分": "merit",
    },
    "pairs": {
        "需求编号": "need_id", "需求": "need_id", "组织编号": "org_id", "组织": "org_id",
        "得分": "score", "分数": "score",
    },
}  # fmt: skip

#: Prefixes of per-category columns: alias -> dict field.
_PER_CATEGORY: dict[str, str] = {
    "capability": "capabilities",
    "capabilities": "capabilities",
    "能力": "capabilities",
    "帮扶能力": "capabilities",
    "acceptance": "acceptance",
    "接单概率": "acceptance",
}

#: Chinese spellings of Literal values.
_LITERALS: dict[str, str] = {
    "输血": "direct_aid",
    "直接帮扶": "direct_aid",
    "造血": "capacity_building",
    "能力建设": "capacity_building",
}

_TRUE = {"true", "yes", "y", "t", "1", "是", "对", "合格", "通过", "√"}
_FALSE = {"false", "no", "n", "f", "0", "否", "不", "不合格", "未通过", "×"}


class PlanError(MatcherError):
    """A plan file is missing or not a plan; :attr:`issues` lists what is wrong."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: list[Issue] = list(issues)
        head = f"{len(self.issues)} problem{'s' if len(self.issues) != 1 else ''} in the plan"
        super().__init__("\n  ".join([head, *(str(issue) for issue in self.issues)]))


# --- reading tables ---------------------------------------------------------------------------------


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read one table from a CSV, TSV, Excel or Parquet file.

    CSV and TSV cells are read as text (ids keep their leading zeros) from UTF-8, UTF-8 with a
    BOM, or GB18030. Excel and Parquet keep their cell types.

    Parameters
    ----------
    path
        ``.csv``, ``.tsv``/``.txt``, ``.xlsx``/``.xlsm``/``.xls`` or ``.parquet``/``.pq``.
    sheet
        The sheet of a workbook (name or position); the first by default.

    Raises
    ------
    OptionError
        When the suffix is none of the above.
    ProblemError
        When the file cannot be read, is empty, or has a repeated header, a column of values
        without a header, a formula with no saved value or an Excel error; each issue names the
        file, the sheet, the row and the column (``plan.xlsx · 派单方案 · 第 3 行 · 得分``).
    ImportError
        When Excel or Parquet support is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "地区.csv"
    >>> _ = path.write_text("编码,名称,级别" + chr(10) + "014,山西省,省", encoding="gb18030")
    >>> read_table(path).to_dict("records")
    [{'编码': '014', '名称': '山西省', '级别': '省'}]
    """
    path = _path(path, "path")
    suffix = path.suffix.lower()
    if suffix not in _TABLE_SUFFIXES and suffix != ".txt":
        raise OptionError(
            f"{path}: cannot read {suffix or 'a file without a suffix'}; use .csv, .tsv, .xlsx "
            "or .parquet"
        )
    (table,) = _read_file(path, sheet)
    issues = _file_issues(table)
    if issues:
        raise ProblemError(issues)
    return table.frame.infer_objects()


def read_problem(
    source: Source,
    organizations: Source | None = None,
    needs: Source | None = None,
    *,
    pair_scores: Source | None = None,
    policy: Mapping[str, Any] | None = None,
) -> Problem:
    """Build a problem from a workbook, a folder of tables, or three tables.

    Parameters
    ----------
    source
        With ``organizations`` and ``needs``: the regions table (a path or a DataFrame).
        Alone: an Excel workbook with a sheet per table, or a folder with a file per table
        (``regions.csv``, ``组织.xlsx``, ``needs.parquet`` ...), named as the module explains.
    organizations, needs, pair_scores
        The other tables, as paths or DataFrames.
    policy
        The policy, overriding a ``policy`` table.

    Returns
    -------
    Problem
        Validated as a whole.

    Raises
    ------
    ProblemError
        When a file cannot be read, a table is missing, or the tables do not make a valid
        problem: every issue, each with its place, ``needs.xlsx · 需求 · 第 5 行 · 受益人数``
        for a cell of a workbook (``row 5`` when the table is named and headed in English; rows
        are numbered as a spreadsheet shows them), ``needs[3].region`` for row 3 of a
        DataFrame (counting from 0). See :func:`problem_from_tables` for the checks.

    Examples
    --------
    >>> import tempfile, pathlib, matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=20, n_orgs=5)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_problem(problem, folder, language="zh")
    >>> sorted(p.name for p in folder.iterdir())
    ['地区.csv', '组织.csv', '需求.csv']
    >>> read_problem(folder) == problem
    True
    """
    if organizations is None and needs is None:
        if isinstance(source, pd.DataFrame):
            raise _missing_tables(["organizations", "needs"])
        loaded = _read_collection(_path(source, "source"))
    else:
        if organizations is None or needs is None:
            raise _missing_tables(["organizations" if organizations is None else "needs"])
        sources = {"regions": source, "organizations": organizations, "needs": needs}
        if pair_scores is not None:
            sources["pair_scores"] = pair_scores
        loaded = _load_sources(sources)
    missing = [name for name in ("regions", "organizations", "needs") if name not in loaded]
    if missing:
        if organizations is None and needs is None:
            raise ProblemError(
                Issue.of(f"{source} · {name}", "error.table_missing") for name in missing
            )
        raise _missing_tables(missing)
    zh = {
        section: table.origin.zh if table.origin else _is_zh(table.name, *table.frame.columns)
        for section, table in loaded.items()
    }
    try:
        return _problem({s: t.frame for s, t in loaded.items()}, policy, zh=zh)
    except ProblemError as error:
        raise ProblemError(_located(error.issues, loaded)) from None


def problem_from_frames(
    regions: pd.DataFrame,
    organizations: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    policy: Mapping[str, Any] | None = None,
    pair_scores: pd.DataFrame | None = None,
    pinned: pd.DataFrame | None = None,
    declined: pd.DataFrame | None = None,
    pending: pd.DataFrame | None = None,
) -> Problem:
    """Build a problem from DataFrames with English or Chinese headers (see the module notes).

    Unlike :meth:`Problem.from_frames`, headers and cells are normalized first: Chinese headers,
    ids stored as numbers, integers stored as ``"300.0"``, ``是``/``否`` for yes/no, lists as text.

    Examples
    --------
    >>> problem = problem_from_frames(
    ...     regions=pd.DataFrame({"id": ["14", "140121"], "level": ["province", "county"],
    ...                           "parent": [None, "14"], "priority": [None, "重点"]}),
    ...     organizations=pd.DataFrame({"id": ["o1"], "org_type": ["public_welfare"],
    ...                                 "scope": ["province"], "home_region": ["14"],
    ...                                 "capability_vulnerable": [0.9], "max_projects": [2]}),
    ...     needs=pd.DataFrame({"id": ["n1"], "region": ["140121"], "category": ["扶弱济困"],
    ...                         "vulnerable_groups": ["留守老人；孤儿"]}))
    >>> [g.value for g in problem.needs[0].vulnerable_groups]
    ['left_behind_elderly', 'orphans']
    """
    tables: dict[str, pd.DataFrame] = {
        "regions": regions,
        "organizations": organizations,
        "needs": needs,
    }
    for name, frame in (
        ("pair_scores", pair_scores),
        ("pinned", pinned),
        ("declined", declined),
        ("pending", pending),
    ):
        if frame is not None:
            tables[name] = frame
    return problem_from_tables(tables, policy=policy)


def problem_from_tables(
    tables: Mapping[str, pd.DataFrame], *, policy: Mapping[str, Any] | None = None
) -> Problem:
    """Build a problem from DataFrames keyed by table name (English or Chinese, see the module).

    Headers and cells are normalized column by column, then the tables go to the columnar path
    of :meth:`Problem.from_frames <matcher.Problem.from_frames>` (the same checks and issues as
    validating one dict per row, without a Python object per row).

    Before that, the tables are checked as strictly as a document: a table with no columns, a
    column under a header that names no field, the same header twice, two columns for one field
    (``beneficiaries`` and ``受益人数``), a cell of the wrong kind (bytes; a yes/no value where a
    number or text is expected; a list where one value is; a formula with no saved value or an
    Excel error, from a workbook) and ``continues`` naming an organization the problem does not
    have are issues, reported with the others.

    Raises
    ------
    ProblemError
        When a required table is missing or the problem is invalid, with every issue; its path
        is ``needs[3].region`` for a cell (row 3, counting from 0), ``needs.受益人数`` for a
        column and ``needs`` for a whole table. Messages of the table checks are in Chinese
        when the table is named or headed in Chinese.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=10, n_orgs=4)
    >>> tables = problem_frames(problem, "zh")
    >>> tables["政策"] = pd.DataFrame({"参数": ["weights.priority"], "取值": [6]})
    >>> problem_from_tables(tables).policy.weights.priority
    6.0
    """
    _expect(tables, Mapping, "tables")
    named, given = _named_sections(tables)
    zh = {section: _is_zh(given[section], *frame.columns) for section, frame in named.items()}
    return _problem(named, policy, zh=zh)


def _problem_by_rows(
    named: Mapping[str, pd.DataFrame], policy: Mapping[str, Any] | None
) -> Problem:
    """:func:`problem_from_tables` one row at a time: a dict per row, validated as a document."""
    return _problem(named, policy, by_columns=False)


def region_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a regions table as dicts ready for :class:`~matcher.Region` validation."""
    _expect(frame, pd.DataFrame, "frame")
    return _records(frame, Region, "regions")


def organization_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of an organizations table as dicts ready for :class:`~matcher.Organization`."""
    _expect(frame, pd.DataFrame, "frame")
    return _records(frame, Organization, "organizations")


def need_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a needs table as dicts ready for :class:`~matcher.Need` validation."""
    _expect(frame, pd.DataFrame, "frame")
    return _records(frame, Need, "needs")


# --- writing problems --------------------------------------------------------------------------------


def problem_frames(problem: Problem, language: Language = "en") -> dict[str, pd.DataFrame]:
    """A problem as tables that :func:`problem_from_tables` reads back equal.

    Parameters
    ----------
    language
        ``"en"``: English table names, headers and ids; ``"zh"``: Chinese table names, headers
        and labels (``产业帮扶``, ``县`` ...).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``regions``, ``organizations``, ``needs``, then ``pair_scores``, ``pinned``,
        ``declined``, ``pending`` and ``policy`` when the problem has them.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=5, n_orgs=3)
    >>> frames = problem_frames(problem, "zh")
    >>> list(frames), list(frames["需求"].columns[:3])
    (['地区', '组织', '需求'], ['需求编号', '所在地区', '帮扶类别'])
    >>> problem_from_tables(frames) == problem
    True
    """
    _expect(problem, Problem, "problem")
    zh = _checked_language(language) == "zh"
    frames = {
        "regions": _model_frame(problem.regions, Region, "regions", zh),
        "organizations": _model_frame(problem.organizations, Organization, "organizations", zh),
        "needs": _model_frame(problem.needs, Need, "needs", zh),
    }
    for section in _pair_sections():
        pairs = getattr(problem, section)
        if pairs:
            frames[section] = _pair_frame(pairs, zh)
    policy = problem.policy.model_dump(mode="json", exclude_defaults=True)
    if policy:
        rows = [
            (key, value if _is_scalar(value) else json.dumps(value, ensure_ascii=False))
            for key, value in _flatten(policy).items()
        ]
        columns = [catalog.text(f"column.{key}", language) for key in ("key", "value")]
        frames["policy"] = pd.DataFrame(rows, columns=columns)
    if zh:
        return {_TABLE_NAMES[name][0]: frame for name, frame in frames.items()}
    return frames


def write_problem(
    problem: Problem,
    destination: str | Path,
    *,
    language: Language = "en",
    format: Literal["csv", "parquet"] = "csv",
) -> None:
    """Write a problem as tables: one Excel workbook, or a folder with a file per table.

    Parameters
    ----------
    destination
        A path ending in ``.xlsx`` (a sheet per table) or a folder (created if needed).
    language
        Table names, headers and labels in English (``"en"``) or Chinese (``"zh"``).
    format
        File format in a folder: ``csv`` (UTF-8 with a BOM, so that Excel shows Chinese) or
        ``parquet``.
    """
    if format not in ("csv", "parquet"):
        raise OptionError(f"format must be 'csv' or 'parquet', not {format!r}")
    frames = problem_frames(problem, _checked_language(language))
    destination = _path(destination, "destination")
    if destination.suffix.lower() in (".xlsx", ".xlsm"):
        _write_workbook(frames, destination)
        return
    with _file_errors(destination, "write"):
        destination.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if format == "parquet":
            _require("pyarrow", "parquet")
            path = destination / f"{name}.parquet"
            with _file_errors(path, "write"):
                frame.to_parquet(path, index=False)
        else:
            _write_csv(frame, destination / f"{name}.csv")


# --- plans -------------------------------------------------------------------------------------------


def read_plan(source: str | Path) -> Solution:
    """Read a plan written by :meth:`Solution.to_json` (or ``matcher solve``).

    Returns
    -------
    Solution
        The plan.

    Raises
    ------
    PlanError
        When the file cannot be read or is not a plan, with every issue found.
    """
    path = _path(source, "source")
    try:
        text = path.read_bytes()
    except OSError as error:
        raise PlanError([Issue("", f"cannot read {path}: {error.strerror}")]) from None
    return parse_plan(text, str(path))


def parse_plan(data: str | bytes, where: str = "") -> Solution:
    """Read a plan from JSON text; ``where`` (a file name) prefixes the path of each issue.

    Raises
    ------
    PlanError
        When the text is not a plan, with every issue found.
    """
    try:
        return Solution.model_validate_json(data)
    except pydantic.ValidationError as error:
        issues = []
        for detail in error.errors(include_url=False):
            location = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"]
            ).lstrip(".")
            message = detail["msg"][:1].lower() + detail["msg"][1:]
            prefix = f"{where}: " if where and location else where
            issues.append(Issue(f"{prefix}{location}", message))
        raise PlanError(issues) from None


def plan_frames(
    solution: Solution, problem: Problem | None = None, language: Language = "zh"
) -> dict[str, pd.DataFrame]:
    """The sheets of :func:`write_plan` as DataFrames, labelled in Chinese or English.

    Parameters
    ----------
    solution
        A :class:`~matcher.Solution`.
    problem
        The problem it solves: adds need titles, organization names, region and city names.
    language
        ``"zh"`` (the default) or ``"en"`` for sheet names, headers and labels.

    Returns
    -------
    dict of str to pandas.DataFrame
        The plan (one row per assignment), the unmet needs, the overview, the breakdowns by
        category, priority tier and city, and the load of each engaged organization.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=50, n_orgs=12)
    >>> sheets = plan_frames(matcher.solve(problem), problem, language="en")
    >>> list(sheets["plan"].columns[:6])
    ['need_id', 'title', 'region', 'city', 'category', 'tier']
    >>> sheets["by_tier"]["name"].tolist()
    ['Key assistance area', 'Former poverty area', 'Other area']
    """
    _expect(solution, Solution, "solution")
    if problem is not None:
        _expect(problem, Problem, "problem")
    zh = _checked_language(language) == "zh"
    names = _Names.of(problem)
    component_columns = list(COMPONENTS)

    def label(value: Any) -> str:
        return str(value.label(language)) if hasattr(value, "label") else str(value)

    plan_rows = [
        {
            "need_id": a.need_id,
            "title": names.need.get(a.need_id, ""),
            "region": names.region.get(a.region, a.region),
            "city": names.city_name(a.region),
            "category": label(a.category),
            "tier": label(a.tier),
            "org_id": a.org_id,
            "org_name": names.org.get(a.org_id, ""),
            "score": a.score,
            **{name: a.components.get(name, 0.0) for name in component_columns},
        }
        for a in solution.assignments
    ]
    plan_columns = [
        "need_id", "title", "region", "city", "category", "tier", "org_id", "org_name", "score",
        *component_columns,
    ]  # fmt: skip
    unmet_rows = [
        {
            "need_id": u.need_id,
            "title": names.need.get(u.need_id, ""),
            "region": names.region.get(u.region, u.region),
            "city": names.city_name(u.region),
            "category": label(u.category),
            "tier": label(u.tier),
            "reason": catalog.text(f"reason.{u.reason}", language),
            "detail": u.describe(language),
            "candidates": u.candidates,
        }
        for u in solution.unmet
    ]
    unmet_columns = [
        "need_id", "title", "region", "city", "category", "tier", "reason", "detail", "candidates",
    ]  # fmt: skip
    k = solution.kpis
    overview = [
        ("status", solution.status.value),
        ("solver", solution.solver),
        ("objective", solution.objective),
        ("bound", solution.bound),
        ("needs", k.needs),
        ("served", k.served),
        ("share", k.share),
        ("organizations", k.organizations),
        ("engaged", k.engaged),
        ("capacity", k.capacity),
        ("used", k.used),
        ("utilization", k.utilization),
    ]
    overview_frame = pd.DataFrame(
        [(catalog.text(f"metric.{key}", language), value) for key, value in overview],
        columns=[catalog.text(f"column.{key}", language) for key in ("metric", "amount")],
    )

    def breakdown(by: Literal["category", "tier", "city"]) -> pd.DataFrame:
        frame = k.frame(by).reset_index()
        if by == "city":
            frame["name"] = [
                names.region.get(c, n) or n
                for c, n in zip(frame["city"], frame["name"], strict=True)
            ]
            frame = frame[["city", "name", "needs", "served", "share"]]
        else:
            enum_type: type[Category] | type[Priority] = Category if by == "category" else Priority
            frame["name"] = [enum_type(v).label(language) for v in frame[by]]
            frame = frame[[by, "name", "needs", "served", "share"]]
        return frame

    load_rows = [
        {
            "org_id": org_id,
            "org_name": names.org.get(org_id, ""),
            "load": load,
            "capacity": names.capacity.get(org_id),
        }
        for org_id, load in sorted(k.load.items(), key=lambda item: (-item[1], item[0]))
    ]
    frames = {
        "plan": pd.DataFrame(plan_rows, columns=plan_columns),
        "unmet": pd.DataFrame(unmet_rows, columns=unmet_columns),
        "kpis": overview_frame,
        "by_category": breakdown("category"),
        "by_tier": breakdown("tier"),
        "by_city": breakdown("city"),
        "load": pd.DataFrame(load_rows, columns=["org_id", "org_name", "load", "capacity"]),
    }
    if problem is None:
        for key in ("plan", "unmet"):
            frames[key] = frames[key].drop(columns=["title", "city"])
        frames["plan"] = frames["plan"].drop(columns=["org_name"])
        frames["load"] = frames["load"].drop(columns=["org_name", "capacity"])
    if not zh:
        return frames
    return {
        _SHEET_LABELS[key]: frame.rename(columns=lambda c: _COLUMN_LABELS.get(c, c))
        for key, frame in frames.items()
    }


def write_plan(
    solution: Solution,
    destination: str | Path,
    *,
    problem: Problem | None = None,
    language: Language = "zh",
) -> None:
    """Write a plan to an Excel workbook: the plan, unmet needs, KPIs and organizations' load.

    Sheets and headers are in Chinese by default (派单方案, 未满足需求, 指标, 按帮扶类别, 按优先级,
    按市, 组织承接); ``language="en"`` writes them in English. Columns are sized to their text
    and the header row is frozen. See :func:`plan_frames` for the content.

    Raises
    ------
    ImportError
        When ``openpyxl`` is not installed (``pip install "matcher[excel]"``).
    """
    _require("openpyxl", "excel")
    frames = plan_frames(solution, problem, _checked_language(language))
    _write_workbook(frames, _path(destination, "destination"), percent=True)


def write_tables(tables: Mapping[str, pd.DataFrame], destination: str | Path) -> None:
    """Write tables to an Excel workbook (a sheet each), a CSV file (one table) or a folder of
    CSV files, with no cell that a spreadsheet would run.

    Text stays text: in a workbook every text cell is a string cell, never a formula; in CSV a
    text cell that begins with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``
    (OWASP's rule against CSV injection), which :func:`read_table` takes off again. Numbers stay
    numbers. CSV files are UTF-8 with a BOM, as Excel reads Chinese.

    Parameters
    ----------
    tables
        Sheet or file name -> table.
    destination
        A path ending in ``.xlsx``, one ending in ``.csv`` (for a single table), or a folder
        (created if needed).

    Raises
    ------
    OptionError
        When a ``.csv`` destination is given several tables.
    ProblemError
        When the destination cannot be written, naming it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "名单.csv"
    >>> write_tables({"名单": pd.DataFrame({"名称": ["=HYPERLINK(1)", "-3"], "数": [-3, 4]})}, path)
    >>> print(path.read_text(encoding="utf-8-sig"), end="")
    "名称","数"
    "'=HYPERLINK(1)",-3
    "'-3",4
    >>> read_table(path).to_dict("list")
    {'名称': ['=HYPERLINK(1)', '-3'], '数': ['-3', '4']}
    """
    destination = _path(destination, "destination")
    _expect(tables, Mapping, "tables")
    for table in tables.values():
        _expect(table, pd.DataFrame, "each table")
    suffix = destination.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        _write_workbook(tables, destination)
        return
    if suffix == ".csv":
        if len(tables) != 1:
            raise OptionError(f"{destination}: a CSV file holds one table, not {len(tables)}")
        _write_csv(next(iter(tables.values())), destination)
        return
    with _file_errors(destination, "write"):
        destination.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        _write_csv(frame, destination / f"{_file_stem(str(name))}.csv")


def _file_stem(name: str) -> str:
    """``name`` as a file name: no path separators or characters Windows refuses."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "table"


# --- labels of the plan sheets -----------------------------------------------------------------------

_SHEET_LABELS = {key: zh for key, (zh, _) in catalog.section("sheet").items()}
_COLUMN_LABELS = {key: zh for key, (zh, _) in catalog.section("column").items()}


# --- names of a problem's entities -------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """Display names looked up from a problem (empty when there is none)."""

    need: dict[str, str]
    org: dict[str, str]
    region: dict[str, str]
    city: dict[str, str]  # region id -> id of its city
    capacity: dict[str, int]

    @classmethod
    def of(cls, problem: Problem | None) -> _Names:
        if problem is None:
            return cls({}, {}, {}, {}, {})
        tree = problem.index.hierarchy
        cities = tree.at_level(np.arange(len(tree), dtype=np.int64), Level.CITY).tolist()
        return cls(
            need={n.id: n.title for n in problem.needs},
            org={o.id: o.name for o in problem.organizations},
            region={r.id: r.name or r.id for r in problem.regions},
            city={rid: tree.ids[c] for rid, c in zip(tree.ids, cities, strict=True) if c >= 0},
            capacity={o.id: o.max_projects for o in problem.organizations},
        )

    def city_name(self, region_id: str) -> str:
        city = self.city.get(region_id, "")
        return self.region.get(city, city)


# --- field kinds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """How a model field reads from and writes to a table cell."""

    kind: Literal["scalar", "list", "dict", "model"]
    scalar: type | None = None  # int, float, bool, str, an Enum, or None for anything else
    literal: tuple[Any, ...] = ()
    model: type[pydantic.BaseModel] | None = None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; ``Annotated[X, ...]`` -> ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _scalar_kind(annotation: Any) -> _Kind:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is Literal:
        return _Kind("scalar", str, literal=typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _Kind("scalar", annotation)
    if annotation in (int, float, bool, str):
        return _Kind("scalar", annotation)
    return _Kind("scalar", None)


def _kinds(model: type[pydantic.BaseModel]) -> dict[str, _Kind]:
    kinds: dict[str, _Kind] = {}
    for name, info in model.model_fields.items():
        annotation = _unwrap(info.annotation)
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (tuple, list, frozenset, set):
            kinds[name] = _Kind("list", _scalar_kind(args[0] if args else Any).scalar)
        elif origin is dict:
            key = _unwrap(args[0]) if args else None
            if key is Category:
                kinds[name] = _Kind("dict", _scalar_kind(args[1]).scalar)
            else:
                kinds[name] = _Kind("scalar", None)
        elif isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            kinds[name] = _Kind("model", model=annotation)
        else:
            kinds[name] = _scalar_kind(annotation)
    return kinds


def _pair_sections() -> list[str]:
    """Problem fields that are lists of (need_id, org_id, ...) pairs."""
    sections = []
    for name, info in Problem.model_fields.items():
        annotation = _unwrap(info.annotation)
        if typing.get_origin(annotation) is tuple:
            item = _unwrap(typing.get_args(annotation)[0])
            if (
                isinstance(item, type)
                and issubclass(item, pydantic.BaseModel)
                and {"need_id", "org_id"} <= set(item.model_fields)
            ):
                sections.append(name)
    return sections


def _pair_model(section: str) -> type[pydantic.BaseModel]:
    annotation = _unwrap(Problem.model_fields[section].annotation)
    item: type[pydantic.BaseModel] = _unwrap(typing.get_args(annotation)[0])
    return item


# --- reading rows ----------------------------------------------------------------------------------------


def _header_key(header: Any) -> str:
    text = str(header).strip().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s\-]+", "_", text).casefold()


def _column_map(
    columns: Iterable[Any], model: type[pydantic.BaseModel], section: str
) -> dict[Any, tuple[str, str | None]]:
    """Column -> (field, sub) where sub is a category id (dict fields) or a nested field name."""
    kinds = _kinds(model)
    aliases = {_header_key(alias): field for alias, field in _HEADERS.get(section, {}).items()}
    mapping: dict[Any, tuple[str, str | None]] = {}
    for column in columns:
        key = _header_key(column)
        target = key if key in kinds else aliases.get(key)
        if target is None and "." in key:
            target = key
        if target is None:
            target = _per_category(key, kinds) or _nested(key, kinds)
        if target is None:
            mapping[column] = (str(column).strip(), None)  # unknown: validation names it
            continue
        field, _, sub = target.partition(".")
        mapping[column] = (field, sub or None)
    return mapping


def _per_category(key: str, kinds: Mapping[str, _Kind]) -> str | None:
    for prefix, field in _PER_CATEGORY.items():
        if field not in kinds:
            continue
        for text in (key.removeprefix(prefix + "_"), key.removesuffix(prefix)):
            if text == key or not text:
                continue
            try:
                return f"{field}.{Category(text.strip('_')).value}"
            except ValueError:
                continue
    for name, kind in kinds.items():
        if kind.kind == "dict" and key.startswith(name + "_"):
            try:
                return f"{name}.{Category(key.removeprefix(name + '_')).value}"
            except ValueError:
                continue
    return None


def _nested(key: str, kinds: Mapping[str, _Kind]) -> str | None:
    for name, kind in kinds.items():
        if kind.kind == "model" and key.startswith(name + "_"):
            return f"{name}.{key.removeprefix(name + '_')}"
    return None


def _records(
    frame: pd.DataFrame, model: type[pydantic.BaseModel], section: str
) -> list[dict[str, Any]]:
    kinds = _kinds(model)
    mapping = _column_map(frame.columns, model, section)
    records = []
    for row in frame.itertuples(index=False, name=None):
        record: dict[str, Any] = {}
        for column, value in zip(frame.columns, row, strict=True):
            if _missing(value):
                continue
            field, sub = mapping[column]
            kind = kinds.get(field)
            if kind is None:
                record[field] = value
            elif kind.kind == "dict" and sub is not None:
                record.setdefault(field, {})[sub] = _cell(value, kind)
            elif kind.kind == "model" and sub is not None and kind.model is not None:
                sub_kind = _kinds(kind.model).get(sub, _Kind("scalar"))
                record.setdefault(field, {})[sub] = _cell(value, sub_kind)
            elif kind.kind == "model" and isinstance(value, str):
                record[field] = _json(value)
            else:
                record[field] = _cell(value, kind)
        if section == "organizations":
            record.setdefault("capabilities", {})
        records.append(record)
    return records


def _field_columns(
    frame: pd.DataFrame, model: type[pydantic.BaseModel], section: str
) -> pd.DataFrame | None:
    """A table with its headers and cells normalized as :func:`_records` normalizes them, column
    by column: one column per field (``capability_<category>`` for capabilities, a dict column
    for other per-category and nested fields), ``None`` for missing cells.

    ``None`` when the table needs the row path: a whole nested or per-category object in one
    column (an unknown column or two columns for one field never get here: the table checks
    take them out first; see :func:`_checked_tables`).
    """
    kinds = _kinds(model)
    mapping = _column_map(frame.columns, model, section)
    targets = [mapping[column] for column in frame.columns]
    if len(set(targets)) != len(targets):
        return None
    size = len(frame)
    columns: dict[str, list[Any]] = {}
    for position, (field, sub) in enumerate(targets):
        kind = kinds.get(field)
        if kind is None or (kind.kind in ("dict", "model") and sub is None):
            return None
        cells = frame.iloc[:, position].tolist()
        if kind.kind == "dict" and field == "capabilities":
            columns[f"capability_{sub}"] = _cells(cells, kind)
        elif kind.kind in ("dict", "model"):
            sub_kind = kind
            if kind.kind == "model" and kind.model is not None:
                sub_kind = _kinds(kind.model).get(str(sub), _Kind("scalar"))
            objects = columns.setdefault(field, [None] * size)
            for row, value in enumerate(_cells(cells, sub_kind)):
                if value is not None:
                    if objects[row] is None:
                        objects[row] = {}
                    objects[row][sub] = value
        else:
            columns[field] = _cells(cells, kind)
    return pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in columns.items()},
        index=pd.RangeIndex(size),
    )


def _cells(cells: list[Any], kind: _Kind) -> list[Any]:
    """:func:`_cell` of each cell, ``None`` for missing ones (repeated values converted once)."""
    converted: list[Any] = []
    append = converted.append
    seen: dict[tuple[type, Any], Any] = {}
    plain_text = kind.kind == "scalar" and kind.scalar is str and not kind.literal
    for value in cells:
        cls = value.__class__
        if cls is str:
            text = value.strip()
            if not text:
                append(None)
                continue
            if plain_text:
                append(text)  # what _cell gives a string for a text field
                continue
        elif cls is float:
            if value != value:
                append(None)
                continue
        elif value is None:
            append(None)
            continue
        elif cls is not int and cls is not bool:
            append(None if _missing(value) else _cell(value, kind))
            continue
        if kind.kind == "list":
            append(_cell(value, kind))
            continue
        key = (cls, value)
        if key not in seen:
            seen[key] = _cell(value, kind)
        append(seen[key])
    return converted


def _pair_records(frame: pd.DataFrame, section: str) -> list[dict[str, Any]]:
    return _records(frame, _pair_model(section), "pairs")


def _missing(value: Any) -> bool:
    if isinstance(value, list | tuple | dict | set):
        return False
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cell(value: Any, kind: _Kind) -> Any:
    if kind.kind == "list":
        if isinstance(value, str):
            parts = [p.strip() for p in _LIST_SEPARATORS.split(value) if p.strip()]
        elif hasattr(value, "tolist"):
            items = value.tolist()  # an array, or a numpy scalar's value
            parts = list(items) if isinstance(items, list) else [items]
        elif isinstance(value, list | tuple | set):
            parts = list(value)
        else:
            parts = [value]
        return [_scalar(p, kind.scalar, ()) for p in parts]
    return _scalar(value, kind.scalar, kind.literal)


def _scalar(value: Any, scalar: type | None, literal: tuple[Any, ...]) -> Any:
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, str):
        value = value.strip()
    if literal:
        return _LITERALS.get(value, value) if isinstance(value, str) else value
    if scalar is str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value) if isinstance(value, int | float) else value
    if scalar is int:
        number = _number(value)
        return int(number) if number is not None and number.is_integer() else value
    if scalar is float:
        number = _number(value)
        return value if number is None else number
    if scalar is bool and isinstance(value, str):
        text = value.casefold()
        return True if text in _TRUE else False if text in _FALSE else value
    if scalar is bool and isinstance(value, int | float):
        return bool(value) if value in (0, 1) else value
    if isinstance(scalar, type) and issubclass(scalar, enum.Enum) and isinstance(value, float):
        return str(int(value)) if value.is_integer() else value
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _policy_from_frame(frame: pd.DataFrame, zh: bool = False) -> tuple[dict[str, Any], list[Issue]]:
    """The policy in a table of dotted keys and values, and the issues of its rows."""
    if frame.shape[1] < 2:
        return {}, [Issue("policy", _say("policy_columns", zh))]
    policy: dict[str, Any] = {}
    issues: list[Issue] = []
    given: dict[tuple[str, ...], str] = {}
    for key, value in frame.iloc[:, :2].itertuples(index=False, name=None):
        if _missing(key) or _missing(value):
            continue
        text = _label(key)
        if isinstance(value, _Unreadable):
            issues.append(Issue(f"policy.{text}", value.issue(zh)))
            continue
        if isinstance(value, bytes | bytearray | memoryview):
            issues.append(Issue(f"policy.{text}", _say("bytes", zh)))
            continue
        if isinstance(value, str):
            value = _json(value)
        elif hasattr(value, "item") and getattr(value, "shape", None) == ():
            value = value.item()
        parts = tuple(text.split("."))
        clash = next(
            (
                other
                for path, other in given.items()
                if path[: len(parts)] == parts or parts[: len(path)] == path
            ),
            None,
        )
        if clash is not None:
            issues.append(
                Issue(
                    f"policy.{text}", _say("policy_key", zh, name=_shown(text), other=_shown(clash))
                )
            )
            continue
        given[parts] = text
        target = policy
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return policy, issues


def _section_of(name: str) -> str | None:
    key = _header_key(Path(name).stem if "." in name else name)
    for section, aliases in _TABLE_NAMES.items():
        if key == section or key in {_header_key(a) for a in aliases}:
            return section
    return None


def _read_collection(path: Path) -> dict[str, _Loaded]:
    """The tables of a workbook (its sheets named after tables) or a folder (its files)."""
    zh = _is_zh(path.name)
    tables: dict[str, _Loaded] = {}
    issues: list[Issue] = []
    if path.is_dir():
        with _file_errors(path, "read"):
            files = sorted(path.iterdir())
        found = []
        for file in files:
            if file.suffix.lower() in _TABLE_SUFFIXES and _section_of(file.stem):
                try:
                    found.append(_read_file(file)[0])
                except ProblemError as error:
                    issues += error.issues
        where = {table.name: str(path / table.name) for table in found}
    elif not path.exists():
        reason = "No such file or directory"
        raise _problem_error(str(path), _say("cannot_read", zh, reason=reason))
    elif path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
        raise _problem_error(
            str(path), "give a workbook or a folder, or the regions, organizations and needs"
        )
    else:
        found = _read_file(path, sheets=lambda name: _section_of(name) is not None)
        where = {table.name: f"{path} · {table.name}" for table in found}
    for table in found:
        section = _section_of(table.name)
        if section is None:
            continue
        if section in tables:
            issues.append(
                Issue(where[table.name], _say("second_table", zh, section=tables[section].name))
            )
        else:
            tables[section] = table
    if issues:
        raise ProblemError(issues)
    return tables


def _load_sources(sources: Mapping[str, Any]) -> dict[str, _Loaded]:
    """Each table given as a path or a DataFrame, read; every file's issues at once."""
    tables: dict[str, _Loaded] = {}
    issues: list[Issue] = []
    for section, source in sources.items():
        if isinstance(source, pd.DataFrame):
            tables[section] = _Loaded(section, source)
            continue
        if not isinstance(source, str | Path):
            issues.append(Issue(section, _say("not_table", False)))
            continue
        path = Path(source)
        if path.suffix.lower() not in _TABLE_SUFFIXES and path.suffix.lower() != ".txt":
            issues.append(
                Issue(
                    str(path),
                    f"cannot read {path.suffix or 'a file without a suffix'}; use "
                    ".csv, .tsv, .xlsx or .parquet",
                )
            )
            continue
        try:
            tables[section] = _read_file(path)[0]
        except ProblemError as error:
            issues += error.issues
    if issues:
        raise ProblemError(issues)
    return tables


_TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")


def _problem_error(path: str, message: str) -> ProblemError:
    return ProblemError([Issue(path, message)])


def _missing_tables(names: Sequence[str]) -> ProblemError:
    return ProblemError([Issue.of(name, "error.table_missing") for name in names])


# --- untrusted files: reading ------------------------------------------------------------------------

#: What a text cell may not begin with in a file matcher writes (OWASP's CSV-injection rule):
#: spreadsheets run such a cell as a formula.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _say(key: str, zh: bool, **values: Any) -> str:
    return catalog.text(f"table.{key}", "zh" if zh else "en", **values)


def _is_zh(*texts: Any) -> bool:
    """Whether any of ``texts`` has a Chinese character: such tables get Chinese locations."""
    return any(ord(ch) > 0x2E7F for text in texts for ch in str(text))


def _shown(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message never echoes a whole huge cell."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-3:]


@dataclass(frozen=True)
class _Unreadable:
    """A workbook cell with no value to read: a formula never calculated, or an Excel error."""

    text: str
    formula: bool

    def issue(self, zh: bool) -> str:
        if self.formula:
            return _say("formula", zh, formula=_shown(self.text))
        return _say("excel_error", zh, value=self.text)


@dataclass(frozen=True)
class _Origin:
    """Where a table was read: the file, the sheet, and the file row of each of its rows."""

    file: str
    sheet: str | None
    rows: Sequence[int]
    zh: bool

    def where(self, row: int | None = None, column: str | None = None) -> str:
        """``needs.xlsx · 需求 · 第 5 行 · 受益人数`` (or ``… · row 5 · …``) for a row's cell."""
        parts = [self.file]
        if self.sheet is not None:
            parts.append(self.sheet)
        if row is not None and 0 <= row < len(self.rows):
            number = self.rows[row]
            parts.append(catalog.text("table.row", "zh" if self.zh else "en", number=number))
        if column and column.startswith(_NO_HEADER[0]):
            letter = column[1:]
            parts.append(catalog.text("table.column", "zh" if self.zh else "en", letter=letter))
        elif column:
            parts.append(column if len(column) <= 60 else column[:56] + "…")
        return " · ".join(parts)


@dataclass(frozen=True)
class _Loaded:
    """A table as read from a file (raw headers, repeated ones too) or given as a DataFrame."""

    name: str  # the sheet, the file's stem, or the table it was given as
    frame: pd.DataFrame
    origin: _Origin | None = None


def _read_file(
    path: Path,
    sheet: str | int | None = None,
    *,
    sheets: Callable[[str], bool] | None = None,
) -> list[_Loaded]:
    """The table of a CSV, TSV or Parquet file, or the sheets of a workbook.

    ``sheet`` picks one sheet (the first by default); ``sheets``, a test of sheet names, reads
    every sheet it passes. Headers are kept as written (a repeated one stays repeated), rows with
    no value are left out, and every issue names the file: no reader's own exception escapes.
    """
    zh = _is_zh(path.name)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _problem_error(str(path), _say("xls", zh))
    if path.is_dir():
        raise _problem_error(str(path), _say("cannot_read", zh, reason="it is a folder"))
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path, sheet, sheets)
    if suffix in (".parquet", ".pq"):
        return [_read_parquet(path)]
    return [_read_csv(path, "," if suffix == ".csv" else "\t")]


@contextlib.contextmanager
def _file_errors(path: Path, action: Literal["read", "write"]) -> Iterator[None]:
    """The file system's errors, and text that cannot be encoded, as a :class:`ProblemError`
    naming ``path``."""
    try:
        yield
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or f"{type(error).__name__}: {error}"[:120]
        message = _say(f"cannot_{action}", _is_zh(path.name), reason=reason)
        raise _problem_error(str(path), message) from None


def _read_bytes(path: Path) -> bytes:
    with _file_errors(path, "read"):
        return path.read_bytes()


def _read_csv(path: Path, separator: str) -> _Loaded:
    data = _read_bytes(path)
    zh = _is_zh(path.name)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _problem_error(str(path), _say("not_text", zh))
    try:
        raw = pd.read_csv(
            StringIO(text),
            sep=separator,
            header=None,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame()
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _problem_error(str(path), _say("not_csv", zh, reason=reason)) from None
    for j in range(raw.shape[1]):  # cells :func:`_csv_text` guarded, as they were
        quoted = np.flatnonzero(raw.iloc[:, j].str.startswith("'", na=False).to_numpy(dtype=bool))
        if len(quoted):
            raw.iloc[quoted, j] = [_unquote(value) for value in raw.iloc[quoted, j].tolist()]
    return _table_from_raw(path, None, raw, range(1, len(raw) + 1))


def _unquote(value: Any) -> Any:
    """A CSV cell as it was before :func:`_csv_text` guarded it."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(_TRIGGERS):
        return value[1:]
    return value


def _read_workbook(
    path: Path, sheet: str | int | None, names: Callable[[str], bool] | None
) -> list[_Loaded]:
    _require("openpyxl", "excel")
    import openpyxl  # type: ignore[import-untyped]

    data = BytesIO(_read_bytes(path))
    zh = _is_zh(path.name)

    def load(data_only: bool) -> Any:
        data.seek(0)
        return openpyxl.load_workbook(data, read_only=True, data_only=data_only)

    try:
        book = load(data_only=False)
        titles = list(book.sheetnames)
        if names is not None:
            chosen = [title for title in titles if names(title)]
        elif sheet is None:
            chosen = titles[:1]
        elif (
            isinstance(sheet, int)
            and not isinstance(sheet, bool)
            and -len(titles) <= sheet < len(titles)
        ):
            chosen = [titles[sheet]]
        elif isinstance(sheet, str) and sheet in titles:
            chosen = [sheet]
        else:
            book.close()
            listed = "、".join(titles) if zh else ", ".join(map(repr, titles))
            raise _problem_error(
                str(path), _say("no_sheet", zh, sheet=_shown(sheet), sheets=listed)
            )
        grids = {title: _sheet_cells(book[title]) for title in chosen}
        book.close()
        if any(formulas for _, _, formulas in grids.values()):
            book = load(data_only=True)
            for title, (grid, numbers, formulas) in grids.items():
                if formulas:
                    _fill_cached(book[title], grid, numbers, formulas)
            book.close()
    except ProblemError:
        raise
    except Exception as error:  # openpyxl, zipfile and XML parsers raise many kinds
        reason = f"{type(error).__name__}: {error}"[:200]
        raise _problem_error(str(path), _say("not_workbook", zh, reason=reason)) from None
    return [
        _table_from_raw(path, title, pd.DataFrame(grid, dtype=object), numbers)
        for title, (grid, numbers, _) in grids.items()
    ]


def _sheet_cells(sheet: Any) -> tuple[list[list[Any]], list[int], list[tuple[int, int]]]:
    """A sheet's rows that hold a value, their row numbers, and where its formula cells are.

    The size the file claims for the sheet is ignored: rows and columns are the ones it holds.
    """
    sheet.reset_dimensions()
    grid: list[list[Any]] = []
    numbers: list[int] = []
    formulas: list[tuple[int, int]] = []
    for number, row in enumerate(sheet.iter_rows(), 1):
        if not any(cell.value is not None for cell in row):
            continue
        values: list[Any] = []
        for c, cell in enumerate(row):
            value = cell.value
            kind = cell.data_type
            if value is None:
                values.append(None)
            elif kind == "f":
                formulas.append((len(grid), c))
                values.append(_Unreadable(str(value), formula=True))
            elif kind == "e":
                values.append(_Unreadable(str(value), formula=False))
            elif isinstance(value, str):
                values.append(_xml_unescape(value))
            else:
                values.append(value)
        while values[-1] is None:  # a row as wide as its last value
            values.pop()
        grid.append(values)
        numbers.append(number)
    width = max(map(len, grid), default=0)
    for values in grid:
        values.extend([None] * (width - len(values)))
    return grid, numbers, formulas


def _fill_cached(
    sheet: Any, grid: list[list[Any]], numbers: list[int], formulas: Sequence[tuple[int, int]]
) -> None:
    """Put the value Excel saved with each formula in its place; a formula without one stays."""
    sheet.reset_dimensions()
    wanted: dict[int, list[tuple[int, int]]] = {}
    for k, c in formulas:
        wanted.setdefault(numbers[k], []).append((k, c))
    for number, row in enumerate(sheet.iter_rows(), 1):
        for k, c in wanted.get(number, ()):
            if c < len(row) and row[c].value is not None:
                cell = row[c]
                if cell.data_type == "e":
                    grid[k][c] = _Unreadable(str(cell.value), formula=False)
                else:
                    grid[k][c] = (
                        _xml_unescape(cell.value) if isinstance(cell.value, str) else cell.value
                    )


def _read_parquet(path: Path) -> _Loaded:
    _require("pyarrow", "parquet")
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    zh = _is_zh(path.name)
    data = _read_bytes(path)
    try:
        table = pq.ParquetFile(BytesIO(data)).read()
        names = [str(name) for name in table.column_names]
        frame = table.rename_columns([str(i) for i in range(len(names))]).to_pandas()
    except Exception as error:  # pyarrow raises many kinds on a damaged file
        reason = f"{type(error).__name__}: {error}"[:200]
        raise _problem_error(str(path), _say("not_parquet", zh, reason=reason)) from None
    frame.columns = pd.Index(names, dtype=object)
    origin = _Origin(str(path), None, range(1, len(frame) + 1), _is_zh(path.name, *names))
    return _Loaded(path.stem, frame, origin)


def _table_from_raw(
    path: Path, sheet: str | None, raw: pd.DataFrame, numbers: Sequence[int]
) -> _Loaded:
    """The table in ``raw``, cells as read, row ``i`` being row ``numbers[i]`` of the file: the
    first row with a value is the header, rows without a value are left out, and so are columns
    with neither header nor value."""
    name = sheet if sheet is not None else path.stem
    filled = _filled(raw)
    rows_with_values = np.asarray(filled.any(axis=1), dtype=bool)
    if not rows_with_values.any():
        zh = _is_zh(path.name, sheet or "")
        origin = _Origin(str(path), sheet, (), zh)
        return _Loaded(name, pd.DataFrame(), origin)
    head = int(np.argmax(rows_with_values))
    body_rows = np.flatnonzero(rows_with_values[head + 1 :]) + head + 1
    headers = [None if _missing(h) else str(h).strip() for h in raw.iloc[head].tolist()]
    zh = _is_zh(path.name, sheet or "", *(h for h in headers if h))
    origin = _Origin(str(path), sheet, [numbers[int(r)] for r in body_rows], zh)
    body = raw.iloc[body_rows].reset_index(drop=True)
    keep = [j for j, h in enumerate(headers) if h or filled[body_rows, j].any()]
    frame = body.iloc[:, keep]
    frame.columns = pd.Index(
        [headers[j] or _NO_HEADER.format(_column_letter(j + 1)) for j in keep], dtype=object
    )
    return _Loaded(name, frame, origin)


#: The name a column with values but no header gets (the check reports it by its letter).
_NO_HEADER = "\x00{}"


def _file_issues(table: _Loaded) -> list[Issue]:
    """What :func:`read_table` refuses in a table read from a file: no header, a header twice,
    a column of values without a header, a cell with no value to read."""
    origin = table.origin
    assert origin is not None
    frame = table.frame
    if frame.shape[1] == 0:
        return [Issue(origin.where(), _say("empty", origin.zh))]
    issues = []
    seen: set[str] = set()
    for position, column in enumerate(frame.columns):
        label = _label(column)
        if label.startswith(_NO_HEADER[0]):
            issues.append(Issue(origin.where(None, label), _say("no_header", origin.zh)))
        elif label in seen:
            issues.append(Issue(origin.where(None, label), _say("twice", origin.zh)))
        seen.add(label)
        if frame.iloc[:, position].dtype == object:
            for row, value in enumerate(frame.iloc[:, position].tolist()):
                if isinstance(value, _Unreadable):
                    issues.append(Issue(origin.where(row, label), value.issue(origin.zh)))
    return issues


def _filled(raw: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Which cells hold a value (not missing, not blank text), with a Python test only for the
    cells that pandas does not already call missing."""
    filled = np.array(raw.notna().to_numpy(dtype=bool))
    for j in range(raw.shape[1]):
        rows = np.flatnonzero(filled[:, j])
        if len(rows):
            cells = raw.iloc[rows, j].tolist()
            filled[rows, j] = [
                bool(value.strip()) if value.__class__ is str else not _missing(value)
                for value in cells
            ]
    return filled


def _xml_unescape(text: str) -> str:
    """``_x000D_`` -> CR: the escapes Excel (and :func:`_xlsx_text`) write for characters that
    XML cannot hold; ``_x005F_`` escapes an underscore that would otherwise start one."""
    if "_x" not in text:
        return text
    return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


# --- untrusted tables: the checks before validation -----------------------------------------------


def _named_sections(
    tables: Mapping[str, Any],
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Tables keyed by section, with the name each was given; every naming issue at once."""
    named: dict[str, pd.DataFrame] = {}
    given: dict[str, str] = {}
    issues: list[Issue] = []
    for name, frame in tables.items():
        name = str(name)
        section = _section_of(name)
        zh = _is_zh(name)
        if section is None:
            issues.append(Issue(name, f"unknown table; expected one of {', '.join(_TABLE_NAMES)}"))
        elif not isinstance(frame, pd.DataFrame):
            issues.append(Issue(name, _say("not_table", zh)))
        elif section in named:
            issues.append(Issue(name, _say("second_table", zh, section=given[section])))
        else:
            named[section] = frame
            given[section] = name
    if issues:
        raise ProblemError(issues)
    missing = [name for name in ("regions", "organizations", "needs") if name not in named]
    if missing:
        raise _missing_tables(missing)
    return named, given


def _section_model(section: str) -> tuple[type[pydantic.BaseModel], str]:
    """The model of a table's rows and the section its Chinese headers are listed under."""
    models: dict[str, type[pydantic.BaseModel]] = {
        "regions": Region,
        "organizations": Organization,
        "needs": Need,
    }
    if section in models:
        return models[section], section
    return _pair_model(section), "pairs"


def _problem(
    named: Mapping[str, pd.DataFrame],
    policy: Mapping[str, Any] | None,
    *,
    zh: Mapping[str, bool] | None = None,
    by_columns: bool = True,
) -> Problem:
    """A problem from tables keyed by section: the table checks, then validation by columns (or
    by rows), with every issue of both in one :class:`ProblemError`."""
    zh = {section: _is_zh(*frame.columns) for section, frame in named.items()} | dict(zh or {})
    tables, issues = _checked_tables(named, zh)
    if policy is None and "policy" in tables:
        policy, policy_issues = _policy_from_frame(tables["policy"], zh.get("policy", False))
        issues += policy_issues
    elif policy is not None and not isinstance(policy, Mapping | pydantic.BaseModel):
        issues.append(Issue("policy", f"expected a mapping, not {type(policy).__name__}"))
        policy = None
    try:
        problem = _validated(tables, policy, by_columns)
    except ProblemError as error:
        taken = {issue.path for issue in issues}
        raise ProblemError(
            [*issues, *(issue for issue in error.issues if issue.path not in taken)]
        ) from None
    if issues:
        raise ProblemError(issues)
    return problem


def _validated(tables: Mapping[str, pd.DataFrame], policy: Any, by_columns: bool) -> Problem:
    if isinstance(policy, Mapping):
        policy = dict(policy)
    if by_columns:
        columns = {
            "regions": _field_columns(tables["regions"], Region, "regions"),
            "organizations": _field_columns(tables["organizations"], Organization, "organizations"),
            "needs": _field_columns(tables["needs"], Need, "needs"),
        }
        if all(frame is not None for frame in columns.values()):
            pairs = {
                section: _pair_records(tables[section], section)
                for section in _pair_sections()
                if section in tables
            }
            return problem_from_columns(
                columns["regions"],  # type: ignore[arg-type]  # checked just above
                columns["organizations"],  # type: ignore[arg-type]
                columns["needs"],  # type: ignore[arg-type]
                policy=policy,
                pair_rows=pairs,
            )
    # A whole nested object in one cell: the row path reads it.
    data: dict[str, Any] = {
        "regions": region_records(tables["regions"]),
        "organizations": organization_records(tables["organizations"]),
        "needs": need_records(tables["needs"]),
    }
    for section in _pair_sections():
        if section in tables:
            data[section] = _pair_records(tables[section], section)
    if policy is not None:
        data["policy"] = policy
    return Problem.model_validate(data)


def _checked_tables(
    named: Mapping[str, pd.DataFrame], zh: Mapping[str, bool]
) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """The tables with what validation cannot judge taken out, and the issues it raises.

    A table with no columns, a column without a header, twice under one header or for a field
    another column gives, an unknown column: each is one issue (a repeated column keeps its
    first copy). A cell of the wrong kind (bytes, a yes/no value where a number or text is
    expected, several values where one is, a formula with no saved value, an Excel error) is an
    issue at its row and is read as missing; so is ``continues`` naming an unknown
    organization.
    """
    tables: dict[str, pd.DataFrame] = {}
    issues: list[Issue] = []
    for section, frame in named.items():
        if section == "policy":
            tables[section] = frame
            continue
        model, headers = _section_model(section)
        tables[section] = _checked_table(section, frame, model, headers, zh[section], issues)
    issues += _continues_issues(tables, zh.get("needs", False))
    return tables, issues


def _checked_table(
    section: str,
    frame: pd.DataFrame,
    model: type[pydantic.BaseModel],
    headers: str,
    zh: bool,
    issues: list[Issue],
) -> pd.DataFrame:
    if frame.shape[1] == 0:
        issues.append(Issue(section, _say("no_columns" if len(frame) else "empty", zh)))
        return pd.DataFrame()  # its rows hold nothing to check
    kinds = _kinds(model)
    mapping = _column_map(frame.columns, model, headers)
    labels = [_label(column) for column in frame.columns]
    first_at: dict[str, int] = {}
    field_at: dict[tuple[str, str | None], int] = {}
    keep: list[int] = []
    for position, (column, label) in enumerate(zip(frame.columns, labels, strict=True)):
        where = f"{section}.{label}"
        field, sub = mapping[column]
        kind = kinds.get(field)
        if label.startswith(_NO_HEADER[0]):
            issues.append(Issue(where, _say("no_header", zh)))
        elif label in first_at:
            issues.append(Issue(where, _say("twice", zh)))
        elif kind is None or not _valid_sub(kind, sub):
            mangled = re.fullmatch(r"(.+)\.\d+", label)
            if mangled and mangled.group(1) in labels:
                issues.append(Issue(where, _say("mangled", zh, first=_shown(mangled.group(1)))))
            else:
                issues.append(Issue(where, _say("unknown_column", zh)))
        elif (field, sub) in field_at or ((field, None) in field_at and sub is not None):
            other = labels[field_at.get((field, sub), field_at.get((field, None), 0))]
            name = field if sub is None else f"{field}.{sub}"
            issues.append(Issue(where, _say("same_field", zh, other=_shown(other), field=name)))
        elif sub is None and any(f == field for f, _ in field_at):
            other = labels[next(p for (f, _), p in field_at.items() if f == field)]
            issues.append(Issue(where, _say("same_field", zh, other=_shown(other), field=field)))
        else:
            keep.append(position)
            field_at[field, sub] = position
        first_at.setdefault(label, position)
    checked = frame.iloc[:, keep]
    checked.columns = pd.Index([labels[p] for p in keep], dtype=object)
    found: list[tuple[int, int, Issue]] = []
    for j, position in enumerate(keep):
        field, sub = mapping[frame.columns[position]]
        cells = _checked_cells(checked.iloc[:, j], kinds[field], sub, zh)
        if cells is None:
            continue
        values, bad = cells
        path = f"{field}.{sub}" if sub is not None else field
        found.extend((row, j, Issue(f"{section}[{row}].{path}", message)) for row, message in bad)
        checked.isetitem(j, _object_array(values))
    issues.extend(issue for _, _, issue in sorted(found, key=lambda item: item[:2]))
    return checked


def _object_array(values: list[Any]) -> npt.NDArray[np.object_]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _label(column: Any) -> str:
    return column.strip() if isinstance(column, str) else str(column)


def _valid_sub(kind: _Kind, sub: str | None) -> bool:
    """Whether a column's ``sub`` (the part after the field) names something of the field."""
    if sub is None:
        return True
    if kind.kind == "dict":
        return True  # a category, checked when the column was mapped
    if kind.kind == "model" and kind.model is not None:
        return sub in kind.model.model_fields
    return False


def _checked_cells(
    column: pd.Series, kind: _Kind, sub: str | None, zh: bool
) -> tuple[list[Any], list[tuple[int, str]]] | None:
    """The cells of a column with the ones of a wrong kind made missing, and their issues;
    ``None`` when every cell is of a kind validation judges."""
    if column.dtype.kind in "iufcmM" or (column.dtype != object and column.dtype.kind != "b"):
        return None  # numbers, dates or text: validation judges them
    scalar = kind.scalar
    if kind.kind == "model" and kind.model is not None and sub is not None:
        scalar = _kinds(kind.model).get(sub, _Kind("scalar")).scalar
    several_ok = kind.kind == "list" or (kind.kind in ("dict", "model") and sub is None)
    values = column.tolist()
    bad: list[tuple[int, str]] = []
    for row, value in enumerate(values):
        cls = value.__class__
        if cls is str or cls is float or cls is int or value is None:
            continue
        if isinstance(value, bool | np.bool_):
            if scalar is bool:
                continue
            message = _say("bool", zh)
        elif isinstance(value, bytes | bytearray | memoryview | np.bytes_):
            message = _say("bytes", zh)
        elif isinstance(value, _Unreadable):
            message = value.issue(zh)
        elif not several_ok and isinstance(
            value, list | tuple | set | frozenset | dict | np.ndarray
        ):
            message = _say("not_scalar", zh)
        else:
            continue
        bad.append((row, message))
        values[row] = None
    return (values, bad) if bad else None


def _continues_issues(tables: Mapping[str, pd.DataFrame], zh: bool) -> list[Issue]:
    """``continues`` naming an organization the problem does not have."""
    needs, organizations = tables["needs"], tables["organizations"]
    ids = _id_column(organizations, Organization, "organizations", "id")
    if ids is None:
        return []
    known = {value for value in ids if isinstance(value, str)}
    issues = []
    for field, path in (("continues.org_id", "continues.org_id"), ("continues", "continues")):
        named = _id_column(needs, Need, "needs", field)
        if named is None:
            continue
        for row, value in enumerate(named):
            if path == "continues":
                value = _json(value) if isinstance(value, str) else value
                value = value.get("org_id") if isinstance(value, Mapping) else None
                value = _scalar(value, str, ()) if value is not None else None
            if isinstance(value, str) and value and value not in known:
                issues.append(
                    Issue(
                        f"needs[{row}].continues.org_id", _say("unknown_org", zh, id=_shown(value))
                    )
                )
    return issues


def _id_column(
    frame: pd.DataFrame, model: type[pydantic.BaseModel], section: str, target: str
) -> list[Any] | None:
    """The cells of the column for ``target`` (``field`` or ``field.sub``) as text ids."""
    field, _, sub = target.partition(".")
    for position, column in enumerate(frame.columns):
        if _column_map([column], model, section)[column] == (field, sub or None):
            cells = frame.iloc[:, position].tolist()
            if sub or field != "continues":
                return [None if _missing(v) else _scalar(v, str, ()) for v in cells]
            return cells
    return None


def _json(text: str) -> Any:
    """The JSON value in ``text``, or ``text`` itself when it holds none."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


# --- where an issue came from -------------------------------------------------------------------------


def _located(issues: Iterable[Issue], loaded: Mapping[str, _Loaded]) -> list[Issue]:
    """Issues with the path of a table read from a file replaced by its place in the file:
    ``needs[3].beneficiaries`` -> ``needs.xlsx · 需求 · 第 5 行 · 受益人数``."""
    located = []
    for issue in issues:
        match = _PATH.fullmatch(issue.path)
        table = loaded.get(match.group(1)) if match else None
        if match is None or table is None or table.origin is None:
            located.append(issue)
            continue
        section, row, rest = match.group(1), match.group(2), match.group(3) or ""
        origin = table.origin
        if section == "policy":
            position, column = _policy_row(table.frame, rest)
            where = origin.where(position, column)
        elif row is None:
            where = origin.where(None, rest or None)
        else:
            where = origin.where(int(row), _header_of(table.frame, section, rest, origin.zh))
        located.append(Issue(where, issue.message))
    return located


_PATH = re.compile(r"([a-z_]+)(?:\[(\d+)\])?(?:\.(.*))?", re.DOTALL)


def _header_of(frame: pd.DataFrame, section: str, path: str, zh: bool) -> str | None:
    """The header of the column that gives ``path`` (``continues.org_id``) of a row."""
    if not path:
        return None
    model, headers = _section_model(section)
    field, _, sub = re.sub(r"\[\d+\]", "", path).partition(".")
    sub = sub.partition(".")[0]
    mapping = _column_map(frame.columns, model, headers)
    for wanted in ((field, sub or None), (field, None)):
        for column, target in mapping.items():
            if target == wanted:
                return _label(column)
    for column, target in mapping.items():
        if target[0] == field:
            return _label(column)
    return _out_header(headers, f"{field}.{sub}" if sub else field, zh)


def _policy_row(frame: pd.DataFrame, key: str) -> tuple[int | None, str | None]:
    """The row of the policy table that gives ``key`` (or a key around it), and its column."""
    if frame.shape[1] < 2 or not key:
        return None, key or None
    keys = [_label(k) for k in frame.iloc[:, 0].tolist()]
    for row in (
        *(row for row, given in enumerate(keys) if given == key),
        *(row for row, given in enumerate(keys) if key.startswith(given + ".")),
        *(row for row, given in enumerate(keys) if given.startswith(key + ".")),
    ):
        return row, _label(frame.columns[1])
    return None, key


# --- untrusted files: writing ------------------------------------------------------------------------


def _write_workbook(
    frames: Mapping[str, pd.DataFrame], path: Path, *, percent: bool = False
) -> None:
    """Write ``frames`` to an Excel workbook, a sheet each, with no cell that Excel would run.

    Text is written as text: a string cell even when it begins with ``=`` (with Excel's quote
    prefix when it begins with ``=``, ``+``, ``-``, ``@``, tab or CR, so that editing it keeps it
    text), so the workbook holds no formula. Characters XML cannot hold are written as Excel
    writes them (``_x000D_``), and :func:`read_table` reads them back.
    """
    _require("openpyxl", "excel")
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    with _file_errors(path, "write"):  # text that is not Unicode fails here, not in openpyxl
        for name, frame in frames.items():
            sheet = book.create_sheet(_sheet_title(str(name), book.sheetnames))
            sheet.freeze_panes = "A2"
            for position, column in enumerate(frame.columns, 1):
                values = frame.iloc[:, position - 1].tolist()
                _put(sheet.cell(row=1, column=position), str(column))
                is_share = percent and str(column) in ("share", "满足率")
                for row, value in enumerate(values, 2):
                    if isinstance(value, str) or not _missing(value):  # "  " is text to keep
                        cell = sheet.cell(row=row, column=position)
                        _put(cell, value)
                        if is_share:
                            cell.number_format = "0.0%"
                cells = [str(column), *(str(v) for v in values[:200])]
                width = min(60, max(catalog.display_width(text) for text in cells) + 2)
                sheet.column_dimensions[_column_letter(position)].width = width
        book.save(path)


def _put(cell: Any, value: Any) -> None:
    """Set a cell: text as a string cell (never a formula), numbers as numbers."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    if not isinstance(value, str | int | float | bool | datetime.datetime | datetime.date):
        value = str(value)
    if isinstance(value, str):
        cell.value = _xlsx_text(value)
        cell.data_type = "s"  # openpyxl makes "=..." a formula
        if value.startswith(_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value


def _xlsx_text(text: str) -> str:
    """``text`` with the characters XML cannot hold (and CR, which XML turns into LF) written as
    Excel escapes them; an underscore that would start such an escape is escaped too."""
    if _SURROGATE.search(text):
        text.encode("utf-8")  # raises: a lone surrogate is not text a file can hold
    if "_x" in text:
        text = _XML_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")


def _sheet_title(name: str, taken: Sequence[str]) -> str:
    """A valid, unused sheet title for ``name``: at most 31 characters, none of ``[]:*?/\\``."""
    title = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "sheet"
    candidate, n = title, 1
    while candidate.casefold() in {t.casefold() for t in taken}:
        n += 1
        candidate = f"{title[: 31 - len(str(n)) - 1]}_{n}"
    return candidate


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (UTF-8 with a BOM, as Excel likes it) with no cell that would run.

    Text cells are quoted, and one that begins with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading ``'`` (OWASP's rule against CSV injection); :func:`read_table` takes it off again.
    Numbers are written as numbers.
    """
    with _file_errors(path, "write"):  # text that is not Unicode fails here too
        safe = frame.copy()
        safe.columns = [_csv_text(str(column)) for column in frame.columns]
        for position in range(safe.shape[1]):
            column = safe.iloc[:, position]
            if column.dtype == object or column.dtype.kind not in "biufcmM":
                cells = [_csv_text(v) if isinstance(v, str) else v for v in column.tolist()]
                safe.isetitem(position, _object_array(cells))
        safe.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)


def _csv_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs: ``'`` before a formula-like start."""
    return "'" + text if text.lstrip("'").startswith(_TRIGGERS) else text


# --- writing rows ------------------------------------------------------------------------------------------


def _zh_header(section: str, field: str) -> str | None:
    for alias, target in _HEADERS.get(section, {}).items():
        if target == field:
            return alias
    return None


#: The Chinese header written for each field (the most explicit alias).
_ZH_PREFERRED = {
    "regions": {"id": "编码", "name": "名称", "level": "级别", "parent": "上级编码",
                "priority": "帮扶优先级", "lat": "纬度", "lon": "经度"},
    "organizations": {"id": "组织编号", "name": "组织名称", "home_region": "登记地区",
                      "ratings": "历史评价", "max_projects": "最多承接项目数",
                      "credit": "信用状况", "inspection_passed": "年检合格",
                      "grade": "评估等级"},
    "needs": {"id": "需求编号", "region": "所在地区", "category": "帮扶类别",
              "title": "需求名称", "cost": "估算费用", "continues.org_id": "接续组织",
              "continues.stars": "接续评价"},
    "pairs": {"need_id": "需求编号", "org_id": "组织编号", "score": "得分"},
}  # fmt: skip


def _out_header(section: str, field: str, zh: bool) -> str:
    if not zh:
        return field.replace(".", "_")
    return _ZH_PREFERRED.get(section, {}).get(field) or _zh_header(section, field) or field


def _out_value(value: Any, zh: bool) -> Any:
    if isinstance(value, enum.Enum):
        return value.label("zh") if zh and hasattr(value, "label") else value.value
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else value
    return value


def _model_frame(
    items: Sequence[pydantic.BaseModel], model: type[pydantic.BaseModel], section: str, zh: bool
) -> pd.DataFrame:
    kinds = _kinds(model)
    columns: dict[str, list[Any]] = {}
    order: list[str] = []

    def put(header: str, row: int, value: Any) -> None:
        if header not in columns:
            columns[header] = [None] * len(items)
            order.append(header)
        columns[header][row] = value

    for field, kind in kinds.items():  # fixed column order, whatever rows set
        if kind.kind == "dict":
            continue
        if any(field in item.model_fields_set for item in items):
            if kind.kind == "model" and kind.model is not None:
                for sub in kind.model.model_fields:
                    put(_out_header(section, f"{field}.{sub}", zh), 0, None)
            else:
                put(_out_header(section, field, zh), 0, None)
    for row, item in enumerate(items):
        for field in kinds:
            if field not in item.model_fields_set:
                continue
            value = getattr(item, field)
            kind = kinds[field]
            if value is None:
                continue
            if kind.kind == "list":
                put(
                    _out_header(section, field, zh),
                    row,
                    ";".join(str(_out_value(v, zh)) for v in value),
                )
            elif kind.kind == "dict":
                for category, number in value.items():
                    category = Category(category)
                    prefix = "能力" if zh and field == "capabilities" else field
                    if zh and field == "acceptance":
                        prefix = "接单概率"
                    if not zh and field == "capabilities":
                        prefix = "capability"
                    name = category.label("zh") if zh else category.value
                    put(f"{prefix}_{name}", row, number)
            elif kind.kind == "model":
                for sub, sub_value in value.model_dump().items():
                    put(_out_header(section, f"{field}.{sub}", zh), row, _out_value(sub_value, zh))
            else:
                put(_out_header(section, field, zh), row, _out_value(value, zh))
    return pd.DataFrame({header: columns[header] for header in order})


def _pair_frame(pairs: Sequence[pydantic.BaseModel], zh: bool) -> pd.DataFrame:
    fields = list(type(pairs[0]).model_fields)
    return pd.DataFrame(
        [[getattr(p, f) for f in fields] for p in pairs],
        columns=[_out_header("pairs", f, zh) for f in fields],
    )


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _is_scalar(value: Any) -> bool:
    return isinstance(value, int | float | bool) or (
        isinstance(value, str) and not value.lstrip().startswith(("[", "{", '"'))
    )


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"this needs {module}, which is not installed: pip install 'matcher[{extra}]'"
        )


def _column_letter(position: int) -> str:
    """Excel's name of the 1-based column ``position``: 1 -> A, 27 -> AA."""
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _checked_language(language: Any) -> Language:
    return catalog.checked(language)


def _path(value: Any, name: str) -> Path:
    """``value`` as a path, or an :class:`OptionError` naming the argument."""
    if isinstance(value, str | PathLike):
        return Path(value)
    raise OptionError(f"{name} must be a path, not {type(value).__name__}")


def _expect(value: Any, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise OptionError(f"{name} must be a {kind.__name__}, not {type(value).__name__}")
