"""Solve the built-in Shanxi-like province three ways and compare the plans.

Run with ``python examples/quickstart.py``.
"""

import matcher


def main() -> None:
    problem = matcher.synth.shanxi(seed=0)
    print(f"{len(problem.needs)} needs, {len(problem.organizations)} organizations")
    print(f"{len(matcher.candidates(problem))} eligible (need, organization) pairs")

    plans = {name: matcher.solve(problem, solver=name) for name in ("flow", "cpsat", "greedy")}
    best = plans["flow"].objective
    for name, plan in plans.items():
        assert matcher.verify(problem, plan) == [], name
        print(
            f"{name:>6}: {plan.status:<8} objective {plan.objective:9.3f} "
            f"({plan.objective / best:7.2%} of optimum), bound {plan.bound:9.3f}, "
            f"{plan.kpis.served} needs served, {plan.timings['total_seconds']:.3f} s"
        )

    plan = plans["flow"]
    print()
    print(plan.summary("en"))
    print()
    print(plan.to_frame().nlargest(5, "score")[["need_id", "org_id", "score", "category", "tier"]])


if __name__ == "__main__":
    main()
