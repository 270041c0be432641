"""Independent answers for the program's rules: a MILP in scipy (HiGHS), a brute force, generators.

Nothing here reads :mod:`matcher.rules.compile` or the solvers. The oracle takes the candidate table
(``matcher.candidates``: eligible pairs and their scores, tested on its own in
``tests/pairs/test_table.py``) and the pydantic problem, and builds the rules straight from the policy
document as the README and :mod:`matcher.models.rules` state them:

- a need is *served* when it gets ``partners`` organizations (all or none), one of a primary type
  for its category when ``lead_primary``; an organization takes at most ``max_projects`` needs;
- region limits count the served needs inside a region (the region and everything below it); a
  minimum is capped by the region's *servable* needs (those with at least ``partners`` candidates);
  a ``level`` rule applies to every region of that level (of ``tier``) that holds needs;
- category quotas and the program's ``min_served`` count served needs (no cap);
  ``min_organizations`` counts engaged organizations;
- money in whole yuan: an organization spends ``round(cost / partners)`` per need it takes, at most
  ``floor(budget)``; the fund caps ``sum(round(cost))`` over served needs at ``floor(total_fund)``;
  soft money rules cost ``penalty`` per 10,000 yuan;
- aid mix: ``capacity_building served >= round(share, 3) * served``; soft: ``penalty`` per need short;
- goals: lexicographic levels (``score`` last unless listed) or a weighted sum; ``score`` is the
  total score less soft penalties, counts weigh ``weight`` points each, ``fairness`` is the smallest
  served / servable ratio over the regions of a level (of a tier) with servable needs.

:func:`milp_optimum` solves it with ``scipy.optimize.milp``; :func:`brute_force` enumerates every
plan of a tiny problem and measures each with :func:`measure`, a plain-Python count of the rules.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, sparse

import matcher
from matcher import PRIMARY_TYPES, Level, Priority
from matcher.models.rules import Goal

__all__ = [
    "FAMILIES",
    "Instance",
    "Measure",
    "Optimum",
    "brute_force",
    "close_enough",
    "family_document",
    "feasible_with",
    "hard_rule_names",
    "measure",
    "milp_optimum",
    "random_document",
]

#: Soft money rules cost their penalty per this many yuan.
MONEY_UNIT = 10_000.0

Var = tuple[
    str, Any
]  # ("x", pair position) | ("y", need id) | ("z", org id) | ("t", goal position)


# --- the problem, read directly ----------------------------------------------------------------


class Tree:
    """Parent walks over the problem's regions."""

    def __init__(self, problem: matcher.Problem) -> None:
        self.regions = {r.id: r for r in problem.regions}

    def chain(self, region_id: str) -> list[str]:
        found: list[str] = []
        current: str | None = region_id
        while current is not None:
            found.append(current)
            current = self.regions[current].parent
        return found

    def tier(self, region_id: str) -> Priority:
        for r in self.chain(region_id):
            if self.regions[r].priority is not None:
                return Priority(self.regions[r].priority)
        return Priority.NORMAL

    def at_level(self, region_id: str, level: Level) -> str | None:
        for r in self.chain(region_id):
            if self.regions[r].level is level:
                return r
        return None


@dataclass(frozen=True)
class Pair:
    need: str
    org: str
    score: float
    primary: bool


@dataclass
class Instance:
    """The problem as the oracle sees it: candidate pairs, needs, organizations, goals."""

    problem: matcher.Problem
    tree: Tree
    pairs: list[Pair]
    needs: dict[str, matcher.Need]
    orgs: dict[str, matcher.Organization]
    servable: dict[str, bool]
    key: set[str]
    goals: list[Goal]
    weighted: bool

    @classmethod
    def of(cls, problem: matcher.Problem) -> Instance:
        table = matcher.candidates(problem)
        needs = {n.id: n for n in problem.needs}
        orgs = {o.id: o for o in problem.organizations}
        pairs = [
            Pair(n, o, float(s), orgs[o].org_type in PRIMARY_TYPES[needs[n].category])
            for n, o, s in zip(table.need_id, table.org_id, table.score, strict=True)
        ]
        count = Counter(p.need for p in pairs)
        tree = Tree(problem)
        goals = list(problem.policy.goals)
        if not any(g.kind == "score" for g in goals):
            goals.append(Goal(kind="score"))
        return cls(
            problem=problem,
            tree=tree,
            pairs=pairs,
            needs=needs,
            orgs=orgs,
            servable={n: count[n] >= need.partners for n, need in needs.items()},
            key={n for n, need in needs.items() if tree.tier(need.region) is Priority.KEY},
            goals=goals,
            weighted=problem.policy.goal_mode == "weighted",
        )

    def members(self, level: Level, tier: Priority | None) -> dict[str, list[str]]:
        """Need ids per region of ``level`` (of ``tier``) that holds needs."""
        groups: dict[str, list[str]] = defaultdict(list)
        for need in self.needs.values():
            area = self.tree.at_level(need.region, level)
            if area is not None and (tier is None or self.tree.tier(area) is tier):
                groups[area].append(need.id)
        return dict(groups)

    def fairness_groups(self, goal: Goal) -> list[list[str]]:
        groups = [
            [n for n in members if self.servable[n]]
            for members in self.members(goal.level, goal.tier).values()
        ]
        return [g for g in groups if g]


def level_name(goal: Goal) -> str:
    return f"fairness:{goal.level.value}" if goal.kind == "fairness" else goal.kind


# --- the rules as linear forms -----------------------------------------------------------------


@dataclass(frozen=True)
class LinearRule:
    """``sum(terms) >= bound`` or ``<= bound``.

    ``name`` is how a conflict names the rule (``regions[0]:K1:min``, ``money:budget:3`` with the
    organization's position, ``aid_mix`` …); ``report`` is how a soft violation is reported
    (``("regions[0]", "K1:min")``, ``("money", "budget:o3")`` …); ``penalty`` is per unit of
    ``terms``.
    """

    name: str
    report: tuple[str, str]
    terms: dict[Var, float]
    sense: str
    bound: float
    hard: bool
    penalty: float


def linear_rules(inst: Instance) -> list[LinearRule]:
    """Every counting rule of the policy, as linear forms over x (pairs), y (needs), z (orgs)."""
    rules = inst.problem.policy.rules
    found: list[LinearRule] = []

    def count(
        rule: str, target: str, needs: list[str], low: int | None, high: int | None, soft: Any
    ) -> None:
        terms: dict[Var, float] = {("y", n): 1.0 for n in needs}
        if low:
            found.append(
                LinearRule(
                    f"{rule}:{target}:min",
                    (rule, f"{target}:min"),
                    terms,
                    ">=",
                    low,
                    soft.hard,
                    soft.penalty,
                )
            )
        if high is not None:
            found.append(
                LinearRule(
                    f"{rule}:{target}:max",
                    (rule, f"{target}:max"),
                    terms,
                    "<=",
                    high,
                    soft.hard,
                    soft.penalty,
                )
            )

    for i, rule in enumerate(rules.regions):
        if rule.region is not None:
            groups = {
                rule.region: [
                    n.id for n in inst.needs.values() if rule.region in inst.tree.chain(n.region)
                ]
            }
        else:
            assert rule.level is not None
            groups = inst.members(rule.level, rule.tier)
        for region_id, needs in groups.items():
            low = rule.min_served
            if low is not None:
                low = min(low, sum(inst.servable[n] for n in needs))
            count(f"regions[{i}]", region_id, needs, low, rule.max_served, rule)
    for i, quota in enumerate(rules.categories):
        needs = [n.id for n in inst.needs.values() if n.category is quota.category]
        count(
            f"categories[{i}]",
            quota.category.value,
            needs,
            quota.min_served,
            quota.max_served,
            quota,
        )
    program = rules.program
    if program is not None:
        count("program", "all", list(inst.needs), program.min_served, None, program)
        if program.min_organizations:
            found.append(
                LinearRule(
                    "program:min_organizations",
                    ("program", "min_organizations"),
                    {("z", o): 1.0 for o in inst.orgs},
                    ">=",
                    program.min_organizations,
                    program.hard,
                    program.penalty,
                )
            )
    money = rules.money
    if money is not None:
        per_yuan = money.penalty / MONEY_UNIT
        if money.budgets:
            for position, org in enumerate(inst.problem.organizations):
                if org.budget is None:
                    continue
                terms: dict[Var, float] = {
                    ("x", p): float(
                        round(inst.needs[pair.need].cost / inst.needs[pair.need].partners)
                    )
                    for p, pair in enumerate(inst.pairs)
                    if pair.org == org.id
                }
                found.append(
                    LinearRule(
                        f"money:budget:{position}",
                        ("money", f"budget:{org.id}"),
                        terms,
                        "<=",
                        math.floor(org.budget),
                        money.hard,
                        per_yuan,
                    )
                )
        if money.total_fund is not None:
            found.append(
                LinearRule(
                    "money:total_fund",
                    ("money", "total_fund"),
                    {("y", n.id): float(round(n.cost)) for n in inst.needs.values()},
                    "<=",
                    math.floor(money.total_fund),
                    money.hard,
                    per_yuan,
                )
            )
    mix = rules.aid_mix
    if mix is not None:
        share = round(mix.min_capacity_building_share * 1000) / 1000
        found.append(
            LinearRule(
                "aid_mix",
                ("aid_mix", "capacity_building"),
                {
                    ("y", n.id): (1.0 if n.aid == "capacity_building" else 0.0) - share
                    for n in inst.needs.values()
                },
                ">=",
                0.0,
                mix.hard,
                mix.penalty,
            )
        )
    return found


def hard_rule_names(problem: matcher.Problem) -> list[str]:
    """Names of the policy's hard rules, as conflicts name them."""
    return [r.name for r in linear_rules(Instance.of(problem)) if r.hard]


# --- plain-Python measure of one plan ----------------------------------------------------------


@dataclass
class Measure:
    """A plan counted against the rules."""

    broken: list[
        str
    ]  # structural rules (capacity, partners, lead, candidates, pins) and hard rules
    soft: dict[tuple[str, str], float]  # soft violation amounts
    penalty: float
    levels: dict[str, float]
    objective: float


def measure(inst: Instance, plan: dict[str, tuple[str, ...]]) -> Measure:
    """Count the plan (need id -> its organizations) against every rule, in plain Python."""
    problem = inst.problem
    rules = problem.policy.rules
    score_of = {(p.need, p.org): p.score for p in inst.pairs}
    broken: list[str] = []
    soft: dict[tuple[str, str], float] = {}
    penalty = 0.0

    load: Counter[str] = Counter()
    total = 0.0
    for need_id, orgs in plan.items():
        need = inst.needs[need_id]
        if not orgs:
            continue
        if len(set(orgs)) != len(orgs) or len(orgs) != need.partners:
            broken.append(f"partners:{need_id}")
        if need.lead_primary and not any(
            inst.orgs[o].org_type in PRIMARY_TYPES[need.category] for o in orgs
        ):
            broken.append(f"lead_primary:{need_id}")
        for o in orgs:
            load[o] += 1
            if (need_id, o) not in score_of:
                broken.append(f"candidate:{need_id}:{o}")
            total += score_of.get((need_id, o), 0.0)
    for o, taken in load.items():
        if taken > inst.orgs[o].max_projects:
            broken.append(f"capacity:{o}")
    for pin in problem.pinned:
        if pin.org_id not in plan.get(pin.need_id, ()):
            broken.append(f"pinned:{pin.need_id}")
    served = {n for n, orgs in plan.items() if orgs}

    def judge(name: str, report: tuple[str, str], amount: float, hard: bool, cost: float) -> None:
        nonlocal penalty
        if amount <= 1e-9:
            return
        if hard:
            broken.append(name)
        else:
            soft[report] = amount
            penalty += amount * cost

    def limit(rule: str, target: str, needs: Iterable[str], low: Any, high: Any, s: Any) -> None:
        count = sum(1 for n in needs if n in served)
        if low:
            judge(f"{rule}:{target}:min", (rule, f"{target}:min"), low - count, s.hard, s.penalty)
        if high is not None:
            judge(f"{rule}:{target}:max", (rule, f"{target}:max"), count - high, s.hard, s.penalty)

    for i, rule in enumerate(rules.regions):
        if rule.region is not None:
            groups = {
                rule.region: [
                    n.id for n in problem.needs if rule.region in inst.tree.chain(n.region)
                ]
            }
        else:
            assert rule.level is not None
            groups = inst.members(rule.level, rule.tier)
        for region_id, needs in groups.items():
            low = rule.min_served
            if low is not None:
                low = min(low, sum(1 for n in needs if inst.servable[n]))
            limit(f"regions[{i}]", region_id, needs, low, rule.max_served, rule)
    for i, quota in enumerate(rules.categories):
        needs = [n.id for n in problem.needs if n.category is quota.category]
        limit(
            f"categories[{i}]",
            quota.category.value,
            needs,
            quota.min_served,
            quota.max_served,
            quota,
        )
    engaged = len(load)
    program = rules.program
    if program is not None:
        limit("program", "all", list(inst.needs), program.min_served, None, program)
        if program.min_organizations:
            judge(
                "program:min_organizations",
                ("program", "min_organizations"),
                program.min_organizations - engaged,
                program.hard,
                program.penalty,
            )
    money = rules.money
    if money is not None:
        per_yuan = money.penalty / MONEY_UNIT
        if money.budgets:
            spend: Counter[str] = Counter()
            for need_id, orgs in plan.items():
                for o in orgs:
                    need = inst.needs[need_id]
                    spend[o] += round(need.cost / need.partners)
            for position, org in enumerate(problem.organizations):
                if org.budget is not None and spend[org.id]:
                    judge(
                        f"money:budget:{position}",
                        ("money", f"budget:{org.id}"),
                        spend[org.id] - math.floor(org.budget),
                        money.hard,
                        per_yuan,
                    )
        if money.total_fund is not None:
            spent = sum(round(inst.needs[n].cost) for n in served)
            judge(
                "money:total_fund",
                ("money", "total_fund"),
                spent - math.floor(money.total_fund),
                money.hard,
                per_yuan,
            )
    mix = rules.aid_mix
    if mix is not None:
        share = round(mix.min_capacity_building_share * 1000) / 1000
        building = sum(1 for n in served if inst.needs[n].aid == "capacity_building")
        judge(
            "aid_mix",
            ("aid_mix", "capacity_building"),
            share * len(served) - building,
            mix.hard,
            mix.penalty,
        )

    levels: dict[str, float] = {}
    for goal in inst.goals:
        if goal.kind == "score":
            levels["score"] = total - penalty
        elif goal.kind == "served":
            levels["served"] = float(len(served))
        elif goal.kind == "key_served":
            levels["key_served"] = float(len(served & inst.key))
        elif goal.kind == "organizations":
            levels["organizations"] = float(engaged)
        else:
            ratios = [sum(n in served for n in g) / len(g) for g in inst.fairness_groups(goal)]
            levels[level_name(goal)] = min(ratios) if ratios else 1.0
    if inst.weighted:
        objective = sum(g.weight * levels[level_name(g)] for g in inst.goals)
    else:
        objective = levels["score"]
    return Measure(broken, soft, penalty, levels, objective)


def plan_of(solution: matcher.Solution) -> dict[str, tuple[str, ...]]:
    plan: dict[str, list[str]] = defaultdict(list)
    for a in solution.assignments:
        plan[a.need_id].append(a.org_id)
    return {n: tuple(sorted(orgs)) for n, orgs in plan.items()}


# --- the MILP ----------------------------------------------------------------------------------


@dataclass
class Optimum:
    """The oracle's answer: feasibility, the best objective and levels, one best plan."""

    feasible: bool
    objective: float = float("nan")
    levels: dict[str, float] = field(default_factory=dict)
    plan: dict[str, tuple[str, ...]] = field(default_factory=dict)
    soft: dict[tuple[str, str], float] = field(default_factory=dict)


class _Milp:
    def __init__(self) -> None:
        self.position: dict[Var, int] = {}
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, key: Var, low: float, high: float, integer: bool) -> int:
        self.position[key] = len(self.lower)
        self.lower.append(low)
        self.upper.append(high)
        self.integer.append(int(integer))
        return self.position[key]

    def row(self, terms: dict[Var, float], low: float, high: float) -> None:
        cols: dict[int, float] = defaultdict(float)
        for key, coef in terms.items():
            if coef:
                cols[self.position[key]] += coef
        self.rows.append((dict(cols), low, high))

    def maximize(self, objective: dict[Var, float]) -> tuple[bool, np.ndarray, float]:
        n = len(self.lower)
        c = np.zeros(n)
        for key, coef in objective.items():
            c[self.position[key]] -= coef
        data, rows, cols = [], [], []
        for i, (terms, _, _) in enumerate(self.rows):
            for j, coef in terms.items():
                rows.append(i)
                cols.append(j)
                data.append(coef)
        constraints = []
        if self.rows:
            matrix = sparse.csr_array((data, (rows, cols)), shape=(len(self.rows), n))
            constraints.append(
                optimize.LinearConstraint(
                    matrix, [r[1] for r in self.rows], [r[2] for r in self.rows]
                )
            )
        result = optimize.milp(
            c=c,
            constraints=constraints,
            integrality=np.array(self.integer),
            bounds=optimize.Bounds(self.lower, self.upper),
            options={"mip_rel_gap": 0.0, "presolve": True, "time_limit": 60.0},
        )
        if result.status == 2:
            return False, np.zeros(n), float("nan")
        assert result.status == 0, result.message
        return True, result.x, float(-result.fun)


def _build(
    inst: Instance, only: Collection[str] | None
) -> tuple[_Milp, dict[Var, float], list[LinearRule]]:
    """The model with every hard rule (or only those named) and the score less soft penalties."""
    milp = _Milp()
    for p in range(len(inst.pairs)):
        milp.var(("x", p), 0, 1, True)
    by_need: dict[str, list[int]] = defaultdict(list)
    by_org: dict[str, list[int]] = defaultdict(list)
    for p, pair in enumerate(inst.pairs):
        by_need[pair.need].append(p)
        by_org[pair.org].append(p)
    for need in inst.needs.values():
        milp.var(("y", need.id), 0, 1 if by_need[need.id] else 0, True)
        # all partners or none
        terms: dict[Var, float] = {("x", p): 1.0 for p in by_need[need.id]}
        terms["y", need.id] = -float(need.partners)
        milp.row(terms, 0, 0)
        if need.lead_primary:
            lead: dict[Var, float] = {
                ("x", p): 1.0 for p in by_need[need.id] if inst.pairs[p].primary
            }
            lead["y", need.id] = -1.0
            milp.row(lead, 0, np.inf)
    for org in inst.orgs.values():
        milp.var(("z", org.id), 0, 1, True)
        engaged: dict[Var, float] = {("x", p): 1.0 for p in by_org[org.id]}
        engaged["z", org.id] = -1.0
        milp.row(engaged, 0, np.inf)
        milp.row({("x", p): 1.0 for p in by_org[org.id]}, -np.inf, org.max_projects)
    where = {(pair.need, pair.org): p for p, pair in enumerate(inst.pairs)}
    for pin in inst.problem.pinned:
        milp.lower[milp.position["x", where[pin.need_id, pin.org_id]]] = 1

    score: dict[Var, float] = {("x", p): pair.score for p, pair in enumerate(inst.pairs)}
    kept = []
    for rule in linear_rules(inst):
        if rule.hard and only is not None and rule.name not in only:
            continue
        if not rule.hard and only is not None:
            continue
        kept.append(rule)
        low, high = (rule.bound, np.inf) if rule.sense == ">=" else (-np.inf, rule.bound)
        terms = dict(rule.terms)
        if not rule.hard:
            slack: Var = ("s", rule.name)
            milp.var(slack, 0, np.inf, False)
            terms[slack] = 1.0 if rule.sense == ">=" else -1.0
            score[slack] = -rule.penalty
        milp.row(terms, low, high)
    return milp, score, kept


def _level(inst: Instance, milp: _Milp, score: dict[Var, float], i: int) -> dict[Var, float]:
    goal = inst.goals[i]
    if goal.kind == "score":
        return score
    if goal.kind == "served":
        return {("y", n): 1.0 for n in inst.needs}
    if goal.kind == "key_served":
        return {("y", n): 1.0 for n in inst.key}
    if goal.kind == "organizations":
        return {("z", o): 1.0 for o in inst.orgs}
    t: Var = ("t", i)
    if t not in milp.position:
        milp.var(t, 0, 1, False)
        for group in inst.fairness_groups(goal):
            terms: dict[Var, float] = {("y", n): 1.0 for n in group}
            terms[t] = -float(len(group))
            milp.row(terms, 0, np.inf)
    return {t: 1.0}


def milp_optimum(problem: matcher.Problem, *, score_tolerance: float = 1e-7) -> Optimum:
    """The best plan by ``scipy.optimize.milp`` (HiGHS), level by level or weighted.

    ``score_tolerance``: how far below its optimum a ``score`` level that is not the last one may be
    kept (absolute), as an integer back end keeps it only to its own rounding.
    """
    inst = Instance.of(problem)
    milp, score, _ = _build(inst, None)
    levels = [_level(inst, milp, score, i) for i in range(len(inst.goals))]
    if inst.weighted:
        combined: dict[Var, float] = defaultdict(float)
        for goal, expr in zip(inst.goals, levels, strict=True):
            for key, coef in expr.items():
                combined[key] += goal.weight * coef
        stages = [dict(combined)]
    else:
        stages = levels
    x = np.zeros(0)
    for i, expr in enumerate(stages):
        ok, x, value = milp.maximize(expr)
        if not ok:
            assert i == 0, "a later level cannot be infeasible"
            return Optimum(feasible=False)
        if i < len(stages) - 1:
            goal = inst.goals[i]
            slack = {"score": score_tolerance, "fairness": 1e-7}.get(goal.kind, 0.5)
            milp.row(expr, value - slack, np.inf)
    chosen: dict[str, list[str]] = defaultdict(list)
    for p, pair in enumerate(inst.pairs):
        if x[milp.position["x", p]] > 0.5:
            chosen[pair.need].append(pair.org)
    plan = {n: tuple(sorted(o)) for n, o in chosen.items()}
    counted = measure(inst, plan)
    assert not counted.broken, counted.broken  # the oracle's own plan obeys the rules it states
    return Optimum(True, counted.objective, counted.levels, plan, counted.soft)


def feasible_with(problem: matcher.Problem, only: Collection[str]) -> bool:
    """Whether a plan exists that keeps the hard rules named in ``only`` (no other rule)."""
    inst = Instance.of(problem)
    milp, _, _ = _build(inst, only)
    ok, _, _ = milp.maximize({})
    return ok


# --- brute force -------------------------------------------------------------------------------


def brute_force(problem: matcher.Problem, *, tolerance: float = 1e-9) -> Optimum:
    """The best plan of a tiny problem by enumerating every plan that keeps capacities.

    Each need takes none or any ``partners``-subset of its candidates; every plan is measured with
    :func:`measure` and the best is chosen level by level (or by the weighted sum).
    """
    inst = Instance.of(problem)
    options: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for pair in inst.pairs:
        options[pair.need].append(pair.org)
    needs = sorted(options)
    choices = [
        [(), *itertools.combinations(sorted(options[n]), inst.needs[n].partners)] for n in needs
    ]
    room = {o.id: o.max_projects for o in problem.organizations}
    plans: list[Measure] = []
    chosen: list[dict[str, tuple[str, ...]]] = []
    current: dict[str, tuple[str, ...]] = {}

    def walk(i: int) -> None:
        if i == len(needs):
            counted = measure(inst, current)
            if not counted.broken:
                plans.append(counted)
                chosen.append(dict(current))
            return
        for orgs in choices[i]:
            if any(room[o] == 0 for o in orgs):
                continue
            for o in orgs:
                room[o] -= 1
            current[needs[i]] = orgs
            walk(i + 1)
            for o in orgs:
                room[o] += 1
        current.pop(needs[i], None)

    walk(0)
    if not plans:
        return Optimum(feasible=False)
    alive = list(range(len(plans)))
    keys = ["objective"] if inst.weighted else [level_name(g) for g in inst.goals]
    for key in keys:

        def value(k: int, key: str = key) -> float:
            return plans[k].objective if key == "objective" else plans[k].levels[key]

        best = max(value(k) for k in alive)
        alive = [k for k in alive if value(k) >= best - tolerance * max(1.0, abs(best))]
    k = alive[0]
    plan = {n: o for n, o in chosen[k].items() if o}
    return Optimum(True, plans[k].objective, plans[k].levels, plan, plans[k].soft)


# --- comparing ---------------------------------------------------------------------------------


def close_enough(value: float, expected: float, solution: matcher.Solution) -> bool:
    """Equal to 1e-6 relative, plus the back end's documented absolute rounding."""
    slack = float(solution.stats.get("tolerance", 0.0))
    return abs(value - expected) <= 1e-6 * max(1.0, abs(expected)) + slack


# --- generators --------------------------------------------------------------------------------

FAMILIES = (
    "regions",
    "categories",
    "program",
    "money",
    "partnerships",
    "aid_mix",
    "eligibility",
    "willingness",
    "goals",
)

_CITY_NAMES = ["太原市", "大同市", "吕梁市"]
_COUNTY_NAMES = [
    "清徐县",
    "阳曲县",
    "娄烦县",
    "天镇县",
    "广灵县",
    "灵丘县",
    "兴县",
    "临县",
    "石楼县",
]
_FOCUS = ["industry", "talent", "vulnerable", "employment"]
_TYPES = [
    "agriculture",
    "foundation",
    "training",
    "public_welfare",
    "employment_service",
    "social_service",
    "media",
    "hub",
    "ecommerce",
]


def _regions(rng: random.Random) -> list[dict[str, Any]]:
    regions: list[dict[str, Any]] = [
        {"id": "P", "name": "山西省", "level": "province", "lat": 37.9, "lon": 112.5}
    ]
    for c in range(rng.randint(2, 3)):
        city = f"C{c}"
        regions.append(
            {
                "id": city,
                "name": _CITY_NAMES[c],
                "level": "city",
                "parent": "P",
                "lat": 37.0 + c * 0.8,
                "lon": 112.0 + c * 0.5,
            }
        )
        for k in range(rng.randint(1, 3)):
            county: dict[str, Any] = {
                "id": f"{city}K{k}",
                "name": _COUNTY_NAMES[3 * c + k],
                "level": "county",
                "parent": city,
                "lat": 37.0 + c * 0.8 + k * 0.3,
                "lon": 112.0 + c * 0.5 - k * 0.4,
            }
            tier = rng.choice(["key", "former_poverty", None, None])
            if tier:
                county["priority"] = tier
            regions.append(county)
            if rng.random() < 0.4:
                regions.append(
                    {
                        "id": f"{city}K{k}T0",
                        "name": f"{_COUNTY_NAMES[3 * c + k]}一镇",
                        "level": "township",
                        "parent": f"{city}K{k}",
                    }
                )
    return regions


def random_document(
    seed: int,
    n_needs: int,
    n_orgs: int,
    *,
    partners: bool = False,
    money: bool = False,
    eligibility: bool = False,
    willingness: bool = False,
) -> dict[str, Any]:
    """A small province with competition for the needs; costs and aid kinds always set.

    ``partners``: some needs take 2 or 3 organizations, some ask for a primary-type lead.
    ``money``: organizations get budgets. ``eligibility``: inspection and grades vary.
    ``willingness``: organizations decline and prefer regions and categories.
    """
    rng = random.Random(seed)
    regions = _regions(rng)
    low = [r["id"] for r in regions if r["level"] in ("county", "township")]
    cities = [r["id"] for r in regions if r["level"] == "city"]
    counties = [r["id"] for r in regions if r["level"] == "county"]
    focus = rng.sample(_FOCUS, rng.randint(2, 3))
    orgs = []
    for i in range(n_orgs):
        scope = rng.choice(["province"] * 5 + ["city"] * 2 + ["county"])
        home = {"province": "P", "city": rng.choice(cities), "county": rng.choice(counties)}[scope]
        org: dict[str, Any] = {
            "id": f"o{i}",
            "name": f"组织{i}",
            "org_type": rng.choice(_TYPES),
            "scope": scope,
            "home_region": home,
            "capabilities": {c: round(rng.uniform(0.1, 1.0), 3) for c in rng.sample(focus, 2)},
            "max_projects": rng.choice([1, 1, 2, 2, 3]),
            "ratings": [rng.randint(1, 5) for _ in range(rng.randint(0, 3))],
        }
        if money:
            org["budget"] = rng.choice([None, 150_000.0, 300_000.5, 500_000.0, 1_000_000.0])
        if eligibility:
            org["inspection_passed"] = rng.random() < 0.75
            org["grade"] = rng.randint(0, 5)
        if willingness:
            if rng.random() < 0.4:
                org["declines_regions"] = rng.sample([*cities, *counties], 1)
            if rng.random() < 0.3:
                org["declines_categories"] = [rng.choice(focus)]
            if rng.random() < 0.4:
                org["prefers_regions"] = rng.sample([*cities, *counties], 1)
            if rng.random() < 0.4:
                org["prefers_categories"] = [rng.choice(focus)]
        orgs.append(org)
    needs = []
    for i in range(n_needs):
        need: dict[str, Any] = {
            "id": f"n{i}",
            "region": rng.choice(low) if rng.random() < 0.85 else rng.choice(cities),
            "category": rng.choice(focus),
            "beneficiaries": rng.randint(0, 5000),
            "cost": float(rng.choice([50_000, 120_000, 200_001, 300_000, 450_000, 99_999.5])),
            "aid": rng.choice(["direct_aid", "capacity_building"]),
        }
        if partners and rng.random() < 0.4:
            need["partners"] = rng.choice([2, 2, 3])
            need["lead_primary"] = rng.random() < 0.5
        needs.append(need)
    return {"regions": regions, "organizations": orgs, "needs": needs, "policy": {}}


def _softness(rng: random.Random, soft_share: float) -> dict[str, Any]:
    if rng.random() < soft_share:
        return {"hard": False, "penalty": rng.choice([0.5, 2.0, 5.0, 25.0])}
    return {}


def family_policy(
    family: str, rng: random.Random, document: dict[str, Any], soft_share: float = 0.4
) -> dict[str, Any]:
    """A random policy fragment of one family for ``document`` (bounds near what is reachable)."""
    n = len(document["needs"])
    cities = [r["id"] for r in document["regions"] if r["level"] == "city"]
    focus = sorted({need["category"] for need in document["needs"]})
    if family == "regions":
        rules: list[dict[str, Any]] = [
            {
                "level": "county",
                "tier": rng.choice(["key", "key", "former_poverty", None]),
                "min_served": rng.choice([1, 1, 2]),
                **_softness(rng, soft_share),
            },
            {
                "region": rng.choice(cities),
                "max_served": rng.randint(1, max(1, n // 4)),
                **_softness(rng, soft_share),
            },
        ]
        if rng.random() < 0.5:
            rules.append(
                {
                    "level": "city",
                    "min_served": rng.randint(1, 3),
                    "max_served": rng.randint(4, 8),
                    **_softness(rng, soft_share),
                }
            )
        return {"rules": {"regions": rules}}
    if family == "categories":
        quotas = []
        for category in rng.sample(focus, min(2, len(focus))):
            size = sum(1 for need in document["needs"] if need["category"] == category)
            low = rng.randint(0, max(0, size // 3))
            quotas.append(
                {
                    "category": category,
                    "min_served": low,
                    "max_served": rng.randint(low, max(low, size)),
                    **_softness(rng, soft_share),
                }
            )
        return {"rules": {"categories": quotas}}
    if family == "program":
        return {
            "rules": {
                "program": {
                    "min_served": rng.randint(0, n // 3),
                    "min_organizations": rng.randint(1, min(5, len(document["organizations"]))),
                    **_softness(rng, soft_share),
                }
            }
        }
    if family == "money":
        total = sum(need["cost"] for need in document["needs"])
        return {
            "rules": {
                "money": {
                    "budgets": rng.random() < 0.8,
                    "total_fund": rng.choice([None, 0.3 * total, 0.15 * total + 0.7]),
                    **_softness(rng, soft_share),
                }
            }
        }
    if family == "aid_mix":
        return {
            "rules": {
                "aid_mix": {
                    "min_capacity_building_share": rng.choice([0.25, 1 / 3, 0.5, 0.6667, 0.8]),
                    **_softness(rng, soft_share),
                }
            }
        }
    if family == "eligibility":
        return {
            "eligibility": {
                "require_inspection": rng.random() < 0.4,
                "min_grade": rng.choice([0, 0, 2, 3]),
                "respect_scope": rng.random() < 0.8,
                "max_distance_km": rng.choice([None, 80.0, 150.0]),
                "primary_types_only": rng.choice([False, False, True, [rng.choice(focus)]]),
            }
        }
    if family == "goals":
        kinds = rng.sample(
            ["served", "key_served", "organizations", "fairness", "score"], rng.randint(1, 3)
        )
        goals = [
            {
                "kind": k,
                "weight": rng.choice([0.5, 1.0, 3.0]),
                **({"level": rng.choice(["city", "county"])} if k == "fairness" else {}),
            }
            for k in kinds
        ]
        return {"goals": goals, "goal_mode": rng.choice(["lexicographic", "weighted"])}
    return {}  # partnerships and willingness live in the needs and organizations


def family_document(
    family: str, seed: int, n_needs: int = 30, n_orgs: int = 10, soft_share: float = 0.4
) -> dict[str, Any]:
    """A random document exercising one family (or ``"all"`` of them)."""
    families = FAMILIES if family == "all" else (family,)
    document = random_document(
        seed,
        n_needs,
        n_orgs,
        partners="partnerships" in families,
        money="money" in families,
        eligibility="eligibility" in families,
        willingness="willingness" in families,
    )
    rng = random.Random(seed * 7919 + 17)
    policy: dict[str, Any] = {}
    for name in families:
        fragment = family_policy(name, rng, document, soft_share)
        rules = {**policy.get("rules", {}), **fragment.pop("rules", {})}
        policy.update(fragment)
        if rules:
            policy["rules"] = rules
    document["policy"] = policy
    return document
