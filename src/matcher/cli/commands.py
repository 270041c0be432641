"""The ``matcher`` command line: demo, solve, explain, validate, schema, synth, compare and serve.

Every subcommand exits 0 on success and 2 on bad input (an invalid or unreadable problem file, an
option out of range, a usage error), with a readable message on stderr that names the field, never a
traceback. A back end that fails with no plan to return exits 1.

Examples
--------
>>> from matcher.cli import main
>>> main(["demo", "--language", "en", "--top", "3"])  # doctest: +ELLIPSIS
Synthetic Shanxi-like province · 129 regions · 200 organizations · 1000 needs
Dispatch plan · status optimal · solver flow
...
0

From a shell::

    matcher synth --scale shanxi -o problem.json
    matcher validate problem.json
    matcher solve problem.json -o plan.json --language en
    matcher explain problem.json plan.json --need N0007 --language en
    matcher explain problem.json plan.json -o explanations.xlsx
    matcher synth --needs 500 --orgs 100 -o - | matcher solve - -o - --quiet > plan.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

from ..errors import MatcherError, OptionError, ProblemError, SolverError, echo
from ..models import catalog, speaking
from ..models.catalog import display_width
from ..solvers import SOLVERS
from ..synth import SCALES
from .compare import add_compare_parser, add_language, non_negative_int

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ..models import Problem
    from ..models.vocab import Language
    from ..plan.solution import Assignment, Solution

__all__ = ["main"]

PROG = "matcher"

#: Exit codes: success, a failure that is not the input's fault, bad input or usage.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

#: Widest each demo table column (#, need, region, category, organization, score) may grow, in
#: terminal columns, before its text is cut with "…".
_MAX_WIDTHS = (6, 30, 12, 24, 32, 12)


# --- entry point ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``matcher`` command line.

    Parameters
    ----------
    argv
        Arguments after the program name; ``None`` means ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when a back end fails, 2 on bad input or bad usage
        (argparse's own status for usage errors, ``--help`` and ``--version`` are returned, not
        raised).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return _exit_code(stop.code)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        speak = speaking.language(args.language, default="en")
    except OptionError as error:
        _error(error.text("en"), "en")
        return EXIT_USAGE
    try:
        return handler(args)
    except ProblemError as error:
        _report([issue.text(speak) for issue in error.issues], _source(args), speak)
        return EXIT_USAGE
    except SolverError as error:
        _error(error.text(speak), speak)
        return EXIT_FAILURE
    except MatcherError as error:
        _error(error.text(speak), speak)
        return EXIT_USAGE
    except BrokenPipeError:  # pragma: no cover - the reader of our stdout went away (| head)
        _silence_stdout()
        return EXIT_FAILURE
    except OSError as error:
        _error(_os_message(error), speak)
        return EXIT_USAGE


#: The subcommands of the parser: each ``_add_*`` function below adds its own.
Commands: TypeAlias = "argparse._SubParsersAction[Any]"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand.

    Returns
    -------
    argparse.ArgumentParser
        Parsed arguments carry ``handler``, the function that runs the subcommand.
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Match social organizations to rural-revitalization needs, exactly.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True)

    _add_demo(commands)
    _add_solve(commands)
    _add_explain(commands)
    _add_validate(commands)
    _add_schema(commands)
    _add_synth(commands)
    add_compare_parser(commands)
    _add_serve(commands)
    return parser


def _add_demo(commands: Commands) -> None:
    """``matcher demo``: solve the built-in Shanxi-like province and show the plan."""
    demo = commands.add_parser(
        "demo",
        help="solve the built-in Shanxi-like province and show the plan",
        description="Build the synthetic Shanxi-like province, solve it, verify the plan and "
        "show the summary and the best assignments.",
    )
    _add_seed(demo)
    add_language(demo)
    demo.add_argument(
        "--top",
        type=non_negative_int,
        default=10,
        metavar="K",
        help="how many assignments to list, best score first (default: %(default)s)",
    )
    demo.set_defaults(handler=_demo)


def _add_solve(commands: Commands) -> None:
    """``matcher solve``: solve a problem document and write the plan as JSON."""
    solve = commands.add_parser(
        "solve",
        help="solve a problem document and write the plan as JSON",
        description="Read a problem document, solve it and write the plan as JSON. The summary "
        "goes to stdout, or to stderr when the plan itself goes to stdout.",
    )
    solve.add_argument("problem", metavar="PROBLEM.json", help='problem document ("-": stdin)')
    solve.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="PLAN.json",
        help='where to write the plan ("-": stdout, the default)',
    )
    solve.add_argument(
        "--solver",
        choices=["auto", *SOLVERS],
        default="auto",
        help="back end (default: %(default)s)",
    )
    solve.add_argument(
        "--time-limit",
        type=_positive_seconds,
        default=10.0,
        metavar="S",
        help="seconds a back end with a clock may search (default: %(default)s)",
    )
    solve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="processes that solve the independent parts of a large problem side by side, "
        "started for this command (default: %(default)s, this process alone)",
    )
    _add_seed(solve)
    add_language(solve)
    solve.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    solve.set_defaults(handler=_solve)


def _add_explain(commands: Commands) -> None:
    """``matcher explain``: explain a plan: why each need went where it went, or nowhere."""
    explain = commands.add_parser(
        "explain",
        help="explain a plan: why each need went where it went, or nowhere",
        description="Explain a plan written by 'matcher solve' for its problem: for each need, "
        "which organization took it and why (its score against the others'), or why no one "
        "did. Without -o the texts go to stdout; with -o the table of every need (or of the "
        "needs given) is written as .xlsx, .csv or .json, with both languages unless "
        "--language picks one.",
    )
    explain.add_argument("problem", metavar="PROBLEM.json", help='problem document ("-": stdin)')
    explain.add_argument("plan", metavar="PLAN.json", help="the plan made for it")
    explain.add_argument(
        "--need",
        action="append",
        default=[],
        metavar="ID",
        help="explain this need only (may be given more than once; default: every need)",
    )
    add_language(explain)  # on screen Chinese by default; in a file both unless one is chosen
    explain.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help='write the table as FILE.xlsx, FILE.csv or FILE.json ("-": JSON on stdout)',
    )
    explain.set_defaults(handler=_explain)


def _add_validate(commands: Commands) -> None:
    """``matcher validate``: check a problem document and list every issue."""
    validate = commands.add_parser(
        "validate",
        help="check a problem document and list every issue",
        description="Check a problem document. Valid: print its size and exit 0. Invalid: print "
        "every issue as 'path: message' on stderr and exit 2.",
    )
    validate.add_argument("problem", metavar="PROBLEM.json", help='problem document ("-": stdin)')
    add_language(validate)
    validate.set_defaults(handler=_validate)


def _add_schema(commands: Commands) -> None:
    """``matcher schema``: print the JSON Schema of the problem document."""
    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the problem document",
        description="Write the JSON Schema of the problem document.",
    )
    _add_output(schema, required=False)
    add_language(schema)
    schema.set_defaults(handler=_schema)


def _add_synth(commands: Commands) -> None:
    """``matcher synth``: write a synthetic problem document."""
    synth = commands.add_parser(
        "synth",
        help="write a synthetic problem document",
        description="Write a seeded synthetic problem: the Shanxi-like province (1,000 needs, "
        "200 organizations), a province (10,000 x 2,000), national scale (100,000 x 20,000 in 31 "
        "provinces) or xlarge (500,000 x 100,000). --needs and --orgs override the counts of the "
        "chosen scale.",
    )
    _add_seed(synth)
    synth.add_argument(
        "--scale", choices=list(SCALES), default="shanxi", help="preset size (default: %(default)s)"
    )
    synth.add_argument("--needs", type=non_negative_int, metavar="N", help="number of needs")
    synth.add_argument("--orgs", type=non_negative_int, metavar="M", help="number of organizations")
    _add_output(synth, required=True)
    add_language(synth)
    synth.set_defaults(handler=_synth)


def _add_serve(commands: Commands) -> None:
    """``matcher serve``: serve matcher over HTTP, dispatch logs in a database (needs matcher[service])."""
    serve = commands.add_parser(
        "serve",
        help="serve matcher over HTTP, dispatch logs in a database (needs matcher[service])",
        description="Serve the HTTP API (OpenAPI at /openapi.json) until interrupted. Dispatch "
        "logs go to SQLite (a file path) or PostgreSQL (a postgresql:// URL).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    serve.add_argument("--port", type=non_negative_int, default=8000, help="(default: %(default)s)")
    serve.add_argument(
        "--db", default="matcher-service.sqlite", metavar="URL", help="(default: %(default)s)"
    )
    serve.add_argument("--workers", type=non_negative_int, default=1, help="processes (default: 1)")
    serve.add_argument("--max-bytes", type=non_negative_int, default=32 * 2**20, metavar="N")
    serve.add_argument("--timeout", type=_positive_seconds, default=60.0, metavar="S")
    serve.add_argument(
        "--kept-plans",
        default="8",
        metavar="N",
        help="round plans kept for explanations, 0 for none (default: %(default)s)",
    )
    serve.add_argument(
        "--idempotency-hours",
        default="24",
        metavar="H",
        help="how long a write's Idempotency-Key is kept; a retry after it is a new request "
        "(default: %(default)s; inf: for ever)",
    )
    serve.add_argument("--demo", action="store_true", help="store the demo problem as 'demo'")
    add_language(serve)
    serve.set_defaults(handler=_serve)


# --- subcommands ----------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from .. import synth
    from ..plan.verification import verify
    from ..solving import solve

    language = _language(args)
    seed: int = args.seed
    top: int = args.top
    problem = synth.shanxi(seed)
    solution = solve(problem)
    violations = verify(problem, solution)

    print(
        catalog.text(
            "cli.demo",
            language,
            regions=len(problem.regions),
            organizations=len(problem.organizations),
            needs=len(problem.needs),
        )
    )
    print(solution.summary(language))
    print(catalog.text("cli.verify", language, count=len(violations)))
    for violation in violations:
        print(f"  {violation}", file=sys.stderr)
    if top:
        best = sorted(solution.assignments, key=lambda a: (-a.score, a.need_id))[:top]
        print(catalog.text("cli.top", language, count=len(best)))
        print(assignment_table(problem, best, language))
    print(_timing_line(solution, language))
    return EXIT_FAILURE if violations else EXIT_OK


def _solve(args: argparse.Namespace) -> int:
    from ..models import Problem
    from ..solving import solve

    language = _language(args)
    # The workers start (and import what the parts need) while the problem is read.
    with _worker_pool(args.workers) as executor:
        problem = _read_problem(Problem, args.problem)
        solution = solve(
            problem, args.solver, time_limit=args.time_limit, seed=args.seed, executor=executor
        )
    plan = solution.to_json(indent=2)
    to_stdout = args.output == "-"
    if to_stdout:
        sys.stdout.write(plan + "\n")
    else:
        Path(args.output).write_text(plan + "\n", encoding="utf-8")
    if not args.quiet:
        out: TextIO = sys.stderr if to_stdout else sys.stdout
        print(solution.summary(language), file=out)
        print(_timing_line(solution, language), file=out)
        if not to_stdout:
            print(catalog.text("cli.plan_written", language, path=args.output), file=out)
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from ..errors import OptionError
    from ..explain import explainer_for
    from ..io import PlanError, parse_plan
    from ..models import Problem

    if args.problem == "-" and args.plan == "-":
        raise OptionError.of("cli.one_from_stdin")
    suffix = "" if args.output in (None, "-") else Path(args.output).suffix.lower()
    if suffix not in ("", ".xlsx", ".csv", ".json"):
        raise OptionError.of("cli.explain_suffix", path=args.output)
    problem = _read_problem(Problem, args.problem)
    plan = sys.stdin.buffer.read() if args.plan == "-" else Path(args.plan).read_bytes()
    try:
        solution = parse_plan(plan, _display_name(args.plan))
    except PlanError as error:
        speak = speaking.language(args.language, default="en")
        _report([issue.text(speak) for issue in error.issues], _display_name(args.plan), speak)
        return EXIT_USAGE
    explainer = explainer_for(problem, solution)
    if args.output is None:
        language = _language(args)
        if args.need:
            texts = [explainer.explain(need_id, language).text for need_id in args.need]
        else:
            texts = explainer.frame(language)[f"text_{language}"].tolist()
        _write("-", "\n\n".join(texts) + "\n")
        return EXIT_OK
    chosen = speaking.setting(args.language)
    languages: tuple[Language, ...] = (chosen,) if chosen else ("zh", "en")
    if args.need:
        for need_id in args.need:  # an unknown need is an error, as with one need on screen
            explainer.explain(need_id, languages[0])
    table = explainer.frame(languages)
    if args.need:
        table = table.set_index("need_id").loc[args.need].reset_index()
    if suffix in (".xlsx", ".csv"):
        from ..io import write_tables

        sheet = catalog.text("sheet.explanations", "zh" if languages == ("zh",) else "en")
        try:
            write_tables({sheet: table}, args.output)
        except ImportError as error:
            raise OptionError.of(
                "error.output_import", path=args.output, reason=str(error)
            ) from None
    else:
        text = table.to_json(orient="records", force_ascii=False, indent=2)
        _write(args.output, text + "\n")
    if args.output != "-":
        written: Language = "zh" if languages == ("zh",) else "en"
        print(catalog.text("cli.explanations_written", written, count=len(table), path=args.output))
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from ..models import Problem
    from ..pairs.table import build_candidates, pinned_rows

    problem = _read_problem(Problem, args.problem)
    table = build_candidates(problem)
    pinned_rows(problem, table)  # the pinned pairs solve would refuse: report them now
    pairs = len(table)
    print(
        catalog.text(
            "cli.valid",
            speaking.language(args.language, default="en"),
            source=_display_name(args.problem),
            regions=len(problem.regions),
            organizations=len(problem.organizations),
            needs=len(problem.needs),
            pairs=pairs,
        )
    )
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from ..models import Problem

    text = json.dumps(Problem.model_json_schema(), indent=2, ensure_ascii=False)
    _write(args.output, text + "\n")
    return EXIT_OK


def _synth(args: argparse.Namespace) -> int:
    from .. import synth

    seed: int = args.seed
    spec = SCALES[args.scale]
    if args.needs is not None or args.orgs is not None:
        problem = synth.generate(
            spec.n_needs if args.needs is None else args.needs,
            spec.n_orgs if args.orgs is None else args.orgs,
            seed=seed,
        )
    else:
        problem = synth.scale(args.scale, seed)
    _write(args.output, problem.to_json() + "\n")
    if args.output != "-":
        print(
            catalog.text(
                "cli.wrote",
                speaking.language(args.language, default="en"),
                path=args.output,
                regions=len(problem.regions),
                organizations=len(problem.organizations),
                needs=len(problem.needs),
            )
        )
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    try:
        from ..service.app import Config
        from ..service.server import load_demo, serve
    except ImportError as error:
        _error(f"{error}; install matcher[service]", speaking.language(args.language, default="en"))
        return EXIT_FAILURE
    config = Config(
        database=args.db,
        max_bytes=args.max_bytes,
        seconds=args.timeout,
        plans=_number(args.kept_plans, "serve.kept_plans", whole=True),
        idempotency_hours=_number(args.idempotency_hours, "serve.idempotency_hours"),
    )
    if args.demo:
        load_demo(args.db)
    serve(config, host=args.host, port=args.port, workers=max(1, args.workers))
    return EXIT_OK


# --- the demo table -------------------------------------------------------------------------------


def fit(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded, or cut with "…", to exactly ``width`` terminal columns.

    Examples
    --------
    >>> fit("清徐县", 8) + "|", fit("清徐县产业项目", 8) + "|", fit("12.5", 6, right=True)
    ('清徐县  |', '清徐县… |', '  12.5')
    """
    if display_width(text) > width:
        kept, used = "", 0
        for ch in text:
            step = display_width(ch)
            if used + step > width - 1:
                break
            kept, used = kept + ch, used + step
        text = kept + "…"
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def assignment_table(
    problem: Problem, assignments: Sequence[Assignment], language: Language
) -> str:
    """A plain-text table of assignments, columns aligned by display width.

    Parameters
    ----------
    problem
        The problem the assignments belong to (for titles and names).
    assignments
        :class:`~matcher.Assignment` objects, in the order to list them.
    language
        ``"zh"`` or ``"en"``: the header and category labels.

    Returns
    -------
    str
        A header, a rule and one line per assignment (no trailing newline).
    """
    header = (
        "#",
        *(catalog.text(f"cli.{key}", language) for key in ("need", "region", "category", "org")),
        catalog.text("cli.score", language),
    )
    rows: list[tuple[str, ...]] = []
    for rank, item in enumerate(assignments, 1):
        need, org, region = (
            problem.need(item.need_id),
            problem.organization(item.org_id),
            problem.region(item.region),
        )
        rows.append(
            (
                str(rank),
                need.title or need.id,
                region.name or region.id,
                item.category.label(language),
                org.name or org.id,
                f"{item.score:.3f}",
            )
        )
    widths = [
        min(cap, max(display_width(row[i]) for row in [header, *rows]))
        for i, cap in enumerate(_MAX_WIDTHS)
    ]
    right = (True, False, False, False, False, True)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            fit(cell, width, right=r) for cell, width, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


# --- helpers --------------------------------------------------------------------------------------


def _add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="random seed (default: %(default)s)",
    )


def _add_output(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "-o",
        "--output",
        required=required,
        default=None if required else "-",
        metavar="FILE",
        help='file to write ("-": stdout' + (")" if required else ", the default)"),
    )


@contextlib.contextmanager
def _worker_pool(workers: int) -> Iterator[Executor | None]:
    """``workers`` spawned processes for the parts of a solve, or ``None`` (this process) for 1.

    The command owns its process, so it may start workers where the library never does; spawned
    ones, because forking a process that may hold threads is not safe. A worker that dies (out of
    memory, say) is a :class:`~matcher.errors.SolverError`: exit status 1 and a sentence.
    """
    if workers <= 1:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for _ in range(workers):  # one task each, sent at once: every worker starts now
                pool.submit(_start_worker)
            yield pool
    except BrokenProcessPool:
        raise SolverError.of("cli.worker_lost") from None


def _start_worker() -> None:
    """A worker's first task: import what solving a part runs."""
    from .. import decompose  # noqa: F401
    from ..solvers import flow  # noqa: F401


def _positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be 1 or more, not 0")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _number(text: str, key: str, *, whole: bool = False) -> Any:
    """``text`` as an integer, or (unless ``whole``) a float; its range is checked where it is used.

    Raises
    ------
    OptionError
        With the catalog's message ``key`` when ``text`` is not such a number.
    """
    kinds: tuple[Callable[[str], float], ...] = (int,) if whole else (int, float)
    for kind in kinds:
        try:
            return kind(text)
        except ValueError:
            pass
    raise OptionError.of(key, value=echo(text))


def _language(args: argparse.Namespace) -> Language:
    """The language of labels: ``--lang``, else ``MATCHER_LANG``, else Chinese."""
    return speaking.language(args.language)


def _timing_line(solution: Solution, language: Language) -> str:
    seconds = solution.timings.get("total_seconds", float("nan"))
    return catalog.text("cli.total_time", language, seconds=seconds)


def _read_problem(problem_type: type[Problem], source: str) -> Problem:
    """Read a problem from a path, or from stdin when ``source`` is ``"-"``."""
    # Read the bytes here so that a file error is an OSError naming the file once, like output
    # errors; the text then goes to ``from_json``, which reports JSON and field issues.
    # No more than the size limit (and one byte to tell): from_json reports a larger document.
    from ..models.limits import MAX_DOCUMENT_BYTES

    if source == "-":
        data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
    else:
        with Path(source).open("rb") as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)
    return problem_type.from_json(data)


def _write(destination: str, text: str) -> None:
    if destination == "-":
        sys.stdout.write(text)
    else:
        Path(destination).write_text(text, encoding="utf-8")


def _version() -> str:
    try:
        return version("matcher")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _exit_code(code: object) -> int:
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_FAILURE


def _source(args: argparse.Namespace) -> str:
    problem = getattr(args, "problem", None)
    return _display_name(problem) if isinstance(problem, str) else ""


def _display_name(source: str) -> str:
    return "<stdin>" if source == "-" else source


def _report(lines: list[str], source: str, language: Language) -> None:
    """Print the issues of an invalid problem on stderr: a head line, then one issue per line."""
    prefix = f"{source}: " if source else ""
    if len(lines) == 1:
        _error(prefix + lines[0], language)
        return
    _error(prefix + catalog.text("error.problems", language, count=len(lines)), language)
    for line in lines:
        print(f"  {line}", file=sys.stderr)


def _error(message: str, language: Language) -> None:
    print(f"{PROG}: {catalog.text('cli.error', language)}: {message}", file=sys.stderr)


def _os_message(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else reason


def _silence_stdout() -> None:  # pragma: no cover - see main
    # Python flushes stdout at exit; point it at devnull so the flush cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
