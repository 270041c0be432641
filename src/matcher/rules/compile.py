"""The policy's counting rules compiled into arrays: groups of needs with limits, money, aid mix.

This is the one place that turns ``policy.rules`` into numbers; the CP-SAT back end, the conflict
finder and the plan's KPIs read it. :func:`matcher.verify` does not: it recounts in plain Python.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50).with_policy(
...     rules={"regions": [{"level": "county", "tier": "key", "min_served": 1}]})
>>> rules = compile_rules(problem, servable=np.ones(200, bool))
>>> len(rules.groups) > 0, rules.groups[0].rule
(True, 'regions[0]')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from ..models import Level, Priority, Problem, ProblemIndex, catalog
from ..models.base import Model
from ..models.rules import Softness
from ..models.vocab import CATEGORY_CODES

__all__ = [
    "Evaluation",
    "NeedGroup",
    "RuleSet",
    "SoftViolation",
    "compile_rules",
    "evaluate",
    "fairness_groups",
    "group_members",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_TIERS = list(Priority)


@dataclass(frozen=True, eq=False)
class NeedGroup:
    """A limit on the number of served needs among ``needs``.

    Attributes
    ----------
    rule
        Where the rule stands in the policy (``regions[0]``, ``categories[2]``, ``program``).
    target
        What the group is: a region id, a category id, or ``all``.
    name_zh, name_en
        The target's name, for messages.
    needs
        Need indices in the group.
    lower, upper
        Bounds on served needs (``lower`` already capped by the group's servable needs where the
        rule says so); ``None`` when absent.
    softness
        Hard, or soft with a penalty per unit.
    """

    rule: str
    target: str
    name_zh: str
    name_en: str
    needs: IntArray
    lower: int | None
    upper: int | None
    softness: Softness


@dataclass(frozen=True, eq=False)
class RuleSet:
    """Every counting rule of a policy, ready for a solver."""

    groups: list[NeedGroup] = field(default_factory=list)
    min_organizations: tuple[int, Softness] | None = None
    budgets: Softness | None = None
    total_fund: tuple[float, Softness] | None = None
    capacity_building_share: tuple[float, Softness] | None = None

    def softness(self, *, money: bool = True) -> list[Softness]:
        """How hard each rule is: the groups, organizations engaged, the aid mix, and (with
        ``money``) the budgets and the fund."""
        found = [group.softness for group in self.groups]
        pairs = (self.min_organizations, self.capacity_building_share)
        found += [pair[1] for pair in pairs if pair is not None]
        if money:
            found += [self.total_fund[1]] if self.total_fund is not None else []
            found += [self.budgets] if self.budgets is not None else []
        return found

    @property
    def empty(self) -> bool:
        return not (
            self.groups
            or self.min_organizations
            or self.budgets
            or self.total_fund
            or self.capacity_building_share
        )


def group_members(problem: Problem, level: Level, tier: Priority | None) -> dict[int, IntArray]:
    """Needs per region of ``level`` (of ``tier`` when given): region index -> need indices."""
    index = problem.index
    tree = index.hierarchy
    anchor = tree.at_level(index.need_region, level)
    inside = anchor >= 0
    if tier is not None:
        inside &= tree.tier[np.maximum(anchor, 0)] == _TIERS.index(tier)
    needs = np.flatnonzero(inside)
    order = np.argsort(anchor[needs], kind="stable")
    needs = needs[order]
    keys = anchor[needs]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    return {
        int(group[0]): members
        for group, members in zip(np.split(keys, cuts), np.split(needs, cuts), strict=True)
        if group.size
    }


def compile_rules(problem: Problem, servable: BoolArray) -> RuleSet:
    """Compile ``problem.policy.rules``.

    Parameters
    ----------
    problem
        The problem.
    servable
        Per need, whether it has enough candidates to be served at all; region minimums never ask
        for more than a region's servable needs.
    """
    rules = problem.policy.rules
    groups = [*_region_groups(problem, servable), *_category_groups(problem)]
    program = rules.program
    min_orgs = None
    if program is not None:
        everything = np.arange(problem.index.n_needs, dtype=np.int64)
        zh, en = catalog.pair("conflict.all_needs")
        groups.append(
            _kept(
                NeedGroup("program", "all", zh, en, everything, program.min_served, None, program)
            )
        )
        if program.min_organizations:
            min_orgs = (program.min_organizations, program)
    if rules.key_projects_served is not None:
        groups.append(_key_projects_group(problem))

    money = rules.money
    mix = rules.aid_mix
    return RuleSet(
        groups=[group for group in groups if group is not None],
        min_organizations=min_orgs,
        budgets=money if money is not None and money.budgets else None,
        total_fund=(money.total_fund, money) if money and money.total_fund is not None else None,
        capacity_building_share=(mix.min_capacity_building_share, mix) if mix else None,
    )


def _category_groups(problem: Problem) -> Iterator[NeedGroup | None]:
    """The groups of the category quotas: the needs of one category each."""
    index = problem.index
    for i, quota in enumerate(problem.policy.rules.categories):
        yield _kept(
            NeedGroup(
                f"categories[{i}]",
                quota.category.value,
                quota.category.label("zh"),
                quota.category.label("en"),
                np.flatnonzero(index.need_category == CATEGORY_CODES[quota.category]),
                quota.min_served,
                quota.max_served,
                quota,
            )
        )


def _key_projects_group(problem: Problem) -> NeedGroup | None:
    """The group of the key projects rule: a floor of all of the named needs the problem has."""
    key = problem.policy.rules.key_projects_served
    assert key is not None  # called only when the rule is given
    index = problem.index
    known = [index.need_position[n] for n in key.needs if n in index.need_position]
    key_needs = np.unique(np.array(known, np.int64))
    zh, en = catalog.pair("conflict.key_projects")
    floor = int(key_needs.size)
    return _kept(NeedGroup("key_projects_served", "key", zh, en, key_needs, floor, None, key))


def _kept(group: NeedGroup, servable: BoolArray | None = None) -> NeedGroup | None:
    """``group`` when it limits anything: its floor capped by its servable needs when
    ``servable`` is given, and no floor of 0."""
    low = group.lower
    if low is not None and servable is not None:
        low = min(low, int(servable[group.needs].sum()))
    if (low is None or low == 0) and group.upper is None:
        return None
    return replace(group, lower=low or None)


def _region_groups(problem: Problem, servable: BoolArray) -> Iterator[NeedGroup | None]:
    """The groups of the region rules: one region, or every region of a level (and tier); a
    region's floor never asks for more than its servable needs."""
    index = problem.index
    tree = index.hierarchy
    for i, rule in enumerate(problem.policy.rules.regions):
        if rule.region is not None:
            r = tree.index(rule.region)
            inside = tree.ancestor_at[index.need_region, tree.depth[r]] == r
            members = {r: np.flatnonzero(inside)}
        else:
            assert rule.level is not None  # validated: region or level
            members = group_members(problem, rule.level, rule.tier)
        for r, needs in members.items():
            name = problem.regions[r].name or tree.ids[r]
            group = NeedGroup(
                f"regions[{i}]",
                tree.ids[r],
                name,
                name,
                needs,
                rule.min_served,
                rule.max_served,
                rule,
            )
            yield _kept(group, servable)


class SoftViolation(Model):
    """How far a plan misses a soft rule (``amount``, in needs, organizations or yuan), and what
    that costs in score points (``penalty``)."""

    rule: str
    target: str
    amount: float
    penalty: float


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A plan measured against the rules: served needs, soft violations, goal levels."""

    served: BoolArray
    violations: list[SoftViolation]
    hard_violations: list[str]
    levels: dict[str, float]


#: Money rules count costs in whole yuan; penalties are per this much overspending.
MONEY_UNIT = 10_000.0
#: Ratios (aid mix, fairness) are counted in thousandths by the solver.
PER_MILLE = 1000


def fairness_groups(
    problem: Problem, servable: BoolArray, level: Level, tier: Priority | None
) -> list[IntArray]:
    """Servable needs of each region at ``level`` (of ``tier``), for the fairness goal."""
    groups = []
    for members in group_members(problem, level, tier).values():
        kept = members[servable[members]]
        if kept.size:
            groups.append(kept)
    return groups


def evaluate(
    problem: Problem,
    rules: RuleSet,
    need: IntArray,
    org: IntArray,
    score: FloatArray,
    servable: BoolArray,
) -> Evaluation:
    """Measure the plan made of pairs (``need``, ``org``, ``score``) against ``rules`` and goals."""
    index = problem.index
    taken = np.bincount(need, minlength=index.n_needs)
    served = taken >= np.maximum(1, index.need_partners)
    engaged = int((np.bincount(org, minlength=index.n_orgs) > 0).sum())
    misses = _Misses()
    misses.count(index, rules, need, org, served, engaged)
    penalties = sum(v.penalty for v in misses.violations)
    plan = _PlanFigures(served, engaged, float(score.sum()) - penalties)
    levels = _goal_levels(problem, plan, servable)
    return Evaluation(served, misses.violations, misses.hard, levels)


@dataclass
class _Misses:
    """The rules a plan misses: the soft ones with their penalties, the hard ones by name."""

    violations: list[SoftViolation] = field(default_factory=list)
    hard: list[str] = field(default_factory=list)

    def check(self, rule: str, target: str, amount: float, softness: Softness, unit: float) -> None:
        """Record a miss by ``amount`` (none when it is 0 or less), its penalty per ``unit``."""
        if amount <= 1e-9:
            return
        if softness.hard:
            self.hard.append(f"{rule}:{target}")
        else:
            penalty = amount * softness.penalty / unit
            self.violations.append(
                SoftViolation(rule=rule, target=target, amount=float(amount), penalty=penalty)
            )

    def count(
        self,
        index: ProblemIndex,
        rules: RuleSet,
        need: IntArray,
        org: IntArray,
        served: BoolArray,
        engaged: int,
    ) -> None:
        """Check every rule of ``rules`` on the plan's pairs, served needs and engaged count."""
        check = self.check
        for group in rules.groups:
            count = int(served[group.needs].sum())
            if group.lower is not None:
                check(group.rule, group.target + ":min", group.lower - count, group.softness, 1.0)
            if group.upper is not None:
                check(group.rule, group.target + ":max", count - group.upper, group.softness, 1.0)
        if rules.min_organizations is not None:
            wanted, softness = rules.min_organizations
            check("program", "min_organizations", wanted - engaged, softness, 1.0)
        if rules.budgets is not None:
            share = np.rint(index.need_cost / index.need_partners)
            spend = np.bincount(org, weights=share[need], minlength=index.n_orgs)
            over = spend - np.floor(index.org_budget)
            for o in np.flatnonzero(over > 0).tolist():
                target = f"budget:{index.org_ids[o]}"
                check("money", target, float(over[o]), rules.budgets, MONEY_UNIT)
        if rules.total_fund is not None:
            fund, softness = rules.total_fund
            spent = float(np.rint(index.need_cost)[served].sum())
            check("money", "total_fund", spent - float(np.floor(fund)), softness, MONEY_UNIT)
        if rules.capacity_building_share is not None:
            share_wanted, softness = rules.capacity_building_share
            ratio = round(share_wanted * PER_MILLE) / PER_MILLE
            short = ratio * int(served.sum()) - int((served & index.need_capacity_building).sum())
            check("aid_mix", "capacity_building", short, softness, 1.0)


@dataclass(frozen=True)
class _PlanFigures:
    """What the goals read of a plan: its served needs, engaged organizations, net score."""

    served: BoolArray
    engaged: int
    score: float  # the pairs' scores less the soft rules' penalties


def _goal_levels(problem: Problem, plan: _PlanFigures, servable: BoolArray) -> dict[str, float]:
    """The level the plan reaches on each goal of the policy, and always its score."""
    index = problem.index
    served = plan.served
    key = index.hierarchy.tier[index.need_region] == list(Priority).index(Priority.KEY)
    levels: dict[str, float] = {}
    for goal in problem.policy.goals or ():
        if goal.kind == "score":
            levels["score"] = plan.score
        elif goal.kind == "served":
            levels["served"] = float(served.sum())
        elif goal.kind == "key_served":
            levels["key_served"] = float((served & key).sum())
        elif goal.kind == "organizations":
            levels["organizations"] = float(plan.engaged)
        else:
            groups = fairness_groups(problem, servable, goal.level, goal.tier)
            ratios = [served[g].mean() for g in groups]
            levels[f"fairness:{goal.level.value}"] = float(min(ratios)) if ratios else 1.0
    levels.setdefault("score", plan.score)
    return levels
