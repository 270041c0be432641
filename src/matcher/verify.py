"""``matcher.verify``: an independent check that a plan obeys every rule of its problem.

It shares no code with the candidate table or the solvers: it walks the region tree and recomputes
each assigned pair's eligibility and score one pair at a time, in plain Python, from the problem's
pydantic objects. A plan from any source (a solver, a JSON file, a hand edit) can be checked.

Rules checked: ``unknown_need``, ``unknown_org``, ``need_twice`` (a need assigned twice or both
assigned and unmet), ``need_missing`` (in neither list), ``capacity``, ``credit``, ``declined``,
``pinned`` (an accepted offer the plan drops), ``capability``,
``scope``, ``service_regions``, ``pair_scores``, ``score`` (an assignment's score is not what the
policy gives), ``objective`` (not the sum of the scores), ``bound`` (below the objective, or not
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
from dataclasses import dataclass

from .models import PRIMARY_TYPES, Level, Need, Organization, Priority, Problem, VulnerableGroup
from .solution import Solution
from .solvers.base import Status

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
    """Parent walks over the problem's regions."""

    def __init__(self, problem: Problem) -> None:
        self.regions = {r.id: r for r in problem.regions}

    def chain(self, region_id: str) -> list[str]:
        """The region and its ancestors, innermost first."""
        found = []
        current: str | None = region_id
        while current is not None and current not in found:
            found.append(current)
            current = self.regions[current].parent
        return found

    def at_level(self, region_id: str, level: Level) -> str | None:
        for r in self.chain(region_id):
            if self.regions[r].level is level:
                return r
        return None

    def tier(self, region_id: str) -> Priority:
        for r in self.chain(region_id):
            if self.regions[r].priority is not None:
                return self.regions[r].priority  # type: ignore[return-value]
        return Priority.NORMAL

    def coordinates(self, region_id: str) -> tuple[float, float] | None:
        for r in self.chain(region_id):
            region = self.regions[r]
            if region.lat is not None and region.lon is not None:
                return region.lat, region.lon
        return None


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
    )
    if policy.expected_value:
        total *= org.acceptance.get(need.category, 1.0)
    return total


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
        In the order found: assignments first, then coverage, then the plan's claims.
    """
    tree = _Tree(problem)
    needs = {n.id: n for n in problem.needs}
    orgs = {o.id: o for o in problem.organizations}
    given = (
        {(p.need_id, p.org_id): p.score for p in problem.pair_scores}
        if problem.pair_scores is not None
        else None
    )
    pending = {(p.need_id, p.org_id) for p in problem.pending}
    declined = {(p.need_id, p.org_id) for p in problem.declined}
    found: list[Violation] = []
    load: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    total = 0.0

    for a in solution.assignments:
        need, org = needs.get(a.need_id), orgs.get(a.org_id)
        seen[a.need_id] += 1
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

        def breaks(rule: str, message: str) -> None:
            found.append(Violation(rule, message, need.id, org.id))  # noqa: B023

        if org.credit in problem.policy.barred_credit:
            breaks("credit", f"{org.id} has credit {org.credit.value}, which the policy bars")
        if (need.id, org.id) in declined:
            breaks("declined", f"{org.id} declined {need.id} in an earlier round")
        if given is not None and (need.id, org.id) not in given:
            breaks("pair_scores", f"({need.id}, {org.id}) is not among the given pair scores")
        if org.capabilities.get(need.category, 0.0) <= 0:
            breaks("capability", f"{org.id} has no capability in {need.category.value}")
        level = org.scope.level
        if level is not Level.NATION:
            area = tree.at_level(org.home_region, level)
            if area is None or area not in tree.chain(need.region):
                breaks("scope", f"{need.region} is outside the {level.value} of {org.id} ({area})")
        if org.service_regions is not None and not set(org.service_regions) & set(
            tree.chain(need.region)
        ):
            breaks("service_regions", f"{need.region} is in none of {org.id}'s service regions")
        expected = (
            given.get((need.id, org.id), a.score)
            if given is not None
            else _expected_score(problem, tree, need, org, pending)
        )
        if not _close(a.score, expected):
            breaks("score", f"score {a.score!r} but the policy gives {expected!r}")

    chosen = {(a.need_id, a.org_id) for a in solution.assignments}
    for pin in problem.pinned:
        if (pin.need_id, pin.org_id) not in chosen:
            message = f"accepted offer ({pin.need_id}, {pin.org_id}) is not kept"
            found.append(Violation("pinned", message, pin.need_id, pin.org_id))
    for org_id, taken in load.items():
        if taken > orgs[org_id].max_projects:
            limit = orgs[org_id].max_projects
            found.append(Violation("capacity", f"{org_id} takes {taken} > {limit}", org_id=org_id))

    for u in solution.unmet:
        seen[u.need_id] += 1
        if u.need_id not in needs:
            found.append(Violation("unknown_need", f"no need {u.need_id!r}", u.need_id))
    for need_id, times in seen.items():
        if times > 1 and need_id in needs:
            found.append(Violation("need_twice", f"{need_id} appears {times} times", need_id))
    for need_id in needs:
        if need_id not in seen:
            found.append(
                Violation("need_missing", f"{need_id} is neither assigned nor unmet", need_id)
            )

    if not _close(solution.objective, total):
        found.append(
            Violation("objective", f"objective {solution.objective!r} but scores sum to {total!r}")
        )
    optimal = solution.status is Status.OPTIMAL
    if solution.bound < solution.objective - _REL * max(1.0, abs(solution.objective)) or (
        optimal and not _close(solution.bound, solution.objective)
    ):
        found.append(
            Violation("bound", f"bound {solution.bound!r} vs objective {solution.objective!r}")
        )
    return found
