"""Merit: aggregation against numpy/scipy, calibration on known leniencies, second rounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from matcher.review import ReviewDocument, assign_reviewers, compute_merit, second_round
from matcher.review.merit import aggregate, calibrate
from matcher.review.synth import random_document, simulate_reviews


@settings(max_examples=60)
@given(
    st.lists(
        st.lists(st.floats(1, 100, allow_nan=False), min_size=1, max_size=7),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.4]),
)
def test_aggregates_match_numpy_and_scipy(groups: list[list[float]], trim: float) -> None:
    project = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)]).astype(np.int64)
    values = np.concatenate([np.array(g) for g in groups])
    shuffle = np.random.default_rng(0).permutation(values.size)
    project, values = project[shuffle], values[shuffle]
    means, spread = aggregate(project, values, len(groups), "mean")
    medians, _ = aggregate(project, values, len(groups), "median")
    trimmed, _ = aggregate(project, values, len(groups), "trimmed_mean", trim)
    for i, g in enumerate(groups):
        assert means[i] == pytest.approx(np.mean(g))
        assert medians[i] == pytest.approx(np.median(g))
        assert trimmed[i] == pytest.approx(stats.trim_mean(g, trim))
        assert spread[i] == pytest.approx(max(g) - min(g))


def test_calibration_recovers_leniencies() -> None:
    rng = np.random.default_rng(1)
    n_p, n_e = 80, 12
    merit = rng.uniform(40, 90, n_p)
    leniency = rng.normal(0, 8, n_e)
    project = np.repeat(np.arange(n_p), 4)
    expert = np.concatenate([rng.choice(n_e, 4, replace=False) for _ in range(n_p)])
    mark = merit[project] + leniency[expert]
    found = calibrate(project, expert, mark, n_p, n_e, strength=0.0, iterations=5000)
    # Leniencies are known up to a common shift (they are centred over reviews).
    shift = (leniency[expert] - found[expert]).mean()
    assert found + shift == pytest.approx(leniency, abs=1e-3)


def test_calibration_lowers_the_error_on_simulated_reviews() -> None:
    document = random_document(300, 60, seed=3)
    assignment = assign_reviewers(document)
    reviewed = simulate_reviews(document, assignment, seed=3)
    truth = np.random.default_rng(3).normal(70.0, 12.0, len(document.projects))
    plain = compute_merit(reviewed.replace(policy={"calibrate": False, "aggregate": "mean"}))
    fitted = compute_merit(reviewed.replace(policy={"calibrate": True, "aggregate": "mean"}))
    error_plain = np.abs(plain.merit - truth).mean()
    error_fitted = np.abs(fitted.merit - truth - np.mean(fitted.merit - truth)).mean()
    assert error_fitted < error_plain


def test_five_point_scale_and_criteria() -> None:
    document = ReviewDocument.model_validate(
        {
            "experts": [{"id": "a"}, {"id": "b"}],
            "projects": [{"id": "p", "category": "talent"}],
            "reviews": [
                {"project_id": "p", "expert_id": "a", "scores": {"创新性": 5, "可行性": 3}},
                {"project_id": "p", "expert_id": "b", "scores": {"创新性": 4, "可行性": 4}},
            ],
            "policy": {"scale": 5, "criteria": ["创新性", "可行性"], "calibrate": False},
        }
    )
    result = compute_merit(document)
    assert result.merit.tolist() == [75.0]  # both reviews average 4 of 5 -> (4 - 1) * 25


def test_disagreement_gets_one_more_reviewer() -> None:
    document = ReviewDocument.model_validate(
        {
            "experts": [{"id": e} for e in ("a", "b", "c", "d")],
            "projects": [{"id": "p", "category": "talent"}, {"id": "q", "category": "talent"}],
            "reviews": [
                {"project_id": "p", "expert_id": "a", "score": 95},
                {"project_id": "p", "expert_id": "b", "score": 40},
                {"project_id": "q", "expert_id": "a", "score": 70},
                {"project_id": "q", "expert_id": "b", "score": 72},
            ],
            "policy": {"calibrate": False, "disagreement": 30},
        }
    )
    result = compute_merit(document)
    assert result.flagged_ids() == ["p"]
    extra = second_round(document, result)
    assert len(extra.pairs()) == 1
    ((project, expert),) = extra.pairs()
    assert project == "p" and expert in {"c", "d"}
