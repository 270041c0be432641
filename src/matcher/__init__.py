"""matcher: match social organizations to rural-revitalization needs, exactly.

Examples
--------
>>> import matcher
>>> problem = matcher.synth.shanxi(seed=0)
>>> solution = matcher.solve(problem)
>>> solution.status
'optimal'
>>> matcher.verify(problem, solution)
[]
"""

from .errors import Issue, MatcherError, ProblemError, SolverError, UnknownSolverError
from .models import (
    PRIMARY_TYPES,
    Category,
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

__all__ = [
    "PRIMARY_TYPES",
    "Category",
    "Credit",
    "Issue",
    "Level",
    "MatcherError",
    "Need",
    "OrgType",
    "Organization",
    "Policy",
    "Priority",
    "Problem",
    "ProblemError",
    "Region",
    "Scope",
    "SolverError",
    "UnknownSolverError",
    "VulnerableGroup",
    "Weights",
]
