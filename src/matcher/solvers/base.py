"""What every back end shares: the numeric model it reads, the result it returns, one status enum."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ..models.rules import Goal
from ..rules.compile import RuleSet
from .budget import Budget

__all__ = [
    "COEFFICIENT_CEILING",
    "CPSAT_STATUS",
    "AssignmentModel",
    "SideRules",
    "Solver",
    "SolverResult",
    "Status",
    "integer_scores",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Status(StrEnum):
    """Outcome of a solve, the same for every back end."""

    OPTIMAL = "optimal"  #: the plan is proven best (to the documented tolerance)
    FEASIBLE = "feasible"  #: a valid plan, not proven best; ``bound`` says how far it may be
    INFEASIBLE = "infeasible"  #: the hard rules cannot all hold
    UNKNOWN = "unknown"  #: no plan was found in time


#: Each CP-SAT answer as a :class:`Status`, by the status codes of CP-SAT's proto
#: (``CpSolverStatus`` in ``ortools.sat.cp_model_pb2``, which the solver's answers equal and hash
#: as; written out so that ``import matcher`` does not load CP-SAT); every CP-SAT model of the
#: package reads its answer here.
CPSAT_STATUS: dict[object, Status] = {
    4: Status.OPTIMAL,  # cp_model_pb2.OPTIMAL
    2: Status.FEASIBLE,  # cp_model_pb2.FEASIBLE
    3: Status.INFEASIBLE,  # cp_model_pb2.INFEASIBLE
}

#: Largest integer objective coefficient handed to CP-SAT: its LP stalls on larger ones (see
#: :mod:`matcher.solvers.cpsat`).
COEFFICIENT_CEILING = 2.0**22


@dataclass(frozen=True, eq=False)
class SideRules:
    """What CP-SAT needs beyond the plain assignment: rules, partnerships, money, goals."""

    rules: RuleSet
    partners: IntArray  # per need
    lead_needed: BoolArray  # per need
    pair_primary: BoolArray  # per pair: the organization is of a primary type for the category
    need_cost: FloatArray
    capacity_building: BoolArray
    org_budget: FloatArray
    key_need: BoolArray
    goals: tuple[Goal, ...]
    goal_mode: str
    fairness_groups: list[list[IntArray]] = field(default_factory=list)  # per fairness goal
    servable: BoolArray = field(default_factory=lambda: np.zeros(0, bool))


@dataclass(frozen=True, eq=False)
class AssignmentModel:
    """The capacity-constrained assignment every back end solves.

    Pairs are the candidate table's rows: ``need[p]`` may take ``org[p]`` for ``score[p]``. Each need
    takes at most one organization and organization ``o`` at most ``capacity[o]`` needs. A pair whose
    score is not positive is never worth taking, and no back end takes it unless it is ``fixed``:
    fixed pairs (accepted offers) are in every plan. ``scale``, when given, is the factor integer
    back ends round scores with (a part of a larger model keeps the whole's, so that both round
    alike).
    """

    n_needs: int
    n_orgs: int
    need: IntArray
    org: IntArray
    score: FloatArray
    capacity: IntArray
    fixed: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    side: SideRules | None = None
    scale: float | None = None

    @property
    def n_pairs(self) -> int:
        return int(self.need.size)

    def residual(self) -> tuple[AssignmentModel, IntArray]:
        """The model left once the fixed pairs are taken, and the original index of each of its pairs.

        Examples
        --------
        >>> model = AssignmentModel(2, 1, np.array([0, 1]), np.array([0, 0]), np.array([1.0, 2.0]),
        ...                         np.array([2]), fixed=np.array([0]))
        >>> rest, back = model.residual()
        >>> rest.need.tolist(), rest.capacity.tolist(), back.tolist()
        ([1], [1], [1])
        """
        taken = np.zeros(self.n_needs, bool)
        taken[self.need[self.fixed]] = True
        keep = np.flatnonzero(~taken[self.need])
        capacity = self.capacity - np.bincount(self.org[self.fixed], minlength=self.n_orgs)
        rest = AssignmentModel(
            self.n_needs, self.n_orgs, self.need[keep], self.org[keep], self.score[keep], capacity
        )
        return rest, keep

    def objective(self, chosen: IntArray) -> float:
        """Total score of the chosen pairs, summed in pair order."""
        return float(np.sum(self.score[np.sort(chosen)]))


@dataclass(frozen=True, eq=False)
class SolverResult:
    """What a back end returns: the chosen pairs (indices into the model's pairs) and its claims."""

    status: Status
    chosen: IntArray
    objective: float
    bound: float
    stats: dict[str, float | int | str] = field(default_factory=dict)


class Solver(ABC):
    """A back end. Subclasses set :attr:`name` and implement :meth:`solve`."""

    #: the name ``matcher.solve(..., solver=name)`` selects it by
    name: ClassVar[str]
    #: whether it proves optimality (``optimal`` status) when it finishes
    exact: ClassVar[bool]
    #: whether it enforces counting rules, goals and partnerships (``AssignmentModel.side``)
    handles_rules: ClassVar[bool] = False

    @abstractmethod
    def solve(
        self,
        model: AssignmentModel,
        *,
        time_limit: float,
        seed: int,
        hint: IntArray | None = None,
        budget: Budget | None = None,
    ) -> SolverResult:
        """Solve ``model``; ``hint`` is a set of chosen pairs to start from, when the back end can.

        ``budget``, when given, is the whole call's allowance of work and time (``time_limit`` is
        then the seconds left on it); a back end that searches spends its work from it and stops
        at its deadline, and records there when the deadline stopped it.
        """


def integer_scores(
    score: FloatArray, n_nodes: int, ceiling: float = 2.0**40
) -> tuple[IntArray, float]:
    """Scale float scores to integers for integer back ends.

    The largest score maps to ``min(ceiling, 2**62 / (n_nodes + 1)**2)``, which keeps the cost
    scaling of OR-Tools' min-cost flow free of overflow. The rounding error of a plan of ``k``
    pairs is at most ``k / (2 * scale)``; two plans' scores are compared to within ``k / scale``.

    Returns
    -------
    (integers, scale)
        ``integers = round(score * scale)``.

    Examples
    --------
    >>> integers, scale = integer_scores(np.array([0.5, 1.0]), n_nodes=4, ceiling=1000.0)
    >>> integers.tolist(), scale
    ([500, 1000], 1000.0)
    """
    top = float(np.max(np.abs(score))) if score.size else 0.0
    if top == 0.0:
        return np.zeros(score.shape, np.int64), 1.0
    largest = max(1.0, float(np.floor(min(ceiling, 2.0**62 / float(n_nodes + 1) ** 2))))
    # Divide first: ``largest / top`` overflows for scores near the smallest floats.
    integers = np.rint(score / top * largest).astype(np.int64)
    return integers, min(largest / top, 1e300)
