"""The exceptions matcher raises: one hierarchy, every one a :class:`MatcherError`.

Examples
--------
>>> import matcher
>>> try:
...     matcher.Problem.from_json('{"regions": [], "organizations": [], "needs": [], "color": 1}')
... except matcher.ProblemError as error:
...     print(error.issues[0])
color: unknown field
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Issue",
    "MatcherError",
    "OptionError",
    "ProblemError",
    "SolverError",
    "UnknownSolverError",
    "echo",
    "shorten",
]

#: The most characters of an input value a message quotes (see :func:`shorten`).
ECHO_LENGTH = 80
#: The most characters of a path or a message an :class:`Issue` keeps.
ISSUE_LENGTH = 1000


def shorten(text: str, limit: int = ECHO_LENGTH) -> str:
    """``text``, cut to ``limit`` characters with "…" when it is longer.

    Every value from the input that a message quotes goes through here, so that an id of ten
    megabytes gives a line, not ten megabytes on stderr.

    Examples
    --------
    >>> shorten("abc"), shorten("x" * 100, 10)
    ('abc', 'xxxxxxxxx…')
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo(value: object, limit: int = ECHO_LENGTH) -> str:
    """An input value as a message quotes it: its ``repr``, cut to ``limit`` characters.

    Examples
    --------
    >>> echo("n1"), echo("9" * 200, 12)
    ("'n1'", "'9999999999…")
    """
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # do not copy ten megabytes to cut them
    return shorten(repr(value), limit)


class MatcherError(Exception):
    """Base class of every error matcher raises on purpose."""


@dataclass(frozen=True, order=True)
class Issue:
    """One problem found in an input document.

    Parameters
    ----------
    path
        Where the problem is, as a JSON path (``needs[3].region``); empty for the whole document.
    message
        What is wrong, in plain words.
    """

    path: str
    message: str

    def __post_init__(self) -> None:
        # A path or a message built from a huge input (a key of ten megabytes) stays readable.
        object.__setattr__(self, "path", shorten(self.path, ISSUE_LENGTH))
        object.__setattr__(self, "message", shorten(self.message, ISSUE_LENGTH))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ProblemError(MatcherError):
    """A problem document is invalid; :attr:`issues` lists every problem found, not just the first."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: list[Issue] = list(issues)
        count = len(self.issues)
        head = f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__("\n  ".join([head, *(str(issue) for issue in self.issues)]))


class OptionError(MatcherError, ValueError):
    """An argument to a matcher function is out of range or of the wrong kind."""


class UnknownSolverError(OptionError):
    """A solver name that matcher does not know."""


class SolverError(MatcherError, RuntimeError):
    """A back end failed in a way that leaves no plan to return."""
