"""What a dispatch raises when an event cannot happen: every one a :class:`~matcher.MatcherError`.

A command that raises leaves the dispatch exactly as it was: no event is appended, the state does
not change.

Examples
--------
>>> from matcher.dispatch import TransitionError, UnknownIdError
>>> issubclass(UnknownIdError, TransitionError)
True
"""

from __future__ import annotations

from ..errors import MatcherError

__all__ = ["DuplicateEventError", "TransitionError", "UnknownIdError"]


class TransitionError(MatcherError, ValueError):
    """An event that the current state does not allow (accepting a declined offer, rating an
    unfinished project, a second live offer for one need, ...)."""


class UnknownIdError(TransitionError, KeyError):
    """An event names a need or an organization that the dispatch's problem does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateEventError(TransitionError):
    """An event whose sequence number is already taken (recorded twice), or that skips ahead."""
