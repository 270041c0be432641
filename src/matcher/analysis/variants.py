"""What-if variants: derive a new problem from an old one in one line, the original untouched.

Every function here takes a :class:`~matcher.Problem` and returns a new, fully validated one;
:class:`Variant` is a named, picklable recipe of such steps for :func:`matcher.sweep.sweep`.

=============================== ===================================================================
function                        what if ...
=============================== ===================================================================
:func:`without_organizations`   these organizations drop out
:func:`without_needs`           these needs are withdrawn
:func:`filter_organizations`    only organizations that pass a test take part
:func:`filter_needs`            only needs that pass a test are posted
:func:`add_organizations`       new organizations join (models, dicts or a DataFrame)
:func:`add_needs`               new needs are posted
:func:`add_regions`             new regions (townships, villages) appear
:func:`with_capacity`           some organizations can take more or fewer projects
:func:`scale_capacity`          every (or some) organization's capacity scales by a factor
:func:`update_organizations`    any field of some organizations changes (credit, scope, ...)
:func:`update_needs`            any field of some needs changes (category, beneficiaries, ...)
:func:`update_regions`          any field of some regions changes (coordinates, name, ...)
:func:`with_region_priority`    more (or fewer) counties are key assistance areas
:func:`with_weights`            a score weight changes
:func:`with_policy`             any policy setting changes (nested mappings merge)
=============================== ===================================================================

Pairs that name a removed need or organization (``pair_scores``, ``pinned``, ``declined``,
``pending``) are dropped with it. Ids that the problem does not have are an error, never ignored.

Examples
--------
>>> import matcher
>>> from matcher import variants
>>> base = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
>>> fewer = variants.without_organizations(base, ["O01", "O02"])
>>> len(base.organizations), len(fewer.organizations)
(20, 18)
>>> bigger = variants.scale_capacity(base, 2)
>>> sum(o.max_projects for o in bigger.organizations) == 2 * sum(
...     o.max_projects for o in base.organizations)
True
>>> recipe = variants.Variant("drop two").then(variants.without_organizations, ["O01", "O02"])
>>> recipe.apply(base) == fewer
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pydantic

from .._lazy import lazy_module
from ..errors import OptionError
from ..models import COMPONENTS, Need, Organization, Priority, Problem, Region

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "Step",
    "Variant",
    "add_needs",
    "add_organizations",
    "add_regions",
    "filter_needs",
    "filter_organizations",
    "policy_grid",
    "scale_capacity",
    "update_needs",
    "update_organizations",
    "update_regions",
    "with_capacity",
    "with_policy",
    "with_region_priority",
    "with_weights",
    "without_needs",
    "without_organizations",
]

#: Ids given to a variant function: one id, or any iterable of ids.
Ids = str | Iterable[str]

#: One step of a :class:`Variant`: a function taking a problem first, its other arguments and
#: keyword arguments.
Step = tuple[Callable[..., Problem], tuple[Any, ...], dict[str, Any]]

Rounding = Literal["round", "floor", "ceil"]


# --- removing -------------------------------------------------------------------------------------


def without_organizations(problem: Problem, ids: Ids) -> Problem:
    """The problem without some organizations, and without the pairs that name them.

    Parameters
    ----------
    problem
        The base problem (left untouched).
    ids
        One organization id or an iterable of them.

    Returns
    -------
    Problem
        A new problem; pinned, declined and pending offers and ``pair_scores`` of the removed
        organizations go with them (their needs are free again).

    Raises
    ------
    OptionError
        When an id is not an organization of ``problem``.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> [o.id for o in without_organizations(base, "O03").organizations][:4]
    ['O01', 'O02', 'O04', 'O05']
    """
    drop = _known(ids, [o.id for o in problem.organizations], "organization")
    kept = tuple(o for o in problem.organizations if o.id not in drop)
    return _replace_dropping_pairs(problem, {"organizations": kept}, orgs=drop)


def without_needs(problem: Problem, ids: Ids) -> Problem:
    """The problem without some needs, and without the pairs that name them.

    Raises
    ------
    OptionError
        When an id is not a need of ``problem``.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> len(without_needs(base, ["N01", "N02"]).needs)
    28
    """
    drop = _known(ids, [n.id for n in problem.needs], "need")
    kept = tuple(n for n in problem.needs if n.id not in drop)
    return _replace_dropping_pairs(problem, {"needs": kept}, needs=drop)


def filter_organizations(problem: Problem, keep: Callable[[Organization], bool]) -> Problem:
    """The problem with only the organizations for which ``keep(organization)`` is true.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> provincial = filter_organizations(base, lambda o: o.scope.value == "province")
    >>> {o.scope.value for o in provincial.organizations}
    {'province'}
    """
    drop = [o.id for o in problem.organizations if not keep(o)]
    return without_organizations(problem, drop)


def filter_needs(problem: Problem, keep: Callable[[Need], bool]) -> Problem:
    """The problem with only the needs for which ``keep(need)`` is true.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> industry = filter_needs(base, lambda n: n.category.value == "industry")
    >>> {n.category.value for n in industry.needs}
    {'industry'}
    """
    drop = [n.id for n in problem.needs if not keep(n)]
    return without_needs(problem, drop)


# --- adding -----------------------------------------------------------------------------------------


def add_organizations(
    problem: Problem,
    organizations: Iterable[Organization | Mapping[str, Any]] | pd.DataFrame,
) -> Problem:
    """The problem with more organizations.

    Parameters
    ----------
    organizations
        :class:`~matcher.Organization` models, plain dicts, or a DataFrame in the layout that
        :func:`matcher.io.problem_from_frames` reads (Chinese headers accepted).

    Raises
    ------
    ProblemError
        When a new organization is invalid or its id is taken (with the JSON path of each issue).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> more = add_organizations(base, [{"id": "NEW1", "org_type": "foundation",
    ...     "scope": "province", "home_region": "140000", "capabilities": {"扶弱济困": 0.9},
    ...     "max_projects": 3}])
    >>> more.organizations[-1].id, len(more.organizations)
    ('NEW1', 11)
    """
    if isinstance(organizations, pd.DataFrame):
        from ..io import organization_records

        added: list[Any] = organization_records(organizations)
    else:
        added = list(organizations)
    return problem.replace(organizations=(*problem.organizations, *added))


def add_needs(
    problem: Problem, needs: Iterable[Need | Mapping[str, Any]] | pd.DataFrame
) -> Problem:
    """The problem with more needs (models, dicts or a DataFrame with Chinese or English headers).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> more = add_needs(base, [{"id": "X1", "region": "140123", "category": "人才培养",
    ...                          "beneficiaries": 80}])
    >>> more.need("X1").category.value
    'talent'
    """
    if isinstance(needs, pd.DataFrame):
        from ..io import need_records

        added: list[Any] = need_records(needs)
    else:
        added = list(needs)
    return problem.replace(needs=(*problem.needs, *added))


def add_regions(
    problem: Problem, regions: Iterable[Region | Mapping[str, Any]] | pd.DataFrame
) -> Problem:
    """The problem with more regions (for example the villages of a new need).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> more = add_regions(base, [{"id": "140123101", "name": "杜交曲镇", "level": "乡镇",
    ...                            "parent": "140123"}])
    >>> more.region("140123101").priority is None, len(more.regions) - len(base.regions)
    (True, 1)
    """
    if isinstance(regions, pd.DataFrame):
        from ..io import region_records

        added: list[Any] = region_records(regions)
    else:
        added = list(regions)
    return problem.replace(regions=(*problem.regions, *added))


# --- changing ---------------------------------------------------------------------------------------


def update_organizations(problem: Problem, changes: Mapping[str, Mapping[str, Any]]) -> Problem:
    """The problem with some fields of some organizations changed.

    Parameters
    ----------
    changes
        ``{org_id: {field: value, ...}}``; values are validated like input (Chinese labels work).

    Raises
    ------
    OptionError
        When an id is not an organization of ``problem``.
    ProblemError
        When a new value is invalid (an unknown field, a capability above 1, ...).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> barred = update_organizations(base, {"O01": {"credit": "活动异常名录"}})
    >>> barred.organization("O01").credit.value
    'abnormal'
    """
    return _update(problem, "organizations", changes, "organization")


def update_needs(problem: Problem, changes: Mapping[str, Mapping[str, Any]]) -> Problem:
    """The problem with some fields of some needs changed (``{need_id: {field: value}}``).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> update_needs(base, {"N01": {"beneficiaries": 5000}}).need("N01").beneficiaries
    5000
    """
    return _update(problem, "needs", changes, "need")


def update_regions(problem: Problem, changes: Mapping[str, Mapping[str, Any]]) -> Problem:
    """The problem with some fields of some regions changed (``{region_id: {field: value}}``).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> update_regions(base, {"140121": {"lat": 37.6}}).region("140121").lat
    37.6
    """
    return _update(problem, "regions", changes, "region")


def with_region_priority(problem: Problem, tiers: Mapping[str, Priority | str | None]) -> Problem:
    """The problem with the priority tier of some regions set (``None``: inherit again).

    What if these counties become key assistance areas (重点帮扶地区)?

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> base.region("140121").priority.value
    'normal'
    >>> with_region_priority(base, {"140121": "重点"}).region("140121").priority.value
    'key'
    """
    return update_regions(problem, {rid: {"priority": tier} for rid, tier in tiers.items()})


def with_capacity(problem: Problem, capacity: Mapping[str, int] | float) -> Problem:
    """The problem with new capacities (``max_projects``).

    Parameters
    ----------
    capacity
        ``{org_id: max_projects}`` sets those organizations' capacity; a number scales every
        organization's capacity as :func:`scale_capacity` does.

    Raises
    ------
    OptionError
        When an id is unknown or a factor is negative or not finite.
    ProblemError
        When a capacity is not a non-negative integer.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> with_capacity(base, {"O01": 7}).organization("O01").max_projects
    7
    >>> [o.max_projects for o in with_capacity(base, 0.5).organizations][:4]
    [1, 2, 2, 1]
    """
    if isinstance(capacity, Mapping):
        return update_organizations(
            problem, {org_id: {"max_projects": k} for org_id, k in capacity.items()}
        )
    return scale_capacity(problem, capacity)


def scale_capacity(
    problem: Problem,
    factor: float,
    *,
    organizations: Ids | Callable[[Organization], bool] | None = None,
    rounding: Rounding = "round",
) -> Problem:
    """The problem with capacities multiplied by ``factor`` and rounded to whole projects.

    Parameters
    ----------
    factor
        A finite number >= 0.
    organizations
        Which organizations to scale: ids, a predicate, or ``None`` for all.
    rounding
        ``"round"`` (half up: 1.5 becomes 2), ``"floor"`` or ``"ceil"``.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> [o.max_projects for o in base.organizations][:4]
    [1, 3, 4, 1]
    >>> [o.max_projects for o in scale_capacity(base, 1.5, rounding="floor").organizations][:4]
    [1, 4, 6, 1]
    >>> twice = scale_capacity(base, 2, organizations=["O02"])
    >>> twice.organization("O02").max_projects, twice.organization("O03").max_projects
    (6, 4)
    """
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        raise OptionError.of("error.factor_number", value=repr(factor))
    if not math.isfinite(factor) or factor < 0:
        raise OptionError.of("error.factor_range", value=repr(factor))
    if rounding not in ("round", "floor", "ceil"):
        raise OptionError.of("error.rounding", value=repr(rounding))
    if organizations is None:
        chosen = [o.id for o in problem.organizations]
    elif callable(organizations):
        chosen = [o.id for o in problem.organizations if organizations(o)]
    else:
        chosen = sorted(
            _known(organizations, [o.id for o in problem.organizations], "organization")
        )
    at = {o.id: o for o in problem.organizations}
    return with_capacity(
        problem, {org_id: _rounded(at[org_id].max_projects * factor, rounding) for org_id in chosen}
    )


def with_weights(problem: Problem, **weights: float) -> Problem:
    """The problem with some score weights changed (see :class:`~matcher.Weights`).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> with_weights(base, priority=8, proximity=0).policy.weights.priority
    8.0
    """
    return problem.with_policy(weights=weights)


def with_policy(problem: Problem, **changes: Any) -> Problem:
    """The problem with policy ``changes`` merged in: :meth:`Problem.with_policy` as a function.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=30, n_orgs=10)
    >>> with_policy(base, distance_scale_km=50).policy.distance_scale_km
    50.0
    """
    return problem.with_policy(**changes)


# --- recipes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A named recipe that turns a base problem into a variant: a chain of steps.

    Each step is a function that takes the problem first (any function of this module, or your
    own) with its other arguments. A variant holds no problem, so it is small and picklable (as
    long as its functions are defined at module level, not lambdas) and can travel to the worker
    processes of a sweep.

    Parameters
    ----------
    name
        How the variant is called in sweep tables, comparisons and plots.
    steps
        ``(function, args, kwargs)`` triples, applied in order.
    params
        Values that describe the variant (for example ``{"weights.priority": 6}``); a sweep shows
        each as a column.

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12)
    >>> tighter = (Variant("tighter", params={"capacity": 0.5})
    ...            .then(scale_capacity, 0.5)
    ...            .then(with_weights, priority=6))
    >>> problem = tighter.apply(base)
    >>> problem.policy.weights.priority, base.policy.weights.priority
    (6.0, 3.0)
    >>> Variant.from_policy({"weights": {"priority": 6}}).params
    {'weights.priority': 6}
    """

    name: str
    steps: tuple[Step, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def then(self, function: Callable[..., Problem], /, *args: Any, **kwargs: Any) -> Variant:
        """This variant with one more step: ``function(problem, *args, **kwargs)``."""
        if not callable(function):
            raise OptionError.of("error.step_not_callable", value=repr(function))
        return Variant(self.name, (*self.steps, (function, args, dict(kwargs))), dict(self.params))

    def apply(self, problem: Problem) -> Problem:
        """The variant of ``problem`` (``problem`` itself when there are no steps)."""
        for function, args, kwargs in self.steps:
            problem = function(problem, *args, **kwargs)
            if not isinstance(problem, Problem):
                raise OptionError.of(
                    "error.step_result",
                    name=repr(self.name),
                    step=repr(getattr(function, "__name__", function)),
                    kind=type(problem).__name__,
                )
        return problem

    __call__ = apply

    @classmethod
    def from_policy(cls, changes: Mapping[str, Any], name: str | None = None) -> Variant:
        """A variant that merges ``changes`` into the policy; its params are the dotted paths.

        Examples
        --------
        >>> Variant.from_policy({"weights": {"priority": 6}, "distance_scale_km": 50}).name
        'weights.priority=6, distance_scale_km=50'
        """
        params = _flatten(changes)
        if name is None:
            name = ", ".join(f"{key}={value}" for key, value in params.items()) or "policy"
        return cls(name, ((with_policy, (), dict(changes)),), params)


def policy_grid(axes: Mapping[str, Iterable[Any]]) -> list[Variant]:
    """One :class:`Variant` per combination of policy values (the Cartesian product).

    Parameters
    ----------
    axes
        ``{path: values}`` where ``path`` is a dotted policy path (``"weights.priority"``,
        ``"distance_scale_km"``) or, as a shorthand, a score component's name (``"priority"``
        means ``"weights.priority"``).

    Returns
    -------
    list of Variant
        In row-major order (the last axis varies fastest); each variant's ``params`` maps the full
        dotted paths to its values.

    Examples
    --------
    >>> grid = policy_grid({"priority": [0, 3, 6], "proximity": [0, 1]})
    >>> len(grid), grid[1].params
    (6, {'weights.priority': 0, 'weights.proximity': 1})
    >>> grid[1].name
    'weights.priority=0, weights.proximity=1'
    """
    paths = [f"weights.{key}" if key in COMPONENTS else key for key in axes]
    values = [list(v) for v in axes.values()]
    if any(not v for v in values):
        raise OptionError.of("error.empty_axis")
    variants = []
    for combination in itertools.product(*values):
        changes: dict[str, Any] = {}
        for path, value in zip(paths, combination, strict=True):
            _set_path(changes, path, _plain(value))
        variants.append(Variant.from_policy(changes))
    return variants


# --- helpers ----------------------------------------------------------------------------------------


def _ids(ids: Ids) -> list[str]:
    if isinstance(ids, str):
        return [ids]
    return [str(i) for i in ids]


def _known(ids: Ids, existing: Sequence[str], kind: str) -> set[str]:
    wanted = _ids(ids)
    unknown = sorted(set(wanted) - set(existing))
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:10])
        said = {"kind": f"error.kind_{kind}"}
        if len(unknown) > 10:
            raise OptionError.of(
                "error.unknown_ids_more", shown=shown, more=len(unknown) - 10, said=said
            )
        key = "error.unknown_ids" if len(unknown) > 1 else "error.unknown_id"
        raise OptionError.of(key, shown=shown, said=said)
    return set(wanted)


def _replace_dropping_pairs(
    problem: Problem,
    changes: dict[str, Any],
    *,
    needs: set[str] | frozenset[str] = frozenset(),
    orgs: set[str] | frozenset[str] = frozenset(),
) -> Problem:
    """``problem.replace(**changes)`` that also drops every pair naming a removed need or org."""
    for name in type(problem).model_fields:
        value = getattr(problem, name)
        if not isinstance(value, tuple) or not value:
            continue
        if not all(hasattr(item, "need_id") and hasattr(item, "org_id") for item in value):
            continue
        kept = tuple(
            item for item in value if item.need_id not in needs and item.org_id not in orgs
        )
        if len(kept) != len(value):
            changes[name] = kept
    return problem.replace(**changes)


def _update(
    problem: Problem, section: str, changes: Mapping[str, Mapping[str, Any]], kind: str
) -> Problem:
    items: tuple[pydantic.BaseModel, ...] = getattr(problem, section)
    _known(list(changes), [getattr(item, "id") for item in items], kind)  # noqa: B009
    updated: list[Any] = []
    for item in items:
        change = changes.get(getattr(item, "id"))  # noqa: B009
        if change is None:
            updated.append(item)
        else:
            updated.append({**_shallow_dump(item), **dict(change)})
    return problem.replace(**{section: tuple(updated)})


def _shallow_dump(item: pydantic.BaseModel) -> dict[str, Any]:
    """The set fields of a model, values as they are (nested models kept as models)."""
    return {name: getattr(item, name) for name in item.model_fields_set}


def _rounded(value: float, rounding: Rounding) -> int:
    if rounding == "floor":
        return math.floor(value + 1e-9)
    if rounding == "ceil":
        return math.ceil(value - 1e-9)
    return math.floor(value + 0.5)


def _flatten(changes: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in changes.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so that names and JSON read naturally."""
    item = getattr(value, "item", None)
    return item() if callable(item) and getattr(value, "shape", None) == () else value
