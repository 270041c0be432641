"""Baseline back end: take pairs best score first while need and organization are free.

It is what a hand-run platform approximates, and what every benchmark compares against. Its plan is
valid but not proven best; its ``bound`` is the smaller of two relaxations (each need's best score,
each organization's best ``max_projects`` scores), so the reported gap is an honest upper limit.
"""

from __future__ import annotations

import time

import numpy as np

from .base import AssignmentModel, FloatArray, IntArray, Solver, SolverResult, Status
from .budget import Budget

__all__ = ["GreedySolver", "relaxation_bound"]


class GreedySolver(Solver):
    """Best score first; ties broken by need, then organization, in input order."""

    name = "greedy"
    exact = False

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
        order = positive[
            np.lexsort((model.org[positive], model.need[positive], -model.score[positive]))
        ]
        need_free = np.ones(model.n_needs, bool).tolist()
        room = model.capacity.astype(np.int64).tolist()
        chosen = []
        for pair, need, org in zip(
            order.tolist(), model.need[order].tolist(), model.org[order].tolist(), strict=True
        ):
            if need_free[need] and room[org] > 0:
                need_free[need] = False
                room[org] -= 1
                chosen.append(pair)
        picked = np.sort(np.array(chosen, np.int64))
        objective = model.objective(picked)
        bound = max(objective, relaxation_bound(model))
        status = Status.OPTIMAL if bound <= objective else Status.FEASIBLE
        return SolverResult(
            status, picked, objective, bound, {"solve_seconds": time.perf_counter() - started}
        )


def relaxation_bound(model: AssignmentModel) -> float:
    """An upper bound on any plan: min(sum of needs' best scores, sum of orgs' top-k scores)."""
    score = np.where(model.score > 0, model.score, 0.0)
    if score.size == 0:
        return 0.0
    best_per_need = np.zeros(model.n_needs)
    np.maximum.at(best_per_need, model.need, score)
    by_org = np.lexsort((-score, model.org))
    org_sorted = model.org[by_org]
    first = np.searchsorted(org_sorted, org_sorted, side="left")
    rank = np.arange(org_sorted.size) - first
    keep = rank < model.capacity[org_sorted]
    top_per_org: FloatArray = score[by_org][keep]
    return float(min(best_per_need.sum(), top_per_org.sum()))
