"""The ``matcher`` command line, run in-process through ``main`` (and once as ``python -m``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import matcher
from matcher.cli.commands import display_width, fit, main
from matcher.solvers import SOLVERS


@pytest.fixture(scope="module")
def problem_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from matcher import synth

    path = tmp_path_factory.mktemp("cli") / "problem.json"
    path.write_text(synth.generate(120, 30, seed=1).to_json(), encoding="utf-8")
    return path


def _table(out: str, header_start: str) -> list[str]:
    """The demo table's lines: the header, the rule and the rows, up to the timing line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    return lines[start:-1]


# --- demo ---------------------------------------------------------------------------------------


def test_demo_prints_the_plan_in_chinese_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--top", "5"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "派单方案 · 状态 optimal" in out
    assert "校验:0 处违规" in out
    assert "得分最高的 5 项派单:" in out
    assert out.splitlines()[-1].startswith("总用时 ")
    table = _table(out, "#  需求")
    assert len(table) == 2 + 5
    assert any(label in out for label in ("产业帮扶", "人才培养", "扶弱济困"))
    # Right-aligned scores end every row at the same terminal column, Chinese text included.
    assert len({display_width(line) for line in table}) == 1


def test_demo_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--language", "en", "--top", "3", "--seed", "2"]) == 0
    out, _ = capsys.readouterr()
    assert "Dispatch plan · status optimal" in out
    assert "verify: 0 violations" in out
    assert "Top 3 assignments by score:" in out
    assert out.splitlines()[-1].startswith("total time ")
    table = _table(out, "#  Need")
    assert "Organization" in table[0] and "Score" in table[0]
    assert "派单方案" not in out and "得分" not in out
    categories = {c.label("en") for c in matcher.Category}
    assert any(label in row for row in table[2:] for label in categories)


def test_demo_without_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--top", "0"]) == 0
    assert "得分最高" not in capsys.readouterr().out


def test_display_width_and_fit() -> None:
    assert display_width("太原市") == 6
    assert display_width("Taiyuan") == 7
    assert display_width("ｱ") == 1  # half-width katakana is narrow
    assert fit("清徐县", 8) == "清徐县  "
    assert fit("清徐县产业项目", 8) == "清徐县… "
    assert fit("12.5", 6, right=True) == "  12.5"
    assert display_width(fit("清徐县产业帮扶项目 #12", 11)) == 11


# --- solve --------------------------------------------------------------------------------------


def test_solve_round_trip(
    problem_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    assert main(["solve", str(problem_file), "-o", str(plan_file), "--language", "en"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("Dispatch plan · status optimal")
    assert "total time" in out and str(plan_file) in out
    plan = matcher.Solution.from_json(plan_file.read_text(encoding="utf-8"))
    problem = matcher.Problem.from_json(problem_file)
    assert matcher.verify(problem, plan) == []
    assert plan == matcher.solve(problem)


def test_solve_to_stdout_puts_the_summary_on_stderr(
    problem_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(problem_file), "-o", "-"]) == 0
    out, err = capsys.readouterr()
    assert matcher.Solution.from_json(out).status == "optimal"
    assert err.startswith("派单方案")


def test_solve_quiet_reads_stdin(
    problem_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(problem_file.read_bytes()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["solve", "-", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out)["solver"] == "flow"


@pytest.mark.parametrize("solver", ["auto", *SOLVERS])
def test_solve_with_each_solver(
    solver: str, problem_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    args = ["solve", str(problem_file), "-o", str(plan_file), "--solver", solver]
    assert main([*args, "--time-limit", "5", "--seed", "3", "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    plan = matcher.Solution.from_json(plan_file.read_bytes())
    assert plan.solver == ("flow" if solver == "auto" else solver)
    assert matcher.verify(matcher.Problem.from_json(problem_file), plan) == []


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--solver", "simplex"], "invalid choice: 'simplex'"),
        (["--time-limit", "0"], "--time-limit: must be a positive number"),
        (["--language", "fr"], "invalid choice: 'fr'"),
        (["--workers", "0"], "--workers: must be 1 or more"),
    ],
)
def test_solve_rejects_bad_options(
    option: list[str], message: str, problem_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(problem_file), *option]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err


@pytest.fixture(scope="module")
def six_provinces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six provinces, with enough candidate pairs for two tasks of at least MIN_TASK_PAIRS."""
    problem = matcher.synth.generate(6000, 1200, seed=5, n_provinces=6, national_share=0.0)
    path = tmp_path_factory.mktemp("parts") / "problem.json"
    path.write_text(problem.to_json(), encoding="utf-8")
    return path


def test_solve_on_two_worker_processes_gives_the_plan_of_one(
    six_provinces: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    path = six_provinces
    problem = matcher.Problem.from_json(path)
    sent: list[object] = []
    submit = ProcessPoolExecutor.submit

    def counted(self: ProcessPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        sent.append(fn)
        return submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counted)
    target = tmp_path / "plan.json"
    assert main(["solve", str(path), "-o", str(target), "--workers", "2", "-q"]) == 0
    assert len(sent) >= 2  # the parts went to the workers
    plan = matcher.Solution.from_json(target.read_bytes())
    assert matcher.verify(problem, plan) == []
    # Pair for pair the plan of the parts solved here; as good as the whole solve.
    here = matcher.solve(problem, decompose=True)
    assert [(a.need_id, a.org_id) for a in plan.assignments] == [
        (a.need_id, a.org_id) for a in here.assignments
    ]
    whole = matcher.solve(problem, decompose=False)
    assert plan.objective == pytest.approx(whole.objective, rel=1e-12)


def test_a_worker_that_dies_is_reported_in_a_sentence(
    six_provinces: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    from concurrent.futures import ProcessPoolExecutor

    from matcher.decompose import _solve_part

    path = six_provinces
    submit = ProcessPoolExecutor.submit

    def dying(self: ProcessPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        # The parts' tasks end their worker at once, as the kernel's OOM killer would.
        return submit(self, os._exit, 9) if fn is _solve_part else submit(self, fn, *args)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", dying)
    target = tmp_path / "plan.json"
    args = ["solve", str(path), "-o", str(target), "--workers", "2", "--language", "en"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "a worker process ended unexpectedly" in err and "Traceback" not in err
    assert not target.exists()


def test_solve_reports_an_unwritable_output(
    problem_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "plan.json"
    assert main(["solve", str(problem_file), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "Traceback" not in err


# --- validate -----------------------------------------------------------------------------------


def test_validate_a_valid_document(problem_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(problem_file)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert len(out.splitlines()) == 1
    assert "129 regions" in out and "30 organizations" in out and "120 needs" in out
    assert "candidate pairs" in out


def test_validate_lists_every_issue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {
        "regions": [{"id": "14", "name": "山西省", "level": "province"}],
        "organizations": [
            {
                "id": "o1",
                "org_type": "agriculture",
                "scope": "province",
                "home_region": "14",
                "capabilities": {"industry": 0.9},
            }
        ],
        "needs": [
            {"id": "n1", "region": "nowhere", "category": "industry"},
            {"id": "n1", "region": "14", "category": "industry"},
            {"id": "n3", "region": "14", "category": "cooking"},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert "3 problems" in err
    lines = err.splitlines()
    for issue in (
        "needs[0].region: unknown region 'nowhere'",
        "needs[1].id: duplicate id 'n1'",
        "needs[2].category: not one of",
    ):
        assert sum(issue in line for line in lines) == 1, issue


def test_messages_follow_the_language_setting(
    problem_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = json.loads(problem_file.read_text(encoding="utf-8"))
    document["needs"][0]["region"] = "nowhere"
    document["needs"][1]["color"] = "red"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["validate", str(path), "--lang", "zh"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"matcher: 错误: {path}: 输入中有 2 处问题"
    assert "  needs[0].region: 未知的地区 'nowhere'" in err  # the path as in English
    assert "  needs[1].color: 未知字段" in err
    monkeypatch.setenv("MATCHER_LANG", "zh")
    assert main(["validate", str(path)]) == 2
    assert "输入中有 2 处问题" in capsys.readouterr().err
    assert main(["validate", str(path), "--language", "en"]) == 2  # the option wins
    assert "2 problems in the input" in capsys.readouterr().err
    assert main(["validate", str(problem_file)]) == 0
    assert ":有效 · 129 个地区 · 30 个组织 · 120 项需求" in capsys.readouterr().out
    monkeypatch.setenv("MATCHER_LANG", "fr")
    assert main(["validate", str(problem_file)]) == 2
    assert "language must be 'zh' or 'en', not 'fr'" in capsys.readouterr().err
    monkeypatch.setenv("MATCHER_LANG", "en")
    assert main(["demo", "--top", "0"]) == 0
    assert capsys.readouterr().out.startswith("Synthetic Shanxi-like province")


def test_explain_says_an_unknown_need_in_the_chosen_language(
    problem_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    assert main(["solve", str(problem_file), "-o", str(plan), "--quiet"]) == 0
    for language, message in (
        ("zh", "错误: 未知的需求 'nope'"),
        ("en", "error: unknown need 'nope'"),
    ):
        assert (
            main(["explain", str(problem_file), str(plan), "--need", "nope", "--lang", language])
            == 2
        )
        assert message in capsys.readouterr().err


def test_broken_json_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"regions": [\n  1,,\n]}', encoding="utf-8")
    for command in ("validate", "solve"):
        assert main([command, str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert "not valid JSON" in err and "line 2 column 5" in err and str(path) in err
        assert "Traceback" not in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.json"
    for command in ("validate", "solve"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and "No such file" in err and "Traceback" not in err


# --- schema and synth ---------------------------------------------------------------------------


def test_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"regions", "organizations", "needs"} <= set(schema["properties"])
    path = tmp_path / "schema.json"
    assert main(["schema", "-o", str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == schema


def test_synth_writes_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        assert main(["synth", "--needs", "80", "--orgs", "20", "--seed", "4", "-o", str(path)]) == 0
    assert str(first) in capsys.readouterr().out
    problem = matcher.Problem.from_json(first)
    assert (len(problem.needs), len(problem.organizations)) == (80, 20)
    assert first.read_bytes() == second.read_bytes()


def test_synth_shanxi_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--seed", "1", "-o", "-"]) == 0
    problem = matcher.Problem.from_json(capsys.readouterr().out)
    assert (len(problem.needs), len(problem.organizations)) == (1000, 200)


@pytest.mark.parametrize(
    "args",
    [["synth"], ["synth", "--needs", "-5", "-o", "x.json"], ["synth", "--scale", "world"], []],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert "usage: matcher" in capsys.readouterr().err


# --- the entry point ----------------------------------------------------------------------------


def test_python_dash_m_matcher_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "matcher", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"matcher {version('matcher')}"
