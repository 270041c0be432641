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

from . import synth
from .candidates import candidates
from .errors import (
    Issue,
    MatcherError,
    OptionError,
    ProblemError,
    SolverError,
    UnknownSolverError,
)
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
from .verify import Violation, verify

__all__ = [
    "PRIMARY_TYPES",
    "Assignment",
    "Category",
    "Continuation",
    "Credit",
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
    "Violation",
    "VulnerableGroup",
    "Weights",
    "candidates",
    "solve",
    "synth",
    "verify",
]
