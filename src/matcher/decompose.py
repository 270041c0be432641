"""Independent parts of an assignment model, solved apart (on any executor) and merged.

Two needs interact only through a chain of shared candidate organizations, so the connected
components of the candidate graph can be solved separately: the merged plan is as good as the
whole solve, because every goal and every local rule (region and category limits inside a part,
budgets, partnerships) is a sum over parts. A rule that counts needs in several components joins
them into one part; a rule over the whole plan (distinct organizations engaged, the program fund,
the aid mix, max-min fairness) joins everything, and then there is one part.

Parts are packed into tasks of comparable size, the same way for every executor, so a plan solved
on a process pool or a Dask cluster is the plan solved serially, pair for pair.

Examples
--------
>>> import numpy as np
>>> from matcher.solvers import FlowSolver
>>> from matcher.solvers.base import AssignmentModel
>>> model = AssignmentModel(4, 2, need=np.array([0, 1, 2, 3]), org=np.array([0, 0, 1, 1]),
...                         score=np.array([1.0, 2.0, 3.0, 4.0]), capacity=np.array([1, 1]))
>>> [part.needs.tolist() for part in split(model, min_task_pairs=1)]
[[0, 1], [2, 3]]
>>> from matcher.solvers.budget import Budget
>>> parts = split(model, min_task_pairs=1)
>>> result = solve_in_parts(FlowSolver(), model, parts, budget=Budget.start(1.0))
>>> result.chosen.tolist(), result.objective, result.stats["parts"]
([1, 3], 6.0, 2)
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ._lazy import lazy_module
from .rules.compile import RuleSet
from .solvers.base import AssignmentModel, SideRules, Solver, SolverResult, Status
from .solvers.budget import Budget
from .solvers.flow import flow_scale

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import scipy.sparse as sp
    from scipy.sparse import csgraph
else:  # imported on first split: ``import matcher`` stays fast
    sp = lazy_module("scipy.sparse")
    csgraph = lazy_module("scipy.sparse.csgraph")

__all__ = [
    "BLOCK_SHARE",
    "MAX_TASKS",
    "MIN_TASK_PAIRS",
    "Part",
    "one_block",
    "solve_in_parts",
    "split",
]

IntArray = npt.NDArray[np.int64]

#: At most this many tasks: more would cost more in scheduling than it balances.
MAX_TASKS = 64
#: Components are packed together until a task holds at least this many pairs.
MIN_TASK_PAIRS = 20_000
#: :func:`one_block` looks for a complete block only where the pairs fill this share of the need x
#: organization matrix.
BLOCK_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class Part:
    """One task: needs, organizations and candidate pairs (indices into the whole model), sorted,
    of ``n_components`` connected components (joined by rules or packed together)."""

    needs: IntArray
    orgs: IntArray
    pairs: IntArray
    n_components: int

    def model(self, whole: AssignmentModel, scale: float | None = None) -> AssignmentModel:
        """The part as a model of its own, needs and organizations renumbered in order.

        ``scale`` is the whole model's integer scale (``flow_scale(whole)`` when ``None``), which
        the part keeps so that integer back ends round every part alike.
        """
        need = _renumber(self.needs, whole.n_needs)[whole.need[self.pairs]]
        org = _renumber(self.orgs, whole.n_orgs)[whole.org[self.pairs]]
        fixed = np.flatnonzero(np.isin(self.pairs, whole.fixed, assume_unique=True))
        side = None if whole.side is None else _side_part(whole.side, self, whole.n_needs)
        return AssignmentModel(
            n_needs=int(self.needs.size),
            n_orgs=int(self.orgs.size),
            need=need.astype(np.int64),
            org=org.astype(np.int64),
            score=whole.score[self.pairs],
            capacity=whole.capacity[self.orgs],
            fixed=fixed.astype(np.int64),
            side=side,
            scale=flow_scale(whole) if scale is None else scale,
        )


def _renumber(members: IntArray, size: int) -> IntArray:
    """Each of ``size`` items' position among the sorted ``members`` (-1 for the others)."""
    position = np.full(size, -1, np.int64)
    position[members] = np.arange(members.size)
    return position


def one_block(model: AssignmentModel) -> bool:
    """Whether the candidate graph is visibly one connected component: every need that has a
    candidate is a candidate of every organization that has one (a complete block of pairs).

    At most two passes over the pairs (pairs are distinct), and none where the pairs fill less
    than :data:`BLOCK_SHARE` of the need x organization matrix: when it holds, :func:`split` would
    find a single part. ``False`` says nothing.

    Examples
    --------
    >>> need, org = np.array([0, 0, 2, 2]), np.array([0, 1, 0, 1])
    >>> one_block(AssignmentModel(3, 2, need, org, np.ones(4), np.array([1, 1])))
    True
    >>> one_block(AssignmentModel(3, 2, need[:3], org[:3], np.ones(3), np.array([1, 1])))
    False
    """
    if model.n_pairs == 0:
        return False
    cells = model.n_needs * model.n_orgs
    if model.n_pairs == cells:
        return True  # every (need, organization) is a pair
    if model.n_pairs < BLOCK_SHARE * cells:
        return False  # sparse pairs: not worth the passes (a model of many parts is sparse)
    paired_need = np.zeros(model.n_needs, bool)
    paired_need[model.need] = True
    paired_org = np.zeros(model.n_orgs, bool)
    paired_org[model.org] = True
    return model.n_pairs == int(paired_need.sum()) * int(paired_org.sum())


def split(model: AssignmentModel, *, min_task_pairs: int | None = None) -> list[Part]:
    """The model's independent parts, packed into at most :data:`MAX_TASKS` tasks.

    Parameters
    ----------
    model
        The whole model.
    min_task_pairs
        Components are packed together until a task holds this many candidate pairs
        (:data:`MIN_TASK_PAIRS` when ``None``).

    Returns
    -------
    list of Part
        One part per task; a single part when rules couple everything. Needs and
        organizations without a candidate pair belong to no part: no plan can use them.
    """
    n, m = model.n_needs, model.n_orgs
    if model.n_pairs == 0:
        return []
    # Pairs are distinct, so the small weights never add up.
    graph = sp.coo_matrix(
        (np.ones(model.n_pairs, np.int8), (model.need, model.org + n)), shape=(n + m, n + m)
    )
    _, label = csgraph.connected_components(graph, directed=False)
    label = _join_coupled(model, label[:n], label)
    need_label = label[:n]
    pair_label = need_label[model.need]
    counted = np.bincount(pair_label)
    components = np.flatnonzero(counted)
    pairs_per = counted[components]
    task_of = _pack(components, pairs_per, min_task_pairs or MIN_TASK_PAIRS)
    task = np.full(int(label.max()) + 1, -1, np.int64)
    task[components] = task_of
    n_tasks = int(task_of.max()) + 1
    paired_need = np.zeros(n, bool)
    paired_need[model.need] = True
    paired_org = np.zeros(m, bool)
    paired_org[model.org] = True
    pair_groups = _groups(task[pair_label], n_tasks)
    need_groups = _groups(np.where(paired_need, task[need_label], -1), n_tasks)
    org_groups = _groups(np.where(paired_org, task[label[n:]], -1), n_tasks)
    counts = np.bincount(task_of, minlength=n_tasks)
    return [
        Part(need_groups[t], org_groups[t], pair_groups[t], int(counts[t])) for t in range(n_tasks)
    ]


def solve_in_parts(
    backend: Solver,
    model: AssignmentModel,
    parts: Sequence[Part],
    *,
    budget: Budget,
    seed: int = 0,
    executor: Executor | None = None,
) -> SolverResult:
    """Solve each part with ``backend`` (on ``executor``, or here one after another) and merge.

    A part may spend a share of the ``budget``'s work in proportion to its pairs, and stops at its
    deadline (a part sent to an executor takes the seconds left when it is sent). The merged
    status is the weakest of the parts'; the phases a deadline stopped come back in
    ``stats["time_capped"]``.
    """
    total = max(1, model.n_pairs)
    scale = flow_scale(model)
    tasks = (
        (
            backend,
            part.model(model, scale),
            budget.work * part.pairs.size / total,
            budget.seconds_left(),
            seed,
        )
        for part in parts
    )
    if executor is None:
        results = [_solve_part(*task) for task in tasks]
    else:
        # Submitted as they are cut out, so that the workers start on the first parts at once.
        futures = [executor.submit(_solve_part, *task) for task in tasks]
        results = [future.result() for future in futures]
    for result in results:
        for phase in str(result.stats.get("time_capped", "")).split(","):
            if phase:
                budget.cap(phase)
    merged = _merge(model, parts, results)
    merged.stats.pop("time_capped", None)
    return merged


def _solve_part(
    backend: Solver, model: AssignmentModel, work: float, seconds: float, seed: int
) -> SolverResult:
    budget = Budget.start(seconds, work)
    result = backend.solve(model, time_limit=seconds, seed=seed, budget=budget)
    if budget.capped:
        result.stats["time_capped"] = ",".join(budget.capped)
    return result


def _merge(
    model: AssignmentModel, parts: Sequence[Part], results: Sequence[SolverResult]
) -> SolverResult:
    chosen = np.sort(
        np.concatenate(
            [np.zeros(0, np.int64)]
            + [part.pairs[result.chosen] for part, result in zip(parts, results, strict=True)]
        )
    )
    order = [Status.INFEASIBLE, Status.UNKNOWN, Status.FEASIBLE, Status.OPTIMAL]
    status = min((r.status for r in results), key=order.index, default=Status.OPTIMAL)
    # Counts and seconds add up over the parts; the scale and the texts are the first part's.
    stats: dict[str, float | int | str] = {}
    for result in results:
        for key, value in result.stats.items():
            known = stats.setdefault(key, value if key == "scale" or isinstance(value, str) else 0)
            if key != "scale" and not isinstance(value, str) and not isinstance(known, str):
                stats[key] = known + value
    stats["parts"] = len(parts)
    stats["connected_components"] = sum(part.n_components for part in parts)
    if status is Status.INFEASIBLE:
        return SolverResult(status, np.zeros(0, np.int64), float("nan"), float("-inf"), stats)
    return SolverResult(
        status,
        chosen,
        model.objective(chosen),
        float(sum(r.bound for r in results)),
        stats,
    )


def _join_coupled(model: AssignmentModel, need_label: IntArray, label: IntArray) -> IntArray:
    """Component labels after joining the components that one rule counts together."""
    side = model.side
    if side is None:
        return label
    rules = side.rules
    if (
        rules.min_organizations
        or rules.total_fund
        or rules.capacity_building_share
        or any(goal.kind == "fairness" for goal in side.goals)
    ):
        return np.zeros_like(label)
    paired = np.zeros(model.n_needs, bool)
    paired[model.need] = True
    tails: list[IntArray] = []
    heads: list[IntArray] = []
    for group in rules.groups:
        members = group.needs[paired[group.needs]]
        if members.size == 0:
            if group.softness.hard and (group.lower or 0) > 0:
                return np.zeros_like(label)  # the whole must report it infeasible
            continue
        tails.append(need_label[members])
        heads.append(np.full(members.size, need_label[members[0]]))
    if not tails:
        return label
    size = int(label.max()) + 1
    tail, head = np.concatenate(tails), np.concatenate(heads)
    # Many links repeat; their weights add up, so they must not be able to wrap around to 0.
    links = sp.coo_matrix((np.ones(tail.size, np.int64), (tail, head)), shape=(size, size))
    _, joined = csgraph.connected_components(links, directed=False)
    return np.asarray(joined[label], np.int64)


def _pack(components: IntArray, pairs_per: IntArray, min_task_pairs: int) -> IntArray:
    """Task of each component: largest first onto the lightest task (ties: the lowest task)."""
    total = int(pairs_per.sum())
    n_tasks = int(min(components.size, MAX_TASKS, max(1, total // max(1, min_task_pairs))))
    heap = [(0, t) for t in range(n_tasks)]
    task_of = np.zeros(components.size, np.int64)
    for c in np.lexsort((components, -pairs_per)).tolist():
        load, t = heapq.heappop(heap)
        task_of[c] = t
        heapq.heappush(heap, (load + int(pairs_per[c]), t))
    return task_of


def _groups(key: IntArray, n_groups: int) -> list[IntArray]:
    """Positions of each key 0..n_groups-1 (negative keys dropped), in increasing order."""
    # Small integers sort stably by radix, several times faster than 64-bit keys.
    small = np.int16 if n_groups < np.iinfo(np.int16).max else np.int64
    order = np.argsort(key.astype(small), kind="stable")
    bounds = np.searchsorted(key[order], np.arange(n_groups + 1))
    return [order[bounds[g] : bounds[g + 1]].astype(np.int64) for g in range(n_groups)]


def _side_part(side: SideRules, part: Part, n_needs: int) -> SideRules:
    position = _renumber(part.needs, n_needs)
    groups = []
    for group in side.rules.groups:
        members = position[group.needs]
        members = members[members >= 0]
        if members.size:
            groups.append(replace(group, needs=members))
    needs = part.needs
    return replace(
        side,
        rules=RuleSet(groups=groups, budgets=side.rules.budgets),
        partners=side.partners[needs],
        lead_needed=side.lead_needed[needs],
        pair_primary=side.pair_primary[part.pairs],
        need_cost=side.need_cost[needs],
        capacity_building=side.capacity_building[needs],
        org_budget=side.org_budget[part.orgs],
        key_need=side.key_need[needs],
        fairness_groups=[[] for _ in side.goals],
        servable=side.servable[needs] if side.servable.size else side.servable,
    )
