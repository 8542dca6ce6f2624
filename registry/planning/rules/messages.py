"""Messages: each result's Vietnamese and English text, rendered from its evidence.

Every result carries a structured ``evidence`` dict (JSON-serialisable: numbers, strings, lists
of dicts) and a Vietnamese and an English message rendered from the templates in ``MESSAGES``
with that evidence. Evidence keys used across kinds:

``actual``, ``target``, ``shortfall`` — the measured value, the target, how far short;
``counted`` — facilities that count (``id``, ``code``, ``name``, ``unit``);
``failing_units`` — units short of target (``code``, ``name``, ``actual``, ``target``,
``shortfall``; coverage adds ``nearest_km``); ``unset_units`` — units with an empty target;
``failing_facilities`` — facilities breaking a standard, with the values involved;
``unknown`` — facilities or units whose data is missing; ``pairs`` — facilities too close
(``a``, ``b``, ``distance_km``); ``uncertain_membership`` — facilities placed in a pre-2025
province by their current province code only; ``reason_vi`` / ``reason_en`` — why a rule is
NOT_EVALUABLE; ``due`` — whether ``as_of`` has reached the end of the target year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.planning.plan_schema import Rule
from registry.planning.rules.facts import Status

#: (variant, status) -> (Vietnamese template, English template); rendered with the evidence.
MESSAGES: dict[tuple[str, Status], tuple[str, str]] = {
    ("total", Status.PASS): (
        "Đạt: {actual} {measure_vi} (chỉ tiêu tối thiểu {target}).",
        "Met: {actual} {measure_en} (minimum {target}).",
    ),
    ("total", Status.FAIL): (
        "Chưa đạt: {actual} {measure_vi}, chỉ tiêu tối thiểu {target}, còn thiếu {shortfall}.",
        "Not met: {actual} {measure_en} against a minimum of {target}; {shortfall} short.",
    ),
    ("total", Status.NOT_SET): (
        "Chưa đặt chỉ tiêu (không có trong nguồn đã xác minh); hiện có {actual} {measure_vi}.",
        "Target not set (not in our confirmed sources); currently {actual} {measure_en}.",
    ),
    ("total", Status.NOT_EVALUABLE): (
        "{reason_vi} Hiện có {actual} {measure_vi}, chỉ tiêu {target}.",
        "{reason_en} Currently {actual} {measure_en}, target {target}.",
    ),
    ("units", Status.PASS): (
        "Đạt: {n_met}/{n_units} đơn vị đạt chỉ tiêu ({measure_vi}).",
        "Met: {n_met} of {n_units} units reach the target ({measure_en}).",
    ),
    ("units", Status.FAIL): (
        "Chưa đạt: {n_failing}/{n_units} đơn vị chưa đạt chỉ tiêu: {failing_names}.",
        "Not met: {n_failing} of {n_units} units fall short: {failing_names}.",
    ),
    ("units", Status.NOT_SET): (
        "Chưa đặt chỉ tiêu cho {n_unset}/{n_units} đơn vị (không có trong nguồn đã xác minh).",
        "Target not set for {n_unset} of {n_units} units (not in our confirmed sources).",
    ),
    ("units", Status.NOT_EVALUABLE): ("{reason_vi}", "{reason_en}"),
    ("facilities", Status.PASS): (
        "Đạt: đã kiểm tra {n_checked} cơ sở, không có vi phạm.",
        "Met: {n_checked} facilities checked, none in breach.",
    ),
    ("facilities", Status.FAIL): (
        "Vi phạm: {n_failing}/{n_checked} cơ sở: {failing_names}.",
        "In breach: {n_failing} of {n_checked} facilities: {failing_names}.",
    ),
    ("facilities", Status.NOT_EVALUABLE): (
        "{reason_vi} Số cơ sở thiếu số liệu: {n_unknown}.",
        "{reason_en} Facilities with missing data: {n_unknown}.",
    ),
    ("coverage_units", Status.PASS): (
        "Đạt: cả {n_units} đơn vị có cơ sở trong bán kính {distance_km} km.",
        "Met: all {n_units} units have a facility within {distance_km} km.",
    ),
    ("coverage_units", Status.FAIL): (
        "Chưa đạt: {n_failing}/{n_units} đơn vị không có cơ sở trong bán kính {distance_km} km: "
        "{failing_names}.",
        "Not met: {n_failing} of {n_units} units have no facility within {distance_km} km: "
        "{failing_names}.",
    ),
    ("coverage_share", Status.PASS): (
        "Đạt: {actual}% dân số ở trong bán kính {distance_km} km (tối thiểu {target}%).",
        "Met: {actual}% of the population lives within {distance_km} km (minimum {target}%).",
    ),
    ("coverage_share", Status.FAIL): (
        "Chưa đạt: {actual}% dân số ở trong bán kính {distance_km} km (tối thiểu {target}%).",
        "Not met: {actual}% of the population lives within {distance_km} km (minimum {target}%).",
    ),
    ("spacing", Status.PASS): (
        "Đạt: không có hai cơ sở nào gần nhau dưới {target} km ({n_checked} cơ sở).",
        "Met: no two of {n_checked} facilities are closer than {target} km.",
    ),
    ("spacing", Status.FAIL): (
        "Vi phạm: {n_failing} cặp cơ sở gần nhau dưới {target} km.",
        "In breach: {n_failing} pairs of facilities are closer than {target} km.",
    ),
    ("plan_units", Status.PASS): (
        "Đạt: cả {n_checked} mã đơn vị hành chính của kế hoạch hợp lệ ngày {date_vi}.",
        "Met: all {n_checked} unit codes the plan names were valid on {date}.",
    ),
    ("plan_units", Status.FAIL): (
        "Mã đơn vị hành chính không hợp lệ ngày {date_vi}: {failing_names}.",
        "Unit codes not valid on {date}: {failing_names}.",
    ),
    ("reason", Status.NOT_SET): ("{reason_vi}", "{reason_en}"),
    ("reason", Status.NOT_EVALUABLE): ("{reason_vi}", "{reason_en}"),
}
_FALLBACK: dict[Status, tuple[str, str]] = {
    Status.NOT_SET: (
        "Chưa đặt chỉ tiêu (không có trong nguồn đã xác minh).",
        "Target not set (not in our confirmed sources).",
    ),
    Status.NOT_EVALUABLE: ("{reason_vi}", "{reason_en}"),
    Status.PASS: ("Đạt.", "Met."),
    Status.FAIL: ("Chưa đạt.", "Not met."),
}


def rounded(value: float) -> float | int:
    """Round for display and evidence: integers stay integers, others keep 2 decimals."""
    if float(value).is_integer():
        return int(value)
    return round(float(value), 2)


class _Display(dict[str, Any]):
    """Evidence for templates: numbers formatted, missing keys shown as '?'."""

    def __missing__(self, key: str) -> str:
        return "?"


def _display(evidence: Mapping[str, Any]) -> _Display:
    out = _Display()
    for key, value in evidence.items():
        if value is None:
            out[key] = "?"
        elif isinstance(value, float):
            out[key] = str(rounded(value))
        else:
            out[key] = value
    return out


def render_messages(
    variant: str, status: Status, evidence: Mapping[str, Any], rule: Rule, due: bool | None
) -> tuple[str, str]:
    """The Vietnamese and English messages for a result, from ``MESSAGES``."""
    vi, en = MESSAGES.get((variant, status), _FALLBACK[status])
    values = _display(evidence)
    vi, en = vi.format_map(values), en.format_map(values)
    if status == Status.FAIL and due is False and rule.target_year is not None:
        vi = f"(Chưa đến hạn {rule.target_year}) {vi}"
        en = f"(Target year {rule.target_year} not reached yet) {en}"
    return vi, en
