"""Policy rows: the plan's rules against the unconstrained flow solve, side by side in one run.

For each size it solves ``matcher.synth.generate(needs, orgs, seed=0)`` twice: with no policy
(min-cost flow) and under the program's rules (coverage of key counties, category quotas, program
totals, organization budgets, the aid mix, key areas first, then fairness across cities, then
score). It reports seconds, status, the proven gap and the objective, and writes the table into
``benchmarks/RESULTS.md`` between ``<!-- policy:start -->`` and ``<!-- policy:end -->``.

Usage::

    python benchmarks/policy.py [--sizes 300x90,1000x200,10000x2000] [--time-limit 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import matcher
from markers import write_block  # the script's folder is on the path

FAMILIES: dict[str, dict[str, Any]] = {
    "all families": matcher.synth.PLAN_POLICY,
    "floors + quotas + totals + budgets": {
        "rules": {k: v for k, v in matcher.synth.PLAN_POLICY["rules"].items() if k != "aid_mix"}
    },
}


def measure(n_needs: int, n_orgs: int, time_limit: float) -> list[dict[str, Any]]:
    """One row per policy at this size, the unconstrained flow solve first."""
    base = matcher.synth.generate(n_needs, n_orgs, seed=0)
    rows = []
    started = time.perf_counter()
    plain = matcher.solve(base)
    rows.append(_row(f"{n_needs} x {n_orgs}", "none (flow)", plain, time.perf_counter() - started))
    for name, policy in FAMILIES.items():
        problem = base.with_policy(**policy)
        started = time.perf_counter()
        plan = matcher.solve(problem, time_limit=time_limit)
        seconds = time.perf_counter() - started
        if plan.status in ("optimal", "feasible"):
            broken = matcher.verify(problem, plan)
            if broken:
                raise SystemExit(f"{name}: the plan breaks {broken[:3]}")
        rows.append(_row(f"{n_needs} x {n_orgs}", name, plan, seconds))
    return rows


def _row(size: str, policy: str, plan: matcher.Solution, seconds: float) -> dict[str, Any]:
    return {
        "size": size,
        "policy": policy,
        "solver": plan.solver,
        "status": str(plan.status),
        "seconds": seconds,
        "objective": plan.objective,
        "gap": plan.gap,
        "served": plan.kpis.served,
        "key share": plan.kpis.by_tier[matcher.Priority.KEY].share
        if matcher.Priority.KEY in plan.kpis.by_tier
        else 0.0,
        "variables": plan.stats.get("variables", "-"),
    }


def render(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        f"Measured {dt.date.today().isoformat()} with `{command}`.",
        "",
        "| size | policy | solver | status | seconds | objective | gap to bound | served | key areas served | CP-SAT variables |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['policy']} | {r['solver']} | {r['status']} | {r['seconds']:.2f} "
            f"| {r['objective']:.2f} | {r['gap']:.3%} | {r['served']} | {r['key share']:.1%} "
            f"| {r['variables']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="300x90,1000x200,10000x2000")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    rows = []
    for size in args.sizes.split(","):
        n, m = (int(part) for part in size.lower().split("x"))
        rows.extend(measure(n, m, args.time_limit))
        print(render(rows, ""), file=sys.stderr)
    command = "python benchmarks/policy.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    write_block(args.out, "policy", "Policy rules", render(rows, command.strip()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
