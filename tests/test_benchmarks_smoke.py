"""Smoke tests of benchmarks/run.py on a tiny instance, so the runner does not rot.

No timing is asserted; the raw min-cost flow must reach matcher's objective.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from matcher.models import Problem

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
NEEDS, ORGS = 300, 60


def _load_runner() -> ModuleType:
    name = "matcher_benchmarks_run"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return _load_runner()


@pytest.fixture(scope="module")
def document(run: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "problem.json"
    record = run.measure_load(NEEDS, ORGS, path)
    assert record["n_needs"] == NEEDS and record["n_orgs"] == ORGS
    assert record["json_mb"] > 0 and path.exists()
    return path


def test_exact_methods_agree(run: ModuleType, document: Path) -> None:
    problem = Problem.from_json(document)
    exact = run.measure_matcher(problem)
    arrays = run.candidate_arrays(problem)
    raw = run.measure_raw_flow(arrays)
    assert exact["status"] == "optimal"
    assert arrays.n_pairs > 0
    assert raw["objective"] == pytest.approx(exact["objective"], rel=run.OBJECTIVE_RTOL)
    assert raw["assigned"] == exact["assigned"]
    assert {"candidates_seconds", "build_seconds", "solve_seconds", "assemble_seconds"} <= set(
        exact["timings"]
    )


def test_baselines(run: ModuleType, document: Path) -> None:
    problem = Problem.from_json(document)
    optimum = run.measure_matcher(problem)["objective"]
    greedy = run.measure_greedy(problem)
    assert 0 < greedy["objective"] <= optimum * (1 + 1e-9)
    cpsat = run.measure_cpsat(problem, time_limit=10.0)
    assert cpsat["status"] in ("optimal", "feasible")
    assert cpsat["objective"] <= optimum * (1 + 1e-9)


def test_highs_lp_is_integral(run: ModuleType, document: Path) -> None:
    pytest.importorskip("scipy")
    problem = Problem.from_json(document)
    optimum = run.measure_matcher(problem)["objective"]
    highs = run.measure_highs(run.candidate_arrays(problem), time_limit=30.0)
    assert highs["status"] == "optimal"
    assert highs["objective"] == pytest.approx(optimum, rel=1e-6)


def test_run_one_check_and_report(run: ModuleType, document: Path, tmp_path: Path) -> None:
    results = {"name": "tiny", "n_needs": NEEDS, "n_orgs": ORGS}
    results["load"] = run.run_one("load", NEEDS, ORGS, tmp_path / "again.json", {})
    for method in ("matcher", "raw_flow", "greedy"):
        record = run.run_one(method, NEEDS, ORGS, document, {})
        assert record["peak_mb"] > 0 and record["rss_before_mb"] is not None
        results[method] = record
    assert run.check(results) == []
    results["failures"] = []

    block = run.render([results], run.machine_facts(), "python benchmarks/run.py", "today")
    assert "| tiny |" in block
    out = tmp_path / "README.md"
    out.write_text(f"# B\n\nintro\n\n{run.START_MARKER}\nold\n{run.END_MARKER}\n\noutro\n")
    run.write_report(out, block)
    text = out.read_text()
    assert "old" not in text and "intro" in text and "outro" in text and "| tiny |" in text


def test_check_catches_a_wrong_objective(run: ModuleType) -> None:
    results = {
        "name": "tiny",
        "matcher": {"objective": 10.0, "fingerprint": "a"},
        "raw_flow": {"objective": 10.5, "fingerprint": "a"},
    }
    assert len(run.check(results)) == 1
