"""matcher as a guest in a portal's process: threads, output, forks, load and one deadline.

A portal calls matcher from a web server's worker threads. Nothing it does may reach past its own
call: no other thread's output lost, no fork, the same plan whatever the load, and ``time_limit``
bounds the whole call with a plan and a proven bound in it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matcher
from matcher import synth
from matcher.dispatch import Dispatch
from matcher.models import Problem
from matcher.pairs.table import build_candidates
from matcher.solvers.base import AssignmentModel
from matcher.solvers.budget import Budget
from matcher.solvers.rules import cpsat as cpsat_rules
from matcher.solvers.rules.relaxation import solve_relaxation
from matcher.solving import _side_rules

BUDGETS = {"money": {"budgets": True}}


def budgeted(seed: int, n_needs: int = 2000, n_orgs: int = 300) -> Problem:
    return synth.shanxi(seed=seed, n_needs=n_needs, n_orgs=n_orgs).with_policy(rules=BUDGETS)


def partnered(seed: int) -> Problem:
    """A province in which every fifth need takes two organizations, all or none."""
    document = synth.shanxi(seed=seed, n_needs=300, n_orgs=80).model_dump(mode="json")
    for i, need in enumerate(document["needs"]):
        if i % 5 == 0:
            need["partners"] = 2
    return Problem.model_validate(document)


def lexicographic(seed: int) -> Problem:
    return synth.shanxi(seed=seed, n_needs=400, n_orgs=90).with_policy(**synth.PLAN_POLICY)


def run_python(code: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- nothing process-wide ----------------------------------------------------------------------


def test_another_threads_output_arrives_whole_while_rules_are_solved() -> None:
    """A thread prints 5,000 numbered lines while 4 threads solve budgeted problems by the LP
    rounding path (the path whose integer programs HiGHS solves): every line arrives."""
    result = run_python(
        """
        import sys, threading
        from concurrent.futures import ThreadPoolExecutor
        import matcher
        from matcher import synth
        from matcher.solvers.rules import cpsat as cpsat_rules

        cpsat_rules.RESTRICT_ABOVE = 0  # every solve rounds the LP's vertex with HiGHS
        problems = [
            synth.shanxi(seed=s, n_needs=400, n_orgs=80).with_policy(rules={"money": {"budgets": True}})
            for s in range(4)
        ]
        for p in problems:
            p.index
        done = threading.Event()

        def talk():
            for i in range(5000):
                print(f"line {i}", flush=(i % 50 == 0))
                if i % 100 == 0:
                    done.wait(0.001)

        printer = threading.Thread(target=talk)
        printer.start()
        with ThreadPoolExecutor(4) as pool:
            plans = list(pool.map(lambda p: matcher.solve(p, time_limit=60), problems))
        printer.join()
        assert all("rounding_seconds" in s.timings for s in plans), [s.timings for s in plans]
        print("solved", [s.status.value for s in plans])
        """,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    numbered = [line for line in lines if line.startswith("line ")]
    assert numbered == [f"line {i}" for i in range(5000)]
    assert lines[-1].startswith("solved")
    assert len(lines) == 5001  # and nothing else: the solvers print nothing


# --- threads give the serial results -----------------------------------------------------------


def fingerprint(solution: matcher.Solution) -> str:
    assert "time_capped" not in solution.stats, solution.stats
    return solution.to_json()


def in_threads(calls: list[Callable[[], str]]) -> list[str]:
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(call) for call in calls * 2]
        return [future.result() for future in futures]


@pytest.mark.parametrize(
    ("make", "options"),
    [
        (lambda s: synth.shanxi(seed=s), {"solver": "flow"}),
        (lambda s: budgeted(s, 600, 120), {"work_limit": 0.3}),
        (partnered, {"work_limit": 0.3}),
        (lexicographic, {"work_limit": 0.3}),
    ],
    ids=["flow", "budgets", "partnerships", "lexicographic"],
)
def test_concurrent_solves_give_the_serial_plans_byte_for_byte(
    make: Callable[[int], Problem], options: dict[str, object]
) -> None:
    problems = [make(seed) for seed in range(2)]
    serial = [fingerprint(matcher.solve(p, time_limit=120, **options)) for p in problems]  # type: ignore[arg-type]
    calls = [
        (lambda p=p: fingerprint(matcher.solve(p, time_limit=120, **options)))  # type: ignore[arg-type, misc]
        for p in problems
    ]
    assert in_threads(calls) == serial * 2
    for problem, text in zip(problems, serial, strict=True):
        assert matcher.verify(problem, matcher.Solution.from_json(text)) == []


def test_concurrent_rounded_plans_give_the_serial_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The large-model path (LP, HiGHS rounding, neighbourhood search) is repeatable too."""
    monkeypatch.setattr(cpsat_rules, "RESTRICT_ABOVE", 0)
    problems = [budgeted(seed, 500, 100) for seed in range(2)]
    serial = [fingerprint(matcher.solve(p, time_limit=120)) for p in problems]
    assert all("relaxation_bound" in matcher.Solution.from_json(t).stats for t in serial)
    calls = [(lambda p=p: fingerprint(matcher.solve(p, time_limit=120))) for p in problems]
    assert in_threads(calls) == serial * 2


def test_concurrent_redispatches_give_the_serial_proposals() -> None:
    problem = synth.generate(3000, 600, seed=2)
    base = Dispatch(problem)
    base.propose()
    events = base.events
    rng = np.random.default_rng(0)
    pending = base.state.pending
    declined = sorted(rng.choice(len(pending), size=len(pending) // 20, replace=False).tolist())

    def redispatch() -> str:
        dispatch = Dispatch(problem, events)
        for k in declined:
            dispatch.decline(pending[k].need_id, pending[k].org_id, "busy")
        return dispatch.propose().solution.to_json()

    serial = redispatch()
    assert in_threads([redispatch]) == [serial] * 2


# --- no fork -----------------------------------------------------------------------------------


def test_a_decomposed_solve_from_a_threaded_process_forks_nothing_and_finishes() -> None:
    """Threads hold locks (logging, a busy lock) while a solve above the decomposition threshold
    runs: it finishes, in this process, with the plan of the whole solve."""
    result = run_python(
        """
        import logging, os, threading, time
        import matcher
        import importlib
        from matcher import decompose, synth
        solve_module = importlib.import_module("matcher.solving")

        forks = []
        os.register_at_fork(before=lambda: forks.append(1))
        solve_module.AUTO_DECOMPOSE_PAIRS = 1_000  # decompose as a national solve would
        decompose.MIN_TASK_PAIRS = 1
        logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
        stop = threading.Event()
        lock = threading.Lock()

        def hold():
            while not stop.is_set():
                with lock:
                    logging.getLogger("portal").info("request")
                    time.sleep(0.0005)

        threads = [threading.Thread(target=hold) for _ in range(3)]
        for t in threads:
            t.start()
        problem = synth.generate(3000, 600, seed=1, n_provinces=3, national_share=0.0)
        parts = matcher.solve(problem)
        whole = matcher.solve(problem, decompose=False)
        stop.set()
        for t in threads:
            t.join()
        assert parts.stats["parts"] >= 2, parts.stats
        assert abs(parts.objective - whole.objective) <= 1e-6 * abs(whole.objective)
        print("forks", len(forks))
        """,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "forks 0"


# --- the same plan whatever the load -----------------------------------------------------------


@contextmanager
def busy(n_threads: int) -> Iterator[None]:
    """Threads that keep the machine's cores and the interpreter busy."""
    stop = threading.Event()

    def spin() -> None:
        a = np.random.default_rng(0).random((200, 200))
        while not stop.is_set():
            a = a @ a
            a /= np.abs(a).max() + 1.0  # stays within (-1, 1): no overflow, no NaN
            sum(range(2000))

    threads = [threading.Thread(target=spin) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def test_a_loaded_machine_gives_the_plan_of_an_idle_one() -> None:
    problem = budgeted(0)
    idle = matcher.solve(problem, time_limit=60, work_limit=0.5)
    with busy(3):
        loaded = matcher.solve(problem, time_limit=60, work_limit=0.5)
    assert fingerprint(loaded) == fingerprint(idle)
    assert matcher.verify(problem, idle) == []


# --- one deadline, and a plan in it ------------------------------------------------------------


def test_a_one_second_limit_on_the_plans_rules_still_gives_a_plan_and_its_gap() -> None:
    problem = synth.shanxi(seed=0).with_policy(**synth.PLAN_POLICY)
    solution = matcher.solve(problem, time_limit=1)
    assert solution.status in ("feasible", "optimal")
    assert solution.assignments
    assert matcher.verify(problem, solution) == []
    assert np.isfinite(solution.bound) and solution.bound >= solution.objective
    assert 0 <= solution.gap < 1


def test_a_tiny_limit_still_gives_a_proven_bound() -> None:
    problem = budgeted(1, 400, 80)
    solution = matcher.solve(problem, time_limit=1e-6)
    assert solution.status in ("feasible", "unknown")
    assert np.isfinite(solution.bound)
    unconstrained = matcher.solve(synth.shanxi(seed=1, n_needs=400, n_orgs=80))
    assert solution.bound >= unconstrained.objective - 1e-6  # no plan scores more than this
    assert "time_capped" in solution.stats


def test_two_seconds_bound_a_hard_rule_model_at_province_scale() -> None:
    problem = synth.generate(10_000, 2_000, seed=0).with_policy(rules=BUDGETS)
    problem.index  # noqa: B018 - loading is the caller's, not the call's
    started = time.perf_counter()
    solution = matcher.solve(problem, time_limit=2)
    elapsed = time.perf_counter() - started
    assert elapsed <= 2.5, solution.timings
    assert solution.status == "feasible"
    assert matcher.verify(problem, solution) == []
    # The bound holds: it is at least the LP relaxation's optimum, which bounds every plan.
    table = build_candidates(problem)
    index = problem.index
    model = AssignmentModel(
        index.n_needs, index.n_orgs, table.need, table.org, table.score, index.org_capacity
    )
    relaxed = solve_relaxation(model, _side_rules(problem, table), budget=Budget.start(120))
    assert solution.bound >= relaxed.bound - 1e-6 * abs(relaxed.bound)
    assert solution.objective <= relaxed.bound + 1e-6


# --- the portal guide's request path runs as written --------------------------------------------


def test_the_portal_guides_request_path_answers_plans_and_issues() -> None:
    guide = (Path(__file__).parents[1] / "docs" / "portals.md").read_text(encoding="utf-8")
    code = re.search(r"## A request's path.*?```python\n(.*?)```", guide, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    problem = synth.shanxi(seed=0, n_needs=80, n_orgs=20)
    answer = json.loads(namespace["dispatch_request"](problem.model_dump_json().encode()))
    plan = matcher.Solution.from_json(json.dumps(answer["plan"]))
    assert matcher.verify(problem, plan) == []
    assert [row["need_id"] for row in answer["explanations"]] == list(problem.index.need_ids)
    refused = json.loads(namespace["dispatch_request"](b'{"regions": 3}'))
    assert {issue["path"] for issue in refused["issues"]} >= {"regions", "needs"}


def test_the_portal_guides_per_request_explanation_runs_as_written() -> None:
    guide = (Path(__file__).parents[1] / "docs" / "portals.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    code = next(block for block in blocks if ".prepare()" in block)
    problem = synth.shanxi(seed=0, n_needs=80, n_orgs=20)
    solution = matcher.solve(problem)
    need_id = solution.unmet[0].need_id if solution.unmet else solution.assignments[0].need_id
    namespace: dict[str, Any] = {"matcher": matcher, "problem": problem, "solution": solution}
    namespace["need_id"] = need_id
    exec(code, namespace)
    assert namespace["text"] == matcher.explain.explain(problem, solution, need_id).text
    assert namespace["explainer"] is matcher.explain.explainer_for(problem, solution)
