"""Tables straight to a validated problem, checked column by column.

:meth:`Problem.from_frames <matcher.Problem.from_frames>` lands here. Each column of the regions,
organizations and needs tables is checked as a whole (numpy and pandas where they help, one
tight loop where not): a cell passes when it is already in the form validation would keep (a
string with no surrounding blanks, a finite number within the field's bounds, a label any
language names, ...). The few rows with a cell that does not pass go through the models' own
validation, one dict per row exactly as the row path builds it, so that every message and
every accepted spelling is the models' own. The cross-reference checks are the ones
:meth:`Problem.model_validate <matcher.Problem.model_validate>` runs, fed with columns.

The result is a :class:`~matcher.Problem` whose index is built from the columns and whose
``regions``, ``organizations`` and ``needs`` tuples are built on first use, without validating
again, from the checked values (:class:`TableRows`).

Pair scores, often the longest list by far, are checked the same way whether they come as a
table or as a document's list of dicts (:class:`PairScoreRows`): ids and scores column by column,
the doubtful rows through :class:`~matcher.models.problem.PairScore`, and the cross-references
(unknown ids, duplicate pairs) by hashing, so that only the rows that may have an issue go
through the one check that words it. Their ``pair_scores`` tuple is built on first use too.

Examples
--------
>>> import pandas as pd, matcher
>>> problem = problem_from_tables(matcher.Problem,
...     regions={"id": ["14", "1401"], "level": ["省", "city"], "parent": [None, "14"]},
...     organizations=pd.DataFrame({"id": ["o1"], "org_type": ["training"], "scope": ["province"],
...                                 "home_region": ["14"], "capability_talent": [0.8]}),
...     needs=pd.DataFrame({"id": ["n1", "n2"], "region": ["1401", "1401"],
...                         "category": ["talent", "人才培养"], "beneficiaries": [120, -5]}))
Traceback (most recent call last):
...
matcher.errors.ProblemError: 1 problem in the input
  needs[1].beneficiaries: input should be greater than or equal to 0
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pydantic

from .._lazy import lazy_module
from ..errors import Issue, ProblemError
from .base import MAX_COUNT, Model
from .document import (
    _PAIR_LISTS,
    _REFERENCE_FIELDS,
    PairRef,
    PairScore,
    RowValues,
    Table,
    _field_issues,
    _get,
    _issue_order,
    _organization_record,
    _pair_columns,
    _records,
    _row_document,
    _split_lists,
    reference_issues,
)
from .index import CodedIds, PairColumns, ProblemIndex
from .limits import MAX_MONEY, MAX_SCORE
from .need import Need
from .organization import Organization
from .policy import Policy
from .region import Region
from .vocab import Category, Credit, Level, OrgType, Priority, Scope, VulnerableGroup

if TYPE_CHECKING:
    import pandas as pd

    from .problem import Problem
else:
    pd = lazy_module("pandas")

__all__ = ["PairScoreRows", "TableRows", "pending_pair_columns", "problem_from_tables"]

BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]

#: Integers beyond this do not survive a float64 column; such cells go through validation.
_EXACT_INTEGERS = 2.0**53


@dataclass(frozen=True)
class _Kind:
    """What a field accepts, as far as the column checks go (anything else: row validation)."""

    kind: Literal["id", "str", "enum", "int", "float", "bool", "literal", "list", "row"]
    optional: bool = False  # None is a valid value (``X | None``)
    enum: type[enum.Enum] | None = None
    low: float = -np.inf
    high: float = np.inf
    choices: tuple[str, ...] = ()
    item: _Kind | None = None  # of a list
    split: bool = False  # a list may be given as ";"-separated text


_ID = _Kind("id")
_STR = _Kind("str")
_ROW = _Kind("row")
_CATEGORIES = _Kind("list", item=_Kind("enum", enum=Category))
_REGION_IDS = _Kind("list", item=_ID)

#: The column checks of each model's fields; a field missing here is left to row validation.
_KINDS: dict[str, dict[str, _Kind]] = {
    "regions": {
        "id": _ID,
        "name": _STR,
        "level": _Kind("enum", enum=Level),
        "parent": _Kind("id", optional=True),
        "priority": _Kind("enum", optional=True, enum=Priority),
        "lat": _Kind("float", optional=True, low=-90.0, high=90.0),
        "lon": _Kind("float", optional=True, low=-180.0, high=180.0),
    },
    "organizations": {
        "id": _ID,
        "name": _STR,
        "org_type": _Kind("enum", enum=OrgType),
        "scope": _Kind("enum", enum=Scope),
        "home_region": _ID,
        "service_regions": _Kind("list", optional=True, item=_ID, split=True),
        "capabilities": _ROW,  # built from the capability_<category> columns
        "max_projects": _Kind("int", low=0, high=MAX_COUNT),
        "credit": _Kind("enum", enum=Credit),
        "ratings": _Kind("list", item=_Kind("int", low=1, high=5), split=True),
        "acceptance": _ROW,
        "budget": _Kind("float", optional=True, low=0.0, high=MAX_MONEY),
        "inspection_passed": _Kind("bool"),
        "grade": _Kind("int", low=0, high=5),
        "declines_regions": _REGION_IDS,
        "declines_categories": _CATEGORIES,
        "prefers_regions": _REGION_IDS,
        "prefers_categories": _CATEGORIES,
    },
    "needs": {
        "id": _ID,
        "region": _ID,
        "category": _Kind("enum", enum=Category),
        "title": _STR,
        "beneficiaries": _Kind("int", low=0, high=MAX_COUNT),
        "vulnerable_groups": _Kind("list", item=_Kind("enum", enum=VulnerableGroup), split=True),
        "cost": _Kind("float", low=0.0, high=MAX_MONEY),
        "continues": _ROW,
        "partners": _Kind("int", low=1, high=MAX_COUNT),
        "lead_primary": _Kind("bool"),
        "aid": _Kind("literal", choices=("direct_aid", "capacity_building")),
        "merit": _Kind("float", low=0.0, high=100.0),
    },
    "pair_scores": {
        "need_id": _ID,
        "org_id": _ID,
        "score": _Kind("float", low=-MAX_SCORE, high=MAX_SCORE),
    },
}

_MODELS: dict[str, type[Model]] = {
    "regions": Region,
    "organizations": Organization,
    "needs": Need,
    "pair_scores": PairScore,
}

#: How the row path turns one table row into the dict it validates.
_PREPARE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "regions": lambda row: row,
    "organizations": _organization_record,
    "needs": lambda row: _split_lists(row, "vulnerable_groups"),
}

_CAPABILITY = "capability_"
_UNIT = _Kind("float", low=0.0, high=1.0)


@dataclass
class _Section:
    """One table, checked: every field's values (defaults filled in) and its rows' fields set."""

    name: str
    size: int
    columns: dict[str, list[Any]]
    fields_set: list[frozenset[str]]
    validated: dict[int, Model] = field(default_factory=dict)  # rows that went through the model
    raw: dict[int, dict[str, Any]] = field(default_factory=dict)  # their row-path dicts
    issues: list[Issue] = field(default_factory=list)

    def reference_values(self, raw: bool) -> RowValues:
        """The fields the cross-reference checks read; ``raw``: as the rows were given."""
        fields = _REFERENCE_FIELDS[self.name]
        columns = {name: list(self.columns[name]) for name in fields}
        if raw:
            for row, record in self.raw.items():
                for name in fields:
                    columns[name][row] = _get(record, name)
        return RowValues(range(self.size), columns)


@dataclass(frozen=True)
class TableRows:
    """The checked rows of a problem loaded from tables; :meth:`rows` builds their models.

    A model is built the way :meth:`pydantic.BaseModel.model_construct` builds one, with the
    values and the set of given fields that validating the row would give: the values were
    checked column by column, so nothing is validated twice.
    """

    sections: Mapping[str, _Section]
    pairs: PairScoreRows | None = None

    def rows(self, name: str) -> tuple[Model, ...]:
        """The models of ``name`` (``regions``, ``organizations``, ``needs`` or
        ``pair_scores``), in table order."""
        if name == "pair_scores" and self.pairs is not None:
            return self.pairs.rows(name)
        section = self.sections[name]
        model = _MODELS[name]
        fields = tuple(model.model_fields)
        columns = [section.columns[f] for f in fields]
        return _constructed(model, fields, columns, section.fields_set, section.validated)


def _constructed(
    model: type[Model],
    fields: Sequence[str],
    columns: Sequence[Sequence[Any]],
    fields_set: Sequence[frozenset[str]],
    validated: Mapping[int, Model],
) -> tuple[Model, ...]:
    """Models of checked rows, built as :meth:`pydantic.BaseModel.model_construct` builds them
    (``fields_set``: each row's given fields), the ``validated`` ones kept as they are."""
    new = object.__new__
    set_attribute = object.__setattr__
    rows: list[Model] = []
    append = rows.append
    for values, given in zip(zip(*columns, strict=True), fields_set, strict=True):
        row = new(model)
        set_attribute(row, "__dict__", dict(zip(fields, values, strict=True)))
        set_attribute(row, "__pydantic_fields_set__", set(given))
        set_attribute(row, "__pydantic_extra__", None)
        set_attribute(row, "__pydantic_private__", None)
        append(row)
    for position, model_row in validated.items():
        rows[position] = model_row
    return tuple(rows)


def problem_from_tables(
    cls: type[Problem],
    regions: Table,
    organizations: Table,
    needs: Table,
    *,
    policy: Policy | Mapping[str, Any] | None = None,
    pair_scores: Table | None = None,
    pair_rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> Problem:
    """A problem from tables, checked column by column (see the module notes).

    Same arguments, result and errors as :meth:`Problem.from_frames
    <matcher.Problem.from_frames>`, which calls it with its class ``cls`` (this module sits below
    the problem's); ``pair_rows`` gives lists of pairs (``pair_scores``, ``pinned``, ``declined``,
    ``pending``) as dicts, as a document has them.
    """
    frames = {
        "regions": _frame(regions),
        "organizations": _frame(organizations),
        "needs": _frame(needs),
    }
    pair_lists = dict(pair_rows or {})
    score_frame = None if pair_scores is None else _frame(pair_scores)
    tables = [*frames.values(), *([] if score_frame is None else [score_frame])]
    if any(frame.columns.map(str).has_duplicates for frame in tables):
        # Two columns for one field: only the row path knows which one wins.
        document = _row_document(**frames) | pair_lists
        if score_frame is not None:
            document["pair_scores"] = _records(score_frame)
        if policy is not None:
            document["policy"] = policy
        return cls.model_validate(document)
    sections = {name: _check(name, frame) for name, frame in frames.items()}
    pairs = None
    if score_frame is not None:
        pairs = PairScoreRows.from_frame(score_frame)
    elif PairScoreRows.takes(pair_lists.get("pair_scores")):
        pairs = PairScoreRows.from_items(pair_lists.pop("pair_scores"))
    issues = [issue for section in sections.values() for issue in section.issues]
    if pairs is not None:
        issues += pairs.issues
    given, checked, field_issues = _checked_fields(policy, pair_lists)
    issues += field_issues
    issues += _references(sections, given if issues else checked, pairs, raw=bool(issues))
    if issues:
        raise ProblemError(sorted(set(issues), key=_issue_order))
    index = _index(sections, pairs, checked)
    # The fields given, checked; model_construct fills in the defaults of the others.
    pending = ("regions", "organizations", "needs", *(("pair_scores",) if pairs else ()))
    problem = cls.with_pending_rows(
        TableRows(sections, pairs), pending, **{name: checked[name] for name in given}
    )
    problem.__dict__["index"] = index
    return problem


def _checked_fields(
    policy: Policy | Mapping[str, Any] | None, pair_lists: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[Issue]]:
    """The policy and the lists of pairs as given, the same validated (a default policy when
    none is given, the given value where validation fails), and the issues found."""
    issues: list[Issue] = []
    given: dict[str, Any] = {}
    checked: dict[str, Any] = {"policy": Policy()}
    if policy is not None:
        given["policy"] = checked["policy"] = policy
        try:
            checked["policy"] = Policy.model_validate(policy)
        except pydantic.ValidationError as error:
            issues += _field_issues(error, ("policy",))
    for name in _PAIR_LISTS:
        if name in pair_lists:
            given[name] = checked[name] = pair_lists[name]
            try:
                checked[name] = _PAIRS[name].validate_python(pair_lists[name])
            except pydantic.ValidationError as error:
                issues += _field_issues(error, (name,))
    return given, checked, issues


def _index(
    sections: Mapping[str, _Section], pairs: PairScoreRows | None, checked: Mapping[str, Any]
) -> ProblemIndex:
    """The index of a problem checked without issues, from its columns and validated pairs."""
    scores = checked.get("pair_scores")
    refs = {
        name: [(p.need_id, p.org_id) for p in checked.get(name, ())]
        for name in ("pinned", "declined", "pending")
    }
    if pairs is not None:
        score_columns: PairColumns | None = pairs.columns()
    elif scores is not None:
        score_columns = _pair_columns(scores)
    else:
        score_columns = None
    return ProblemIndex.from_columns(
        sections["regions"].columns,
        sections["organizations"].columns,
        sections["needs"].columns,
        score_columns,
        **refs,
    )


_SCORES = pydantic.TypeAdapter(tuple[PairScore, ...])
_REFS = pydantic.TypeAdapter(tuple[PairRef, ...])
_PAIRS = {name: _SCORES if name == _PAIR_LISTS[0] else _REFS for name in _PAIR_LISTS}


def _frame(table: Table) -> pd.DataFrame:
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))


def _references(
    sections: Mapping[str, _Section],
    document: Mapping[str, Any],
    pairs: PairScoreRows | None,
    *,
    raw: bool,
) -> list[Issue]:
    """The cross-reference issues: from the values as given when validation found issues (as the
    row path does), from the validated ones otherwise. ``document`` holds the policy and the
    lists of pairs, given or validated likewise; ``pairs`` the pair scores checked by columns."""
    values = {name: section.reference_values(raw) for name, section in sections.items()}
    for name in _PAIR_LISTS:
        values[name] = RowValues.of({name: document.get(name)}, name)
    if pairs is not None:
        values["pair_scores"] = pairs.reference_values(
            values["needs"], values["organizations"], raw
        )
    policy = document.get("policy")
    rules = _get(policy, "rules") if isinstance(policy, Mapping | pydantic.BaseModel) else None
    regions = _get(rules, "regions") if isinstance(rules, Mapping | pydantic.BaseModel) else None
    rule_regions = [
        (i, _get(rule, "region"))
        for i, rule in enumerate(regions if isinstance(regions, list | tuple) else ())
        if isinstance(rule, Mapping | pydantic.BaseModel)
    ]
    return reference_issues(values, rule_regions)


# --- pair scores -----------------------------------------------------------------------------------

_PAIR_FIELDS = ("need_id", "org_id", "score")


@dataclass
class PairScoreRows:
    """Pair scores checked column by column; :meth:`rows` builds their models on first use.

    ``need_id``, ``org_id`` and ``score`` hold each row's checked values; ``validated`` the
    models of the rows that went through :class:`~matcher.models.problem.PairScore` (``raw``:
    those rows as given) and ``issues`` what that found, at paths such as
    ``pair_scores[1].score``.

    Examples
    --------
    >>> pairs = PairScoreRows.from_items([{"need_id": "n1", "org_id": "o1", "score": 2},
    ...                                   {"need_id": "n2", "org_id": " o1", "score": "x"}])
    >>> pairs.score[0], sorted(pairs.raw), [issue.path for issue in pairs.issues]
    (np.float64(2.0), [1], ['pair_scores[1].score'])
    """

    need_id: ObjectArray
    org_id: ObjectArray
    score: FloatArray
    coded: tuple[_Coded, _Coded] | None = None  # the ids coded, when no row was validated
    validated: dict[int, PairScore] = field(default_factory=dict)
    raw: dict[int, Any] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @staticmethod
    def takes(items: Any) -> bool:
        """Whether a document's ``pair_scores`` is a list for this class: not empty, and not
        made of :class:`~matcher.models.problem.PairScore` models already."""
        if not isinstance(items, list | tuple) or not items:
            return False
        return items[0].__class__ is dict or set(map(type, items)) != {PairScore}

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PairScoreRows:
        """Check a table of pair scores (a missing cell: the field is not given)."""
        size = len(frame)
        unsure = np.zeros(size, bool)
        columns: dict[str, Any] = {}
        for position, column in enumerate(frame.columns):
            series = frame.iloc[:, position]
            if str(column) in _PAIR_FIELDS:
                columns[str(column)] = series
            else:
                unsure |= series.notna().to_numpy(bool)  # an unknown field: the model names it
        empty = pd.Series(np.full(size, None, object))
        need, org, score = (columns.get(name, empty) for name in _PAIR_FIELDS)
        return cls._check(
            need, org, score, unsure, lambda rows: _records(frame.iloc[np.asarray(rows)])
        )

    @classmethod
    def from_items(cls, items: Sequence[Any]) -> PairScoreRows:
        """Check a document's list of pair scores: dicts, as JSON gives them (anything else
        goes to the model, which names what is wrong)."""
        size = len(items)
        dicts: Sequence[Any] = items
        unsure = np.zeros(size, bool)
        if set(map(type, items)) != {dict}:
            dicts = [item if item.__class__ is dict else {} for item in items]
            unsure = np.fromiter((item.__class__ is not dict for item in items), bool, size)
        # Three known keys with usable values leave no room for another key.
        unsure |= np.fromiter(map(len, dicts), np.int64, size) != len(_PAIR_FIELDS)
        need, org, score = (list(map(dict.get, dicts, repeat(name))) for name in _PAIR_FIELDS)
        return cls._check(
            _objects(need),
            _objects(org),
            _scores(score),
            unsure,
            lambda rows: [items[r] for r in rows],
        )

    @classmethod
    def _check(
        cls,
        need: Any,
        org: Any,
        score: pd.Series,
        unsure: BoolArray,
        records: Callable[[npt.NDArray[np.intp]], Sequence[Any]],
    ) -> PairScoreRows:
        """Check the columns; ``unsure`` rows and those with a cell that does not pass go
        through the model, fed with ``records(rows)``: the rows as the row path has them."""
        kinds = _KINDS["pair_scores"]
        need_id, need_good, need_coded = _ids(need)
        org_id, org_good, org_coded = _ids(org)
        numbers, score_good = _number_array(score, kinds["score"], score.isna().to_numpy(bool))
        rows = np.flatnonzero(unsure | ~need_good | ~org_good | ~score_good)
        coded = None
        if need_coded is not None and org_coded is not None and not rows.size:
            coded = need_coded, org_coded
        pairs = cls(need_id, org_id, numbers, coded)
        if rows.size:
            for row, item in zip(rows.tolist(), records(rows), strict=True):
                pairs.raw[row] = item
                try:
                    validated = PairScore.model_validate(item)
                except pydantic.ValidationError as error:
                    pairs.issues += _field_issues(error, ("pair_scores", row))
                    continue
                pairs.validated[row] = validated
                need_id[row], org_id[row] = validated.need_id, validated.org_id
                numbers[row] = validated.score
        return pairs

    def columns(self) -> PairColumns:
        """The checked pairs for :meth:`ProblemIndex.from_columns`; valid once no issue is
        left."""
        if self.coded is None:
            return self.need_id, self.org_id, self.score
        (need_codes, needs), (org_codes, orgs) = self.coded
        return CodedIds(need_codes, needs), CodedIds(org_codes, orgs), self.score

    def reference_values(self, needs: RowValues, organizations: RowValues, raw: bool) -> RowValues:
        """The rows the cross-reference checks must see: those naming a need or an
        organization that ``needs`` or ``organizations`` do not have, and every copy of a pair
        given twice; ``raw``: their values as given (see :meth:`_Section.reference_values`).

        The other rows name known ids and distinct pairs: the checks find nothing there.
        """
        need_ref, org_ref = self.need_id, self.org_id
        coded = self.coded
        if coded is None or (raw and self.raw):
            if raw and self.raw:
                need_ref, org_ref = need_ref.copy(), org_ref.copy()
                for row, item in self.raw.items():
                    plain = isinstance(item, Mapping | pydantic.BaseModel)
                    need_ref[row] = _text(_get(item, "need_id")) if plain else None
                    org_ref[row] = _text(_get(item, "org_id")) if plain else None
            coded = _coded(need_ref), _coded(org_ref)
        (need_code, _), (org_code, org_distinct) = coded
        clean = _known(coded[0], needs.columns.get("id", ()))
        clean &= _known(coded[1], organizations.columns.get("id", ()))
        keys = need_code[clean] * len(org_distinct) + org_code[clean]
        doubtful = ~clean
        doubtful[clean] = _repeated(keys, len(coded[0][1]) * len(org_distinct))
        rows = np.flatnonzero(doubtful)
        return RowValues(
            rows.tolist(), {"need_id": need_ref[rows].tolist(), "org_id": org_ref[rows].tolist()}
        )

    def rows(self, name: str = "pair_scores") -> tuple[Model, ...]:
        """The :class:`~matcher.models.problem.PairScore` models, in order."""
        columns = [self.need_id.tolist(), self.org_id.tolist(), self.score.tolist()]
        given = [frozenset(_PAIR_FIELDS)] * len(self.score)
        return _constructed(PairScore, _PAIR_FIELDS, columns, given, self.validated)


def pending_pair_columns(builder: Any) -> PairColumns | None:
    """The pair scores a problem's ``builder`` (of its pending rows) holds as columns, if any."""
    if isinstance(builder, TableRows):
        builder = builder.pairs
    return builder.columns() if isinstance(builder, PairScoreRows) else None


def _objects(values: list[Any]) -> ObjectArray:
    return np.fromiter(values, object, len(values))


def _scores(cells: list[Any]) -> pd.Series:
    """A list of scores as a column: floats when they are all plain numbers."""
    if set(map(type, cells)) <= {float, int}:
        try:
            return pd.Series(np.array(cells, np.float64))
        except OverflowError:  # an integer no float holds: the model says so
            pass
    return pd.Series(cells, dtype=object)


def _coded(values: ObjectArray) -> _Coded:
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=object)


def _text(value: Any) -> str | None:
    """A pair's id as the cross-reference checks see it: text, or nothing they look at."""
    return value if isinstance(value, str) else None


def _ids(cells: Any) -> tuple[ObjectArray, BoolArray, _Coded | None]:
    """An id column's values, which of them are sure to pass as they are, and the values coded.

    Cells are checked once per distinct value (a long list of pairs names few ids), and the
    values come from the distinct ones (missing cells: ``None``).
    """
    try:
        codes, uniques = pd.factorize(cells)
    except TypeError:  # a cell that cannot be hashed (a list, a dict): one by one
        values = np.array(cells, dtype=object, copy=True).reshape(-1)
        _, good = _scalars(values.tolist(), _ID)
        return values, good, None
    distinct = np.asarray(uniques, dtype=object)
    _, good_distinct = _scalars(distinct.tolist(), _ID)
    values = np.append(distinct, np.array([None], object))[codes]  # code -1: missing
    return values, np.append(good_distinct, False)[codes], (codes, distinct)


#: Values given as codes (-1: missing) into their distinct values.
_Coded = tuple[npt.NDArray[np.intp], ObjectArray]


def _known(coded: _Coded, ids: Sequence[Any]) -> BoolArray:
    """Whether each coded value is among ``ids`` (text, not empty)."""
    codes, distinct = coded
    listed = {i for i in ids if isinstance(i, str) and i}
    known = np.fromiter((u in listed for u in distinct.tolist()), bool, len(distinct))
    return np.append(known, False)[codes]


def _repeated(keys: npt.NDArray[np.intp], span: int) -> BoolArray:
    """Which keys (in ``[0, span)``) occur more than once.

    >>> _repeated(np.array([3, 1, 3, 0]), 4).tolist()
    [True, False, True, False]
    >>> _repeated(np.array([10**9, 1, 10**9, 5]), 10**12).tolist()  # too many to count
    [True, False, True, False]
    """
    if span <= 8 * len(keys) + 1024:  # counted straight
        return np.bincount(keys, minlength=span)[keys] > 1
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    repeated = np.zeros(len(keys), bool)
    repeated[order[1:][same]] = True
    repeated[order[:-1][same]] = True
    return repeated


# --- one table ----------------------------------------------------------------------------------


def _check(name: str, frame: pd.DataFrame) -> _Section:
    """Check one table column by column; the rows with a cell that does not pass, row by row."""
    model = _MODELS[name]
    kinds = _KINDS[name]
    size = len(frame)
    values: dict[str, list[Any]] = {}
    given: dict[str, BoolArray] = {}
    unsure = np.zeros(size, bool)  # rows that go through the model
    capability_columns: list[tuple[Category, list[Any], BoolArray]] = []
    for position, column in enumerate(frame.columns):
        label = str(column)
        series = frame.iloc[:, position]
        missing = series.isna().to_numpy(bool)
        kind = kinds.get(label)
        if name == "organizations" and label.startswith(_CAPABILITY):
            category = _member(Category, label.removeprefix(_CAPABILITY))
            if category is None or any(category is c for c, _, _ in capability_columns):
                unsure |= ~missing  # a key the model rejects, or a second column for one key
                continue
            converted, good = _convert(series, _UNIT, missing)
            unsure |= ~missing & ~good
            capability_columns.append((category, converted, ~missing))
            continue
        if kind is None or kind.kind == "row":
            unsure |= ~missing  # an unknown field, or one only the model reads
            continue
        converted, good = _convert(series, kind, missing)
        unsure |= ~missing & ~good
        values[label] = converted
        given[label] = ~missing
    if name == "organizations":
        values["capabilities"] = _capabilities(capability_columns, size)
        given["capabilities"] = np.ones(size, bool)
    for label, info in model.model_fields.items():
        if info.is_required():
            unsure |= ~given.get(label, np.zeros(size, bool))
    section = _Section(name, size, _fill(model, values, given, size), _fields_set(given, size))
    rows = np.flatnonzero(unsure)
    if rows.size:
        _validate_rows(section, frame, rows)
    return section


def _validate_rows(section: _Section, frame: pd.DataFrame, rows: npt.NDArray[np.intp]) -> None:
    """Validate ``rows`` of the table as the row path does; keep their models or issues."""
    model = _MODELS[section.name]
    prepare = _PREPARE[section.name]
    for row, record in zip(rows.tolist(), _records(frame.iloc[rows]), strict=True):
        record = prepare(record)
        section.raw[row] = record
        try:
            validated = model.model_validate(record)
        except pydantic.ValidationError as error:
            section.issues += _field_issues(error, (section.name, row))
            continue
        section.validated[row] = validated
        for label, value in validated.__dict__.items():
            section.columns[label][row] = value


def _fill(
    model: type[Model], values: dict[str, list[Any]], given: dict[str, BoolArray], size: int
) -> dict[str, list[Any]]:
    """Every field's values, the default where a cell is not given."""
    filled: dict[str, list[Any]] = {}
    for label, info in model.model_fields.items():
        if info.default_factory is not None:
            factory: Callable[[], Any] = info.default_factory  # type: ignore[assignment]
            column = values.get(label, [None] * size)
            mask = given.get(label, np.zeros(size, bool)).tolist()
            filled[label] = [v if g else factory() for v, g in zip(column, mask, strict=True)]
        elif label not in values:
            filled[label] = [None if info.is_required() else info.default] * size
        else:
            default = None if info.is_required() else info.default
            mask = given[label].tolist()
            filled[label] = [v if g else default for v, g in zip(values[label], mask, strict=True)]
    return filled


def _fields_set(given: Mapping[str, BoolArray], size: int) -> list[frozenset[str]]:
    """The fields given in each row, as validation would record them."""
    labels = list(given)
    code = np.zeros(size, np.int64)
    for bit, label in enumerate(labels):
        code |= given[label].astype(np.int64) << bit
    patterns, inverse = np.unique(code, return_inverse=True)
    sets = [
        frozenset(label for bit, label in enumerate(labels) if pattern >> bit & 1)
        for pattern in patterns.tolist()
    ]
    return [sets[k] for k in np.asarray(inverse).reshape(-1).tolist()]


def _capabilities(
    columns: Sequence[tuple[Category, list[Any], BoolArray]], size: int
) -> list[dict[Category, float]]:
    """Each organization's capabilities from its capability_<category> cells, in column order."""
    if not columns:
        return [{} for _ in range(size)]
    categories = [category for category, _, _ in columns]
    cells = [
        [v if g else None for v, g in zip(column, mask.tolist(), strict=True)]
        for _, column, mask in columns
    ]
    return [
        {c: v for c, v in zip(categories, row, strict=True) if v is not None}
        for row in zip(*cells, strict=True)
    ]


# --- one column ---------------------------------------------------------------------------------


def _convert(series: pd.Series, kind: _Kind, missing: BoolArray) -> tuple[list[Any], BoolArray]:
    """A column's values as validation gives them, and which cells are sure to pass unchanged.

    Cells that are missing or not sure come back as ``None`` (their rows are validated).
    """
    if kind.kind in ("int", "float"):
        return _numbers(series, kind, missing)
    cells = series.to_numpy(dtype=object)
    if kind.kind == "list":
        assert kind.item is not None
        item = kind.item
        parts: list[Any] = []
        for cell, absent in zip(cells.tolist(), missing.tolist(), strict=True):
            if absent:
                parts.append(None)
            elif kind.split and cell.__class__ is str:
                parts.append([p.strip() for p in cell.split(";") if p.strip()])
            elif cell.__class__ in (list, tuple):
                parts.append(list(cell))
            else:
                parts.append(None)
        flat = [p for listed in parts if listed is not None for p in listed]
        items, good_items = _scalars(flat, item)
        lengths = np.array([0 if p is None else len(p) for p in parts], np.int64)
        stops = np.cumsum(lengths)
        bad_before = np.concatenate([[0], np.cumsum(~good_items)])
        good = ~missing & np.array([p is not None for p in parts], bool)
        good &= bad_before[stops] == bad_before[stops - lengths]
        converted = [
            tuple(items[stop - length : stop]) if g else None
            for stop, length, g in zip(stops.tolist(), lengths.tolist(), good.tolist(), strict=True)
        ]
        return converted, good
    return _scalars(cells.tolist(), kind)


def _scalars(values: list[Any], kind: _Kind) -> tuple[list[Any], BoolArray]:
    """Values and sureness of cells given one by one (list items, text columns)."""
    if kind.kind in ("int", "float"):
        numbers = pd.Series(values, dtype=object)
        return _numbers(numbers, kind, numbers.isna().to_numpy(bool))
    if kind.kind in ("id", "str"):
        # Sure: a string that stripping leaves alone (and, for an id, not empty).
        if kind.kind == "str":
            sure = [v.__class__ is str and v == v.strip() for v in values]
        else:
            sure = [v.__class__ is str and v != "" and v == v.strip() for v in values]
        good = np.array(sure, bool).reshape(-1)
    elif kind.kind == "enum":
        assert kind.enum is not None
        labels = {v for v in values if v.__class__ is str}
        members = {label: _member(kind.enum, label) for label in labels}
        enum_type = kind.enum
        values = [
            members.get(v) if v.__class__ is str else v if isinstance(v, enum_type) else None
            for v in values
        ]
        good = np.fromiter((v is not None for v in values), bool, len(values))
    elif kind.kind == "bool":
        good = np.fromiter((v.__class__ is bool for v in values), bool, len(values))
    elif kind.kind == "literal":
        choices = set(kind.choices)
        good = np.fromiter((v.__class__ is str and v in choices for v in values), bool, len(values))
    else:
        good = np.zeros(len(values), bool)
    return [v if g else None for v, g in zip(values, good.tolist(), strict=True)], good


def _numbers(series: pd.Series, kind: _Kind, missing: BoolArray) -> tuple[list[Any], BoolArray]:
    """Values and sureness of a number column: finite, within bounds, whole for integers."""
    numbers, good = _number_array(series, kind, missing)
    if kind.kind == "int":
        whole = np.where(good, numbers, 0.0).astype(np.int64).tolist()
        values: list[Any] = [v if g else None for v, g in zip(whole, good.tolist(), strict=True)]
    else:
        values = [v if g else None for v, g in zip(numbers.tolist(), good.tolist(), strict=True)]
    return values, good


def _number_array(
    series: pd.Series, kind: _Kind, missing: BoolArray
) -> tuple[FloatArray, BoolArray]:
    """A number column as floats (a copy), and which cells are sure to pass (see :func:`_numbers`)."""
    if series.dtype.kind in "iuf":
        numbers = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
        typed = ~missing
    else:  # text, booleans, mixed objects: plain ints and floats, and digits for integers
        cells = series.to_numpy(dtype=object).tolist()
        numbers = np.array([_plain_number(c, kind) for c in cells], np.float64).reshape(-1)
        typed = ~np.isnan(numbers) & ~missing
    with np.errstate(invalid="ignore"):
        good = typed & np.isfinite(numbers) & (numbers >= kind.low) & (numbers <= kind.high)
        if kind.kind == "int":
            good &= (numbers == np.floor(numbers)) & (np.abs(numbers) < _EXACT_INTEGERS)
    return numbers, good


def _plain_number(cell: Any, kind: _Kind) -> float:
    """``cell`` as a float when it is a plain int or float (or, for an integer field, plain
    digits such as ``"5"``); NaN for anything that validation alone should judge."""
    if cell.__class__ is float or (cell.__class__ is int and abs(cell) < _EXACT_INTEGERS):
        return float(cell)
    if (
        kind.kind == "int"
        and cell.__class__ is str
        and 0 < len(cell) < 16
        and cell.isascii()
        and cell.isdigit()
        and (cell[0] != "0" or cell == "0")
    ):
        return float(int(cell))
    return np.nan


def _member(enum_type: type[enum.Enum], label: str) -> Any:
    """The member ``label`` names (id or label in either language), ``None`` when none."""
    try:
        return enum_type(label)
    except ValueError:
        return None
