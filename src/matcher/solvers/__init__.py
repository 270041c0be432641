"""Back ends behind one interface: ``flow`` (exact min-cost flow), ``cpsat`` and ``greedy``."""

import sys as _sys
from typing import TYPE_CHECKING

from .base import AssignmentModel, Solver, SolverResult, Status
from .cpsat import CpSatSolver
from .flow import FlowSolver
from .greedy import GreedySolver

__all__ = [
    "SOLVERS",
    "AssignmentModel",
    "CpSatSolver",
    "FlowSolver",
    "GreedySolver",
    "Solver",
    "SolverResult",
    "Status",
]

#: Back ends by name, as ``matcher.solve(..., solver=name)`` selects them.
SOLVERS: dict[str, type[Solver]] = {
    FlowSolver.name: FlowSolver,
    CpSatSolver.name: CpSatSolver,
    GreedySolver.name: GreedySolver,
}

if not TYPE_CHECKING:  # the type checker would take any name __getattr__ may answer

    def __getattr__(name: str) -> object:
        """An old module path (``matcher.solvers.cpsat_rules`` ...): its stand-in, which warns
        when read (see :mod:`matcher._moved`)."""
        moved = _sys.modules.get(f"{__name__}.{name}")
        if moved is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return moved
