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

``import matcher`` loads none of pandas, scipy, OR-Tools, HiGHS and numba: the first table
imports pandas, the first solve OR-Tools' min-cost flow, the first plan with rules the solvers,
the first explanation (and the split of a large model) scipy's sparse graphs. What a plain solve
does not need, :mod:`matcher.io`, :mod:`matcher.synth`, :mod:`matcher.analysis`,
:mod:`matcher.explain` and :func:`verify`, is imported when first used (``matcher.synth``,
``matcher.sweep``, ``from matcher import io``), as is :mod:`matcher.dispatch`, which loads its
compiled kernel then, so that no re-dispatch waits for it.
"""

import sys as _sys
from typing import TYPE_CHECKING

from . import (
    _moved,  # noqa: F401 - old module paths (matcher.scoring, ...), with a warning
    decompose,
)
from .errors import (
    Issue,
    MatcherError,
    OptionError,
    PlanError,
    ProblemError,
    SolverError,
    UnknownSolverError,
)
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
    "PlanError",
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


#: Names imported when first read, each as (module, attribute; "" for the module itself): the rooms
#: a plain solve does not need, so that ``import matcher`` stays fast.
_ON_FIRST_USE: dict[str, tuple[str, str]] = {
    "analysis": (f"{__name__}.analysis", ""),
    "dispatch": (f"{__name__}.dispatch", ""),
    "io": (f"{__name__}.io", ""),
    "synth": (f"{__name__}.synth", ""),
    "variants": (f"{__name__}.analysis.variants", ""),
    "Comparison": (f"{__name__}.analysis.comparison", "Comparison"),
    "compare": (f"{__name__}.analysis.comparison", "compare"),
    "frontier": (f"{__name__}.analysis.sweeps", "frontier"),
    "sweep": (f"{__name__}.analysis.sweeps", "sweep"),
    "Variant": (f"{__name__}.analysis.variants", "Variant"),
    "explain": (f"{__name__}.explain", ""),
    "Explainer": (f"{__name__}.explain", "Explainer"),
    "Explanation": (f"{__name__}.explain", "Explanation"),
    "explanations": (f"{__name__}.explain", "explanations"),
    "why_not": (f"{__name__}.explain", "why_not"),
    "Violation": (f"{__name__}.plan.verification", "Violation"),
    "verify": (f"{__name__}.plan.verification", "verify"),
}


class _LentMethod:
    """Stands in for a method :mod:`matcher.explain` lends :class:`Solution` (``explain``,
    ``explanations``, ``why_not``, deprecated) until that package is imported: the first read
    imports it, which puts the method in this one's place, and answers with the method."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> object:
        import importlib

        importlib.import_module(f"{__name__}.explain")
        method = Solution.__dict__[self._name]
        if method is self:  # the package lends nothing in this one's place
            raise AttributeError(self._name)
        return method.__get__(instance, owner)


def _stand_in_for_lent_methods() -> None:
    """Give :class:`Solution` its deprecated methods' stand-ins, unless they are lent already."""
    if f"{__name__}.explain" not in _sys.modules:
        for name in ("explain", "explanations", "why_not"):
            setattr(Solution, name, _LentMethod(name))


_stand_in_for_lent_methods()

if TYPE_CHECKING:
    from . import analysis, dispatch, explain, io, synth  # noqa: F401 - not all in __all__
    from .analysis import variants
    from .analysis.comparison import Comparison, compare
    from .analysis.sweeps import frontier, sweep
    from .analysis.variants import Variant
    from .explain import Explainer, Explanation, explanations, why_not
    from .plan.verification import Violation, verify
else:  # hidden from the type checker, which would take any name __getattr__ may answer

    def __getattr__(name: str) -> object:
        """A name of :data:`_ON_FIRST_USE`: imported when first read (PEP 562), then bound here
        (``matcher.dispatch`` with its compiled kernel); an old module path (``matcher.scoring``
        ...): its stand-in, which warns when read."""
        found = _ON_FIRST_USE.get(name)
        if found is not None:
            import importlib

            module_name, attribute = found
            module = importlib.import_module(module_name)
            value = getattr(module, attribute) if attribute else module
            globals()[name] = value
            return value
        moved = _sys.modules.get(f"{__name__}.{name}")
        if moved is not None:
            return moved
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), *_ON_FIRST_USE})
