"""``matcher compare A.json B.json``: the differences between two plans, on the command line.

Prints :meth:`matcher.compare.Comparison.summary` (KPI deltas by category, priority tier and
city; needs gained, lost and moved; organizations whose load changed), and optionally writes the
comparison as JSON and as a picture.

Examples
--------
>>> import argparse, tempfile, pathlib, matcher
>>> from matcher import variants
>>> base = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=15)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.json").write_text(matcher.solve(base).to_json())
>>> _ = (folder / "b.json").write_text(
...     matcher.solve(variants.scale_capacity(base, 2)).to_json())
>>> parser = argparse.ArgumentParser(prog="matcher")
>>> add_compare_parser(parser.add_subparsers())
>>> args = parser.parse_args(["compare", str(folder / "a.json"), str(folder / "b.json"),
...                           "--language", "en", "--names", "today", "double capacity"])
>>> args.handler(args)  # doctest: +ELLIPSIS
Plan comparison · today → double capacity
...
0

From a shell::

    matcher solve problem.json -o a.json
    matcher solve variant.json -o b.json
    matcher compare a.json b.json --names 现行 方案二 --problem problem.json
    matcher compare a.json b.json -o comparison.json --plot comparison.png --by tier
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OptionError
from ..models import catalog, speaking

if TYPE_CHECKING:
    from ..analysis.comparison import Comparison
    from ..models import Problem
    from ..models.vocab import Language
    from ..plan.solution import Solution

__all__ = ["add_compare_parser", "add_language", "run_compare"]


def add_language(parser: argparse.ArgumentParser) -> None:
    """The ``--lang`` option (also spelt ``--language``) every subcommand takes."""
    parser.add_argument(
        "--lang",
        "--language",
        dest="language",
        choices=["zh", "en"],
        default=None,
        help=f"language of labels and messages (default: ${catalog.ENV}, else Chinese for labels "
        "and, unless the locale is Chinese, English for messages)",
    )


def add_compare_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``compare`` subcommand to the subparsers of the ``matcher`` command line.

    Parsed arguments carry ``handler`` (:func:`run_compare`), like every other subcommand.
    """
    compare = commands.add_parser(
        "compare",
        help="compare two plans: KPI deltas, needs gained, lost and moved, load changes",
        description="Compare plan B with plan A (both written by 'matcher solve'): KPI deltas "
        "by category, priority tier and city, needs that gained or lost service, assignments "
        "moved and organizations whose load changed.",
    )
    compare.add_argument("plan_a", metavar="A.json", help='the first plan ("-": stdin)')
    compare.add_argument("plan_b", metavar="B.json", help="the second plan")
    compare.add_argument(
        "--names",
        nargs=2,
        metavar=("A", "B"),
        default=None,
        help="names of the plans in the report (default: the file names)",
    )
    compare.add_argument(
        "--problem",
        action="append",
        default=[],
        metavar="PROBLEM.json",
        help="the problem the plans were made for: need titles, organization names, and the "
        "weights both plans are scored by (plan A's); give it twice when the plans solve "
        "different problems",
    )
    compare.add_argument(
        "--top",
        type=non_negative_int,
        default=5,
        metavar="K",
        help="cities and needs of each kind of change to list (default: %(default)s)",
    )
    add_language(compare)
    compare.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE.json",
        help='write the comparison as JSON ("-": stdout, the report then goes to stderr)',
    )
    compare.add_argument(
        "--plot",
        default=None,
        metavar="FILE.png",
        help="draw the two plans' coverage side by side (needs the plot extra)",
    )
    compare.add_argument(
        "--by",
        choices=["city", "category", "tier"],
        default="city",
        help="groups of the plot (default: %(default)s)",
    )
    compare.set_defaults(handler=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    """Run ``matcher compare`` with parsed arguments; returns the exit status (0).

    Raises
    ------
    OptionError
        Bad arguments, or a ``--problem`` the plans do not belong to (said in ``--language``;
        the command line exits with status 2).
    """
    from ..analysis.comparison import PlanMismatchError, compare

    language = speaking.language(args.language)
    if args.plan_a == "-" and args.plan_b == "-":
        raise OptionError.of("cli.one_plan_from_stdin")
    if len(args.problem) > 2:
        raise OptionError.of("cli.problems_given")
    plan_a = _read_plan(args.plan_a)
    plan_b = _read_plan(args.plan_b)
    names = tuple(args.names) if args.names else (_label(args.plan_a), _label(args.plan_b))
    problems = [_read_problem(path) for path in args.problem]
    try:
        result = compare(plan_a, plan_b, names=(names[0], names[1]), problem=problems)
    except PlanMismatchError as error:
        message = f"--problem: {error.message(language)}"  # said in the report's language
        raise OptionError(message, message_zh=message) from None
    report = result.summary(language, top=args.top)
    to_stdout = args.output == "-"
    if args.output is not None:
        text = result.to_json(indent=2) + "\n"
        if to_stdout:
            sys.stdout.write(text)
        else:
            Path(args.output).write_text(text, encoding="utf-8")
    print(report, file=sys.stderr if to_stdout else sys.stdout)
    if args.plot is not None:
        _plot(result, args, language)
    return 0


def _read_plan(source: str) -> Solution:
    from ..io import parse_plan, read_plan

    if source == "-":
        return parse_plan(sys.stdin.buffer.read(), "<stdin>")
    return read_plan(source)


def _read_problem(path: str) -> Problem:
    from ..models import Problem

    return Problem.from_json(Path(path))


def _plot(result: Comparison, args: argparse.Namespace, language: Language) -> None:
    from ..report import plots

    try:
        ax = plots.comparison(result, by=args.by, language=language)
    except ImportError as error:
        raise OptionError.of("error.plot_import", reason=str(error)) from None
    plots.save(ax, args.plot)
    plots.close(ax)
    print(
        catalog.text("cli.plot_written", language, path=args.plot),
        file=sys.stderr if args.output == "-" else sys.stdout,
    )


def _label(source: str) -> str:
    return "<stdin>" if source == "-" else Path(source).stem


def non_negative_int(text: str) -> int:
    """argparse type: an integer that is 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value
