"""The language a person is spoken to in: Chinese or English, by one setting.

``--lang`` on the command line, else ``MATCHER_LANG``, else a Chinese locale; each caller keeps its
own default. The catalog (:mod:`matcher.models.catalog`) holds the texts in both languages and
reads the setting without ever failing (:func:`~matcher.models.catalog.preferred`, which the
errors use to speak); the functions here refuse a setting that is neither ``zh`` nor ``en`` with
an :class:`~matcher.OptionError`.

Examples
--------
>>> checked("en"), language("zh")
('en', 'zh')
"""

from __future__ import annotations

from ..errors import OptionError, echo
from .catalog import Language, given_setting, preferred

__all__ = ["Language", "checked", "language", "setting"]


def checked(language: object) -> Language:
    """``language`` when it is ``"zh"`` or ``"en"``.

    Raises
    ------
    OptionError
        For anything else, in both languages.

    Examples
    --------
    >>> checked("en")
    'en'
    """
    if language == "zh":
        return "zh"
    if language == "en":
        return "en"
    raise OptionError.of("error.language", value=echo(language))


def setting(choice: str | None = None) -> Language | None:
    """The language asked for: ``choice``, else ``MATCHER_LANG``; ``None`` when neither is set.

    Raises
    ------
    OptionError
        When the one that is set is not ``zh`` or ``en``.

    Examples
    --------
    >>> setting("en"), setting(" ZH ")
    ('en', 'zh')
    """
    given = given_setting(choice)
    if given is None:
        return None
    value = given.strip().lower()
    return checked(value) if value in ("zh", "en") else checked(given)


def language(
    choice: str | None = None, default: Language = "zh", *, strict: bool = True
) -> Language:
    """The language to speak: ``choice``, else ``MATCHER_LANG``, else the locale, else ``default``.

    The locale counts only when it is Chinese (``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` starting with
    ``zh``): a non-Chinese locale leaves ``default``, which each caller keeps as it was before there
    was a setting, so that no output changes unless it is asked to.

    Raises
    ------
    OptionError
        When ``choice`` or ``MATCHER_LANG`` is set to something other than ``zh`` or ``en`` (with
        ``strict=False`` such a setting counts as unset instead).

    Examples
    --------
    >>> language("en")
    'en'
    """
    given = given_setting(choice)
    if strict and given is not None and given.strip().lower() not in ("zh", "en"):
        checked(given)  # raises; building its message asks for the language, not strictly
    return preferred(choice, default)
