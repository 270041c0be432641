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
"""

from . import decompose, dispatch, io, synth, variants
from .candidates import candidates
from .compare import Comparison, compare
from .errors import (
    Issue,
    MatcherError,
    OptionError,
    ProblemError,
    SolverError,
    UnknownSolverError,
)
from .explain import Explainer, Explanation
from .kpis import Kpis
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
from .solution import Assignment, Solution, Unmet
from .solve import solve
from .solvers import Status
from .sweep import frontier, sweep
from .variants import Variant
from .verify import Violation, verify

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
    "frontier",
    "io",
    "solve",
    "sweep",
    "synth",
    "variants",
    "verify",
]
