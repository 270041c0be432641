"""Two program years on the Shanxi-like province, with and without acceptance-aware matching.

Each year runs 派单 → 接单 rounds until every need is placed or provably unplaceable: the dispatcher
proposes, the organizations answer (simulated, seeded: ``matcher.dispatch.simulate``), declined needs are
re-dispatched with the accepted offers pinned. Then every accepted project runs and is rated
(评单), and next year's dispatch starts with the ratings (reputation, continuity for follow-up
needs) and the year's answers (acceptance history).

Both configurations face the same organizations (the same true acceptance probabilities and
quality) and the same random answers; they differ only in the plan's objective: raw score, or
expected accepted score (score times the learned acceptance probability).

Run with ``python examples/acceptance_years.py``.
"""

from __future__ import annotations

import matcher
from matcher.dispatch import Dispatch, simulate


def first_round(problem: matcher.Problem) -> None:
    """The first proposal of year 1, checked as any plan is."""
    dispatch = Dispatch(problem, disruption_cost=1.0, acceptance_aware=True)
    proposal = dispatch.propose()
    solution = proposal.solution
    assert matcher.verify(proposal.problem, solution) == []
    print(
        f"year 1, round 1: plan {solution.status.value} (verified), {len(proposal.offers)} offers, "
        f"{proposal.expected_acceptances:.1f} acceptances expected"
    )


def main(n_needs: int = 1000, n_orgs: int = 200, seed: int = 0) -> None:
    problem = matcher.synth.shanxi(seed=seed, n_needs=n_needs, n_orgs=n_orgs)
    behaviour = simulate.simulate_behaviour(problem, seed)
    print(
        f"Shanxi-like province: {n_needs} needs, {n_orgs} organizations, seed {seed}; "
        "two program years each way"
    )
    first_round(problem)
    header = (
        f"{'matching':<18}{'year':>5}{'rounds':>8}{'offers':>8}{'accepted':>10}"
        f"{'acc. rate':>11}{'expected/actual r1':>20}{'coverage':>10}{'key areas':>11}"
        f"{'score':>9}{'stars':>7}"
    )
    print()
    print(header)
    print("-" * len(header))
    results = {}
    for label, aware in (("raw score", False), ("acceptance-aware", True)):
        reports, dispatches = simulate.simulate_program(
            problem, years=2, acceptance_aware=aware, seed=seed, behaviour=behaviour
        )
        results[label] = (reports, dispatches)
        for r in reports:
            first = f"{r.expected_first:.0f}/{r.accepted_first}"
            print(
                f"{label:<18}{r.year:>5}{r.rounds:>8}{r.offers:>8}{r.accepted:>10}"
                f"{r.acceptance_rate:>11.1%}{first:>20}{r.coverage:>10.1%}"
                f"{r.key_coverage:>11.1%}{r.accepted_score:>9.0f}{r.mean_stars:>7.2f}"
            )
    print()
    reports, dispatches = results["acceptance-aware"]
    second = dispatches[1].problem
    follow_ups = [n for n in second.needs if n.continues is not None]
    good = sum(n.continues.stars >= 4 for n in follow_ups if n.continues)
    bad = sum(n.continues.stars <= 2 for n in follow_ups if n.continues)
    print(
        f"year 2 has {len(follow_ups)} follow-up needs (接续实施): {good} continue a project rated "
        f"4-5 stars (continuity bonus), {bad} one rated 1-2 (malus)"
    )
    for label, (reports, _) in results.items():
        reasons = ", ".join(f"{k} {v}" for k, v in reports[-1].unplaceable.items())
        print(f"{label}: year 2 unplaced needs by reason: {reasons or 'none'}")


if __name__ == "__main__":
    main()
