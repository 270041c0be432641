"""What ``import matcher`` loads, and what each first call adds: every check in a fresh interpreter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import matcher

#: Loaded on first use only: tables (pandas, and pyarrow and openpyxl behind it), rules (CP-SAT,
#: HiGHS), scipy's assignment algorithms (single-slot shapes), plots (matplotlib), the re-dispatch
#: kernel (numba). scipy's sparse graphs are not among them: the first explanation, and the split
#: of a large model, need them.
HEAVY = (
    "pandas",
    "pyarrow",
    "openpyxl",
    "scipy.optimize",
    "ortools.sat.python.cp_model",
    "matplotlib",
    "numba",
    "networkx",
    "highspy",
    "matcher.dispatch",
)

#: Not loaded by ``import matcher``, though a plain solve or its explanation may load them: scipy
#: (its sparse graphs: the split of a large model, and ``matcher.explain`` when it is imported) and
#: CP-SAT's protos (the first plan with rules). OR-Tools' min-cost flow is loaded with the package,
#: so that the first solve takes what the later ones take.
NOT_AT_IMPORT = ("scipy", "ortools.sat", "google.protobuf")

#: Never imported by the core, whatever it does: executors come from the caller.
NEVER = ("dask", "distributed")


#: Run first: ``loaded(names)`` lists those of ``names`` that are imported.
PRELUDE = f"""
import json, sys, threading
HEAVY, NOT_AT_IMPORT, NEVER = {HEAVY!r}, {NOT_AT_IMPORT!r}, {NEVER!r}
def loaded(names):
    return [name for name in names if name in sys.modules]
"""


def run(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints a JSON object as its last line."""
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_import_matcher_loads_no_heavy_module_and_starts_no_thread() -> None:
    out = run(
        """
        import matcher
        alone = loaded(HEAVY + NOT_AT_IMPORT + NEVER)
        lent = [hasattr(matcher.Solution, name) for name in ("explain", "explanations", "why_not")]
        import matcher.models, matcher.solvers, matcher.decompose, matcher.io
        import matcher.explain, matcher.analysis, matcher.pairs, matcher.plan, matcher.rules, matcher.cli
        print(json.dumps({
            "alone": alone,
            "lent": lent,
            "loaded": loaded(HEAVY + NOT_AT_IMPORT + NEVER),
            "threads": [t.name for t in threading.enumerate()],
        }))
        """
    )
    assert out["alone"] == []
    assert out["lent"] == [True, True, True]  # the plan's old methods, with their warnings
    assert out["loaded"] == ["scipy"]  # matcher.explain's sparse graphs, with the subpackage
    assert out["threads"] == ["MainThread"]


def test_every_public_name_resolves() -> None:
    out = run(
        """
        import matcher, matcher.models, matcher.solvers, matcher.synth
        missing = []
        for module in (matcher, matcher.models, matcher.solvers, matcher.synth):
            missing += [
                f"{module.__name__}.{name}"
                for name in module.__all__
                if getattr(module, name, None) is None or name not in dir(module)
            ]
        import matcher.dispatch
        missing += [
            f"matcher.dispatch.{name}"
            for name in matcher.dispatch.__all__
            if getattr(matcher.dispatch, name, None) is None
        ]
        print(json.dumps({"missing": missing}))
        """
    )
    assert out["missing"] == []


def test_star_import_gives_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from matcher import *", namespace)
    assert set(matcher.__all__) <= set(namespace)
    assert namespace["dispatch"] is sys.modules["matcher.dispatch"]


def test_lazy_names_are_the_modules_own() -> None:
    from matcher import dispatch

    assert matcher.dispatch is dispatch
    from matcher.analysis import comparison, sweeps, variants
    from matcher.explain import explainer

    assert matcher.variants is variants and matcher.Variant is variants.Variant
    assert (matcher.compare, matcher.Comparison) == (comparison.compare, comparison.Comparison)
    assert (matcher.sweep, matcher.frontier) == (sweeps.sweep, sweeps.frontier)
    assert matcher.Explainer is matcher.explain.Explainer is explainer.Explainer
    assert matcher.explain.FULL_TABLE_BELOW == explainer.FULL_TABLE_BELOW
    assert matcher.io is sys.modules["matcher.io"] and matcher.synth is sys.modules["matcher.synth"]
    assert matcher.analysis is sys.modules["matcher.analysis"]
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        getattr(matcher, "nonexistent")  # noqa: B009
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        getattr(matcher.explain, "nonexistent")  # noqa: B009


def test_the_plans_old_methods_answer_before_their_package_is_imported() -> None:
    # import matcher leaves matcher.explain until first read, and the plan's deprecated methods
    # with it: the first read imports it, and the warning still names the caller's line.
    out = run(
        """
        import warnings
        import matcher
        problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12)
        solution = matcher.solve(problem)
        before = "matcher.explain" in sys.modules
        need_id = solution.assignments[0].need_id
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = solution.explain(need_id).text
        print(json.dumps({
            "before": [before],
            "files": [w.filename for w in caught],
            "same": [text == matcher.explain.explain(problem, solution, need_id).text],
        }))
        """
    )
    assert out == {"before": [False], "files": ["<string>"], "same": [True]}


def test_the_generator_does_not_reach_the_simulation() -> None:
    """synth builds problems only: the program-year simulation is dispatch's own, the review's
    generators the review's."""
    assert not hasattr(matcher.synth, "simulate_year")
    assert not hasattr(matcher.synth, "review_document")
    out = run(
        """
        import matcher
        matcher.synth.shanxi(seed=0, n_needs=50, n_orgs=10)
        modules = ["matcher.dispatch", "matcher.dispatch.simulate", "matcher.review"]
        print(json.dumps({"loaded": loaded(modules)}))
        """
    )
    assert out["loaded"] == []


def test_a_plain_solve_and_its_explanations_need_no_heavy_module() -> None:
    # The first call pays for nothing that ``import matcher`` left out.
    out = run(
        """
        import matcher
        problem = matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=40)
        solution = matcher.solve(problem)
        assert solution.status == "optimal" and matcher.verify(problem, solution) == []
        served = solution.assignments[0].need_id
        unmet = [u.need_id for u in solution.unmet][:1]
        for need_id in [served, *unmet]:
            matcher.explain.explain(problem, solution, need_id)
        print(json.dumps({"loaded": loaded(HEAVY + NEVER)}))
        """
    )
    assert out["loaded"] == []


def test_the_portal_guides_warm_up_loads_what_a_first_request_needs() -> None:
    # docs/portals.md: a worker solves and explains a small problem when it starts; its first
    # request then imports nothing a solve and its explanations need.
    guide = (Path(__file__).parents[1] / "docs" / "portals.md").read_text(encoding="utf-8")
    warm = next(b for b in re.findall(r"```python\n(.*?)```", guide, re.S) if "warm" in b)
    request = """
        before = set(sys.modules)
        problem = matcher.synth.shanxi(seed=1, n_needs=200, n_orgs=40)
        solution = matcher.solve(problem)
        matcher.explanations(problem, solution)
        unmet = [u.need_id for u in solution.unmet][:1]
        for need_id in [solution.assignments[0].need_id, *unmet]:
            matcher.explain.explain(problem, solution, need_id)
        print(json.dumps({"new": sorted(set(sys.modules) - before)}))
        """
    out = run("import matcher\n" + warm + textwrap.dedent(request))
    assert out["new"] == []


def test_heavy_modules_load_where_first_needed_and_never_dask() -> None:
    out = run(
        """
        import matcher
        problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=20)
        solution = matcher.solve(problem)
        steps = {}
        solution.to_frame()
        steps["table"] = loaded(HEAVY)
        ruled = problem.with_policy(**matcher.synth.PLAN_POLICY)
        matcher.solve(ruled, time_limit=5)
        steps["rules"] = loaded(HEAVY)
        from matcher.dispatch import Dispatch
        steps["dispatch"] = loaded(HEAVY)
        matcher.sweep(problem, matcher.analysis.variants.policy_grid({"priority": [0, 3]}))
        steps["never"] = loaded(NEVER)
        print(json.dumps(steps))
        """
    )
    assert set(out["table"]) == {"pandas", "pyarrow"}
    assert {"ortools.sat.python.cp_model", "highspy"} <= set(out["rules"])
    assert "numba" not in out["rules"]
    assert {"numba", "matcher.dispatch"} <= set(out["dispatch"])
    assert out["never"] == []


def test_importing_dispatch_loads_the_kernel_the_first_redispatch_runs() -> None:
    # The kernel is loaded for exactly the argument types a re-dispatch passes: a first
    # re-dispatch compiles and loads nothing.
    out = run(
        """
        import matcher
        from matcher.dispatch import Dispatch, augment
        loaded = [str(s) for s in augment._repair.signatures]
        threads = [t.name for t in threading.enumerate()]
        dispatch = Dispatch(matcher.synth.shanxi(seed=0, n_needs=300, n_orgs=60), disruption_cost=1.0)
        dispatch.propose()
        for offer in dispatch.state.pending[::10]:
            dispatch.decline(offer.need_id, offer.org_id, "test")
        proposal = dispatch.propose()
        print(json.dumps({
            "loaded": loaded,
            "after": [str(s) for s in augment._repair.signatures],
            "method": [proposal.method],
            "threads": threads,
        }))
        """
    )
    assert len(out["loaded"]) == 1
    assert out["after"] == out["loaded"]
    assert out["method"] == ["warm"]
    assert out["threads"] == ["MainThread"]


def test_threads_that_first_need_pandas_at_once_all_get_it() -> None:
    out = run(
        """
        from concurrent.futures import ThreadPoolExecutor
        import matcher
        problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=20)
        solution = matcher.solve(problem)
        assert "pandas" not in sys.modules
        with ThreadPoolExecutor(8) as pool:
            frames = list(pool.map(lambda _: solution.to_frame().to_json(), range(8)))
        print(json.dumps({"same": [len(set(frames)) == 1], "loaded": loaded(HEAVY)}))
        """
    )
    assert out["same"] == [True]
    assert "pandas" in out["loaded"]
