"""The service's words in Chinese and English: its error titles and the labels of need statuses.

Category and rating labels come from the package's own catalogs
(:meth:`matcher.Category.label`, :func:`matcher.dispatch.ratings.label`); the details of an issue
or a refused transition are matcher's own messages, as the library writes them.

Examples
--------
>>> negotiate("en-US,en;q=0.9"), negotiate("zh-CN"), negotiate("fr, en;q=0.5"), negotiate(None)
('en', 'zh', 'en', 'zh')
>>> title("stale_sequence", "en")
'the dispatch has moved on since the sequence number given'
>>> status_label("in_service", "zh")
'服务中'
"""

from __future__ import annotations

from ..models.vocab import Language

__all__ = ["CODES", "negotiate", "status_label", "title"]

#: Every error code the service answers with, and its title (zh, en).
CODES: dict[str, tuple[str, str]] = {
    "invalid": ("输入无效", "the input is invalid"),
    "malformed": ("请求体不是有效的 JSON", "the request body is not valid JSON"),
    "not_found": ("未找到", "not found"),
    "dispatch_exists": ("该派单编号已存在", "a dispatch with this id exists"),
    "transition": ("当前状态不允许此操作", "the dispatch's state does not allow this"),
    "unknown_id": ("需求或组织编号不存在", "no such need or organization"),
    "stale_sequence": (
        "派单记录已有更新，所给序号已过期",
        "the dispatch has moved on since the sequence number given",
    ),
    "idempotency_mismatch": (
        "该幂等键已用于另一个请求",
        "this idempotency key was used for another request",
    ),
    "too_large": ("请求体过大", "the request body is too large"),
    "timeout": ("请求超出时间限制", "the request ran over its time limit"),
    "busy": ("服务繁忙，请稍后重试", "the service is busy; retry later"),
    "solver": ("求解失败", "the solver failed"),
}

_STATUS: dict[str, tuple[str, str]] = {
    "open": ("待派单", "open"),
    "dispatched": ("已派单", "dispatched"),
    "accepted": ("已接单", "accepted"),
    "in_service": ("服务中", "in service"),
    "completed": ("已完成", "completed"),
    "rated": ("已评价", "rated"),
    "cancelled": ("已取消", "cancelled"),
    "proposed": ("待答复", "awaiting an answer"),
    "declined": ("已拒绝", "declined"),
    "withdrawn": ("已撤回", "withdrawn"),
}


def negotiate(header: str | None) -> Language:
    """The language an ``Accept-Language`` header prefers among zh and en (zh when neither).

    Tags are weighed by their ``q``; among equal weights the first one listed wins.
    """
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and weight > 0:
            language: Language = "zh" if primary == "zh" else "en"
            if best is None or (-weight, position) < (best[0], best[1]):
                best = (-weight, position, language)
    return "zh" if best is None else best[2]


def title(code: str, language: Language) -> str:
    """The title of an error code."""
    zh, en = CODES[code]
    return zh if language == "zh" else en


def status_label(status: str, language: Language) -> str:
    """The label of a need's or an offer's status."""
    zh, en = _STATUS[status]
    return zh if language == "zh" else en
