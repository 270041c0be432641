"""Plain assignment side by side: matcher against the solvers a user would pick for it.

Instances are the classic random ones: an n x n cost matrix of integers 1-100 (seeded), dense
(every pair) or sparse (``max(10, n / 20)`` random organizations per need, plus one of a random
permutation, so that every need can be assigned). matcher maximizes a score and may leave a need
unmet: it reads ``score = 101 - cost`` (1 to 100), and every method solves that problem, the best
total score with each need at most once (dense, every need is then assigned: the cheapest full
assignment). Side by side, on the same instance:

- **matcher**: ``matcher.solve(problem)`` (``solver="auto"``) end to end, from a problem already
  loaded by ``Problem.from_frames(..., pair_scores=...)``; its solver phase alone; and
  ``solver="flow"``, the OR-Tools min-cost flow it used to run (the reference);
- **scipy** ``linear_sum_assignment`` maximizing the score matrix (0 off the pairs), and on sparse
  rows ``min_weight_full_bipartite_matching`` with an "unmet" column per need;
- **OR-Tools** ``SimpleLinearSumAssignment`` (dense: the cost matrix; sparse: with "unmet" copies),
  and a raw ``SimpleMinCostFlow`` on matcher's own network.

The partnership row is 118 needs that each take 3 of 177 organizations (4 projects each, every pair
scored at random in [0, 2]): matcher against HiGHS (``scipy.optimize.milp``) on the same program.

Every row checks that every exact method reaches the same optimum, and fails otherwise. Each time
is the median of ``--repeat`` runs (3). The table goes between ``<!-- assignment:start -->`` and
``<!-- assignment:end -->`` in ``RESULTS.md``.

Run::

    PYTHONPATH=src .venv/bin/python benchmarks/assignment.py            # writes RESULTS.md
    PYTHONPATH=src .venv/bin/python benchmarks/assignment.py --sizes 100,800 --out /tmp/a.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ortools.graph.python import linear_sum_assignment as ortools_lsa
from ortools.graph.python import min_cost_flow
from scipy import optimize, sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

import matcher
from markers import write_block  # the script's folder is on the path

HERE = Path(__file__).resolve().parent
SEED = 0
#: Methods that take minutes on the largest dense instance are run up to this many pairs.
SLOW_UP_TO = 4_000_000

Arrays = tuple[int, np.ndarray, np.ndarray, np.ndarray]  # n, need, org, cost


def instance(n: int, kind: str, seed: int = SEED) -> Arrays:
    """The pairs of an ``n`` x ``n`` instance, sorted by (need, organization), and their costs."""
    rng = np.random.default_rng([seed, n, kind == "sparse"])
    if kind == "dense":
        need, org = np.divmod(np.arange(n * n, dtype=np.int64), n)
    else:
        degree = max(10, n // 20)
        picks = rng.random((n, n)).argpartition(degree, axis=1)[:, :degree]
        mask = np.zeros((n, n), bool)
        mask[np.repeat(np.arange(n), degree), picks.ravel()] = True
        mask[np.arange(n), rng.permutation(n)] = True
        need, org = (a.astype(np.int64) for a in np.nonzero(mask))
    return n, need, org, rng.integers(1, 101, need.size).astype(np.int64)


def loaded(arrays: Arrays) -> matcher.Problem:
    """The instance as a problem loaded from tables (score ``101 - cost``), its index built."""
    n, need, org, cost = arrays
    return one_province(n, n, need, org, score(cost).astype(float), max_projects=1)


def one_province(
    n_needs: int,
    n_orgs: int,
    need: np.ndarray,
    org: np.ndarray,
    scores: np.ndarray,
    *,
    max_projects: int,
    partners: int = 1,
) -> matcher.Problem:
    """Needs and organizations of one province, every pair ``(need[k], org[k])`` given its score,
    loaded from tables with its index built."""
    need_ids = np.array([f"n{i}" for i in range(n_needs)], dtype=object)
    org_ids = np.array([f"o{j}" for j in range(n_orgs)], dtype=object)
    problem = matcher.Problem.from_frames(
        pd.DataFrame({"id": ["P"], "level": ["province"]}),
        pd.DataFrame(
            {
                "id": org_ids,
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capability_talent": 1.0,
                "max_projects": max_projects,
            }
        ),
        pd.DataFrame({"id": need_ids, "region": "P", "category": "talent", "partners": partners}),
        pair_scores=pd.DataFrame(
            {"need_id": need_ids[need], "org_id": org_ids[org], "score": scores}
        ),
    )
    problem.index  # noqa: B018 - loaded means indexed
    return problem


def score(cost: np.ndarray) -> np.ndarray:
    """What a pair adds: 101 - cost, from 1 to 100."""
    return 101 - cost


def scipy_lsa(arrays: Arrays) -> int:
    """The score matrix, 0 off the pairs (a need matched there is left unmet), maximized."""
    n, need, org, cost = arrays
    matrix = np.zeros((n, n))
    matrix[need, org] = score(cost)
    rows, columns = optimize.linear_sum_assignment(matrix, maximize=True)
    return int(matrix[rows, columns].sum())


def scipy_sparse(arrays: Arrays) -> int:
    """The pairs and one "unmet" column per need, every weight lifted by 101 (none is 0)."""
    n, need, org, cost = arrays
    weights = np.concatenate([score(cost) + 101, np.full(n, 101)]).astype(np.float64)
    rows = np.concatenate([need, np.arange(n)])
    columns = np.concatenate([org, n + np.arange(n)])
    graph = sparse.csr_matrix((weights, (rows, columns)), shape=(n, 2 * n))
    matched_rows, matched_columns = min_weight_full_bipartite_matching(graph, maximize=True)
    return int(graph[matched_rows, matched_columns].sum()) - 101 * n


def ortools_assignment(arrays: Arrays) -> int:
    """Dense: the n x n costs (every score is positive, so the best plan assigns every need).
    Sparse: needs and organizations each get a copy that matches "unmet" at cost 0, and the copy
    of an organization meets the copy of each need that can take it (a perfect matching always
    exists)."""
    n, need, org, cost = arrays
    solver = ortools_lsa.SimpleLinearSumAssignment()
    if need.size == n * n:
        solver.add_arcs_with_cost(need, org, cost)
        if solver.solve() != solver.OPTIMAL:
            raise RuntimeError("OR-Tools linear_sum_assignment failed")
        return int(101 * n - solver.optimal_cost())
    left = np.concatenate([need, n + org, np.arange(n), n + np.arange(n)])
    right = np.concatenate([org, n + need, n + np.arange(n), np.arange(n)])
    costs = np.concatenate([-score(cost), np.zeros(need.size + 2 * n, np.int64)])
    solver.add_arcs_with_cost(left, right, costs)
    if solver.solve() != solver.OPTIMAL:
        raise RuntimeError("OR-Tools linear_sum_assignment failed")
    return int(-solver.optimal_cost())


def raw_flow(arrays: Arrays) -> int:
    """matcher's network: source -> need -> organization -> sink, and a bypass for unmet needs."""
    n, need, org, cost = arrays
    source, sink = 0, 2 * n + 1
    tails = np.concatenate([np.zeros(n, np.int64), need + 1, np.arange(n + 1, 2 * n + 1), [0]])
    heads = np.concatenate([np.arange(1, n + 1), org + n + 1, np.full(n, sink), [sink]])
    capacities = np.concatenate([np.ones(2 * n + need.size, np.int64), [n]])
    costs = np.concatenate([np.zeros(n, np.int64), -score(cost), np.zeros(n + 1, np.int64)])
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    network.set_nodes_supplies(np.array([source, sink]), np.array([n, -n]))
    if network.solve() != network.OPTIMAL:
        raise RuntimeError("min-cost flow failed")
    return int(-network.optimal_cost())


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median seconds of ``repeat`` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def assignment_row(n: int, kind: str, repeat: int) -> dict[str, Any]:
    arrays = instance(n, kind)
    pairs = int(arrays[1].size)
    row: dict[str, Any] = {"instance": f"{kind} {n:,} x {n:,}", "pairs": pairs}
    costs: dict[str, int] = {}
    started = time.perf_counter()
    problem = loaded(arrays)
    row["load"] = time.perf_counter() - started
    phases: list[float] = []

    def auto() -> matcher.Solution:
        solution = matcher.solve(problem)
        phases.append(sum(solution.timings.get(k, 0.0) for k in _SOLVER_PHASES))
        return solution

    row["matcher"], solution = timed(auto, repeat)
    row["solver phase"] = statistics.median(phases)
    row["algorithm"] = solution.stats.get("algorithm", "")
    costs["matcher"] = round(solution.objective)
    peers: list[tuple[str, Callable[[], Any], bool]] = [
        ("matcher flow", lambda: matcher.solve(problem, solver="flow"), True),
        ("scipy lsa", lambda: scipy_lsa(arrays), False),
        ("scipy sparse", lambda: scipy_sparse(arrays), False),
        ("ortools lsa", lambda: ortools_assignment(arrays), True),
        ("raw flow", lambda: raw_flow(arrays), True),
    ]
    for name, function, slow in peers:
        if (slow and pairs > SLOW_UP_TO) or (name == "scipy sparse" and kind == "dense"):
            continue
        row[name], result = timed(function, repeat)
        costs[name] = round(result.objective) if name == "matcher flow" else int(result)
    row["score"] = costs["matcher"]
    row["agree"] = len(set(costs.values())) == 1
    if not row["agree"]:
        raise SystemExit(f"{row['instance']}: the exact methods disagree: {costs}")
    return row


#: The timings of matcher's solver phase (the rest is the candidate table and the plan).
_SOLVER_PHASES = ("build_seconds", "solve_seconds", "certificate_seconds")


def partnership_problem(seed: int = SEED) -> matcher.Problem:
    """118 needs of 3 partners, 177 organizations of 4 projects, every pair scored in [0, 2]."""
    n, m = 118, 177
    rng = np.random.default_rng([seed, n, m])
    need, org = np.divmod(np.arange(n * m), m)
    scores = rng.uniform(0, 2, need.size)
    return one_province(n, m, need, org, scores, max_projects=4, partners=3)


def partnership_milp(problem: matcher.Problem) -> float:
    """The partnership program by HiGHS: x per pair, y per need, sum x = 3 y, load <= 4."""
    table = matcher.candidates(problem)
    index = problem.index
    n, m = index.n_needs, index.n_orgs
    need_of = pd.Index(index.need_ids).get_indexer(table.need_id)
    org_of = pd.Index(index.org_ids).get_indexer(table.org_id)
    k = need_of.size
    columns = np.arange(k)
    by_need = sparse.csr_matrix((np.ones(k), (need_of, columns)), shape=(n, k + n))
    served = sparse.csr_matrix(
        (-index.need_partners.astype(float), (np.arange(n), k + np.arange(n))), shape=(n, k + n)
    )
    by_org = sparse.csr_matrix((np.ones(k), (org_of, columns)), shape=(m, k + n))
    constraints = [
        optimize.LinearConstraint(by_need + served, 0, 0),
        optimize.LinearConstraint(by_org, 0, index.org_capacity.astype(float)),
    ]
    objective = -np.concatenate([table.score.to_numpy(), np.zeros(n)])
    result = optimize.milp(
        objective,
        constraints=constraints,
        integrality=np.ones(k + n),
        bounds=optimize.Bounds(0, 1),
        options={"mip_rel_gap": 0},
    )
    if not result.success:
        raise RuntimeError(f"HiGHS: {result.message}")
    return float(-result.fun)


def partnership_row(repeat: int) -> dict[str, Any]:
    problem = partnership_problem()
    row: dict[str, Any] = {"instance": "partners 118 x 177 (3 each, load 4)"}
    row["pairs"] = len(matcher.candidates(problem))
    row["matcher"], solution = timed(lambda: matcher.solve(problem, time_limit=60), repeat)
    row["algorithm"] = solution.stats.get("algorithm", "")
    row["status"] = solution.status.value
    row["highs milp"], best = timed(lambda: partnership_milp(problem), repeat)
    row["objective"] = solution.objective
    # HiGHS proves its optimum to its own tolerances; the flow's is its rounding.
    row["agree"] = abs(solution.objective - best) <= 1e-6 * max(1.0, abs(best))
    if not row["agree"] or solution.status != "optimal":
        raise SystemExit(f"partnerships: matcher {solution.objective} vs HiGHS {best}")
    return row


_COLUMNS = [
    ("matcher", "matcher auto"),
    ("solver phase", "its solver phase"),
    ("matcher flow", "matcher flow (reference)"),
    ("scipy lsa", "scipy linear_sum_assignment"),
    ("scipy sparse", "scipy sparse matching"),
    ("ortools lsa", "OR-Tools linear_sum_assignment"),
    ("raw flow", "OR-Tools min-cost flow"),
]


def _s(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def render(rows: list[dict[str, Any]], partnership: dict[str, Any] | None, note: str) -> str:
    head = ["instance", "pairs", *[label for _, label in _COLUMNS], "matcher / scipy lsa", "agree"]
    lines = [
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 2) + "---|",
    ]
    for row in rows:
        ratio = row["matcher"] / row["scipy lsa"] if row.get("scipy lsa") else None
        cells = [
            row["instance"],
            f"{row['pairs']:,}",
            *[_s(row.get(key)) for key, _ in _COLUMNS],
            "—" if ratio is None else f"{ratio:.1f}x",
            f"yes ({row['algorithm']})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    if partnership is not None:
        text += (
            "\n\n| instance | pairs | matcher auto | HiGHS MILP | objective | agree |\n"
            "|---|---:|---:|---:|---:|---|\n"
            f"| {partnership['instance']} | {partnership['pairs']:,} | "
            f"{_s(partnership['matcher'])} | {_s(partnership['highs milp'])} | "
            f"{partnership['objective']:.6f} | yes ({partnership['algorithm']}, "
            f"{partnership['status']}) |"
        )
    return f"{note}\n\n{text}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,800,2000,5000", help="comma-separated n")
    parser.add_argument("--kinds", default="dense,sparse")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-partnership", action="store_true")
    parser.add_argument("--note", default="", help="a line above the table (e.g. the load)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    rows = []
    for kind in args.kinds.split(","):
        for n in (int(size) for size in args.sizes.split(",")):
            rows.append(assignment_row(n, kind, args.repeat))
            print(rows[-1], flush=True)
    partnership = None if args.no_partnership else partnership_row(args.repeat)
    if partnership is not None:
        print(partnership, flush=True)
    given = list(argv if argv is not None else sys.argv[1:])
    if "--note" in given:  # the note is printed as itself, not inside the command
        at = given.index("--note")
        del given[at : at + 2]
    command = "PYTHONPATH=src .venv/bin/python benchmarks/" + " ".join(
        [Path(sys.argv[0]).name, *given]
    )
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    note = (
        f"Seconds, median of {args.repeat}; `{command}` on {machine}, "
        f"{time.strftime('%Y-%m-%d')}. {args.note}".rstrip()
        + " Dashes: not run (minutes per call at that size)."
    )
    block = render(rows, partnership, note)
    print(block)
    write_block(args.out, "assignment", "Plain assignment against the assignment solvers", block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
