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
>>> frames = plan_frames(problem, __import__("matcher").solve(problem))
>>> list(frames)
['派单方案', '未满足需求', '指标', '按帮扶类别', '按优先级', '按市', '组织承接']
"""

from typing import TYPE_CHECKING, Any

from ..errors import PlanError
from .files import read_table, write_tables
from .plans import parse_plan, plan_frames, read_plan, write_plan
from .problems import (
    problem_frames,
    problem_from_frames,
    problem_from_tables,
    read_problem,
    write_problem,
)
from .rows import need_records, organization_records, region_records

if TYPE_CHECKING:
    from .reviews import read_review_tables, review_template, write_review_templates

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
    "read_review_tables",
    "read_table",
    "region_records",
    "review_template",
    "write_plan",
    "write_problem",
    "write_review_templates",
    "write_tables",
]

#: The expert review's tables (:mod:`matcher.io.reviews`), loaded with the review on first use.
_REVIEW_TABLES = ("read_review_tables", "review_template", "write_review_templates")


def __getattr__(name: str) -> Any:
    if name in _REVIEW_TABLES:
        from . import reviews

        return getattr(reviews, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
