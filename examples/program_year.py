"""Two program years with expert review: 摸底 → 评审 → 入库 → 重点项目 → 派单 → 实施 → 评估 → 下一年.

Each year on the Shanxi-like province:

1. the survey's needs are submitted as projects (摸底调查, 申报);
2. an expert group reviews them: ``k = 3`` conflict-free reviewers each, assigned exactly by a
   min-cost flow; scores are calibrated for each expert's leniency, and projects the experts
   disagree on get a fourth reviewer (专家评审, 二轮复评);
3. projects whose merit reaches the threshold enter the library (纳入项目库);
4. at least 30 key projects are selected from it on merit plus the dispatch score of the
   organizations able to take them, within a fund, with floors per category and for key areas
   (择优遴选重点项目, proven optimal);
5. the library is dispatched under the plan's rules, every key project served, the review's merit
   a score component (派单);
6. the projects run; third-party evaluators (hub, academic, professional) are assigned by the same
   engine, never to their own or an affiliated organization's project (第三方评估);
7. the evaluations become next year's ratings and continuity, and organizations rated below 3
   stars lose next year's government purchase of services (政府购买服务资格).

Run with ``python examples/program_year.py``.
"""

from __future__ import annotations

import numpy as np

import matcher
from matcher.models import Category, Priority
from matcher.review import (
    KeyProjectPolicy,
    ReviewDocument,
    admit,
    apply_evaluations,
    assign_evaluators,
    assign_reviewers,
    compute_merit,
    dispatch_scores,
    evaluation_results,
    library_problem,
    second_round,
    select_key_projects,
)
from matcher.review.synth import review_document, simulate_evaluations, simulate_reviews

KEY = KeyProjectPolicy(
    min_key=30,
    max_key=45,
    fund=12_000_000.0,
    category_floors=dict.fromkeys(Category, 3),
    key_area_floor=10,
)
POLICY = {
    "library_threshold": 62.0,
    "disagreement": 15.0,
    "min_evaluation": 3,
    "key": KEY.model_dump(mode="json"),
}


def review(problem: matcher.Problem, seed: int) -> tuple[ReviewDocument, list[str], int, int]:
    """Experts review every submitted project; the library and the number re-reviewed."""
    tree = problem.index.hierarchy
    document = review_document(problem, seed=seed, policy=POLICY)
    first = assign_reviewers(document, hierarchy=tree)
    document = simulate_reviews(document, first, seed=seed)
    flagged = compute_merit(document)
    extra = second_round(document, flagged)
    document = simulate_reviews(document, extra, seed=seed, round=2)
    merit = compute_merit(document)
    return document, admit(document, merit), len(first.pairs()), len(extra.pairs())


def key_projects(
    problem: matcher.Problem, document: ReviewDocument, library: list[str]
) -> list[str]:
    """The key projects, selected exactly from the library."""
    merit = compute_merit(document).of()
    projects = {p.id: p for p in document.projects}
    chosen = [projects[i] for i in library]
    picked = select_key_projects(
        np.array([merit[p.id] for p in chosen]),
        np.array([p.cost for p in chosen]),
        np.array([list(Category).index(p.category) for p in chosen]),
        np.array([p.key_area for p in chosen]),
        document.policy.key,
        dispatch=dispatch_scores(problem, [p.need for p in chosen]),
    )
    return [chosen[i].need for i in picked.tolist()]


def evaluate(
    document: ReviewDocument, plan: matcher.Solution, problem: matcher.Problem, seed: int
) -> ReviewDocument:
    """The carried-out projects, evaluated by third parties."""
    runner = {a.need_id: a.org_id for a in plan.assignments}
    projects = [
        p.model_copy(update={"implementer": runner[p.need]})
        for p in document.projects
        if p.need in runner
    ]
    document = document.replace(projects=projects, reviews=[])
    evaluators = assign_evaluators(document, hierarchy=problem.index.hierarchy)
    # An organization's quality: its reputation so far (stars mapped onto 0-1).
    quality = {
        o.id: (float(np.mean(o.ratings)) - 1.0) / 4.0 if o.ratings else 0.7
        for o in problem.organizations
    }
    return simulate_evaluations(document, evaluators, quality, seed=seed)


def dispatch_year(
    problem: matcher.Problem, document: ReviewDocument, library: list[str], key: list[str]
) -> tuple[matcher.Problem, matcher.Solution]:
    """The library dispatched under the plan's rules, every key project served, the review's
    merit a score component (weight 3). When that cannot be (a key project competes with a key
    county's floor for the same organizations), the conflict is printed and the key projects
    become a soft rule (100 points per one left out)."""
    planned = problem.with_policy(**matcher.synth.PLAN_POLICY).with_policy(weights={"merit": 3})
    merit = compute_merit(document).of()
    dispatch = library_problem(planned, library, key, merit=merit)
    plan = matcher.solve(dispatch, time_limit=20)
    if plan.status.value == "infeasible":
        for conflict in plan.conflicts:
            print(f"  {conflict.message_zh}：重点项目改为软约束")
        dispatch = library_problem(planned, library, key, hard=False, penalty=100.0, merit=merit)
        plan = matcher.solve(dispatch, time_limit=20)
    return dispatch, plan


def follow_ups(this_year: ReviewDocument, next_year: matcher.Problem) -> dict[str, str]:
    """Next year's needs that continue a project of this year in the same county and category."""
    done = {(p.region, p.category): p.id for p in this_year.projects if p.implementer}
    tree = next_year.index.hierarchy
    county = tree.at_level(next_year.index.need_region, matcher.Level.COUNTY)
    found = {}
    for need, c in zip(next_year.needs, county.tolist(), strict=True):
        key = (tree.ids[c] if c >= 0 else None, need.category)
        if key in done:
            found[need.id] = done.pop(key)
    return found


def main(n_needs: int = 400, n_orgs: int = 110, years: int = 2, seed: int = 0) -> None:
    problem = matcher.synth.shanxi(seed=seed, n_needs=n_needs, n_orgs=n_orgs)
    print(f"山西样例省：每年 {n_needs} 项需求，{n_orgs} 个社会组织；共 {years} 个年度")
    for year in range(1, years + 1):
        document, library, reviews, again = review(problem, seed + year)
        key = key_projects(problem, document, library)
        dispatch, plan = dispatch_year(problem, document, library, key)
        broken = matcher.verify(dispatch, plan)
        assert broken == [], (plan.status, broken[:3], plan.conflicts)
        served = {a.need_id for a in plan.assignments}
        kpis = plan.kpis
        key_tier = kpis.by_tier.get(Priority.KEY)
        evaluated = evaluate(document, plan, problem, seed + year)
        results = evaluation_results(evaluated)
        barred = sum(value < 3 for value in results.values())
        print()
        print(f"第 {year} 年")
        print(f"  申报项目 {len(document.projects)} 个，评审专家 {len(document.experts)} 位，"
              f"评审 {reviews} 人次，分歧复评 {again} 个项目")  # fmt: skip
        print(f"  纳入项目库 {len(library)} 个，遴选重点项目 {len(key)} 个（不少于 30 个）")
        print(f"  派单方案 {plan.status.value}（已核验），满足需求 {kpis.served} 项，"
              f"参与社会组织 {kpis.engaged} 个（不少于 60 个）")  # fmt: skip
        print(f"  重点项目全部派出：{'是' if set(key) <= served else '否'}；"
              f"重点帮扶地区覆盖率 {key_tier.share if key_tier else 0.0:.1%}")  # fmt: skip
        stars = [e.stars for e in evaluated.evaluations]
        print(f"  第三方评估 {len(stars)} 个项目，平均 {np.mean(stars):.2f} 星；"
              f"评估低于 3 星、下年不具备政府购买服务资格的组织 {barred} 个")  # fmt: skip
        following = matcher.synth.shanxi(seed=seed + year, n_needs=n_needs, n_orgs=n_orgs)
        following = following.replace(organizations=problem.organizations)
        links = follow_ups(evaluated, following)
        problem = apply_evaluations(following, evaluated, follow_ups=links)
        print(f"  下一年接续实施的需求 {len(links)} 项")


if __name__ == "__main__":
    main()
