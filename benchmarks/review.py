"""Expert review: reviewer assignment and key-project selection, timed.

Reviewer assignment: ``matcher.review.synth.random_document(projects, experts, seed=0)`` (six
categories, 100 counties, 200 organizations, each expert affiliated with up to two and living in
one county), ``k`` reviewers per project, assigned exactly by ``assign_reviewers`` (conflict mask,
network, one min-cost flow). The row gives the best of ``--repeat`` runs, the flow alone, the
places filled, the projects with a category expert, the largest load against the average, and a
recount of conflicts and overloads in the answer (both must be 0).

Key projects: ``--library`` projects with random merit (40-100), dispatch score (0-15), cost
(50,000-600,000 yuan), category and key area (30%); at least 30 key projects, at least 5 per
category and 15 in key areas, within a fund of 13.2 million yuan (40 projects at the mean cost;
the optimum takes many more cheap ones); selected by
``select_key_projects`` (HiGHS, proven optimal or an error).

Usage::

    python benchmarks/review.py [--sizes 1000x300,5000x1000] [--library 2000,10000] [--repeat 5]

Writes its table into ``benchmarks/RESULTS.md`` between ``<!-- review:start -->`` and
``<!-- review:end -->``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from markers import write_block  # the script's folder is on the path
from matcher.models.vocab import Category
from matcher.review import KeyProjectPolicy, assign_reviewers, select_key_projects
from matcher.review.assign import solve_transport
from matcher.review.synth import random_document


def assignment_row(n_projects: int, n_experts: int, k: int, repeat: int) -> dict[str, Any]:
    document = random_document(n_projects, n_experts, seed=0, k=k)
    times, flow_times = [], []
    assignment = None
    for _ in range(repeat):
        started = time.perf_counter()
        assignment = assign_reviewers(document, strict=False)
        times.append(time.perf_counter() - started)
    assert assignment is not None
    # The flow alone, on the same pairs (conflicts already out).
    demand = np.full(n_projects, k, np.int64)
    capacity = np.array([e.max_reviews for e in document.experts], np.int64)
    pairs = _allowed_pairs(document)
    for _ in range(repeat):
        started = time.perf_counter()
        solve_transport(demand, capacity, *pairs, fairness=10)
        flow_times.append(time.perf_counter() - started)
    loads = np.bincount(assignment.person, minlength=n_experts)
    return {
        "size": f"{n_projects} x {n_experts}, k = {k}",
        "seconds": min(times),
        "flow": min(flow_times),
        "pairs": int(pairs[0].size),
        "filled": f"{assignment.project.size} / {n_projects * k}",
        "covered": f"{int(assignment.covered().sum())} / {n_projects}",
        "loads": f"{int(loads.max())} (mean {loads.mean():.1f})",
        "broken": _recount(document, assignment),
    }


def _allowed_pairs(document: Any) -> tuple[np.ndarray, ...]:
    from matcher.review.assign import COST_UNIT, conflicts

    allowed = ~conflicts(
        [[*p.organizations, p.id, "region:" + (p.region or "")] for p in document.projects],
        [
            [*e.affiliations, *e.conflicts, "region:" + (e.home_region or "-")]
            for e in document.experts
        ],
    )
    codes = {c: i for i, c in enumerate(Category)}
    levels = np.zeros((len(document.experts), len(Category)), np.int64)
    for row, e in enumerate(document.experts):
        for c, level in e.expertise.items():
            levels[row, codes[c]] = level
    category = np.array([codes[p.category] for p in document.projects])
    level = levels[:, category].T
    pp, pe = np.nonzero(allowed)
    return pp, pe, (5 - level[pp, pe]) * COST_UNIT, level[pp, pe] > 0


def _recount(document: Any, assignment: Any) -> int:
    """Conflicts and overloads in the answer, counted in plain Python."""
    projects = {p.id: p for p in document.projects}
    experts = {e.id: e for e in document.experts}
    broken = 0
    for project_id, expert_id in assignment.pairs():
        p, e = projects[project_id], experts[expert_id]
        broken += bool(set(p.organizations) & set(e.affiliations)) or p.region == e.home_region
    for expert_id, load in assignment.loads().items():
        broken += load > experts[expert_id].max_reviews
    return broken


def selection_row(n: int, repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    merit = rng.uniform(40, 100, n)
    dispatch = rng.uniform(0, 15, n)
    cost = rng.integers(5, 61, n) * 10_000.0
    category = rng.integers(0, len(Category), n)
    key_area = rng.random(n) < 0.3
    policy = KeyProjectPolicy(
        min_key=30,
        fund=40 * 330_000.0,
        category_floors=dict.fromkeys(Category, 5),
        key_area_floor=15,
    )
    times = []
    chosen = np.zeros(0, np.int64)
    for _ in range(repeat):
        started = time.perf_counter()
        chosen = select_key_projects(merit, cost, category, key_area, policy, dispatch=dispatch)
        times.append(time.perf_counter() - started)
    return {
        "library": n,
        "seconds": min(times),
        "chosen": int(chosen.size),
        "spent": float(cost[chosen].sum()),
        "fund": float(policy.fund or 0.0),
        "key": int(key_area[chosen].sum()),
        "objective": float((merit + dispatch)[chosen].sum()),
    }


def render(
    assign_rows: list[dict[str, Any]], select_rows: list[dict[str, Any]], command: str
) -> str:
    lines = [
        f"Measured {dt.date.today().isoformat()} with `{command}` (best of the repeats; "
        "2 shared cores under load from other work).",
        "",
        "Reviewer assignment (exact min-cost flow, conflicts removed, fairness on loads):",
        "",
        "| size | seconds (all) | seconds (flow) | allowed pairs | places filled | with a category expert | largest load | conflicts + overloads |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in assign_rows:
        lines.append(
            f"| {r['size']} | {r['seconds']:.3f} | {r['flow']:.3f} | {r['pairs']:,} | {r['filled']} "
            f"| {r['covered']} | {r['loads']} | {r['broken']} |"
        )
    lines += [
        "",
        "Key-project selection (HiGHS, proven optimal; >= 30 key projects, >= 5 per category, "
        ">= 15 in key areas, within the fund):",
        "",
        "| library projects | seconds | key projects | spent / fund | in key areas | objective |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in select_rows:
        lines.append(
            f"| {r['library']:,} | {r['seconds']:.3f} | {r['chosen']} | "
            f"{r['spent']:,.0f} / {r['fund']:,.0f} | {r['key']} | {r['objective']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000x300,5000x1000")
    parser.add_argument("--library", default="2000,10000")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    assign_rows = []
    for size in args.sizes.split(","):
        n, m = (int(part) for part in size.lower().split("x"))
        assign_rows.append(assignment_row(n, m, args.k, args.repeat))
    select_rows = [selection_row(int(n), args.repeat) for n in args.library.split(",")]
    command = "python benchmarks/review.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    block = render(assign_rows, select_rows, command.strip())
    print(block)
    write_block(args.out, "review", "Expert review and key projects", block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
