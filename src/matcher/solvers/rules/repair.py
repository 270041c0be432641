"""A plan that keeps every hard rule, repaired from the unconstrained optimum, fast.

Budgets are knapsacks, one per organization: the hardest of the program's rules for CP-SAT at
province scale, and the one the min-cost flow plan breaks. :func:`rough_plan` keeps, for each
organization over budget, the subset of its needs worth most within budget, then places the needs
it let go with min-cost flow on what capacity and money are left, and repeats; a last greedy pass
fills what the flow cannot without breaking a budget. Asked to, it also repairs the plans of the
flow under Lagrangian prices on money, and keeps the best. The plan it returns keeps every hard
rule, or it returns ``None``: the search starts from it, and it stands when the search finds no
better plan in its work or time, so even a very short limit gives a plan.

Examples
--------
>>> import numpy as np
>>> from matcher.rules.compile import RuleSet
>>> from matcher.models.rules import Softness
>>> from matcher.solvers.base import AssignmentModel, SideRules
>>> model = AssignmentModel(3, 1, need=np.array([0, 1, 2]), org=np.array([0, 0, 0]),
...                         score=np.array([3.0, 2.0, 2.0]), capacity=np.array([3]))
>>> side = SideRules(rules=RuleSet(budgets=Softness()), partners=np.ones(3, np.int64),
...     lead_needed=np.zeros(3, bool), pair_primary=np.zeros(3, bool),
...     need_cost=np.array([4.0, 2.0, 2.0]), capacity_building=np.zeros(3, bool),
...     org_budget=np.array([4.0]), key_need=np.zeros(3, bool), goals=(), goal_mode="lexicographic")
>>> rough_plan(model, side, start=np.array([0, 1, 2])).tolist()  # 2 + 2 beats 3, both fit
[1, 2]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..base import AssignmentModel, BoolArray, IntArray, SideRules
from ..budget import Budget
from ..flow import FlowSolver

__all__ = ["rough_plan"]

#: Rounds of keep-the-best-subset and re-place-the-rest.
ROUNDS = 4
#: Rounds of Lagrangian prices on the budgets (each one min-cost flow and one repair).
PRICE_ROUNDS = 8
#: Step of the price update, as a share of the Polyak step.
STEP = 1.0
#: Organizations holding more needs than this are trimmed greedily, not by enumeration.
EXACT_UP_TO = 12


def rough_plan(
    model: AssignmentModel,
    side: SideRules,
    start: IntArray,
    *,
    prices: int = 0,
    budget: Budget | None = None,
) -> IntArray | None:
    """A plan that keeps every hard rule, grown from ``start``: what a search starts from, and
    what stands when it finds nothing in time.

    Soft rules and goals never make a plan invalid, so only the hard rules count. When budgets are
    hard, ``start`` is trimmed to them and refilled (:data:`ROUNDS` times); the plan stands when
    every hard counting rule and the fund then hold.

    Parameters
    ----------
    model, side
        The model and its rules.
    start
        A plan that keeps capacities (the min-cost flow plan of the unconstrained model).
    prices
        Rounds of Lagrangian prices on money: each prices the budgets by how far the last plan
        overspent them (a subgradient step), solves the min-cost flow under those prices and
        repairs its plan; the best repaired plan is kept. Each round is one min-cost flow.
    budget
        The call's budget: no round starts after its deadline (recorded as a cap).

    Returns
    -------
    numpy.ndarray or None
        Sorted pair indices; ``None`` when a hard rule still fails, or the model has what the
        repair does not cover (fixed pairs, partnerships, a lead, a hard aid mix).
    """
    share = side.rules.capacity_building_share
    if (
        model.fixed.size
        or (side.partners > 1).any()
        or side.lead_needed.any()
        or (share is not None and share[1].hard)
    ):
        return None
    plan = np.unique(start)
    budgets = side.rules.budgets
    if budgets is not None and budgets.hard:
        plan = _repair_budgets(model, side, plan, prices, budget)
    return plan if _keeps_counts(model, side, plan) else None


def _repair_budgets(
    model: AssignmentModel,
    side: SideRules,
    start: IntArray,
    prices: int,
    budget: Budget | None,
) -> IntArray:
    """The best of the repaired start and of the repaired plans under ``prices`` rounds of prices."""
    spend_of = np.rint(side.need_cost / side.partners).astype(np.int64)[model.need]
    money = np.where(np.isfinite(side.org_budget), np.floor(side.org_budget), np.inf)
    best = _repaired(model, spend_of, money, start, ROUNDS, budget)
    best_value = model.objective(best)
    # Lagrangian prices on money: organizations over budget charge for it, and the flow moves
    # their costliest needs elsewhere before the repair trims what is left.
    price = np.zeros(model.n_orgs)
    plan, upper = start, np.inf
    for _ in range(prices):
        spend = np.bincount(model.org[plan], spend_of[plan], minlength=model.n_orgs)
        excess = np.where(np.isfinite(money), spend - money, 0.0)
        dual = (
            model.objective(plan)
            - float(price @ spend)
            + float(price @ np.where(np.isfinite(money), money, 0.0))
        )
        upper = min(upper, dual)
        norm = float(excess @ excess)
        if norm == 0.0:
            break
        if budget is not None and budget.expired():
            budget.cap("budget repair")
            break
        price = np.maximum(0.0, price + STEP * (upper - best_value) / norm * excess)
        priced = replace(model, score=model.score - price[model.org] * spend_of)
        plan = FlowSolver().solve(priced).chosen
        candidate = _repaired(model, spend_of, money, plan, ROUNDS, budget)
        if model.objective(candidate) > best_value:
            best, best_value = candidate, model.objective(candidate)
    return best


def _repaired(
    model: AssignmentModel,
    spend_of: IntArray,
    money: np.ndarray,
    chosen: IntArray,
    rounds: int,
    budget: Budget | None,
) -> IntArray:
    """``chosen`` trimmed to the money and refilled, ``rounds`` times (fewer past the ``budget``'s
    deadline), then filled greedily."""
    for _ in range(rounds):
        chosen = _trim(model, spend_of, money, chosen)
        if budget is not None and budget.expired():
            budget.cap("budget repair")
            break
        placed = _place(model, spend_of, money, chosen)
        if placed.size == 0:
            break
        chosen = np.union1d(chosen, placed)
    return _fill(model, spend_of, money, _trim(model, spend_of, money, chosen))


def _trim(
    model: AssignmentModel, spend_of: IntArray, budget: np.ndarray, chosen: IntArray
) -> IntArray:
    """Each organization over budget keeps the subset of its needs worth most within budget."""
    spend = np.bincount(model.org[chosen], spend_of[chosen], minlength=model.n_orgs)
    over = np.flatnonzero(spend > budget)
    if over.size == 0:
        return chosen
    drop = np.zeros(model.n_pairs, bool)
    held = chosen[np.isin(model.org[chosen], over)]
    held = held[np.argsort(model.org[held], kind="stable")]
    cuts = np.flatnonzero(np.diff(model.org[held])) + 1
    for pairs in np.split(held, cuts):
        keep = _best_subset(model.score[pairs], spend_of[pairs], budget[model.org[pairs[0]]])
        drop[pairs[~keep]] = True
    return chosen[~drop[chosen]]


def _best_subset(score: np.ndarray, spend: IntArray, budget: float) -> BoolArray:
    """Which items to keep: the most score within ``budget`` (exact for a few, else greedy)."""
    k = score.size
    if k <= EXACT_UP_TO:
        masks = (np.arange(1 << k)[:, None] >> np.arange(k)) & 1
        fits = masks @ spend <= budget
        value = np.where(fits, masks @ score, -np.inf)
        return np.asarray(masks[int(np.argmax(value))] == 1)
    keep = np.zeros(k, bool)
    room = budget
    for i in np.argsort(-score, kind="stable").tolist():
        if spend[i] <= room:
            keep[i] = True
            room -= spend[i]
    return keep


def _left(
    model: AssignmentModel, spend_of: IntArray, budget: np.ndarray, chosen: IntArray
) -> tuple[BoolArray, IntArray, np.ndarray]:
    """What ``chosen`` leaves: needs still free, each organization's room and money."""
    free_need = np.ones(model.n_needs, bool)
    free_need[model.need[chosen]] = False
    room = model.capacity - np.bincount(model.org[chosen], minlength=model.n_orgs)
    money = budget - np.bincount(model.org[chosen], spend_of[chosen], minlength=model.n_orgs)
    return free_need, room, money


def _place(
    model: AssignmentModel, spend_of: IntArray, budget: np.ndarray, chosen: IntArray
) -> IntArray:
    """Pairs that place free needs on what capacity and money are left (min-cost flow)."""
    free_need, room, money = _left(model, spend_of, budget, chosen)
    usable = np.flatnonzero(
        free_need[model.need]
        & (room[model.org] > 0)
        & (spend_of <= money[model.org])
        & (model.score > 0)
    )
    if usable.size == 0:
        return usable
    rest = AssignmentModel(
        model.n_needs,
        model.n_orgs,
        model.need[usable],
        model.org[usable],
        model.score[usable],
        np.maximum(room, 0),
    )
    return usable[FlowSolver().solve(rest).chosen]


def _fill(
    model: AssignmentModel, spend_of: IntArray, budget: np.ndarray, chosen: IntArray
) -> IntArray:
    """Best score first, every free need that still fits an organization's room and money."""
    free_need, room, money = _left(model, spend_of, budget, chosen)
    usable = np.flatnonzero(free_need[model.need] & (room[model.org] > 0) & (model.score > 0))
    added = []
    for p in usable[np.argsort(-model.score[usable], kind="stable")].tolist():
        n, o = int(model.need[p]), int(model.org[p])
        if free_need[n] and room[o] > 0 and spend_of[p] <= money[o]:
            free_need[n] = False
            room[o] -= 1
            money[o] -= spend_of[p]
            added.append(p)
    return np.sort(np.concatenate([chosen, np.array(added, np.int64)]))


def _keeps_counts(model: AssignmentModel, side: SideRules, chosen: IntArray) -> bool:
    """Whether the hard counting rules and fund hold for ``chosen`` (budgets hold by construction)."""
    served = np.zeros(model.n_needs, bool)
    served[model.need[chosen]] = True
    for group in side.rules.groups:
        if not group.softness.hard:
            continue
        count = int(served[group.needs].sum())
        if (group.lower is not None and count < group.lower) or (
            group.upper is not None and count > group.upper
        ):
            return False
    rules = side.rules
    engaged = np.unique(model.org[chosen]).size
    least = rules.min_organizations
    if least is not None and least[1].hard and engaged < least[0]:
        return False
    if rules.total_fund is not None and rules.total_fund[1].hard:
        spent = float(np.rint(side.need_cost)[served].sum())
        if spent > np.floor(rules.total_fund[0]):
            return False
    return True
