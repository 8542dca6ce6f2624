"""The application state machine (pure)."""

from __future__ import annotations

import itertools

import pytest

from registry.licensing import workflow
from registry.licensing.workflow import State, TransitionError

HAPPY_PATH = [
    State.RECEIVED,
    State.SUPPLEMENT_REQUESTED,
    State.SUPPLEMENT_RECEIVED,
    State.UNDER_REVIEW,
    State.INSPECTION_SCHEDULED,
    State.INSPECTED,
    State.APPROVED,
]


def test_the_happy_path_is_allowed_step_by_step():
    for current, target in itertools.pairwise(HAPPY_PATH):
        reason = "thiếu mẫu 09" if target is State.SUPPLEMENT_REQUESTED else None
        assert workflow.check(current, target, reason) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (State.RECEIVED, State.APPROVED),
        (State.RECEIVED, State.INSPECTED),
        (State.SUPPLEMENT_REQUESTED, State.UNDER_REVIEW),
        (State.INSPECTION_SCHEDULED, State.APPROVED),
        (State.UNDER_REVIEW, State.RECEIVED),
    ],
)
def test_skipping_a_step_is_refused_in_vietnamese(current, target):
    with pytest.raises(TransitionError) as err:
        workflow.check(current, target, "lý do")
    assert "Không thể chuyển hồ sơ" in err.value.message_vi
    assert workflow.label(current) in err.value.message_vi
    assert err.value.message_en


@pytest.mark.parametrize("final", sorted(workflow.FINAL))
def test_final_states_go_nowhere(final):
    assert workflow.allowed(final) == []
    with pytest.raises(TransitionError) as err:
        workflow.check(final, State.UNDER_REVIEW)
    assert "trạng thái cuối" in err.value.message_vi


def test_a_refusal_needs_a_written_reason():
    with pytest.raises(TransitionError) as err:
        workflow.check(State.UNDER_REVIEW, State.REFUSED, "   ")
    assert err.value.message_vi == "Từ chối phải có lý do bằng văn bản."
    assert workflow.check(State.UNDER_REVIEW, State.REFUSED, "Không đủ nhân sự") is State.REFUSED


def test_a_supplement_request_needs_a_reason():
    with pytest.raises(TransitionError):
        workflow.check(State.RECEIVED, State.SUPPLEMENT_REQUESTED, None)


@pytest.mark.parametrize("state", [s for s in State if s not in workflow.FINAL])
def test_withdrawal_is_possible_before_a_decision(state):
    assert workflow.can_transition(state, State.WITHDRAWN)


def test_the_supplement_loop_can_repeat():
    assert workflow.can_transition(State.SUPPLEMENT_RECEIVED, State.SUPPLEMENT_REQUESTED)
    assert workflow.can_transition(State.SUPPLEMENT_REQUESTED, State.SUPPLEMENT_RECEIVED)


def test_every_state_has_labels_in_both_languages():
    for state in State:
        assert workflow.label(state, "vi")
        assert workflow.label(state, "en")
        assert state in workflow.TRANSITIONS
