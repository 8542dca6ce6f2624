"""The investment checks as pure functions on plain values, their legal sources as data.

Pure: no Flask, no database. ``services.flags`` turns a project into ``ProjectValues`` and
calls ``evaluate``. Every flag names the source it rests on (``legal.yaml``); a source marked
``confirmed: false`` is shown as unconfirmed next to the flag.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEGAL_FILE = Path(__file__).with_name("legal.yaml")
DEFAULT_STALLED_DAYS = 90

# Flag codes, in the order they are shown, with (Vietnamese, English) labels.
CODES: dict[str, tuple[str, str]] = {
    "over_allocation": (
        "Giải ngân vượt kế hoạch vốn năm",
        "Disbursed beyond the year's allocation",
    ),
    "allocation_over_total": (
        "Kế hoạch vốn vượt tổng mức đầu tư",
        "Allocations beyond the approved total",
    ),
    "late_disbursement": ("Giải ngân quá thời hạn", "Disbursed after the deadline"),
    "supervision_missing": ("Thiếu báo cáo giám sát", "Supervision report missing"),
    "milestone_slipping": ("Mốc tiến độ bị chậm", "Milestone slipping"),
    "stalled": ("Dự án đình trệ", "Project stalled"),
}


@dataclass(frozen=True)
class LegalSource:
    key: str
    title_vi: str
    title_en: str
    confirmed: bool
    note_vi: str
    note_en: str

    def title(self, locale: str = "vi") -> str:
        return self.title_en if locale == "en" else self.title_vi

    def note(self, locale: str = "vi") -> str:
        return self.note_en if locale == "en" else self.note_vi


@dataclass(frozen=True)
class Legal:
    sources: dict[str, LegalSource]
    law_39_2019_until: int
    six_month_due: tuple[int, int]
    annual_due: tuple[int, int]


class LegalFileError(ValueError):
    pass


def parse_legal(data: Any) -> Legal:
    """The legal file's content, checked: every source has its titles, notes and flag."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise LegalFileError("legal.yaml: 'sources' must be a mapping")
    sources = {}
    for key, item in data["sources"].items():
        missing = [
            k
            for k in ("title_vi", "title_en", "note_vi", "note_en", "confirmed")
            if k not in (item or {})
        ]
        if missing or not isinstance(item["confirmed"], bool):
            raise LegalFileError(f"legal.yaml: source {key!r} lacks {missing or ['confirmed']}")
        sources[key] = LegalSource(
            key=key,
            title_vi=str(item["title_vi"]),
            title_en=str(item["title_en"]),
            confirmed=item["confirmed"],
            note_vi=str(item["note_vi"]).strip(),
            note_en=str(item["note_en"]).strip(),
        )
    for key in REQUIRED_SOURCES:
        if key not in sources:
            raise LegalFileError(f"legal.yaml: source {key!r} is missing")
    six, annual = data.get("six_month_due"), data.get("annual_due")
    for name, value in (("six_month_due", six), ("annual_due", annual)):
        if not (isinstance(value, list) and len(value) == 2):
            raise LegalFileError(f"legal.yaml: {name} must be [month, day]")
        date(2001, int(value[0]), int(value[1]))  # a real calendar day
    return Legal(
        sources=sources,
        law_39_2019_until=int(data["law_39_2019_until"]),
        six_month_due=(int(six[0]), int(six[1])),  # type: ignore[index]
        annual_due=(int(annual[0]), int(annual[1])),  # type: ignore[index]
    )


REQUIRED_SOURCES = (
    "law_39_2019_art_68",
    "law_58_2024",
    "decree_29_2021_art_100",
    "supervision_calendar",
    "app_stalled",
    "app_milestones",
    "law_39_2019_allocation",
)


@lru_cache(maxsize=1)
def legal() -> Legal:
    with LEGAL_FILE.open(encoding="utf-8") as fh:
        return parse_legal(yaml.safe_load(fh))


def source(key: str) -> LegalSource:
    return legal().sources[key]


# --- values in, flags out ----------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    year: int
    source: str
    amount_vnd: int
    extended_until: date | None = None


@dataclass(frozen=True)
class Payment:
    paid_on: date
    amount_vnd: int
    source: str
    capital_year: int


@dataclass(frozen=True)
class MilestoneValue:
    title: str
    planned_on: date
    actual_on: date | None


@dataclass(frozen=True)
class ProjectValues:
    """What the checks need to know of one project."""

    stage: str
    approved_total: int | None = None
    allocations: tuple[Allocation, ...] = ()
    payments: tuple[Payment, ...] = ()
    milestones: tuple[MilestoneValue, ...] = ()
    progress_dates: tuple[date, ...] = ()
    # (year, "six_month" | "annual") of the supervision reports submitted.
    supervision: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    # Reports are owed from the investment decision until settlement or cancellation.
    active_from: date | None = None
    active_until: date | None = None
    construction_since: date | None = None


@dataclass(frozen=True)
class Flag:
    code: str
    severity: str  # "error" (a legal limit broken) | "warning" (late, missing, stalled)
    message_vi: str
    message_en: str
    source_key: str

    def message(self, locale: str = "vi") -> str:
        return self.message_en if locale == "en" else self.message_vi

    @property
    def source(self) -> LegalSource:
        return source(self.source_key)

    def label(self, locale: str = "vi") -> str:
        vi, en = CODES[self.code]
        return en if locale == "en" else vi


def vnd(amount: int) -> str:
    """Exact Vietnamese grouping of an integer amount: 1.234.567 ₫."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def dmy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def disbursement_deadline(capital_year: int, extended_until: date | None = None) -> date:
    """The last day capital of ``capital_year`` may be paid: 31/01 of the next year (Law
    39/2019 Art. 68(1), applied to later years until Law 58/2024 is confirmed), or the
    extension a competent authority granted."""
    return extended_until or date(capital_year + 1, 1, 31)


def deadline_source(capital_year: int) -> str:
    return "law_39_2019_art_68" if capital_year <= legal().law_39_2019_until else "law_58_2024"


def over_allocation(values: ProjectValues) -> list[Flag]:
    allocated: dict[tuple[int, str], int] = defaultdict(int)
    paid: dict[tuple[int, str], int] = defaultdict(int)
    for a in values.allocations:
        allocated[(a.year, a.source)] += a.amount_vnd
    for p in values.payments:
        paid[(p.capital_year, p.source)] += p.amount_vnd
    flags = []
    for year, src in sorted(paid):
        out, cap = paid[(year, src)], allocated.get((year, src), 0)
        if out > cap:
            flags.append(
                Flag(
                    "over_allocation",
                    "error",
                    f"Vốn năm {year} ({SOURCE_LABELS[src][0]}): đã giải ngân {vnd(out)}, "
                    f"vượt kế hoạch vốn {vnd(cap)} là {vnd(out - cap)}.",
                    f"Capital of {year} ({SOURCE_LABELS[src][1]}): {vnd(out)} disbursed, "
                    f"{vnd(out - cap)} beyond the allocation of {vnd(cap)}.",
                    "law_39_2019_allocation",
                )
            )
    return flags


def allocation_over_total(values: ProjectValues) -> list[Flag]:
    if values.approved_total is None:
        return []
    allocated = sum(a.amount_vnd for a in values.allocations)
    if allocated <= values.approved_total:
        return []
    over = allocated - values.approved_total
    return [
        Flag(
            "allocation_over_total",
            "error",
            f"Tổng kế hoạch vốn {vnd(allocated)} vượt tổng mức đầu tư được duyệt "
            f"{vnd(values.approved_total)} là {vnd(over)}.",
            f"Allocations of {vnd(allocated)} exceed the approved total of "
            f"{vnd(values.approved_total)} by {vnd(over)}.",
            "law_39_2019_allocation",
        )
    ]


def late_disbursement(values: ProjectValues) -> list[Flag]:
    extended = {(a.year, a.source): a.extended_until for a in values.allocations}
    flags = []
    for p in sorted(values.payments, key=lambda p: (p.paid_on, p.capital_year)):
        deadline = disbursement_deadline(p.capital_year, extended.get((p.capital_year, p.source)))
        if p.paid_on > deadline:
            flags.append(
                Flag(
                    "late_disbursement",
                    "error",
                    f"Khoản giải ngân {vnd(p.amount_vnd)} ngày {dmy(p.paid_on)} từ vốn năm "
                    f"{p.capital_year}, sau thời hạn {dmy(deadline)}.",
                    f"{vnd(p.amount_vnd)} paid on {dmy(p.paid_on)} from {p.capital_year} "
                    f"capital, after the deadline of {dmy(deadline)}.",
                    deadline_source(p.capital_year),
                )
            )
    return flags


def supervision_due(year: int, period: str) -> date:
    month, day = legal().six_month_due if period == "six_month" else legal().annual_due
    return date(year if period == "six_month" else year + 1, month, day)


def supervision_missing(values: ProjectValues, today: date) -> list[Flag]:
    if values.active_from is None:
        return []
    flags = []
    for year in range(values.active_from.year, today.year + 1):
        for period, end in (("six_month", date(year, 6, 30)), ("annual", date(year, 12, 31))):
            covered = values.active_from <= end and (
                values.active_until is None or values.active_until > end
            )
            due = supervision_due(year, period)
            if not covered or today <= due or (year, period) in values.supervision:
                continue
            what_vi = "6 tháng đầu năm" if period == "six_month" else "cả năm"
            what_en = "six-month" if period == "six_month" else "annual"
            flags.append(
                Flag(
                    "supervision_missing",
                    "warning",
                    f"Chưa có báo cáo giám sát, đánh giá đầu tư {what_vi} {year} (hạn {dmy(due)}).",
                    f"No {what_en} supervision report for {year} (due {dmy(due)}).",
                    "decree_29_2021_art_100",
                )
            )
    return flags


def milestone_slipping(values: ProjectValues, today: date) -> list[Flag]:
    flags = []
    for m in values.milestones:
        if m.actual_on is None and m.planned_on < today:
            late = (today - m.planned_on).days
            flags.append(
                Flag(
                    "milestone_slipping",
                    "warning",
                    f"Mốc «{m.title}» dự kiến {dmy(m.planned_on)} chưa đạt, chậm {late} ngày.",
                    f"Milestone “{m.title}” planned for {dmy(m.planned_on)} not reached, "
                    f"{late} days late.",
                    "app_milestones",
                )
            )
        elif m.actual_on is not None and m.actual_on > m.planned_on:
            late = (m.actual_on - m.planned_on).days
            flags.append(
                Flag(
                    "milestone_slipping",
                    "warning",
                    f"Mốc «{m.title}» đạt ngày {dmy(m.actual_on)}, chậm {late} ngày so với "
                    f"kế hoạch {dmy(m.planned_on)}.",
                    f"Milestone “{m.title}” reached on {dmy(m.actual_on)}, {late} days after "
                    f"the planned {dmy(m.planned_on)}.",
                    "app_milestones",
                )
            )
    return flags


def stalled(values: ProjectValues, today: date, days: int = DEFAULT_STALLED_DAYS) -> list[Flag]:
    if values.stage != "construction":
        return []
    last = max(values.progress_dates, default=None) or values.construction_since
    if last is None or today - last <= timedelta(days=days):
        return []
    since = (today - last).days
    return [
        Flag(
            "stalled",
            "warning",
            f"Đang thi công nhưng không có báo cáo tiến độ trong {since} ngày "
            f"(từ {dmy(last)}; ngưỡng {days} ngày).",
            f"Under construction with no progress report for {since} days "
            f"(since {dmy(last)}; threshold {days} days).",
            "app_stalled",
        )
    ]


def evaluate(
    values: ProjectValues, today: date, *, stalled_days: int = DEFAULT_STALLED_DAYS
) -> list[Flag]:
    """Every flag of one project, in the order of ``CODES``. Cancelled projects owe nothing
    more than what they broke before (allocation and disbursement checks still apply)."""
    flags = [
        *over_allocation(values),
        *allocation_over_total(values),
        *late_disbursement(values),
    ]
    if values.stage != "cancelled":
        flags += supervision_missing(values, today)
        flags += milestone_slipping(values, today)
        flags += stalled(values, today, stalled_days)
    return flags


# (Vietnamese, English) labels of the funding sources (models.Source values).
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "central": ("Ngân sách trung ương", "Central budget"),
    "provincial": ("Ngân sách tỉnh", "Provincial budget"),
    "district": ("Ngân sách cấp huyện", "District budget"),
    "oda_ngo": ("Vốn ODA, viện trợ phi chính phủ", "ODA and NGO funds"),
    "private": ("Vốn xã hội hóa, tư nhân", "Private funds"),
}
