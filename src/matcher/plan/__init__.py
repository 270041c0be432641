"""A plan and what is read from it.

- :mod:`~matcher.plan.solution`: :class:`~matcher.Solution`, its assignments and unmet needs.
- :mod:`~matcher.plan.records`: a plan's rows, built from the solver's arrays when first read.
- :mod:`~matcher.plan.kpis`: coverage, scores and tallies of a plan.
- :mod:`~matcher.plan.verification`: :func:`matcher.verify`, every rule recounted.
"""
