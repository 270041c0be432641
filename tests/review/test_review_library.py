"""Key-project selection against an independent MILP and a brute force; library admission."""

from __future__ import annotations

import numpy as np
import pytest
from review_oracle import brute_selection, milp_selection

from matcher.models.vocab import Category
from matcher.review import KeyProjectPolicy, SelectionError, select_key_projects

CATEGORIES = list(Category)


def _instance(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    merit = rng.integers(40, 100, n).astype(float)
    merit[rng.random(n) < 0.1] = np.nan
    cost = rng.integers(1, 20, n).astype(float)
    category = rng.integers(0, 3, n)
    key_area = rng.random(n) < 0.4
    dispatch = rng.uniform(0, 10, n).round(2)
    return merit, cost, category, key_area, dispatch


def _policy(rng: np.random.Generator, n: int) -> KeyProjectPolicy:
    return KeyProjectPolicy(
        min_key=int(rng.integers(0, max(1, n // 3))),
        max_key=int(rng.integers(n // 3, n)) if rng.random() < 0.5 else None,
        fund=float(rng.integers(10, 8 * n)) if rng.random() < 0.8 else None,
        category_floors={CATEGORIES[c]: int(rng.integers(0, 3)) for c in range(3)},
        key_area_floor=int(rng.integers(0, 3)),
        dispatch_weight=float(rng.choice([0.0, 1.0, 2.5])),
    )


def _oracle_args(policy: KeyProjectPolicy) -> dict[str, object]:
    return {
        "min_key": policy.min_key,
        "max_key": policy.max_key,
        "fund": policy.fund,
        "floors": {list(Category).index(c): f for c, f in policy.category_floors.items()},
        "key_floor": policy.key_area_floor,
    }


@pytest.mark.parametrize("seed", range(40))
def test_matches_the_milp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    merit, cost, category, key_area, dispatch = _instance(rng, n)
    policy = _policy(rng, n)
    value = merit + policy.dispatch_weight * dispatch
    best = milp_selection(value, cost, category, key_area, **_oracle_args(policy))  # type: ignore[arg-type]
    if best is None:
        with pytest.raises(SelectionError):
            select_key_projects(merit, cost, category, key_area, policy, dispatch=dispatch)
        return
    chosen = select_key_projects(merit, cost, category, key_area, policy, dispatch=dispatch)
    assert float(value[chosen].sum()) == pytest.approx(best, abs=1e-6)
    assert not np.isnan(value[chosen]).any()
    assert chosen.size >= policy.min_key
    if policy.fund is not None:
        assert cost[chosen].sum() <= policy.fund + 1e-9


@pytest.mark.parametrize("seed", range(20))
def test_matches_a_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 11))
    merit, cost, category, key_area, dispatch = _instance(rng, n)
    policy = _policy(rng, n)
    value = merit + policy.dispatch_weight * dispatch
    best = brute_selection(value, cost, category, key_area, **_oracle_args(policy))  # type: ignore[arg-type]
    try:
        chosen = select_key_projects(merit, cost, category, key_area, policy, dispatch=dispatch)
    except SelectionError:
        assert best is None
        return
    assert best is not None and float(value[chosen].sum()) == pytest.approx(best, abs=1e-6)


def test_infeasible_selection_names_the_rule() -> None:
    merit = np.array([80.0, 70.0, np.nan])
    args = (merit, np.ones(3), np.zeros(3, np.int64), np.zeros(3, bool))
    with pytest.raises(SelectionError, match="可选项目只有 2 个"):
        select_key_projects(*args, KeyProjectPolicy(min_key=3))
    with pytest.raises(SelectionError, match="0 selectable Talent"):
        policy = KeyProjectPolicy(min_key=1, category_floors={"talent": 1})
        select_key_projects(*args, policy, language="en")
    with pytest.raises(SelectionError, match="more than the fund"):
        select_key_projects(*args, KeyProjectPolicy(min_key=2, fund=1.5), language="en")
