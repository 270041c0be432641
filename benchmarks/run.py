"""Benchmark runner: matcher and its peers side by side, at every named scale, in one run.

For each scale (``matcher.synth.SCALES``: shanxi, province, national, xlarge; or ``NEEDSxORGS`` for
``matcher.synth.generate``) every measurement runs in a fresh child process that rebuilds the same
instance deterministically (seed 0) and measures one method on it:

* ``load``         generation, ``to_json``, the write, ``Problem.from_json`` and the index build;
* ``matcher``      ``matcher.solve(problem, "flow")`` end to end with its defaults;
* ``matcher_whole`` the same with ``decompose=False`` (only when ``matcher.solve`` has that keyword);
* ``matcher_workers`` the same with ``executor=`` a pool of :data:`WORKERS` spawned processes, started
                   and warmed before the measured phase (national and larger: where there are parts);
* ``raw_flow``     ``SimpleMinCostFlow`` built straight from the candidate arrays: the limit, and the
                   optimum every objective is compared to;
* ``greedy``       ``matcher.solve(problem, "greedy")``;
* ``cpsat``        ``matcher.solve(problem, "cpsat", time_limit=...)`` (flow hint; small scales);
* ``highs``        the LP relaxation with ``scipy.optimize.linprog(method="highs")``, time limited;
* ``naive_cpsat``  the plain 0-1 model on the arrays: no hint, default parameters, 2 workers;
* ``profile``      ``matcher.solve`` under cProfile (the largest scale of the run).

Every child checks in with a digest of the candidate arrays it solved, so the run fails loudly if
two children saw different pairs. Each child reports the RSS when its measured phase starts, the
peak RSS during the phase (the peak mark is reset at its start on Linux), the peak of the whole
process and, when the phase starts worker processes, the sampled peak PSS of the process tree. A
time-limited child that has not returned ``--child-slack`` seconds after its limit is killed with
its workers and reported as "no answer".

The report, ``benchmarks/RESULTS.md``, holds the command, the machine, the tables, the targets met
or missed, and the profile of the largest scale.

Usage::

    python benchmarks/run.py [--sizes shanxi,province,national,xlarge] [--repeat N]
                             [--out benchmarks/RESULTS.md]

The measurement functions (``measure_*``) run in-process too; ``tests/test_benchmarks_smoke.py``
calls them on a tiny instance.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import hashlib
import importlib.metadata
import io
import json
import multiprocessing
import os
import platform
import pstats
import re
import resource
import shlex
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import matcher
from markers import appended_sections  # the script's folder is on the path
from matcher import synth
from matcher.models import Problem
from matcher.pairs.table import build_candidates
from matcher.solvers.base import integer_scores
from matcher.solvers.cpsat import COEFFICIENT_CEILING

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Record = dict[str, Any]

SEED = 0
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The default ladder: every named scale of ``matcher.synth.SCALES``.
DEFAULT_SIZES = tuple(synth.SCALES)
#: Relative tolerance between the raw flow's objective and matcher's exact ones.
OBJECTIVE_RTOL = 1e-9
#: Relative tolerance of the HiGHS LP optimum (its own tolerances are about 1e-7).
LP_RTOL = 1e-6
#: Largest instance (needs) on which the CP-SAT rows run by default: the province scale.
CPSAT_MAX_NEEDS = synth.SCALES["province"].n_needs
#: Targets of the issue: ratio to raw flow, speed-up over HiGHS, and (seconds, MB) per scale.
TARGET_RATIO = 1.5
TARGET_HIGHS_SPEEDUP = 20.0
TARGET_SCALES: dict[str, tuple[float, float]] = {
    "national": (15.0, 2048.0),
    "xlarge": (120.0, 6144.0),
}
#: Methods in report order, with their labels.
METHODS: dict[str, str] = {
    "load": "load: generate, JSON write + read, index",
    "matcher": "matcher flow, defaults",
    "matcher_whole": "matcher flow, decompose=False",
    "matcher_workers": "matcher flow, 2 worker processes",
    "raw_flow": "raw OR-Tools min-cost flow",
    "greedy": "matcher greedy",
    "cpsat": "matcher cpsat (flow hint)",
    "highs": "HiGHS LP (scipy linprog)",
    "naive_cpsat": "naive CP-SAT (no hint, 2 workers)",
    "profile": "matcher flow under cProfile",
}
#: Worker processes of the ``matcher_workers`` row, one per core of the reference machine.
WORKERS = 2
#: Methods that stop at a time limit (option name of the limit).
TIME_LIMITED = {
    "cpsat": "cpsat_time_limit",
    "highs": "highs_time_limit",
    "naive_cpsat": "naive_cpsat_time_limit",
}


# --- instances ------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[str, tuple[int, int]]:
    """A scale name (``national``, see ``matcher.synth.SCALES``) or ``NEEDSxORGS`` (``300x60``)."""
    text = text.strip()
    if text in synth.SCALES:
        spec = synth.SCALES[text]
        return text, (spec.n_needs, spec.n_orgs)
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        names = ", ".join(synth.SCALES)
        raise argparse.ArgumentTypeError(f"unknown size {text!r}: use {names} or NEEDSxORGS")
    return text, (int(match.group(1)), int(match.group(2)))


def make_problem(name: str, *, seed: int = SEED) -> Problem:
    """The instance of a scale (``synth.scale``) or of ``NEEDSxORGS`` (``synth.generate``)."""
    name, (n_needs, n_orgs) = parse_size(name)
    if name in synth.SCALES:
        return synth.scale(name, seed=seed)
    return synth.generate(n_needs, n_orgs, seed=seed)


# --- the arrays every method reads ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Arrays:
    """The candidate pairs and capacities as plain numpy arrays (what the peers read)."""

    n_needs: int
    n_orgs: int
    need: IntArray
    org: IntArray
    score: FloatArray
    capacity: IntArray

    @property
    def n_pairs(self) -> int:
        return int(self.need.size)

    def fingerprint(self) -> str:
        """A short digest of the arrays, to check that every child read the same pairs."""
        digest = hashlib.sha256()
        for array in (self.need, self.org, self.score, self.capacity):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:16]


def candidate_arrays(problem: Problem) -> Arrays:
    """The problem's candidate table (``matcher.candidates.build_candidates``) as :class:`Arrays`.

    Only the four arrays are kept; the table's score components are released on return.
    """
    table = build_candidates(problem)
    index = problem.index
    return Arrays(
        n_needs=index.n_needs,
        n_orgs=index.n_orgs,
        need=np.ascontiguousarray(table.need, dtype=np.int64),
        org=np.ascontiguousarray(table.org, dtype=np.int64),
        score=np.ascontiguousarray(table.score, dtype=np.float64),
        capacity=np.ascontiguousarray(index.org_capacity, dtype=np.int64),
    )


# --- measurements (in-process) --------------------------------------------------------------------


def measure_load(name: str, path: Path, *, seed: int = SEED) -> Record:
    """Generate the instance ``name``, write it as JSON to ``path``, read it back, build its index."""
    started = time.perf_counter()
    generated = make_problem(name, seed=seed)
    generated_at = time.perf_counter()
    text = generated.to_json()
    dumped_at = time.perf_counter()
    path.write_text(text, encoding="utf-8")
    written_at = time.perf_counter()
    json_mb = path.stat().st_size / 2**20
    del generated, text
    gc.collect()
    loaded_from = time.perf_counter()
    problem = Problem.from_json(path)
    loaded_at = time.perf_counter()
    index = problem.index
    indexed_at = time.perf_counter()
    return {
        "seconds": indexed_at - started,
        "generate_seconds": generated_at - started,
        "to_json_seconds": dumped_at - generated_at,
        "write_seconds": written_at - dumped_at,
        "from_json_seconds": loaded_at - loaded_from,
        "index_seconds": indexed_at - loaded_at,
        "json_mb": json_mb,
        "n_needs": index.n_needs,
        "n_orgs": index.n_orgs,
        "n_regions": len(problem.regions),
    }


def measure_matcher(problem: Problem, **options: Any) -> Record:
    """``matcher.solve(problem, "flow", **options)`` end to end, with ``solution.timings``."""
    started = time.perf_counter()
    solution = matcher.solve(problem, "flow", **options)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "objective": float(solution.objective),
        "status": str(solution.status),
        "assigned": len(solution.assignments),
        "parts": solution.stats.get("parts"),
        "options": {k: repr(v) for k, v in options.items()},
        "timings": {k: float(v) for k, v in solution.timings.items()},
    }


@contextlib.contextmanager
def worker_pool(record: Record) -> Iterator[Executor]:
    """A pool of :data:`WORKERS` spawned processes that have imported matcher's solvers, what a
    batch script passes as ``executor=`` (it starts its pool once); the start goes to
    ``record["pool_start_seconds"]``."""
    started = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        # As many tasks at once as workers, each long enough that every worker starts.
        list(pool.map(_warm, [0.2] * WORKERS))
        record["pool_start_seconds"] = time.perf_counter() - started
        yield pool


def _warm(seconds: float) -> None:
    """A worker's first task: import what the parts' solves run, and stay busy ``seconds``."""
    importlib.import_module("matcher.decompose")
    time.sleep(seconds)


def measure_raw_flow(arrays: Arrays) -> Record:
    """The minimal OR-Tools min-cost flow on the candidate arrays: build, solve, read the flows.

    Network: source -> need (capacity 1), need -> org (capacity 1, cost ``-round(score * scale)``),
    org -> sink (capacity ``max_projects``), source -> sink bypass (capacity ``n``, cost 0).
    """
    from ortools.graph.python import min_cost_flow

    started = time.perf_counter()
    n, m, p = arrays.n_needs, arrays.n_orgs, arrays.n_pairs
    source, sink = 0, n + m + 1
    # The same integer problem as matcher solves: its scaling rule, nothing else of it.
    scale = integer_scores(arrays.score, n + m + 2)[1]
    tails = np.concatenate(
        [np.zeros(n, np.int64), arrays.need + 1, np.arange(n + 1, n + m + 1), [source]]
    )
    heads = np.concatenate(
        [np.arange(1, n + 1), arrays.org + (n + 1), np.full(m, sink, np.int64), [sink]]
    )
    capacities = np.concatenate([np.ones(n + p, np.int64), arrays.capacity, [n]])
    costs = np.concatenate(
        [
            np.zeros(n, np.int64),
            -np.rint(arrays.score * scale).astype(np.int64),
            np.zeros(m + 1, np.int64),
        ]
    )
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    del tails, heads, capacities, costs  # the network holds its own copy
    network.set_nodes_supplies(np.array([source, sink]), np.array([n, -n]))
    built = time.perf_counter()
    outcome = network.solve()
    solved = time.perf_counter()
    if outcome != network.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {outcome!r}")
    chosen = np.flatnonzero(network.flows(np.arange(n, n + p)) > 0)
    objective = float(np.sum(arrays.score[chosen]))
    finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "build_seconds": built - started,
        "solve_seconds": solved - built,
        "read_seconds": finished - solved,
        "objective": objective,
        "status": "optimal",
        "assigned": int(chosen.size),
        "arcs": int(network.num_arcs()),
    }


def measure_greedy(problem: Problem) -> Record:
    """``matcher.solve(problem, "greedy")``."""
    started = time.perf_counter()
    solution = matcher.solve(problem, "greedy")
    return {
        "seconds": time.perf_counter() - started,
        "objective": float(solution.objective),
        "status": str(solution.status),
        "timings": {k: float(v) for k, v in solution.timings.items()},
    }


def measure_cpsat(problem: Problem, time_limit: float) -> Record:
    """``matcher.solve(problem, "cpsat", time_limit=...)`` (its build includes the flow hint)."""
    started = time.perf_counter()
    solution = matcher.solve(problem, "cpsat", time_limit=time_limit)
    return {
        "seconds": time.perf_counter() - started,
        "objective": float(solution.objective),
        "bound": float(solution.bound),
        "status": str(solution.status),
        "cpsat_status": str(solution.stats.get("cpsat_status", "")),
        "time_limit": time_limit,
        "timings": {k: float(v) for k, v in solution.timings.items()},
    }


def lp_matrix(arrays: Arrays) -> Any:
    """The LP's constraint matrix in CSC form, built straight from the arrays.

    Column ``p`` (pair) has a 1 in row ``need[p]`` (at most one organization per need) and in row
    ``n_needs + org[p]`` (at most ``max_projects`` per organization).
    """
    from scipy import sparse

    n, m, p = arrays.n_needs, arrays.n_orgs, arrays.n_pairs
    rows = np.empty(2 * p, dtype=np.int64)
    rows[0::2] = arrays.need
    rows[1::2] = arrays.org + n
    indptr = np.arange(0, 2 * p + 1, 2, dtype=np.int64)
    return sparse.csc_array((np.ones(2 * p), rows, indptr), shape=(n + m, p))


def measure_highs(arrays: Arrays, time_limit: float) -> Record:
    """The LP relaxation (``x`` in [0, 1]) with ``scipy.optimize.linprog(method="highs")``.

    The bipartite constraint matrix is totally unimodular, so an optimal vertex is the integer
    optimum. When HiGHS stops at ``time_limit`` the record's ``objective`` is ``None`` and its
    ``status`` says "no answer".
    """
    from scipy.optimize import linprog

    started = time.perf_counter()
    matrix = lp_matrix(arrays)
    upper = np.concatenate([np.ones(arrays.n_needs), arrays.capacity.astype(np.float64)])
    built = time.perf_counter()
    result = linprog(
        -arrays.score,
        A_ub=matrix,
        b_ub=upper,
        bounds=(0.0, 1.0),
        method="highs",
        options={"time_limit": float(time_limit)},
    )
    solved = time.perf_counter()
    optimal = result.status == 0
    x = np.asarray(result.x) if optimal and result.x is not None else np.zeros(0)
    fractional = int(np.count_nonzero(np.abs(x - np.rint(x)) > 1e-6)) if x.size else 0
    if optimal:
        status = "optimal"
    elif result.status == 1:
        status = f"no answer in {time_limit:g} s"
    else:
        status = f"status {result.status}: {result.message}"
    return {
        "seconds": solved - started,
        "build_seconds": built - started,
        "solve_seconds": solved - built,
        "objective": float(-result.fun) if optimal else None,
        "status": status,
        "answered": optimal,
        "fractional": fractional,
        "time_limit": time_limit,
    }


def measure_naive_cpsat(arrays: Arrays, time_limit: float, *, workers: int = 2) -> Record:
    """The plain CP-SAT model of the assignment, as one would first write it.

    One Boolean per pair; each need at most one (``add_at_most_one``); each organization at most its
    capacity; maximize the integer-scaled score (scores scaled as matcher's CP-SAT back end does,
    largest coefficient 2**22). No hint, default parameters but ``num_workers`` and the time limit.
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    coefficients, scale = integer_scores(
        arrays.score, arrays.n_needs + arrays.n_orgs + 2, ceiling=COEFFICIENT_CEILING
    )
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{p}") for p in range(arrays.n_pairs)]
    for members in _groups(arrays.need):
        model.add_at_most_one(x[i] for i in members)
    for members in _groups(arrays.org):
        org = int(arrays.org[members[0]])
        model.add(cp_model.LinearExpr.sum([x[i] for i in members]) <= int(arrays.capacity[org]))
    model.maximize(cp_model.LinearExpr.weighted_sum(x, coefficients.tolist()))
    built = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    code = solver.solve(model)
    solved = time.perf_counter()
    answered = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    objective = bound = None
    if answered:
        values = np.array([solver.boolean_value(v) for v in x], dtype=np.bool_)
        objective = float(np.sum(arrays.score[values]))
        bound = float(solver.best_objective_bound) / scale
    return {
        "seconds": time.perf_counter() - started,
        "build_seconds": built - started,
        "solve_seconds": solved - built,
        "objective": objective,
        "bound": bound,
        "status": solver.status_name(code),
        "answered": answered,
        "variables": len(x),
        "workers": int(workers),
        "time_limit": time_limit,
    }


def _groups(keys: IntArray) -> list[list[int]]:
    """Positions of equal keys, one list per distinct key in ascending key order."""
    if keys.size == 0:
        return []
    order = np.argsort(keys, kind="stable")
    boundaries = np.flatnonzero(np.diff(keys[order])) + 1
    return [part.tolist() for part in np.split(order, boundaries)]


def profile_matcher(problem: Problem, top: int = 25) -> Record:
    """``matcher.solve(problem, "flow")`` under cProfile: the top functions by total and own time."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    solution = matcher.solve(problem, "flow")
    profiler.disable()
    seconds = time.perf_counter() - started
    texts = {}
    for key in ("cumulative", "tottime"):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(key).print_stats(top)
        texts[key] = _short_paths(stream.getvalue())
    return {
        "seconds": seconds,
        "objective": float(solution.objective),
        "status": str(solution.status),
        "parts": solution.stats.get("parts"),
        "timings": {k: float(v) for k, v in solution.timings.items()},
        "profile_cumulative": texts["cumulative"],
        "profile_tottime": texts["tottime"],
    }


def _short_paths(text: str) -> str:
    """Strip the installation prefixes from the file names cProfile prints."""
    prefixes = {str(ROOT / "src") + "/", str(ROOT) + "/"}
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        with contextlib.suppress(KeyError):
            prefixes.add(sysconfig.get_paths()[key] + "/")
    for prefix in sorted(prefixes, key=len, reverse=True):
        text = text.replace(prefix, "")
    return text


# --- memory ---------------------------------------------------------------------------------------


def _kib_to_mb(kib: float) -> float:
    return kib / 1024.0


def current_rss_mb() -> float | None:
    """Resident set size now (``VmRSS``), in MB; ``None`` where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return _kib_to_mb(float(line.split()[1]))
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process (``ru_maxrss``, KiB on Linux), in MB."""
    return _kib_to_mb(float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def children_peak_rss_mb() -> float:
    """Largest peak RSS of a finished child of this process (worker processes), in MB."""
    return _kib_to_mb(float(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (children, their children, ...), read from /proc."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _pss_mb(pid: int) -> float:
    """Proportional set size of a process (shared pages split among their users), in MB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return _kib_to_mb(float(line.split()[1]))
    except OSError:
        return 0.0
    return 0.0


class TreeSampler(threading.Thread):
    """Samples the memory of this process and its worker processes while any worker runs.

    ``peak_mb`` is the largest sum of PSS over the process tree seen (forked workers share pages
    with their parent; PSS counts each page once in the sum). Short spikes between two samples
    are missed; the process's own peak comes exactly from ``ru_maxrss``.
    """

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_mb: float | None = None
        self.max_workers = 0
        self._done = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._done.wait(self.interval):
            workers = _descendants(me)
            if not workers:
                continue
            total = sum(_pss_mb(pid) for pid in (me, *workers))
            self.max_workers = max(self.max_workers, len(workers))
            self.peak_mb = total if self.peak_mb is None else max(self.peak_mb, total)

    def stop(self) -> None:
        self._done.set()
        self.join()


@contextlib.contextmanager
def memory_phase(record: Record) -> Iterator[None]:
    """Record RSS before the phase, the phase's own peak (when resettable), the process peak,
    and, when the phase starts worker processes, the sampled peak of the whole process tree."""
    gc.collect()
    before_peak = peak_rss_mb()
    record["rss_before_mb"] = current_rss_mb()
    reset = _reset_peak()
    sampler = TreeSampler() if sys.platform.startswith("linux") else None
    if sampler is not None:
        sampler.start()
    try:
        yield
    finally:
        if sampler is not None:
            sampler.stop()
    now_peak = peak_rss_mb()
    record["phase_peak_mb"] = now_peak if reset else None
    record["peak_mb"] = max(before_peak, now_peak)
    workers = children_peak_rss_mb()
    record["workers_peak_mb"] = workers if workers > 0 else None
    record["tree_peak_mb"] = None if sampler is None else sampler.peak_mb
    record["max_workers"] = 0 if sampler is None else sampler.max_workers


# --- one child process ----------------------------------------------------------------------------


def run_one(method: str, name: str, options: Record, path: Path | None = None) -> Record:
    """Build the instance and measure one method on it in this process (memory included).

    ``path`` is where ``load`` writes the JSON document; for the other methods it is the document
    to read instead of rebuilding the instance from ``name`` (``--via-json``).
    """
    record: Record = {"method": method}
    if method == "load":
        if path is None:
            raise ValueError("the load measurement needs a path for the document")
        with memory_phase(record):
            record.update(measure_load(name, path))
        return record

    started = time.perf_counter()
    problem = Problem.from_json(path) if path is not None else make_problem(name)
    prepared = time.perf_counter()
    _ = problem.index
    record["prepare_seconds"] = prepared - started
    record["index_seconds"] = time.perf_counter() - prepared
    if method in ("raw_flow", "highs", "naive_cpsat"):
        arrays = candidate_arrays(problem)
        del problem  # the peers see the arrays only
        with memory_phase(record):
            if method == "raw_flow":
                record.update(measure_raw_flow(arrays))
            elif method == "highs":
                record.update(measure_highs(arrays, float(options["highs_time_limit"])))
            else:
                record.update(measure_naive_cpsat(arrays, float(options["naive_cpsat_time_limit"])))
    else:
        with memory_phase(record):
            if method == "matcher":
                record.update(measure_matcher(problem))
            elif method == "matcher_whole":
                record.update(measure_matcher(problem, decompose=False))
            elif method == "matcher_workers":
                with worker_pool(record) as pool:
                    record.update(measure_matcher(problem, executor=pool))
            elif method == "greedy":
                record.update(measure_greedy(problem))
            elif method == "cpsat":
                record.update(measure_cpsat(problem, float(options["cpsat_time_limit"])))
            elif method == "profile":
                record.update(profile_matcher(problem))
            else:
                raise ValueError(f"unknown method {method!r}")
        gc.collect()
        arrays = candidate_arrays(problem)  # untimed, after the phase: which pairs it solved
    record["n_pairs"] = arrays.n_pairs
    record["fingerprint"] = arrays.fingerprint()
    return record


def child_timeout(method: str, options: Record, args: argparse.Namespace) -> float:
    """Seconds before the parent stops a child: the limit plus room to build, or the default."""
    if method in TIME_LIMITED:
        limit = float(options[TIME_LIMITED[method]])
        return min(float(args.child_timeout), limit + float(args.child_slack))
    return float(args.child_timeout)


def _child(
    method: str, name: str, options: Record, timeout: float, path: Path | None = None
) -> Record:
    """Run :func:`run_one` in a fresh interpreter (this script with ``--one``)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        method,
        "--size",
        name,
        "--options",
        json.dumps(options),
    ]
    if path is not None:
        command += ["--problem", str(path)]
    started = time.perf_counter()
    # The child leads its own process group, so that stopping it also stops the worker processes
    # it may have started (matcher's process pool).
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as child:
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            return {
                "method": method,
                "error": f"stopped after {timeout:g} s",
                "timed_out": True,
                "timeout": timeout,
            }
        except BaseException:  # Ctrl-C: take the child's group down too
            _kill_group(child)
            raise
    wall = time.perf_counter() - started
    if child.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or [f"exit code {child.returncode}"]
        return {"method": method, "error": tail[0], "child_seconds": wall}
    lines = stdout.strip().splitlines()
    if not lines:
        return {"method": method, "error": "no output", "child_seconds": wall}
    result: Record = json.loads(lines[-1])
    result["child_seconds"] = wall
    return result


def _kill_group(child: subprocess.Popen[str]) -> None:
    """Kill the child's process group (the child and its workers) and reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.kill()
    child.communicate()


# --- the whole run --------------------------------------------------------------------------------


def _seconds(record: Record) -> float:
    return float(record.get("seconds", 0.0))


def _best(runs: list[Record]) -> Record:
    """The fastest of repeated runs (errors only when every run failed); peaks are the largest."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    fastest: Record = min(good, key=_seconds)
    best: Record = dict(fastest)
    best["all_seconds"] = [_seconds(r) for r in good]
    for key in ("peak_mb", "phase_peak_mb", "tree_peak_mb", "workers_peak_mb"):
        values = [float(r[key]) for r in good if r.get(key) is not None]
        if values:
            best[key] = max(values)
    best["runs"] = len(good)
    return best


def plan(name: str, args: argparse.Namespace, *, profile: bool = False) -> list[str]:
    """The methods measured at size ``name``, in report order."""
    n_needs = parse_size(name)[1][0]
    national = synth.SCALES["national"].n_needs
    skip = {s.strip() for s in (args.skip or "").split(",") if s.strip()}
    wanted = {
        "load": True,
        "matcher": True,
        "matcher_whole": True,
        "matcher_workers": n_needs >= national,
        "raw_flow": True,
        "greedy": True,
        "cpsat": n_needs <= CPSAT_MAX_NEEDS or (args.cpsat_national and n_needs <= national),
        "highs": True,
        "naive_cpsat": n_needs <= CPSAT_MAX_NEEDS
        or (args.naive_cpsat_national and n_needs <= national),
        "profile": profile,
    }
    return [m for m in METHODS if wanted[m] and m not in skip]


def run_size(name: str, args: argparse.Namespace, workdir: Path, *, profile: bool) -> Record:
    """Every method at one size, each in its own child, on the same instance."""
    size = parse_size(name)[1]
    document = workdir / f"problem-{name}.json"
    options = {
        "cpsat_time_limit": float(args.cpsat_time_limit),
        "highs_time_limit": float(args.highs_time_limit),
        "naive_cpsat_time_limit": float(args.naive_cpsat_time_limit),
    }
    results: Record = {
        "name": name,
        "n_needs": size[0],
        "n_orgs": size[1],
        "options": options,
        "via_json": bool(args.via_json),
    }
    methods = plan(name, args, profile=profile)
    if args.via_json and "load" not in methods:
        methods.insert(0, "load")
    for method in methods:
        repeat = 1 if method in ("load", "profile") else args.repeat
        timeout = child_timeout(method, options, args)
        source = document if method == "load" or args.via_json else None
        runs: list[Record] = []
        while len(runs) < repeat:
            _log(f"{name}: {method} ...")
            record = _child(method, name, options, timeout, source)
            runs.append(record)
            _log(f"{name}: {method} {_summary(record)}")
            if "error" in record or _seconds(record) > args.repeat_max_seconds:
                break  # a failure, or a long run: repeating would add little but time
        if method == "load" and "error" in runs[-1] and args.via_json:
            raise RuntimeError(f"{name}: cannot write the problem: {runs[-1]['error']}")
        results[method] = _best(runs)
        if method == "load" and not args.via_json:
            document.unlink(missing_ok=True)
    results["failures"] = check(results)
    for failure in results["failures"]:
        _log(f"CHECK FAILED: {failure}")
    return results


def optimum(results: Record) -> float | None:
    """The reference objective: the raw min-cost flow's, else matcher's."""
    value = _get(results, "raw_flow", "objective")
    value = value if value is not None else _get(results, "matcher", "objective")
    return None if value is None else float(value)


def check(results: Record) -> list[str]:
    """Failed checks at one size: every child read the same candidate arrays, the exact methods
    agree with the raw flow (relative :data:`OBJECTIVE_RTOL`), HiGHS's LP optimum equals it
    (:data:`LP_RTOL`) and no other method beats it."""
    name = results["name"]
    failures = [
        f"{name}: {method} failed: {record['error']}"
        for method, record in results.items()
        if isinstance(record, dict) and "error" in record and not record.get("timed_out")
    ]
    prints = {
        method: record["fingerprint"]
        for method, record in results.items()
        if isinstance(record, dict) and "fingerprint" in record
    }
    if len(set(prints.values())) > 1:
        failures.append(f"{name}: children read different candidate arrays {prints}")
    raw = _get(results, "raw_flow", "objective")
    exact = _get(results, "matcher", "objective")
    if exact is None or raw is None:
        failures.append(f"{name}: no objective to compare (matcher {exact}, raw flow {raw})")
        return failures
    scale = max(1.0, abs(raw))
    for method in ("matcher", "matcher_whole", "matcher_workers", "profile"):
        value = _get(results, method, "objective")
        if value is not None and abs(value - raw) > OBJECTIVE_RTOL * max(scale, abs(value)):
            failures.append(f"{name}: {method} objective {value!r} != raw flow objective {raw!r}")
    value = _get(results, "highs", "objective")
    if value is not None and abs(value - raw) > LP_RTOL * scale:
        failures.append(f"{name}: HiGHS LP objective {value!r} != raw flow objective {raw!r}")
    for method in ("greedy", "cpsat", "naive_cpsat"):
        value = _get(results, method, "objective")
        if value is not None and value > raw + LP_RTOL * scale:
            failures.append(f"{name}: {method} objective {value!r} > optimum {raw!r}")
    return failures


def _summary(record: Record) -> str:
    if "error" in record:
        return f"FAILED: {record['error']}"
    return f"{record.get('seconds', 0.0):.3f} s, peak {record.get('peak_mb', 0.0):.0f} MB"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- machine facts and the report -----------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git_revision(where: Path = ROOT) -> str | None:
    """The revision of the git tree holding ``where`` (this repository by default)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(where), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def machine_facts() -> Record:
    """CPU model, cores, RAM, Python and library versions, the source revision."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                ram_gb = float(line.split()[1]) / 2**20
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "matcher": _version("matcher"),
        "revision": _git_revision(),
        "ortools": _version("ortools"),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "platform": platform.platform(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def _load(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def _s(value: Any) -> str:
    """Seconds, with a precision that suits the magnitude."""
    if value is None:
        return "–"
    v = float(value)
    return f"{v:.4f}" if v < 0.1 else f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _mb(value: Any) -> str:
    return "–" if value is None else f"{float(value):,.0f}"


def _obj(value: Any) -> str:
    return "–" if value is None else f"{float(value):,.3f}"


def _gap(value: Any, best: Any) -> str:
    """How far below the optimum, in % of it."""
    if value is None or best in (None, 0):
        return "–"
    gap = 100.0 * (float(best) - float(value)) / abs(float(best))
    return "0.000%" if abs(gap) < 5e-4 else f"{gap:.3f}%"


def _pct(value: Any, best: Any) -> str:
    if value is None or best in (None, 0):
        return "–"
    return f"{100.0 * float(value) / float(best):.2f}%"


def _ratio(a: Any, b: Any) -> str:
    if a is None or b in (None, 0):
        return "–"
    return f"{float(a) / float(b):.2f}x"


def _get(record: Record, *keys: str) -> Any:
    value: Any = record
    for key in keys:
        if not isinstance(value, dict) or key not in value or "error" in value:
            return None
        value = value[key]
    return value


def phase_peak(record: Record) -> float | None:
    """The measured phase's peak memory: the process's peak RSS during it (the whole process's
    where the mark cannot be reset), or the sampled peak of the process tree when it started
    worker processes and that is larger."""
    if "error" in record:
        return None
    value = record.get("phase_peak_mb")
    value = record.get("peak_mb") if value is None else value
    tree = record.get("tree_peak_mb")
    if tree is not None:
        value = tree if value is None else max(float(value), float(tree))
    return None if value is None else float(value)


def _status(method: str, record: Record) -> str:
    """The status cell: the outcome, with what qualifies it."""
    if record.get("timed_out"):
        limit = TIME_LIMITED.get(method)
        stop = f"stopped after {record['timeout']:g} s"
        return f"no answer ({stop})" if limit is None else f"no answer ({stop}, child killed)"
    if "error" in record:
        return f"failed: {str(record['error'])[:80]}"
    status = str(record.get("status", ""))
    if method in ("matcher", "matcher_whole", "matcher_workers", "profile"):
        parts = record.get("parts")
        if parts is not None:
            status = f"{status}, {parts} part{'s' * (parts != 1)}"
        start = record.get("pool_start_seconds")
        return status if start is None else f"{status}; pool started in {_s(start)} s"
    if method == "raw_flow":
        return "optimal (the reference)"
    if method == "cpsat":
        return f"{status} ({record.get('cpsat_status')}), limit {record.get('time_limit', 0):g} s"
    if method == "highs":
        if record.get("answered"):
            return f"optimal, {record.get('fractional', 0)} fractional"
        return status
    if method == "naive_cpsat":
        limit = f"limit {record.get('time_limit', 0):g} s"
        if not record.get("answered"):
            return f"{status}: no solution, {limit}"
        own = _gap(record.get("objective"), record.get("bound"))
        return f"{status}, own gap {own}, {limit}"
    return status


def _method_seconds(method: str, record: Record) -> str:
    if record.get("timed_out"):
        return f"> {record['timeout']:g}"
    if "error" in record:
        return "–"
    return _s(record.get("seconds"))


def _machine_line(facts: Record) -> str:
    ram = "?" if facts.get("ram_gb") is None else f"{facts['ram_gb']:.1f}"
    revision = f" at `{facts['revision']}`" if facts.get("revision") else ""
    return (
        f"{facts['cpu']}, {facts['cores']} cores ({facts['usable_cores']} usable), {ram} GB RAM; "
        f"{facts['platform']}; Python {facts['python']}, matcher {facts.get('matcher', '?')}"
        f"{revision}, ortools {facts['ortools']}, numpy {facts['numpy']}, scipy {facts['scipy']} "
        f"(HiGHS); 1-minute load average {_load(facts.get('load_average'))} at the start, "
        f"{_load(facts.get('load_average_end'))} at the end."
    )


def render(results: list[Record], facts: Record, command: str, date: str) -> str:
    """The whole of ``RESULTS.md``."""
    absent = [name for name in synth.SCALES if name not in {r["name"] for r in results}]
    via_json = any(r.get("via_json") for r in results)
    obtained = (
        "read the same JSON document (`--via-json`)"
        if via_json
        else "rebuilt the same instance (seed 0)"
    )
    children_load = (
        "The measuring children read this document (`--via-json`)."
        if via_json
        else "The measuring children rebuild the instance instead of reading the document."
    )
    missing = [f"- Not in this run: {', '.join(absent)}."] if absent else []
    lines = [
        "# Benchmark results",
        "",
        "What is measured and how: [README.md](README.md). This file is written by the runner.",
        "",
        f"- Command: `{command}`",
        f"- Date: {date}",
        f"- Machine: {_machine_line(facts)}",
        f"- Scales: {', '.join(_scale_text(r) for r in results)}",
        *missing,
        "",
        "## Side by side",
        "",
        f"Every row is one child process that {obtained} and measured one "
        "method on the same candidate arrays (checked by digest). *seconds*: the measured phase "
        "(the fastest of the repeats); *peak MB*: peak RSS during that phase, the instance in "
        "memory included (matcher rows hold the `Problem`, the peers only the arrays); *gap*: "
        "below the min-cost flow optimum, in % of it.",
        "",
        "| scale | method | seconds | peak MB | objective | gap to optimum | status |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        best = optimum(r)
        for method in METHODS:
            record = r.get(method)
            if method in ("load", "profile") or not isinstance(record, dict):
                continue
            lines.append(
                f"| {r['name']} | {METHODS[method]} | {_method_seconds(method, record)} "
                f"| {_mb(phase_peak(record))} | {_obj(_get(record, 'objective'))} "
                f"| {_gap(_get(record, 'objective'), best)} | {_status(method, record)} |"
            )
    lines += [
        "",
        "## Ratios",
        "",
        '*matcher e2e*: `matcher.solve(problem, "flow")` with its defaults on a problem whose index '
        "is built (candidates + network + solve + assembly of the `Solution`); *+ index*: with the "
        "index build, what a first solve of a freshly loaded problem pays; *2 workers*: the same "
        "solve with `executor=` a pool of 2 spawned processes the script started beforehand "
        "(matcher itself starts none). Ratios use *matcher e2e*.",
        "",
        "| scale | needs x orgs | pairs | parts | matcher e2e | + index | 2 workers | raw flow "
        "| e2e / raw | decompose=False / raw | HiGHS | HiGHS / matcher |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m, raw, h = r.get("matcher", {}), r.get("raw_flow", {}), r.get("highs")
        seconds, index = _get(m, "seconds"), _get(m, "index_seconds")
        whole = r.get("matcher_whole")
        highs_seconds = (
            "not run"
            if h is None
            else _s(h["seconds"])
            if _get(h, "answered")
            else _status("highs", h)
        )
        lines.append(
            f"| {r['name']} | {r['n_needs']:,} x {r['n_orgs']:,} | {_get(m, 'n_pairs') or 0:,} "
            f"| {_parts(m)} | {_s(seconds)} "
            f"| {_s(None if seconds is None else float(seconds) + float(index or 0.0))} "
            f"| {_s(_get(r, 'matcher_workers', 'seconds')) if 'matcher_workers' in r else 'not run'} "
            f"| {_s(_get(raw, 'seconds'))} | {_ratio(seconds, _get(raw, 'seconds'))} "
            f"| {'not run' if whole is None else _ratio(_get(whole, 'seconds'), _get(raw, 'seconds'))} "
            f"| {highs_seconds} "
            f"| {_ratio(_get(h, 'seconds'), seconds) if h and _get(h, 'answered') else '–'} |"
        )
    lines += [
        "",
        "## Where matcher's time goes",
        "",
        "From `solution.timings` (seconds) of the fastest run, next to the raw flow's phases. "
        "*solve (wall)*: total minus candidates and assembly, the time the back end held the "
        "caller (worker start-up included); *network build* and *flow solve* come from the back "
        "end and are summed over the parts when the solve is decomposed, so on several workers "
        "they may exceed the wall time.",
        "",
        "| scale | method | candidates | solve (wall) | network build | flow solve | assemble "
        "| total | raw build / solve / read |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        raw = r.get("raw_flow", {})
        parts = " / ".join(
            _s(_get(raw, k)) for k in ("build_seconds", "solve_seconds", "read_seconds")
        )
        for method in ("matcher", "matcher_whole", "matcher_workers"):
            t = _get(r, method, "timings")
            if t is None:
                continue
            wall = None
            if {"total_seconds", "candidates_seconds", "assemble_seconds"} <= set(t):
                wall = t["total_seconds"] - t["candidates_seconds"] - t["assemble_seconds"]
            lines.append(
                f"| {r['name']} | {METHODS[method]} | {_s(t.get('candidates_seconds'))} "
                f"| {_s(wall)} | {_s(t.get('build_seconds'))} | {_s(t.get('solve_seconds'))} "
                f"| {_s(t.get('assemble_seconds'))} | {_s(t.get('total_seconds'))} | {parts} |"
            )
    lines += [
        "",
        "## Loading",
        "",
        "One child per scale: generate the instance, `to_json`, write it, `Problem.from_json` and "
        f"the index build. {children_load} *Child prepare*: the instance and index seconds of "
        "matcher's child.",
        "",
        "| scale | regions | generate | to_json | JSON MB | write | from_json | index | peak MB "
        "| child prepare |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ld = r.get("load")
        if not isinstance(ld, dict):
            continue
        rebuild = None
        m = r.get("matcher", {})
        if _get(m, "prepare_seconds") is not None:
            rebuild = float(m["prepare_seconds"]) + float(m.get("index_seconds") or 0.0)
        if "error" in ld:
            lines.append(f"| {r['name']} | {_status('load', ld)} |||||||| {_s(rebuild)} |")
            continue
        lines.append(
            f"| {r['name']} | {ld.get('n_regions', 0):,} | {_s(ld.get('generate_seconds'))} "
            f"| {_s(ld.get('to_json_seconds'))} | {ld.get('json_mb', 0):,.1f} "
            f"| {_s(ld.get('write_seconds'))} | {_s(ld.get('from_json_seconds'))} "
            f"| {_s(ld.get('index_seconds'))} | {_mb(ld.get('peak_mb'))} | {_s(rebuild)} |"
        )
    lines += [
        "",
        "## Memory",
        "",
        "MB, one child process per cell. *before*: RSS when the measured phase starts; *phase*: peak "
        "RSS of the child during it; *tree*: the largest sum of PSS over the child and its worker "
        "processes, sampled every 0.5 s while workers run (the side-by-side table reports the "
        "larger of *phase* and *tree*); *process*: `ru_maxrss` of the whole child, instance build "
        "included; *one worker*: the largest peak of a single worker process.",
        "",
        "| scale | method | before | phase peak | tree peak | workers | one worker | process peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for method in METHODS:
            rec = r.get(method)
            if not isinstance(rec, dict) or "error" in rec:
                continue
            lines.append(
                f"| {r['name']} | {method} | {_mb(rec.get('rss_before_mb'))} "
                f"| {_mb(rec.get('phase_peak_mb'))} | {_mb(rec.get('tree_peak_mb'))} "
                f"| {rec.get('max_workers') or '–'} | {_mb(rec.get('workers_peak_mb'))} "
                f"| {_mb(rec.get('peak_mb'))} |"
            )
    lines += ["", "## Targets", "", *targets(results)]
    lines += _profiles(results)
    failures = [f for r in results for f in r.get("failures", [])]
    lines += ["", "## Checks", ""]
    if failures:
        lines += ["Failed:", "", *(f"- {f}" for f in failures)]
    else:
        lines.append(
            "All passed: every child read the same candidate arrays; matcher's objectives equal the "
            f"raw flow's (relative {OBJECTIVE_RTOL:g}); HiGHS's LP optimum, where it answered, "
            f"equals it (relative {LP_RTOL:g}); no method beat it."
        )
    return "\n".join(lines) + "\n"


def _parts(record: Record) -> str:
    """How many parts matcher solved: a count, ``whole`` when it did not decompose."""
    if "error" in record or "seconds" not in record:
        return "–"
    parts = record.get("parts")
    return "whole" if parts is None else f"{int(parts):,}"


def _scale_text(r: Record) -> str:
    return f"{r['name']} ({r['n_needs']:,} x {r['n_orgs']:,})"


def targets(results: list[Record]) -> list[str]:
    """One line per target and scale: met or missed, with the measured number."""
    lines = []
    by_name = {r["name"]: r for r in results}
    for name, (limit_s, limit_mb) in TARGET_SCALES.items():
        r = by_name.get(name)
        head = f"- {name} end to end ≤ {limit_s:g} s and ≤ {limit_mb / 1024:g} GB on 2 cores:"
        seconds = None if r is None else _get(r, "matcher", "seconds")
        if r is None or seconds is None:
            lines.append(f"{head} not measured in this run.")
            continue
        total = float(seconds) + float(_get(r, "matcher", "index_seconds") or 0.0)
        peak = phase_peak(r["matcher"])
        ok_t = "met" if total <= limit_s else "missed"
        ok_m = "–" if peak is None else "met" if peak <= limit_mb else "missed"
        lines.append(
            f"{head} time {ok_t} ({total:.1f} s with the index build, {float(seconds):.1f} s "
            f"without); memory {ok_m} ({_mb(peak)} MB peak during the solve, the problem "
            f"included; {_mb(_get(r, 'matcher', 'peak_mb'))} MB for the whole child with the "
            "instance build)."
        )
    for r in results:
        seconds, raw = _get(r, "matcher", "seconds"), _get(r, "raw_flow", "seconds")
        head = f"- {r['name']}: matcher end to end within {TARGET_RATIO:g}x of raw min-cost flow:"
        if seconds is None or not raw:
            lines.append(f"{head} not measured.")
            continue
        ratio = float(seconds) / float(raw)
        verdict = "met" if ratio <= TARGET_RATIO else "missed"
        lines.append(f"{head} {verdict} ({ratio:.2f}x: {_s(seconds)} s vs {_s(raw)} s).")
    for r in results:
        h, seconds = r.get("highs"), _get(r, "matcher", "seconds")
        head = f"- {r['name']}: at least {TARGET_HIGHS_SPEEDUP:g}x faster than HiGHS:"
        if h is None or seconds is None:
            lines.append(f"{head} not measured.")
        elif not _get(h, "answered"):
            lines.append(
                f"{head} HiGHS did not finish ({_status('highs', h)}); matcher took "
                f"{_s(seconds)} s."
            )
        else:
            speedup = float(h["seconds"]) / float(seconds)
            verdict = "met" if speedup >= TARGET_HIGHS_SPEEDUP else "missed"
            lines.append(
                f"{head} {verdict} ({speedup:.1f}x: HiGHS {_s(h['seconds'])} s vs {_s(seconds)} s)."
            )
    return lines


def _profiles(results: list[Record]) -> list[str]:
    lines: list[str] = []
    for r in results:
        p = r.get("profile")
        if not isinstance(p, dict):
            continue
        lines += ["", f"## Profile: matcher.solve at {r['name']}", ""]
        if "error" in p:
            lines.append(f"The profiled run failed: {p['error']}")
            continue
        timings = p.get("timings", {})
        breakdown = ", ".join(
            f"{key.removesuffix('_seconds')} {_s(value)} s" for key, value in timings.items()
        )
        lines += [
            f'`matcher.solve(problem, "flow")` under cProfile: {_s(p.get("seconds"))} s '
            f"({_status('profile', p)}); `solution.timings`: {breakdown}. cProfile sees the "
            "calling thread only: work on an executor's threads or processes shows as waiting.",
            "",
            "By cumulative time:",
            "",
            "```text",
            p.get("profile_cumulative", "").strip("\n"),
            "```",
            "",
            "By own time:",
            "",
            "```text",
            p.get("profile_tottime", "").strip("\n"),
            "```",
        ]
    return lines


def write_results(out: Path, text: str) -> None:
    """Write the report (the whole file), keeping the blocks other benchmarks wrote into it."""
    kept = appended_sections(out.read_text(encoding="utf-8")) if out.exists() else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + kept, encoding="utf-8")


# --- command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark matcher against raw OR-Tools min-cost flow, HiGHS, CP-SAT, greedy."
    )
    parser.add_argument(
        "--sizes",
        default=",".join(DEFAULT_SIZES),
        help=f"comma-separated: {', '.join(synth.SCALES)} or NEEDSxORGS (default: every scale)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing, fastest kept (3)")
    parser.add_argument(
        "--repeat-max-seconds",
        type=float,
        default=30.0,
        help="repeat a measurement only while a run takes at most this long (30)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="report to write")
    parser.add_argument("--json", type=Path, default=None, help="also write raw records here")
    parser.add_argument(
        "--render", type=Path, default=None, help="only rewrite --out from a --json file of a run"
    )
    parser.add_argument(
        "--skip", default="", help=f"comma-separated methods to leave out: {', '.join(METHODS)}"
    )
    parser.add_argument("--cpsat-time-limit", type=float, default=60.0, help="seconds (60)")
    parser.add_argument(
        "--cpsat-national", action="store_true", help="run matcher cpsat at national too"
    )
    parser.add_argument("--naive-cpsat-time-limit", type=float, default=60.0, help="seconds (60)")
    parser.add_argument(
        "--naive-cpsat-national", action="store_true", help="run the naive CP-SAT at national too"
    )
    parser.add_argument("--highs-time-limit", type=float, default=120.0, help="seconds (120)")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="profile matcher.solve at the largest size of the run (on by default)",
    )
    parser.add_argument(
        "--via-json",
        action="store_true",
        help="children read the JSON document instead of rebuilding the instance",
    )
    parser.add_argument(
        "--child-timeout", type=float, default=3600.0, help="seconds per child process (3600)"
    )
    parser.add_argument(
        "--child-slack",
        type=float,
        default=900.0,
        help="seconds a time-limited child gets beyond its limit to build and stop (900)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--problem", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.one:
        record = run_one(args.one, args.size, json.loads(args.options), args.problem)
        print(json.dumps(record))
        return 0
    if args.render is not None:
        raw = json.loads(args.render.read_text(encoding="utf-8"))
        write_results(args.out, render(raw["results"], raw["facts"], raw["command"], raw["date"]))
        return 0
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    unknown = {s.strip() for s in args.skip.split(",") if s.strip()} - set(METHODS)
    if unknown:
        raise SystemExit(f"--skip: unknown methods {sorted(unknown)}; use {', '.join(METHODS)}")
    names = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for name in names:
        parse_size(name)
    largest = max(names, key=lambda n: parse_size(n)[1]) if names else None
    shown = ["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]
    command = shlex.join(shown)
    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    facts = machine_facts()
    results = []
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as tmp:
        for name in names:
            profile = bool(args.profile) and name == largest
            results.append(run_size(name, args, Path(tmp), profile=profile))
    if hasattr(os, "getloadavg"):
        facts["load_average_end"] = os.getloadavg()[0]
    text = render(results, facts, command, date)
    write_results(args.out, text)
    if args.json is not None:
        raw = {"command": command, "date": date, "facts": facts, "results": results}
        args.json.write_text(json.dumps(raw, indent=2))
    print(text)
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
