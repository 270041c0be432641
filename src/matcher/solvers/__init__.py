"""Back ends behind one interface: ``flow`` (exact min-cost flow), ``cpsat`` and ``greedy``."""

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
