"""Rows of a table as records for the models, and records back as rows: one column per field (or
per field and category), cells turned into values by the field's kind."""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pydantic

from .._lazy import lazy_module
from ..errors import Issue
from ..models import (
    Category,
    Need,
    Organization,
    Region,
    catalog,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")
from .headers import (
    _FALSE,
    _LIST_SEPARATORS,
    _LITERALS,
    _TABLE_NAMES,
    _TRUE,
    _column_map,
    _expect,
    _header_key,
    _Kind,
    _kinds,
    _out_header,
    _pair_model,
)


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


def _object_array(values: list[Any]) -> npt.NDArray[np.object_]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _label(column: Any) -> str:
    return column.strip() if isinstance(column, str) else str(column)


def _json(text: str) -> Any:
    """The JSON value in ``text``, or ``text`` itself when it holds none."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or an integer longer than Python converts
        return text


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
