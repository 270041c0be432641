"""Heavy dependencies imported on first use, so that ``import matcher`` stays fast.

A module that needs pandas, scipy or CP-SAT only on some paths binds a stand-in instead of the
module, and the type checker sees the real import::

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = lazy_module("pandas")

The first attribute read (``pd.DataFrame``) imports the module through the ordinary import
system, under its lock, and later reads go straight to it. Nothing is put into ``sys.modules``
ahead of time: until then the host sees no trace of the module.

Examples
--------
>>> json = lazy_module("json")
>>> json
<module 'json' (imported on first use)>
>>> json.dumps([1, 2])
'[1, 2]'
>>> json
<module 'json' (imported)>
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    """Stands in for a module until an attribute is read; then reads it from the module."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = importlib.import_module(self._name)  # thread-safe: the import lock
            self._module = module
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "imported on first use"
        return f"<module {self._name!r} ({state})>"

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self._name))


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when an attribute is first read.

    Parameters
    ----------
    name
        Absolute module name, such as ``"pandas"`` or ``"scipy.sparse"``.

    Returns
    -------
    Any
        An object whose attributes are the module's (typed ``Any``: import the module under
        ``TYPE_CHECKING`` for the type checker, as above).
    """
    return _LazyModule(name)
