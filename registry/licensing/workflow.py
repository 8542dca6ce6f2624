"""The application workflow as an explicit state machine. Pure: no Flask, no database.

received → (supplement_requested ⇄ supplement_received) → under_review →
inspection_scheduled → inspected → approved | refused; withdrawn before a decision.
A procedure without an inspection may be decided straight from review. A refusal needs a
written reason (Decree 103/2017 Art. 19; procedures 2.000135, 2.000294: "refusal in writing
with reasons", shared/domain/README.md §2).
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    RECEIVED = "received"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENT_RECEIVED = "supplement_received"
    UNDER_REVIEW = "under_review"
    INSPECTION_SCHEDULED = "inspection_scheduled"
    INSPECTED = "inspected"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


# (Vietnamese, English)
LABELS: dict[State, tuple[str, str]] = {
    State.RECEIVED: ("Đã tiếp nhận", "Received"),
    State.SUPPLEMENT_REQUESTED: ("Yêu cầu bổ sung hồ sơ", "Supplement requested"),
    State.SUPPLEMENT_RECEIVED: ("Đã nhận hồ sơ bổ sung", "Supplement received"),
    State.UNDER_REVIEW: ("Đang thẩm định", "Under review"),
    State.INSPECTION_SCHEDULED: ("Đã lên lịch kiểm tra", "Inspection scheduled"),
    State.INSPECTED: ("Đã kiểm tra thực tế", "Inspected"),
    State.APPROVED: ("Đã cấp phép", "Approved"),
    State.REFUSED: ("Từ chối", "Refused"),
    State.WITHDRAWN: ("Đã rút hồ sơ", "Withdrawn"),
}

DECIDED = frozenset({State.APPROVED, State.REFUSED})
FINAL = DECIDED | {State.WITHDRAWN}
# Nothing is due from the authority while these last (the clock is paused or over).
WAITING_FOR_APPLICANT = frozenset({State.SUPPLEMENT_REQUESTED})

TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.SUPPLEMENT_REQUESTED, State.UNDER_REVIEW, State.WITHDRAWN}),
    State.SUPPLEMENT_REQUESTED: frozenset({State.SUPPLEMENT_RECEIVED, State.WITHDRAWN}),
    State.SUPPLEMENT_RECEIVED: frozenset(
        {State.SUPPLEMENT_REQUESTED, State.UNDER_REVIEW, State.WITHDRAWN}
    ),
    State.UNDER_REVIEW: frozenset(
        {
            State.SUPPLEMENT_REQUESTED,
            State.INSPECTION_SCHEDULED,
            State.APPROVED,
            State.REFUSED,
            State.WITHDRAWN,
        }
    ),
    State.INSPECTION_SCHEDULED: frozenset({State.INSPECTED, State.WITHDRAWN}),
    State.INSPECTED: frozenset(
        {State.SUPPLEMENT_REQUESTED, State.APPROVED, State.REFUSED, State.WITHDRAWN}
    ),
    State.APPROVED: frozenset(),
    State.REFUSED: frozenset(),
    State.WITHDRAWN: frozenset(),
}

# Transitions that need a written reason.
NEEDS_REASON = frozenset({State.REFUSED, State.SUPPLEMENT_REQUESTED, State.WITHDRAWN})


class TransitionError(ValueError):
    """An invalid transition; ``message_vi`` and ``message_en`` say why."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en


def label(state: State | str, locale: str = "vi") -> str:
    vi, en = LABELS[State(state)]
    return en if locale == "en" else vi


def can_transition(current: State | str, target: State | str) -> bool:
    return State(target) in TRANSITIONS[State(current)]


def allowed(current: State | str) -> list[State]:
    """The states reachable from ``current``, in workflow order."""
    return [s for s in State if s in TRANSITIONS[State(current)]]


def check(current: State | str, target: State | str, reason: str | None = None) -> State:
    """``target`` when the move is allowed; else ``TransitionError`` with a clear message."""
    cur, tgt = State(current), State(target)
    if cur in FINAL:
        raise TransitionError(
            f"Hồ sơ đã ở trạng thái cuối «{label(cur)}»: không thể chuyển sang «{label(tgt)}».",
            f"The application is closed ({label(cur, 'en')}): it cannot move to "
            f"{label(tgt, 'en')}.",
        )
    if tgt not in TRANSITIONS[cur]:
        options = ", ".join(f"«{label(s)}»" for s in allowed(cur))
        raise TransitionError(
            f"Không thể chuyển hồ sơ từ «{label(cur)}» sang «{label(tgt)}». "
            f"Các bước được phép: {options}.",
            f"An application cannot move from {label(cur, 'en')} to {label(tgt, 'en')}.",
        )
    if tgt in NEEDS_REASON and not (reason or "").strip():
        if tgt is State.REFUSED:
            raise TransitionError(
                "Từ chối phải có lý do bằng văn bản.", "A refusal needs a written reason."
            )
        raise TransitionError(
            f"Bước «{label(tgt)}» cần ghi rõ lý do.", f"{label(tgt, 'en')} needs a reason."
        )
    return tgt
