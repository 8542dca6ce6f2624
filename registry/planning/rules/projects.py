"""Targets met by investment projects: a facility upgraded, extended or built by a year.

``project_completed``
    Met when a project of one of ``project_kinds`` (``new_construction``, ``upgrade``,
    ``expansion``, ``repair``, ``equipment``) for a facility the rule selects (the usual
    filters; usually ``facility``, the one the plan names) was accepted (acceptance and
    handover) on or before the deadline: ``by`` (a date) or else 31/12 of the target year,
    and on or before the check's date. Results:

    * PASS — such a project was accepted by then (evidence ``projects``).
    * FAIL — a matching project exists but is under way, or was accepted only after the
      deadline or after the check's date: not (yet) met; the evidence gives each project's
      stage and latest physical progress %.
    * NOT_EVALUABLE — the facility cannot be identified in the registry (nothing in scope),
      or no project of those kinds is recorded for it: the works may have been done before
      projects were recorded, so the absence of a record is not a miss (``needs_record``).

    Projects of other kinds, for other facilities, or cancelled (never in the context) are
    ignored. Facility statuses default to planned, under construction, operating, suspended.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.planning.rules.engine import Outcome, Run, fact_ref, kind, not_evaluable
from registry.planning.rules.facts import LIVE_STATUSES, ProjectLike, Status

#: Stages from which the works are accepted (``investment.workflow.ACCEPTED``).
ACCEPTED_STAGES = frozenset({"handover", "settlement"})

STAGE_LABELS: dict[str, tuple[str, str]] = {
    "policy_decision": ("quyết định chủ trương đầu tư", "investment policy decision"),
    "investment_decision": ("quyết định đầu tư", "investment decision"),
    "design": ("thiết kế và dự toán", "design and estimate"),
    "procurement": ("lựa chọn nhà thầu", "procurement"),
    "construction": ("thi công xây dựng", "construction"),
    "handover": ("nghiệm thu, bàn giao", "acceptance and handover"),
    "settlement": ("quyết toán", "final settlement"),
    "suspended": ("tạm dừng", "suspended"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "new_construction": ("xây dựng mới", "new construction"),
    "upgrade": ("nâng cấp", "upgrade"),
    "expansion": ("mở rộng", "expansion"),
    "repair": ("sửa chữa", "repair"),
    "equipment": ("mua sắm trang thiết bị", "equipment"),
}

NO_PROJECT_REASON = (
    "Chưa có hồ sơ dự án đầu tư ({kinds_vi}) nào gắn với cơ sở này, nên chưa biết công trình "
    "đã được thực hiện hay chưa (có thể đã làm trước khi dự án được ghi vào sổ đăng ký). Cần "
    "một hồ sơ dự án đầu tư.",
    "No investment project record ({kinds_en}) is linked to this facility, so whether the "
    "works were done is not known (they may predate the project records). A project record "
    "is needed.",
)


def _d(day: date | None) -> str:
    return "?" if day is None else day.strftime("%d/%m/%Y")


def _accepted_on(p: ProjectLike, as_of: date) -> date | None:
    """The acceptance date if the project was accepted on or before ``as_of``."""
    if p.stage in ACCEPTED_STAGES and p.accepted_on is not None and p.accepted_on <= as_of:
        return p.accepted_on
    return None


def _progress_on(p: ProjectLike, as_of: date) -> tuple[date, int] | None:
    """The latest progress report on or before ``as_of``: from the history when the fact
    carries it, else the latest report if it is not after ``as_of`` (a report of a later day
    says nothing about progress on the check date)."""
    history = [r for r in p.progress if r[0] <= as_of]
    if history:
        return max(history, key=lambda r: r[0])
    if p.physical_pct is not None and p.progress_as_of is not None and p.progress_as_of <= as_of:
        return p.progress_as_of, p.physical_pct
    return None


def _row(p: ProjectLike, facility: dict[str, Any], as_of: date) -> dict[str, Any]:
    accepted = _accepted_on(p, as_of)
    # On the check date a project accepted later was not accepted yet; its stage then is
    # not known (the registry keeps only the current stage), so none is made up.
    later = accepted is None and p.stage in ACCEPTED_STAGES
    stage = None if later else p.stage
    labels = STAGE_LABELS.get(stage, (stage, stage)) if stage is not None else (None, None)
    progress = _progress_on(p, as_of)
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "stage": stage,
        "stage_vi": labels[0],
        "stage_en": labels[1],
        "accepted_on": None if p.accepted_on is None else p.accepted_on.isoformat(),
        "accepted_after_check": later,
        "physical_pct": None if progress is None else progress[1],
        "progress_as_of": None if progress is None else progress[0].isoformat(),
        "facility": facility,
    }


def _describe(p: ProjectLike, as_of: date) -> tuple[str, str]:
    accepted = _accepted_on(p, as_of)
    if accepted is not None:
        return (
            f"{p.code} {p.name} nghiệm thu ngày {_d(accepted)}",
            f"{p.code} {p.name} accepted on {_d(accepted)}",
        )
    progress = _progress_on(p, as_of)
    if progress is None:
        progress_vi, progress_en = "chưa có báo cáo tiến độ", "no progress report"
    else:
        progress_vi = f"khối lượng đạt {progress[1]}% (ngày {_d(progress[0])})"
        progress_en = f"{progress[1]}% physically complete (as of {_d(progress[0])})"
    if p.stage in ACCEPTED_STAGES:
        return (
            f"{p.code} {p.name} chưa được nghiệm thu tại ngày {_d(as_of)} (nghiệm thu ngày "
            f"{_d(p.accepted_on)}), {progress_vi}",
            f"{p.code} {p.name} not yet accepted on {_d(as_of)} (accepted on "
            f"{_d(p.accepted_on)}), {progress_en}",
        )
    vi_stage, en_stage = STAGE_LABELS.get(p.stage, (p.stage, p.stage))
    return (
        f"{p.code} {p.name} đang ở giai đoạn {vi_stage}, {progress_vi}",
        f"{p.code} {p.name} at stage {en_stage}, {progress_en}",
    )


@kind("project_completed")
def _project_completed(run: Run) -> Outcome:
    kinds = tuple(run.p["project_kinds"])
    as_of = run.ctx.as_of
    by: date | None = run.p.get("by")
    if by is None and run.rule.target_year is not None:
        by = date(run.rule.target_year, 12, 31)
    facilities, _uncertain = run.select(LIVE_STATUSES)
    if not facilities:
        return run.nothing_in_scope()
    refs = {f.id: fact_ref(f) for f in facilities}
    projects = [p for p in run.ctx.projects if p.facility_id in refs and p.kind in kinds]
    kinds_vi = ", ".join(KIND_LABELS.get(k, (k, k))[0] for k in kinds)
    kinds_en = ", ".join(KIND_LABELS.get(k, (k, k))[1] for k in kinds)
    base: dict[str, Any] = {
        "facilities": [refs[f.id] for f in facilities],
        "project_kinds": list(kinds),
        "deadline": None if by is None else by.isoformat(),
        "deadline_vi": _d(by),
        "deadline_text": _d(by),
    }
    if not projects:
        vi, en = NO_PROJECT_REASON
        return not_evaluable(
            vi.format(kinds_vi=kinds_vi),
            en.format(kinds_en=kinds_en),
            needs_record="investment_project",
            **base,
        )
    rows = [_row(p, refs[p.facility_id], as_of) for p in projects if p.facility_id is not None]
    on_time = [
        p
        for p in projects
        if (accepted := _accepted_on(p, as_of)) is not None and (by is None or accepted <= by)
    ]
    chosen = on_time or projects
    texts = [_describe(p, as_of) for p in chosen]
    ev = {
        **base,
        "projects": rows,
        "summary_vi": "; ".join(t[0] for t in texts),
        "summary_en": "; ".join(t[1] for t in texts),
    }
    if on_time:
        return Outcome(Status.PASS, "projects", ev)
    late = [p for p in projects if _accepted_on(p, as_of) is not None]
    ev["accepted_late"] = bool(late)
    return Outcome(Status.FAIL, "projects", ev)
