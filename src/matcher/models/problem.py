"""The problem document: regions, organizations, needs, policy and optional pair scores.

A :class:`Problem` is validated as a whole. Field errors and cross-references (unknown regions,
duplicate ids, a parent below its child, a scope the home region cannot have) are collected together
and raised as one :class:`~matcher.ProblemError` whose ``issues`` carry JSON paths.

Examples
--------
>>> import matcher
>>> problem = matcher.Problem.model_validate({
...     "regions": [{"id": "14", "name": "山西省", "level": "province"},
...                 {"id": "1401", "name": "太原市", "level": "city", "parent": "14"}],
...     "organizations": [{"id": "o1", "org_type": "agriculture", "scope": "province",
...                        "home_region": "14", "capabilities": {"industry": 0.9}}],
...     "needs": [{"id": "n1", "region": "1401", "category": "产业帮扶", "beneficiaries": 300}]})
>>> problem.index.n_needs, problem.index.org_capacity.tolist()
(1, [1])
>>> try:
...     matcher.Problem.model_validate({"regions": [], "organizations": [],
...                                     "needs": [{"id": "n1", "region": "nowhere", "category": "x"}]})
... except matcher.ProblemError as error:
...     for issue in error.issues:
...         print(issue)
needs[0].category: not one of industry, talent, employment, vulnerable, consumption, culture_tourism
needs[0].region: unknown region 'nowhere'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeAlias

import pydantic
from pydantic import Field, model_validator

from .._lazy import lazy_module
from ..errors import Issue, ProblemError, echo, shorten
from . import catalog
from .base import Id, Model
from .deferred import Deferred
from .html import escape, table_row
from .index import PairColumns, ProblemIndex
from .limits import MAX_DOCUMENT_BYTES, Score, parse_json
from .need import Need
from .organization import Organization
from .policy import Policy
from .region import Region
from .vocab import Category, Language, Level, Priority, Scope

if TYPE_CHECKING:
    import pandas as pd

    from .columnar import PairScoreRows
else:
    pd = lazy_module("pandas")

__all__ = ["PairRef", "PairScore", "Problem", "problem_html"]

#: A table: a DataFrame, or a mapping of column names to columns (lists, numpy arrays).
Table: TypeAlias = "pd.DataFrame | Mapping[str, Any]"


class PairScore(Model):
    """A score a portal computed itself for one (need, organization) pair."""

    need_id: Id
    org_id: Id
    score: Score


class PairRef(Model):
    """A (need, organization) pair named by ids."""

    need_id: Id
    org_id: Id


#: The problem's lists of pairs, checked alike: known ids, no duplicates.
_PAIR_LISTS = ("pair_scores", "pinned", "declined", "pending")


class Problem(Deferred):
    """Everything one matching round needs, validated and immutable.

    Build it with :meth:`model_validate` (a dict), :meth:`from_json` (a path or JSON text) or
    :meth:`from_frames` (pandas DataFrames). :attr:`index` lays it out as numpy arrays.

    Three lists of pairs carry the state of a dispatch round (派单 → 接单): ``pinned`` pairs are
    accepted offers that every plan keeps; ``declined`` pairs are offers an organization refused,
    never assigned again; ``pending`` pairs are offers still open, which earn the ``incumbent``
    score component so that a new plan moves them only when that is worth more than the
    disruption (``policy.weights.incumbent``).
    """

    regions: tuple[Region, ...]
    organizations: tuple[Organization, ...]
    needs: tuple[Need, ...]
    policy: Policy = Field(default_factory=Policy)
    pair_scores: tuple[PairScore, ...] | None = None
    pinned: tuple[PairRef, ...] = ()
    declined: tuple[PairRef, ...] = ()
    pending: tuple[PairRef, ...] = ()

    #: Built on first read when the problem was loaded from tables (:meth:`from_frames`);
    #: ``pair_scores`` also when given as a list of dicts (a JSON document).
    deferred_fields: ClassVar[tuple[str, ...]] = (
        "regions",
        "organizations",
        "needs",
        "pair_scores",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _validate_whole(
        cls, data: Any, handler: Callable[[Any], Self], info: pydantic.ValidationInfo
    ) -> Self:
        pairs = None
        items = data.get("pair_scores") if isinstance(data, Mapping) else None
        if isinstance(items, list | tuple) and not (info.context or {}).get(_BY_ROWS):
            from .columnar import PairScoreRows

            if PairScoreRows.takes(items):
                # The pair scores checked column by column, the rest of the document as usual.
                pairs = PairScoreRows.from_items(items)
                data = {key: value for key, value in data.items() if key != "pair_scores"}
        try:
            problem = handler(data)
        except pydantic.ValidationError as error:
            issues = _field_issues(error) + (pairs.issues if pairs else [])
            issues += _reference_issues(data, pairs, raw=True)
            raise ProblemError(sorted(set(issues), key=_issue_order)) from None
        if pairs is not None and pairs.issues:
            issues = pairs.issues + _reference_issues(data, pairs, raw=True)
            raise ProblemError(sorted(set(issues), key=_issue_order))
        issues = _reference_issues(problem, pairs, raw=False)
        if issues:
            raise ProblemError(sorted(set(issues), key=_issue_order))
        if pairs is not None:
            problem.__pydantic_fields_set__.add("pair_scores")
            problem.defer(pairs, ("pair_scores",))
        return problem

    @cached_property
    def index(self) -> ProblemIndex:
        """The problem as numpy arrays (built once, on first use)."""
        pairs = None
        pending = self.pending_builder("pair_scores")
        if pending is not None:
            from .columnar import pending_pair_columns

            pairs = pending_pair_columns(pending)
        if pairs is None and self.pair_scores is not None:
            pairs = _pair_columns(self.pair_scores)
        return ProblemIndex.build(
            self.regions,
            self.organizations,
            self.needs,
            pairs,
            pinned=[(p.need_id, p.org_id) for p in self.pinned],
            declined=[(p.need_id, p.org_id) for p in self.declined],
            pending=[(p.need_id, p.org_id) for p in self.pending],
        )

    def region(self, region_id: str) -> Region:
        """The region with id ``region_id``."""
        return self.regions[self.index.hierarchy.index(region_id)]

    def organization(self, org_id: str) -> Organization:
        """The organization with id ``org_id``."""
        return self.organizations[self.index.org_position[org_id]]

    def need(self, need_id: str) -> Need:
        """The need with id ``need_id``."""
        return self.needs[self.index.need_position[need_id]]

    @classmethod
    def from_json(cls, source: str | bytes | Path) -> Problem:
        """Read a problem from a JSON file path or from JSON text.

        Raises
        ------
        ProblemError
            When the file is missing, the text is not JSON, is larger or nests deeper than the
            limits (:mod:`matcher.models.limits`), or the document is invalid.
        """
        if not isinstance(source, str | bytes | bytearray | Path):
            raise ProblemError([Issue("", f"not JSON text or a path: {type(source).__name__}")])
        if isinstance(source, Path) or (
            isinstance(source, str) and not source.lstrip().startswith(("{", "["))
        ):
            path = Path(source)
            try:
                with path.open("rb") as file:  # no more than the limit, and one byte to tell
                    text: str | bytes = file.read(MAX_DOCUMENT_BYTES + 1)
            except OSError as error:
                message = f"cannot read {shorten(str(path))}: {error.strerror}"
                raise ProblemError([Issue("", message)]) from None
        else:
            text = source
        return cls.model_validate(parse_json(text))

    def replace(self, **changes: Any) -> Problem:
        """A new problem with some top-level fields replaced; this one is left untouched.

        Parameters
        ----------
        **changes
            ``regions``, ``organizations``, ``needs``, ``policy`` and/or ``pair_scores``, as models
            or plain data; the result is validated as a whole.

        Examples
        --------
        >>> import matcher
        >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
        >>> smaller = base.replace(organizations=base.organizations[:5])
        >>> len(smaller.organizations), len(base.organizations)
        (5, 10)
        """
        data = {name: getattr(self, name) for name in type(self).model_fields}
        unknown = sorted(set(changes) - set(data))
        if unknown:
            raise ProblemError([Issue.of(name, "error.unknown_field") for name in unknown])
        data.update(changes)
        return type(self).model_validate(data)

    def with_policy(self, **changes: Any) -> Problem:
        """A new problem whose policy has ``changes`` merged in (nested mappings merge too).

        Examples
        --------
        >>> import matcher
        >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
        >>> variant = base.with_policy(weights={"priority": 6})
        >>> variant.policy.weights.priority, variant.policy.weights.capability
        (6.0, 4.0)
        """
        merged = _merge(self.policy.model_dump(), changes)
        return self.replace(policy=merged)

    def _repr_html_(self) -> str:
        return problem_html(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """The problem as a JSON document that :meth:`from_json` reads back."""
        return self.model_dump_json(indent=indent, exclude_defaults=True)

    @classmethod
    def from_frames(
        cls,
        regions: Table,
        organizations: Table,
        needs: Table,
        *,
        policy: Policy | Mapping[str, Any] | None = None,
        pair_scores: Table | None = None,
    ) -> Problem:
        """Build a problem from tables, one row per entity.

        Each table is a DataFrame or a mapping of column names to columns (lists or numpy
        arrays). Columns are the fields of :class:`Region`, :class:`Organization` and
        :class:`Need`. An organization's capabilities come from columns ``capability_<category>``
        (for example ``capability_industry``); ``service_regions``, ``ratings`` and
        ``vulnerable_groups`` take lists or ``;``-separated text. Missing cells (NaN, None) mean
        "not given". ``pair_scores`` has columns ``need_id``, ``org_id`` and ``score``, one row
        per pair.

        The tables are checked column by column, with the same rules and the same issues (JSON
        paths such as ``needs[12].beneficiaries``) as :meth:`model_validate` on the same rows,
        and the index is built from the columns. The ``regions``, ``organizations``, ``needs``
        and ``pair_scores`` tuples are built on first use, so that solving a large problem does
        not pay for a Python object per row. (A document's list of pair scores, given to
        :meth:`model_validate` or :meth:`from_json`, is checked and kept the same way.)

        Raises
        ------
        ProblemError
            With every issue found, as :meth:`model_validate` reports them.

        Examples
        --------
        >>> import pandas as pd
        >>> problem = Problem.from_frames(
        ...     regions=pd.DataFrame({"id": ["14"], "level": ["province"]}),
        ...     organizations=pd.DataFrame({"id": ["o1"], "org_type": ["training"],
        ...         "scope": ["province"], "home_region": ["14"], "capability_talent": [0.8]}),
        ...     needs={"id": ["n1"], "region": ["14"], "category": ["人才培养"]})
        >>> problem.index.need_category.tolist()
        [1]
        >>> problem.organizations[0].capabilities
        {<Category.TALENT: 'talent'>: 0.8}
        """
        from .columnar import problem_from_tables

        return problem_from_tables(
            regions, organizations, needs, policy=policy, pair_scores=pair_scores
        )


def _from_frames_by_rows(
    regions: pd.DataFrame,
    organizations: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    policy: Policy | Mapping[str, Any] | None = None,
    pair_scores: pd.DataFrame | None = None,
) -> Problem:
    """:meth:`Problem.from_frames` one row at a time: a dict per row, validated as a document."""
    data = _row_document(regions, organizations, needs)
    if policy is not None:
        data["policy"] = policy
    if pair_scores is not None:
        data["pair_scores"] = _records(pair_scores)
    return _validate_by_rows(data)


#: Context key of :func:`_validate_by_rows`.
_BY_ROWS = "matcher.pair_scores_by_rows"


def _validate_by_rows(data: Any) -> Problem:
    """:meth:`Problem.model_validate` with every pair score validated as a model, one by one: the
    reference the columnar checks of pair scores must agree with."""
    return Problem.model_validate(data, context={_BY_ROWS: True})


def _pair_columns(scores: Sequence[PairScore]) -> PairColumns:
    """Pair score models as the columns :meth:`ProblemIndex.from_columns` takes."""
    return [p.need_id for p in scores], [p.org_id for p in scores], [p.score for p in scores]


def _row_document(
    regions: pd.DataFrame, organizations: pd.DataFrame, needs: pd.DataFrame
) -> dict[str, Any]:
    """The document the row path validates: one dict per table row, lists split, capabilities
    gathered from their ``capability_<category>`` columns."""
    return {
        "regions": _records(regions),
        "organizations": [_organization_record(row) for row in _records(organizations)],
        "needs": [_split_lists(row, "vulnerable_groups") for row in _records(needs)],
    }


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``changes``, merging nested mappings key by key."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- frames -----------------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.to_dict(orient="records")
    return [{str(k): v for k, v in row.items() if not _is_missing(v)} for row in rows]


def _is_missing(value: Any) -> bool:
    if isinstance(value, list | tuple | dict):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _split_lists(row: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if isinstance(row.get(name), str):
            row[name] = [part.strip() for part in row[name].split(";") if part.strip()]
    return row


def _organization_record(row: dict[str, Any]) -> dict[str, Any]:
    row = _split_lists(row, "service_regions", "ratings")
    capabilities = dict(row.pop("capabilities", {}) or {})
    for column in [c for c in row if c.startswith("capability_")]:
        capabilities[column.removeprefix("capability_")] = row.pop(column)
    row["capabilities"] = capabilities
    return row


# --- whole-document checks ---------------------------------------------------------------------


def _issue_order(issue: Issue) -> tuple[Any, ...]:
    # Sort by path with numeric indices compared as numbers: needs[10] after needs[9].
    parts: list[Any] = []
    for token in issue.path.replace("]", "").replace("[", ".").split("."):
        parts.append((0, int(token), "") if token.isdecimal() else (1, 0, token))
    return (parts, issue.message)


def _path(location: Iterable[int | str]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else str(part)
    return text


def _field_issues(
    error: pydantic.ValidationError, prefix: tuple[int | str, ...] = ()
) -> list[Issue]:
    """The issues of a validation error, at paths below ``prefix``."""
    issues = []
    for detail in error.errors(include_url=False):
        kind = detail["type"]
        location = prefix + tuple(detail["loc"])
        # A tagged union or a function-plain validator may append its own name: drop those.
        location = tuple(
            p for p in location if not (isinstance(p, str) and "[" in p and p != "[key]")
        )
        if kind == "extra_forbidden":
            issues.append(Issue.of(_path(location), "error.unknown_field"))
        elif kind == "missing":
            issues.append(Issue.of(_path(location), "error.missing"))
        elif kind == "enum":
            expected = detail.get("ctx", {}).get("expected", "")
            expected = expected.replace(chr(39), "").replace(" or ", ", ")
            issues.append(Issue.of(_path(location), "error.not_one_of", expected=expected))
        else:
            message = detail["msg"][:1].lower() + detail["msg"][1:]
            issues.append(Issue(_path(location), message))
    return issues


def _get(item: Any, name: str) -> Any:
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return value.strip() if isinstance(value, str) else value


def _items(data: Any, name: str) -> list[tuple[int, Any]]:
    items = _get(data, name) if isinstance(data, Mapping | pydantic.BaseModel) else None
    if not isinstance(items, list | tuple):
        return []
    return [
        (i, item) for i, item in enumerate(items) if isinstance(item, Mapping | pydantic.BaseModel)
    ]


def _as_scope(value: Any) -> Level | None:
    """The region level a valid scope value stands for (None for anything else)."""
    try:
        return Scope(value).level
    except ValueError:
        return None


def _as_level(value: Any) -> Level | None:
    try:
        return Level(value)
    except ValueError:
        return None


def _unique_ids(section: str, rows: RowValues, issues: list[Issue]) -> dict[str, int]:
    first: dict[str, int] = {}
    for i, item_id in zip(rows.positions, rows.columns.get("id", ()), strict=True):
        if not isinstance(item_id, str) or not item_id:
            continue
        at = first.setdefault(item_id, i)
        if at != i:
            issues.append(
                Issue.of(
                    f"{section}[{i}].id",
                    "error.duplicate_id",
                    id=echo(item_id),
                    first=f"{section}[{at}]",
                )
            )
    return first


#: The fields the cross-reference checks read, per section.
_REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "regions": ("id", "parent", "level"),
    "organizations": (
        "id",
        "home_region",
        "scope",
        "service_regions",
        "declines_regions",
        "prefers_regions",
    ),
    "needs": ("id", "region", "continues"),
    **{name: ("need_id", "org_id") for name in _PAIR_LISTS},
}


@dataclass(frozen=True)
class RowValues:
    """Some fields of a list of rows, column by column, for the cross-reference checks.

    ``positions[k]`` is the position in the document of the row whose values are
    ``columns[field][k]``; strings are stripped, as validation strips them.

    Examples
    --------
    >>> rows = RowValues.of({"needs": [{"id": " n1 ", "region": "14"}, "junk"]}, "needs")
    >>> list(rows.positions), dict(rows.columns)
    ([0], {'id': ['n1'], 'region': ['14'], 'continues': [None]})
    """

    positions: Sequence[int]
    columns: Mapping[str, Sequence[Any]]

    @classmethod
    def of(cls, data: Any, name: str) -> RowValues:
        """The rows of section ``name`` of a raw document or a validated problem."""
        fields = _REFERENCE_FIELDS[name]
        if isinstance(data, Problem):  # every row a model, its strings stripped
            rows = getattr(data, name) or ()
            return cls(range(len(rows)), {f: [getattr(row, f) for row in rows] for f in fields})
        items = _items(data, name)
        return cls(
            [i for i, _ in items],
            {field: [_get(item, field) for _, item in items] for field in fields},
        )


def _reference_issues(
    data: Any, pairs: PairScoreRows | None = None, *, raw: bool = True
) -> list[Issue]:
    """Cross-reference checks that work on raw dicts as well as on validated models; ``pairs``:
    the pair scores checked by columns (``raw``: with their rows as given)."""
    policy = _get(data, "policy") if isinstance(data, Mapping | pydantic.BaseModel) else None
    rules = _get(policy, "rules") if isinstance(policy, Mapping | pydantic.BaseModel) else None
    sections = {name: RowValues.of(data, name) for name in _REFERENCE_FIELDS}
    if pairs is not None:
        sections["pair_scores"] = pairs.reference_values(
            sections["needs"], sections["organizations"], raw
        )
    issues = reference_issues(
        sections, [(i, _get(rule, "region")) for i, rule in _items(rules, "regions")]
    )
    key = _get(rules, "key_projects_served") if rules is not None else None
    listed = _get(key, "needs") if isinstance(key, Mapping | pydantic.BaseModel) else None
    if isinstance(listed, list | tuple):
        known = set(sections["needs"].columns.get("id", ()))
        path = "policy.rules.key_projects_served.needs"
        for k, need_id in enumerate(listed):
            if isinstance(need_id, str) and need_id not in known:
                issues.append(Issue(f"{path}[{k}]", f"unknown need {echo(need_id)}"))
    return issues


def reference_issues(
    sections: Mapping[str, RowValues], rule_regions: Sequence[tuple[int, Any]] = ()
) -> list[Issue]:
    """Cross-reference checks of a whole problem given section by section.

    Parameters
    ----------
    sections
        ``regions``, ``organizations``, ``needs`` and the pair lists (``pair_scores``,
        ``pinned``, ``declined``, ``pending``; any may be left out), with the fields in
        :data:`_REFERENCE_FIELDS`, raw or validated.
    rule_regions
        ``(i, region)`` for each region rule of the policy, ``policy.rules.regions[i]``.

    Returns
    -------
    list of Issue
        Unsorted, possibly with repeats (the caller sorts and deduplicates).

    Examples
    --------
    >>> regions = RowValues([0, 1], {"id": ["14", "1401"], "parent": [None, "14"],
    ...                              "level": ["city", "province"]})
    >>> needs = RowValues([0, 1], {"id": ["n1", "n1"], "region": ["1401", "99"]})
    >>> for issue in sorted(reference_issues({"regions": regions, "needs": needs})):
    ...     print(issue)
    needs[1].id: duplicate id 'n1' (first at needs[0])
    needs[1].region: unknown region '99'
    regions[1].parent: a city cannot contain a province (parent '14' of '1401')
    """
    check = _References(sections)
    check.regions()
    check.organizations()
    for i, region_id in rule_regions:
        check.region(f"policy.rules.regions[{i}].region", region_id)
    check.needs()
    check.pairs()
    return check.issues


class _References:
    """The cross-reference checks of :func:`reference_issues`, section by section, and what they
    learn on the way (ids, parents and levels)."""

    def __init__(self, sections: Mapping[str, RowValues]) -> None:
        self.sections = sections
        self.empty = RowValues((), {})
        self.issues: list[Issue] = []
        self.region_at: dict[str, int] = {}
        self.org_at: dict[str, int] = {}
        self.need_at: dict[str, int] = {}
        self.parent_of: dict[str, str] = {}
        self.level_of: dict[str, Level] = {}
        self.ancestry: dict[str, set[Level] | None] = {}

    def regions(self) -> None:
        """Unique ids; known parents, each of a level above its child's."""
        regions = self.sections.get("regions", self.empty)
        issues = self.issues
        self.region_at = region_at = _unique_ids("regions", regions, issues)
        region_ids = regions.columns.get("id", ())
        region_levels = [_as_level(level) for level in regions.columns.get("level", ())]
        level_at = {
            i: level for i, level in zip(regions.positions, region_levels, strict=True)
        }  # position in the document -> the level of the region there
        for i, region_id, parent, level in zip(
            regions.positions,
            region_ids,
            regions.columns.get("parent", ()),
            region_levels,
            strict=True,
        ):
            if isinstance(region_id, str) and level is not None:
                self.level_of.setdefault(region_id, level)
            if not isinstance(parent, str) or not parent:
                continue
            if parent not in region_at:
                issues.append(
                    Issue.of(f"regions[{i}].parent", "error.unknown_region", id=echo(parent))
                )
                continue
            if isinstance(region_id, str):
                self.parent_of.setdefault(region_id, parent)
            parent_level = level_at[region_at[parent]]
            if level is not None and parent_level is not None and parent_level.depth >= level.depth:
                issues.append(
                    Issue.of(
                        f"regions[{i}].parent",
                        "error.cannot_contain",
                        parent_level_id=parent_level.value,
                        level_id=level.value,
                        parent_level=parent_level.label("zh"),
                        level=level.label("zh"),
                        parent=echo(parent),
                        id=echo(region_id),
                    )
                )

    def ancestor_levels(self, region_id: str) -> set[Level] | None:
        """Levels of the region and its ancestors; None when one of them has no valid level."""
        if region_id in self.ancestry:
            return self.ancestry[region_id]
        start = region_id
        found: set[Level] | None = set()
        seen = set()
        while region_id and region_id not in seen:
            if region_id not in self.level_of:
                found = None
                break
            seen.add(region_id)
            found.add(self.level_of[region_id])  # type: ignore[union-attr]
            region_id = self.parent_of.get(region_id, "")
        self.ancestry[start] = found
        return found

    def region(self, path: str, value: Any) -> bool:
        """Whether ``value`` names a region; an issue at ``path`` when it names an unknown one."""
        if isinstance(value, str) and value and value not in self.region_at:
            self.issues.append(Issue.of(path, "error.unknown_region", id=echo(value)))
            return False
        return isinstance(value, str)

    def organizations(self) -> None:
        """Unique ids; a home region inside the scope's level; known listed regions."""
        organizations = self.sections.get("organizations", self.empty)
        self.org_at = _unique_ids("organizations", organizations, self.issues)
        org_columns = organizations.columns
        for i, home, scope_value in zip(
            organizations.positions,
            org_columns.get("home_region", ()),
            org_columns.get("scope", ()),
            strict=True,
        ):
            if self.region(f"organizations[{i}].home_region", home):
                scope = _as_scope(scope_value)
                levels = self.ancestor_levels(home)
                if (
                    scope is not None
                    and scope is not Level.NATION
                    and levels is not None
                    and scope not in levels
                ):
                    self.issues.append(
                        Issue.of(
                            f"organizations[{i}].home_region",
                            "error.home_outside",
                            scope_id=scope.value,
                            scope=scope.label("zh"),
                            home=echo(home),
                        )
                    )
        for field in ("service_regions", "declines_regions", "prefers_regions"):
            for i, listed in zip(organizations.positions, org_columns.get(field, ()), strict=True):
                if isinstance(listed, list | tuple):
                    for k, region_id in enumerate(listed):
                        self.region(f"organizations[{i}].{field}[{k}]", region_id)

    def needs(self) -> None:
        """Unique ids; known regions; a followed-up project of a known organization."""
        needs = self.sections.get("needs", self.empty)
        self.need_at = _unique_ids("needs", needs, self.issues)
        for i, region_id in zip(needs.positions, needs.columns.get("region", ()), strict=True):
            if region_id.__class__ is str and region_id in self.region_at:
                continue  # the common case, checked quickly
            self.region(f"needs[{i}].region", region_id)
        for i, earlier in zip(needs.positions, needs.columns.get("continues", ()), strict=False):
            if isinstance(earlier, Mapping | pydantic.BaseModel):  # a need that follows up
                org_id = _get(earlier, "org_id")
                if isinstance(org_id, str) and org_id and org_id not in self.org_at:
                    path = f"needs[{i}].continues.org_id"
                    self.issues.append(
                        Issue.of(path, "error.unknown_organization", id=echo(org_id))
                    )

    def pairs(self) -> None:
        """Known needs and organizations in the pair lists; one accepted offer per need, never
        one that was declined."""
        pair_lists = {
            name: _pair_refs(
                self.sections.get(name, self.empty), name, self.need_at, self.org_at, self.issues
            )
            for name in _PAIR_LISTS
        }
        pinned_at: dict[str, int] = {}
        for (need_id, org_id), i in pair_lists["pinned"].items():
            if need_id in pinned_at:
                self.issues.append(Issue.of(f"pinned[{i}]", "error.pinned_twice", id=echo(need_id)))
            pinned_at.setdefault(need_id, i)
            if (need_id, org_id) in pair_lists["declined"]:
                self.issues.append(Issue.of(f"pinned[{i}]", "error.pinned_declined"))


def _pair_refs(
    pairs: RowValues,
    name: str,
    need_at: dict[str, int],
    org_at: dict[str, int],
    issues: list[Issue],
) -> dict[tuple[str, str], int]:
    """Check one list of pairs (known ids, no duplicates); its pairs with their positions."""
    seen: dict[tuple[str, str], int] = {}
    for i, need_id, org_id in zip(
        pairs.positions,
        pairs.columns.get("need_id", ()),
        pairs.columns.get("org_id", ()),
        strict=True,
    ):
        if isinstance(need_id, str) and need_id and need_id not in need_at:
            issues.append(Issue.of(f"{name}[{i}].need_id", "error.unknown_need", id=echo(need_id)))
        if isinstance(org_id, str) and org_id and org_id not in org_at:
            issues.append(
                Issue.of(f"{name}[{i}].org_id", "error.unknown_organization", id=echo(org_id))
            )
        if isinstance(need_id, str) and isinstance(org_id, str):
            if (need_id, org_id) in seen:
                first = seen[need_id, org_id]
                issues.append(
                    Issue.of(f"{name}[{i}]", "error.duplicate_pair", first=f"{name}[{first}]")
                )
            else:
                seen[need_id, org_id] = i
    return seen


def problem_html(problem: Problem, language: Language = "zh") -> str:
    """An HTML summary of a problem: sizes, needs by category and priority tier, organizations.

    Parameters
    ----------
    problem
        The problem.
    language
        ``"zh"`` or ``"en"`` labels.
    """
    index = problem.index
    tiers = list(Priority)
    categories = list(Category)
    need_tier = index.hierarchy.tier[index.need_region]
    counts = Counter(zip(index.need_category.tolist(), need_tier.tolist(), strict=True))
    head = table_row(
        [
            catalog.text("html.category", language),
            *(escape(t.label(language)) for t in tiers),
            catalog.text("html.total", language),
        ],
        header=True,
    )
    body = []
    for c, category in enumerate(categories):
        row = [counts.get((c, t), 0) for t in range(len(tiers))]
        if sum(row):
            body.append(
                table_row([escape(category.label(language)), *map(str, row), str(sum(row))])
            )
    capacity = sum(o.max_projects for o in problem.organizations)
    barred = sum(o.credit in problem.policy.barred_credit for o in problem.organizations)
    scopes = Counter(o.scope.label(language) for o in problem.organizations)
    scope_text = " · ".join(f"{escape(s)} {n}" for s, n in scopes.most_common())
    title = catalog.text(
        "html.problem",
        language,
        regions=len(problem.regions),
        organizations=len(problem.organizations),
        needs=len(problem.needs),
    )
    orgs = catalog.text(
        "html.organizations", language, capacity=capacity, barred=barred, scopes=scope_text
    )
    caption = catalog.text("html.needs_caption", language)
    return (
        f"<div><strong>{title}</strong><p>{orgs}</p>"
        f"<table><caption>{caption}</caption>{head}{''.join(body)}</table></div>"
    )
