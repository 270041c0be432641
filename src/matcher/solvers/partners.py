"""Partnerships by flow first: the min-cost flow relaxation settles most of them at once.

A need of ``partners = k`` takes ``k`` distinct organizations or none. Dropping "or none" leaves a
network: the source sends each need up to ``k`` units, one per candidate pair, and organizations
pass at most ``max_projects`` to the sink (the flow of :mod:`matcher.solvers.flow` with need
capacity ``k``). Its optimum bounds every plan's score, since every plan is one of its flows. When
the optimal flow gives every need 0 or exactly ``k`` organizations, it *is* a plan, and therefore
an optimal one: with no other rule in force it is returned as such, without a search (the
partnership row of ``benchmarks/RESULTS.md``, *Plain assignment against the assignment solvers*).

Otherwise the program goes to CP-SAT as before (:func:`~matcher.solvers.rules.cpsat.
solve_with_rules`), started from the flow plan less the needs it serves in part, and with the
flow's optimum as a bound on the score.

Examples
--------
Two needs of two partners, three organizations of one slot each: the flow gives the better need
both of its best organizations and the other none, which is all or none, hence optimal.

>>> from matcher.solvers.base import AssignmentModel
>>> model = AssignmentModel(2, 3, need=np.array([0, 0, 0, 1, 1]), org=np.array([0, 1, 2, 1, 2]),
...                         score=np.array([1.0, 5.0, 5.0, 1.0, 1.0]), capacity=np.ones(3, int))
>>> relaxed = partnership_flow(model, np.array([2, 2]))
>>> relaxed.chosen.tolist(), relaxed.objective, relaxed.all_or_none
([1, 2], 10.0, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .base import AssignmentModel, IntArray, SideRules, SolverResult, Status
from .budget import Budget
from .flow import build_network, chosen_pairs, scaled
from .rules.cpsat import solve_with_rules

__all__ = ["PartnershipFlow", "partnership_flow", "solve_partnered"]


@dataclass(frozen=True, eq=False)
class PartnershipFlow:
    """The relaxation's optimal flow: its pairs, their score, and how far it is from a plan.

    ``bound`` is the objective plus the rounding ``tolerance``: no plan scores more. ``partial``
    are the needs that got some organizations but fewer than their ``partners``.
    """

    chosen: IntArray
    objective: float
    tolerance: float
    scale: float
    partial: IntArray

    @property
    def all_or_none(self) -> bool:
        return self.partial.size == 0

    @property
    def bound(self) -> float:
        return self.objective + self.tolerance

    def plan(self, model: AssignmentModel) -> IntArray:
        """The flow's pairs less those of the needs it serves in part: a plan (sorted)."""
        broken = np.zeros(model.n_needs, bool)
        broken[self.partial] = True
        return self.chosen[~broken[model.need[self.chosen]]]


def partnership_flow(model: AssignmentModel, partners: IntArray) -> PartnershipFlow:
    """The optimal flow where need ``n`` takes up to ``partners[n]`` distinct organizations.

    Scores are rounded as the flow rounds them (:func:`~matcher.solvers.flow.scaled`); pairs
    that score 0 or less are never taken. Fixed pairs are not forced.
    """
    positive = np.flatnonzero(model.score > 0)
    w, scale = scaled(model, positive)
    n = model.n_needs
    network = build_network(
        n, model.capacity, model.need[positive], model.org[positive], w, need_capacity=partners
    )
    chosen = np.sort(positive[chosen_pairs(network, n, positive.size)])
    supply = int(partners.sum())
    taken = np.bincount(model.need[chosen], minlength=n)
    partial = np.flatnonzero((taken > 0) & (taken < partners))
    pairs = min(supply, int(model.capacity.sum()))
    return PartnershipFlow(chosen, model.objective(chosen), pairs / scale, scale, partial)


def solve_partnered(
    model: AssignmentModel,
    side: SideRules,
    *,
    budget: Budget,
    seed: int,
    hint: IntArray | None,
    workers: int = 1,
    unconstrained: float | None = None,
) -> SolverResult:
    """:func:`~matcher.solvers.rules.cpsat.solve_with_rules`, the flow relaxation first where
    needs take several partners (see the module); the same arguments and result.

    The flow's plan is returned as optimal when it is all or none and nothing else is in force:
    no lead of a primary type, no counting or money rule, the score the only goal, no fixed pair.
    Otherwise it replaces ``hint`` (the one-partner flow plan of the caller fits no partnership)
    and bounds the score.
    """
    if not (side.partners > 1).any() or model.fixed.size:
        return solve_with_rules(
            model, side, budget=budget, seed=seed, hint=hint, workers=workers,
            unconstrained=unconstrained,
        )  # fmt: skip
    started = time.perf_counter()
    relaxed = partnership_flow(model, side.partners)
    solved = time.perf_counter()
    score_only = side.goal_mode != "weighted" and all(g.kind == "score" for g in side.goals)
    stats: dict[str, float | int | str] = {
        "flow_bound": relaxed.bound,
        "flow_partial_needs": int(relaxed.partial.size),
        "flow_seconds": solved - started,
    }
    if relaxed.all_or_none and score_only and side.rules.empty and not side.lead_needed.any():
        stats.update(
            {
                "algorithm": "partnership flow",
                "scale": relaxed.scale,
                "tolerance": relaxed.tolerance,
            }
        )
        return SolverResult(
            Status.OPTIMAL, relaxed.chosen, relaxed.objective, relaxed.objective, stats
        )
    result = solve_with_rules(
        model, side, budget=budget, seed=seed, hint=relaxed.plan(model), workers=workers
    )
    result.stats.update(stats)
    if score_only:
        return replace(result, bound=min(result.bound, relaxed.bound))
    return result
