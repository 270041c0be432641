"""Problems from tables (DataFrames, CSV, Excel, Parquet, a folder or a workbook) and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pydantic

from .._lazy import lazy_module
from ..errors import Issue, OptionError, ProblemError
from ..models import (
    Need,
    Organization,
    Problem,
    Region,
    catalog,
)
from ..models.columnar import problem_from_tables as problem_from_columns
from ..models.vocab import Language

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")
from .checks import _checked_tables, _located, _named_sections
from .files import (
    _file_errors,
    _load_sources,
    _Loaded,
    _missing_tables,
    _path,
    _read_collection,
    _require,
    _write_csv,
    _write_workbook,
)
from .headers import _TABLE_NAMES, _checked_language, _expect, _pair_sections
from .rows import (
    _field_columns,
    _flatten,
    _is_scalar,
    _is_zh,
    _model_frame,
    _pair_frame,
    _pair_records,
    _policy_from_frame,
    need_records,
    organization_records,
    region_records,
)

Source: TypeAlias = "str | Path | pd.DataFrame"


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
    loaded = _load_problem_tables(source, organizations, needs, pair_scores)
    zh = {
        section: table.origin.zh if table.origin else _is_zh(table.name, *table.frame.columns)
        for section, table in loaded.items()
    }
    try:
        return _problem({s: t.frame for s, t in loaded.items()}, policy, zh=zh)
    except ProblemError as error:
        raise ProblemError(_located(error.issues, loaded)) from None


def _load_problem_tables(
    source: Source,
    organizations: Source | None,
    needs: Source | None,
    pair_scores: Source | None,
) -> dict[str, _Loaded]:
    """The tables :func:`read_problem` reads, by section; an issue for each one missing."""
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
    return loaded


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
        raise OptionError.of("error.table_format", value=repr(format))
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
                Problem,
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
