"""Exact back end: OR-Tools min-cost flow on the need/organization network.

The network is source -> need (capacity 1) -> organization (capacity 1, cost -score) -> sink
(capacity ``max_projects``), plus a source -> sink bypass at cost 0 that lets any need stay
unassigned. All of the source's supply must reach the sink, so the cheapest flow takes exactly the
assignments that add score: it never maximizes the number of assignments first.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from ..errors import SolverError
from .base import AssignmentModel, IntArray, Solver, SolverResult, Status, integer_scores
from .budget import Budget

__all__ = ["FlowSolver", "flow_scale"]


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
        n, m = model.n_needs, model.n_orgs
        source, sink = 0, n + m + 1
        if model.scale is None:
            costs, scale = integer_scores(model.score[positive], n + m + 2)
        else:
            scale = model.scale
            costs = np.rint(model.score[positive] * scale).astype(np.int64)
        # A positive score never rounds to a free arc, which the flow could leave unused.
        costs = np.maximum(costs, 1)

        network = min_cost_flow.SimpleMinCostFlow()
        needs = np.arange(1, n + 1, dtype=np.int64)
        orgs = np.arange(n + 1, n + m + 1, dtype=np.int64)
        tails = np.concatenate([np.zeros(n, np.int64), model.need[positive] + 1, orgs, [source]])
        heads = np.concatenate([needs, model.org[positive] + n + 1, np.full(m, sink), [sink]])
        capacities = np.concatenate(
            [np.ones(n + positive.size, np.int64), model.capacity.astype(np.int64), [n]]
        )
        unit_costs = np.concatenate([np.zeros(n, np.int64), -costs, np.zeros(m + 1, np.int64)])
        network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
        network.set_nodes_supplies(np.array([source, sink]), np.array([n, -n]))
        built = time.perf_counter()

        outcome = network.solve()
        if outcome != network.OPTIMAL:
            raise SolverError(f"min-cost flow failed with status {outcome!r}")
        pair_arcs = np.arange(n, n + positive.size)
        chosen = positive[network.flows(pair_arcs) > 0] if positive.size else positive
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
