"""Benchmark runner: matcher against the raw OR-Tools min-cost flow it builds on, and the alternatives.

For each size of the ladder it generates ``matcher.synth.generate(needs, orgs, seed=0)``, writes it
as a JSON document and then, each in a fresh child process that loads that document itself, measures:

* ``load``      generation, ``to_json``, ``Problem.from_json`` and the ``problem.index`` build;
* ``matcher``   ``matcher.solve(problem, "flow")`` end to end, with ``solution.timings``;
* ``raw_flow``  the same network built straight from the candidate arrays with
                ``SimpleMinCostFlow`` (the limit matcher is compared to); objectives must agree;
* ``greedy``    ``matcher.solve(problem, "greedy")``;
* ``cpsat``     ``matcher.solve(problem, "cpsat", time_limit=...)`` (small; medium on request);
* ``highs``     the LP relaxation with ``scipy.optimize.linprog(method="highs")`` (small, medium).

Each child reports its peak RSS and the RSS just before its measured phase; on Linux the peak is
reset at the start of the phase (``/proc/self/clear_refs``), so the phase's own peak is reported too.

Usage::

    python benchmarks/run.py [--sizes small,medium,large] [--repeat N] [--out benchmarks/README.md]

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
import os
import platform
import pstats
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import matcher
from matcher import synth
from matcher.candidates import build_candidates
from matcher.models import Problem
from matcher.solvers.base import integer_scores

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Record = dict[str, Any]

#: The size ladder: name -> (needs, organizations).
SIZES: dict[str, tuple[int, int]] = {
    "small": (1_000, 200),
    "medium": (10_000, 2_000),
    "large": (100_000, 20_000),
}
SEED = 0
HERE = Path(__file__).resolve().parent
START_MARKER = "<!-- results:start -->"
END_MARKER = "<!-- results:end -->"
#: Relative tolerance between the raw flow's objective and matcher's.
OBJECTIVE_RTOL = 1e-9
#: Targets the README states.
TARGET_RATIO = 1.5
TARGET_LARGE_SECONDS = 15.0
TARGET_LARGE_MB = 2048.0


# --- the arrays every exact method reads ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Arrays:
    """The candidate pairs and capacities as plain numpy arrays (what raw flow and HiGHS read)."""

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
    """The problem's candidate table (``matcher.candidates.build_candidates``) as :class:`Arrays`."""
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


def measure_load(n_needs: int, n_orgs: int, path: Path, *, seed: int = SEED) -> Record:
    """Generate an instance, write it as JSON to ``path``, read it back and build its index."""
    started = time.perf_counter()
    generated = synth.generate(n_needs, n_orgs, seed=seed)
    generated_at = time.perf_counter()
    text = generated.to_json()
    dumped_at = time.perf_counter()
    path.write_text(text, encoding="utf-8")
    written_at = time.perf_counter()
    json_mb = len(text.encode("utf-8")) / 2**20
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


def measure_matcher(problem: Problem) -> Record:
    """``matcher.solve(problem, "flow")`` end to end, with the breakdown of ``solution.timings``."""
    started = time.perf_counter()
    solution = matcher.solve(problem, "flow")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "objective": float(solution.objective),
        "status": str(solution.status),
        "assigned": len(solution.assignments),
        "timings": {k: float(v) for k, v in solution.timings.items()},
    }


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


def measure_highs(arrays: Arrays, time_limit: float) -> Record:
    """The LP relaxation (``x`` in [0, 1]) with ``scipy.optimize.linprog(method="highs")``.

    Rows: one per need (sum of its pairs <= 1), one per organization (<= ``max_projects``). The
    bipartite constraint matrix is totally unimodular, so an optimal vertex is the integer optimum.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    started = time.perf_counter()
    n, m, p = arrays.n_needs, arrays.n_orgs, arrays.n_pairs
    columns = np.arange(p, dtype=np.int64)
    matrix = sparse.csr_array(
        (
            np.ones(2 * p),
            (np.concatenate([arrays.need, arrays.org + n]), np.concatenate([columns, columns])),
        ),
        shape=(n + m, p),
    )
    upper = np.concatenate([np.ones(n), arrays.capacity.astype(np.float64)])
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
    x = np.asarray(result.x) if result.x is not None else np.zeros(0)
    fractional = int(np.count_nonzero(np.abs(x - np.rint(x)) > 1e-6)) if x.size else 0
    return {
        "seconds": solved - started,
        "build_seconds": built - started,
        "solve_seconds": solved - built,
        "objective": float(-result.fun) if optimal else None,
        "status": "optimal" if optimal else f"status {result.status}: {result.message}",
        "fractional": fractional,
        "time_limit": time_limit,
    }


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


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def memory_phase(record: Record) -> Iterator[None]:
    """Record RSS before the phase, the phase's own peak (when resettable) and the process peak."""
    gc.collect()
    before_peak = peak_rss_mb()
    record["rss_before_mb"] = current_rss_mb()
    reset = _reset_peak()
    yield
    now_peak = peak_rss_mb()
    record["phase_peak_mb"] = now_peak if reset else None
    record["peak_mb"] = max(before_peak, now_peak)


# --- one child process ----------------------------------------------------------------------------


def run_one(method: str, n_needs: int, n_orgs: int, path: Path, options: Record) -> Record:
    """Prepare and measure one (size, method) in this process; the record includes memory."""
    record: Record = {"method": method}
    if method == "load":
        with memory_phase(record):
            record.update(measure_load(n_needs, n_orgs, path))
        return record

    problem = Problem.from_json(path)
    started = time.perf_counter()
    _ = problem.index
    record["index_seconds"] = time.perf_counter() - started
    if method in ("raw_flow", "highs"):
        arrays = candidate_arrays(problem)
        del problem
        with memory_phase(record):
            if method == "raw_flow":
                record.update(measure_raw_flow(arrays))
            else:
                record.update(measure_highs(arrays, float(options["highs_time_limit"])))
    else:
        with memory_phase(record):
            if method == "matcher":
                record.update(measure_matcher(problem))
            elif method == "greedy":
                record.update(measure_greedy(problem))
            elif method == "cpsat":
                record.update(measure_cpsat(problem, float(options["cpsat_time_limit"])))
            elif method == "profile":
                record.update(profile_matcher(problem))
            else:
                raise ValueError(f"unknown method {method!r}")
        arrays = candidate_arrays(problem)  # untimed, after the phase: which pairs it solved
    record["n_pairs"] = arrays.n_pairs
    record["fingerprint"] = arrays.fingerprint()
    return record


def profile_matcher(problem: Problem, top: int = 15) -> Record:
    """``matcher.solve(problem, "flow")`` under cProfile: the top functions by own and total time."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    matcher.solve(problem, "flow")
    profiler.disable()
    seconds = time.perf_counter() - started
    texts = {}
    for key in ("tottime", "cumulative"):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(key).print_stats(top)
        texts[key] = stream.getvalue()
    return {
        "seconds": seconds,
        "profile_tottime": texts["tottime"],
        "profile_cumulative": texts["cumulative"],
    }


def _child(
    method: str,
    size: tuple[int, int],
    path: Path,
    options: Record,
    timeout: float,
) -> Record:
    """Run :func:`run_one` in a fresh interpreter (this script with ``--one``)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        method,
        "--size",
        f"{size[0]}x{size[1]}",
        "--problem",
        str(path),
        "--options",
        json.dumps(options),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"timed out after {timeout:g} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"method": method, "error": tail[0]}
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"method": method, "error": "no output"}
    result: Record = json.loads(lines[-1])
    return result


# --- the whole run --------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[str, tuple[int, int]]:
    """A ladder name (``small``) or ``NEEDSxORGS`` (``300x60``)."""
    text = text.strip()
    if text in SIZES:
        return text, SIZES[text]
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        names = ", ".join(SIZES)
        raise argparse.ArgumentTypeError(f"unknown size {text!r}: use {names} or NEEDSxORGS")
    return text, (int(match.group(1)), int(match.group(2)))


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
    for key in ("peak_mb", "phase_peak_mb"):
        values = [float(r[key]) for r in good if r.get(key) is not None]
        if values:
            best[key] = max(values)
    best["runs"] = len(good)
    return best


def plan(name: str, args: argparse.Namespace) -> list[str]:
    """The methods measured at size ``name``."""
    methods = ["load", "matcher", "raw_flow", "greedy"]
    n_needs = parse_size(name)[1][0]
    if n_needs <= SIZES["small"][0] or (args.cpsat_medium and n_needs <= SIZES["medium"][0]):
        methods.append("cpsat")
    if n_needs <= SIZES["medium"][0] or args.highs_large:
        methods.append("highs")
    if args.profile:
        methods.append("profile")
    return methods


def run_size(name: str, args: argparse.Namespace, workdir: Path) -> Record:
    """Every method at one size, each in its own child, on one JSON document."""
    size = parse_size(name)[1]
    path = workdir / f"problem-{size[0]}x{size[1]}.json"
    options = {
        "cpsat_time_limit": float(args.cpsat_time_limit),
        "highs_time_limit": float(args.highs_time_limit),
    }
    results: Record = {"name": name, "n_needs": size[0], "n_orgs": size[1]}
    for method in plan(name, args):
        repeat = 1 if method == "profile" else args.repeat
        runs = []
        for _ in range(repeat):
            _log(f"{name}: {method} ...")
            record = _child(method, size, path, options, args.child_timeout)
            runs.append(record)
            _log(f"{name}: {method} {_summary(record)}")
            if method == "load" and "error" in record:
                raise RuntimeError(
                    f"{name}: cannot generate or load the problem: {record['error']}"
                )
        results[method] = _best(runs)
    results["failures"] = check(results)
    for failure in results["failures"]:
        _log(f"CHECK FAILED: {failure}")
    return results


def check(results: Record) -> list[str]:
    """Failed checks at one size: every child read the same candidate arrays, and the raw flow's
    objective equals matcher's (relative tolerance :data:`OBJECTIVE_RTOL`)."""
    name = results["name"]
    failures = [
        f"{name}: {method} failed: {record['error']}"
        for method, record in results.items()
        if isinstance(record, dict) and "error" in record
    ]
    prints = {
        method: record["fingerprint"]
        for method, record in results.items()
        if isinstance(record, dict) and "fingerprint" in record
    }
    if len(set(prints.values())) > 1:
        failures.append(f"{name}: children read different candidate arrays {prints}")
    exact, raw = _get(results, "matcher", "objective"), _get(results, "raw_flow", "objective")
    if exact is None or raw is None:
        failures.append(f"{name}: no objective to compare (matcher {exact}, raw flow {raw})")
    elif abs(exact - raw) > OBJECTIVE_RTOL * max(1.0, abs(exact), abs(raw)):
        failures.append(f"{name}: matcher objective {exact!r} != raw flow objective {raw!r}")
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


def machine_facts() -> Record:
    """CPU model, cores, RAM, Python and library versions."""
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


def _pct(value: Any, optimum: Any) -> str:
    if value is None or optimum in (None, 0):
        return "–"
    return f"{100.0 * float(value) / float(optimum):.2f}%"


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


def _cell(record: Any, text: str) -> str:
    if isinstance(record, dict) and "error" in record:
        return f"failed ({record['error'][:60]})"
    return text


def render(results: list[Record], facts: Record, command: str, date: str) -> str:
    """The Markdown block that goes between the README's markers."""
    lines = [
        f"Run on {date}: `{command}`",
        "",
        f"Machine: {facts['cpu']}, {facts['cores']} cores ({facts['usable_cores']} usable), "
        f"{facts['ram_gb']:.1f} GB RAM; Python {facts['python']}, ortools {facts['ortools']}, "
        f"numpy {facts['numpy']}, scipy {facts['scipy']}; {facts['platform']}; "
        f"1-minute load average {_load(facts.get('load_average'))} at the start, "
        f"{_load(facts.get('load_average_end'))} at the end.",
        "",
        "**Exact: matcher end to end vs raw OR-Tools min-cost flow on the same candidate arrays** "
        "(seconds; matcher = candidates + build + solve + assemble, index prebuilt)",
        "",
        "| size | needs x orgs | pairs | matcher e2e | candidates | build | solve + read | assemble "
        "| raw flow | raw build / solve / read | e2e / raw | objective |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m, raw = r.get("matcher", {}), r.get("raw_flow", {})
        t = m.get("timings", {}) if "error" not in m else {}
        parts = " / ".join(
            _s(raw.get(k)) for k in ("build_seconds", "solve_seconds", "read_seconds")
        )
        lines.append(
            f"| {r['name']} | {r['n_needs']:,} x {r['n_orgs']:,} | {m.get('n_pairs', 0):,} "
            f"| {_cell(m, _s(m.get('seconds')))} | {_s(t.get('candidates_seconds'))} "
            f"| {_s(t.get('build_seconds'))} | {_s(t.get('solve_seconds'))} "
            f"| {_s(t.get('assemble_seconds'))} | {_cell(raw, _s(raw.get('seconds')))} "
            f"| {_cell(raw, parts)} | {_ratio(_get(m, 'seconds'), _get(raw, 'seconds'))} "
            f"| {_get(m, 'objective') or 0:,.3f} |"
        )
    lines += [
        "",
        "**Baselines and other solvers** (seconds; objective as % of the min-cost flow optimum)",
        "",
        "| size | greedy | greedy obj | CP-SAT | CP-SAT status | CP-SAT obj | HiGHS LP "
        "| HiGHS status | HiGHS obj | HiGHS / matcher |",
        "|---|---:|---:|---:|---|---:|---:|---|---:|---:|",
    ]
    for r in results:
        optimum = _get(r, "matcher", "objective")
        g, c, h = r.get("greedy", {}), r.get("cpsat"), r.get("highs")
        cpsat = (
            ["not run"] * 3
            if c is None
            else [
                _cell(c, _s(c.get("seconds"))),
                _cell(
                    c,
                    f"{c.get('status')} ({c.get('cpsat_status')}, "
                    f"limit {c.get('time_limit', 0):g} s)",
                ),
                _pct(_get(c, "objective"), optimum),
            ]
        )
        highs = (
            ["not run"] * 4
            if h is None
            else [
                _cell(h, _s(h.get("seconds"))),
                _cell(h, f"{h.get('status')}, {h.get('fractional', 0)} fractional"),
                _pct(_get(h, "objective"), optimum),
                _ratio(_get(h, "seconds"), _get(r, "matcher", "seconds")),
            ]
        )
        lines.append(
            f"| {r['name']} | {_cell(g, _s(g.get('seconds')))} | {_pct(_get(g, 'objective'), optimum)} "
            f"| {' | '.join(cpsat)} | {' | '.join(highs)} |"
        )
    lines += [
        "",
        "**Loading** (seconds; the document is `problem.to_json()` written to a temporary file)",
        "",
        "| size | regions | generate | to_json | JSON MB | from_json | index | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ld = r.get("load", {})
        lines.append(
            f"| {r['name']} | {ld.get('n_regions', 0):,} | {_cell(ld, _s(ld.get('generate_seconds')))} "
            f"| {_s(ld.get('to_json_seconds'))} | {ld.get('json_mb', 0):.1f} "
            f"| {_s(ld.get('from_json_seconds'))} | {_s(ld.get('index_seconds'))} "
            f"| {_mb(ld.get('peak_mb'))} |"
        )
    lines += [
        "",
        "**Memory** (MB, one child process per cell; *before* = RSS when the measured phase starts, "
        "*phase* = peak RSS during it, *process* = `ru_maxrss` of the whole child, load included)",
        "",
        "| size | method | before | phase peak | process peak |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        for method in ("load", "matcher", "raw_flow", "greedy", "cpsat", "highs"):
            rec = r.get(method)
            if not isinstance(rec, dict) or "error" in rec:
                continue
            lines.append(
                f"| {r['name']} | {method} | {_mb(rec.get('rss_before_mb'))} "
                f"| {_mb(rec.get('phase_peak_mb'))} | {_mb(rec.get('peak_mb'))} |"
            )
    lines += ["", *_targets(results)]
    failures = [f for r in results for f in r.get("failures", [])]
    if failures:
        lines += ["", "**Checks failed**", "", *(f"- {f}" for f in failures)]
    return "\n".join(lines)


def _targets(results: list[Record]) -> list[str]:
    lines = ["**Targets**", ""]
    for r in results:
        ratio_value = None
        m, raw = _get(r, "matcher", "seconds"), _get(r, "raw_flow", "seconds")
        if m is not None and raw:
            ratio_value = float(m) / float(raw)
        verdict = "–" if ratio_value is None else "met" if ratio_value <= TARGET_RATIO else "missed"
        ratio_text = "–" if ratio_value is None else f"{ratio_value:.2f}x"
        lines.append(
            f"- {r['name']}: end to end within {TARGET_RATIO}x of raw flow: {verdict} ({ratio_text})"
        )
        if r["n_needs"] >= SIZES["large"][0]:
            seconds = _get(r, "matcher", "seconds")
            index = _get(r, "matcher", "index_seconds") or 0.0
            peak = _get(r, "matcher", "peak_mb")
            if seconds is not None and peak is not None:
                ok_t = "met" if float(seconds) <= TARGET_LARGE_SECONDS else "missed"
                ok_m = "met" if float(peak) <= TARGET_LARGE_MB else "missed"
                lines.append(
                    f"- {r['name']}: end to end ≤ {TARGET_LARGE_SECONDS:g} s: {ok_t} "
                    f"({float(seconds):.1f} s; {float(seconds) + float(index):.1f} s with the "
                    f"index build); ≤ 2 GB: {ok_m} ({float(peak):,.0f} MB process peak, "
                    f"document load included)"
                )
    return lines


def write_report(out: Path, block: str) -> None:
    """Replace what lies between the markers in ``out`` (append the markers when missing)."""
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    fresh = f"{START_MARKER}\n{block}\n{END_MARKER}"
    if START_MARKER in text and END_MARKER in text:
        head, rest = text.split(START_MARKER, 1)
        tail = rest.split(END_MARKER, 1)[1]
        text = head + fresh + tail
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + fresh + "\n"
    out.write_text(text, encoding="utf-8")


# --- command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark matcher against raw OR-Tools min-cost flow, greedy, CP-SAT, HiGHS."
    )
    parser.add_argument(
        "--sizes",
        default="small,medium,large",
        help="comma-separated: small, medium, large or NEEDSxORGS (default: all three)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing, fastest kept (3)")
    parser.add_argument("--out", type=Path, default=HERE / "README.md", help="Markdown to update")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    parser.add_argument("--cpsat-time-limit", type=float, default=60.0, help="seconds (60)")
    parser.add_argument("--cpsat-medium", action="store_true", help="run CP-SAT on medium too")
    parser.add_argument("--highs-time-limit", type=float, default=120.0, help="seconds (120)")
    parser.add_argument("--highs-large", action="store_true", help="run HiGHS on large too")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile top-15 of matcher.solve"
    )
    parser.add_argument(
        "--child-timeout", type=float, default=3600.0, help="seconds per child process"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--problem", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.one:
        n_needs, n_orgs = parse_size(args.size)[1]
        record = run_one(args.one, n_needs, n_orgs, args.problem, json.loads(args.options))
        print(json.dumps(record))
        return 0
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    names = [s for s in args.sizes.split(",") if s.strip()]
    for name in names:
        parse_size(name)
    shown = ["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]
    command = shlex.join(shown)
    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    facts = machine_facts()
    results = []
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as tmp:
        for name in names:
            results.append(run_size(name.strip(), args, Path(tmp)))
    if hasattr(os, "getloadavg"):
        facts["load_average_end"] = os.getloadavg()[0]
    block = render(results, facts, command, date)
    write_report(args.out, block)
    if args.json is not None:
        args.json.write_text(json.dumps({"facts": facts, "results": results}, indent=2))
    print(block)
    for r in results:
        profile = r.get("profile", {})
        for key in ("profile_cumulative", "profile_tottime"):
            if key in profile:
                print(
                    f"\n--- {r['name']}: matcher.solve, cProfile by {key[8:]} ---\n{profile[key]}"
                )
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
