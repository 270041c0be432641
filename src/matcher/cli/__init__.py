"""The ``matcher`` command (:mod:`~matcher.cli.commands`; ``matcher compare`` in
:mod:`~matcher.cli.compare`)."""

from .commands import main

__all__ = ["main"]
