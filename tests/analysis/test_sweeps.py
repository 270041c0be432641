"""Sweeps: one tidy row per variant, in order, on any executor, errors kept in their rows."""

from __future__ import annotations

import math
import pickle
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

import matcher
from matcher import variants
from matcher.analysis.comparison import plan_score
from matcher.analysis.sweeps import METRICS, frontier, pareto_efficient, plan_metrics, sweep
from matcher.analysis.variants import Variant
from matcher.errors import OptionError


@pytest.fixture(scope="module")
def base() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)


GRID = {"priority": [0, 3, 9], "proximity": [0, 2]}


def _comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["seconds"])


def test_one_row_per_variant_in_order(base: matcher.Problem) -> None:
    table = sweep(base, variants.policy_grid(GRID))
    assert list(table.columns[:3]) == ["variant", "weights.priority", "weights.proximity"]
    assert list(table.columns[3 : 3 + len(METRICS)]) == list(METRICS)
    assert list(table.columns[-2:]) == ["seconds", "error"]
    assert table["weights.priority"].tolist() == [0, 0, 3, 3, 9, 9]
    assert table["weights.proximity"].tolist() == [0, 2, 0, 2, 0, 2]
    assert (table["status"] == "optimal").all() and (table["error"] == "").all()
    assert (table["needs"] == 200).all()
    # The row of a variant is the plan of that variant.
    plan = matcher.solve(base.with_policy(weights={"priority": 9, "proximity": 2}))
    row = table.iloc[5]
    assert row["objective"] == pytest.approx(plan.objective)
    assert row["served"] == plan.kpis.served
    assert row["share_key"] == pytest.approx(plan.kpis.by_tier[matcher.Priority.KEY].share)


def test_base_score_uses_the_base_policy(base: matcher.Problem) -> None:
    table = sweep(base, [{"weights": {"priority": 3}}, {"weights": {"priority": 12}}])
    assert table.loc[0, "base_score"] == pytest.approx(table.loc[0, "objective"])  # the base
    tilted = base.with_policy(weights={"priority": 12})
    expected = plan_score(tilted.replace(policy=base.policy), matcher.solve(tilted))
    assert table.loc[1, "base_score"] == pytest.approx(expected)
    assert table.loc[1, "base_score"] <= table.loc[0, "base_score"] + 1e-9
    # A change beyond the weights takes the general path; it agrees too.
    wider = base.with_policy(distance_scale_km=300)
    row = sweep(base, [wider]).iloc[0]
    general = plan_score(wider.replace(policy=base.policy), matcher.solve(wider))
    assert row["base_score"] == pytest.approx(general)


def test_variants_of_every_kind_and_names(base: matcher.Problem) -> None:
    drop = [o.id for o in base.organizations[:5]]
    table = sweep(
        base,
        {
            "as is": Variant("unused name"),
            "five drop out": Variant("x", params={"dropped": 5}).then(
                variants.without_organizations, drop
            ),
            "a problem": variants.scale_capacity(base, 2),
            "a policy change": {"weights": {"priority": 6}},
        },
    )
    assert table["variant"].tolist() == ["as is", "five drop out", "a problem", "a policy change"]
    assert table["dropped"].tolist()[1] == 5 and math.isnan(table["dropped"].tolist()[0])
    assert table.loc[1, "organizations"] == 45
    assert table.loc[3, "weights.priority"] == 6
    with pytest.raises(OptionError, match="named"):
        sweep(base, [{"weights": {"priority": 1}}, {"weights": {"priority": 1}}])
    with pytest.raises(OptionError, match="variant 1 is a int"):
        sweep(base, [Variant("a"), 3])  # type: ignore[list-item]
    with pytest.raises(OptionError):
        sweep(base, base)  # type: ignore[arg-type]


def test_an_error_stays_in_its_row(base: matcher.Problem) -> None:
    table = sweep(
        base,
        [
            Variant("fine"),
            Variant("unknown org").then(variants.without_organizations, ["nope"]),
            Variant("bad weight").then(variants.with_weights, priority=-1),
            Variant("also fine").then(variants.with_weights, priority=5),
        ],
    )
    assert table["status"].tolist() == ["optimal", "error", "error", "optimal"]
    assert table.loc[1, "error"] == "matcher.errors.OptionError: unknown organization id: 'nope'"
    assert table.loc[2, "error"].startswith(
        "matcher.errors.ProblemError: 1 problem in the input; policy.weights.priority: "
    )
    assert math.isnan(table.loc[1, "objective"])
    assert table.loc[0, "error"] == table.loc[3, "error"] == ""


def _slow_metric(problem: matcher.Problem, solution: matcher.Solution) -> Mapping[str, Any]:
    """Variants with a low priority weight finish last, so completion order is reversed."""
    time.sleep(0.02 * (10 - problem.policy.weights.priority))
    return {"finished": time.perf_counter(), "thread": threading.get_ident()}


def test_row_order_does_not_depend_on_completion_order(base: matcher.Problem) -> None:
    grid = [{"weights": {"priority": p}} for p in range(10)]
    with ThreadPoolExecutor(4) as pool:
        table = sweep(base, grid, executor=pool, metrics=_slow_metric)
    assert table["weights.priority"].tolist() == list(range(10))
    assert not table["finished"].is_monotonic_increasing  # they did finish out of order
    serial = sweep(base, grid, metrics=_slow_metric)
    columns = [c for c in serial.columns if c not in ("seconds", "finished", "thread")]
    pd.testing.assert_frame_equal(table[columns], serial[columns])


def test_process_pool_gives_the_serial_table(base: matcher.Problem) -> None:
    items = [
        *variants.policy_grid({"priority": [0, 6]}),
        Variant("capacity x2").then(variants.scale_capacity, 2.0),
        variants.with_weights(base, proximity=0),
        Variant("fails").then(variants.without_needs, ["nope"]),
        Variant("lambda").then(lambda p: p),  # cannot be pickled: an error in its row
    ]
    with ProcessPoolExecutor(2) as pool:
        table = sweep(base, items, executor=pool, progress=False)
    serial = sweep(base, items[:-1])
    pd.testing.assert_frame_equal(_comparable(table.iloc[:-1]), _comparable(serial))
    assert table["status"].tolist()[-2:] == ["error", "error"]
    assert "pickle" in table["error"].iloc[-1].lower()


def test_the_base_problem_is_unpickled_once_per_process(base: matcher.Problem) -> None:
    from matcher.analysis.sweeps import _Shared

    shared = _Shared(base)
    first = pickle.loads(pickle.dumps(shared))
    second = pickle.loads(pickle.dumps(shared))
    assert first.problem == base
    assert second.problem is first.problem  # the worker's copy is reused
    other = pickle.loads(pickle.dumps(_Shared(base)))
    assert other.problem is not first.problem  # another sweep sends its own


class _FakeClient:
    """Looks like a dask.distributed.Client: hands out an executor."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(2)

    def get_executor(self) -> Executor:
        return self.pool


def test_a_dask_like_client_is_used_through_get_executor(base: matcher.Problem) -> None:
    client = _FakeClient()
    try:
        table = sweep(base, variants.policy_grid({"priority": [1, 2]}), executor=client)
    finally:
        client.pool.shutdown()
    assert table["status"].tolist() == ["optimal", "optimal"]
    with pytest.raises(OptionError, match="Executor or a Dask client"):
        sweep(base, [], executor=object())


def test_a_real_dask_cluster(base: matcher.Problem) -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2) as client:
        table = sweep(base, variants.policy_grid({"priority": [0, 4]}), executor=client)
    pd.testing.assert_frame_equal(
        _comparable(table), _comparable(sweep(base, variants.policy_grid({"priority": [0, 4]})))
    )


def test_progress_callback_and_quiet_default(
    base: matcher.Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[int, int]] = []
    sweep(
        base,
        variants.policy_grid({"priority": [0, 1, 2]}),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    sweep(base, variants.policy_grid({"priority": [0, 1]}))  # stderr is no terminal here
    assert capsys.readouterr() == ("", "")


def test_built_in_bar_when_tqdm_is_missing(
    base: matcher.Problem, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    sweep(base, variants.policy_grid({"priority": [0, 1, 2, 3]}), progress=True)
    err = capsys.readouterr().err
    assert "\rsweep 0/4 [" in err and "\rsweep 4/4 [########################] 100%" in err
    assert err.endswith("\n")


def test_a_notebook_kernel_gets_a_bar_by_default(
    base: matcher.Problem, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Shell:
        kernel = object()

    class IPython:
        @staticmethod
        def get_ipython() -> Shell:
            return Shell()

    monkeypatch.setitem(sys.modules, "IPython", IPython)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    sweep(base, variants.policy_grid({"priority": [0, 1]}))
    assert "\rsweep 2/2 [" in capsys.readouterr().err


def test_tqdm_bar_when_installed(base: matcher.Problem, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    sweep(base, variants.policy_grid({"priority": [0, 1]}), progress=True)
    assert "2/2" in capsys.readouterr().err


def test_keep_solutions_and_custom_metrics(base: matcher.Problem) -> None:
    def unmet_capacity(problem: matcher.Problem, solution: matcher.Solution) -> dict[str, int]:
        return {"unmet_capacity": sum(u.reason == "capacity" for u in solution.unmet)}

    table = sweep(
        base,
        variants.policy_grid({"priority": [0, 5]}),
        metrics=unmet_capacity,
        keep_solutions=True,
    )
    assert list(table.columns[-4:]) == ["unmet_capacity", "seconds", "error", "solution"]
    solution = table.loc[1, "solution"]
    assert isinstance(solution, matcher.Solution)
    assert table.loc[1, "unmet_capacity"] == sum(u.reason == "capacity" for u in solution.unmet)

    def clash(problem: matcher.Problem, solution: matcher.Solution) -> dict[str, int]:
        return {"served": 0}

    table = sweep(base, [Variant("a")], metrics=clash)
    assert "may not replace columns ['served']" in table.loc[0, "error"]


def test_plan_metrics_are_the_metric_columns(base: matcher.Problem) -> None:
    row = plan_metrics(base, matcher.solve(base))
    assert list(row) == list(METRICS)
    one_tier = variants.filter_needs(
        base,
        lambda n: (
            base.region(n.region).priority is not None
            and base.region(n.region).priority.value == "normal"
        ),  # type: ignore[union-attr]
    )
    row = plan_metrics(one_tier, matcher.solve(one_tier))
    assert math.isnan(row["share_key"]) and not math.isnan(row["share_normal"])


def test_empty_sweep(base: matcher.Problem) -> None:
    table = sweep(base, [])
    assert table.empty and list(table.columns) == ["variant", *METRICS, "seconds", "error"]


# --- the frontier ---------------------------------------------------------------------------------


def test_frontier_flags_efficient_plans(base: matcher.Problem) -> None:
    table = frontier(base, "priority", [0, 1.5, 3, 6, 12, 24])
    assert table["weights.priority"].tolist() == [0, 1.5, 3, 6, 12, 24]
    assert table["efficient"].dtype == bool
    # The base weights maximize the base score, so that plan is always efficient.
    assert table.loc[table["weights.priority"] == 3, "efficient"].item()
    assert table["base_score"].max() == pytest.approx(
        table.loc[table["weights.priority"] == 3, "base_score"].item()
    )
    # No efficient plan is dominated by another.
    efficient = table[table["efficient"]]
    for _, row in efficient.iterrows():
        better = (table["share_key"] >= row["share_key"]) & (
            table["base_score"] >= row["base_score"]
        )
        strictly = (table["share_key"] > row["share_key"]) | (
            table["base_score"] > row["base_score"]
        )
        assert not (better & strictly).any()


def test_frontier_defaults_and_checks(base: matcher.Problem) -> None:
    table = frontier(base, "proximity")
    assert len(table) == 10 and table["weights.proximity"].iloc[-1] == 8.0
    with pytest.raises(OptionError, match="unknown score component"):
        frontier(base, "charm", [1])
    with pytest.raises(OptionError, match="not a column"):
        frontier(base, "priority", [1], x="happiness")


def test_pareto_efficient() -> None:
    frame = pd.DataFrame({"x": [1, 2, 3, 2, 1, np.nan], "y": [5, 4, 1, 2, 5, 9]})
    assert pareto_efficient(frame, "x", "y").tolist() == [True, True, True, False, True, False]
    assert pareto_efficient(frame, "x", "y", maximize=(False, True)).tolist() == [
        True, False, False, False, True, False,
    ]  # fmt: skip
