"""The Shanxi-like province under the plan's own rules, an impossible variant, and explanations.

Run with ``python examples/program_rules.py`` (``--full`` for the 1,000-need province).
"""

import sys

import matcher

# The plan's own rules (matcher.synth.PLAN_POLICY), and only organizations that passed inspection.
PLAN_RULES = {**matcher.synth.PLAN_POLICY, "eligibility": {"require_inspection": True}}


def main(full: bool = False) -> None:
    size = {"n_needs": 1000, "n_orgs": 200} if full else {"n_needs": 300, "n_orgs": 90}
    base = matcher.synth.shanxi(seed=0, **size)
    problem = base.with_policy(**PLAN_RULES)

    unconstrained = matcher.solve(base)
    plan = matcher.solve(problem, time_limit=30)
    assert matcher.verify(problem, plan) == []
    print(
        f"unconstrained flow: {unconstrained.status}, score {unconstrained.objective:.2f}, "
        f"{unconstrained.kpis.engaged} organizations, "
        f"key areas {unconstrained.kpis.by_tier[matcher.Priority.KEY].share:.1%}"
    )
    print(
        f"under the plan's rules ({plan.solver}): {plan.status}, gap {plan.gap:.4%}, "
        f"{plan.timings['total_seconds']:.2f} s"
    )
    for level, value in plan.levels.items():
        print(f"  level {level:<14} {value:10.3f}")
    for violation in plan.soft_violations:
        print(f"  soft rule {violation.rule} {violation.target}: short by {violation.amount:.2f}")
    print(plan.summary("en").split("\n", 3)[2])

    # A fund too small for 60 organizations to take part: the two rules cannot both hold.
    impossible = problem.with_policy(rules={"money": {"total_fund": 5_000_000}})
    verdict = matcher.solve(impossible, time_limit=30)
    print(f"\nimpossible variant: {verdict.status}")
    for conflict in verdict.conflicts:
        print("  " + conflict.message_zh)
        print("  " + conflict.message_en)

    print()
    served = plan.assignments[0].need_id
    print(matcher.explain.explain(problem, plan, served, "en"))
    print()
    print(matcher.explain.explain(problem, plan, plan.unmet[0].need_id, "zh"))
    print()
    other = next(o.id for o in problem.organizations if o.id != plan.assignments[0].org_id)
    print(matcher.why_not(problem, plan, served, other, "en"))


if __name__ == "__main__":
    main(full="--full" in sys.argv)
