"""The network-shaped solve by the fastest exact algorithm for its shape, each plan proven by prices.

Where every organization takes at most one need, the model is a rectangular assignment, and
assignment algorithms beat a generic min-cost flow by a wide margin on dense and on moderately
sparse pairs. Where the pairs are few or an organization takes several needs, the flow is as fast
or faster, and it solves those. The measurements behind the thresholds below are in
``benchmarks/RESULTS.md`` (section *Plain assignment against the assignment solvers*).

- **dense** (at least :data:`DENSE_SHARE` of the need x organization matrix): ``linear_sum_
  assignment`` maximizing the score matrix, with 0 where there is no pair, so that a need matched
  at 0 is left unmet;
- **sparse** (at least :data:`SPARSE_PAIRS_PER_NEED` pairs per need): ``min_weight_full_bipartite_
  matching`` on the pairs plus one "unmet" column per need, every weight raised by the same constant
  (every need is matched, so the constant adds the same to every plan, and no weight is 0, which a
  sparse matrix would drop);
- otherwise, or with several slots per organization, OR-Tools' min-cost flow
  (:class:`~matcher.solvers.flow.FlowSolver`, the reference).

Every algorithm reads the integers the flow rounds the scores to (the same scale, so the same
meaning of optimal and the same ``tolerance``). A plan from an assignment algorithm is returned only
with prices that prove it optimal on those integers (:mod:`matcher.solvers.prices`); when they do
not, the flow solves the model instead, and ``stats["fallback"]`` says why.

Examples
--------
>>> model = AssignmentModel(3, 3, need=np.array([0, 0, 1, 1, 2, 2]),
...                         org=np.array([0, 1, 0, 1, 1, 2]),
...                         score=np.array([3.0, 2.0, 2.0, 0.5, 4.0, -1.0]),
...                         capacity=np.array([1, 1, 1]))
>>> result = NetworkSolver().solve(model)
>>> result.chosen.tolist(), result.objective, result.stats["algorithm"]
([0, 4], 7.0, 'dense')
>>> result.objective == FlowSolver().solve(model).objective
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .._lazy import lazy_module
from .base import AssignmentModel, IntArray, Solver, SolverResult, Status
from .budget import Budget
from .flow import FlowSolver, scaled
from .prices import (
    Prices,
    certify,
    certify_complete,
    least_prices,
    least_prices_complete,
)

if TYPE_CHECKING:
    import scipy.optimize as _optimize
    import scipy.sparse as _scipy_sparse
    from scipy.sparse import csgraph as _csgraph
else:
    _optimize = lazy_module("scipy.optimize")
    _scipy_sparse = lazy_module("scipy.sparse")
    _csgraph = lazy_module("scipy.sparse.csgraph")

__all__ = [
    "DENSE_CELLS",
    "DENSE_SHARE",
    "SPARSE_PAIRS_PER_NEED",
    "NetworkSolver",
    "choose",
]

#: The dense algorithm from this share of the need x organization matrix holding a pair on
#: (measured on square matrices: the sparse matching is faster at 2-20% of the pairs, the dense
#: algorithm twice as fast when every pair is there).
DENSE_SHARE = 0.3
#: ... and up to this many matrix cells (25 million: 200 MB of scores).
DENSE_CELLS = 25_000_000
#: The sparse matching from this many pairs per need on (below, the flow is as fast).
SPARSE_PAIRS_PER_NEED = 20


class NetworkSolver(Solver):
    """The network-shaped model by the fastest exact algorithm for its shape (see the module).

    It reports itself as ``flow``: it solves the flow's model, to the flow's tolerance, and the
    plan is the flow's in score. ``stats["algorithm"]`` says which algorithm found it:
    ``dense``, ``sparse`` or ``flow``.

    Parameters
    ----------
    algorithm
        ``None`` (chosen by the model's shape, :func:`choose`), or ``dense``, ``sparse`` or
        ``flow`` for every model where each organization has at most one slot (the flow takes
        the others).
    """

    name = "flow"
    exact = True

    def __init__(self, algorithm: str | None = None):
        self.algorithm = algorithm

    def solve(
        self,
        model: AssignmentModel,
        *,
        time_limit: float = 10.0,
        seed: int = 0,
        hint: IntArray | None = None,
        budget: Budget | None = None,
    ) -> SolverResult:
        started = time.perf_counter()
        forced = self.algorithm is not None and not (model.capacity > 1).any()
        algorithm = self.algorithm if forced and self.algorithm else choose(model)
        if algorithm == "flow":
            return _flow(model, time_limit)
        positive = np.flatnonzero(model.score > 0)
        w, scale = scaled(model, positive)
        built = time.perf_counter()
        if algorithm == "dense" and positive.size == model.n_pairs and _complete(model):
            taken, proof = _solve_complete(model, w)
        else:
            taken, proof = _solve_pairs(algorithm, model, positive, w)
        solved = time.perf_counter()
        prices = proof()
        if prices is None:
            result = _flow(model, time_limit)
            result.stats["fallback"] = f"the {algorithm} plan has no certificate"
            return result
        chosen = np.sort(positive[taken])
        objective = model.objective(chosen)
        return SolverResult(
            status=Status.OPTIMAL,
            chosen=chosen,
            objective=objective,
            bound=objective,
            stats={
                "algorithm": algorithm,
                "scale": scale,
                "tolerance": min(model.n_needs, int(model.capacity.sum())) / scale,
                "build_seconds": built - started,
                "solve_seconds": solved - built,
                "certificate_seconds": time.perf_counter() - solved,
                "price_passes": prices.passes,
            },
        )


#: A plan's proof, found when called: its certified prices, or ``None`` (no certificate).
Proof = Callable[[], Prices | None]


def _complete(model: AssignmentModel) -> bool:
    """Whether the pairs are every (need, organization), in row-major order, every organization
    with a slot."""
    n, m = model.n_needs, model.n_orgs
    if n * m == 0 or model.n_pairs != n * m or not (model.capacity > 0).all():
        return False
    return bool(
        (model.org.reshape(n, m) == np.arange(m)).all()
        and (model.need.reshape(n, m) == np.arange(n)[:, None]).all()
    )


def _solve_complete(model: AssignmentModel, w: IntArray) -> tuple[IntArray, Proof]:
    """The dense algorithm on a complete model: the integer scores are the matrix itself."""
    n, m = model.n_needs, model.n_orgs
    matrix = w.reshape(n, m)
    rows, columns = _optimize.linear_sum_assignment(matrix.astype(np.float64), maximize=True)
    holder = np.full(n, -1, np.int64)
    holder[rows] = columns  # every score is positive: every match adds

    def proof() -> Prices | None:
        prices = least_prices_complete(matrix, holder)
        proven = prices is not None and certify_complete(matrix, model.capacity, holder, prices)
        return prices if proven else None

    return rows * m + columns, proof


def _solve_pairs(
    algorithm: str, model: AssignmentModel, positive: IntArray, w: IntArray
) -> tuple[IntArray, Proof]:
    """The dense or sparse algorithm on the positive pairs: positions among them of the pairs a
    best assignment takes, and its proof."""
    n, m = model.n_needs, model.n_orgs
    every = positive.size == model.n_pairs  # then no copy of the pairs
    need, org = (model.need, model.org) if every else (model.need[positive], model.org[positive])
    # Organizations with no slot take no need: drop them from the matrix.
    usable = np.flatnonzero(model.capacity > 0)
    first = None
    if usable.size == m and algorithm == "dense":
        taken, first = _dense(n, m, need, org, w)
    elif need.size:
        column = np.full(m, -1, np.int64)
        column[usable] = np.arange(usable.size)
        local = np.flatnonzero(column[org] >= 0)
        match = _dense if algorithm == "dense" else _sparse
        if local.size:
            local = local[match(n, usable.size, need[local], column[org[local]], w[local])[0]]
        taken = local
    else:
        taken = np.zeros(0, np.int64)

    def proof() -> Prices | None:
        prices = least_prices(need, org, w, taken, n_needs=n, n_orgs=m, first=first)
        proven = prices is not None and certify(need, org, w, model.capacity, taken, prices)
        return prices if proven else None

    return taken, proof


def choose(model: AssignmentModel) -> str:
    """The algorithm for ``model``'s shape: ``dense``, ``sparse`` or ``flow`` (see the module).

    Examples
    --------
    >>> square = AssignmentModel(2, 2, np.array([0, 0, 1]), np.array([0, 1, 0]),
    ...                          np.ones(3), np.array([1, 1]))
    >>> choose(square)
    'dense'
    >>> from dataclasses import replace
    >>> choose(replace(square, capacity=np.array([2, 1])))
    'flow'
    """
    if model.n_pairs == 0 or model.n_needs == 0 or (model.capacity > 1).any():
        return "flow"
    n_orgs = int((model.capacity > 0).sum())
    cells = model.n_needs * n_orgs
    if 0 < cells <= DENSE_CELLS and model.n_pairs >= DENSE_SHARE * cells:
        return "dense"
    if model.n_pairs >= SPARSE_PAIRS_PER_NEED * model.n_needs:
        return "sparse"
    return "flow"


def _flow(model: AssignmentModel, time_limit: float) -> SolverResult:
    result = FlowSolver().solve(model, time_limit=time_limit)
    result.stats["algorithm"] = "flow"
    return result


def _dense(n: int, m: int, need: IntArray, org: IntArray, w: IntArray) -> tuple[IntArray, IntArray]:
    """Positions of the pairs a best assignment takes, on the score matrix (0 off the pairs), and
    each organization's best bid at prices 0 (the first pass of :func:`least_prices`)."""
    complete = need.size == n * m and n * m and (np.diff(need * m + org) > 0).all()
    if complete:
        matrix = w.reshape(n, m).astype(np.float64)  # every pair, in order: the matrix itself
    else:
        matrix = np.zeros((n, m))
        matrix[need, org] = w
    rows, columns = _optimize.linear_sum_assignment(matrix, maximize=True)
    taken = matrix[rows, columns] > 0
    rows, columns = rows[taken], columns[taken]
    surplus = np.zeros(n)
    surplus[rows] = matrix[rows, columns]
    first = np.maximum((matrix - surplus[:, None]).max(axis=0, initial=0.0), 0.0)
    taken_pairs = rows * m + columns if complete else _locate(need, org, m, rows, columns)
    return taken_pairs, first.astype(np.int64)


def _sparse(n: int, m: int, need: IntArray, org: IntArray, w: IntArray) -> tuple[IntArray, None]:
    """Positions of the pairs a best assignment takes, by the sparse matching with unmet columns."""
    lift = float(w.max()) + 1.0
    weights = np.concatenate([w + lift, np.full(n, lift)])
    rows = np.concatenate([need, np.arange(n)])
    columns = np.concatenate([org, m + np.arange(n)])
    graph = _scipy_sparse.csr_matrix((weights, (rows, columns)), shape=(n, m + n))
    _, matched = _csgraph.min_weight_full_bipartite_matching(graph, maximize=True)
    real = np.flatnonzero(matched < m)
    return _locate(need, org, m, real, matched[real]), None


def _locate(need: IntArray, org: IntArray, m: int, rows: IntArray, columns: IntArray) -> IntArray:
    """Positions of the pairs (``rows[i]``, ``columns[i]``) among (``need``, ``org``)."""
    key = need * m + org
    order = None if (np.diff(key) > 0).all() else np.argsort(key, kind="stable")
    found = np.searchsorted(key if order is None else key[order], rows * m + columns)
    return found if order is None else order[found]
