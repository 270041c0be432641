"""Independent answers for the review: staged MILPs in scipy (HiGHS) and brute force.

Nothing here reads :mod:`matcher.review.assign` or :mod:`matcher.review.library`. Conflicts of
interest are recomputed from the documents in plain Python, as the documentation states them.

Reviewer assignment is solved lexicographically in three MILPs, each fixing the optimum of the one
before: (1) the most places filled; (2) the most projects with at least one expert of their
category; (3) the least cost: ``(5 - level) * 10`` per pair plus ``fairness * 10 * j`` for an
expert's ``j``-th review, with one binary per (expert, j).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from matcher.models.vocab import Category
from matcher.review import ReviewDocument

CATEGORIES = list(Category)


def conflict_free(document: ReviewDocument, project_index: int, expert_index: int) -> bool:
    """Whether the expert may review the project (ids compared as given: no hierarchy)."""
    project = document.projects[project_index]
    expert = document.experts[expert_index]
    organizations = set(project.organizations) | ({project.implementer} - {None})
    if organizations & set(expert.affiliations):
        return False
    if (organizations | {project.id}) & set(expert.conflicts):
        return False
    same_region = project.region is not None and project.region == expert.home_region
    return not (document.policy.same_region_conflict and same_region)


@dataclass
class Levels:
    filled: int
    covered: int
    cost: float


def assignment_levels(document: ReviewDocument, pairs: list[tuple[str, str]]) -> Levels:
    """The three levels of a given assignment, counted in plain Python."""
    projects = {p.id: p for p in document.projects}
    experts = {e.id: e for e in document.experts}
    covered = set()
    cost = 0.0
    loads: dict[str, int] = {}
    for project_id, expert_id in pairs:
        level = experts[expert_id].expertise.get(projects[project_id].category, 0)
        if level:
            covered.add(project_id)
        cost += (5 - level) * 10
        loads[expert_id] = loads.get(expert_id, 0) + 1
    fairness = round(document.policy.fairness * 10)
    cost += sum(fairness * load * (load + 1) / 2 for load in loads.values())
    return Levels(len(pairs), len(covered), cost)


def milp_assignment(document: ReviewDocument) -> Levels:
    """The lexicographic optimum of reviewer assignment, by three MILPs."""
    n_p, n_e = len(document.projects), len(document.experts)
    k = document.policy.reviewers_per_project
    pairs = [(p, e) for p in range(n_p) for e in range(n_e) if conflict_free(document, p, e)]
    caps = [document.experts[e].max_reviews for e in range(n_e)]
    loads = [(e, j) for e in range(n_e) for j in range(1, caps[e] + 1)]
    n_x, n_y, n_u = len(pairs), n_p, len(loads)
    n = n_x + n_y + n_u
    rows, lower, upper = [], [], []

    def row(entries: dict[int, float], low: float, high: float) -> None:
        vector = np.zeros(n)
        for column, value in entries.items():
            vector[column] += value
        rows.append(vector)
        lower.append(low)
        upper.append(high)

    specialist = []
    for p, e in pairs:
        category = document.projects[p].category
        specialist.append(document.experts[e].expertise.get(category, 0))
    for p in range(n_p):  # at most k per project
        row({i: 1.0 for i, (q, _) in enumerate(pairs) if q == p}, 0, k)
        # y_p <= number of specialists assigned
        entries = {i: -1.0 for i, (q, _) in enumerate(pairs) if q == p and specialist[i]}
        entries[n_x + p] = 1.0
        row(entries, -np.inf, 0)
    for e in range(n_e):  # load = sum of unit binaries
        entries = {i: 1.0 for i, (_, f) in enumerate(pairs) if f == e}
        for t, (f, _) in enumerate(loads):
            if f == e:
                entries[n_x + n_y + t] = -1.0
        row(entries, 0, 0)
    fill = np.zeros(n)
    fill[:n_x] = 1
    cover = np.zeros(n)
    cover[n_x : n_x + n_y] = 1
    cost = np.zeros(n)
    cost[:n_x] = [(5 - s) * 10 for s in specialist]
    fairness = round(document.policy.fairness * 10)
    cost[n_x + n_y :] = [fairness * j for _, j in loads]
    bounds = optimize.Bounds(np.zeros(n), np.ones(n))
    integrality = np.ones(n)

    def solve(objective: np.ndarray) -> float:
        constraints = optimize.LinearConstraint(
            sparse.csr_array(np.array(rows)) if rows else np.zeros((0, n)), lower, upper
        )
        result = optimize.milp(
            objective, constraints=constraints, bounds=bounds, integrality=integrality
        )
        assert result.status == 0, result.message
        return float(result.fun)

    filled = round(-solve(-fill))
    row({i: 1.0 for i in range(n_x)}, filled, filled)
    covered = round(-solve(-cover))
    row({n_x + p: 1.0 for p in range(n_p)}, covered, np.inf)
    return Levels(filled, covered, solve(cost))


def milp_selection(
    value: np.ndarray,
    cost: np.ndarray,
    category: np.ndarray,
    key_area: np.ndarray,
    min_key: int,
    max_key: int | None,
    fund: float | None,
    floors: dict[int, int],
    key_floor: int,
) -> float | None:
    """The best total value of a key-project selection (None: infeasible)."""
    n = value.size
    able = ~np.isnan(value)
    rows = [np.ones(n)]
    lower = [min_key]
    upper = [max_key if max_key is not None else np.inf]
    if fund is not None:
        rows.append(cost)
        lower.append(-np.inf)
        upper.append(fund)
    for code, floor in floors.items():
        rows.append((category == code).astype(float))
        lower.append(floor)
        upper.append(np.inf)
    rows.append(key_area.astype(float))
    lower.append(key_floor)
    upper.append(np.inf)
    result = optimize.milp(
        -np.nan_to_num(value),
        constraints=optimize.LinearConstraint(np.array(rows), lower, upper),
        bounds=optimize.Bounds(np.zeros(n), able.astype(float)),
        integrality=np.ones(n),
    )
    return None if result.status != 0 else float(-result.fun)


def brute_selection(
    value: np.ndarray,
    cost: np.ndarray,
    category: np.ndarray,
    key_area: np.ndarray,
    min_key: int,
    max_key: int | None,
    fund: float | None,
    floors: dict[int, int],
    key_floor: int,
) -> float | None:
    """The same by enumeration (tiny instances)."""
    best = None
    n = value.size
    for size in range(min_key, (max_key if max_key is not None else n) + 1):
        for chosen in itertools.combinations(range(n), size):
            pick = list(chosen)
            if np.isnan(value[pick]).any():
                continue
            if fund is not None and cost[pick].sum() > fund + 1e-9:
                continue
            if any((category[pick] == c).sum() < f for c, f in floors.items()):
                continue
            if key_area[pick].sum() < key_floor:
                continue
            total = float(value[pick].sum())
            best = total if best is None else max(best, total)
    return best
