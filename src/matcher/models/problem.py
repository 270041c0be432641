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
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import pydantic
from pydantic import Field, model_validator

from .._lazy import lazy_module
from ..errors import Issue, ProblemError, shorten
from . import catalog
from .deferred import Deferred
from .document import (
    PairRef,
    PairScore,
    Table,
    _field_issues,
    _issue_order,
    _merge,
    _pair_columns,
    _records,
    _reference_issues,
    _row_document,
)
from .html import escape, table_row
from .index import ProblemIndex
from .limits import MAX_DOCUMENT_BYTES, parse_json
from .need import Need
from .organization import Organization
from .policy import Policy
from .region import Region
from .vocab import Category, Language, Priority

if TYPE_CHECKING:
    import pandas as pd

else:
    pd = lazy_module("pandas")

__all__ = ["PairRef", "PairScore", "Problem", "problem_html"]


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
            cls, regions, organizations, needs, policy=policy, pair_scores=pair_scores
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
