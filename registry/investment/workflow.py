"""A project's stages as an explicit state machine. Pure: no Flask, no database.

policy_decision → investment_decision → design → procurement → construction → handover →
settlement, in that order (Law on Public Investment 39/2019: policy decision, then investment
decision; Law on Construction 50/2014: design and estimate, selection of contractors,
construction, acceptance and handover, final settlement). A project may skip forward (a small
repair needs no separate design stage) but goes back only with a written reason. Suspended
resumes at the stage it left; cancelled is final and needs a reason.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    POLICY_DECISION = "policy_decision"
    INVESTMENT_DECISION = "investment_decision"
    DESIGN = "design"
    PROCUREMENT = "procurement"
    CONSTRUCTION = "construction"
    HANDOVER = "handover"
    SETTLEMENT = "settlement"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


# (Vietnamese, English)
LABELS: dict[Stage, tuple[str, str]] = {
    Stage.POLICY_DECISION: ("Quyết định chủ trương đầu tư", "Investment policy decision"),
    Stage.INVESTMENT_DECISION: ("Quyết định đầu tư", "Investment decision"),
    Stage.DESIGN: ("Thiết kế và dự toán", "Design and estimate"),
    Stage.PROCUREMENT: ("Lựa chọn nhà thầu", "Procurement"),
    Stage.CONSTRUCTION: ("Thi công xây dựng", "Construction"),
    Stage.HANDOVER: ("Nghiệm thu, bàn giao", "Acceptance and handover"),
    Stage.SETTLEMENT: ("Quyết toán", "Final settlement"),
    Stage.SUSPENDED: ("Tạm dừng", "Suspended"),
    Stage.CANCELLED: ("Đã hủy", "Cancelled"),
}

ORDER: tuple[Stage, ...] = (
    Stage.POLICY_DECISION,
    Stage.INVESTMENT_DECISION,
    Stage.DESIGN,
    Stage.PROCUREMENT,
    Stage.CONSTRUCTION,
    Stage.HANDOVER,
    Stage.SETTLEMENT,
)
FINAL = frozenset({Stage.SETTLEMENT, Stage.CANCELLED})
# From handover on, the works are accepted: the capacity they add may reach the registry.
ACCEPTED = frozenset({Stage.HANDOVER, Stage.SETTLEMENT})


class TransitionError(ValueError):
    """An invalid stage change; ``message_vi`` and ``message_en`` say why."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en


def label(stage: Stage | str, locale: str = "vi") -> str:
    vi, en = LABELS[Stage(stage)]
    return en if locale == "en" else vi


def position(stage: Stage | str) -> int | None:
    """Index of an ordered stage, None for suspended and cancelled."""
    stage = Stage(stage)
    return ORDER.index(stage) if stage in ORDER else None


def is_backwards(current: Stage | str, target: Stage | str) -> bool:
    cur, tgt = position(current), position(target)
    return cur is not None and tgt is not None and tgt < cur


def allowed(current: Stage | str, suspended_from: Stage | str | None = None) -> list[Stage]:
    """The stages reachable from ``current`` (backwards ones need a reason)."""
    cur = Stage(current)
    if cur is Stage.CANCELLED:
        return []
    if cur is Stage.SUSPENDED:
        resume = Stage(suspended_from) if suspended_from else Stage.POLICY_DECISION
        return [resume, Stage.CANCELLED]
    others = [s for s in ORDER if s is not cur]
    if cur is Stage.SETTLEMENT:
        # A settled project is closed; it reopens only backwards, with a reason.
        return others
    return [*others, Stage.SUSPENDED, Stage.CANCELLED]


def needs_reason(current: Stage | str, target: Stage | str) -> bool:
    tgt = Stage(target)
    return tgt in (Stage.SUSPENDED, Stage.CANCELLED) or is_backwards(current, tgt)


def check(
    current: Stage | str,
    target: Stage | str,
    reason: str | None = None,
    suspended_from: Stage | str | None = None,
) -> Stage:
    """``target`` when the move is allowed; else ``TransitionError`` with a clear message."""
    cur, tgt = Stage(current), Stage(target)
    if tgt not in allowed(cur, suspended_from):
        if cur is Stage.CANCELLED:
            raise TransitionError(
                f"Dự án đã hủy: không thể chuyển sang «{label(tgt)}».",
                f"The project is cancelled: it cannot move to {label(tgt, 'en')}.",
            )
        options = ", ".join(f"«{label(s)}»" for s in allowed(cur, suspended_from))
        raise TransitionError(
            f"Không thể chuyển dự án từ «{label(cur)}» sang «{label(tgt)}». "
            f"Các bước được phép: {options}.",
            f"A project cannot move from {label(cur, 'en')} to {label(tgt, 'en')}.",
        )
    if needs_reason(cur, tgt) and not (reason or "").strip():
        if is_backwards(cur, tgt):
            raise TransitionError(
                f"Quay lại bước «{label(tgt)}» phải ghi rõ lý do.",
                f"Going back to {label(tgt, 'en')} needs a written reason.",
            )
        raise TransitionError(
            f"Bước «{label(tgt)}» cần ghi rõ lý do.", f"{label(tgt, 'en')} needs a reason."
        )
    return tgt
