"""Untrusted input: every bad document, dispatch log, option and command ends in matcher's own error
with a path, or in a correct result.

Two sources of cases: the hand-made corpus under ``tests/data/bad/documents`` and
``tests/data/bad/logs`` (each folder's ``EXPECTED.json`` names, per file, the error and the path of
an issue it must report, or ``null`` for a document that must solve to a correct plan), and
hypothesis strategies that corrupt valid documents and logs (delete, retag or mistype a field, nest
deeply, put huge numbers, NaN or infinity, unknown ids). A result is checked with
:func:`matcher.verify` and, for the corpus, against a brute force (:mod:`milp_oracle`). The command
line is run in-process for every corpus case and as a process for a few: exit status 2, the
message on stderr, no traceback.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import matcher
from matcher.cli.commands import main
from matcher.dispatch import Dispatch, TransitionError, fold
from matcher.models import limits
from matcher.models.limits import MAX_COUNT, MAX_MONEY, MAX_NESTING, MAX_SCORE, MAX_WEIGHT
from matcher.solving import needs_rules
from milp_oracle import FAMILIES, brute_force, close_enough, family_document
from strategies import TINY, documents, simple_document

BAD = Path(__file__).parents[1] / "data" / "bad"
#: How long a line of a message may grow: an echoed value is cut to 80 characters.
LONGEST_LINE = 300


def corpus(folder: str) -> list[tuple[str, dict[str, str] | None]]:
    expected = json.loads((BAD / folder / "EXPECTED.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in (BAD / folder).glob("*.json") if p.name != "EXPECTED.json")
    assert files == sorted(expected), "every case has an expectation, every expectation a case"
    return sorted(expected.items())


DOCUMENTS = corpus("documents")
LOGS = corpus("logs")


def check_plans(problem: matcher.Problem) -> None:
    """Every back end's plan verifies; the exact ones reach the brute-force optimum."""
    best = brute_force(problem)
    plain = () if needs_rules(problem) else ("flow", "greedy")
    for solver in ("auto", "cpsat", *plain):
        solution = matcher.solve(problem, solver, time_limit=20)
        assert math.isfinite(solution.objective)
        if not best.feasible:
            assert solution.status == "infeasible"
            continue
        assert matcher.verify(problem, solution) == []
        if solver != "greedy":
            assert solution.status == "optimal"
            assert close_enough(solution.objective, best.objective, solution)


def assert_readable(error: matcher.MatcherError) -> None:
    """A message of short lines: no input echoed whole."""
    assert max(len(line) for line in str(error).splitlines()) <= LONGEST_LINE


# --- the corpus of documents ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), DOCUMENTS)
def test_a_document_of_the_corpus_gets_its_issue_or_a_correct_plan(
    name: str, expected: dict[str, str] | None
) -> None:
    text = (BAD / "documents" / name).read_bytes()
    try:
        problem = matcher.Problem.from_json(text)
        check_plans(problem)  # solve refuses pinned pairs it cannot keep
    except matcher.ProblemError as error:
        assert expected is not None, f"{name} should be valid: {error}"
        assert expected["path"] in [issue.path for issue in error.issues], str(error)
        assert_readable(error)
        return
    assert expected is None, f"{name} was accepted and solved"


@pytest.mark.parametrize(("name", "expected"), DOCUMENTS)
def test_the_command_line_reports_a_document_of_the_corpus(
    name: str,
    expected: dict[str, str] | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(BAD / "documents" / name)
    plan = str(tmp_path / "plan.json")
    for args in (["validate", path], ["solve", path, "-o", plan, "--quiet"]):
        code = main(args)
        err = capsys.readouterr().err
        if expected is None:
            assert code == 0, err
            continue
        assert code == 2, (args, err)
        assert err.startswith(f"matcher: error: {path}: ")
        if expected["path"]:
            assert f"{expected['path']}: " in err
        assert "Traceback" not in err
        assert max(len(line) for line in err.splitlines()) <= LONGEST_LINE + len(path)


def test_the_command_line_process_exits_2_with_the_message_and_no_traceback(
    tmp_path: Path,
) -> None:
    """As a process, for a few cases at once (each start imports matcher: seconds)."""
    huge = simple_document()
    huge["needs"][0]["region"] = "1" * 10_000_000
    (tmp_path / "huge_id.json").write_text(json.dumps(huge))
    cases = {
        str(BAD / "documents" / "nested_1000_deep.json"): "nested 1001 levels deep",
        str(BAD / "documents" / "pinned_ineligible.json"): "pinned[0]: the pair is not eligible",
        str(BAD / "documents" / "weights_1e308.json"): "policy.weights.capability",
        str(tmp_path / "huge_id.json"): "needs[0].region: unknown region '111",
    }
    runs = {
        path: subprocess.Popen(
            [sys.executable, "-m", "matcher", "validate", path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in cases
    }
    for path, run in runs.items():
        _, err = run.communicate(timeout=120)
        assert run.returncode == 2, err
        assert cases[path] in err
        assert "Traceback" not in err
        assert len(err) < 1000  # ten megabytes of id are not echoed


# --- the corpus of dispatch logs --------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), LOGS)
def test_a_log_of_the_corpus_gets_its_issue_or_replays(
    name: str, expected: dict[str, str] | None
) -> None:
    text = (BAD / "logs" / name).read_text(encoding="utf-8")
    try:
        dispatch = Dispatch.from_json(text)
    except matcher.ProblemError as error:
        assert expected == {"error": "ProblemError", "path": expected and expected["path"]}
        assert expected["path"] in [issue.path for issue in error.issues], str(error)
        assert_readable(error)
        return
    except TransitionError as error:
        assert expected is not None and expected["error"] == "TransitionError", str(error)
        assert str(error).startswith(f"{expected['path']}: "), str(error)
        assert_readable(error)
        return
    assert expected is None, f"{name} was accepted"
    assert_replays(dispatch)


def assert_replays(dispatch: Dispatch) -> None:
    """A dispatch read back is its events' fold, and writes the same text again."""
    assert fold(dispatch.problem, dispatch.events) == dispatch.state
    text = dispatch.to_json()
    assert Dispatch.from_json(text).to_json() == text


# --- corrupting documents and logs ------------------------------------------------------------

#: Values that do not belong where they are put: wrong types, NaN, infinities, huge and boundary
#: numbers, unknown ids, long text.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            1e308,
            -1e308,
            1e15,
            MAX_SCORE,
            math.nextafter(MAX_SCORE, math.inf),
            MAX_WEIGHT,
            MAX_MONEY,
            MAX_MONEY * 2,
            MAX_COUNT,
            MAX_COUNT + 1,
            -0.0,
            "x" * 100_000,
            "nowhere",
            "",
            " ",
        ]
    ),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


#: Numbers near and past the bounds, for a number's place.
NUMBERS = st.one_of(
    st.sampled_from([0, 0.0, 1, 1e-9, MAX_WEIGHT, MAX_SCORE, MAX_MONEY, MAX_COUNT]),
    st.sampled_from([MAX_WEIGHT, MAX_SCORE, MAX_MONEY, float(MAX_COUNT)]).map(
        lambda bound: math.nextafter(bound, math.inf)
    ),
    st.floats(0, MAX_SCORE),
    st.integers(0, 10),
)


def nested(depth: int) -> Any:
    value: Any = 0
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def locations(tree: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree, root first."""
    found = [at]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += locations(value, (*at, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            found += locations(value, (*at, i))
    return found


@st.composite
def corrupted(draw: Any, tree: Any, *, numbers: bool = False) -> Any:
    """``tree`` (a JSON document) with one to three places corrupted; ``numbers``: only numbers,
    set near or past their bounds."""
    for _ in range(draw(st.integers(1, 3))):
        places = locations(tree)
        if numbers:
            places = [at for at in places if at and type(value_at(tree, at)) in (int, float)]
            if not places:
                break
        where = draw(st.sampled_from(places))
        if not where:
            tree = draw(JUNK)
            continue
        parent = tree
        for key in where[:-1]:
            parent = parent[key]
        key = where[-1]
        value = parent[key]
        actions = ["number"] if numbers else ["delete", "junk", "extra", "retag", "nest", "number"]
        action = draw(st.sampled_from(actions))
        if action == "number" and type(value) in (int, float):
            parent[key] = draw(NUMBERS)
        elif action == "delete":
            del parent[key]
        elif action == "extra" and isinstance(value, dict):
            value[draw(st.sampled_from(["colour", "id", "kind", "seq"]))] = draw(JUNK)
        elif action == "retag" and isinstance(value, str):
            parent[key] = draw(st.sampled_from(["zz_", "", "Ω"])) + value
        elif action == "nest":
            parent[key] = nested(draw(st.integers(MAX_NESTING - 3, MAX_NESTING + 3)))
        else:
            parent[key] = draw(JUNK)
    return tree


def value_at(tree: Any, at: tuple[Any, ...]) -> Any:
    for key in at:
        tree = tree[key]
    return tree


def as_text(tree: Any) -> str:
    return json.dumps(tree, ensure_ascii=False, allow_nan=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_corrupted_document_gets_issues_with_paths_or_a_plan_that_verifies(
    data: st.DataObject,
) -> None:
    document = data.draw(documents(TINY, pair_scores=None))
    bad = data.draw(corrupted(document))
    text = as_text(bad)
    try:
        problem = matcher.Problem.from_json(text)
    except matcher.ProblemError as error:
        event("issues")
        assert error.issues
        assert_readable(error)
        if limits.nesting(text.encode()) <= MAX_NESTING and isinstance(json.loads(text), dict):
            assert any(issue.path for issue in error.issues), str(error)
            # The same issues from the parsed document as from its text.
            with pytest.raises(matcher.ProblemError) as again:
                matcher.Problem.model_validate(json.loads(text))
            assert again.value.issues == error.issues
        return
    event("a plan")
    for solver in ("auto", "greedy"):
        solution = matcher.solve(problem, solver, time_limit=5)
        assert math.isfinite(solution.objective)
        assert matcher.verify(problem, solution) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FAMILIES), st.integers(0, 2**16), st.data())
def test_a_corrupted_document_with_the_programs_rules_gets_issues_or_a_plan_that_verifies(
    family: str, seed: int, data: st.DataObject
) -> None:
    """Rules, money, goals and partnerships: penalties, weights, costs and counts corrupted too."""
    document = family_document(family, seed, n_needs=8, n_orgs=4)
    bad = data.draw(corrupted(document, numbers=data.draw(st.booleans())))
    try:
        problem = matcher.Problem.from_json(as_text(bad))
    except matcher.ProblemError as error:
        event("issues")
        assert_readable(error)
        return
    event("a plan")
    solution = matcher.solve(problem, time_limit=10)
    assert math.isfinite(solution.objective) or solution.status == "infeasible"
    if solution.status != "infeasible":
        assert matcher.verify(problem, solution) == []


@cache
def dispatch_log() -> str:
    """A log with a round, accepts, a decline, a start and a rating."""
    dispatch = Dispatch(matcher.synth.shanxi(seed=2, n_needs=12, n_orgs=5))
    offers = dispatch.propose().offers
    dispatch.accept(offers[0].need_id, offers[0].org_id)
    dispatch.start(offers[0].need_id)
    dispatch.complete(offers[0].need_id)
    dispatch.rate(offers[0].need_id, "满意")
    dispatch.decline(offers[1].need_id, offers[1].org_id, "too far")
    dispatch.accept(offers[2].need_id, offers[2].org_id)
    dispatch.propose()
    return dispatch.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_corrupted_log_gets_issues_with_paths_a_positioned_transition_error_or_replays(
    data: st.DataObject,
) -> None:
    log = json.loads(dispatch_log())
    # Mostly the events (the problem is fuzzed on its own above).
    section = data.draw(
        st.sampled_from(["events"] * 4 + ["reorder"] * 2 + ["prior", "history", "version", None])
    )
    if section is None:
        bad = data.draw(corrupted(log))
    elif section == "reorder":  # valid events, told in another order, twice or not at all
        kept = data.draw(st.lists(st.sampled_from(log["events"]), max_size=len(log["events"])))
        events = [{**e, "seq": i} for i, e in enumerate(kept)]
        bad = {**log, "events": events}
    else:
        bad = {**log, section: data.draw(corrupted(log[section]))}
    try:
        dispatch = Dispatch.from_json(as_text(bad))
    except matcher.ProblemError as error:
        event("issues")
        assert error.issues
        assert_readable(error)
        return
    except TransitionError as error:
        event("a transition error")
        assert str(error).startswith("events["), str(error)
        assert_readable(error)
        return
    event("replays")
    assert_replays(dispatch)


# --- commands with bad arguments --------------------------------------------------------------

COMMANDS = ("offer", "accept", "decline", "withdraw", "start", "complete", "rate", "cancel")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(JUNK, st.sampled_from(["n1", "n2", "o1", "o2", 4, "满意"])), max_size=4),
    st.one_of(JUNK, st.builds(dict, kind=st.sampled_from(["started", "round", "x"]), seq=JUNK)),
)
def test_a_command_or_a_recorded_event_with_bad_arguments_raises_matchers_error_and_changes_nothing(
    command: str, args: list[Any], event: Any
) -> None:
    dispatch = fresh_dispatch()
    before = dispatch.events
    for call in (lambda: getattr(dispatch, command)(*args), lambda: dispatch.record(event)):
        try:
            call()
        except TypeError as error:  # a wrong number of arguments is a bug of the caller's code
            assert "positional argument" in str(error)
        except matcher.MatcherError as error:
            assert_readable(error)
            assert dispatch.events == before
        else:
            before = dispatch.events
    assert fold(dispatch.problem, dispatch.events) == dispatch.state


def fresh_dispatch() -> Dispatch:
    dispatch = Dispatch(matcher.Problem.model_validate(simple_document()))
    dispatch.propose()
    return dispatch


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((None,), matcher.OptionError),
        (("events",), matcher.OptionError),
        ((5,), matcher.OptionError),
        (([{"seq": 0, "kind": "started", "need_id": "n1"}],), TransitionError),
        (([{"seq": "zero", "kind": "started", "need_id": "n1"}],), TransitionError),
        (([7],), TransitionError),
    ],
)
def test_a_dispatch_refuses_events_that_are_not_a_list_of_events(
    arguments: tuple[Any, ...], error: type[Exception]
) -> None:
    problem = matcher.Problem.model_validate(simple_document())
    with pytest.raises(error) as raised:
        Dispatch(problem, *arguments)
    if error is TransitionError:
        assert str(raised.value).startswith("events[0]: ")


def test_a_dispatch_checks_its_problem_prior_history_and_disruption_cost() -> None:
    problem = matcher.Problem.model_validate(simple_document())
    with pytest.raises(matcher.OptionError, match=r"matcher\.Problem"):
        Dispatch(simple_document())  # type: ignore[arg-type]
    with pytest.raises(matcher.ProblemError) as prior:
        Dispatch(problem, prior={"mean": 2})  # type: ignore[arg-type]
    assert [i.path for i in prior.value.issues] == ["prior.mean"]
    with pytest.raises(matcher.ProblemError) as history:
        Dispatch(problem, history=[{"org_id": "o1", "category": "industry", "accepted": -1}])  # type: ignore[list-item]
    assert [i.path for i in history.value.issues] == ["history[0].accepted"]
    with pytest.raises(matcher.ProblemError, match=r"policy\.weights\.incumbent"):
        Dispatch(problem, disruption_cost=1e308)


# --- options ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def problem() -> matcher.Problem:
    return matcher.synth.shanxi(seed=4, n_needs=40, n_orgs=12)


@pytest.mark.parametrize(
    "seed",
    [-1, 2**31, 2**31 - 1, 2**63, -(2**100), np.int64(-5), np.uint64(2**64 - 1), np.int8(7)],
)
def test_any_whole_seed_is_taken_modulo_2_to_the_31(problem: matcher.Problem, seed: Any) -> None:
    solution = matcher.solve(problem, "cpsat", seed=seed)
    same = matcher.solve(problem, "cpsat", seed=int(seed) % 2**31)
    assert solution.assignments == same.assignments
    assert matcher.verify(problem, solution) == []


@pytest.mark.parametrize("seed", [None, True, False, 1.0, "1", np.float64(2.0), [1]])
def test_a_seed_that_is_not_a_whole_number_is_an_option_error(
    problem: matcher.Problem, seed: Any
) -> None:
    with pytest.raises(matcher.OptionError, match="seed"):
        matcher.solve(problem, seed=seed)


@pytest.mark.parametrize("options", [{"seed": None}, {"seed": 1.5}, {"time_limit": 0}])
def test_bad_propose_options_are_option_errors_on_the_flow_path_too(
    problem: matcher.Problem, options: dict[str, Any]
) -> None:
    with pytest.raises(matcher.OptionError):
        Dispatch(problem).propose(**options)


@pytest.mark.parametrize("thing", ["problem.json", {"needs": []}, None])
def test_solving_what_is_not_a_problem_is_an_option_error(thing: Any) -> None:
    with pytest.raises(matcher.OptionError, match=r"matcher\.Problem"):
        matcher.solve(thing)


@pytest.mark.parametrize(
    "options",
    [
        {"time_limit": None},
        {"time_limit": "10"},
        {"time_limit": math.nan},
        {"time_limit": -1},
        {"time_limit": math.inf},
        {"work_limit": 0},
        {"work_limit": [1]},
        {"solver": 3},
        {"solver": "fastest"},
        {"solver": None},
        {"decompose": False, "executor": object()},
    ],
)
def test_bad_solve_options_are_option_errors(
    problem: matcher.Problem, options: dict[str, Any]
) -> None:
    with pytest.raises(matcher.OptionError):
        matcher.solve(problem, **options)


# --- limits -----------------------------------------------------------------------------------


def test_every_number_at_its_bound_solves_to_the_brute_force_optimum() -> None:
    """At the bounds the integer scaling stays exact: the back ends reach the brute-force optimum
    (the corpus has the same document; here the weights of goals are at their bound too)."""
    document = json.loads(
        (BAD / "documents" / "every_number_at_its_bound.json").read_text(encoding="utf-8")
    )
    check_plans(matcher.Problem.model_validate(document))
    document["pair_scores"] = [
        {"need_id": n, "org_id": o, "score": s}
        for (n, o), s in zip(
            [("n1", "o1"), ("n2", "o1"), ("n2", "o2"), ("n3", "o2")],
            [MAX_SCORE, 1e-3, -MAX_SCORE, MAX_SCORE / 3],
            strict=True,
        )
    ]
    check_plans(matcher.Problem.model_validate(document))


def test_a_tiny_score_next_to_the_largest_penalty_is_still_worth_taking() -> None:
    """A soft penalty of 1e15 used to round every score to 0; at the bound, 0.01 still counts."""
    document = simple_document()
    document["pair_scores"] = [{"need_id": "n3", "org_id": "o2", "score": 0.01}]
    document["policy"] = {"rules": {"program": {"min_served": 1, "hard": False, "penalty": 1e3}}}
    problem = matcher.Problem.model_validate(document)
    solution = matcher.solve(problem, "cpsat")
    assert solution.status == "optimal"
    assert [(a.need_id, a.org_id) for a in solution.assignments] == [("n3", "o2")]
    assert solution.objective == pytest.approx(0.01)


def test_a_document_larger_than_the_limit_is_refused_before_it_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = json.dumps(simple_document())
    monkeypatch.setattr(limits, "MAX_DOCUMENT_BYTES", len(text.encode()) - 1)
    with pytest.raises(matcher.ProblemError, match="bytes; at most"):
        matcher.Problem.from_json(text)
    with pytest.raises(matcher.ProblemError, match="bytes; at most"):
        Dispatch.from_json(text)


@pytest.mark.parametrize("depth", [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 100_000])
def test_nesting_is_refused_past_the_limit_and_never_recurses(depth: int) -> None:
    document = simple_document()
    document["needs"][0]["title"] = "[" * 5000  # brackets in text do not count
    document["needs"][0]["colour"] = "{"  # a field the models refuse, to see the depth pass
    text = as_text(document)
    text = text[:-1] + ', "deep": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    with pytest.raises(matcher.ProblemError) as error:
        matcher.Problem.from_json(text)
    paths = [issue.path for issue in error.value.issues]
    if depth <= MAX_NESTING:
        assert "deep" in paths and "needs[0].colour" in paths
    else:
        assert paths == [""]
        assert f"nested {depth} levels deep" in str(error.value)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\/ab\n\t\u2028'),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=4), inner, max_size=3)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans(), st.sampled_from([None, 1]))
def test_the_bracket_scan_measures_the_depth_json_gives(
    value: Any, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    assert limits.nesting(text.encode()) == _depth(value)


@pytest.mark.parametrize(
    "value",
    [
        {"": "", "[": [[""]], "a": ["]", "", "{{"]},  # empty strings next to brackets in strings
        ['"[', "", "", '"', "]]]", ['""', ["\\", "[\\"]]],
        [[[[]]], "", "[[[[[[", {"": {"": ""}}],
    ],
)
def test_the_bracket_scan_skips_strings_empty_or_next_to_each_other(value: Any) -> None:
    assert limits.nesting(json.dumps(value, separators=(",", ":")).encode()) == _depth(value)


def read_by_json_loads(data: bytes) -> tuple[str, str]:
    """What :func:`limits.parse_json` reads from text within the limits, by ``json.loads`` alone:
    the value's repr (floats, ints and key order shown exactly) or the issue's message."""
    try:
        return "value", repr(json.loads(data))
    except json.JSONDecodeError as error:
        return "issue", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
    except UnicodeDecodeError as error:
        return "issue", f"not UTF-8 text: {error.reason}"


def read_by_parse_json(data: bytes) -> tuple[str, str]:
    try:
        return "value", repr(limits.parse_json(data))
    except matcher.ProblemError as error:
        assert [issue.path for issue in error.issues] == [""]
        return "issue", error.issues[0].message


PARSED_ALIKE = [
    b'{"a": 1, "b": 2, "a": [3]}',  # a repeated key: the last value, at the first place
    b"[NaN, Infinity, -Infinity, -NaN]",
    b"[1e400, -1e400, 1e-400, -0, -0.0, 0e0, 5e-324, 2.4703282292062327e-324]",
    b"[123456789012345678901234567890, -18446744073709551617, 1.5e308, 0.30000000000000004]",
    b"[1" + b"0" * 400 + b", 1." + b"3" * 800 + b", 12345678901234567890e-10]",
    b'["\\ud800", "\\udc00x", "\\ud83d\\ude00", "\\u0000", "\\/", "\xc3\xa9"]',
    b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 byte-order mark
    b' \t\n\r{"a" : {"b": [[], {}]}}  ',
    b'["\xff"]',
    b'["a\x01b"]',
    b"[1.] ",
    b"[01]",
    b"[+1, .5]",
    b'{"a": 1,}',
    b"{} x",
    b"\x0c{}",
    b"[nan]",
    b"",
]


@pytest.mark.parametrize("data", PARSED_ALIKE)
def test_parsing_reads_what_json_loads_reads_and_words_its_errors(data: bytes) -> None:
    assert read_by_parse_json(data) == read_by_json_loads(data)


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(st.characters(codec=None) | st.sampled_from(["\ud800", "\udfff", "\x00", '"']))
)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=30,
    ),
    st.booleans(),
    st.integers(min_value=0, max_value=10**6),
    st.binary(max_size=3),
)
def test_parsing_agrees_with_json_loads_on_any_text(
    value: Any, ascii_only: bool, cut: int, spliced: bytes
) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert read_by_parse_json(data) == read_by_json_loads(data)
    spoilt = data[: cut % (len(data) + 1)] + spliced + data[cut % (len(data) + 1) :]
    assert read_by_parse_json(spoilt) == read_by_json_loads(spoilt)


def test_a_ten_megabyte_id_is_not_echoed_whole() -> None:
    document = simple_document()
    document["needs"][0]["region"] = "x" * 10_000_000
    document["needs"][1]["x" * 1_000_000] = 1  # an unknown field with a huge name
    with pytest.raises(matcher.ProblemError) as error:
        matcher.Problem.model_validate(document)
    assert len(str(error.value)) < 3000
    message = {issue.path: issue.message for issue in error.value.issues}["needs[0].region"]
    assert message == "unknown region '" + "x" * 78 + "…"  # 80 characters of the id's repr


def test_validate_reports_the_pinned_pairs_solve_would_refuse(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One check for both: the same issues from ``matcher validate`` and ``matcher.solve``."""
    path = BAD / "documents" / "pinned_over_capacity.json"
    problem = matcher.Problem.from_json(path)
    with pytest.raises(matcher.ProblemError) as error:
        matcher.solve(problem)
    assert main(["validate", str(path)]) == 2
    assert str(error.value.issues[0]) in capsys.readouterr().err


def test_a_number_longer_than_python_reads_is_an_issue_at_its_place() -> None:
    """json.loads refuses an integer of more than ``sys.get_int_max_str_digits()`` digits with
    a bare ValueError; the document's reader names the place instead (a string of digits before
    it, or a long fraction, is not the number)."""
    limit = sys.get_int_max_str_digits()
    text = (
        '{"a": "' + "7" * (limit + 5) + '", "b": 1.' + "5" * (limit + 5) + ",\n"
        ' "c": -' + "9" * (limit + 1) + "}"
    )
    with pytest.raises(matcher.ProblemError) as error:
        matcher.Problem.from_json(text)
    (issue,) = error.value.issues
    assert issue.path == ""
    assert (
        issue.text("en")
        == f"the number at line 2 column 7 has {limit + 1:,} digits; at most {limit:,}"
    )
    assert issue.text("zh") == f"第 2 行第 7 列的数字有 {limit + 1:,} 位;最多 {limit:,} 位"
