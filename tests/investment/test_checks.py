"""The investment checks on plain values: each one flags what breaks its rule and stays quiet
otherwise; every flag names a legal source from legal.yaml."""

from __future__ import annotations

from datetime import date

import pytest

from registry.investment import checks
from registry.investment.checks import Allocation, MilestoneValue, Payment, ProjectValues

TODAY = date(2026, 12, 3)


def codes(flags):
    return [f.code for f in flags]


def test_year_within_allocation_is_quiet_and_beyond_is_flagged_by_source():
    values = ProjectValues(
        stage="construction",
        allocations=(Allocation(2024, "central", 1_000), Allocation(2024, "provincial", 500)),
        payments=(
            Payment(date(2024, 5, 1), 1_000, "central", 2024),
            Payment(date(2024, 6, 1), 501, "provincial", 2024),
        ),
    )
    flags = checks.over_allocation(values)
    assert codes(flags) == ["over_allocation"]
    assert "Ngân sách tỉnh" in flags[0].message_vi
    assert "1 ₫" in flags[0].message_vi  # 501 - 500, exact
    assert flags[0].source.confirmed


def test_payment_without_any_allocation_is_beyond_it():
    values = ProjectValues(
        stage="construction", payments=(Payment(date(2024, 5, 1), 7, "oda_ngo", 2024),)
    )
    assert codes(checks.over_allocation(values)) == ["over_allocation"]


def test_allocations_within_the_approved_total():
    ok = ProjectValues(
        stage="design", approved_total=1_500, allocations=(Allocation(2024, "central", 1_500),)
    )
    assert checks.allocation_over_total(ok) == []
    over = ProjectValues(
        stage="design",
        approved_total=1_500,
        allocations=(Allocation(2024, "central", 1_000), Allocation(2025, "central", 501)),
    )
    assert codes(checks.allocation_over_total(over)) == ["allocation_over_total"]
    assert checks.allocation_over_total(ProjectValues(stage="design")) == []


def test_capital_of_year_n_is_payable_until_31_january_next_year():
    on_time = ProjectValues(
        stage="construction", payments=(Payment(date(2024, 1, 31), 1, "central", 2023),)
    )
    late = ProjectValues(
        stage="construction", payments=(Payment(date(2024, 2, 1), 1, "central", 2023),)
    )
    assert checks.late_disbursement(on_time) == []
    flags = checks.late_disbursement(late)
    assert codes(flags) == ["late_disbursement"]
    assert "31/01/2024" in flags[0].message_vi
    assert flags[0].source_key == "law_39_2019_art_68"


def test_an_extension_replaces_the_deadline():
    values = ProjectValues(
        stage="construction",
        allocations=(Allocation(2023, "central", 10, extended_until=date(2024, 12, 31)),),
        payments=(Payment(date(2024, 6, 1), 1, "central", 2023),),
    )
    assert checks.late_disbursement(values) == []


def test_capital_from_2025_rests_on_the_unconfirmed_2024_law():
    values = ProjectValues(
        stage="construction", payments=(Payment(date(2026, 3, 1), 1, "central", 2025),)
    )
    (flag,) = checks.late_disbursement(values)
    assert flag.source_key == "law_58_2024"
    assert flag.source.confirmed is False
    assert "Chưa xác minh" in flag.source.note_vi


def test_supervision_reports_owed_while_active():
    values = ProjectValues(
        stage="construction",
        active_from=date(2025, 3, 1),
        supervision=frozenset({(2025, "six_month")}),
    )
    flags = checks.supervision_missing(values, TODAY)
    # 2025 annual (due 31/01/2026) and 2026 six-month (due 31/07/2026) are missing.
    assert [f.message_en for f in flags] == [
        "No annual supervision report for 2025 (due 31/01/2026).",
        "No six-month supervision report for 2026 (due 31/07/2026).",
    ]


def test_no_supervision_owed_before_the_investment_decision_or_after_settlement():
    assert checks.supervision_missing(ProjectValues(stage="policy_decision"), TODAY) == []
    settled = ProjectValues(
        stage="settlement",
        active_from=date(2026, 7, 1),
        active_until=date(2026, 7, 15),
        supervision=frozenset(),
    )
    assert checks.supervision_missing(settled, TODAY) == []


def test_milestones_slipping_when_overdue_or_reached_late():
    values = ProjectValues(
        stage="construction",
        milestones=(
            MilestoneValue("Móng", date(2026, 1, 1), date(2026, 1, 1)),
            MilestoneValue("Mái", date(2026, 6, 1), None),
            MilestoneValue("Hoàn thiện", date(2026, 3, 1), date(2026, 3, 11)),
            MilestoneValue("Bàn giao", date(2027, 6, 1), None),
        ),
    )
    flags = checks.milestone_slipping(values, TODAY)
    assert len(flags) == 2
    assert "chậm 185 ngày" in flags[0].message_vi
    assert "chậm 10 ngày" in flags[1].message_vi


def test_stalled_after_ninety_days_without_a_report_in_construction():
    base = {"stage": "construction", "construction_since": date(2026, 1, 1)}
    recent = ProjectValues(**base, progress_dates=(date(2026, 9, 4),))  # 90 days
    old = ProjectValues(**base, progress_dates=(date(2026, 9, 3),))  # 91 days
    assert checks.stalled(recent, TODAY) == []
    assert codes(checks.stalled(old, TODAY)) == ["stalled"]
    assert codes(checks.stalled(ProjectValues(**base), TODAY)) == ["stalled"]
    assert (
        checks.stalled(ProjectValues(stage="design", construction_since=date(2020, 1, 1)), TODAY)
        == []
    )
    assert checks.stalled(old, TODAY, days=120) == []


def test_cancelled_projects_owe_no_reports_but_broken_limits_stay():
    values = ProjectValues(
        stage="cancelled",
        active_from=date(2024, 1, 1),
        payments=(Payment(date(2024, 3, 1), 5, "central", 2024),),
    )
    assert codes(checks.evaluate(values, TODAY)) == ["over_allocation"]


def test_vnd_is_exact_for_large_amounts():
    assert checks.vnd(9_007_199_254_740_993) == "9.007.199.254.740.993 ₫"


def test_legal_file_is_complete_and_malformed_files_are_refused():
    legal = checks.legal()
    assert set(checks.REQUIRED_SOURCES) <= set(legal.sources)
    with pytest.raises(checks.LegalFileError):
        checks.parse_legal({"sources": {"law_39_2019_art_68": {"title_vi": "x"}}})
