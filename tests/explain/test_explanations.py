"""Every need explained at once: the same texts as need by need, from the same facts, from threads.

The need-by-need path is made independent of the whole-plan facts by taking the path of large
problems (:data:`matcher.explain.FULL_TABLE_BELOW` set to 0): each need's own verdict codes over
every organization, bottlenecks from the needs reached only and costs to serve from a shortest
path over them; costs are checked against a re-solve with the need pinned.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_explain import brute_force_cost

import matcher
from matcher import OptionError
from matcher.cli.commands import main
from matcher.explain import Explainer, explain, explainer_for, explanations
from matcher.pairs.table import build_candidates
from strategies import SMALL, documents

explain_module = importlib.import_module("matcher.explain")
explainer_module = importlib.import_module("matcher.explain.explainer")
whole_module = importlib.import_module("matcher.explain.whole")


@contextmanager
def need_by_need() -> Iterator[None]:
    """Explain as for a problem too large for the whole candidate table."""
    saved = explainer_module.FULL_TABLE_BELOW
    explainer_module.FULL_TABLE_BELOW = 0
    try:
        yield
    finally:
        explainer_module.FULL_TABLE_BELOW = saved


def check_table(problem: matcher.Problem, solution: matcher.Solution) -> pd.DataFrame:
    """The table equals the explanations need by need, text and numbers."""
    table = Explainer(problem, solution).frame()
    assert table.need_id.tolist() == [n.id for n in problem.needs]
    with need_by_need():
        single = Explainer(problem, solution)
        for row in table.itertuples():
            zh = single.explain(row.need_id, "zh")
            en = single.explain(row.need_id, "en")
            assert row.text_zh == zh.text, row.need_id
            assert row.text_en == en.text, row.need_id
            assert row.status == ("assigned" if en.org_id else "unmet")
            assert (row.org_id if en.org_id else None) == en.org_id
            assert row.candidates == en.candidates
            if en.org_id is not None:
                # Scores computed in other batches of pairs may differ in the last bit.
                assert row.score == pytest.approx(en.score, abs=1e-9) and row.rank == en.rank
                assert (row.runner_up if en.runner_up else None) == en.runner_up
            else:
                assert row.reason == en.reason
                cost = None if en.bottleneck is None else en.bottleneck.cost_to_serve
                if cost is None:
                    assert math.isnan(row.cost_to_serve)
                else:
                    assert row.cost_to_serve == pytest.approx(cost, abs=1e-9)
    return table


CASES = {
    "plain": lambda: matcher.synth.shanxi(seed=1, n_needs=200, n_orgs=40),
    "rules": lambda: matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=60).with_policy(
        rules={
            "money": {"budgets": True},
            "categories": [{"category": "industry", "min_served": 3}],
        }
    ),
    "expected": lambda: matcher.synth.shanxi(seed=2, n_needs=150, n_orgs=30).with_policy(
        expected_value=True
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_table_is_the_explanations_need_by_need(case: str) -> None:
    problem = CASES[case]()
    solution = matcher.solve(problem)
    table = check_table(problem, solution)
    assert set(table.status) == {"assigned", "unmet"}


def test_costs_to_serve_are_re_solves() -> None:
    problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    solution = matcher.solve(problem)
    table = explanations(problem, solution, "en")
    costs = table.dropna(subset=["cost_to_serve"])
    assert len(costs) > 3
    for row in costs.iloc[::4].itertuples():
        assert row.cost_to_serve == pytest.approx(
            brute_force_cost(problem, solution, row.need_id), abs=1e-6
        )


@st.composite
def rich_problems(draw: Any) -> matcher.Problem:
    """Random problems with the rules that remove pairs one by one: declined offers, regions and
    categories organizations decline, the eligibility switches, accepted offers."""
    doc = draw(documents(SMALL, pair_scores=None, min_needs=3, min_orgs=1))
    regions = [r["id"] for r in doc["regions"]]
    categories = [c.value for c in matcher.Category]
    for org in doc["organizations"]:
        if draw(st.integers(0, 3)) == 0:
            org["declines_regions"] = draw(st.lists(st.sampled_from(regions), max_size=2))
        if draw(st.integers(0, 3)) == 0:
            org["declines_categories"] = draw(st.lists(st.sampled_from(categories), max_size=2))
        org["inspection_passed"] = draw(st.booleans()) or draw(st.booleans())
        org["grade"] = draw(st.integers(0, 5))
    pairs = [(n["id"], o["id"]) for n in doc["needs"] for o in doc["organizations"]]
    if pairs:
        declined = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6))
        doc["declined"] = [{"need_id": n, "org_id": o} for n, o in declined]
    policy = doc.setdefault("policy", {})
    policy["eligibility"] = {
        "require_inspection": draw(st.booleans()),
        "min_grade": draw(st.integers(0, 3)),
        "respect_scope": draw(st.booleans()) or draw(st.booleans()),
        "max_distance_km": draw(st.sampled_from([None, None, 50.0, 300.0])),
        "primary_types_only": draw(st.booleans()),
    }
    return matcher.Problem.model_validate(doc)


@settings(max_examples=40, deadline=None)
@given(rich_problems())
def test_removed_organizations_counted_by_category_are_those_tested_one_by_one(
    problem: matcher.Problem,
) -> None:
    table = build_candidates(problem)
    for limit in (0, 2, 10):
        fast = whole_module._removed(problem, table, limit)
        tested = whole_module._removed_tested(problem, limit)
        for name in ("start", "org", "code", "counts"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(tested, name), name)


@settings(max_examples=25, deadline=None)
@given(rich_problems())
def test_table_matches_on_random_problems(problem: matcher.Problem) -> None:
    check_table(problem, matcher.solve(problem))


def test_threads_give_the_serial_explanations() -> None:
    problem = matcher.synth.shanxi(seed=4, n_needs=300, n_orgs=50)
    solution = matcher.solve(problem)
    ids = [n.id for n in problem.needs]
    serial_table = Explainer(problem, solution).frame()
    serial = [Explainer(problem, solution).explain(i, "en").text for i in ids[::7]]
    shared = matcher.Solution.from_json(solution.to_json())  # one explainer for all threads

    def work(k: int) -> tuple[pd.DataFrame, list[str]]:
        own = ids[::7][k::4] + ids[::7]  # each thread starts on other needs
        texts = {i: explain(problem, shared, i, "en").text for i in own}
        return explanations(problem, shared), [texts[i] for i in ids[::7]]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(4)))
    for table, texts in results:
        pd.testing.assert_frame_equal(table, serial_table)
        assert texts == serial


def test_explanations_and_their_errors() -> None:
    problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    solution = matcher.solve(problem)
    assert explainer_for(problem, solution) is explainer_for(problem, solution)
    table = explanations(problem, solution, "zh")
    assert list(table.columns)[-1] == "text_zh" and "text_en" not in table
    first = solution.assignments[0].need_id
    row = table.set_index("need_id").loc[first]
    assert row.text_zh == explain(problem, solution, first).text
    read = matcher.Solution.from_json(solution.to_json())
    assert explanations(problem, read, "zh").equals(table)
    assert matcher.explanations is explanations
    with pytest.raises(OptionError, match="language"):
        explanations(problem, solution, ("zh", "fr"))  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="problem it was made for"):
        explanations(matcher.synth.shanxi(seed=5, n_needs=20, n_orgs=30), read)


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, matcher.Problem]:
    folder = tmp_path_factory.mktemp("explain")
    problem = matcher.synth.shanxi(seed=1, n_needs=50, n_orgs=15)
    (folder / "problem.json").write_text(problem.to_json(), encoding="utf-8")
    (folder / "plan.json").write_text(matcher.solve(problem).to_json(), encoding="utf-8")
    return folder / "problem.json", folder / "plan.json", problem


def test_cli_prints_one_need_or_every_need(
    files: tuple[Path, Path, matcher.Problem], capsys: pytest.CaptureFixture[str]
) -> None:
    problem_path, plan_path, problem = files
    solution = matcher.Solution.from_json(plan_path.read_text(encoding="utf-8"))
    need_id = problem.needs[3].id
    assert main(["explain", str(problem_path), str(plan_path), "--need", need_id]) == 0
    out = capsys.readouterr().out
    assert out == explain(problem, solution, need_id).text + "\n"
    assert main(["explain", str(problem_path), str(plan_path), "--language", "en"]) == 0
    out = capsys.readouterr().out
    expected = explanations(problem, solution, "en").text_en
    assert out == "\n\n".join(expected) + "\n"


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_cli_writes_the_table(
    files: tuple[Path, Path, matcher.Problem], tmp_path: Path, suffix: str
) -> None:
    problem_path, plan_path, problem = files
    solution = matcher.Solution.from_json(plan_path.read_text(encoding="utf-8"))
    out = tmp_path / f"explanations{suffix}"
    assert main(["explain", str(problem_path), str(plan_path), "-o", str(out)]) == 0
    expected = explanations(problem, solution)
    if suffix == ".csv":
        found = pd.read_csv(out, encoding="utf-8-sig")
    elif suffix == ".json":
        found = pd.DataFrame(json.loads(out.read_text(encoding="utf-8")))
    else:
        found = pd.read_excel(out)
    assert found.need_id.tolist() == expected.need_id.tolist()
    assert found.text_zh.tolist() == expected.text_zh.tolist()
    assert found.text_en.tolist() == expected.text_en.tolist()


def test_cli_bad_input_exits_2(
    files: tuple[Path, Path, matcher.Problem],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    problem_path, plan_path, _ = files
    other = tmp_path / "other.json"
    other.write_text(matcher.synth.shanxi(seed=9, n_needs=10, n_orgs=40).to_json(), "utf-8")
    cases = [
        ([str(problem_path), str(plan_path), "--need", "nowhere"], "unknown need 'nowhere'"),
        ([str(problem_path), str(problem_path)], "unmet: required field is missing"),
        ([str(problem_path), str(tmp_path / "missing.json")], "missing.json"),
        ([str(other), str(plan_path)], "problem it was made for"),
        ([str(problem_path), str(plan_path), "-o", str(tmp_path / "x.txt")], ".xlsx, .csv"),
        (["-", "-"], "only one"),
    ]
    for args, message in cases:
        assert main(["explain", *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_guide_block_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The explanations guide's block runs as written, on the Shanxi-like province."""
    guide = Path(__file__).parents[2] / "docs" / "explanations.md"
    text = guide.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    (block,) = [b for b in blocks if "matcher.explanations(" in b]
    scope = {"matcher": matcher, "problem": matcher.synth.shanxi(seed=0)}
    exec(compile(block, str(guide), "exec"), scope)
    out = capsys.readouterr().out
    assert out.startswith("Need N0002 (Industry support, 阳城县) went to 晋城市中小企业商会 #77")
    assert "能服务它的最佳方案总分低 0.16。" in out
    assert len(scope["table"]) == 1000


@settings(max_examples=20, deadline=None)
@given(rich_problems())
def test_whole_plan_candidates_are_the_candidate_table(problem: matcher.Problem) -> None:
    """The explanations' own candidate pairs are the candidate table's, their scores summed
    column by column equal to rounding."""
    table = build_candidates(problem)
    whole = Explainer(problem, matcher.solve(problem))._whole().table
    np.testing.assert_array_equal(whole.need, table.need)
    np.testing.assert_array_equal(whole.org, table.org)
    np.testing.assert_allclose(whole.score, table.score, rtol=1e-12, atol=1e-12)


def test_a_kept_explainer_lets_its_plan_go() -> None:
    import gc
    import weakref

    problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=10)
    solution = matcher.solve(problem)
    explain(problem, solution, problem.needs[0].id)
    gone = weakref.ref(solution)
    count = len(explain_module._EXPLAINERS)
    del solution
    gc.collect()
    assert gone() is None
    assert len(explain_module._EXPLAINERS) == count - 1


def test_a_fresh_plan_is_explained_from_its_arrays() -> None:
    """Explaining a plan fresh from a solve leaves its records unbuilt, and says what the same
    plan read back from JSON (explained from its records) says."""
    problem = matcher.synth.shanxi(seed=3, n_needs=120, n_orgs=25)
    solution = matcher.solve(problem)
    texts = {n.id: explain(problem, solution, n.id, "en").text for n in problem.needs}
    assert solution.rows_pending
    table = explanations(problem, solution, "en")
    assert solution.rows_pending
    read = matcher.Solution.from_json(solution.to_json())
    assert {i: explain(problem, read, i, "en").text for i in texts} == texts
    assert table.text_en.tolist() == list(texts.values())
    unmet = {u.need_id: u.reason for u in solution.unmet}
    assert {i: explain(problem, solution, i).reason for i in unmet} == unmet


def test_a_prepared_plan_answers_every_need_from_what_it_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After ``prepare`` no explanation walks the organizations' graph or runs a shortest-path
    pass again, and every text is the one an unprepared explainer gives."""
    problem = matcher.synth.shanxi(seed=2, n_needs=300, n_orgs=40)
    solution = matcher.solve(problem)
    plain = Explainer(problem, solution)
    expected = {n.id: plain.explain(n.id).text for n in problem.needs}
    assert any(plain.explain(u.need_id).bottleneck for u in solution.unmet)
    prepared = Explainer(problem, solution)
    assert prepared.prepare() is prepared
    prepared.prepare()  # a second call finds nothing new

    def refuse(*args: Any) -> None:
        raise AssertionError("found again after prepare")

    monkeypatch.setattr(whole_module._Whole, "_distances", refuse)
    monkeypatch.setattr(whole_module._Whole, "_closure", refuse)
    monkeypatch.setattr(whole_module, "_shown_table", refuse)
    assert {i: prepared.explain(i).text for i in expected} == expected
