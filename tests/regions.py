"""Plain-Python walks up the region tree of a problem, for oracles that share no code with matcher."""

from __future__ import annotations

import matcher


def chain(problem: matcher.Problem, region_id: str) -> list[matcher.Region]:
    """The region and its ancestors, nearest first."""
    by_id = {r.id: r for r in problem.regions}
    found = []
    current: str | None = region_id
    while current is not None:
        found.append(by_id[current])
        current = by_id[current].parent
    return found


def tier_of(problem: matcher.Problem, region_id: str) -> matcher.Priority:
    """The region's priority tier: its own, or its nearest ancestor's, else normal."""
    return next(
        (r.priority for r in chain(problem, region_id) if r.priority is not None),
        matcher.Priority.NORMAL,
    )
