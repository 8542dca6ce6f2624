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
NOT_EVALUABLE; ``due`` — whether ``as_of`` has reached the end of the target year;
``nothing_in_scope`` — no facility is in the rule's scope; ``unrecorded`` — facilities that
would count but for an attribute not recorded (``missing``: level, services, target_groups,
criteria_supported_on).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from registry.facilities import catalogue
from registry.planning.plan_schema import Rule, live_vocabulary
from registry.planning.rules.facts import FacilityFact, Status

#: Unit levels and catalogue editions as messages name them (never the codes).
LEVEL_VI = {"province": "cấp tỉnh", "district": "cấp huyện", "commune": "cấp xã"}
LEVEL_EN = {"province": "province", "district": "district", "commune": "commune"}
EDITION_VI = {"pre2025": "trước 01/07/2025", "2025": "từ 01/07/2025"}
EDITION_EN = {"pre2025": "before 1 July 2025", "2025": "from 1 July 2025"}

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
    ("projects", Status.PASS): (
        "Đạt: {summary_vi} (hạn {deadline_vi}).",
        "Met: {summary_en} (deadline {deadline_text}).",
    ),
    ("projects", Status.FAIL): (
        "Chưa đạt: chưa có dự án nào được nghiệm thu đúng hạn {deadline_vi}: {summary_vi}.",
        "Not met: no project accepted by the deadline {deadline_text}: {summary_en}.",
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


# --- scope descriptions ----------------------------------------------------------------------

_STATUS_LABELS = {
    "planned": ("quy hoạch", "planned"),
    "under_construction": ("đang xây dựng", "under construction"),
    "operating": ("đang hoạt động", "operating"),
    "suspended": ("tạm dừng", "suspended"),
    "closed": ("đã đóng", "closed"),
}
#: Facility categories (``facilities.vocab.Category``), the words of ``registry.labels``.
_CATEGORY_LABELS = {
    "elderly": ("người cao tuổi", "elderly people"),
    "children": ("trẻ em có hoàn cảnh đặc biệt", "children in special circumstances"),
    "disability": ("người khuyết tật", "persons with disabilities"),
    "mental_health": ("sức khỏe tâm thần", "mental health"),
    "general": ("trợ giúp xã hội tổng hợp", "general social assistance"),
    "social_work": ("công tác xã hội", "social work"),
    "drug_rehab": ("cai nghiện ma túy", "drug rehabilitation"),
    "counselling": ("tư vấn", "counselling"),
    "shelter": ("nhà tạm lánh", "shelter"),
    "victim_support": ("hỗ trợ nạn nhân", "victim support"),
    "other": ("khác", "other"),
}
_OWNERSHIP_LABELS = {
    "public": ("công lập", "public"),
    "non_public": ("ngoài công lập", "non-public"),
}
_MISSING_LABELS = {
    "level": ("cấp", "level"),
    "services": ("dịch vụ", "services"),
    "target_groups": ("nhóm đối tượng", "target groups"),
    "criteria_supported_on": (
        "dấu mốc được hỗ trợ theo tiêu chí của Trung ương",
        "the mark of support to the central criteria",
    ),
}


@lru_cache(maxsize=65_536)
def normalise_name(name: str) -> str:
    """A facility name for matching: NFC, case-folded, one kind of dash, single spaces."""
    text = unicodedata.normalize("NFC", name).casefold()
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return " ".join(text.split())


def names_facility(named: Mapping[str, Any], f: FacilityFact) -> bool:
    """Whether ``f`` is the facility a rule names: its registry code, or one of the plan's
    names for it (compared whole, ignoring case, dashes and spacing)."""
    code = named.get("code")
    if code is not None and f.code == code:
        return True
    wanted = {normalise_name(n) for n in named.get("names", ())}
    return normalise_name(f.name) in wanted


def describe_scope(params: Mapping[str, Any]) -> tuple[str, str]:
    """What a rule's filter selects, in Vietnamese and English, with labels, not codes."""
    vocab = live_vocabulary()
    vi: list[str] = []
    en: list[str] = []
    named = params.get("facility")
    if named is not None:
        names = list(named.get("names", ()))
        if named.get("code"):
            names.insert(0, str(named["code"]))
        vi.append("tên hoặc mã: " + " / ".join(f"«{n}»" for n in names))
        en.append("name or code: " + " / ".join(f"«{n}»" for n in names))
    if params.get("types"):
        types = [vocab.type_names.get(t, (t, t)) for t in params["types"]]
        vi.append("loại: " + "; ".join(t[0] for t in types))
        en.append("type: " + "; ".join(t[1] for t in types))
    if params.get("categories"):
        labels = [_CATEGORY_LABELS.get(c, (c, c)) for c in params["categories"]]
        vi.append("nhóm loại: " + ", ".join(x[0] for x in labels))
        en.append("category: " + ", ".join(x[1] for x in labels))
    if params.get("ownership"):
        label = _OWNERSHIP_LABELS.get(params["ownership"], (params["ownership"],) * 2)
        vi.append(label[0])
        en.append(label[1])
    for key, word_vi, word_en in (
        ("levels", "cấp", "level"),
        ("services", "dịch vụ", "services"),
        ("target_groups", "đối tượng", "target groups"),
    ):
        if params.get(key):
            vi.append(f"{word_vi}: " + ", ".join(catalogue.labels(key, params[key], "vi")))
            en.append(f"{word_en}: " + ", ".join(catalogue.labels(key, params[key], "en")))
    if params.get("criteria_supported"):
        vi.append(_MISSING_LABELS["criteria_supported_on"][0])
        en.append(_MISSING_LABELS["criteria_supported_on"][1])
    if params.get("statuses"):
        labels = [_STATUS_LABELS.get(s, (s, s)) for s in params["statuses"]]
        vi.append("tình trạng: " + ", ".join(x[0] for x in labels))
        en.append("status: " + ", ".join(x[1] for x in labels))
    return "; ".join(vi) or "mọi cơ sở", "; ".join(en) or "any facility"


def unrecorded_reason(
    rows: Sequence[Mapping[str, Any]], total: int | None = None
) -> tuple[str, str]:
    """NOT_EVALUABLE because facilities that could count lack a recorded attribute;
    ``rows`` are (some of) them, ``total`` how many there are."""
    count = len(rows) if total is None else total
    missing = list(dict.fromkeys(m for r in rows for m in r.get("missing", ())))
    what_vi = ", ".join(_MISSING_LABELS.get(m, (m, m))[0] for m in missing)
    what_en = ", ".join(_MISSING_LABELS.get(m, (m, m))[1] for m in missing)
    names = [str(r.get("name")) for r in rows]
    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
    return (
        f"Chưa kết luận được: {count} cơ sở có thể được tính nhưng sổ đăng ký chưa ghi "
        f"{what_vi} ({shown}). Cần ghi nhận thông tin này để đánh giá.",
        f"No conclusion yet: {count} facilities could count but the registry does not "
        f"record their {what_en} ({shown}). Record it to evaluate the target.",
    )
