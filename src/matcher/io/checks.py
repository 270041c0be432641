"""The checks an untrusted table passes before validation, and where each issue came from (file,
sheet, row, header)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pydantic

from .._lazy import lazy_module
from ..errors import Issue, ProblemError
from ..models import (
    Need,
    Organization,
    Region,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")
from .files import _NO_HEADER, _Loaded, _missing_tables
from .headers import _TABLE_NAMES, _column_map, _Kind, _kinds, _out_header, _pair_model
from .rows import (
    _is_zh,
    _json,
    _label,
    _missing,
    _object_array,
    _say,
    _scalar,
    _section_of,
    _shown,
    _Unreadable,
)


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
