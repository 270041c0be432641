"""Every label and message a person reads, in Chinese and English, kept once.

A text has a key ``section.name`` and a pair (Chinese, English); a text with ``{fields}`` is a
template. Modules look texts up here instead of keeping their own copies, so that a reason, a
column or a message reads the same in the summary, the workbook, the chart and the comparison.

=============== ================================================================================
section         what it names
=============== ================================================================================
``term``        the vocabulary: categories, organization types, levels, tiers, credit, groups
``reason``      why a need is not served (:data:`matcher.plan.solution.UnmetReason`)
``detail``      the one-sentence detail of an unmet need
``outcome``     a need's standing in a plan beside the unmet reasons (served, absent)
``summary``     the plan's summary (:meth:`matcher.Solution.summary`)
``html``        the HTML views of a problem, a plan and a comparison
``comparison``  the report of a comparison and its errors
``change``      what happened to a need between two plans
``total``       the overall figures of a comparison
``delta``       a change in a figure
``metric``      the figures of the plan workbook's 指标 sheet
``sheet``       the plan workbook's sheets (Chinese names; English ones are the sheet's id)
``column``      the plan workbook's columns (Chinese names; English ones are the column's id)
``table``       messages about tables read from files
``plot``        chart titles, axes and legends
``conflict``    why hard rules cannot all hold
``hard_rule``   a hard rule, named in a conflict
``component``   score components as explanations name them
``rule``        eligibility rules, as a sentence, ...
``rule_short``  ... and as a short name for counts
``rule_kind``   kinds of counting rule
``verdict``     why an organization did not take a need
``rating``      the five-star rating scale
``status``      where a need or an offer stands in a dispatch
``action``      what a dispatch event does, as the verb of a refusal
``service``     what each error code of the service's answers means
``serve``       the settings of the service (``matcher serve``) it refuses
``cli``         what the command line prints
``error``       error messages (:class:`~matcher.errors.ProblemError`, ``OptionError``)
=============== ================================================================================

The language is chosen by :func:`language`: an explicit choice, else ``MATCHER_LANG``, else the
locale (Chinese where it is Chinese), else the caller's default. The caller's default stays what each
output had before there was a setting: Chinese for labels, English for error messages (the one
exception is a Chinese locale, which gives Chinese messages too).

Examples
--------
>>> text("reason.rules", "zh"), text("reason.rules", "en")
('受政策规则限制', "held back by the policy's rules")
>>> text("detail.capacity", "en", count=3)
'all 3 candidates with a positive score are full'
>>> section("change")["moved"]
('改派', 'moved')
>>> display_width("太原市"), display_width("Taiyuan"), pad("市", 4) + "|"
(6, 7, '市  |')
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "ENV",
    "Language",
    "display_width",
    "given_setting",
    "keys",
    "pad",
    "pair",
    "preferred",
    "section",
    "text",
]

Language = Literal["zh", "en"]

#: The environment variable that chooses the language (``zh`` or ``en``).
ENV = "MATCHER_LANG"

# fmt: off
_ENTRIES: dict[str, tuple[str, str]] = {
    # --- the vocabulary (models/vocab.py) ---------------------------------------------------------
    # categories
    "term.industry": ("产业帮扶", "Industry support"),
    "term.talent": ("人才培养", "Talent development"),
    "term.employment": ("就业帮扶", "Employment support"),
    "term.vulnerable": ("扶弱济困", "Help for the vulnerable"),
    "term.consumption": ("消费帮扶", "Consumption support"),
    "term.culture_tourism": ("文旅振兴", "Culture and tourism"),
    # organization types
    "term.industry_association": ("行业协会商会", "Industry association or chamber of commerce"),
    "term.agriculture": ("农业农村类", "Agriculture and rural"),
    "term.science_technology": ("科技类", "Science and technology"),
    "term.foundation": ("基金会等慈善组织", "Foundation or charity"),
    "term.training": ("培训类", "Training"),
    "term.academic": ("学术类", "Academic"),
    "term.employment_service": ("就业服务类", "Employment services"),
    "term.social_service": ("社会服务机构", "Social-service institution"),
    "term.public_welfare": ("公益慈善类", "Public-welfare charity"),
    "term.community_service": ("城乡社区服务类", "Urban-rural community services"),
    "term.grassroots_community": ("城乡基层社区社会组织", "Grassroots community organization"),
    "term.ecommerce": ("网络电商类", "Online e-commerce"),
    "term.private_institution": ("民办高校医院等社会服务机构", "Private university or hospital"),
    "term.culture_tourism_org": ("文化旅游类", "Culture and tourism"),
    "term.media": ("新媒体宣传类", "New media and publicity"),
    "term.hub": ("枢纽型", "Hub organization"),
    "term.professional": ("专业型", "Professional organization"),
    "term.other": ("其他", "Other"),
    # region levels
    "term.nation": ("全国", "Nation"),
    "term.province": ("省", "Province"),
    "term.city": ("市", "City"),
    "term.county": ("县", "County"),
    "term.township": ("乡镇", "Township"),
    "term.village": ("村", "Village"),
    # priority tiers
    "term.key": ("重点帮扶地区", "Key assistance area"),
    "term.former_poverty": ("原贫困地区", "Former poverty area"),
    "term.normal": ("一般地区", "Other area"),
    # credit
    "term.credit_normal": ("正常", "In good standing"),
    "term.abnormal": ("活动异常名录", "On the abnormal-activity list"),
    "term.blacklisted": ("严重违法失信名单", "On the serious-dishonesty list"),
    # vulnerable groups
    "term.destitute": ("特困供养人员", "Destitute persons"),
    "term.left_behind_elderly": ("留守老人", "Left-behind elderly"),
    "term.orphans": ("孤儿", "Orphans"),
    "term.unsupported_children": ("事实无人抚养儿童", "De-facto unsupported children"),
    "term.left_behind_children": ("留守儿童", "Left-behind children"),
    "term.disabled": ("残疾人", "People with disabilities"),

    # --- unmet needs ------------------------------------------------------------------------------
    "reason.no_candidate": ("无符合条件的组织", "no eligible organization"),
    "reason.capacity": ("候选组织承接能力已满", "every candidate is full"),
    "reason.non_positive_score": ("候选匹配得分不为正", "no candidate with a positive score"),
    "reason.too_few_candidates": ("合作组织不足", "too few candidates for the partnership"),
    "reason.rules": ("受政策规则限制", "held back by the policy's rules"),
    "reason.not_chosen": ("未被选中", "not chosen"),
    "reason.infeasible": ("硬性规则无法同时满足", "the hard rules cannot all hold"),
    "detail.no_candidate": ("无符合条件的组织", "no eligible organization"),
    "detail.no_candidate_because": ("无符合条件的组织:{removed}", "no eligible organization: {removed}"),
    "detail.separator": ("、", ", "),
    "detail.removes": ("{rule}排除 {count} 个", "{rule} removes {count}"),
    "detail.infeasible": (
        "硬性规则无法同时满足(见冲突说明)", "the hard rules cannot all hold (see conflicts)"
    ),
    "detail.too_few_candidates": (
        "需要 {partners} 个合作组织,只有 {count} 个候选组织",
        "needs {partners} partners, has {count} candidates",
    ),
    "detail.too_few": ("只有 {count} 个候选组织,不足以合作实施", "has {count} candidates, too few"),
    "detail.non_positive_score": (
        "全部 {count} 个候选组织得分不大于 0", "all {count} candidates score 0 or less"
    ),
    "detail.rules": (
        "有候选组织尚有名额,但受政策规则限制", "a candidate had room; the policy's rules hold it back"
    ),
    "detail.not_chosen": (
        "有候选组织尚有名额,但该方案未被证明最优",
        "a candidate had room but the plan is not proven best",
    ),
    "detail.capacity": (
        "全部 {count} 个得分为正的候选组织均已满额",
        "all {count} candidates with a positive score are full",
    ),
    "outcome.served": ("已满足", "served"),
    "outcome.absent": ("不在该方案中", "not in the plan"),

    # --- the plan's summary (Solution.summary) and its HTML view ----------------------------------
    "summary.head": ("派单方案 · 状态 {status} · 求解器 {solver}", "Dispatch plan · status {status} · solver {solver}"),
    "summary.objective": (
        "目标值 {objective:,.3f} · 上界 {bound:,.3f} · 差距 {gap:.4%}",
        "objective {objective:,.3f} · bound {bound:,.3f} · gap {gap:.4%}",
    ),
    "summary.served": (
        "满足需求 {served} / {needs} ({share:.1%}) · 参与组织 {engaged} / {organizations} · "
        "承接能力使用 {utilization:.1%}",
        "needs served {served} / {needs} ({share:.1%}) · organizations engaged {engaged} / "
        "{organizations} · capacity used {utilization:.1%}",
    ),
    "summary.by_category": ("按帮扶类别:", "By category:"),
    "summary.by_tier": ("按帮扶优先级:", "By priority tier:"),
    "summary.by_city": ("按市:", "By city:"),
    "summary.by_reason": ("未满足原因:", "Unmet needs by reason:"),

    "html.category": ("类别", "category"),
    "html.total": ("合计", "total"),
    "html.all": ("合计", "all"),
    "html.needs": ("需求", "needs"),
    "html.served": ("满足", "served"),
    "html.share": ("满足率", "share"),
    "html.change": ("变化", "change"),
    "html.problem": (
        "问题 · {regions} 个地区 · {organizations} 个组织 · {needs} 项需求",
        "Problem · {regions} regions · {organizations} organizations · {needs} needs",
    ),
    "html.organizations": (
        "组织承接能力合计 {capacity} · 信用受限 {barred} · 登记级别:{scopes}",
        "total capacity {capacity} · barred by credit {barred} · scopes: {scopes}",
    ),
    "html.needs_caption": ("需求(按帮扶类别与优先级)", "Needs by category and priority tier"),
    "html.plan": (
        "派单方案 · {status} · 目标值 {objective:,.3f} · 上界 {bound:,.3f} · "
        "参与组织 {engaged}/{organizations} · 承接能力使用 {utilization:.1%}",
        "Dispatch plan · {status} · objective {objective:,.3f} · bound {bound:,.3f} · "
        "organizations engaged {engaged}/{organizations} · capacity used {utilization:.1%}",
    ),
    "html.by_reason": ("未满足原因", "Unmet needs by reason"),
    "html.comparison": ("方案对比", "Plan comparison"),

    # --- comparing plans --------------------------------------------------------------------------
    "comparison.head": ("方案对比 · {a} → {b}", "Plan comparison · {a} → {b}"),
    "comparison.by_category": ("按帮扶类别", "By category"),
    "comparison.by_tier": ("按帮扶优先级", "By priority tier"),
    "comparison.by_city": ("按市(变化最大)", "By city (largest changes)"),
    "comparison.counts": (
        "需求变化:新增满足 {gained} · 不再满足 {lost} · 改派 {moved} · 不变 {kept} · "
        "均未满足 {unserved}",
        "Needs: gained {gained} · lost {lost} · moved {moved} · unchanged {kept} · "
        "unserved in both {unserved}",
    ),
    "comparison.load": ("承接量变化的组织:{count} 个", "Organizations whose load changed: {count}"),
    "comparison.first": ("{label}(前 {count} 项):", "{label} (first {count}):"),
    "comparison.no_yardstick": (
        "得分:未给出问题,无法按同一标准计分(请用 problem= 或 --problem 给出方案 A 的问题)",
        "Score: no problem given, so the plans cannot be scored by one yardstick "
        "(give plan A's problem with problem= or --problem)",
    ),
    "comparison.yardstick": (
        "得分:两个方案均按「{name}」的问题和权重计分,标准相同",
        "Score: both plans scored by the problem and weights of {name}: one yardstick",
    ),
    "comparison.wrong_needs": (
        "其 {total} 项需求中有 {count} 项不在问题中,或所在地区、类别不同({examples})",
        "{count} of its {total} needs are not in it or lie in another region or category "
        "({examples})",
    ),
    "comparison.missing_orgs": (
        "其 {total} 个承接组织中有 {count} 个不在问题中({examples})",
        "{count} of its {total} organizations are not in it ({examples})",
    ),
    "comparison.parts": (";", "; "),
    "comparison.mismatch": (
        "方案「{name}」与所给问题不符:{reasons}。请给出生成该方案的问题。",
        "plan {quoted} does not belong to the problem given for it: {reasons}. "
        "Give the problem the plan was made for.",
    ),
    "change.gained": ("新增满足", "gained service"),
    "change.lost": ("不再满足", "lost service"),
    "change.moved": ("改派", "moved"),
    "change.kept": ("不变", "unchanged"),
    "change.unserved": ("均未满足", "unserved in both"),
    "total.base_score": ("得分(基准权重)", "score (base weights)"),
    "total.needs": ("需求数", "needs"),
    "total.served": ("满足需求", "needs served"),
    "total.share": ("满足率", "share served"),
    "total.organizations": ("组织数", "organizations"),
    "total.engaged": ("参与组织", "organizations engaged"),
    "total.capacity": ("承接能力", "capacity"),
    "total.utilization": ("承接能力使用率", "capacity used"),
    "delta.points": ("{points:+.1f} 个百分点", "{points:+.1f} pp"),

    # --- the plan workbook ------------------------------------------------------------------------
    "metric.status": ("求解状态", "status"),
    "metric.solver": ("求解器", "solver"),
    "metric.objective": ("目标值(总得分)", "objective (total score)"),
    "metric.bound": ("上界", "bound"),
    "metric.needs": ("需求数", "needs"),
    "metric.served": ("已满足需求", "needs served"),
    "metric.share": ("满足率", "share served"),
    "metric.organizations": ("组织数", "organizations"),
    "metric.engaged": ("参与组织", "organizations engaged"),
    "metric.capacity": ("承接能力", "capacity"),
    "metric.used": ("已用承接能力", "capacity used"),
    "metric.utilization": ("承接能力使用率", "utilization"),
    "sheet.plan": ("派单方案", "plan"),
    "sheet.unmet": ("未满足需求", "unmet"),
    "sheet.kpis": ("指标", "kpis"),
    "sheet.by_category": ("按帮扶类别", "by_category"),
    "sheet.by_tier": ("按优先级", "by_tier"),
    "sheet.by_city": ("按市", "by_city"),
    "sheet.load": ("组织承接", "load"),
    "sheet.explanations": ("派单解释", "explanations"),
    "column.need_id": ("需求编号", "need_id"),
    "column.title": ("需求名称", "title"),
    "column.region": ("地区", "region"),
    "column.city": ("市", "city"),
    "column.category": ("帮扶类别", "category"),
    "column.tier": ("帮扶优先级", "tier"),
    "column.org_id": ("组织编号", "org_id"),
    "column.org_name": ("组织名称", "org_name"),
    "column.score": ("得分", "score"),
    "column.reason": ("未满足原因", "reason"),
    "column.detail": ("说明", "detail"),
    "column.candidates": ("候选组织数", "candidates"),
    "column.name": ("名称", "name"),
    "column.needs": ("需求数", "needs"),
    "column.served": ("已满足", "served"),
    "column.share": ("满足率", "share"),
    "column.load": ("承接项目数", "load"),
    "column.capacity": ("最多承接项目数", "capacity"),
    "column.capability": ("能力", "capability"),
    "column.type_fit": ("类型匹配", "type_fit"),
    "column.priority": ("地区优先级", "priority"),
    "column.beneficiaries": ("受益人数", "beneficiaries"),
    "column.vulnerable": ("困难群体", "vulnerable"),
    "column.proximity": ("距离", "proximity"),
    "column.reputation": ("口碑", "reputation"),
    "column.continuity": ("接续实施", "continuity"),
    "column.discontinuity": ("接续不佳", "discontinuity"),
    "column.incumbent": ("已派未接", "incumbent"),
    "column.preference": ("组织意向", "preference"),
    "column.merit": ("评审得分", "merit"),
    "column.key": ("参数", "key"),
    "column.value": ("取值", "value"),
    "column.metric": ("指标", "metric"),
    "column.amount": ("数值", "value"),

    # --- tables read from files -------------------------------------------------------------------
    "table.row": ("第 {number} 行", "row {number}"),
    "table.column": ("{letter} 列", "column {letter}"),
    "table.cannot_read": ("无法读取:{reason}", "cannot read: {reason}"),
    "table.cannot_write": ("无法写入:{reason}", "cannot write: {reason}"),
    "table.not_text": ("不是 UTF-8 或 GB18030 编码的文本", "is not UTF-8 or GB18030 text"),
    "table.not_csv": ("不是有效的 CSV 文件:{reason}", "is not a valid CSV file: {reason}"),
    "table.not_workbook": ("不是 Excel 工作簿:{reason}", "is not an Excel workbook: {reason}"),
    "table.not_parquet": ("不是 Parquet 文件:{reason}", "is not a Parquet file: {reason}"),
    "table.xls": (
        "不读取 Excel 97-2003 工作簿(.xls),请另存为 .xlsx",
        "Excel 97-2003 workbooks (.xls) are not read: save it as .xlsx",
    ),
    "table.no_sheet": ("没有工作表 {sheet};现有:{sheets}", "no sheet {sheet}; the sheets are {sheets}"),
    "table.empty": ("表是空的,没有表头行", "the table is empty: no header row"),
    "table.no_columns": ("表中没有列", "the table has no columns"),
    "table.no_header": ("这一列有数据但没有列名", "the column has values but no header"),
    "table.twice": ("列名重复", "the column appears twice"),
    "table.same_field": ("与列 {other} 同为字段 {field}", "gives {field}, as column {other} does"),
    "table.unknown_column": ("未知的列", "unknown column"),
    "table.mangled": (
        "未知的列(pandas 给第二个 {first} 列起的名字?)",
        "unknown column (pandas' name for a second {first} column?)",
    ),
    "table.not_table": ("不是表(pandas.DataFrame)", "is not a table (a pandas.DataFrame)"),
    "table.second_table": ("第二张 {section} 表", "a second {section} table"),
    "table.bytes": ("字节串不是文本或数字", "bytes are neither text nor a number"),
    "table.bool": ("是/否值不能当作数字或文本", "a yes/no value is neither a number nor text"),
    "table.not_scalar": ("一个单元格只能填一个值", "several values where one is expected"),
    "table.formula": (
        "公式 {formula} 没有保存的计算结果(在 Excel 中打开并保存,或粘贴为数值)",
        "the formula {formula} has no saved value (open and save the file in Excel, "
        "or paste values)",
    ),
    "table.excel_error": ("单元格是 Excel 错误值 {value}", "the cell holds the Excel error {value}"),
    "table.unknown_org": ("未知的组织 {id}", "unknown organization {id}"),
    "table.policy_columns": (
        "政策表需要参数列和取值列", "the policy table needs a key and a value column"
    ),
    "table.policy_key": ("参数 {name} 与 {other} 冲突", "the key {name} clashes with {other}"),
    "table.control": (
        "含有 Excel 无法保存的控制字符", "holds a control character that Excel cannot store"
    ),

    # --- charts (plots.py) -----------------------------------------------------------------------
    "plot.city_title": ("各市需求满足率", "Share of needs served by city"),
    "plot.county_title": ("各县(市、区)需求满足率", "Share of needs served by county"),
    "plot.share": ("满足率", "share served"),
    "plot.overall": ("全省", "overall"),
    "plot.mix_title": ("各帮扶类别需求满足情况", "Needs by category: served and unmet"),
    "plot.needs": ("需求数", "needs"),
    "plot.served": ("已满足", "served"),
    "plot.load_title": ("组织承接项目数(前 {n} 个)", "Projects taken per organization (top {n})"),
    "plot.load": ("承接项目数", "projects taken"),
    "plot.capacity": ("最多承接", "capacity"),
    "plot.load_note": (
        "参与组织 {engaged} / {organizations} · 承接能力使用 {utilization:.0%}",
        "{engaged} of {organizations} organizations engaged · capacity used {utilization:.0%}",
    ),
    "plot.map_title": ("各县需求满足率分布", "Coverage of needs by county"),
    "plot.lon": ("经度", "longitude"),
    "plot.lat": ("纬度", "latitude"),
    "plot.key_marker": ("重点帮扶地区(黑框)", "key assistance area (black edge)"),
    "plot.size_note": ("点的大小:需求数", "marker size: needs"),
    "plot.compare_title": ("方案对比:{by}满足率", "Plan comparison: share served by {by}"),
    "plot.by_city": ("市", "city"),
    "plot.by_category": ("帮扶类别", "category"),
    "plot.by_tier": ("帮扶优先级", "priority tier"),
    "plot.frontier_title": ("权衡前沿", "Trade-off frontier"),
    "plot.efficient": ("有效方案", "efficient plans"),
    "plot.dominated": ("其他方案", "other plans"),
    "plot.share_key": ("重点帮扶地区满足率", "share of key-area needs served"),
    "plot.base_score": ("总得分(基准权重)", "total score (base weights)"),
    "plot.objective": ("目标值", "objective"),
    "plot.unmet": ("未满足:{reason}", "unmet: {reason}"),

    # --- hard rules that cannot all hold (conflicts.py, constraints.py) ---------------------------
    "conflict.all_needs": ("全部需求", "all needs"),
    "conflict.key_projects": ("重点项目", "key projects"),
    "conflict.floor_candidates": (
        "{group}至少需要满足 {lower} 项需求，但有候选组织的需求只有 {have}",
        "{group} must get at least {lower} served needs, but only {have} of its needs have a "
        "candidate",
    ),
    "conflict.floor_capacity": (
        "{group}至少需要满足 {lower} 项需求，但可服务它的组织只有 {have}，合计承接能力 {room}",
        "{group} must get at least {lower} served needs, but only {have} organizations may "
        "serve it, with room for {room}",
    ),
    "conflict.min_organizations": (
        "至少需要 {wanted} 个组织参与，但只有 {usable} 个组织有候选需求",
        "at least {wanted} organizations must take part, but only {usable} have a candidate need",
    ),
    "conflict.cannot_all_hold": ("以下规则无法同时满足：{rules}", "these rules cannot all hold: {rules}"),
    "conflict.separator": ("；", "; "),
    "hard_rule.min": ("{group}至少满足 {count} 项", "{group} gets at least {count} served needs"),
    "hard_rule.max": ("{group}至多满足 {count} 项", "{group} gets at most {count} served needs"),
    "hard_rule.min_organizations": ("至少 {wanted} 个组织参与", "at least {wanted} organizations take part"),
    "hard_rule.total_fund": ("总资金不超过 {fund:,.0f} 元", "the program fund of {fund:,.0f} is not exceeded"),
    "hard_rule.budget": ("{org} 不超出预算", "{org} stays within its budget"),
    "hard_rule.aid_mix": ("造血类项目至少占 {share:.0%}", "at least {share:.0%} of served needs build capacity"),

    # --- explanations (explain/) ------------------------------------------------------------------
    "component.capability": ("能力", "capability"),
    "component.type_fit": ("类型匹配", "type fit"),
    "component.priority": ("帮扶优先级", "priority tier"),
    "component.beneficiaries": ("受益人数", "beneficiaries"),
    "component.vulnerable": ("困难群体", "vulnerable groups"),
    "component.proximity": ("距离", "proximity"),
    "component.reputation": ("服务评价", "reputation"),
    "component.continuity": ("接续实施", "continuity"),
    "component.discontinuity": ("差评接续", "discontinuity"),
    "component.incumbent": ("在途派单", "pending offer"),
    "component.preference": ("承接意愿", "preference"),
    "component.merit": ("评审得分", "review merit"),
    "component.acceptance": ("接单概率（乘数）", "acceptance (factor)"),
    "component.pair_score": ("给定配对得分", "given pair score"),
    "rule.credit": ("信用状况不符合政策要求", "its credit standing is barred by the policy"),
    "rule.inspection": ("未通过年检", "it did not pass the annual inspection"),
    "rule.grade": ("评估等级低于要求", "its evaluation grade is below the minimum"),
    "rule.declined": ("此前已拒绝该需求", "it declined this need in an earlier round"),
    "rule.pair_scores": ("不在给定的配对得分中", "the pair is not among the given pair scores"),
    "rule.capability": ("没有该类帮扶能力", "it has no capability in the category"),
    "rule.unwilling": ("不愿承接该类别或地区", "it declines the category or the region"),
    "rule.primary_type": ("该类别只派给重点类型组织", "the category is kept for primary types"),
    "rule.scope": ("需求超出其登记地域范围", "the need lies outside the area of its registration"),
    "rule.service_regions": ("需求不在其服务地区内", "the need lies outside its service regions"),
    "rule.distance": ("距离超过上限", "it is farther away than the policy allows"),
    "rule_short.credit": ("信用", "credit"),
    "rule_short.inspection": ("年检", "inspection"),
    "rule_short.grade": ("评估等级", "grade"),
    "rule_short.declined": ("已拒绝", "declined"),
    "rule_short.pair_scores": ("无给定配对", "pair_scores"),
    "rule_short.capability": ("无该类能力", "capability"),
    "rule_short.unwilling": ("不愿承接", "unwilling"),
    "rule_short.primary_type": ("非重点类型", "primary_type"),
    "rule_short.scope": ("超出登记范围", "scope"),
    "rule_short.service_regions": ("不在服务地区", "service_regions"),
    "rule_short.distance": ("距离过远", "distance"),
    "rule_kind.regions": ("地区名额", "regional quotas"),
    "rule_kind.categories": ("类别名额", "category quotas"),
    "rule_kind.program": ("项目总量", "program totals"),
    "rule_kind.money": ("资金", "money"),
    "rule_kind.aid_mix": ("造血比例", "aid mix"),
    "rule_kind.key_projects_served": ("重点项目", "key projects"),
    "rule_kind.goals": ("多级目标", "goals"),
    "rule_kind.partnerships": ("合作实施", "partnerships"),
    "verdict.lower": ("得分更低", "lower"),
    "verdict.ineligible": ("不符合条件", "ineligible"),
    "verdict.not_positive": ("得分不为正", "not positive"),
    "verdict.full": ("已满额", "full"),
    "verdict.pinned": ("因已接受的派单被保留而未改派", "kept out by the accepted offer"),
    "verdict.rules": ("受政策规则限制", "held back by the policy's rules"),
    "verdict.not_chosen": ("方案未证明最优而未选", "left out by a plan not proven best"),

    # --- dispatch ---------------------------------------------------------------------------------
    "status.open": ("待派单", "open"),
    "status.dispatched": ("已派单", "dispatched"),
    "status.proposed": ("待答复", "proposed"),
    "status.accepted": ("已接单", "accepted"),
    "status.declined": ("已拒绝", "declined"),
    "status.withdrawn": ("已撤回", "withdrawn"),
    "status.in_service": ("服务中", "in service"),
    "status.completed": ("已完成", "completed"),
    "status.rated": ("已评价", "rated"),
    "status.cancelled": ("已取消", "cancelled"),
    "action.propose": ("派单", "propose"),
    "action.accept": ("接受", "accept"),
    "action.decline": ("拒绝", "decline"),
    "action.withdraw": ("撤回", "withdraw"),
    "action.start": ("开始实施", "start"),
    "action.complete": ("完成", "complete"),
    "action.rate": ("评价", "rate"),
    "action.cancel": ("取消", "cancel"),
    "rating.5": ("非常满意", "very satisfied"),
    "rating.4": ("满意", "satisfied"),
    "rating.3": ("基本满意", "basically satisfied"),
    "rating.2": ("不满意", "dissatisfied"),
    "rating.1": ("非常不满意", "very dissatisfied"),

    # --- the service (matcher serve): what each error code of an answer means ---------------------
    "service.invalid": ("输入无效", "the input is invalid"),
    "service.malformed": ("请求体不是有效的 JSON", "the request body is not valid JSON"),
    "service.not_found": ("未找到", "not found"),
    "service.dispatch_exists": ("该派单编号已存在", "a dispatch with this id exists"),
    "service.transition": ("当前状态不允许此操作", "the dispatch's state does not allow this"),
    "service.unknown_id": ("需求或组织编号不存在", "no such need or organization"),
    "service.stale_sequence": (
        "派单记录已有更新,所给序号已过期",
        "the dispatch has moved on since the sequence number given",
    ),
    "service.idempotency_mismatch": (
        "该幂等键已用于另一个请求",
        "this idempotency key was used for another request",
    ),
    "service.too_large": ("请求体过大", "the request body is too large"),
    "service.timeout": ("请求超出时间限制", "the request ran over its time limit"),
    "service.busy": ("服务繁忙,请稍后重试", "the service is busy; retry later"),
    "service.solver": ("求解失败", "the solver failed"),

    # --- the service's settings (matcher serve, matcher.service.app.Config) -----------------------
    "serve.kept_plans": (
        "保留用于解释的轮次方案数(--kept-plans)须为不小于 0 的整数,而不是 {value}",
        "--kept-plans, the round plans kept for explanations, must be a whole number, 0 or more, "
        "not {value}",
    ),
    "serve.idempotency_hours": (
        "幂等记录的保留时长(--idempotency-hours)须为大于 0 的小时数,而不是 {value}",
        "--idempotency-hours, how long idempotency records are kept, must be a number of hours "
        "above 0, not {value}",
    ),

    # --- the command line -------------------------------------------------------------------------
    "cli.demo": (
        "模拟山西省 · {regions} 个地区 · {organizations} 个组织 · {needs} 项需求",
        "Synthetic Shanxi-like province · {regions} regions · {organizations} organizations · "
        "{needs} needs",
    ),
    "cli.plan_written": ("方案已写入 {path}", "plan written to {path}"),
    "cli.worker_lost": (
        "求解子进程意外退出(可能是内存不足);去掉 --workers 或减少进程数后重试",
        "a worker process ended unexpectedly (out of memory?); try again with fewer --workers",
    ),
    "cli.explanations_written": (
        "{count} 项需求的解释已写入 {path}", "explanations of {count} needs written to {path}"
    ),
    "cli.valid": (
        "{source}:有效 · {regions} 个地区 · {organizations} 个组织 · {needs} 项需求 · "
        "{pairs} 个候选配对",
        "{source}: valid · {regions} regions · {organizations} organizations · {needs} needs · "
        "{pairs} candidate pairs",
    ),
    "cli.wrote": (
        "已写入 {path}:{regions} 个地区 · {organizations} 个组织 · {needs} 项需求",
        "wrote {path}: {regions} regions · {organizations} organizations · {needs} needs",
    ),
    "cli.one_from_stdin": (
        "问题和方案只能有一个来自标准输入", "only one of the problem and the plan can come from stdin"
    ),
    "cli.one_plan_from_stdin": ("两个方案只能有一个来自标准输入", "only one of the plans can come from stdin"),
    "cli.problems_given": (
        "--problem:两个方案共用一个问题,或每个方案各给一个",
        "--problem: give one problem for both plans, or one per plan",
    ),
    "cli.explain_suffix": ("-o {path}:请写成 .xlsx、.csv 或 .json", "-o {path}: write .xlsx, .csv or .json"),
    "cli.need": ("需求", "Need"),
    "cli.region": ("地区", "Region"),
    "cli.category": ("类别", "Category"),
    "cli.org": ("组织", "Organization"),
    "cli.score": ("得分", "Score"),
    "cli.verify": ("校验:{count} 处违规", "verify: {count} violations"),
    "cli.top": ("得分最高的 {count} 项派单:", "Top {count} assignments by score:"),
    "cli.total_time": ("总用时 {seconds:.3f} 秒", "total time {seconds:.3f} s"),
    "cli.plot_written": ("图已写入 {path}", "plot written to {path}"),
    "cli.error": ("错误", "error"),

    # --- errors -----------------------------------------------------------------------------------
    "error.problems": ("输入中有 {count} 处问题", "{count} problems in the input"),
    "error.document_size": (
        "文档有 {size:,} 字节;最多 {limit:,} 字节",
        "the document has {size:,} bytes; at most {limit:,}",
    ),
    "error.document_depth": (
        "JSON 嵌套 {depth} 层;最多允许 {limit} 层",
        "the JSON is nested {depth} levels deep; at most {limit} are allowed",
    ),
    "error.not_json": (
        "不是有效的 JSON:{reason},位于第 {line} 行第 {column} 列",
        "not valid JSON: {reason} at line {line} column {column}",
    ),
    "error.not_utf8": ("不是 UTF-8 文本:{reason}", "not UTF-8 text: {reason}"),
    "error.long_number": (
        "第 {line} 行第 {column} 列的数字有 {digits:,} 位;最多 {limit:,} 位",
        "the number at line {line} column {column} has {digits:,} digits; at most {limit:,}",
    ),
    "error.problem": ("输入中有 1 处问题", "1 problem in the input"),
    "error.plan_problems": ("计划中有 {count} 处问题", "{count} problems in the plan"),
    "error.plan_problem": ("计划中有 1 处问题", "1 problem in the plan"),
    "error.unknown_field": ("未知字段", "unknown field"),
    "error.missing": ("缺少必填字段", "required field is missing"),
    "error.not_one_of": ("不是以下之一:{expected}", "not one of {expected}"),
    "error.unknown_region": ("未知的地区 {id}", "unknown region {id}"),
    "error.unknown_need": ("未知的需求 {id}", "unknown need {id}"),
    "error.unknown_organization": ("未知的组织 {id}", "unknown organization {id}"),
    "error.event_recorded": (
        "事件 #{seq}({kind})已记录;下一个应为 #{next}",
        "event #{seq} ({kind}) is already recorded; the next is #{next}",
    ),
    "error.event_skips": (
        "事件 #{seq}({kind})跳过了编号;下一个应为 #{next}",
        "event #{seq} ({kind}) skips ahead; the next is #{next}",
    ),
    "error.round_order": ("第 {round} 轮不能接在第 {current} 轮之后", "round {round} cannot follow round {current}"),
    "error.cancel_under_way": (
        "不能取消 {need}:其项目{status}", "cannot cancel {need}: its project is {status}"
    ),
    "error.need_cancelled": ("不能{action} {need}:该需求已取消", "cannot {action} {need}: the need was cancelled"),
    "error.propose_round": (
        "不能在第 {round} 轮派出 {pair}:当前是第 {current} 轮",
        "cannot propose {pair} in round {round}: the current round is {current}",
    ),
    "error.propose_live": (
        "不能派出 {pair}:{need} 已有派给 {org} 的派单({status})",
        "cannot propose {pair}: {need} already has a {status} offer to {org}",
    ),
    "error.propose_declined": ("不能派出 {pair}:{org} 已拒绝 {need}", "cannot propose {pair}: {org} declined {need}"),
    "error.propose_ineligible": ("不能派出 {pair}:该配对不符合条件", "cannot propose {pair}: the pair is not eligible"),
    "error.propose_full": (
        "不能派出 {pair}:{org} 已承接 {load} 项,最多 {capacity} 项",
        "cannot propose {pair}: {org} already holds {load} of its {capacity} projects",
    ),
    "error.no_offer": ("不能{action} {pair}:没有把 {need} 派给 {org} 的派单", "cannot {action} {pair}: no offer of {need} to {org}"),
    "error.offer_was": ("不能{action} {pair}:该派单{status}", "cannot {action} {pair}: the offer was {status}"),
    "error.no_accepted": ("不能{action} {need}:它没有已接受的派单", "cannot {action} {need}: it has no accepted offer"),
    "error.offer_status": (
        "不能{action} {need}:派给 {org} 的派单{status},而不是{required}",
        "cannot {action} {need}: its offer to {org} is {status}, not {required}",
    ),
    "error.not_candidate": ("{pair} 不是候选配对", "{pair} is not a candidate pair"),
    "error.invalid_event": ("不是有效的事件:{issues}", "not a valid event: {issues}"),
    "error.invalid_kind_event": ("无效的 {kind} 事件:{issues}", "invalid {kind} event: {issues}"),
    "error.round_no_plan": ("本轮问题没有方案:状态 {status}", "the round problem has no plan: status {status}"),
    "error.unknown_project": ("未知的项目 {id}", "unknown project {id}"),
    "error.unknown_expert": ("未知的专家 {id}", "unknown expert {id}"),
    "error.unknown_evaluator": ("未知的评估机构 {id}", "unknown evaluator {id}"),
    "error.unknown_table": ("未知的表 {name}", "unknown table {name}"),
    "error.duplicate_review": ("评审重复(首次出现在 {first})", "duplicate review (first at {first})"),
    "error.score_per_criterion": (
        "政策要求按评审指标分别打分(scores)", "the policy asks for scores per criterion"
    ),
    "error.score_criteria": (
        "应恰好按这些指标打分:{criteria}", "score exactly the criteria: {criteria}"
    ),
    "error.no_criteria": (
        "政策未设评审指标:请给出总分(score)", "the policy names no criteria: give score"
    ),
    "error.score_range": ("得分 {value} 超出 1-{scale}", "score {value} is outside 1-{scale}"),
    "error.duplicate_id": ("编号 {id} 重复(首次出现在 {first})", "duplicate id {id} (first at {first})"),
    "error.duplicate_pair": ("配对重复(首次出现在 {first})", "duplicate pair (first at {first})"),
    "error.pinned_twice": ("需求 {id} 被指定了两次", "need {id} is pinned twice"),
    "error.pinned_declined": ("该配对同时被指定和拒绝", "the pair is pinned and declined at once"),
    "error.cannot_contain": (
        "{parent_level}不能包含{level}(上级 {parent},下级 {id})",
        "a {parent_level_id} cannot contain a {level_id} (parent {parent} of {id})",
    ),
    "error.home_outside": (
        "{scope}级组织的所在地须在某个{scope}之内;{home} 不在",
        "a {scope_id}-scope organization needs a home region inside a {scope_id}; {home} is not",
    ),
    "error.pinned_ineligible": (
        "该配对不符合条件:{rule}", "the pair is not eligible: rule {rule_id}"
    ),
    "error.pinned_over_capacity": (
        "{org} 被指定了 {count} 项需求,超过最多承接项目数 {limit}",
        "{org} has {count} pinned needs > max_projects {limit}",
    ),
    "error.table_missing": ("缺少这张表", "table is missing"),
    "error.not_in_plan": (
        "需求 {id} 在该方案中既未派出也未列为未满足:请用生成该方案的问题来解释它",
        "need {id} is neither assigned nor unmet in this plan: "
        "explain a plan with the problem it was made for",
    ),
    "error.plan_pair_removed": (
        "方案把 {need} 派给了 {org},但该问题中有规则排除了这一配对:请用生成该方案的问题来解释它",
        "the plan gives {need} to {org}, which a rule removes in this problem: "
        "explain a plan with the problem it was made for",
    ),
    "error.plan_score_differs": (
        "方案给 ({need}, {org}) 的得分是 {recorded},问题给的是 {score}:请用生成该方案的问题来解释它",
        "the plan scores ({need}, {org}) at {recorded}, the problem at {score}: "
        "explain a plan with the problem it was made for",
    ),
    "error.plan_names_unknown": (
        "方案中的 {id} 不在该问题中:请用生成该方案的问题来解释它",
        "the plan names {id}, which the problem does not have: "
        "explain a plan with the problem it was made for",
    ),
    "error.unknown_solver": (
        "未知的求解器 {solver};可选:{names}", "unknown solver {solver}; choose one of {names}"
    ),
    "error.solver_without_rules": (
        "{solver} 求解器不能执行该政策的计数规则、目标或合作实施;请用 solver='auto' 或 'cpsat'",
        "the {solver} back end cannot enforce this policy's counting rules, goals or "
        "partnerships; use solver='auto' or 'cpsat'",
    ),
    "error.unknown_scale": ("未知的规模 {scale};可选:{names}", "unknown scale {scale}; choose one of {names}"),
    "error.language": (
        "语言须为 'zh' 或 'en',而不是 {value}", "language must be 'zh' or 'en', not {value}"
    ),
    # options: arguments out of range or of the wrong kind (OptionError)
    "error.not_problem": (
        "problem 须为 matcher.Problem,而不是 {kind}", "problem must be a matcher.Problem, not {kind}"
    ),
    "error.executor_decompose": (
        "executor 用来并行求解分解后的各部分:请去掉 decompose=False",
        "an executor runs the parts of a decomposed solve: drop decompose=False",
    ),
    "error.seed": ("seed 须为整数,而不是 {value}", "seed must be a whole number, not {value}"),
    "error.positive": ("{name} 须为正数,而不是 {value}", "{name} must be a positive number, not {value}"),
    "error.limit": (
        "limit 须为大于等于 0 的整数,而不是 {value}", "limit must be a whole number >= 0, not {value}"
    ),
    "error.plan_from_json": (
        "该方案读自 JSON:请传入 problem=... 再解释它",
        "this plan was read from JSON: pass problem=... to explain it",
    ),
    "error.no_font_file": ("没有字体文件 {path}", "no font file {path}"),
    "error.no_font_family": ("matplotlib 中没有字体族 {family}", "matplotlib knows no font family {family}"),
    "error.font_lacks": (
        "字体 {family} 缺少 {count} 个图中要用的字符,例如 {sample}",
        "font {family} lacks {count} label characters, such as {sample}",
    ),
    "error.no_city": ("问题中没有市 {city}", "no city {city} in the problem"),
    "error.comparison_or_plans": ("请给出一个 Comparison,或两个方案", "give a Comparison, or two plans"),
    "error.plan_regions_unknown": (
        "方案中有该问题没有的地区", "the plan names regions that the problem does not have"
    ),
    "error.plot_import": ("--plot:缺少所需的软件包:{reason}", "--plot: {reason}"),
    "error.output_import": ("-o {path}:缺少所需的软件包:{reason}", "-o {path}: {reason}"),
    "error.compare_plans": (
        "compare 需要两个 matcher.Solution 对象", "compare takes two matcher.Solution objects"
    ),
    "error.compare_problem": (
        "problem 须为一个 matcher.Problem,或每个方案各一个",
        "problem must be a matcher.Problem, or one per plan",
    ),
    "error.group_by": (
        "by 须为 'category'、'tier' 或 'city',而不是 {value}",
        "by must be 'category', 'tier' or 'city', not {value}",
    ),
    "error.factor_number": ("factor 须为数字,而不是 {value}", "factor must be a number, not {value}"),
    "error.factor_range": (
        "factor 须为大于等于 0 的有限数,而不是 {value}",
        "factor must be a finite number >= 0, not {value}",
    ),
    "error.rounding": (
        "rounding 须为 'round'、'floor' 或 'ceil',而不是 {value}",
        "rounding must be 'round', 'floor' or 'ceil', not {value}",
    ),
    "error.step_not_callable": (
        "变体的步骤须为可调用对象,而不是 {value}", "a variant step must be callable, not {value}"
    ),
    "error.step_result": (
        "变体 {name}:步骤 {step} 返回了 {kind},而不是 Problem",
        "variant {name}: step {step} returned {kind}, not a Problem",
    ),
    "error.empty_axis": (
        "政策网格的每个维度至少需要一个取值", "every axis of a policy grid needs at least one value"
    ),
    "error.unknown_id": ("未知的{kind}编号:{shown}", "unknown {kind} id: {shown}"),
    "error.unknown_ids": ("未知的{kind}编号:{shown}", "unknown {kind} ids: {shown}"),
    "error.unknown_ids_more": (
        "未知的{kind}编号:{shown} 等,另有 {more} 个", "unknown {kind} ids: {shown} and {more} more"
    ),
    "error.kind_need": ("需求", "need"),
    "error.kind_organization": ("组织", "organization"),
    "error.kind_region": ("地区", "region"),
    "error.unknown_component": (
        "未知的得分项 {weight};可选:{names}", "unknown score component {weight}; choose one of {names}"
    ),
    "error.not_sweep_column": ("{column} 不是扫描结果表中的列", "{column} is not a column of the sweep table"),
    "error.variants_kind": (
        "variants 须为变体列表,或名称到变体的映射",
        "variants must be a list of variants or a mapping of name to variant",
    ),
    "error.variant_kind": (
        "变体 {position} 是 {kind};请给出 Variant、Problem 或政策改动的映射",
        "variant {position} is a {kind}; give a Variant, a Problem or a mapping of policy changes",
    ),
    "error.variant_names": (
        "有两个变体都叫 {name};名称须唯一", "two variants are named {name}; names must be unique"
    ),
    "error.metric_clash": (
        "自定义指标不能替换已有的列 {columns}", "custom metrics may not replace columns {columns}"
    ),
    "error.executor_kind": (
        "executor 须为 concurrent.futures.Executor 或 Dask 客户端,而不是 {kind}",
        "executor must be a concurrent.futures.Executor or a Dask client, not {kind}",
    ),
    "error.mean_range": ("mean 须在 (0, 1) 之内,而不是 {value}", "mean must be in (0, 1), got {value}"),
    "error.year_unsettled": (
        "这一年的派单在 {rounds} 轮内没有结束", "the year did not settle in {rounds} rounds"
    ),
    "error.follow_up_share": (
        "follow_up_share 须在 [0, 1] 之内,而不是 {value}",
        "follow_up_share must be in [0, 1], got {value}",
    ),
    "error.years": ("years 须大于等于 1,而不是 {value}", "years must be >= 1, got {value}"),
    "error.dispatch_problem": (
        "派单须基于 matcher.Problem,而不是 {kind}", "a dispatch runs over a matcher.Problem, not {kind}"
    ),
    "error.dispatch_pending": (
        "派单所用的问题不能带有待答复的派单", "the dispatch's problem must not carry pending offers"
    ),
    "error.dispatch_round_state": (
        "派单自己记录每一轮的状态;请给出不含 {fields} 的问题",
        "a dispatch keeps its own round state; give it a problem without {fields}",
    ),
    "error.dispatch_partners": (
        "派单把每项需求派给一个组织;{need} 要求 {partners} 个合作组织",
        "a dispatch offers each need to one organization; {need} asks for {partners} partners",
    ),
    "error.not_list": ("{name} 须为列表,而不是 {kind}", "{name} must be a list, not {kind}"),
    "error.not_rating": ("不是有效的评价:{value}", "not a rating: {value}"),
    "error.not_rating_scale": (
        "不是有效的评价:{value};请用 1-5 星或评价等级({labels})",
        "not a rating: {value}; use 1-5 stars or a label ({labels})",
    ),
    "error.store_url": (
        "{url}:请给出文件路径,或 sqlite://、postgresql:// 网址",
        "{url}: give a file path, sqlite:// or postgresql:// URL",
    ),
    "error.argument_kind": ("{name} 须为 {kind},而不是 {given}", "{name} must be a {kind}, not {given}"),
    "error.not_path": ("{name} 须为路径,而不是 {kind}", "{name} must be a path, not {kind}"),
    "error.table_format": (
        "format 须为 'csv' 或 'parquet',而不是 {value}", "format must be 'csv' or 'parquet', not {value}"
    ),
    "error.read_suffix": (
        "{path}:无法读取 {suffix} 文件;请用 .csv、.tsv、.xlsx 或 .parquet",
        "{path}: cannot read {suffix}; use .csv, .tsv, .xlsx or .parquet",
    ),
    "error.read_no_suffix": (
        "{path}:无法读取没有后缀的文件;请用 .csv、.tsv、.xlsx 或 .parquet",
        "{path}: cannot read a file without a suffix; use .csv, .tsv, .xlsx or .parquet",
    ),
    "error.csv_one_table": (
        "{path}:一个 CSV 文件只能存一张表,而不是 {count} 张",
        "{path}: a CSV file holds one table, not {count}",
    ),
    "error.national_share": (
        "national_share 须在 [0, 0.5] 之内,而不是 {value}",
        "national_share must be in [0, 0.5], got {value}",
    ),
    "error.counts": (
        "数量不能为负:n_needs={n_needs}, n_orgs={n_orgs}",
        "counts must be >= 0, got n_needs={n_needs}, n_orgs={n_orgs}",
    ),
    "error.synth_seed": ("seed 须大于等于 0,而不是 {value}", "seed must be >= 0, got {value}"),
    "error.provinces": (
        "n_provinces 须在 1..{limit} 之内,而不是 {value}", "n_provinces must be in 1..{limit}, got {value}"
    ),
    # dispatch documents (ProblemError issues)
    "error.not_json_text": ("不是 JSON 文本:{kind}", "not JSON text: {kind}"),
    "error.dispatch_object": ("派单文档须为 JSON 对象", "a dispatch document is a JSON object"),
    "error.dispatch_version": (
        "不是版本 {version} 的派单文档", "not a dispatch document of version {version}"
    ),
    "error.must_be_list": ("须为列表,而不是 {kind}", "must be a list, not {kind}"),
}
# fmt: on

_SECTIONS: dict[str, Mapping[str, tuple[str, str]]] = {}


def keys() -> list[str]:
    """Every key of the catalog, in its order."""
    return list(_ENTRIES)


def pair(key: str) -> tuple[str, str]:
    """The (Chinese, English) texts of ``key``; a :class:`KeyError` for an unknown key."""
    return _ENTRIES[key]


def text(key: str, language: Language = "zh", /, **fields: Any) -> str:
    """The text of ``key`` in ``language``, its ``{fields}`` filled in.

    Examples
    --------
    >>> text("error.problems", "zh", count=3)
    '输入中有 3 处问题'
    """
    zh, en = _ENTRIES[key]
    chosen = zh if language == "zh" else en
    return chosen.format(**fields) if fields else chosen


def section(name: str) -> Mapping[str, tuple[str, str]]:
    """The texts of one section, by the name after the dot, read-only.

    Examples
    --------
    >>> section("reason")["capacity"]
    ('候选组织承接能力已满', 'every candidate is full')
    """
    found = _SECTIONS.get(name)
    if found is None:
        prefix = name + "."
        found = MappingProxyType(
            {key[len(prefix) :]: texts for key, texts in _ENTRIES.items() if key.startswith(prefix)}
        )
        _SECTIONS[name] = found
    return found


def preferred(choice: str | None = None, default: Language = "zh") -> Language:
    """The language to speak, never an error: ``choice``, else ``MATCHER_LANG``, else the locale,
    else ``default``; a setting that is neither ``zh`` nor ``en`` counts as unset.

    The locale counts only when it is Chinese (``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` starting with
    ``zh``): a non-Chinese locale leaves ``default``, which each caller keeps as it was before there
    was a setting, so that no output changes unless it is asked to. The strict reading, which
    refuses a wrong setting, is :func:`matcher.models.speaking.language`.

    Examples
    --------
    >>> preferred("en"), preferred("fr", default="en")
    ('en', 'en')
    """
    given = given_setting(choice)
    if given is not None:
        value = given.strip().lower()
        if value == "zh":
            return "zh"
        if value == "en":
            return "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = os.environ.get(name)
        if locale:
            return "zh" if locale.lower().startswith("zh") else default
    return default


def given_setting(choice: str | None) -> str | None:
    """``choice``, else ``MATCHER_LANG`` as written; ``None`` when neither is set."""
    return choice if choice is not None else os.environ.get(ENV) or None


def display_width(text: str) -> int:
    """The terminal columns ``text`` takes: two for a wide (CJK) character, none for a combining one.

    Examples
    --------
    >>> display_width("太原市"), display_width("Taiyuan"), display_width("e\\u0301")
    (6, 7, 1)
    """
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (see :func:`display_width`)."""
    return text + " " * max(0, width - display_width(text))
