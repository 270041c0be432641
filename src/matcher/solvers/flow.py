"""Exact back end: OR-Tools min-cost flow on the need/organization network.

The network is source -> need (capacity 1) -> organization (capacity 1, cost -score) -> sink
(capacity ``max_projects``), plus a source -> sink bypass at cost 0 that lets any need stay
unassigned. All of the source's supply must reach the sink, so the cheapest flow takes exactly the
assignments that add score: it never maximizes the number of assignments first.
"""

from __future__ import annotations

import time

import numpy as np

# Loaded with the package (a tenth of a second): the first solve takes what the later ones take.
from ortools.graph.python import min_cost_flow

from ..errors import SolverError
from .base import AssignmentModel, IntArray, Solver, SolverResult, Status, integer_scores
from .budget import Budget

__all__ = ["FlowSolver", "build_network", "chosen_pairs", "flow_scale", "scaled"]


def build_network(
    n_needs: int,
    capacity: IntArray,
    need: IntArray,
    org: IntArray,
    gain: IntArray,
    need_capacity: IntArray | None = None,
) -> min_cost_flow.SimpleMinCostFlow:
    """The one min-cost flow network of an assignment, for the flow back end, re-dispatch and the
    partnerships' relaxation.

    Source -> need (capacity 1, or ``need_capacity``) -> organization (capacity 1, cost
    ``-gain``) -> sink (capacity ``capacity``), plus a source -> sink bypass at cost 0, so that a
    need may stay unassigned. Arcs are added in that order: the pairs' arcs are
    ``n_needs .. n_needs + len(need) - 1``.

    Parameters
    ----------
    n_needs
        Number of needs; ``capacity`` gives the number of organizations.
    capacity
        Per organization, how many needs it may take.
    need, org, gain
        Per pair: its need, its organization and its integer gain (positive: a free or costly
        arc is one the flow has no reason to use).

    Examples
    --------
    >>> network = build_network(2, np.array([1]), np.array([0, 1]), np.array([0, 0]),
    ...                         np.array([3, 5]))
    >>> chosen_pairs(network, 2, 2).tolist()
    [1]
    """
    n, m = n_needs, capacity.size
    source, sink = 0, n + m + 1
    takes = np.ones(n, np.int64) if need_capacity is None else need_capacity.astype(np.int64)
    supply = int(takes.sum())
    tails = np.concatenate(
        [np.zeros(n, np.int64), need + 1, np.arange(n + 1, n + m + 1, dtype=np.int64), [source]]
    )
    heads = np.concatenate(
        [np.arange(1, n + 1, dtype=np.int64), org + n + 1, np.full(m, sink), [sink]]
    )
    capacities = np.concatenate(
        [takes, np.ones(need.size, np.int64), capacity.astype(np.int64), [supply]]
    )
    unit_costs = np.concatenate([np.zeros(n, np.int64), -gain, np.zeros(m + 1, np.int64)])
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
    network.set_nodes_supplies(np.array([source, sink]), np.array([supply, -supply]))
    return network


def chosen_pairs(network: min_cost_flow.SimpleMinCostFlow, n_needs: int, n_pairs: int) -> IntArray:
    """Solve a network of :func:`build_network`: the positions of the pairs its flow uses."""
    outcome = network.solve()
    if outcome != network.OPTIMAL:
        raise SolverError(f"min-cost flow failed with status {outcome!r}")
    if n_pairs == 0:
        return np.zeros(0, np.int64)
    flows = network.flows(np.arange(n_needs, n_needs + n_pairs))
    return np.flatnonzero(flows > 0).astype(np.int64)


def scaled(model: AssignmentModel, positive: IntArray) -> tuple[IntArray, float]:
    """The integer scores of the ``positive`` pairs, as the flow rounds them, and the scale.

    Every exact back end of a network-shaped model reads these integers, so that "optimal" and
    the reported ``tolerance`` mean the same whichever algorithm ran.
    """
    # Every pair positive: ``positive`` is every position, and the scores are read as they are.
    score = model.score if positive.size == model.n_pairs else model.score[positive]
    if model.scale is None:
        costs, scale = integer_scores(score, model.n_needs + model.n_orgs + 2)
    else:
        scale = model.scale
        costs = np.rint(score * scale).astype(np.int64)
    # A positive score never rounds to 0 (a free arc), which a plan could then leave out.
    return np.maximum(costs, 1, out=costs), scale


def flow_scale(model: AssignmentModel) -> float:
    """The factor the flow rounds ``model``'s scores with (``model.scale`` when it is given)."""
    if model.scale is not None:
        return model.scale
    top = float(model.score.max()) if model.n_pairs else 0.0
    # The scale depends on the largest positive score only: no need to round every score.
    return integer_scores(np.array([max(top, 0.0)]), model.n_needs + model.n_orgs + 2)[1]


class FlowSolver(Solver):
    """Min-cost flow (``SimpleMinCostFlow``): exact, no time limit needed, optimal in one call."""

    name = "flow"
    exact = True

    def solve(
        self,
        model: AssignmentModel,
        *,
        time_limit: float = 10.0,
        seed: int = 0,
        hint: IntArray | None = None,
        budget: Budget | None = None,
    ) -> SolverResult:
        started = time.perf_counter()
        positive = np.flatnonzero(model.score > 0)
        n = model.n_needs
        costs, scale = scaled(model, positive)

        network = build_network(n, model.capacity, model.need[positive], model.org[positive], costs)
        built = time.perf_counter()
        chosen = positive[chosen_pairs(network, n, positive.size)]
        objective = model.objective(chosen)
        finished = time.perf_counter()
        return SolverResult(
            status=Status.OPTIMAL,
            chosen=np.sort(chosen),
            objective=objective,
            bound=objective,
            stats={
                "scale": scale,
                "tolerance": min(n, int(model.capacity.sum())) / scale,
                "build_seconds": built - started,
                "solve_seconds": finished - built,
                "arcs": int(network.num_arcs()),
            },
        )
