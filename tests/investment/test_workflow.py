"""The stage machine: forward steps (skips allowed), backwards only with a reason, suspension
resuming where it left, cancellation final."""

from __future__ import annotations

import pytest

from registry.investment import workflow
from registry.investment.workflow import Stage, TransitionError


def test_forward_steps_and_skips_need_no_reason():
    assert (
        workflow.check(Stage.POLICY_DECISION, Stage.INVESTMENT_DECISION)
        is Stage.INVESTMENT_DECISION
    )
    assert workflow.check(Stage.INVESTMENT_DECISION, Stage.PROCUREMENT) is Stage.PROCUREMENT


def test_going_back_needs_a_reason():
    with pytest.raises(TransitionError) as err:
        workflow.check(Stage.CONSTRUCTION, Stage.DESIGN)
    assert "lý do" in err.value.message_vi
    assert workflow.check(Stage.CONSTRUCTION, Stage.DESIGN, "Thiết kế điều chỉnh") is Stage.DESIGN


def test_suspension_needs_a_reason_and_resumes_only_where_it_left():
    with pytest.raises(TransitionError):
        workflow.check(Stage.CONSTRUCTION, Stage.SUSPENDED, " ")
    assert workflow.allowed(Stage.SUSPENDED, Stage.CONSTRUCTION) == [
        Stage.CONSTRUCTION,
        Stage.CANCELLED,
    ]
    with pytest.raises(TransitionError):
        workflow.check(Stage.SUSPENDED, Stage.HANDOVER, "x", suspended_from=Stage.CONSTRUCTION)


def test_cancelled_is_final():
    assert workflow.allowed(Stage.CANCELLED) == []
    with pytest.raises(TransitionError) as err:
        workflow.check(Stage.CANCELLED, Stage.CONSTRUCTION, "reopen")
    assert "hủy" in err.value.message_vi


def test_settled_project_reopens_only_backwards_with_a_reason():
    assert Stage.SUSPENDED not in workflow.allowed(Stage.SETTLEMENT)
    with pytest.raises(TransitionError):
        workflow.check(Stage.SETTLEMENT, Stage.HANDOVER)


def test_every_stage_has_both_labels():
    for stage in Stage:
        assert workflow.label(stage)
        assert workflow.label(stage, "en")
    assert workflow.label(Stage.HANDOVER) == "Nghiệm thu, bàn giao"
