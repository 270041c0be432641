"""The machinery for plans under policy rules, behind :class:`~matcher.solvers.cpsat.CpSatSolver`.

- :mod:`~matcher.solvers.rules.relaxation`: the LP relaxation and its proven bound.
- :mod:`~matcher.solvers.rules.rounding`: the LP's vertex rounded by a small integer program.
- :mod:`~matcher.solvers.rules.repair`: a plan that keeps the budgets, from Lagrangian prices.
- :mod:`~matcher.solvers.rules.levels`: goals solved level by level.
- :mod:`~matcher.solvers.rules.cpsat`: the CP-SAT model of the rules, and its search.
- :mod:`~matcher.solvers.rules.conflicts`: a minimal set of hard rules that cannot all hold.
"""
