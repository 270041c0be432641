"""What-if analysis.

- :mod:`~matcher.analysis.variants`: a problem changed one way (fewer organizations, more money).
- :mod:`~matcher.analysis.comparison`: two plans side by side (:func:`matcher.compare`).
- :mod:`~matcher.analysis.sweeps`: many variants solved on an executor (:func:`matcher.sweep`).
"""
