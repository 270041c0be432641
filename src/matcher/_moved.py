"""Import paths that moved in the new layout: they keep working for one release, with a warning.

Importing this module (``import matcher`` does) puts a stand-in for each old path into ``sys.modules`` (only names under
``matcher.``; nothing is imported ahead of time). Reading a name through an old path warns once
per read with a :class:`DeprecationWarning` naming the new path, then reads the name there::

    from matcher.scoring import weighted   # DeprecationWarning: use matcher.pairs.scoring

The stand-ins are not files, so that an old module path never shadows the function of the same
name (``matcher.solve`` is the function; its module is :mod:`matcher.solving`).

Examples
--------
>>> import warnings
>>> import matcher
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     from matcher.records import PlanRows
>>> PlanRows.__module__
'matcher.plan.records'
>>> print(caught[0].message)
matcher.records is deprecated: import from matcher.plan.records (the old path goes in the next release)
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["MOVED", "install"]

#: Each old module path and the module that holds its names now.
MOVED: dict[str, str] = {
    "matcher.candidates": "matcher.pairs.table",
    "matcher.eligibility": "matcher.pairs.eligibility",
    "matcher.scoring": "matcher.pairs.scoring",
    "matcher.constraints": "matcher.rules.compile",
    "matcher.conflicts": "matcher.solvers.rules.conflicts",
    "matcher.solvers.relaxation": "matcher.solvers.rules.relaxation",
    "matcher.solvers.rounding": "matcher.solvers.rules.rounding",
    "matcher.solvers.repair": "matcher.solvers.rules.repair",
    "matcher.solvers.levels": "matcher.solvers.rules.levels",
    "matcher.solvers.cpsat_rules": "matcher.solvers.rules.cpsat",
    "matcher.solve": "matcher.solving",
    "matcher.solution": "matcher.plan.solution",
    "matcher.records": "matcher.plan.records",
    "matcher.kpis": "matcher.plan.kpis",
    "matcher.verify": "matcher.plan.verification",
    "matcher.variants": "matcher.analysis.variants",
    "matcher.compare": "matcher.analysis.comparison",
    "matcher.sweep": "matcher.analysis.sweeps",
    "matcher.simulate": "matcher.dispatch.simulate",
    "matcher.display": "matcher.report.display",
    "matcher.plots": "matcher.report.plots",
    "matcher.cli_compare": "matcher.cli.compare",
}


class _Moved(ModuleType):
    """Stands in for an old module path; each name read warns and comes from the new module."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(old, f"Deprecated: moved to :mod:`{new}`.")
        self.__dict__["_moved_to"] = new

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            # A tool looking over sys.modules (``__file__``, ``__path__`` ...) reads nothing and
            # is not warned: only a name of the module itself means old code.
            raise AttributeError(name)
        return getattr(self._target(name), name)

    def _target(self, name: str) -> ModuleType:
        new = self.__dict__["_moved_to"]
        warnings.warn(
            f"{self.__name__} is deprecated: import from {new} (the old path goes in the next "
            "release)",
            DeprecationWarning,
            stacklevel=3,
        )
        return importlib.import_module(new)

    def __setattr__(self, name: str, value: Any) -> None:  # a patch reaches the module itself
        self._target(name)
        setattr(importlib.import_module(self.__dict__["_moved_to"]), name, value)

    def __delattr__(self, name: str) -> None:
        self._target(name)
        delattr(importlib.import_module(self.__dict__["_moved_to"]), name)

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self.__dict__["_moved_to"]))


def install() -> None:
    """Put a stand-in for every old path not yet imported into ``sys.modules``.

    The packages do not bind them: ``matcher`` and ``matcher.solvers`` answer an old name from
    ``sys.modules`` when it is read (PEP 562), so that a tool listing a package's names never
    meets a stand-in, and ``matcher.solve`` stays the function.
    """
    for old, new in MOVED.items():
        sys.modules.setdefault(old, _Moved(old, new))


install()
