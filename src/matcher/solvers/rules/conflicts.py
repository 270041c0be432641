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

from typing import Any

import numpy as np

from ...models import Problem, catalog
from ...models.base import Model
from ...rules.compile import NeedGroup
from ..base import AssignmentModel, SideRules
from ..budget import Budget

__all__ = ["Conflict", "explain_conflict", "precheck"]


class Conflict(Model):
    """Hard rules that cannot all hold, named as in the policy and said in both languages."""

    rules: tuple[str, ...]
    message_zh: str
    message_en: str


def _pair(key: str, group: NeedGroup | None = None, **fields: Any) -> tuple[str, str]:
    """The catalog's text ``key`` in Chinese and English; ``group`` fills ``{group}`` by its name."""
    zh = catalog.text(key, "zh", **fields, **({"group": group.name_zh} if group else {}))
    en = catalog.text(key, "en", **fields, **({"group": group.name_en} if group else {}))
    return zh, en


def _conflict(rules: tuple[str, ...], key: str, **fields: Any) -> Conflict:
    zh, en = _pair(key, **fields)
    return Conflict(rules=rules, message_zh=zh, message_en=en)


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
            conflicts.append(
                _conflict(
                    (name,),
                    "conflict.floor_candidates",
                    group=group,
                    lower=group.lower,
                    have=servable,
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
            conflicts.append(
                _conflict(
                    (name,),
                    "conflict.floor_capacity",
                    group=group,
                    lower=group.lower,
                    have=len(orgs),
                    room=room,
                )
            )
    if side.rules.min_organizations is not None and side.rules.min_organizations[1].hard:
        wanted = side.rules.min_organizations[0]
        usable = int(np.unique(model.org[model.capacity[model.org] > 0]).size)
        if usable < wanted:
            conflicts.append(
                _conflict(
                    ("program:min_organizations",),
                    "conflict.min_organizations",
                    wanted=wanted,
                    usable=usable,
                )
            )
    return conflicts


def _describe(name: str, side: SideRules, problem: Problem) -> tuple[str, str]:
    groups = {f"{g.rule}:{g.target}": g for g in side.rules.groups}
    head, _, bound = name.rpartition(":")
    group = groups.get(head)
    if group is not None:
        if bound == "min":
            return _pair("hard_rule.min", group=group, count=group.lower)
        return _pair("hard_rule.max", group=group, count=group.upper)
    if name == "program:min_organizations" and side.rules.min_organizations:
        wanted = side.rules.min_organizations[0]
        return _pair("hard_rule.min_organizations", wanted=wanted)
    if name == "money:total_fund" and side.rules.total_fund:
        fund = side.rules.total_fund[0]
        return _pair("hard_rule.total_fund", fund=fund)
    if name.startswith("money:budget:"):
        org = problem.index.org_ids[int(name.rsplit(":", 1)[1])]
        return _pair("hard_rule.budget", org=org)
    if name == "aid_mix" and side.rules.capacity_building_share:
        share = side.rules.capacity_building_share[0]
        return _pair("hard_rule.aid_mix", share=share)
    return name, name


def explain_conflict(
    problem: Problem, model: AssignmentModel, side: SideRules, *, budget: Budget, seed: int
) -> list[Conflict]:
    """Small sets of named hard rules that cannot hold together, in Chinese and English.

    The search for them spends what is left of the call's ``budget``.
    """
    from .cpsat import find_conflict  # CP-SAT and scipy: imported on first use

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
            message_zh=catalog.text(
                "conflict.cannot_all_hold",
                "zh",
                rules=catalog.text("conflict.separator", "zh").join(zh for zh, _ in parts),
            ),
            message_en=catalog.text(
                "conflict.cannot_all_hold",
                "en",
                rules=catalog.text("conflict.separator", "en").join(en for _, en in parts),
            ),
        )
    ]
