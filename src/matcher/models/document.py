"""What a problem document is made of below the problem itself: pair models and the checks.

The pair models (:class:`PairScore`, :class:`PairRef`), the reading of table rows into a document,
the issues pydantic's errors become (with their JSON paths) and the cross-reference checks that
work alike on a raw document, on a validated :class:`~matcher.Problem` and on columns
(:func:`reference_issues`). :mod:`matcher.models.problem` and the column-by-column reader
:mod:`matcher.models.columnar` both build on them, so neither needs the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import pydantic

from .._lazy import lazy_module
from ..errors import Issue, echo
from .base import Id, Model
from .index import PairColumns
from .limits import Score
from .vocab import Level, Scope

if TYPE_CHECKING:
    import pandas as pd

    from .columnar import PairScoreRows
else:
    pd = lazy_module("pandas")

__all__ = ["PairRef", "PairScore", "RowValues", "Table", "reference_issues"]

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
        if isinstance(data, pydantic.BaseModel):  # a validated problem: models, strings stripped
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
