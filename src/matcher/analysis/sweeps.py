"""Sweeps: solve many variants of a problem at once and get one tidy table back.

:func:`sweep` solves each variant (a :class:`~matcher.analysis.variants.Variant` recipe, a policy change,
or a ready :class:`~matcher.Problem`) serially or on any :class:`concurrent.futures.Executor`
(a process pool, a thread pool, or a Dask cluster through ``client.get_executor()`` or the client
itself), with an optional progress bar. Rows come back in the order of the variants whatever
order they finish in; a variant that fails reports its error in its row and the others go on.

:func:`frontier` sweeps one score weight and flags the Pareto-efficient plans of two goals, for
example the coverage of key assistance areas against the total score under the base policy.

Examples
--------
>>> import matcher
>>> from matcher import variants
>>> base = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
>>> table = sweep(base, variants.policy_grid({"priority": [0, 3, 9]}))
>>> table["variant"].tolist()
['weights.priority=0', 'weights.priority=3', 'weights.priority=9']
>>> table["status"].tolist(), table["error"].tolist()
(['optimal', 'optimal', 'optimal'], ['', '', ''])
>>> list(table.columns[:3])
['variant', 'weights.priority', 'status']
"""

from __future__ import annotations

import math
import pickle
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .._lazy import lazy_module
from ..errors import OptionError
from ..models import Category, Priority, Problem
from ..plan.solution import Solution
from ..solvers import Solver
from .variants import Variant

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = [
    "METRICS",
    "ProgressCallback",
    "frontier",
    "pareto_efficient",
    "plan_metrics",
    "sweep",
]

#: A variant as :func:`sweep` takes it: a recipe, a ready problem, or policy changes to merge.
VariantLike = Variant | Problem | Mapping[str, Any]

#: ``progress(done, total)``, called after each variant finishes.
ProgressCallback = Callable[[int, int], None]

#: A custom metric: ``metric(problem, solution)`` returns extra columns for the row.
Metric = Callable[[Problem, Solution], Mapping[str, Any]]

#: The metric columns of every sweep row, in order (after ``variant`` and the parameters).
METRICS: tuple[str, ...] = (
    "status",
    "objective",
    "bound",
    "gap",
    "base_score",
    "needs",
    "served",
    "share",
    *(f"share_{tier.value}" for tier in Priority),
    *(f"share_{category.value}" for category in Category),
    "organizations",
    "engaged",
    "capacity",
    "utilization",
)

#: Variants in flight at once on an executor, per worker it reports (or in all when unknown).
_IN_FLIGHT = 4
_MIN_IN_FLIGHT = 16


def plan_metrics(problem: Problem, solution: Solution) -> dict[str, Any]:
    """The standard metrics of one plan: one sweep row without its name and parameters.

    ``base_score`` is left for :func:`sweep` to fill in (it needs the base problem); here it is
    the plan's own objective.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=50, n_orgs=15)
    >>> row = plan_metrics(problem, matcher.solve(problem))
    >>> row["status"], row["needs"], list(row) == list(METRICS)
    ('optimal', 50, True)
    """
    k = solution.kpis
    row: dict[str, Any] = {
        "status": solution.status.value,
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "base_score": solution.objective,
        "needs": k.needs,
        "served": k.served,
        "share": k.share,
    }
    for tier in Priority:
        tally = k.by_tier.get(tier)
        row[f"share_{tier.value}"] = tally.share if tally else math.nan
    for category in Category:
        tally = k.by_category.get(category)
        row[f"share_{category.value}"] = tally.share if tally else math.nan
    row.update(
        organizations=k.organizations,
        engaged=k.engaged,
        capacity=k.capacity,
        utilization=k.utilization,
    )
    return row


def sweep(
    problem: Problem,
    variants: Iterable[VariantLike] | Mapping[str, VariantLike],
    *,
    solver: str | Solver = "auto",
    time_limit: float = 10.0,
    seed: int = 0,
    executor: Executor | Any | None = None,
    progress: bool | ProgressCallback | None = None,
    metrics: Metric | None = None,
    keep_solutions: bool = False,
) -> pd.DataFrame:
    """Solve every variant of ``problem`` and return one row per variant.

    Parameters
    ----------
    problem
        The base problem. ``base_score`` scores every plan under its policy.
    variants
        :class:`~matcher.analysis.variants.Variant` recipes (see also
        :func:`~matcher.analysis.variants.policy_grid`), policy changes (``{"weights": {"priority": 6}}``)
        or ready problems; as a list, or as a mapping from name to variant.
    solver, time_limit, seed
        Passed to :func:`matcher.solve` for every variant.
    executor
        ``None`` (the default) solves one variant after the other in this process. Any
        :class:`concurrent.futures.Executor` solves them there: a ``ProcessPoolExecutor`` needs
        picklable variants (recipes of module-level functions, problems, plain dicts) and a
        picklable ``metrics``. A Dask ``distributed.Client`` is used through its
        ``get_executor()``.
    progress
        ``True`` shows a progress bar on stderr (tqdm's when tqdm is installed, otherwise a
        small built-in one), ``False`` shows none, a callable is called as
        ``progress(done, total)`` after each variant. ``None`` (the default) shows a bar only
        when stderr is a terminal or the sweep runs in a notebook.
    metrics
        ``metrics(variant_problem, solution)`` returning extra columns for each row.
    keep_solutions
        Add a ``solution`` column holding each :class:`~matcher.Solution` (``None`` on error).

    Returns
    -------
    pandas.DataFrame
        One row per variant in the order given: ``variant`` (its name), one column per
        parameter of the variants (``weights.priority`` ...), the :data:`METRICS` (status,
        objective, bound, gap, ``base_score``: the plan's total score under the base policy,
        needs, served, share, share per priority tier and per category, organizations, engaged,
        capacity, utilization), the custom metrics, ``seconds`` and ``error`` (empty when the
        variant solved; otherwise ``status`` is ``"error"`` and the metrics are missing).

    Raises
    ------
    OptionError
        When a variant is of an unknown kind, two variants share a name, or ``executor`` is not
        an executor.

    Examples
    --------
    >>> import matcher
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from matcher import variants
    >>> base = matcher.synth.shanxi(seed=0, n_needs=80, n_orgs=20)
    >>> with ThreadPoolExecutor(2) as pool:
    ...     table = sweep(base, {
    ...         "today": variants.Variant("today"),
    ...         "capacity x2": variants.Variant("x").then(variants.scale_capacity, 2),
    ...         "key x3": {"weights": {"priority": 9}},
    ...         "broken": variants.Variant("x").then(variants.without_organizations, ["nope"]),
    ...     }, executor=pool)
    >>> table["variant"].tolist()
    ['today', 'capacity x2', 'key x3', 'broken']
    >>> table["status"].tolist()
    ['optimal', 'optimal', 'optimal', 'error']
    >>> bool(table.loc[1, "served"] >= table.loc[0, "served"])
    True
    >>> table.loc[3, "error"]
    "matcher.errors.OptionError: unknown organization id: 'nope'"
    """
    options = _Options(solver, time_limit, seed, metrics, keep_solutions)
    tasks = _tasks(variants)
    runner = _executor(executor)
    bar = _progress(progress, len(tasks))
    try:
        if runner is None:
            outcomes = _run_here(problem, tasks, options, bar)
        else:
            outcomes = _run_on(runner, problem, tasks, options, bar)
    finally:
        _close(bar)
    return _frame(tasks, outcomes, keep_solutions)


def _run_here(
    problem: Problem, tasks: list[_Task], options: _Options, bar: _Bar
) -> list[_Outcome | None]:
    """Solve the tasks one after the other in this process."""
    total = len(tasks)
    outcomes: list[_Outcome | None] = [None] * total
    for position, task in enumerate(tasks):
        outcomes[position] = _solve_task(problem, task.item, options)
        bar(position + 1, total)
    return outcomes


def _run_on(
    runner: Executor, problem: Problem, tasks: list[_Task], options: _Options, bar: _Bar
) -> list[_Outcome | None]:
    """Solve the tasks on ``runner``, a bounded number in flight; on any exception (an interrupt
    included) the queued ones are cancelled."""
    total = len(tasks)
    outcomes: list[_Outcome | None] = [None] * total
    pending: dict[Future[_Outcome], int] = {}
    done = 0
    try:
        limit = max(_MIN_IN_FLIGHT, _IN_FLIGHT * _workers(runner))
        shared = _Shared(problem)
        queue = iter(enumerate(tasks))
        while True:
            for position, task in queue:
                future = _submit(runner, shared, task, position, outcomes, options)
                if future is None:
                    done += 1
                    bar(done, total)
                else:
                    pending[future] = position
                if len(pending) >= limit:
                    break
            if not pending:
                break
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: pending[f]):
                outcomes[pending.pop(future)] = _result(future)
                done += 1
                bar(done, total)
    except BaseException:  # KeyboardInterrupt included: do not leave work queued
        for future in pending:
            future.cancel()
        raise
    return outcomes


def frontier(
    problem: Problem,
    weight: str = "priority",
    values: Sequence[float] | None = None,
    *,
    x: str = "share_key",
    y: str = "base_score",
    **options: Any,
) -> pd.DataFrame:
    """Sweep one score weight and flag the plans on the trade-off frontier of two goals.

    Parameters
    ----------
    problem
        The base problem; ``base_score`` is measured under its policy, so plans made with
        different weights are judged by one yardstick.
    weight
        The score component whose weight varies (``"priority"`` by default).
    values
        The weights to try; by default 0 to 8 times the base weight (0 to 24 when the base
        weight is 0).
    x, y
        The two goals, columns of the sweep table, both to maximize: by default the share of
        key assistance areas' needs served and the total score under the base policy.
    **options
        Passed to :func:`sweep` (``executor``, ``progress``, ``solver`` ...).

    Returns
    -------
    pandas.DataFrame
        The sweep table plus ``efficient``: True for the Pareto-efficient plans (no other plan
        is at least as good on both goals and better on one).

    Examples
    --------
    >>> import matcher
    >>> base = matcher.synth.shanxi(seed=0, n_needs=120, n_orgs=30)
    >>> table = frontier(base, "priority", [0, 3, 6, 12])
    >>> list(table.columns[:2]), bool(table["efficient"].any())
    (['variant', 'weights.priority'], True)
    >>> table.loc[table["weights.priority"] == 3, "efficient"].item()  # the base plan: best score
    True
    """
    from ..models import COMPONENTS

    if weight not in COMPONENTS:
        raise OptionError.of(
            "error.unknown_component", weight=repr(weight), names=", ".join(COMPONENTS)
        )
    if values is None:
        current = float(getattr(problem.policy.weights, weight))
        scale = current if current > 0 else 3.0
        values = [round(scale * f, 6) for f in (0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8)]
    variants = [Variant.from_policy({"weights": {weight: float(v)}}) for v in values]
    table = sweep(problem, variants, **options)
    for column in (x, y):
        if column not in table.columns:
            raise OptionError.of("error.not_sweep_column", column=repr(column))
    table["efficient"] = pareto_efficient(table, x, y)
    return table


def pareto_efficient(
    frame: pd.DataFrame, x: str, y: str, *, maximize: tuple[bool, bool] = (True, True)
) -> pd.Series:
    """Which rows are Pareto-efficient in the two columns ``x`` and ``y``.

    A row is efficient when no other row is at least as good in both and better in one. Rows
    with a missing value are never efficient; rows that tie are all efficient.

    Parameters
    ----------
    maximize
        For ``x`` and ``y``: whether more is better (True) or less (False).

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 2, 1], "b": [5, 4, 1, 2, 5]})
    >>> pareto_efficient(frame, "a", "b").tolist()
    [True, True, True, False, True]
    """
    xs = pd.to_numeric(frame[x], errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(frame[y], errors="coerce").to_numpy(dtype=float)
    if not maximize[0]:
        xs = -xs
    if not maximize[1]:
        ys = -ys
    valid = ~(np.isnan(xs) | np.isnan(ys))
    efficient = np.zeros(len(frame), dtype=bool)
    for i in np.flatnonzero(valid):
        dominated = (xs >= xs[i]) & (ys >= ys[i]) & ((xs > xs[i]) | (ys > ys[i])) & valid
        efficient[i] = not dominated.any()
    return pd.Series(efficient, index=frame.index, name="efficient")


# --- tasks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    name: str
    params: dict[str, Any]
    item: Variant | Problem


@dataclass(frozen=True)
class _Options:
    """How to solve each variant (sent to the workers with it)."""

    solver: str | Solver
    time_limit: float
    seed: int
    metrics: Metric | None
    keep_solution: bool


@dataclass(frozen=True)
class _Outcome:
    """What one variant produced, small enough to send back from a worker."""

    row: dict[str, Any]
    solution: Solution | None
    error: str
    seconds: float


def _tasks(variants: Iterable[VariantLike] | Mapping[str, VariantLike]) -> list[_Task]:
    if isinstance(variants, Problem | Variant) or (
        isinstance(variants, Mapping) and not all(isinstance(k, str) for k in variants)
    ):
        raise OptionError.of("error.variants_kind")
    named: list[tuple[str | None, Any]]
    if isinstance(variants, Mapping):
        named = [(str(name), item) for name, item in variants.items()]
    else:
        named = [(None, item) for item in variants]
    tasks = []
    for position, (name, item) in enumerate(named):
        if isinstance(item, Variant):
            tasks.append(_Task(name or item.name, dict(item.params), item))
        elif isinstance(item, Problem):
            tasks.append(_Task(name or f"variant {position}", {}, item))
        elif isinstance(item, Mapping):
            recipe = Variant.from_policy(item)
            tasks.append(_Task(name or recipe.name, dict(recipe.params), recipe))
        else:
            raise OptionError.of("error.variant_kind", position=position, kind=type(item).__name__)
    seen: set[str] = set()
    for task in tasks:
        if task.name in seen:
            raise OptionError.of("error.variant_names", name=repr(task.name))
        seen.add(task.name)
    return tasks


def _solve_task(base: Problem | _Shared, item: Variant | Problem, options: _Options) -> _Outcome:
    """Build and solve one variant; any exception becomes the outcome's error. Runs in workers."""
    from ..solving import solve
    from .comparison import base_score

    started = time.perf_counter()
    try:
        if isinstance(base, _Shared):
            base = base.problem
        problem = item if isinstance(item, Problem) else item.apply(base)
        solution = solve(problem, options.solver, time_limit=options.time_limit, seed=options.seed)
        row = plan_metrics(problem, solution)
        if problem.policy != base.policy:
            row["base_score"] = base_score(base, problem, solution)
        if options.metrics is not None:
            extra = dict(options.metrics(problem, solution))
            clash = sorted(set(extra) & {*row, "variant", "seconds", "error", "solution"})
            if clash:
                raise OptionError.of("error.metric_clash", columns=clash)
            row.update(extra)
    except Exception as error:  # reported in the row, the sweep goes on
        return _Outcome({}, None, _describe(error), time.perf_counter() - started)
    kept = solution if options.keep_solution else None
    return _Outcome(row, kept, "", time.perf_counter() - started)


def _submit(
    runner: Executor,
    problem: _Shared,
    task: _Task,
    position: int,
    outcomes: list[_Outcome | None],
    options: _Options,
) -> Future[_Outcome] | None:
    """Submit one task; when submitting itself fails, record the error and return None."""
    try:
        return runner.submit(_solve_task, problem, task.item, options)
    except Exception as error:
        outcomes[position] = _Outcome({}, None, _describe(error), 0.0)
        return None


def _result(future: Future[_Outcome]) -> _Outcome:
    try:
        return future.result()
    except Exception as error:  # the executor failed: pickling, a dead worker, ...
        return _Outcome({}, None, _describe(error), math.nan)


def _describe(error: BaseException) -> str:
    """``module.Type: message`` on one line (the lines of a long message joined by "; ")."""
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    message = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return f"{name}: {message}" if message else name


def _frame(tasks: list[_Task], outcomes: list[_Outcome | None], keep: bool) -> pd.DataFrame:
    param_columns: list[str] = []
    for task in tasks:
        param_columns.extend(p for p in task.params if p not in param_columns)
    extra_columns: list[str] = []
    for outcome in outcomes:
        if outcome is not None:
            extra_columns.extend(
                c for c in outcome.row if c not in METRICS and c not in extra_columns
            )
    rows = []
    for task, outcome in zip(tasks, outcomes, strict=True):
        assert outcome is not None
        row: dict[str, Any] = {"variant": task.name}
        row.update({p: task.params.get(p, np.nan) for p in param_columns})
        if outcome.error:
            row.update({m: np.nan for m in (*METRICS, *extra_columns)})
            row["status"] = "error"
        else:
            row.update({m: outcome.row.get(m, np.nan) for m in (*METRICS, *extra_columns)})
        row["seconds"] = outcome.seconds
        row["error"] = outcome.error
        if keep:
            row["solution"] = outcome.solution
        rows.append(row)
    columns = ["variant", *param_columns, *METRICS, *extra_columns, "seconds", "error"]
    if keep:
        columns.append("solution")
    return pd.DataFrame(rows, columns=columns)


# --- executors ------------------------------------------------------------------------------------

#: Base problems a worker process has already unpickled, by token (the newest few).
_RECEIVED: dict[str, Problem] = {}
_RECEIVED_SIZE = 2


class _Shared:
    """The base problem of a sweep, pickled once and unpickled once per worker process.

    An executor pickles the arguments of every task it sends to another process; this wrapper
    pickles the problem a single time and lets each worker keep the copy it received first.
    """

    def __init__(self, problem: Problem, token: str | None = None) -> None:
        self.problem = problem
        self.token = token or uuid.uuid4().hex
        self._blob: bytes | None = None

    def __reduce__(self) -> tuple[Any, tuple[str, bytes]]:
        if self._blob is None:
            self._blob = pickle.dumps(self.problem, protocol=pickle.HIGHEST_PROTOCOL)
        return (_receive, (self.token, self._blob))


def _receive(token: str, blob: bytes) -> _Shared:
    problem = _RECEIVED.get(token)
    if problem is None:
        problem = pickle.loads(blob)
        while len(_RECEIVED) >= _RECEIVED_SIZE:
            _RECEIVED.pop(next(iter(_RECEIVED)))
        _RECEIVED[token] = problem
    return _Shared(problem, token)


def _executor(executor: Executor | Any | None) -> Executor | None:
    if executor is None or isinstance(executor, Executor):
        return executor
    get_executor = getattr(executor, "get_executor", None)  # a dask.distributed.Client
    if callable(get_executor):
        runner = get_executor()
        if isinstance(runner, Executor):
            return runner
    raise OptionError.of("error.executor_kind", kind=type(executor).__name__)


def _workers(runner: Executor) -> int:
    """Workers of a standard pool; a guess for other executors."""
    value = getattr(runner, "_max_workers", None)
    return value if isinstance(value, int) and value > 0 else _MIN_IN_FLIGHT // _IN_FLIGHT


# --- progress -------------------------------------------------------------------------------------


class _Bar(Protocol):
    def __call__(self, done: int, total: int) -> None: ...


def _progress(progress: bool | ProgressCallback | None, total: int) -> _Bar:
    if callable(progress) and not isinstance(progress, bool):
        callback = progress
        return lambda done, total: callback(done, total)
    show = _interactive() if progress is None else bool(progress)
    if not show or total == 0:
        return lambda done, total: None
    try:
        return _TqdmBar(total)
    except ImportError:
        return _TextBar(total)


def _interactive() -> bool:
    """Whether someone watches: stderr is a terminal, or this runs in a notebook's kernel."""
    stream = sys.stderr
    if stream is not None and hasattr(stream, "isatty") and stream.isatty():
        return True
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _close(bar: _Bar) -> None:
    close = getattr(bar, "close", None)
    if callable(close):
        close()


class _TqdmBar:
    """tqdm's bar (its notebook widget when ipywidgets is there)."""

    def __init__(self, total: int) -> None:
        import importlib
        import importlib.util

        # tqdm.auto picks the notebook widget, which needs ipywidgets; without it, the text bar.
        widgets = importlib.util.find_spec("ipywidgets") is not None and "ipykernel" in sys.modules
        module = importlib.import_module("tqdm.auto" if widgets else "tqdm")  # ImportError: none
        self._bar: Any = module.tqdm(total=total, desc="sweep", unit="variant", leave=True)
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        self._bar.close()


class _TextBar:
    """A dependency-free bar on stderr: ``sweep  37/200 [#####.........] 18% 3s, ~12s left``."""

    width = 24

    def __init__(self, total: int, stream: Any = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.perf_counter()
        self._shown = -1.0
        self._total = total
        self._write(0, total)

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - self._shown >= 0.1:
            self._write(done, total)

    def _write(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self._started
        self._shown = time.perf_counter()
        filled = int(self.width * done / total) if total else self.width
        left = f", ~{elapsed / done * (total - done):.0f}s left" if 0 < done < total else ""
        self._stream.write(
            f"\rsweep {done:>{len(str(total))}}/{total} [{'#' * filled}{'.' * (self.width - filled)}]"
            f" {done / total:4.0%} {elapsed:.0f}s{left}   "
        )
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()
