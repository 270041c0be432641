"""The ``matcher`` command (:mod:`~matcher.cli.commands`; ``matcher compare`` in
:mod:`~matcher.cli.compare`)."""

from .commands import build_parser, main

__all__ = ["build_parser", "main"]
