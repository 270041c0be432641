"""The bounds on every number a document may give, and on the JSON text itself.

matcher's integer back ends round scores and penalties to whole numbers on one scale: CP-SAT maps
the largest of them to ``2**22`` (:data:`~matcher.solvers.base.COEFFICIENT_CEILING`), min-cost
flow to at most ``2**40``; money is counted in whole yuan, ratios in thousandths. The bounds below
keep that rounding honest: every score and penalty is at most :data:`MAX_SCORE`, so one integer
step of CP-SAT is at most ``MAX_SCORE / 2**22`` (about 0.00024) of a score point, no sum of scores
can overflow to ``inf``, and the integer sums of costs and counts stay far inside 64 bits.
Beyond a bound, validation reports a :class:`~matcher.ProblemError` issue at the field's path.

==================================== ============== =================================================
what                                 bound          where
==================================== ============== =================================================
a pair score (given or computed)     ±1,000         ``pair_scores[].score``, dispatch ``score``
a score weight                       0 – 100        ``policy.weights.*`` (10 components: 1,000)
a soft rule's penalty                0 – 1,000      ``policy.rules.*.penalty``
a goal's weight                      0 – 1,000      ``policy.goals[].weight``
money (yuan)                         0 – 10**9      ``needs[].cost``, ``organizations[].budget``,
                                                    ``policy.rules.money.total_fund``
a count                              0 – 10**9      ``beneficiaries``, ``max_projects``,
                                                    ``partners``, ``min_served``, ...
a distance (km)                      up to 10**5    ``distance_scale_km``, ``max_distance_km``
JSON document                        1 GiB          :meth:`~matcher.Problem.from_json`,
                                                    :meth:`~matcher.dispatch.Dispatch.from_json`
JSON nesting                         64 levels      the same
==================================== ============== =================================================

Examples
--------
>>> import matcher
>>> try:
...     matcher.Problem.model_validate({"regions": [], "organizations": [], "needs": [],
...                                     "policy": {"weights": {"capability": 1e308}}})
... except matcher.ProblemError as error:
...     print(error.issues[0])
policy.weights.capability: input should be less than or equal to 100
>>> try:
...     parse_json("[" * 100 + "]" * 100)
... except matcher.ProblemError as error:
...     print(error.issues[0])
the JSON is nested 100 levels deep; at most 64 are allowed
"""

from __future__ import annotations

import json
import re
import sys
from typing import Annotated, Any

import numpy as np
import pydantic_core
from pydantic import Field

from ..errors import Issue, ProblemError

__all__ = [
    "MAX_COUNT",
    "MAX_DISTANCE_KM",
    "MAX_DOCUMENT_BYTES",
    "MAX_MONEY",
    "MAX_NESTING",
    "MAX_SCORE",
    "MAX_WEIGHT",
    "Count",
    "Distance",
    "Money",
    "Penalty",
    "Score",
    "Weight",
    "nesting",
    "parse_json",
]

#: The largest score of a pair, given (``pair_scores``) or computed, and the largest penalty or
#: goal weight: all share CP-SAT's integer scale, whose step is then at most this / 2**22.
MAX_SCORE = 1_000.0
#: The largest weight of one score component: the ten components that add (each in [0, 1])
#: then sum to at most :data:`MAX_SCORE`.
MAX_WEIGHT = MAX_SCORE / 10
#: The largest amount of money (a need's cost, a budget, the fund), in yuan: a million needs at
#: this cost still sum to far less than 2**63 whole yuan, penalty steps included.
MAX_MONEY = 1e9
#: The largest count a document may give (projects, partners, beneficiaries, served needs):
#: larger ones cannot be meant, and would overflow the solvers' 64-bit integer arithmetic.
MAX_COUNT = 1_000_000_000
#: The largest distance, in km (the Earth's circumference is about 40,000 km).
MAX_DISTANCE_KM = 100_000.0
#: The largest JSON document matcher reads, in bytes (500,000 needs take about 150 MB).
MAX_DOCUMENT_BYTES = 2**30
#: The deepest nesting of arrays and objects in a JSON document (problems nest about 6 deep).
MAX_NESTING = 64

#: A pair score.
Score = Annotated[float, Field(ge=-MAX_SCORE, le=MAX_SCORE)]
#: A score component's weight.
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
#: A soft rule's penalty per unit, or a goal's weight.
Penalty = Annotated[float, Field(ge=0.0, le=MAX_SCORE)]
#: An amount of money, in yuan.
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
#: A count.
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
#: A positive distance, in km.
Distance = Annotated[float, Field(gt=0.0, le=MAX_DISTANCE_KM)]

#: Every byte but quotes and brackets, deleted before the brackets are counted.
_OTHER_BYTES = bytes(sorted(set(range(256)) - set(b'"[]{}')))
#: What each kept byte adds to the depth: an opening bracket 1, a closing one -1, a quote 0.
_DEPTH_STEPS = np.zeros(256, np.int8)
_DEPTH_STEPS[list(b"[{")] = 1
_DEPTH_STEPS[list(b"]}")] = -1


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text after checking its size and nesting depth.

    Raises
    ------
    ProblemError
        When the text is larger than :data:`MAX_DOCUMENT_BYTES`, nested deeper than
        :data:`MAX_NESTING`, not valid JSON or not UTF-8.

    Examples
    --------
    >>> parse_json('{"a": [1, "[[[["]}')
    {'a': [1, '[[[[']}
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ProblemError(
            [Issue.of("", "error.document_size", size=len(data), limit=MAX_DOCUMENT_BYTES)]
        )
    depth = nesting(data)
    if depth > MAX_NESTING:
        raise ProblemError([Issue.of("", "error.document_depth", depth=depth, limit=MAX_NESTING)])
    try:
        # pydantic's parser, about twice as fast, gives what json.loads gives (the same values,
        # numbers and key order); the few documents it refuses that json.loads reads (a lone
        # surrogate escape, a byte-order mark) and the text that is not JSON go to json.loads,
        # which reads them or words the error.
        return pydantic_core.from_json(data)
    except ValueError:
        pass
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        issue = Issue.of(
            "", "error.not_json", reason=error.msg, line=error.lineno, column=error.colno
        )
        raise ProblemError([issue]) from None
    except UnicodeDecodeError as error:
        raise ProblemError([Issue.of("", "error.not_utf8", reason=error.reason)]) from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits())
        raise ProblemError([_long_number(data)]) from None


def _long_number(data: bytes) -> Issue:
    """The issue of the first integer in ``data`` longer than Python converts, with its place."""
    limit = sys.get_int_max_str_digits()
    start, digits = 0, limit + 1
    for found in re.finditer(rb"(?<![\d.])-?\d{%d,}(?![\d.eE])" % (limit + 1), data):
        before = data[: found.start()].replace(b"\\\\", b"").replace(b'\\"', b"")
        if before.count(b'"') % 2 == 0:  # outside every string
            start, digits = found.start(), len(found.group().lstrip(b"-"))
            break
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return Issue.of("", "error.long_number", line=line, column=column, digits=digits, limit=limit)


def nesting(data: bytes) -> int:
    """How deep arrays and objects nest in JSON text (brackets inside strings do not count).

    Examples
    --------
    >>> nesting(b'{"a": [[1], {"b": "]]]"}]}'), nesting(b"7")
    (3, 0)
    """
    if b"[" not in data and b"{" not in data:
        return 0
    # Blank out escapes (pairs of backslashes first, so that a quote after an even run of them
    # stays a quote), keep only quotes and brackets, and count the brackets outside strings.
    if b"\\" in data:
        data = data.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    # Two quotes in a row go: every byte after them keeps its side of the quotes, and the
    # strings without brackets inside (nearly all) vanish.
    kept = data.translate(None, _OTHER_BYTES).replace(b'""', b"")
    codes = np.frombuffer(kept, np.uint8)
    steps = _DEPTH_STEPS[codes]
    if b'"' in kept:
        inside = np.bitwise_xor.accumulate((codes == ord('"')).view(np.uint8)).view(bool)
        steps[inside] = 0
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))
