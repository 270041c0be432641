"""The one catalog of table names and headers, English and Chinese, for reading and writing
tables; and the cells they accept (lists, yes/no words, labels)."""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pydantic

from .._lazy import lazy_module
from ..errors import OptionError
from ..models import (
    Category,
    Problem,
    catalog,
    speaking,
)
from ..models.vocab import Language

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")


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


_SHEET_LABELS = {key: zh for key, (zh, _) in catalog.section("sheet").items()}


_COLUMN_LABELS = {key: zh for key, (zh, _) in catalog.section("column").items()}


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


def _checked_language(language: Any) -> Language:
    return speaking.checked(language)


def _expect(value: Any, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise OptionError.of(
            "error.argument_kind", name=name, kind=kind.__name__, given=type(value).__name__
        )
