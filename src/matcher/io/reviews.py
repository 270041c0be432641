"""The expert review's tables (:mod:`matcher.review`): templates and readers, Chinese headers.

Five tables: experts (专家), projects (申报项目), reviews (评审), evaluators (评估机构) and
evaluations (评估). Each header may be the Chinese one of :data:`HEADERS` or the field's English
name. List cells (affiliations, …) are separated by ``;``, ``；``, ``,``, ``，`` or ``、``;
expertise is ``类别:等级`` pairs (``产业帮扶:4；人才培养:2``). A review table's columns beyond
the known ones are criteria (``创新性``, ``可行性`` …): each gives a score per criterion.
Evaluation results may be stars (1-5) or a grade: 优秀 5, 良好 4, 合格 3, 基本合格 2, 不合格 1.

Files are read by :func:`matcher.io.read_table` (CSV in UTF-8 or GB18030, Excel, Parquet) and
written by :func:`matcher.io.write_tables` (no cell a spreadsheet would run). Rows are checked by
the document's models: an issue's path names the table and the row (``experts[2].max_reviews``,
0-based, as in a JSON document).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_review_templates(folder)
>>> sorted(p.name for p in folder.iterdir())
['专家.csv', '申报项目.csv', '评估.csv', '评估机构.csv', '评审.csv']
>>> _ = (folder / "专家.csv").write_text(
...     "专家编号,姓名,专业领域,所在地区,所属组织,最多评审数" + chr(10)
...     + "E1,王建国,产业帮扶:4；人才培养:2,140121,O1、O2,12", encoding="utf-8")
>>> _ = (folder / "申报项目.csv").write_text(
...     "项目编号,帮扶类别,所在地区" + chr(10) + "P1,产业帮扶,140122", encoding="utf-8")
>>> document = read_review_tables(experts=folder / "专家.csv", projects=folder / "申报项目.csv")
>>> expert = document.experts[0]
>>> expert.affiliations, expert.max_reviews, sorted(c.value for c in expert.expertise)
(('O1', 'O2'), 12, ['industry', 'talent'])
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_module
from ..errors import Issue, ProblemError, echo
from ..review.models import ReviewDocument
from .files import read_table, write_tables
from .headers import _LIST_SEPARATORS, _TRUE

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "GRADES",
    "HEADERS",
    "TABLE_NAMES",
    "read_review_tables",
    "review_template",
    "write_review_templates",
]

#: Table -> Chinese header -> field.
HEADERS: dict[str, dict[str, str]] = {
    "experts": {
        "专家编号": "id", "姓名": "name", "专业领域": "expertise", "所在地区": "home_region",
        "所属组织": "affiliations", "回避对象": "conflicts", "最多评审数": "max_reviews",
    },
    "projects": {
        "项目编号": "id", "项目名称": "name", "帮扶类别": "category", "所在地区": "region",
        "申报组织": "organizations", "实施组织": "implementer", "预算": "cost",
        "重点帮扶地区": "key_area", "评审专家数": "reviewers", "需求编号": "need_id",
    },
    "reviews": {
        "项目编号": "project_id", "专家编号": "expert_id", "评分": "score", "轮次": "round",
    },
    "evaluators": {
        "机构编号": "id", "机构名称": "name", "机构类型": "kind", "所在地区": "home_region",
        "关联组织": "affiliations", "评估容量": "capacity",
    },
    "evaluations": {
        "项目编号": "project_id", "评估机构编号": "evaluator_id", "评估结果": "stars",
    },
}  # fmt: skip

#: Table -> its Chinese name (the sheet or file name of its template).
TABLE_NAMES: dict[str, str] = {
    "experts": "专家",
    "projects": "申报项目",
    "reviews": "评审",
    "evaluators": "评估机构",
    "evaluations": "评估",
}

#: Evaluation grades -> stars.
GRADES: dict[str, int] = {"优秀": 5, "良好": 4, "合格": 3, "基本合格": 2, "不合格": 1}

_LISTS = {"affiliations", "conflicts", "organizations"}
_KINDS = {"枢纽型": "hub", "学术型": "academic", "专业型": "professional"}


def review_template(table: str) -> pd.DataFrame:
    """An empty table with the Chinese headers of ``table`` (a key of :data:`HEADERS`)."""
    return pd.DataFrame(columns=list(HEADERS[table]))


def write_review_templates(destination: str | Path) -> None:
    """Write the five empty templates: to a workbook (``.xlsx``, a sheet each) or a folder of CSV
    files."""
    write_tables({TABLE_NAMES[t]: review_template(t) for t in HEADERS}, destination)


def _cell(field: str, value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    if field in _LISTS:
        return [part.strip() for part in _LIST_SEPARATORS.split(str(value)) if part.strip()]
    if field == "expertise":
        pairs = {}
        for part in _LIST_SEPARATORS.split(str(value)):
            name, _, level = part.replace("：", ":").partition(":")
            if name.strip():
                pairs[name.strip()] = level.strip() or 1
        return pairs
    if field == "key_area":
        return str(value).strip().casefold() in _TRUE
    if field == "stars":
        return GRADES.get(str(value).strip(), value)
    if field == "kind":
        return _KINDS.get(str(value).strip(), value)
    return value


def _rows(table: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
    aliases = HEADERS[table]
    known = set(aliases.values())
    rows = []
    for record in frame.to_dict("records"):
        row: dict[str, Any] = {}
        criteria: dict[str, Any] = {}
        for header, value in record.items():
            name = str(header).strip()
            field = aliases.get(name, name)
            if table == "reviews" and field not in known:
                if _cell(field, value) is not None:
                    criteria[name] = value
                continue
            cell = _cell(field, value)
            if cell is not None:
                row[field] = cell
        if criteria:
            row["scores"] = criteria
        rows.append(row)
    return rows


def read_review_tables(
    *,
    policy: Mapping[str, Any] | None = None,
    **tables: str | Path | pd.DataFrame | None,
) -> ReviewDocument:
    """A review document from tables (paths or frames) named by section.

    Parameters
    ----------
    policy
        The review policy, as a mapping.
    **tables
        ``experts``, ``projects``, ``reviews``, ``evaluators``, ``evaluations``: a file path or a
        :class:`pandas.DataFrame` each; any may be left out.

    Raises
    ------
    ProblemError
        A file cannot be read, a section is unknown, or rows are invalid (paths name the rows).
    """
    unknown = sorted(set(tables) - set(HEADERS))
    if unknown:
        raise ProblemError(
            [Issue.of(name, "error.unknown_table", name=echo(name)) for name in unknown]
        )
    data: dict[str, Any] = {"policy": dict(policy or {})}
    for name, source in tables.items():
        if source is None:
            continue
        frame = source if isinstance(source, pd.DataFrame) else read_table(source)
        data[name] = _rows(name, frame)
    return ReviewDocument.model_validate(data)
