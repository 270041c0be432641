"""Why hard rules cannot all hold: cheap pre-checks first, then a minimal core from CP-SAT.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=30).with_policy(
...     rules={"program": {"min_served": 1000}})
>>> solution = matcher.solve(problem)
>>> print(solution.status)
infeasible
>>> print(solution.conflicts[0].message_en)  # doctest: +ELLIPSIS
all needs must get at least 1000 served needs, but only ... of its needs have a candidate
"""

from __future__ import annotations

import numpy as np

from .constraints import NeedGroup
from .models import Problem
from .solution import Conflict
from .solvers.base import AssignmentModel, SideRules
from .solvers.budget import Budget

__all__ = ["explain_conflict", "precheck"]


def _floor_messages(group: NeedGroup, have: int, what_zh: str, what_en: str) -> tuple[str, str]:
    return (
        f"{group.name_zh}至少需要满足 {group.lower} 项需求，但{what_zh}只有 {have}",
        f"{group.name_en} must get at least {group.lower} served needs, but {what_en} {have}",
    )


def precheck(problem: Problem, model: AssignmentModel, side: SideRules) -> list[Conflict]:
    """Conflicts visible without a solver: floors above what candidates or capacity allow."""
    conflicts = []
    has_pair = np.bincount(model.need, minlength=model.n_needs) >= side.partners
    for group in side.rules.groups:
        if group.lower is None or not group.softness.hard:
            continue
        name = f"{group.rule}:{group.target}:min"
        servable = int(has_pair[group.needs].sum())
        if servable < group.lower:
            zh, en = _floor_messages(group, servable, "有候选组织的需求", "only")
            conflicts.append(
                Conflict(
                    rules=(name,), message_zh=zh, message_en=en + " of its needs have a candidate"
                )
            )
            continue
        inside = np.isin(model.need, group.needs)
        orgs = np.unique(model.org[inside])
        room = int(
            np.minimum(
                model.capacity[orgs], np.bincount(model.org[inside], minlength=model.n_orgs)[orgs]
            ).sum()
        )
        needed = int(np.sort(side.partners[group.needs])[: group.lower].sum())
        if room < needed:
            zh, en = _floor_messages(group, len(orgs), "可服务它的组织", "only")
            conflicts.append(
                Conflict(
                    rules=(name,),
                    message_zh=f"{zh}，合计承接能力 {room}",
                    message_en=f"{en} organizations may serve it, with room for {room}",
                )
            )
    if side.rules.min_organizations is not None and side.rules.min_organizations[1].hard:
        wanted = side.rules.min_organizations[0]
        usable = int(np.unique(model.org[model.capacity[model.org] > 0]).size)
        if usable < wanted:
            conflicts.append(
                Conflict(
                    rules=("program:min_organizations",),
                    message_zh=f"至少需要 {wanted} 个组织参与，但只有 {usable} 个组织有候选需求",
                    message_en=f"at least {wanted} organizations must take part, but only {usable} "
                    "have a candidate need",
                )
            )
    return conflicts


def _describe(name: str, side: SideRules, problem: Problem) -> tuple[str, str]:
    groups = {f"{g.rule}:{g.target}": g for g in side.rules.groups}
    head, _, bound = name.rpartition(":")
    group = groups.get(head)
    if group is not None:
        if bound == "min":
            return (
                f"{group.name_zh}至少满足 {group.lower} 项",
                f"{group.name_en} gets at least {group.lower} served needs",
            )
        return (
            f"{group.name_zh}至多满足 {group.upper} 项",
            f"{group.name_en} gets at most {group.upper} served needs",
        )
    if name == "program:min_organizations" and side.rules.min_organizations:
        wanted = side.rules.min_organizations[0]
        return f"至少 {wanted} 个组织参与", f"at least {wanted} organizations take part"
    if name == "money:total_fund" and side.rules.total_fund:
        fund = side.rules.total_fund[0]
        return f"总资金不超过 {fund:,.0f} 元", f"the program fund of {fund:,.0f} is not exceeded"
    if name.startswith("money:budget:"):
        org = problem.index.org_ids[int(name.rsplit(":", 1)[1])]
        return f"{org} 不超出预算", f"{org} stays within its budget"
    if name == "aid_mix" and side.rules.capacity_building_share:
        share = side.rules.capacity_building_share[0]
        return (
            f"造血类项目至少占 {share:.0%}",
            f"at least {share:.0%} of served needs build capacity",
        )
    return name, name


def explain_conflict(
    problem: Problem, model: AssignmentModel, side: SideRules, *, budget: Budget, seed: int
) -> list[Conflict]:
    """Small sets of named hard rules that cannot hold together, in Chinese and English.

    The search for them spends what is left of the call's ``budget``.
    """
    from .solvers.cpsat_rules import find_conflict  # CP-SAT and scipy: imported on first use

    found = precheck(problem, model, side)
    if found:
        return found
    core = find_conflict(model, side, budget=budget, seed=seed)
    if not core:
        return []
    parts = [_describe(name, side, problem) for name in core]
    return [
        Conflict(
            rules=tuple(core),
            message_zh="以下规则无法同时满足：" + "；".join(zh for zh, _ in parts),
            message_en="these rules cannot all hold: " + "; ".join(en for _, en in parts),
        )
    ]
