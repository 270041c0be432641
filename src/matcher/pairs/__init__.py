"""Which organization may take which need, and how well: the candidate pairs.

- :mod:`~matcher.pairs.eligibility`: the hard rules that remove a pair, as vectorized masks.
- :mod:`~matcher.pairs.scoring`: the score components of a pair and their weighted sum.
- :mod:`~matcher.pairs.table`: the one join of needs and organizations into the candidate
  table that every solver, explanation and KPI reads (:func:`matcher.candidates`).
"""
