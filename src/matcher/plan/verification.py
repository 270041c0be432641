"""``matcher.verify``: an independent check that a plan obeys every rule of its problem.

It shares no code with the candidate table or the solvers: it walks the region tree and recomputes
each assigned pair's eligibility and score one pair at a time, in plain Python, from the problem's
pydantic objects. A plan from any source (a solver, a JSON file, a hand edit) can be checked.

Rules checked: ``unknown_need``, ``unknown_org``, ``need_twice`` (a need listed twice, or both
assigned and unmet), ``need_missing`` (in neither list), ``partners`` and ``lead_primary``
(partnerships), ``capacity``, every eligibility rule (``credit``, ``inspection``, ``grade``,
``declined``, ``pair_scores``, ``capability``, ``unwilling``, ``primary_type``, ``scope``,
``service_regions``, ``distance``), ``pinned`` (an accepted offer the plan drops), every hard counting
rule (named as in the policy: ``regions[0]``, ``categories[1]``, ``program``, ``money``,
``aid_mix``), ``soft_report`` (soft violations reported wrong), ``levels``, ``score`` (an
assignment's score is not what the policy gives), ``objective`` (not the sum of the scores), ``bound`` (below the objective, or not
equal to it for an optimal plan).

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
>>> solution = matcher.solve(problem)
>>> matcher.verify(problem, solution)
[]
>>> broken = solution.model_copy(update={"objective": solution.objective + 1})
>>> [v.rule for v in matcher.verify(problem, broken)]  # an optimal plan's bound must match too
['objective', 'bound']
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..models import (
    PRIMARY_TYPES,
    Category,
    Level,
    Need,
    Organization,
    Priority,
    Problem,
    VulnerableGroup,
)
from ..models.rules import Goal
from ..solvers.base import Status
from .solution import Solution

__all__ = ["Violation", "verify"]

_REL = 1e-9


@dataclass(frozen=True)
class Violation:
    """A rule the plan breaks."""

    rule: str
    message: str
    need_id: str | None = None
    org_id: str | None = None

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL, abs_tol=_REL)


class _Tree:
    """Parent walks over the problem's regions, each walked once and remembered."""

    def __init__(self, problem: Problem) -> None:
        self.regions = {r.id: r for r in problem.regions}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._at: dict[tuple[str, Level], str | None] = {}
        self._tiers: dict[str, Priority] = {}
        self._coordinates: dict[str, tuple[float, float] | None] = {}

    def chain(self, region_id: str) -> tuple[str, ...]:
        """The region and its ancestors, innermost first."""
        if region_id not in self._chains:
            found: list[str] = []
            current: str | None = region_id
            while current is not None and current not in found:
                found.append(current)
                current = self.regions[current].parent
            self._chains[region_id] = tuple(found)
        return self._chains[region_id]

    def at_level(self, region_id: str, level: Level) -> str | None:
        """The region's ancestor (or itself) at ``level``; None when the chain has none."""
        key = (region_id, level)
        if key not in self._at:
            self._at[key] = next(
                (r for r in self.chain(region_id) if self.regions[r].level is level), None
            )
        return self._at[key]

    def tier(self, region_id: str) -> Priority:
        if region_id not in self._tiers:
            self._tiers[region_id] = next(
                (
                    priority
                    for r in self.chain(region_id)
                    if (priority := self.regions[r].priority) is not None
                ),
                Priority.NORMAL,
            )
        return self._tiers[region_id]

    def coordinates(self, region_id: str) -> tuple[float, float] | None:
        if region_id not in self._coordinates:
            self._coordinates[region_id] = next(
                (
                    (region.lat, region.lon)
                    for r in self.chain(region_id)
                    if (region := self.regions[r]).lat is not None and region.lon is not None
                ),
                None,
            )
        return self._coordinates[region_id]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def _expected_score(
    problem: Problem, tree: _Tree, need: Need, org: Organization, pending: set[tuple[str, str]]
) -> float:
    policy, w = problem.policy, problem.policy.weights
    capability = org.capabilities.get(need.category, 0.0)
    type_fit = 1.0 if org.org_type in PRIMARY_TYPES[need.category] else 0.0
    priority = policy.priority_values.get(tree.tier(need.region), 0.0)
    beneficiaries = min(
        1.0, math.log1p(need.beneficiaries) / math.log1p(policy.beneficiaries_reference)
    )
    vulnerable = len(set(need.vulnerable_groups)) / len(VulnerableGroup)
    here, there = tree.coordinates(need.region), tree.coordinates(org.home_region)
    proximity = (
        0.5
        if here is None or there is None
        else math.exp(-_km(here, there) / policy.distance_scale_km)
    )
    weight, mean = policy.reputation_prior_weight, policy.reputation_prior_mean
    count = len(org.ratings)
    stars = (weight * mean + sum(org.ratings)) / (weight + count) if weight + count > 0 else mean
    reputation = (stars - 1.0) / 4.0
    previous = need.continues
    rated = previous.stars if previous is not None and previous.org_id == org.id else 3
    continuity = 1.0 if rated >= 4 else 0.0
    discontinuity = -1.0 if rated <= 2 else 0.0
    incumbent = 1.0 if (need.id, org.id) in pending else 0.0
    preferred = need.category in org.prefers_categories or bool(
        set(org.prefers_regions) & set(tree.chain(need.region))
    )
    total = (
        w.capability * capability
        + w.type_fit * type_fit
        + w.priority * priority
        + w.beneficiaries * beneficiaries
        + w.vulnerable * vulnerable
        + w.proximity * proximity
        + w.reputation * reputation
        + w.continuity * continuity
        + w.discontinuity * discontinuity
        + w.incumbent * incumbent
        + w.preference * (1.0 if preferred else 0.0)
        + w.merit * need.merit / 100.0
    )
    if policy.expected_value:
        total *= org.acceptance.get(need.category, 1.0)
    return total


def _ineligible(
    problem: Problem,
    tree: _Tree,
    need: Need,
    org: Organization,
    given: dict[tuple[str, str], float] | None,
    declined: set[tuple[str, str]],
) -> list[tuple[str, str]]:
    """Every eligibility rule the pair breaks, as (rule, message)."""
    policy, switches = problem.policy, problem.policy.eligibility
    chain = tree.chain(need.region)
    broken = []
    if org.credit in policy.barred_credit:
        broken.append(("credit", f"{org.id} has credit {org.credit.value}, which the policy bars"))
    if switches.require_inspection and not org.inspection_passed:
        broken.append(("inspection", f"{org.id} failed the annual inspection"))
    if org.grade < switches.min_grade:
        broken.append(("grade", f"{org.id} has grade {org.grade} < {switches.min_grade}"))
    if (need.id, org.id) in declined:
        broken.append(("declined", f"{org.id} declined {need.id} in an earlier round"))
    if given is not None and (need.id, org.id) not in given:
        broken.append(("pair_scores", f"({need.id}, {org.id}) is not among the given pair scores"))
    structural = given is None  # given pair scores replace capability, scope and service regions
    if structural and org.capabilities.get(need.category, 0.0) <= 0:
        broken.append(("capability", f"{org.id} has no capability in {need.category.value}"))
    if need.category in org.declines_categories or set(org.declines_regions) & set(chain):
        broken.append(("unwilling", f"{org.id} is not willing to take {need.id}"))
    only = switches.primary_types_only
    restricted = only if isinstance(only, bool) else need.category in only
    if restricted and org.org_type not in PRIMARY_TYPES[need.category]:
        broken.append(
            ("primary_type", f"{org.org_type.value} is not primary for {need.category.value}")
        )
    level = org.scope.level
    if structural and switches.respect_scope and level is not Level.NATION:
        area = tree.at_level(org.home_region, level)
        if area is None or area not in chain:
            broken.append(("scope", f"{need.region} is outside the {level.value} of {org.id}"))
    if structural and org.service_regions is not None and not set(org.service_regions) & set(chain):
        broken.append(
            ("service_regions", f"{need.region} is in none of {org.id}'s service regions")
        )
    if switches.max_distance_km is not None:
        here, there = tree.coordinates(need.region), tree.coordinates(org.home_region)
        if here is not None and there is not None:
            km = _km(here, there)
            if km > switches.max_distance_km * (1 + _REL):
                broken.append(("distance", f"{km:.1f} km > {switches.max_distance_km} km"))
    return broken


def verify(problem: Problem, solution: Solution) -> list[Violation]:
    """Every rule the plan breaks; an empty list when it obeys them all.

    Parameters
    ----------
    problem
        The problem the plan claims to solve.
    solution
        The plan.

    Returns
    -------
    list of Violation
        In the order found: assignments first, then coverage, then the policy's rules, then the
        plan's claims (levels, soft violations, objective, bound).
    """
    plan = _Plan.read(problem)
    total = _check_assignments(plan, solution)
    _check_coverage(plan, solution)
    soft, levels = _Rules(plan).check()
    _check_claims(plan, solution, soft, levels, total)
    return plan.found


@dataclass
class _Plan:
    """The problem's lookups, what the plan assigns, and the violations found so far."""

    problem: Problem
    tree: _Tree
    needs: dict[str, Need]
    orgs: dict[str, Organization]
    #: The portal's pair scores, when the problem brings them.
    given: dict[tuple[str, str], float] | None
    pending: set[tuple[str, str]]
    declined: set[tuple[str, str]]
    found: list[Violation] = field(default_factory=list)
    #: The organizations each need takes (several for a partnership).
    taken: dict[str, list[Organization]] = field(default_factory=dict)

    @classmethod
    def read(cls, problem: Problem) -> _Plan:
        given = (
            {(p.need_id, p.org_id): p.score for p in problem.pair_scores}
            if problem.pair_scores is not None
            else None
        )
        return cls(
            problem,
            _Tree(problem),
            {n.id: n for n in problem.needs},
            {o.id: o for o in problem.organizations},
            given,
            {(p.need_id, p.org_id) for p in problem.pending},
            {(p.need_id, p.org_id) for p in problem.declined},
        )

    @property
    def served(self) -> set[str]:
        return {need_id for need_id, partners in self.taken.items() if partners}

    def ineligible(self, need: Need, org: Organization) -> list[tuple[str, str]]:
        return _ineligible(self.problem, self.tree, need, org, self.given, self.declined)


def _check_assignments(plan: _Plan, solution: Solution) -> float:
    """Each assignment's need, organization, eligibility and score; accepted offers kept;
    capacities. Returns the sum of the scores."""
    found, load, total = plan.found, Counter[str](), 0.0
    for a in solution.assignments:
        need, org = plan.needs.get(a.need_id), plan.orgs.get(a.org_id)
        total += a.score
        if need is None:
            found.append(Violation("unknown_need", f"no need {a.need_id!r}", a.need_id, a.org_id))
        if org is None:
            found.append(
                Violation("unknown_org", f"no organization {a.org_id!r}", a.need_id, a.org_id)
            )
        if need is None or org is None:
            continue
        load[org.id] += 1
        plan.taken.setdefault(need.id, []).append(org)
        for rule, message in plan.ineligible(need, org):
            found.append(Violation(rule, message, need.id, org.id))
        expected = (
            plan.given.get((need.id, org.id), a.score)
            if plan.given is not None
            else _expected_score(plan.problem, plan.tree, need, org, plan.pending)
        )
        if not _close(a.score, expected):
            message = f"score {a.score!r} but the policy gives {expected!r}"
            found.append(Violation("score", message, need.id, org.id))

    chosen = {(a.need_id, a.org_id) for a in solution.assignments}
    for pin in plan.problem.pinned:
        if (pin.need_id, pin.org_id) not in chosen:
            message = f"accepted offer ({pin.need_id}, {pin.org_id}) is not kept"
            found.append(Violation("pinned", message, pin.need_id, pin.org_id))
    for org_id, count in load.items():
        if count > plan.orgs[org_id].max_projects:
            limit = plan.orgs[org_id].max_projects
            found.append(Violation("capacity", f"{org_id} takes {count} > {limit}", org_id=org_id))
    return total


def _check_coverage(plan: _Plan, solution: Solution) -> None:
    """Every need exactly once, assigned or unmet; partnerships whole and led where required."""
    found, in_unmet = plan.found, Counter[str]()
    for u in solution.unmet:
        in_unmet[u.need_id] += 1
        if u.need_id not in plan.needs:
            found.append(Violation("unknown_need", f"no need {u.need_id!r}", u.need_id))
    for need_id, need in plan.needs.items():
        partners = plan.taken.get(need_id, [])
        ids = [o.id for o in partners]
        if len(set(ids)) != len(ids) or (partners and in_unmet[need_id]) or in_unmet[need_id] > 1:
            found.append(Violation("need_twice", f"{need_id} is listed more than once", need_id))
        elif not partners and not in_unmet[need_id]:
            message = f"{need_id} is neither assigned nor unmet"
            found.append(Violation("need_missing", message, need_id))
        if partners and len(partners) != need.partners:
            message = f"{need_id} needs {need.partners} organizations or none, has {len(partners)}"
            found.append(Violation("partners", message, need_id))
        if (
            partners
            and need.lead_primary
            and not any(o.org_type in PRIMARY_TYPES[need.category] for o in partners)
        ):
            message = f"{need_id}'s partnership has no organization of a primary type"
            found.append(Violation("lead_primary", message, need_id))


def _check_claims(
    plan: _Plan, solution: Solution, soft: list[_Soft], levels: dict[str, float], total: float
) -> None:
    """The plan's own claims: soft violations, levels, objective and bound."""
    found, problem = plan.found, plan.problem
    penalty = sum(v.penalty for v in soft)
    reported = sorted((v.rule, v.target) for v in solution.soft_violations)
    if reported != sorted((v.rule, v.target) for v in soft) or not all(
        _close(a.amount, b.amount)
        for a, b in zip(
            sorted(solution.soft_violations, key=lambda v: (v.rule, v.target)),
            sorted(soft, key=lambda v: (v.rule, v.target)),
            strict=False,
        )
    ):
        found.append(Violation("soft_report", "the soft violations reported are not the real ones"))
    levels["score"] = total - penalty
    infeasible = solution.status is Status.INFEASIBLE
    if not infeasible:
        for name, value in solution.levels.items():
            if name not in levels or not _close(value, levels[name]):
                message = f"level {name} is {value!r} but the plan gives {levels.get(name)!r}"
                found.append(Violation("levels", message))

    if problem.policy.goal_mode == "weighted" and problem.policy.goals:
        # The score counts at weight 1 when the goals do not list it (as matcher.solve does).
        weights = {"score": 1.0} | {_goal_name(g): g.weight for g in problem.policy.goals}
        expected_objective = sum(weights.get(k, 0.0) * v for k, v in levels.items())
    else:
        expected_objective = levels["score"]
    if not infeasible and not _close(solution.objective, expected_objective):
        message = f"objective {solution.objective!r} but the plan gives {expected_objective!r}"
        found.append(Violation("objective", message))
    optimal = solution.status is Status.OPTIMAL
    if not infeasible and (
        solution.bound < solution.objective - _REL * max(1.0, abs(solution.objective))
        or (optimal and not _close(solution.bound, solution.objective))
    ):
        found.append(
            Violation("bound", f"bound {solution.bound!r} vs objective {solution.objective!r}")
        )


def _goal_name(goal: Goal) -> str:
    return f"fairness:{goal.level.value}" if goal.kind == "fairness" else goal.kind


class _Shortlist:
    """The organizations that may be eligible for each need: all the eligible ones, few others.

    With pair scores they are the organizations given for the need. Without them an eligible
    organization has a capability in the need's category and, when its scope applies, a home
    whose region at the scope's level holds the need: each organization is filed under (that
    region, category) for every category it has a capability in, under (None, category) when its
    scope does not apply, and a need reads the files of its region's chain and of None.
    :func:`_ineligible` still judges each organization listed.
    """

    def __init__(self, plan: _Plan) -> None:
        self.tree = plan.tree
        self.filed: dict[tuple[str | None, Category], list[Organization]] = {}
        self.given: dict[str, list[Organization]] | None = None
        if plan.given is not None:
            self.given = {}
            for need_id, org_id in plan.given:
                if org_id in plan.orgs:
                    self.given.setdefault(need_id, []).append(plan.orgs[org_id])
            return
        scoped = plan.problem.policy.eligibility.respect_scope
        for org in plan.problem.organizations:
            area = None
            if scoped and org.scope.level is not Level.NATION:
                area = self.tree.at_level(org.home_region, org.scope.level)
                if area is None:
                    continue  # outside its own scope: eligible nowhere
            for category, capability in org.capabilities.items():
                if capability > 0:
                    self.filed.setdefault((area, category), []).append(org)

    def of(self, need: Need) -> Iterator[Organization]:
        """The organizations that may be eligible for the need, each once."""
        if self.given is not None:
            yield from self.given.get(need.id, ())
            return
        for area in (*self.tree.chain(need.region), None):
            yield from self.filed.get((area, need.category), ())


@dataclass(frozen=True)
class _Soft:
    rule: str
    target: str
    amount: float
    penalty: float


class _Rules:
    """The counting rules of the policy, recounted over the plan: hard misses go to the plan's
    violations, soft ones to :attr:`soft`."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.rules = plan.problem.policy.rules
        self.served = plan.served
        self.engaged = len({o.id for partners in plan.taken.values() for o in partners})
        self.soft: list[_Soft] = []
        self._servable: dict[str, bool] = {}
        self.shortlist = _Shortlist(plan)

    def check(self) -> tuple[list[_Soft], dict[str, float]]:
        """Check every counting rule; return the soft violations and the count levels."""
        self.regions()
        self.categories()
        self.program()
        self.key_projects()
        self.money()
        self.aid_mix()
        return self.soft, self.levels()

    def servable(self, need: Need) -> bool:
        """Whether the need has enough eligible organizations to be served at all."""
        if need.id not in self._servable:
            eligible = 0
            for org in self.shortlist.of(need):
                if eligible >= need.partners:
                    break
                if not self.plan.ineligible(need, org):
                    eligible += 1
            self._servable[need.id] = eligible >= need.partners
        return self._servable[need.id]

    def judge(self, rule: str, target: str, amount: float, hard: bool, penalty: float) -> None:
        if amount <= 1e-9:
            return
        if hard:
            self.plan.found.append(Violation(rule, f"{target} misses the rule by {amount:g}"))
        else:
            self.soft.append(_Soft(rule, target, amount, amount * penalty))

    def members(self, level: Level, tier: Priority | None) -> dict[str, list[Need]]:
        """The needs of each region at ``level`` (of ``tier`` when given)."""
        tree, groups = self.plan.tree, dict[str, list[Need]]()
        for need in self.plan.problem.needs:
            area = tree.at_level(need.region, level)
            if area is not None and (tier is None or tree.tier(area) is tier):
                groups.setdefault(area, []).append(need)
        return groups

    def regions(self) -> None:
        needs, tree = self.plan.problem.needs, self.plan.tree
        for i, rule in enumerate(self.rules.regions):
            if rule.region is not None:
                groups = {rule.region: [n for n in needs if rule.region in tree.chain(n.region)]}
            else:
                assert rule.level is not None
                groups = self.members(rule.level, rule.tier)
            for region_id, group in groups.items():
                count = sum(1 for n in group if n.id in self.served)
                if rule.min_served is not None and count < rule.min_served:
                    floor = min(rule.min_served, sum(1 for n in group if self.servable(n)))
                    self.judge(
                        f"regions[{i}]", f"{region_id}:min", floor - count, rule.hard, rule.penalty
                    )
                if rule.max_served is not None:
                    self.judge(
                        f"regions[{i}]",
                        f"{region_id}:max",
                        count - rule.max_served,
                        rule.hard,
                        rule.penalty,
                    )

    def categories(self) -> None:
        for i, quota in enumerate(self.rules.categories):
            count = sum(
                1
                for n in self.plan.problem.needs
                if n.category is quota.category and n.id in self.served
            )
            target = quota.category.value
            if quota.min_served is not None:
                self.judge(
                    f"categories[{i}]",
                    f"{target}:min",
                    quota.min_served - count,
                    quota.hard,
                    quota.penalty,
                )
            if quota.max_served is not None:
                self.judge(
                    f"categories[{i}]",
                    f"{target}:max",
                    count - quota.max_served,
                    quota.hard,
                    quota.penalty,
                )

    def program(self) -> None:
        program = self.rules.program
        if program is None:
            return
        if program.min_served:
            self.judge(
                "program",
                "all:min",
                program.min_served - len(self.served),
                program.hard,
                program.penalty,
            )
        if program.min_organizations:
            self.judge(
                "program",
                "min_organizations",
                program.min_organizations - self.engaged,
                program.hard,
                program.penalty,
            )

    def key_projects(self) -> None:
        key = self.rules.key_projects_served
        if key is None:
            return
        wanted = {n for n in key.needs if n in self.plan.needs}
        missed = len(wanted - self.served)
        self.judge("key_projects_served", "key:min", missed, key.hard, key.penalty)

    def money(self) -> None:
        money, needs = self.rules.money, self.plan.needs
        if money is None:
            return
        per_unit = money.penalty / 10_000.0
        if money.budgets:
            spend: Counter[str] = Counter()
            for need_id, partners in self.plan.taken.items():
                for org in partners:
                    spend[org.id] += round(needs[need_id].cost / needs[need_id].partners)
            for org_id, amount in sorted(spend.items()):
                budget = self.plan.orgs[org_id].budget
                if budget is not None:
                    self.judge(
                        "money",
                        f"budget:{org_id}",
                        amount - math.floor(budget),
                        money.hard,
                        per_unit,
                    )
        if money.total_fund is not None:
            spent = sum(round(needs[n].cost) for n in self.served)
            self.judge(
                "money", "total_fund", spent - math.floor(money.total_fund), money.hard, per_unit
            )

    def aid_mix(self) -> None:
        mix = self.rules.aid_mix
        if mix is None:
            return
        share = round(mix.min_capacity_building_share * 1000) / 1000
        building = sum(1 for n in self.served if self.plan.needs[n].aid == "capacity_building")
        self.judge(
            "aid_mix",
            "capacity_building",
            share * len(self.served) - building,
            mix.hard,
            mix.penalty,
        )

    def levels(self) -> dict[str, float]:
        """What each goal counts: served needs, key needs, organizations, fairness."""
        tree, needs, served = self.plan.tree, self.plan.needs, self.served
        levels: dict[str, float] = {
            "served": float(len(served)),
            "key_served": float(
                sum(1 for n in served if tree.tier(needs[n].region) is Priority.KEY)
            ),
            "organizations": float(self.engaged),
        }
        for goal in self.plan.problem.policy.goals:
            if goal.kind == "fairness":
                ratios = []
                for group in self.members(goal.level, goal.tier).values():
                    able = [n for n in group if self.servable(n)]
                    if able:
                        ratios.append(sum(1 for n in able if n.id in served) / len(able))
                levels[_goal_name(goal)] = min(ratios) if ratios else 1.0
        return levels
