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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self

__all__ = [
    "Issue",
    "MatcherError",
    "OptionError",
    "PlanError",
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
    """Base class of every error matcher raises on purpose.

    ``message_zh``, when given, is the message in Chinese, ``message_en`` the one in English (by
    default the message itself); :meth:`of` takes both from the catalog.
    """

    message_zh: str = ""
    message_en: str = ""

    def __init__(self, *args: object, message_zh: str = "", message_en: str = "") -> None:
        super().__init__(*args)
        self.message_zh = message_zh
        self.message_en = message_en or (str(args[0]) if args else "")

    @classmethod
    def of(cls, key: str, *, said: Mapping[str, str] | None = None, **fields: Any) -> Self:
        """The error whose message is the catalog's text ``key``, in English and in Chinese;
        ``str(error)`` is the one in the language of the setting (see :func:`_speaking`).

        ``said`` maps a field to the catalog key of the words that fill it, in each language.

        Examples
        --------
        >>> error = OptionError.of("error.unknown_need", id="'n9'")
        >>> error.text("en"), error.text("zh")
        ("unknown need 'n9'", "未知的需求 'n9'")
        >>> error = OptionError.of("error.need_cancelled", need="n1", said={"action": "action.rate"})
        >>> error.text("en"), error.text("zh")
        ('cannot rate n1: the need was cancelled', '不能评价 n1:该需求已取消')
        """
        from .models import catalog

        def message(language: Literal["zh", "en"]) -> str:
            words = {name: catalog.text(k, language) for name, k in (said or {}).items()}
            return catalog.text(key, language, **fields, **words)

        en, zh = message("en"), message("zh")
        return cls(zh if _speaking() == "zh" else en, message_zh=zh, message_en=en)

    def text(self, language: Literal["zh", "en"] = "en") -> str:
        """The message in ``language``; English where no Chinese one was given."""
        if language == "zh" and self.message_zh:
            return self.message_zh
        return self.message_en or str(self)


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
    message_zh: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        # A path or a message built from a huge input (a key of ten megabytes) stays readable.
        object.__setattr__(self, "path", shorten(self.path, ISSUE_LENGTH))
        object.__setattr__(self, "message", shorten(self.message, ISSUE_LENGTH))
        object.__setattr__(self, "message_zh", shorten(self.message_zh, ISSUE_LENGTH))

    @classmethod
    def of(cls, path: str, key: str, **fields: Any) -> Self:
        """An issue whose message is the catalog's text ``key`` (see :mod:`matcher.models.catalog`),
        in English and in Chinese.

        Examples
        --------
        >>> issue = Issue.of("needs[0].region", "error.unknown_region", id="'r9'")
        >>> print(issue)
        needs[0].region: unknown region 'r9'
        >>> print(issue.text("zh"))
        needs[0].region: 未知的地区 'r9'
        """
        from .models import catalog  # the catalog's package imports this module

        return cls(path, catalog.text(key, "en", **fields), catalog.text(key, "zh", **fields))

    def text(self, language: Literal["zh", "en"] = "en") -> str:
        """``path: message`` in ``language``; English where the issue has no Chinese message."""
        message = self.message_zh if language == "zh" and self.message_zh else self.message
        return f"{self.path}: {message}" if self.path else message

    def __str__(self) -> str:
        return self.text("en")


class ProblemError(MatcherError):
    """A problem document is invalid; :attr:`issues` lists every problem found, not just the first."""

    #: The catalog's head line for one issue and for several.
    _heads = ("error.problem", "error.problems")

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: list[Issue] = list(issues)
        super().__init__(self.text(_speaking()))

    def text(self, language: Literal["zh", "en"] = "en") -> str:
        """A head line, then one issue per line, in ``language``.

        Examples
        --------
        >>> error = ProblemError([Issue.of("a", "error.missing"), Issue("b", "too big")])
        >>> print(error.text("zh"))
        输入中有 2 处问题
          a: 缺少必填字段
          b: too big
        """
        from .models import catalog

        count = len(self.issues)
        head = catalog.text(self._heads[count != 1], language, count=count)
        return "\n  ".join([head, *(issue.text(language) for issue in self.issues)])


class PlanError(ProblemError):
    """A plan document (:meth:`matcher.Solution.from_json`) is invalid; :attr:`issues` lists
    what is wrong."""

    _heads = ("error.plan_problem", "error.plan_problems")


class OptionError(MatcherError, ValueError):
    """An argument to a matcher function is out of range or of the wrong kind."""


class UnknownSolverError(OptionError):
    """A solver name that matcher does not know."""


class SolverError(MatcherError, RuntimeError):
    """A back end failed in a way that leaves no plan to return."""


def _speaking() -> Literal["zh", "en"]:
    """The language of ``str(error)``: ``MATCHER_LANG``, else Chinese in a Chinese locale, else
    English (an invalid ``MATCHER_LANG`` counts as unset here; the command line reports it)."""
    from .models import catalog

    return catalog.preferred(default="en")
