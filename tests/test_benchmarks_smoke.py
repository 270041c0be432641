"""Smoke tests of benchmarks/run.py on a tiny instance, so the runner does not rot.

No timing is asserted; the peers must reach the min-cost flow optimum (or stay below it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import matcher
from matcher.models import Problem

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
NEEDS, ORGS = 300, 60
SIZE = f"{NEEDS}x{ORGS}"
OPTIONS = {"cpsat_time_limit": 10.0, "highs_time_limit": 30.0, "naive_cpsat_time_limit": 10.0}


@contextlib.contextmanager
def _benchmarks_on_path() -> Iterator[None]:
    """The scripts import their shared helpers (markers.py, run.py) from their folder."""
    folder = str(RUNNER.parent)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)


def _load(script: str) -> ModuleType:
    """A benchmark script of the folder, loaded as a module once."""
    name = f"matcher_benchmarks_{script}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, RUNNER.with_name(f"{script}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    with _benchmarks_on_path():
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return _load("run")


@pytest.fixture(scope="module")
def document(run: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "problem.json"
    record = run.measure_load(SIZE, path)
    assert record["n_needs"] == NEEDS and record["n_orgs"] == ORGS
    assert record["json_mb"] > 0 and path.exists()
    return path


@pytest.fixture(scope="module")
def problem(document: Path) -> Problem:
    return Problem.from_json(document)


@pytest.fixture(scope="module")
def optimum(run: ModuleType, problem: Problem) -> float:
    return float(run.measure_raw_flow(run.candidate_arrays(problem))["objective"])


def _args(run: ModuleType, *argv: str) -> argparse.Namespace:
    return run._parser().parse_args(list(argv))


def test_sizes_are_the_named_scales(run: ModuleType) -> None:
    assert run.parse_size("national") == ("national", (100_000, 20_000))
    assert run.parse_size("xlarge")[1] == (500_000, 100_000)
    assert run.parse_size(" 300x60 ") == ("300x60", (300, 60))
    with pytest.raises(argparse.ArgumentTypeError):
        run.parse_size("large")
    assert _args(run).sizes == "shanxi,province,national,xlarge"


def test_rebuilt_instance_is_the_document(
    run: ModuleType, document: Path, problem: Problem
) -> None:
    rebuilt = run.candidate_arrays(run.make_problem(SIZE))
    assert rebuilt.fingerprint() == run.candidate_arrays(problem).fingerprint()


def test_plan(run: ModuleType) -> None:
    args = _args(run)
    small = run.plan("shanxi", args)
    assert {"load", "matcher", "matcher_whole", "raw_flow", "greedy", "cpsat", "highs"} <= set(
        small
    )
    assert "naive_cpsat" in small
    big = run.plan("xlarge", args, profile=True)
    assert "highs" in big and "profile" in big
    assert "cpsat" not in big and "naive_cpsat" not in big
    assert "naive_cpsat" in run.plan("national", _args(run, "--naive-cpsat-national"))
    assert "matcher_workers" in big and "matcher_workers" not in small
    assert "highs" not in run.plan("shanxi", _args(run, "--skip", "highs"))
    assert run.child_timeout("highs", OPTIONS, args) == 30.0 + args.child_slack
    assert run.child_timeout("matcher", OPTIONS, args) == args.child_timeout


def test_exact_methods_agree(run: ModuleType, problem: Problem, optimum: float) -> None:
    exact = run.measure_matcher(problem)
    assert exact["status"] == "optimal"
    assert optimum == pytest.approx(exact["objective"], rel=run.OBJECTIVE_RTOL)
    assert {"candidates_seconds", "solve_seconds", "assemble_seconds"} <= set(exact["timings"])
    whole = run.measure_matcher(problem, decompose=False)
    assert whole["objective"] == pytest.approx(optimum, rel=run.OBJECTIVE_RTOL)


def test_a_pool_of_spawned_workers_solves_the_parts_to_the_same_optimum(
    run: ModuleType, optimum: float
) -> None:
    # In a child, as the runner measures it: the workers re-import the script as their main.
    record = run._child("matcher_workers", SIZE, OPTIONS, timeout=300.0)
    assert "error" not in record, record.get("error")
    assert record["objective"] == pytest.approx(optimum, rel=run.OBJECTIVE_RTOL)
    assert record["parts"] >= 1 and record["pool_start_seconds"] > 0


def test_baselines(run: ModuleType, problem: Problem, optimum: float) -> None:
    greedy = run.measure_greedy(problem)
    assert 0 < greedy["objective"] <= optimum * (1 + 1e-9)
    cpsat = run.measure_cpsat(problem, time_limit=10.0)
    assert cpsat["status"] in ("optimal", "feasible")
    assert cpsat["objective"] <= optimum * (1 + 1e-9)


def test_highs_lp_is_integral(run: ModuleType, problem: Problem, optimum: float) -> None:
    arrays = run.candidate_arrays(problem)
    assert run.lp_matrix(arrays).sum() == 2 * arrays.n_pairs
    highs = run.measure_highs(arrays, time_limit=30.0)
    assert highs["status"] == "optimal" and highs["answered"]
    assert highs["objective"] == pytest.approx(optimum, rel=run.LP_RTOL)


def test_naive_cpsat(run: ModuleType, problem: Problem, optimum: float) -> None:
    arrays = run.candidate_arrays(problem)
    naive = run.measure_naive_cpsat(arrays, time_limit=10.0)
    assert naive["variables"] == arrays.n_pairs and naive["workers"] == 2
    assert naive["answered"] and naive["status"] in ("OPTIMAL", "FEASIBLE")
    assert naive["objective"] <= optimum * (1 + 1e-9)
    assert naive["objective"] == pytest.approx(optimum, rel=1e-3)


def test_run_one_check_and_report(run: ModuleType, tmp_path: Path) -> None:
    results = {"name": "tiny", "n_needs": NEEDS, "n_orgs": ORGS}
    results["load"] = run.run_one("load", SIZE, OPTIONS, tmp_path / "again.json")
    methods = ["matcher", "raw_flow", "greedy", "highs", "naive_cpsat"]
    for method in methods:
        record = run.run_one(method, SIZE, OPTIONS)
        assert record["peak_mb"] > 0 and record["rss_before_mb"] is not None
        assert record["fingerprint"] and record["n_pairs"] > 0
        results[method] = record
    results["cpsat"] = {
        "method": "cpsat",
        "error": "stopped after 5 s",
        "timed_out": True,
        "timeout": 5.0,
    }
    assert run.check(results) == []
    results["failures"] = []

    facts = run.machine_facts()
    text = run.render([results], facts, "python benchmarks/run.py", "today")
    assert "| tiny | raw OR-Tools min-cost flow |" in text
    assert "| tiny | naive CP-SAT (no hint, 2 workers) |" in text
    assert "no answer (stopped after 5 s, child killed)" in text
    assert "national end to end ≤ 15 s and ≤ 2 GB on 2 cores: not measured" in text
    assert "## Targets" in text and "## Checks" in text
    out = tmp_path / "RESULTS.md"
    run.write_results(out, text)
    assert out.read_text() == text

    raw = tmp_path / "raw.json"
    command, date = "python benchmarks/run.py", "today"
    raw.write_text(
        json.dumps({"command": command, "date": date, "facts": facts, "results": [results]})
    )
    again = tmp_path / "again.md"
    assert run.main(["--render", str(raw), "--out", str(again)]) == 0
    assert again.read_text() == text


def test_targets_and_timeouts(run: ModuleType) -> None:
    national = {
        "name": "national",
        "n_needs": 100_000,
        "n_orgs": 20_000,
        "matcher": {
            "seconds": 9.0,
            "index_seconds": 0.5,
            "phase_peak_mb": 1500.0,
            "peak_mb": 1700.0,
        },
        "raw_flow": {"seconds": 8.0, "objective": 1.0},
        "highs": {"seconds": 130.0, "status": "no answer in 120 s", "answered": False},
    }
    lines = "\n".join(run.targets([national]))
    assert "national end to end ≤ 15 s and ≤ 2 GB on 2 cores: time met (9.5 s" in lines
    assert "memory met (1,500 MB" in lines
    assert "within 1.5x of raw min-cost flow: met (1.12x" in lines
    assert "HiGHS did not finish (no answer in 120 s)" in lines
    assert "xlarge end to end ≤ 120 s and ≤ 6 GB on 2 cores: not measured" in lines
    national["matcher"]["tree_peak_mb"] = 2500.0
    assert "memory missed (2,500 MB" in "\n".join(run.targets([national]))


def test_check_catches_a_wrong_objective(run: ModuleType) -> None:
    results = {
        "name": "tiny",
        "matcher": {"objective": 10.0, "fingerprint": "a"},
        "raw_flow": {"objective": 10.5, "fingerprint": "a"},
        "greedy": {"objective": 11.0, "fingerprint": "a"},
    }
    assert len(run.check(results)) == 2
    results["greedy"]["fingerprint"] = "b"
    assert any("different candidate arrays" in f for f in run.check(results))


def test_timed_out_child_is_reported(run: ModuleType) -> None:
    args = _args(run, "--child-timeout", "0.01")
    record = run._child("matcher", SIZE, OPTIONS, run.child_timeout("matcher", OPTIONS, args))
    assert record["timed_out"] and "stopped after" in record["error"]


def test_redispatch_benchmark_checks_and_writes_its_report(tmp_path: Path) -> None:
    module = _load("redispatch")
    out = tmp_path / "README.md"
    out.write_text("# Benchmarks\n", encoding="utf-8")
    for _ in range(2):  # the second run replaces the block it wrote
        module.main(["--needs", "300", "--orgs", "60", "--repeat", "1", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n")
    assert text.count("<!-- redispatch:start -->") == 1 and "<!-- redispatch:end -->" in text
    assert "FAILED" not in text and text.count("exact (") == 4


def test_results_keep_the_blocks_other_benchmarks_write(run: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    markers = _load("markers")
    run.write_results(out, "# Benchmark results\n\nfirst report\n")
    markers.write_block(out, "portal", "Portal requests", "| a | b |")
    markers.write_block(out, "other", "Other", "text")
    run.write_results(out, "# Benchmark results\n\nsecond report\n")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n\nsecond report\n\n## Portal requests\n")
    assert "first report" not in text
    assert text.count("<!-- portal:start -->\n| a | b |\n<!-- portal:end -->") == 1
    assert text.endswith("## Other\n\n<!-- other:start -->\ntext\n<!-- other:end -->\n")


def test_portal_explanations_are_extrapolated_from_a_sample(problem: Problem) -> None:
    portal = _load("portal")
    solution = matcher.solve(problem)
    everything = portal.explain_all(problem, solution, None)
    if everything["form"] == "bulk":
        assert everything["rows"] == NEEDS
        return
    assert everything["explained"] == everything["rows"] == NEEDS
    assert not everything["extrapolated"] and everything["seconds"] == everything["measured"]
    sample = portal.explain_all(problem, solution, 4)
    assert sample["extrapolated"] and sample["explained"] == 8
    assert sample["seconds"] > sample["measured"]
    assert portal._sample(["a", "b", "c", "d", "e", "f"], 3) == ["a", "c", "e"]
    assert portal.limit_target(2.0) == 2.5 and portal.limit_target(20.0) == 22.0


def test_portal_benchmark_measures_both_trees_in_fresh_processes(tmp_path: Path) -> None:
    portal = _load("portal")
    out = tmp_path / "RESULTS.md"
    out.write_text("# Benchmark results\n", encoding="utf-8")
    src = RUNNER.parents[1] / "src"
    raw = tmp_path / "raw.json"
    with _benchmarks_on_path():
        argv = ["--quick", "--before-src", str(src), "--out", str(out), "--json", str(raw)]
        assert portal.main(argv) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n\n## Portal requests\n")
    assert text.count("<!-- portal:start -->") == 1 and "<!-- portal:end -->" in text
    assert "| size | request | target (s) | before | now |" in text
    table = [line for line in text.splitlines() if line.startswith("| 300 needs |")]
    assert len(table) == 15 and all(line.count(" | ") == 4 for line in table)
    assert "failed" not in text and "300x60: before and now solve to the same objective" in text
    results = json.loads(raw.read_text(encoding="utf-8"))["results"]
    for label in ("before", "now"):
        sizes = results[label]["sizes"]["300x60"]
        assert sizes["solve"]["status"] == "optimal" and len(sizes["solve"]["steady"]) >= 1
        assert len(sizes["solve"]["answer_steady"]) == len(sizes["solve"]["steady"])
        assert sizes["explain"]["rows"] == 300 and len(sizes["explain"]["one"]) == 6
        assert sizes["explain"]["prepare"] > 0 and len(sizes["explain"]["both"]) >= 1
        assert sizes["explain"]["import"] > 0
        assert sizes["redispatch"]["declines"] > 0
        assert results[label]["pairs"]["pairs"] == 60 * 60
        assert len(results[label]["import"]) == 2
