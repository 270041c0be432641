"""Reviewer and evaluator assignment: an exact min-cost flow (a transportation problem).

Each project needs ``k`` people (its reviewers, or its evaluators), each person takes at most her
load, and no one is ever given a project she has a conflict of interest with: such pairs are not
in the network at all. Among the assignments that fill the most places, the flow takes, in this
order (lexicographically, by cost levels far apart):

1. the most places filled (a place left empty costs more than everything below);
2. the most projects with at least one *specialist* (an expert of the project's category): each
   project node is split, its specialists hang off a sub-node whose first unit earns a bonus larger
   than every cost below;
3. the least cost: each pair's own cost (an expert's distance from the top level of expertise, an
   evaluator's distance from the project) plus a convex cost on each person's load, built as
   parallel arcs to the sink whose unit costs grow (the ``j``-th review of an expert costs
   ``fairness * j``), so loads spread across people.

The network is built from numpy arrays in one call
(:meth:`SimpleMinCostFlow.add_arcs_with_capacity_and_unit_cost`) and solved once: exact, with no
time limit. Places that cannot be filled are named with why, in Chinese and English.

Examples
--------
>>> from matcher.review import ReviewDocument, assign_reviewers
>>> document = ReviewDocument.model_validate({
...     "experts": [{"id": f"e{i}", "expertise": {"industry": 1 + i}, "max_reviews": 2}
...                 for i in range(4)],
...     "projects": [{"id": "p1", "category": "industry"}, {"id": "p2", "category": "talent"}],
...     "policy": {"reviewers_per_project": 2}})
>>> assignment = assign_reviewers(document)
>>> assignment.pairs()
[('p1', 'e2'), ('p1', 'e3'), ('p2', 'e0'), ('p2', 'e1')]
>>> assignment.loads()
{'e0': 1, 'e1': 1, 'e2': 1, 'e3': 1}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy import sparse

from ..errors import MatcherError, SolverError
from ..models.hierarchy import Hierarchy
from ..models.vocab import CATEGORY_CODES, Category, Language, Level
from .models import Evaluator, Expert, Project, ReviewDocument

__all__ = [
    "Assignment",
    "AssignmentError",
    "Shortfall",
    "assign_evaluators",
    "assign_reviewers",
    "conflicts",
    "solve_transport",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Integer cost units per unit of pair cost or fairness weight.
COST_UNIT = 10


@dataclass(frozen=True)
class Shortfall:
    """A project that cannot get all its places filled, and why."""

    project_id: str
    missing: int
    reason_zh: str
    reason_en: str

    def reason(self, language: Language = "zh") -> str:
        return self.reason_zh if language == "zh" else self.reason_en


class AssignmentError(MatcherError):
    """Some projects cannot get ``k`` conflict-free people; :attr:`shortfalls` names them."""

    def __init__(self, shortfalls: Sequence[Shortfall], language: Language = "zh") -> None:
        self.shortfalls = list(shortfalls)
        head = (
            f"{len(self.shortfalls)} 个项目无法配齐人员"
            if language == "zh"
            else f"{len(self.shortfalls)} project(s) cannot be fully staffed"
        )
        lines = [f"{s.project_id}: {s.reason(language)}" for s in self.shortfalls]
        super().__init__("\n  ".join([head, *lines]))


@dataclass(frozen=True)
class Assignment:
    """Who reviews (or evaluates) what.

    Attributes
    ----------
    project, person
        Project and person index of each assigned pair, sorted by project then person.
    project_ids, person_ids
        The ids behind the indices.
    specialist
        Per pair, whether the person is an expert of the project's category.
    shortfalls
        Projects left short, with why.
    """

    project: IntArray
    person: IntArray
    project_ids: tuple[str, ...]
    person_ids: tuple[str, ...]
    specialist: BoolArray
    shortfalls: tuple[Shortfall, ...] = field(default=())

    def pairs(self) -> list[tuple[str, str]]:
        """(project id, person id) of every assigned pair."""
        return [
            (self.project_ids[p], self.person_ids[e])
            for p, e in zip(self.project.tolist(), self.person.tolist(), strict=True)
        ]

    def loads(self) -> dict[str, int]:
        """How many projects each person got (people with none left out)."""
        counts = np.bincount(self.person, minlength=len(self.person_ids))
        return {self.person_ids[e]: int(counts[e]) for e in np.flatnonzero(counts).tolist()}

    def covered(self) -> BoolArray:
        """Per project, whether at least one of its people is a specialist."""
        return np.bincount(self.project[self.specialist], minlength=len(self.project_ids)).astype(
            bool
        )


def solve_transport(
    demand: IntArray,
    capacity: IntArray,
    pair_project: IntArray,
    pair_person: IntArray,
    pair_cost: IntArray,
    specialist: BoolArray,
    fairness: int,
) -> tuple[IntArray, IntArray]:
    """The exact assignment on given pairs: (chosen pair indices, unfilled places per project).

    Parameters
    ----------
    demand
        Places per project.
    capacity
        Most projects per person.
    pair_project, pair_person, pair_cost
        The allowed pairs (conflicts already removed) and their integer costs (>= 0).
    specialist
        Per pair, whether it counts for "at least one specialist per project".
    fairness
        Integer unit cost of the load curve: a person's ``j``-th project costs ``fairness * j``.
    """
    transport = _Transport(
        demand, capacity, pair_project, pair_person, pair_cost, specialist, fairness
    )
    n_projects = demand.size
    split, rest = transport.split_projects()
    tails, heads, capacities, costs = transport.arcs(split, rest)
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    total = transport.total
    network.set_nodes_supplies(np.array([0, transport.sink]), np.array([total, -total]))
    outcome = network.solve()
    if outcome != network.OPTIMAL:
        raise SolverError(f"min-cost flow failed with status {outcome!r}")
    empties = network.flows(np.arange(n_projects, 2 * n_projects)).astype(np.int64)
    first_pair = 2 * n_projects + split.size + rest.size
    flows = network.flows(np.arange(first_pair, first_pair + pair_project.size))
    return np.flatnonzero(flows > 0), empties


@dataclass(frozen=True)
class _Transport:
    """The arguments of :func:`solve_transport`, and the network it builds from them.

    Nodes: the source 0, projects ``1..n``, their specialist sub-nodes ``n+1..2n``, the people,
    then the sink. Arcs, in this order: source to project (its places), project to sink (an empty
    place), project to sub-node (the first specialist, with its bonus; then the others), pairs,
    and each person's load curve to the sink.
    """

    demand: IntArray
    capacity: IntArray
    pair_project: IntArray
    pair_person: IntArray
    pair_cost: IntArray
    specialist: BoolArray
    fairness: int

    @property
    def total(self) -> int:
        """Places in all."""
        return int(self.demand.sum())

    @property
    def sink(self) -> int:
        """The sink's node number."""
        return 2 * self.demand.size + self.capacity.size + 1

    def cost_levels(self) -> tuple[int, int]:
        """The specialist bonus and the cost of an empty place: every pair and load cost together
        stays below one bonus, and all bonuses below one empty place."""
        total, fairness = self.total, self.fairness
        top_load = int(min(int(self.capacity.max(initial=0)), total))
        level3 = total * (int(self.pair_cost.max(initial=0)) + fairness * top_load) + 1
        bonus = level3
        return bonus, bonus * (self.demand.size + 1) + level3

    def load_curve(self) -> tuple[IntArray, IntArray]:
        """Per unit of load: its person, and its rank ``j`` among that person's units (from 1)."""
        capped = np.minimum(self.capacity, self.total).astype(np.int64)
        load_person = np.repeat(np.arange(self.capacity.size, dtype=np.int64), capped)
        starts = np.cumsum(capped) - capped
        load_rank = np.arange(load_person.size, dtype=np.int64) - np.repeat(starts, capped) + 1
        return load_person, load_rank

    def split_projects(self) -> tuple[IntArray, IntArray]:
        """Projects split for a specialist, and those of them with more than one place."""
        demand = self.demand
        has_specialist = np.bincount(self.pair_project[self.specialist], minlength=demand.size) > 0
        split = np.flatnonzero(has_specialist & (demand > 0))
        return split, split[demand[split] > 1]

    def arcs(
        self, split: IntArray, rest: IntArray
    ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """Tails, heads, capacities and unit costs of every arc (see the class)."""
        demand, n_projects = self.demand, self.demand.size
        bonus, empty = self.cost_levels()
        load_person, load_rank = self.load_curve()
        projects = np.arange(1, n_projects + 1, dtype=np.int64)
        subs = projects + n_projects
        people = np.arange(2 * n_projects + 1, self.sink, dtype=np.int64)
        pair_tail = np.where(self.specialist, subs[self.pair_project], projects[self.pair_project])
        n, n_pairs, n_loads, sink = n_projects, self.pair_project.size, load_person.size, self.sink
        i64 = np.int64
        groups = [  # (tails, heads, capacities, unit costs), in the order the class names them
            (np.zeros(n, i64), projects, demand, np.zeros(n, i64)),
            (projects, np.full(n, sink, i64), demand, np.full(n, empty, i64)),
            (
                projects[split],
                subs[split],
                np.ones(split.size, i64),
                np.full(split.size, -bonus, i64),
            ),
            (projects[rest], subs[rest], demand[rest] - 1, np.zeros(rest.size, i64)),
            (
                pair_tail,
                people[self.pair_person],
                np.ones(n_pairs, i64),
                self.pair_cost.astype(i64),
            ),
            (
                people[load_person],
                np.full(n_loads, sink, i64),
                np.ones(n_loads, i64),
                self.fairness * load_rank,
            ),
        ]
        tails, heads, capacities, costs = (
            np.concatenate(column) for column in zip(*groups, strict=True)
        )
        return tails, heads, capacities.astype(np.int64), costs


def conflicts(
    project_tokens: Sequence[Iterable[str]], person_tokens: Sequence[Iterable[str]]
) -> BoolArray:
    """Dense (projects x people) mask of pairs that share a token (an organization, a region).

    Examples
    --------
    >>> conflicts([["o1", "r:1"], ["o2"]], [["o2"], ["r:1"], []]).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0]]
    """
    universe: dict[str, int] = {}

    def incidence(rows: Sequence[Iterable[str]]) -> tuple[list[int], list[int]]:
        row: list[int] = []
        col: list[int] = []
        for r, tokens in enumerate(rows):
            for token in set(tokens):
                row.append(r)
                col.append(universe.setdefault(token, len(universe)))
        return row, col

    p_row, p_col = incidence(project_tokens)
    e_row, e_col = incidence(person_tokens)
    shape = len(universe)
    p = sparse.csr_matrix((np.ones(len(p_row)), (p_row, p_col)), shape=(len(project_tokens), shape))
    e = sparse.csr_matrix((np.ones(len(e_row)), (e_row, e_col)), shape=(len(person_tokens), shape))
    return np.asarray((p @ e.T).toarray() > 0)


def _region_token(region: str | None, hierarchy: Hierarchy | None) -> str | None:
    """The county a region lies in (itself without a hierarchy), as a conflict token."""
    if region is None:
        return None
    if hierarchy is not None and region in hierarchy.position:
        county = int(hierarchy.at_level(np.array([hierarchy.index(region)]), Level.COUNTY)[0])
        if county >= 0:
            return "region:" + hierarchy.ids[county]
    return "region:" + region


@dataclass(frozen=True)
class _Staffing:
    """A staffing problem both assignments come down to: who may take which project, at what cost.

    Attributes
    ----------
    projects, people_ids
        The projects to staff and the ids of the people (columns of the arrays).
    demand, capacity
        Places per project; most projects per person.
    allowed, cost, special
        (projects x people): the pairs without a conflict, their integer costs, and whether the
        person counts as a specialist of the project.
    fairness
        Weight of the load curve.
    who
        What the people are called, in Chinese and English (for the shortfalls' reasons).
    """

    projects: Sequence[Project]
    people_ids: tuple[str, ...]
    demand: IntArray
    capacity: IntArray
    allowed: BoolArray
    cost: IntArray
    special: BoolArray
    fairness: float
    who: tuple[str, str]


def _shortfalls(staffing: _Staffing, empties: IntArray) -> tuple[Shortfall, ...]:
    """The projects left with ``empties`` places, with why: too few people, or their loads taken."""
    zh, en = staffing.who
    demand = staffing.demand
    free = (staffing.allowed & (staffing.capacity > 0)[None, :]).sum(axis=1)
    found = []
    for p in np.flatnonzero(empties).tolist():
        k, m = int(demand[p]), int(free[p])
        if m < k:
            why_zh = f"需要 {k} 位{zh}，无利益冲突且有余量的只有 {m} 位"
            why_en = f"needs {k} {en}s, only {m} have no conflict of interest and any load left"
        else:
            why_zh = f"需要 {k} 位{zh}，{m} 位无利益冲突者的工作量已被其他项目占满"
            why_en = f"needs {k} {en}s; the loads of the {m} without a conflict are taken by other projects"
        found.append(Shortfall(staffing.projects[p].id, int(empties[p]), why_zh, why_en))
    return tuple(found)


def _finish(staffing: _Staffing, strict: bool, language: Language) -> Assignment:
    """Solve the staffing exactly; raise on a shortfall when ``strict``."""
    pair_project, pair_person = np.nonzero(staffing.allowed)
    pair_project = pair_project.astype(np.int64)
    pair_person = pair_person.astype(np.int64)
    special = staffing.special
    chosen, empties = solve_transport(
        staffing.demand,
        staffing.capacity,
        pair_project,
        pair_person,
        staffing.cost[pair_project, pair_person],
        special[pair_project, pair_person],
        round(staffing.fairness * COST_UNIT),
    )
    shortfalls = _shortfalls(staffing, empties)
    if strict and shortfalls:
        raise AssignmentError(shortfalls, language)
    return Assignment(
        project=pair_project[chosen],
        person=pair_person[chosen],
        project_ids=tuple(p.id for p in staffing.projects),
        person_ids=staffing.people_ids,
        specialist=special[pair_project[chosen], pair_person[chosen]],
        shortfalls=shortfalls,
    )


def _used(ids: Sequence[str], used: Mapping[str, int] | None) -> IntArray:
    return np.array([(used or {}).get(i, 0) for i in ids], np.int64)


def _excluded(
    allowed: BoolArray,
    project_at: Mapping[str, int],
    person_at: Mapping[str, int],
    exclude: Iterable[tuple[str, str]],
) -> None:
    for project_id, person_id in exclude:
        if project_id in project_at and person_id in person_at:
            allowed[project_at[project_id], person_at[person_id]] = False


def assign_reviewers(
    document: ReviewDocument,
    *,
    projects: Sequence[str] | None = None,
    k: int | None = None,
    exclude: Iterable[tuple[str, str]] = (),
    used: Mapping[str, int] | None = None,
    hierarchy: Hierarchy | None = None,
    strict: bool = True,
    language: Language = "zh",
) -> Assignment:
    """Assign ``k`` conflict-free reviewers to each project, exactly (see the module).

    Parameters
    ----------
    document
        Experts, projects and the policy (``reviewers_per_project``, ``fairness``,
        ``same_region_conflict``).
    projects
        Ids of the projects to staff (all by default).
    k
        Reviewers per project, overriding the policy and the projects' own ``reviewers``.
    exclude
        (project, expert) pairs not to make: a second round excludes the first round's pairs.
    used
        Reviews each expert already does this year: taken off her ``max_reviews``.
    hierarchy
        Regions, to read ``same_region_conflict`` at county level (without it, ids must match).
    strict
        Raise :class:`AssignmentError` when a project cannot get all its reviewers; otherwise
        return the best partial assignment with ``shortfalls`` filled in.
    language
        Of the error's message.

    Notes
    -----
    A conflict of interest is an expert affiliated with one of the project's organizations (or
    its implementer), living in its county (with ``same_region_conflict``), or having declared the
    project or one of its organizations in ``conflicts``. The pair cost is ``5 - level`` of the
    expert's expertise in the project's category (5 without it).
    """
    chosen = _pick(document.projects, projects)
    return _finish(
        _reviewer_staffing(document, chosen, k, exclude, used, hierarchy), strict, language
    )


def _reviewer_staffing(
    document: ReviewDocument,
    chosen: Sequence[Project],
    k: int | None,
    exclude: Iterable[tuple[str, str]],
    used: Mapping[str, int] | None,
    hierarchy: Hierarchy | None,
) -> _Staffing:
    """The staffing of :func:`assign_reviewers`: experts without a conflict and with reviews left,
    pairs costed by expertise."""
    policy = document.policy
    experts: Sequence[Expert] = document.experts
    allowed = ~_reviewer_conflicts(chosen, experts, hierarchy, policy.same_region_conflict)
    category = np.array([CATEGORY_CODES[p.category] for p in chosen], np.int64)
    level = _expertise(experts)[:, category].T  # (projects, experts)
    capacity = np.maximum(
        np.array([e.max_reviews for e in experts], np.int64) - _used([e.id for e in experts], used),
        0,
    )
    allowed &= (capacity > 0)[None, :]
    _excluded(
        allowed,
        {p.id: i for i, p in enumerate(chosen)},
        {e.id: i for i, e in enumerate(experts)},
        exclude,
    )
    demand = np.array(
        [k if k is not None else (p.reviewers or policy.reviewers_per_project) for p in chosen],
        np.int64,
    )
    return _Staffing(
        chosen,
        tuple(e.id for e in experts),
        demand,
        capacity,
        allowed,
        (5 - level) * COST_UNIT,
        level > 0,
        policy.fairness,
        ("专家", "reviewer"),
    )


def _reviewer_conflicts(
    projects: Sequence[Project],
    experts: Sequence[Expert],
    hierarchy: Hierarchy | None,
    region_on: bool,
) -> BoolArray:
    """(projects x experts) conflicts of interest: an affiliation, a declared conflict, or (with
    ``region_on``) the same county."""

    def expert_tokens(e: Expert) -> list[str]:
        home = _region_token(e.home_region, hierarchy) if region_on else None
        return [*e.affiliations, *e.conflicts, *([home] if home else [])]

    def project_tokens(p: Project) -> list[str]:
        home = _region_token(p.region, hierarchy) if region_on else None
        own = [p.id, *p.organizations, *([p.implementer] if p.implementer else [])]
        return [*own, *([home] if home else [])]

    return conflicts([project_tokens(p) for p in projects], [expert_tokens(e) for e in experts])


def _expertise(experts: Sequence[Expert]) -> IntArray:
    """(experts x categories) level of expertise, 0 without it."""
    levels = np.zeros((len(experts), len(Category)), np.int64)
    for row, e in enumerate(experts):
        for field_of, grade in e.expertise.items():
            levels[row, CATEGORY_CODES[field_of]] = grade
    return levels


def assign_evaluators(
    document: ReviewDocument,
    *,
    projects: Sequence[str] | None = None,
    k: int = 1,
    hierarchy: Hierarchy | None = None,
    distance_scale_km: float = 50.0,
    strict: bool = True,
    language: Language = "zh",
) -> Assignment:
    """Assign ``k`` third-party evaluators to each carried-out project, by the same engine.

    An evaluator never evaluates a project whose implementer (or any of its organizations) is the
    evaluator itself or one of its ``affiliations``; each takes at most its ``capacity``; nearer
    evaluators cost less (``distance_km / distance_scale_km``, read from ``hierarchy`` when
    given), and loads are spread by the policy's ``fairness``. Every evaluator counts as a
    specialist: the category level plays no part.

    Examples
    --------
    >>> from matcher.review import ReviewDocument
    >>> document = ReviewDocument.model_validate({
    ...     "evaluators": [{"id": "hub", "kind": "hub", "affiliations": ["o1"]},
    ...                    {"id": "uni", "kind": "academic"}],
    ...     "projects": [{"id": "p1", "category": "talent", "implementer": "o1"}]})
    >>> assign_evaluators(document).pairs()
    [('p1', 'uni')]
    """
    chosen = _pick(document.projects, projects)
    evaluators: Sequence[Evaluator] = document.evaluators
    allowed = ~conflicts(
        [[*p.organizations, *([p.implementer] if p.implementer else [])] for p in chosen],
        [[e.id, *e.affiliations] for e in evaluators],
    )
    capacity = np.array([e.capacity for e in evaluators], np.int64)
    allowed &= (capacity > 0)[None, :]
    cost = np.zeros(allowed.shape, np.int64)
    if hierarchy is not None and allowed.size:
        where = hierarchy.position
        p_region = np.array([where.get(p.region or "", -1) for p in chosen], np.int64)
        e_region = np.array([where.get(e.home_region or "", -1) for e in evaluators], np.int64)
        a, b = np.meshgrid(p_region, e_region, indexing="ij")
        km = hierarchy.distance_km(np.maximum(a, 0).ravel(), np.maximum(b, 0).ravel())
        km = km.reshape(a.shape)
        km[(a < 0) | (b < 0) | np.isnan(km)] = distance_scale_km  # unknown: one scale away
        cost = np.rint(km / distance_scale_km * COST_UNIT).astype(np.int64)
    staffing = _Staffing(
        chosen,
        tuple(e.id for e in evaluators),
        np.full(len(chosen), k, np.int64),
        capacity,
        allowed,
        cost,
        np.ones(allowed.shape, bool),
        document.policy.fairness,
        ("评估机构", "evaluator"),
    )
    return _finish(staffing, strict, language)


def _pick(projects: Sequence[Project], ids: Sequence[str] | None) -> list[Project]:
    if ids is None:
        return list(projects)
    at = {p.id: p for p in projects}
    return [at[i] for i in ids if i in at]
