"""Policy rules compiled to arrays over the candidate pairs (:mod:`~matcher.rules.compile`)."""
