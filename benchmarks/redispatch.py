"""Re-dispatch benchmark: how long a round takes after some offers are declined, against a cold solve.

On ``matcher.synth.generate(needs, orgs, seed=0)`` (10,000 x 2,000 by default) it measures:

* ``cold solve``   ``matcher.solve(problem)`` end to end (the reference);
* ``first round``  ``Dispatch.propose()`` on a fresh dispatch (``Dispatch()`` builds the
                   candidate table and its round layout, once);
* ``re-dispatch``  ``Dispatch.propose()`` after a share of the first round's offers is declined and
                   every other offer is still open (kept unless moving it gains more than the
                   disruption cost), for several shares, raw and acceptance-aware.

Each re-dispatch is checked: its plan passes ``matcher.verify`` on the round problem and scores
what ``matcher.solve`` scores on that same problem (relative 1e-9). Times are medians over
``--repeat`` runs, cold solves interleaved with re-dispatches so that both see the same machine
load. The state before each measured ``propose`` is rebuilt by replaying the event log (outside the
timing). The report is printed and written into ``benchmarks/RESULTS.md`` between
``<!-- redispatch:start -->`` and ``<!-- redispatch:end -->``.

Usage::

    python benchmarks/redispatch.py [--needs 10000] [--orgs 2000] [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import math
import pstats
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import matcher
from markers import write_block  # the script's folder is on the path
from matcher.dispatch import Dispatch, Proposal

#: Target: a re-dispatch after 5% declines takes at most this share of a cold solve.
TARGET_SHARE = 0.10


@dataclass
class Case:
    """One measured re-dispatch."""

    label: str
    declines: int
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    proposal: Proposal | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def decline_share(dispatch: Dispatch, share: float, seed: int) -> int:
    """Decline a share (at least one) of the open offers, chosen with ``seed``."""
    pending = dispatch.state.pending
    count = max(1, round(share * len(pending)))
    rng = np.random.default_rng(seed)
    for k in sorted(rng.choice(len(pending), size=count, replace=False).tolist()):
        offer = pending[k]
        dispatch.decline(offer.need_id, offer.org_id, "benchmark")
    return count


def check(proposal: Proposal) -> str:
    """Exactness of a re-dispatch: verify, and the same objective as a full solve."""
    problem = proposal.problem
    violations = matcher.verify(problem, proposal.solution)
    full = matcher.solve(problem)
    same = math.isclose(full.objective, proposal.objective, rel_tol=1e-9)
    if violations or not same:
        return f"FAILED: {len(violations)} violations, {proposal.objective} vs {full.objective}"
    return f"exact ({proposal.objective:,.3f} = matcher.solve)"


def run(
    needs: int, orgs: int, *, repeat: int, shares: Sequence[float], profile: bool
) -> dict[str, Any]:
    started = time.perf_counter()
    problem = matcher.synth.generate(needs, orgs, seed=0)
    problem.index  # noqa: B018 - build outside the timings
    generated = time.perf_counter() - started

    cold: list[float] = []
    cold_cpu: list[float] = []
    cold_solution = matcher.solve(problem)
    cases: list[Case] = []
    setup: dict[str, float] = {}
    for aware in (False, True):
        t0 = time.perf_counter()
        base = Dispatch(problem, disruption_cost=1.0, acceptance_aware=aware)
        t1 = time.perf_counter()
        first = base.propose()
        t2 = time.perf_counter()
        tag = "aware" if aware else "raw"
        setup[f"{tag}: Dispatch() (candidate table)"] = t1 - t0
        setup[f"{tag}: first round propose()"] = t2 - t1
        opened = base.events
        for share in shares if not aware else [s for s in shares if s >= 0.05]:
            label = f"{tag}, {share:.0%} declined" if share > 0 else f"{tag}, 1 declined"
            case = Case(label, 0)
            for r in range(repeat):
                dispatch = Dispatch(base.problem, opened)
                case.declines = decline_share(dispatch, share, seed=r)
                t, c = time.perf_counter(), time.process_time()
                matcher.solve(problem)
                cold.append(time.perf_counter() - t)
                cold_cpu.append(time.process_time() - c)
                t, c = time.perf_counter(), time.process_time()
                case.proposal = dispatch.propose()
                case.seconds.append(time.perf_counter() - t)
                case.cpu.append(time.process_time() - c)
            cases.append(case)
        del first

    cold_median = statistics.median(cold)
    report: dict[str, Any] = {
        "instance": f"{needs:,} needs x {orgs:,} organizations, "
        f"{len(matcher.candidates(problem)):,} eligible pairs",
        "generate_seconds": generated,
        "cold_median": cold_median,
        "cold_cpu_median": statistics.median(cold_cpu),
        "cold_min": min(cold),
        "cold_timings": cold_solution.timings,
        "setup": setup,
        "cases": cases,
    }
    if profile:
        dispatch = Dispatch(problem, disruption_cost=1.0)
        dispatch.propose()
        decline_share(dispatch, 0.05, seed=0)
        profiler = cProfile.Profile()
        profiler.enable()
        dispatch.propose()
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(14)
        report["profile"] = text.getvalue()
    return report


def render(report: dict[str, Any]) -> str:
    cold, cold_cpu = report["cold_median"], report["cold_cpu_median"]
    runs = len(report["cases"][0].seconds) * len(report["cases"])
    lines = [
        f"instance: {report['instance']}",
        f"cold solve (matcher.solve, median of {runs}): {cold:.3f} s wall, {cold_cpu:.3f} s CPU "
        f"(min {report['cold_min']:.3f} s; phases of one: "
        + ", ".join(
            f"{k.removesuffix('_seconds')} {v:.3f}"
            for k, v in report["cold_timings"].items()
            if k != "total_seconds"
        )
        + ")",
        "setup: " + "; ".join(f"{k} {v:.3f} s" for k, v in report["setup"].items()),
        "",
        f"{'re-dispatch':<22}{'declines':>9}{'wall s':>8}{'of cold':>9}{'CPU s':>7}"
        f"{'of cold':>9}{'method':>7}{'new':>5}{'withdrawn':>10}{'re-solved':>10}  check",
    ]
    for case in report["cases"]:
        p = case.proposal
        assert p is not None
        resolved = p.stats.get("needs_resolved", "-")
        lines.append(
            f"{case.label:<22}{case.declines:>9}{case.median:>8.3f}{case.median / cold:>9.1%}"
            f"{case.cpu_median:>7.3f}{case.cpu_median / cold_cpu:>9.1%}{p.method:>7}"
            f"{len(p.offers):>5}{len(p.withdrawn):>10}{resolved!s:>10}  {check(p)}"
            + (f"; went cold: {p.stats['fallback']}" if "fallback" in p.stats else "")
        )
    five = next(c for c in report["cases"] if c.label == "raw, 5% declined")
    share, cpu_share = five.median / cold, five.cpu_median / cold_cpu
    verdict = "met" if max(share, cpu_share) <= TARGET_SHARE else "MISSED"
    lines += [
        "",
        f"target (re-dispatch after 5% declines <= {TARGET_SHARE:.0%} of a cold solve): {verdict} "
        f"({share:.1%} wall, {cpu_share:.1%} CPU)",
        "phases of the 5% re-dispatch: "
        + ", ".join(
            f"{k.removesuffix('_seconds')} {v:.3f}"
            for k, v in (five.proposal.stats if five.proposal else {}).items()
            if k.endswith("_seconds")
        ),
    ]
    if "profile" in report:
        lines += ["", "profile of one 5% re-dispatch (cumulative):", report["profile"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--orgs", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    report = run(
        args.needs, args.orgs, repeat=args.repeat, shares=(0.0, 0.01, 0.05), profile=args.profile
    )
    text = render(report)
    print(text)
    command = "python benchmarks/redispatch.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    block = f"Measured {dt.date.today()} with `{command.strip()}`.\n\n```text\n{text}\n```"
    write_block(args.out, "redispatch", "Re-dispatch", block)


if __name__ == "__main__":
    main()
