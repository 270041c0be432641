"""Comparing two plans: deltas, changed needs, load, text, JSON, HTML and ``matcher compare``."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import matcher
from matcher import variants
from matcher.analysis.comparison import CHANGES, Comparison, PlanMismatchError, compare, plan_score
from matcher.errors import MatcherError, OptionError
from matcher.models import catalog


@pytest.fixture(scope="module")
def base() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)


@pytest.fixture(scope="module")
def variant(base: matcher.Problem) -> matcher.Problem:
    """Ten organizations drop out, key areas weigh more, and five needs are withdrawn."""
    fewer = variants.without_organizations(base, [o.id for o in base.organizations[:10]])
    fewer = variants.without_needs(fewer, [n.id for n in base.needs[:5]])
    return variants.with_weights(fewer, priority=9)


@pytest.fixture(scope="module")
def comparison(base: matcher.Problem, variant: matcher.Problem) -> Comparison:
    return compare(
        matcher.solve(base),
        matcher.solve(variant),
        names=("现行", "方案二"),
        problem=(base, variant),
    )


def test_same_plan_changes_nothing(base: matcher.Problem) -> None:
    plan = matcher.solve(base)
    same = compare(plan, plan)
    assert same.counts() == {
        "gained": 0,
        "lost": 0,
        "moved": 0,
        "kept": plan.kpis.served,
        "unserved": len(plan.unmet),
    }
    assert same.load().empty
    assert (same.totals()["delta"] == 0).all()
    assert (same.kpis("city")["delta_served"] == 0).all()


def test_every_need_of_either_plan_has_one_row(comparison: Comparison) -> None:
    needs = comparison.needs()
    assert needs["need_id"].is_unique
    assert len(needs) == comparison.plan_a.kpis.needs  # B's needs are a subset of A's
    assert set(needs["change"]) <= set(CHANGES)
    # Rows are ordered by change, then need id.
    rank = needs["change"].map({c: i for i, c in enumerate(CHANGES)})
    assert list(zip(rank, needs["need_id"], strict=True)) == sorted(
        zip(rank, needs["need_id"], strict=True)
    )
    withdrawn = needs[needs["status_b"] == "absent"]
    assert len(withdrawn) == 5
    assert set(withdrawn["change"]) <= {"lost", "unserved"}


def test_gained_lost_and_moved_agree_with_the_plans(comparison: Comparison) -> None:
    a = {x.need_id: x.org_id for x in comparison.plan_a.assignments}
    b = {x.need_id: x.org_id for x in comparison.plan_b.assignments}
    assert set(comparison.gained()["need_id"]) == set(b) - set(a)
    assert set(comparison.lost()["need_id"]) == set(a) - set(b)
    moved = comparison.moved()
    assert set(moved["need_id"]) == {n for n in set(a) & set(b) if a[n] != b[n]}
    assert (moved["org_a"] != moved["org_b"]).all()
    counts = comparison.counts()
    assert counts["gained"] + counts["kept"] + counts["moved"] == comparison.plan_b.kpis.served
    assert counts["lost"] + counts["kept"] + counts["moved"] == comparison.plan_a.kpis.served
    # Titles come from the problems.
    assert comparison.gained()["title"].str.len().gt(0).all()


def test_kpi_deltas_are_b_minus_a(comparison: Comparison) -> None:
    for by in ("category", "tier", "city"):
        frame = comparison.kpis(by)  # type: ignore[arg-type]
        assert list(frame.columns) == [
            "name", "needs_a", "served_a", "share_a", "needs_b", "served_b", "share_b",
            "delta_served", "delta_share",
        ]  # fmt: skip
        assert (frame["delta_served"] == frame["served_b"] - frame["served_a"]).all()
        assert frame["served_a"].sum() == comparison.plan_a.kpis.served
        assert frame["served_b"].sum() == comparison.plan_b.kpis.served
    tiers = comparison.kpis("tier")
    assert list(tiers.index) == ["key", "former_poverty", "normal"]
    assert tiers.loc["key", "name"] == "重点帮扶地区"
    assert comparison.kpis("city")["name"].str.endswith("市").all()
    with pytest.raises(OptionError):
        comparison.kpis("county")  # type: ignore[arg-type]


def test_totals(comparison: Comparison) -> None:
    totals = comparison.totals()
    assert list(totals.index) == [
        "base_score", "needs", "served", "share", "organizations", "engaged", "capacity",
        "utilization",
    ]  # fmt: skip
    assert totals.loc["organizations", "a"] == 50
    assert totals.loc["organizations", "b"] == 40
    assert totals.loc["needs", "delta"] == -5


def test_load_lists_changed_organizations(comparison: Comparison) -> None:
    load = comparison.load()
    assert (load["delta"] == load["load_b"] - load["load_a"]).all()
    assert (load["delta"] != 0).all()
    assert list(load["delta"].abs()) == sorted(load["delta"].abs(), reverse=True)
    removed = {o for o in comparison.plan_a.kpis.load if o not in comparison.plan_b.kpis.load}
    assert removed <= set(load["org_id"])
    everyone = comparison.load(changed_only=False)
    assert len(everyone) >= len(load)
    assert load["name"].str.len().gt(0).all()


def test_summary_in_both_languages(comparison: Comparison) -> None:
    zh = comparison.summary("zh", top=2)
    assert zh.startswith("方案对比 · 现行 → 方案二")
    assert "按帮扶类别:" in zh and "重点帮扶地区" in zh and "个百分点" in zh
    assert "承接量变化的组织" in zh
    en = comparison.summary("en", top=0)
    assert en.startswith("Plan comparison · 现行 → 方案二")
    assert "Key assistance area" in en and " pp" in en
    assert "(first" not in en  # top=0 lists no needs
    assert "Needs: gained" in en


def test_to_json_is_plain_data(comparison: Comparison) -> None:
    data = json.loads(comparison.to_json(indent=1))
    assert data["names"] == ["现行", "方案二"]
    assert {row["metric"] for row in data["totals"]} >= {"served", "share"}
    assert isinstance(data["totals"][1]["a"], int)  # counts stay integers
    assert set(data["kpis"]) == {"category", "tier", "city"}
    assert data["counts"] == comparison.counts()
    assert {row["change"] for row in data["needs"]} <= {"gained", "lost", "moved"}
    assert "方案二" in comparison.to_json()  # Chinese kept as characters


def test_html_and_repr(comparison: Comparison) -> None:
    html = comparison._repr_html_()
    assert "<table>" in html and "现行" in html and "重点帮扶地区" in html
    odd = compare(comparison.plan_a, comparison.plan_b, names=("<b>", "&"))
    assert "&lt;b&gt;" in odd._repr_html_() and "<b>" not in odd._repr_html_()
    assert repr(comparison).startswith("Comparison('现行' → '方案二'")


def test_compare_checks_its_arguments(comparison: Comparison) -> None:
    with pytest.raises(OptionError):
        compare(comparison.plan_a, "plan.json")  # type: ignore[arg-type]


def test_plan_score_judges_plans_by_one_yardstick(base: matcher.Problem) -> None:
    plan = matcher.solve(base)
    assert plan_score(base, plan) == pytest.approx(plan.objective)
    tilted = matcher.solve(variants.with_weights(base, priority=30))
    assert plan_score(base, tilted) <= plan.objective + 1e-9
    # Pairs that are not candidates of the problem add nothing.
    empty = variants.without_organizations(base, [o.id for o in base.organizations])
    assert plan_score(empty, plan) == 0.0


# --- one yardstick, and the problem the plans belong to -----------------------------------------------


def candidate_total(problem: matcher.Problem, plan: matcher.Solution) -> float:
    """The plan's assignments scored by the problem's own candidate table, pair by pair."""
    table = matcher.candidates(problem).set_index(["need_id", "org_id"])["score"]
    return float(sum(table[a.need_id, a.org_id] for a in plan.assignments))


@pytest.fixture(scope="module")
def tilted(
    base: matcher.Problem, variant: matcher.Problem
) -> tuple[matcher.Solution, matcher.Solution]:
    """The base plan, and the variant's: other weights, fewer needs served, a higher objective."""
    plan_a, plan_b = matcher.solve(base), matcher.solve(variant)
    assert plan_b.kpis.served < plan_a.kpis.served
    assert plan_b.objective > plan_a.objective  # its own objective would show a gain
    return plan_a, plan_b


def test_both_plans_are_scored_by_plan_as_weights(
    base: matcher.Problem,
    variant: matcher.Problem,
    tilted: tuple[matcher.Solution, matcher.Solution],
) -> None:
    plan_a, plan_b = tilted
    # Every pair of the variant's plan is a candidate of the base: score it there, pair by pair.
    expected = candidate_total(base, plan_a), candidate_total(base, plan_b)
    assert expected[0] == pytest.approx(plan_a.objective)  # optimal under the base weights
    assert expected[1] < expected[0]
    as_read = [matcher.Solution.from_json(plan.to_json()) for plan in tilted]
    for comparison in (
        compare(plan_a, plan_b),  # fresh plans know their problems
        compare(plan_a, plan_b, problem=(base, variant)),
        compare(*as_read, problem=base),  # plans read back: the problem given for both
    ):
        assert comparison.base_scores() == pytest.approx(expected)
        row = comparison.totals().loc["base_score"]
        assert row.tolist() == pytest.approx([*expected, expected[1] - expected[0]])
        assert "both plans scored by the problem and weights of A" in comparison.summary("en")
        assert "两个方案均按「A」的问题和权重计分" in comparison.summary("zh")
        data = json.loads(comparison.to_json())
        assert data["scored_by"]["plan"] == "A"
        assert data["scored_by"]["weights"] == base.policy.weights.model_dump()


def test_plans_on_given_pair_scores_are_scored_by_them(base: matcher.Problem) -> None:
    table = matcher.candidates(base)[["need_id", "org_id"]].reset_index(drop=True)
    given = table.assign(score=np.random.default_rng(2).uniform(-1.0, 9.0, len(table)))
    scored = base.replace(pair_scores=given.to_dict(orient="records"))
    fewer = variants.without_organizations(scored, [o.id for o in base.organizations[:10]])
    plan_a, plan_b = matcher.solve(scored), matcher.solve(fewer)
    score = {(r.need_id, r.org_id): r.score for r in given.itertuples()}
    expected = [sum(score[a.need_id, a.org_id] for a in p.assignments) for p in (plan_a, plan_b)]
    comparison = compare(plan_a, plan_b, problem=(scored, fewer))
    assert comparison.base_scores() == pytest.approx(expected)


def test_without_a_problem_plans_read_back_are_not_scored(
    tilted: tuple[matcher.Solution, matcher.Solution],
) -> None:
    comparison = compare(*(matcher.Solution.from_json(plan.to_json()) for plan in tilted))
    assert comparison.base_scores() is None
    assert comparison.totals().loc["base_score"].isna().all()
    summary = comparison.summary("en")
    assert "cannot be scored by one yardstick" in summary
    assert "nan" not in summary
    assert json.loads(comparison.to_json())["scored_by"] is None


def _wrong_needs(problem: matcher.Problem, plan: matcher.Solution) -> set[str]:
    rows = [*plan.assignments, *plan.unmet]
    ids = {n.id: n for n in problem.needs}
    return {
        r.need_id
        for r in rows
        if r.need_id not in ids
        or ids[r.need_id].category != r.category
        or ids[r.need_id].region != r.region
    }


def test_a_problem_the_plans_do_not_belong_to_is_an_error(
    base: matcher.Problem,
    variant: matcher.Problem,
    tilted: tuple[matcher.Solution, matcher.Solution],
) -> None:
    plan_a, plan_b = tilted
    other = matcher.synth.shanxi(seed=7, n_needs=200, n_orgs=50)  # the same ids, other needs
    wrong = _wrong_needs(other, plan_a)
    assert 0 < len(wrong) < 200
    with pytest.raises(PlanMismatchError) as caught:
        compare(plan_a, plan_b, names=("现行", "方案二"), problem=other)
    error = caught.value
    assert isinstance(error, matcher.OptionError)
    assert f"{len(wrong)} of its 200 needs are not in it" in error.message_en
    assert error.message_en.startswith("plan '现行' does not belong to the problem")
    assert error.message("zh").startswith("方案「现行」与所给问题不符")
    assert f"其 200 项需求中有 {len(wrong)} 项" in error.message_zh
    # Organizations: the base without two of those plan A uses.
    used = sorted({a.org_id for a in plan_a.assignments})
    fewer = variants.without_organizations(base, used[:2])
    with pytest.raises(PlanMismatchError, match=f"2 of its {len(used)} organizations") as caught:
        compare(plan_a, plan_b, problem=fewer)
    assert "needs" not in caught.value.message_en
    # One problem per plan, in the wrong order: the variant lacks five of the base plan's needs.
    compare(plan_a, plan_b, problem=(base, variant))
    with pytest.raises(PlanMismatchError, match="5 of its 200 needs"):
        compare(plan_a, plan_b, problem=(variant, base))
    with pytest.raises(matcher.OptionError, match="one per plan"):
        compare(plan_a, plan_b, problem=(base, base, base))


# --- the command line -------------------------------------------------------------------------------


def _run(argv: list[str]) -> int:
    """Parse and run ``matcher compare`` as cli.main does once it registers the subcommand."""
    from matcher.cli.commands import build_parser, main

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "compare" in commands.choices:  # cli.py wires the subcommand: go through main
        return main(argv)
    from matcher.cli.compare import add_compare_parser

    add_compare_parser(commands)
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except MatcherError as error:
        print(f"matcher: error: {error}", file=sys.stderr)
        return 2
    return code


@pytest.fixture(scope="module")
def plan_files(
    tmp_path_factory: pytest.TempPathFactory, base: matcher.Problem, variant: matcher.Problem
) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("compare")
    (folder / "a.json").write_text(matcher.solve(base).to_json(), encoding="utf-8")
    (folder / "b.json").write_text(matcher.solve(variant).to_json(), encoding="utf-8")
    (folder / "problem.json").write_text(base.to_json(), encoding="utf-8")
    return folder / "a.json", folder / "b.json", folder / "problem.json"


def test_cli_prints_the_report(
    plan_files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, problem = plan_files
    assert _run(["compare", str(a), str(b), "--problem", str(problem), "--top", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("方案对比 · a → b")
    assert "按市(变化最大):" in out
    assert err == ""


def test_cli_writes_json_to_stdout_and_the_report_to_stderr(
    plan_files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _ = plan_files
    code = _run(["compare", str(a), str(b), "-o", "-", "--language", "en", "--names", "X", "Y"])
    assert code == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["names"] == ["X", "Y"]
    assert err.startswith("Plan comparison · X → Y")


def test_cli_reads_one_plan_from_stdin(
    plan_files: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b, _ = plan_files
    stdin = io.TextIOWrapper(io.BytesIO(a.read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert _run(["compare", "-", str(b), "--language", "en"]) == 0
    assert capsys.readouterr().out.startswith("Plan comparison · <stdin> → b")


def test_cli_writes_a_plot(
    plan_files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    a, b, _ = plan_files
    picture = tmp_path / "comparison.png"
    assert _run(["compare", str(a), str(b), "--plot", str(picture), "--by", "tier"]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(picture) in capsys.readouterr().out


def test_cli_bad_plans_exit_2_with_the_path(
    plan_files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _, _ = plan_files
    broken = tmp_path / "broken.json"
    broken.write_text('{"status": "optimal", "objective": "lots"}', encoding="utf-8")
    assert _run(["compare", str(a), str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.json: objective" in err and "Traceback" not in err
    assert _run(["compare", str(a), str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert _run(["compare", "-", "-"]) == 2
    assert "only one of the plans" in capsys.readouterr().err


def test_cli_a_problem_the_plans_do_not_belong_to_exits_2(
    plan_files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _ = plan_files
    other = tmp_path / "other.json"
    other.write_text(matcher.synth.shanxi(seed=7, n_needs=200, n_orgs=50).to_json(), "utf-8")
    assert _run(["compare", str(a), str(b), "--problem", str(other)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert "--problem: 方案「a」与所给问题不符" in err
    assert _run(["compare", str(a), str(b), "--problem", str(other), "--language", "en"]) == 2
    err = capsys.readouterr().err
    assert "--problem: plan 'a' does not belong to the problem given for it" in err


def test_summary_names_the_reason_a_need_was_lost(
    held_back: tuple[matcher.Problem, matcher.Solution],
) -> None:
    problem, plan_b = held_back
    plan_a = matcher.solve(problem.with_policy(rules={"categories": []}))
    result = compare(plan_a, plan_b, names=("free", "quota"), problem=problem)
    lost = result.needs().query("change == 'lost'")
    assert "rules" in set(lost["status_b"])
    for language in ("zh", "en"):
        text = result.summary(language, top=len(lost))  # type: ignore[arg-type]
        assert f"→ {catalog.text('reason.rules', language)}" in text  # type: ignore[arg-type]
        assert "→ rules" not in text
