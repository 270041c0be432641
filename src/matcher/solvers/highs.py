"""Integer programs solved by HiGHS through highspy, silent from the first call.

HiGHS prints a banner and its log to the process's standard output unless ``output_flag`` is off
before any other call; highspy's ``Highs`` class makes a call in its constructor, so the C++ class
underneath (``highspy._Highs``, which highspy exports) is used and the option set first. No file
descriptor is touched. A search stops at a node limit (the same work on any machine) or at the
budget's deadline, which is then recorded.

Examples
--------
>>> import numpy as np
>>> from scipy import sparse
>>> from matcher.solvers.budget import Budget
>>> a = sparse.csc_array(np.array([[1.0, 1.0, 1.0]]))  # at most two of three items
>>> program = IntegerProgram(
...     np.array([-3.0, -2.0, -1.0]), a, np.array([-np.inf]), np.array([2.0]),
...     np.zeros(3), np.ones(3), np.ones(3, bool))
>>> x = solve_integer_program(program, budget=Budget.start(5.0), node_limit=100)
>>> (x > 0.5).tolist()
[True, True, False]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from highspy import HighsModelStatus, HighsVarType, MatrixFormat, ObjSense
from highspy._core import _Highs
from scipy import sparse

from .budget import Budget

__all__ = ["IntegerProgram", "LinearSolver", "solve_integer_program"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Statuses under which HiGHS' best plan stands (proven, or stopped by a limit with a plan).
_PLAN = {
    HighsModelStatus.kOptimal,
    HighsModelStatus.kSolutionLimit,
    HighsModelStatus.kTimeLimit,
    HighsModelStatus.kIterationLimit,
    HighsModelStatus.kInterrupt,
}

#: HiGHS' ``simplex_strategy`` for the primal simplex.
_PRIMAL_SIMPLEX = 4


@dataclass(frozen=True, eq=False)
class IntegerProgram:
    """Minimize ``c @ x`` subject to ``row_lower <= a @ x <= row_upper``, ``lower <= x <= upper``,
    and ``x`` whole where ``integral``; infinite bounds are HiGHS' infinity."""

    c: FloatArray
    a: sparse.csc_array
    row_lower: FloatArray
    row_upper: FloatArray
    lower: FloatArray
    upper: FloatArray
    integral: BoolArray


def solve_integer_program(
    program: IntegerProgram,
    *,
    budget: Budget,
    node_limit: int,
    gap: float = 1e-5,
    presolve: bool = True,
    phase: str = "integer program",
) -> FloatArray | None:
    """Solve ``program`` with HiGHS' branch and bound.

    Parameters
    ----------
    program
        The program.
    budget
        The call's budget: HiGHS stops at its deadline (``phase`` is then recorded as capped).
    node_limit
        Branch-and-bound nodes HiGHS may explore: the limit that makes its answer repeatable.
    gap
        Relative gap at which HiGHS stops.
    presolve
        Whether HiGHS presolves the program: worth it where most columns are fixed (a
        neighbourhood of a plan), not on a program that is nearly whole already (an LP's vertex).

    Returns
    -------
    numpy.ndarray or None
        The best values HiGHS found, ``None`` when it found none (infeasible, or out of nodes
        or time first).
    """
    seconds = budget.seconds_left()
    if seconds <= 0:
        budget.cap(phase)
        return None
    highs = _configured(seconds, node_limit, gap, presolve)
    _pass_model(highs, program)
    highs.run()
    status = highs.getModelStatus()
    if status == HighsModelStatus.kTimeLimit:
        budget.cap(phase)
    if status not in _PLAN or highs.getInfo().primal_solution_status != 2:
        return None
    return np.asarray(highs.getSolution().col_value, np.float64)


def _configured(seconds: float, node_limit: int, gap: float, presolve: bool) -> _Highs:
    """A silent HiGHS with its limits set (see :func:`solve_integer_program`)."""
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(seconds))
    highs.setOptionValue("mip_max_nodes", int(node_limit))
    highs.setOptionValue("mip_rel_gap", float(gap))
    # Symmetry detection costs more than it saves on these programs (10,000 needs: the rounding's
    # root node in half the time, to the same plan).
    highs.setOptionValue("presolve", "on" if presolve else "off")
    highs.setOptionValue("mip_detect_symmetry", False)
    return highs


def _pass_model(highs: _Highs, program: IntegerProgram) -> None:
    """Hand ``program`` to ``highs`` column-wise, infinite bounds as HiGHS' infinity."""
    c, lower, upper = program.c, program.lower, program.upper
    matrix = sparse.csc_array(program.a)
    matrix.sort_indices()
    inf = np.inf
    highs.passModel(
        int(c.size),
        int(matrix.shape[0]),
        int(matrix.nnz),
        int(MatrixFormat.kColwise),
        int(ObjSense.kMinimize),
        0.0,
        np.ascontiguousarray(c, np.float64),
        np.ascontiguousarray(lower, np.float64),
        np.ascontiguousarray(upper, np.float64),
        np.nan_to_num(np.asarray(program.row_lower, np.float64), neginf=-inf),
        np.nan_to_num(np.asarray(program.row_upper, np.float64), posinf=inf),
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
        np.where(
            program.integral, int(HighsVarType.kInteger), int(HighsVarType.kContinuous)
        ).astype(np.int32),
    )


def _entries(
    matrix: sparse.csr_array | sparse.csc_array,
) -> tuple[int, IntArray, IntArray, FloatArray]:
    """A compressed matrix's entries as HiGHS reads new rows or columns: their count, where each
    row (column) starts, their indices and their values."""
    return (
        int(matrix.nnz),
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
    )


class LinearSolver:
    """One LP kept in a silent HiGHS, solved again from its last basis after each change.

    Where one relaxation is solved several times (another objective, a row added, a bound moved),
    the dual simplex from the previous basis takes a fraction of a cold solve. ``program``'s
    ``integral`` is ignored: every column is continuous.

    Examples
    --------
    >>> a = sparse.csc_array(np.array([[1.0, 1.0]]))
    >>> lp = LinearSolver(IntegerProgram(np.array([-1.0, -2.0]), a, np.array([-np.inf]),
    ...     np.array([1.5]), np.zeros(2), np.ones(2), np.zeros(2, bool)))
    >>> lp.solve(Budget.start(5.0), "lp")[0]
    -2.5
    >>> row = lp.add_rows(sparse.csr_array(np.array([[0.0, 1.0]])), np.array([-np.inf]), np.array([0.25]))
    >>> lp.solve(Budget.start(5.0), "lp")[0]
    -1.5
    """

    def __init__(self, program: IntegerProgram) -> None:
        self.n_cols = int(program.c.size)
        self.highs = _configured(np.inf, 0, 0.0, True)
        continuous = replace(program, integral=np.zeros(self.n_cols, bool))
        _pass_model(self.highs, continuous)

    def objective(self, c: FloatArray) -> None:
        """Minimize ``c @ x`` from now on (columns past ``c``'s end cost nothing)."""
        cost = np.zeros(self.n_cols)
        cost[: c.size] = c
        self.highs.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), cost)

    def add_rows(self, a: sparse.csr_array, lower: FloatArray, upper: FloatArray) -> IntArray:
        """Rows ``lower <= a @ x <= upper``; their indices, for :meth:`row_bounds`."""
        first = int(self.highs.getNumRow())
        matrix = sparse.csr_array(a)
        matrix.sort_indices()
        self.highs.addRows(
            int(matrix.shape[0]),
            np.asarray(lower, np.float64),
            np.asarray(upper, np.float64),
            *_entries(matrix),
        )
        return np.arange(first, first + matrix.shape[0], dtype=np.int64)

    def row_bounds(self, rows: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Move the bounds of ``rows``."""
        self.highs.changeRowsBounds(  # type: ignore[attr-defined]
            int(rows.size),
            rows.astype(np.int32),
            np.asarray(lower, np.float64),
            np.asarray(upper, np.float64),
        )

    def column_bounds(self, cols: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Move the bounds of ``cols``."""
        self.highs.changeColsBounds(
            int(cols.size),
            cols.astype(np.int32),
            np.asarray(lower, np.float64),
            np.asarray(upper, np.float64),
        )

    def add_columns(
        self, c: FloatArray, a: sparse.csc_array, lower: FloatArray, upper: FloatArray
    ) -> None:
        """Columns ``a`` (one per entry of ``c``) costing ``c``, bounded by ``lower`` and
        ``upper``, after the existing ones; the next solves run the primal simplex from the last
        basis, which stays primal feasible when columns join at a bound.

        Examples
        --------
        >>> one = sparse.csc_array(np.array([[1.0]]))  # one row: at most one unit in all
        >>> lp = LinearSolver(IntegerProgram(np.array([-1.0]), one, np.array([-np.inf]),
        ...     np.array([1.0]), np.zeros(1), np.full(1, 2.0), np.zeros(1, bool)))
        >>> lp.solve(Budget.start(5.0), "lp")[0]
        -1.0
        >>> lp.add_columns(np.array([-3.0]), one, np.zeros(1), np.full(1, 2.0))
        >>> lp.solve(Budget.start(5.0), "lp")[0], lp.row_duals().tolist()
        (-3.0, [-3.0])
        """
        matrix = sparse.csc_array(a)
        matrix.sort_indices()
        self.highs.addCols(
            int(c.size),
            np.asarray(c, np.float64),
            np.asarray(lower, np.float64),
            np.asarray(upper, np.float64),
            *_entries(matrix),
        )
        self.n_cols += int(c.size)
        self.highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)

    def row_duals(self) -> FloatArray:
        """The rows' dual values at the last solve (HiGHS' sign: the reduced costs are
        ``c - a.T @ duals``)."""
        return np.asarray(self.highs.getSolution().row_dual, np.float64)

    def solve(self, budget: Budget, phase: str) -> tuple[float, FloatArray] | None:
        """The optimum and the values there (a vertex); ``(inf, empty)`` when infeasible,
        ``None`` when the deadline (recorded as a cap) or anything else stopped HiGHS first."""
        seconds = budget.seconds_left()
        if seconds <= 0:
            budget.cap(phase)
            return None
        self.highs.setOptionValue("time_limit", float(seconds))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == HighsModelStatus.kInfeasible:
            return np.inf, np.zeros(0)
        if status != HighsModelStatus.kOptimal:
            if status == HighsModelStatus.kTimeLimit:
                budget.cap(phase)
            return None
        values = np.asarray(self.highs.getSolution().col_value, np.float64)
        return float(self.highs.getInfo().objective_function_value), values
