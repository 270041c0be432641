"""matcher: match social organizations to rural-revitalization needs, exactly.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0)
>>> solution = matcher.solve(problem)
>>> print(solution.status)
optimal
>>> matcher.verify(problem, solution)
[]

``import matcher`` loads none of pandas, CP-SAT, HiGHS, scipy's optimizers and numba: the first
table imports pandas, the first plan with rules the solvers. It loads scipy's sparse graphs, which
the first explanation and the split of a large model need. :mod:`matcher.dispatch` is imported
when first used (``matcher.dispatch``, ``from matcher.dispatch import Dispatch``) and loads its
compiled kernel then, so that no re-dispatch waits for it.
"""

import sys as _sys
from typing import TYPE_CHECKING

import numpy.ma as _numpy_ma  # noqa: F401 - np.unique imports it on its first call: pay it here

from . import (
    _moved,  # noqa: F401 - old module paths (matcher.scoring, ...), with a warning
    decompose,
    io,
    synth,
)
from .analysis import variants
from .analysis.comparison import Comparison, compare
from .analysis.sweeps import frontier, sweep
from .analysis.variants import Variant
from .errors import (
    Issue,
    MatcherError,
    OptionError,
    ProblemError,
    SolverError,
    UnknownSolverError,
)
from .explain import Explainer, Explanation, explanations, why_not
from .models import (
    PRIMARY_TYPES,
    Category,
    Continuation,
    Credit,
    Level,
    Need,
    Organization,
    OrgType,
    Policy,
    Priority,
    Problem,
    Region,
    Scope,
    VulnerableGroup,
    Weights,
)
from .pairs.table import candidates
from .plan.kpis import Kpis
from .plan.solution import Assignment, Solution, Unmet
from .plan.verification import Violation, verify
from .solvers import Status
from .solving import solve

__all__ = [
    "PRIMARY_TYPES",
    "Assignment",
    "Category",
    "Comparison",
    "Continuation",
    "Credit",
    "Explainer",
    "Explanation",
    "Issue",
    "Kpis",
    "Level",
    "MatcherError",
    "Need",
    "OptionError",
    "OrgType",
    "Organization",
    "Policy",
    "Priority",
    "Problem",
    "ProblemError",
    "Region",
    "Scope",
    "Solution",
    "SolverError",
    "Status",
    "UnknownSolverError",
    "Unmet",
    "Variant",
    "Violation",
    "VulnerableGroup",
    "Weights",
    "candidates",
    "compare",
    "decompose",
    "dispatch",
    "explanations",
    "frontier",
    "io",
    "solve",
    "sweep",
    "synth",
    "variants",
    "verify",
    "why_not",
]


if TYPE_CHECKING:
    from . import dispatch
else:  # hidden from the type checker, which would take any name __getattr__ may answer

    def __getattr__(name: str) -> object:
        """``matcher.dispatch``: imported when first read (PEP 562), with its compiled kernel; an
        old module path (``matcher.scoring`` ...): its stand-in, which warns when read."""
        if name == "dispatch":
            import importlib

            return importlib.import_module(f"{__name__}.dispatch")
        moved = _sys.modules.get(f"{__name__}.{name}")
        if moved is not None:
            return moved
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted([*globals(), "dispatch"])
