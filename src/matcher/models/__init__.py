"""Domain models: validated, immutable pydantic objects and their numpy index."""

from .hierarchy import Hierarchy
from .index import ProblemIndex
from .need import Continuation, Need
from .organization import Organization
from .policy import COMPONENTS, Policy, Weights
from .problem import PairScore, Problem
from .region import Region
from .vocab import (
    PRIMARY_TYPES,
    SUPPORTING_TYPES,
    Category,
    Credit,
    Level,
    OrgType,
    Priority,
    Scope,
    VulnerableGroup,
)

__all__ = [
    "COMPONENTS",
    "PRIMARY_TYPES",
    "SUPPORTING_TYPES",
    "Category",
    "Continuation",
    "Credit",
    "Hierarchy",
    "Level",
    "Need",
    "OrgType",
    "Organization",
    "PairScore",
    "Policy",
    "Priority",
    "Problem",
    "ProblemIndex",
    "Region",
    "Scope",
    "VulnerableGroup",
    "Weights",
]
