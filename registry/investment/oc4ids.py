"""The portfolio as an OC4IDS 0.9.4 project package (Open Contracting for Infrastructure Data
Standards, https://standard.open-contracting.org/infrastructure/0.9/).

Built from Project objects and the facility records ``facilities.read`` gives a reader, so a
confidential facility's location is already generalised (its commune's point, no address)
for a reader who may not see it exactly. Every coded field takes its value from the 0.9.4
codelists; money is integer VND, written as JSON integers (exact).

Mappings chosen here (the codelists are closed where marked):
- stage -> ``projectStatus`` (closed): policy decision = identification; investment decision
  and design = preparation; procurement and construction = implementation; acceptance and
  settlement = completion; cancelled = cancelled; a suspended project keeps the status of the
  stage it was suspended at.
- kind -> ``projectType`` (closed): new construction = construction; upgrade and repair =
  rehabilitation; expansion = expansion; equipment = replacement (the equipment of an existing
  asset).
- sector (open): ``health``, whose definition covers "human services": social assistance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, selectinload

from registry import clock
from registry.clock import VN_TZ
from registry.facilities import read
from registry.facilities.read import FacilityRecord, Reader
from registry.geography import services as geography
from registry.geography.models import Edition
from registry.investment import services
from registry.investment.models import (
    Contract,
    DecisionKind,
    Kind,
    Project,
    Source,
)
from registry.investment.workflow import Stage

OC4IDS_VERSION = "0.9"  # the package's "version": major.minor of the schema (0.9.4)
#: Project identifiers are this prefix + the registry's project code. OC4IDS asks for a
#: registered "oc4ids-" prefix; this one is not registered (set INVESTMENT_OC4IDS_PREFIX).
DEFAULT_PREFIX = "oc4ids-vnsa00"
PUBLISHER = "Hệ thống quản lý cơ sở trợ giúp xã hội"
LANGUAGE = "vi"
CURRENCY = "VND"
COUNTRY = "Việt Nam"
SECTOR = ("health",)

STATUS: dict[Stage, str] = {
    Stage.POLICY_DECISION: "identification",
    Stage.INVESTMENT_DECISION: "preparation",
    Stage.DESIGN: "preparation",
    Stage.PROCUREMENT: "implementation",
    Stage.CONSTRUCTION: "implementation",
    Stage.HANDOVER: "completion",
    Stage.SETTLEMENT: "completion",
    Stage.CANCELLED: "cancelled",
}
TYPE: dict[Kind, str] = {
    Kind.NEW_CONSTRUCTION: "construction",
    Kind.UPGRADE: "rehabilitation",
    Kind.REPAIR: "rehabilitation",
    Kind.EXPANSION: "expansion",
    Kind.EQUIPMENT: "replacement",
}
SOURCE_NAMES: dict[Source, str] = {
    Source.CENTRAL: "Ngân sách trung ương",
    Source.PROVINCIAL: "Ngân sách tỉnh",
    Source.DISTRICT: "Ngân sách huyện",
    Source.ODA_NGO: "Vốn ODA, viện trợ của tổ chức phi chính phủ",
    Source.PRIVATE: "Vốn tư nhân",
}
DECISION_NAMES: dict[DecisionKind, str] = {
    DecisionKind.POLICY: "Quyết định chủ trương đầu tư",
    DecisionKind.INVESTMENT: "Quyết định phê duyệt dự án đầu tư",
    DecisionKind.ADJUSTMENT: "Quyết định điều chỉnh dự án",
}
DECISION_DOCUMENT_TYPES: dict[DecisionKind, str] = {
    DecisionKind.POLICY: "projectPlan",
    DecisionKind.INVESTMENT: "budgetApproval",
    DecisionKind.ADJUSTMENT: "budgetAmendmentApproval",
}
#: milestoneType codes (open list; the registry keeps to the published ones).
MILESTONE_TYPES = frozenset(
    {
        "preProcurement",
        "approval",
        "engagement",
        "assessment",
        "delivery",
        "reporting",
        "financing",
        "payment",
        "procurement",
        "contractClose",
    }
)
CONTRACT_NATURES = frozenset({"design", "construction", "supervision"})
OWNER_ID = "owner"


def when(day: date) -> str:
    """A calendar date as the RFC 3339 date-time OC4IDS asks for: midnight in Vietnam."""
    return datetime.combine(day, time(0, 0), tzinfo=VN_TZ).isoformat()


def instant(moment: datetime) -> str:
    """A stored timestamp (UTC; naive ones from SQLite are UTC) as RFC 3339."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def value(amount: int) -> dict[str, Any]:
    return {"amount": int(amount), "currency": CURRENCY}


def project_id(code: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-{code}"


def project_status(project: Project) -> str:
    stage = Stage(project.stage)
    if stage is Stage.SUSPENDED:
        stage = Stage(project.suspended_from or Stage.POLICY_DECISION)
    return STATUS[stage]


def _approved(project: Project) -> tuple[int, date] | None:
    """The approved total investment and the date of the decision that set it."""
    decision = services.approving_decision(project)
    if decision is None:
        return None
    return int(decision.total_vnd or 0), decision.signed_on


def _period(start: date | None, end: date | None) -> dict[str, Any] | None:
    period: dict[str, Any] = {}
    if start is not None:
        period["startDate"] = when(start)
    if end is not None:
        period["endDate"] = when(end)
    if start is not None and end is not None and end >= start:
        period["durationInDays"] = (end - start).days
    return period or None


def _funder_id(source: Source | str) -> str:
    return f"funder-{Source(source).value}"


def _parties(project: Project) -> list[dict[str, Any]]:
    parties: list[dict[str, Any]] = [
        {"id": OWNER_ID, "name": project.owner, "roles": ["publicAuthority", "buyer"]}
    ]
    sources: list[Source] = []
    for source in (
        *(f.source for f in project.funding),
        *(p.source for p in project.capital_plans),
        *(d.source for d in project.disbursements),
    ):
        if Source(source) not in sources:
            sources.append(Source(source))
    for source in sorted(sources, key=list(Source).index):
        parties.append(
            {"id": _funder_id(source), "name": SOURCE_NAMES[source], "roles": ["funder", "payer"]}
        )
    for supplier_id, name in _suppliers(project.contracts).items():
        parties.append({"id": supplier_id, "name": name, "roles": ["supplier"]})
    return parties


def _suppliers(contracts: Iterable[Contract]) -> dict[str, str]:
    """Contractors by party id, one party per distinct name."""
    out: dict[str, str] = {}
    for contract in contracts:
        name = contract.contractor.strip()
        if name and name not in out.values():
            out[f"supplier-{len(out) + 1}"] = name
    return out


def _budget(project: Project) -> dict[str, Any] | None:
    budget: dict[str, Any] = {}
    approved = _approved(project)
    if approved is not None:
        budget["amount"] = value(approved[0])
        budget["approvalDate"] = when(approved[1])
    breakdowns = []
    if project.funding:
        breakdowns.append(
            {
                "id": "by-source",
                "description": "Cơ cấu nguồn vốn của tổng mức đầu tư",
                "budgetBreakdown": [
                    {
                        "id": Source(f.source).value,
                        "description": SOURCE_NAMES[Source(f.source)],
                        "amount": value(f.amount_vnd),
                        "sourceParty": {
                            "id": _funder_id(f.source),
                            "name": SOURCE_NAMES[Source(f.source)],
                        },
                    }
                    for f in project.funding
                ],
            }
        )
    if project.capital_plans:
        lines = []
        for plan in project.capital_plans:
            line: dict[str, Any] = {
                "id": f"{plan.year}-{Source(plan.source).value}",
                "description": f"Kế hoạch vốn năm {plan.year}, {SOURCE_NAMES[Source(plan.source)]}"
                + (f" (Quyết định {plan.decision_number})" if plan.decision_number else ""),
                "amount": value(plan.amount_vnd),
                "period": _period(date(plan.year, 1, 1), date(plan.year, 12, 31)),
                "sourceParty": {
                    "id": _funder_id(plan.source),
                    "name": SOURCE_NAMES[Source(plan.source)],
                },
            }
            if plan.decision_on is not None:
                line["approvalDate"] = when(plan.decision_on)
            lines.append(line)
        breakdowns.append(
            {
                "id": "capital-plans",
                "description": "Kế hoạch vốn đầu tư công hằng năm theo nguồn",
                "budgetBreakdown": lines,
            }
        )
    if breakdowns:
        budget["budgetBreakdowns"] = breakdowns
    return budget or None


def _location(
    project: Project, facility: FacilityRecord | None, province_names: Mapping[str, str]
) -> dict[str, Any]:
    region = province_names.get(project.province_code)
    address: dict[str, Any] = {"countryName": COUNTRY}
    if region:
        address["region"] = region
    if facility is None:
        return {
            "id": "1",
            "description": "Chưa gắn với cơ sở trong sổ đăng ký; vị trí theo tỉnh.",
            "address": address,
        }
    if facility.address:
        address["streetAddress"] = facility.address
    if facility.generalised:
        note = f"{facility.name} (vị trí khái quát: điểm đại diện của đơn vị hành chính)"
    elif facility.location_approximate:
        note = f"{facility.name} (vị trí gần đúng)"
    else:
        note = facility.name
    return {
        "id": "1",
        "description": note,
        "geometry": {
            "type": "Point",
            "coordinates": [round(facility.lon, 6), round(facility.lat, 6)],
        },
        "address": address,
    }


def _milestones(project: Project, today: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for decision in project.decisions:
        kind = DecisionKind(decision.kind)
        out.append(
            {
                "id": f"decision-{decision.id}",
                "title": f"{DECISION_NAMES[kind]} {decision.number}",
                "description": decision.authority,
                "type": "approval",
                "code": "projectApproval",
                "dueDate": when(decision.signed_on),
                "dateMet": when(decision.signed_on),
                "status": "met",
            }
        )
    for change in project.stage_changes:
        code = {Stage.CONSTRUCTION: "commencement", Stage.HANDOVER: "completion"}.get(
            Stage(change.to_stage)
        )
        if code is None:
            continue
        out.append(
            {
                "id": f"stage-{change.id}",
                "title": "Khởi công" if code == "commencement" else "Nghiệm thu, bàn giao",
                "type": "delivery",
                "code": code,
                "dueDate": when(change.occurred_on),
                "dateMet": when(change.occurred_on),
                "status": "met",
            }
        )
    for milestone in project.milestones:
        item: dict[str, Any] = {
            "id": f"milestone-{milestone.id}",
            "title": milestone.title,
            "type": milestone.milestone_type
            if milestone.milestone_type in MILESTONE_TYPES
            else "delivery",
            "dueDate": when(milestone.planned_on),
            "dateModified": when(today),
        }
        if milestone.actual_on is not None:
            item["dateMet"] = when(milestone.actual_on)
            item["status"] = "met"
        else:
            item["status"] = "notMet" if milestone.planned_on < today else "scheduled"
        out.append(item)
    return out


def _physical(points: Iterable[tuple[date, int]], note: str) -> dict[str, Any]:
    return {
        "id": "physicalProgress",
        "title": "Tiến độ thực hiện (khối lượng)",
        "observations": [
            {
                "id": f"{day.isoformat()}-{n}",
                "period": {"startDate": when(day), "endDate": when(day)},
                "measure": int(pct),
                "unit": {"name": "percent"},
                "notes": note,
            }
            for n, (day, pct) in enumerate(points, start=1)
        ],
    }


def _metrics(project: Project) -> list[dict[str, Any]]:
    metrics = []
    if project.progress_reports:
        metrics.append(
            _physical(
                ((r.as_of, r.physical_pct) for r in project.progress_reports),
                "Khối lượng hoàn thành lũy kế theo báo cáo tiến độ (%).",
            )
        )
    if project.disbursements:
        total = 0
        observations = []
        for n, payment in enumerate(project.disbursements, start=1):
            total += int(payment.amount_vnd)
            observations.append(
                {
                    "id": f"{payment.paid_on.isoformat()}-{n}",
                    "period": {
                        "startDate": when(payment.paid_on),
                        "endDate": when(payment.paid_on),
                    },
                    "value": value(total),
                    "notes": "Giá trị giải ngân lũy kế.",
                }
            )
        metrics.append(
            {
                "id": "financialProgress",
                "title": "Giải ngân lũy kế",
                "observations": observations,
            }
        )
    return metrics


def _forecasts(project: Project) -> list[dict[str, Any]]:
    forecasts = []
    if project.planned_progress:
        forecasts.append(
            _physical(
                ((p.as_of, p.physical_pct) for p in project.planned_progress),
                "Khối lượng hoàn thành lũy kế theo kế hoạch (%).",
            )
        )
    if project.capital_plans:
        by_year: dict[int, int] = {}
        for plan in project.capital_plans:
            by_year[plan.year] = by_year.get(plan.year, 0) + int(plan.amount_vnd)
        total = 0
        observations = []
        for year in sorted(by_year):
            total += by_year[year]
            observations.append(
                {
                    "id": str(year),
                    "period": _period(date(year, 1, 1), date(year, 12, 31)),
                    "value": value(total),
                    "notes": "Vốn được giao lũy kế đến hết năm (kế hoạch vốn hằng năm).",
                }
            )
        forecasts.append(
            {
                "id": "financialProgress",
                "title": "Vốn được giao lũy kế",
                "observations": observations,
            }
        )
    return forecasts


def _transactions(project: Project) -> list[dict[str, Any]]:
    out = []
    for payment in project.disbursements:
        source = Source(payment.source)
        out.append(
            {
                "id": f"disbursement-{payment.id}",
                "date": when(payment.paid_on),
                "value": value(payment.amount_vnd),
                "payer": {"id": _funder_id(source), "name": SOURCE_NAMES[source]},
            }
        )
    return out


def _contracting(project: Project, today: date) -> list[dict[str, Any]]:
    suppliers = {name: pid for pid, name in _suppliers(project.contracts).items()}
    accepted = project.accepted_on is not None
    out = []
    for contract in project.contracts:
        current_value, current_end = int(contract.value_vnd), contract.end_on
        modifications = []
        for mod in contract.modifications:
            changes: list[tuple[str, dict[str, Any]]] = []
            if mod.new_value_vnd is not None and mod.new_value_vnd != current_value:
                changes.append(
                    (
                        "value",
                        {
                            "oldContractValue": value(current_value),
                            "newContractValue": value(mod.new_value_vnd),
                        },
                    )
                )
                current_value = int(mod.new_value_vnd)
            if mod.new_end_on is not None and mod.new_end_on != current_end:
                changes.append(
                    (
                        "duration",
                        {
                            "oldContractPeriod": _period(contract.signed_on, current_end),
                            "newContractPeriod": _period(contract.signed_on, mod.new_end_on),
                        },
                    )
                )
                current_end = mod.new_end_on
            for kind, detail in changes:
                entry = {
                    "id": f"{mod.id}-{kind}",
                    "date": when(mod.signed_on),
                    "rationale": mod.reason,
                    "type": kind,
                }
                modifications.append({**entry, **{k: v for k, v in detail.items() if v}})
        closed = accepted and (current_end is None or current_end <= today)
        summary: dict[str, Any] = {
            "externalReference": contract.number,
            "title": contract.title,
            "status": "closed" if closed else "active",
            "suppliers": [
                {"id": suppliers[contract.contractor.strip()], "name": contract.contractor}
            ]
            if contract.contractor.strip() in suppliers
            else [],
            "contractValue": value(contract.value_vnd),
            "contractPeriod": _period(contract.signed_on, current_end),
        }
        if contract.nature in CONTRACT_NATURES:
            summary["nature"] = [contract.nature]
        if modifications:
            summary["modifications"] = modifications
        out.append(
            {"id": f"contract-{contract.id}", "summary": {k: v for k, v in summary.items() if v}}
        )
    return out


def _documents(project: Project) -> list[dict[str, Any]]:
    return [
        {
            "id": f"decision-{d.id}",
            "documentType": DECISION_DOCUMENT_TYPES[DecisionKind(d.kind)],
            "title": f"{DECISION_NAMES[DecisionKind(d.kind)]} số {d.number} ngày "
            f"{d.signed_on:%d/%m/%Y}",
            "description": d.authority + (f". Lý do: {d.reason}" if d.reason else ""),
            "datePublished": when(d.signed_on),
            "language": LANGUAGE,
        }
        for d in project.decisions
    ]


def _completion(project: Project) -> dict[str, Any] | None:
    if project.accepted_on is None:
        return None
    completion: dict[str, Any] = {"endDate": when(project.accepted_on)}
    if project.settled_vnd is not None:
        completion["finalValue"] = value(project.settled_vnd)
        if project.settled_on is not None:
            completion["finalValueDetails"] = (
                f"Giá trị quyết toán, ngày {project.settled_on:%d/%m/%Y}."
            )
    if project.capacity_after is not None:
        completion["finalScope"] = (
            f"Quy mô thiết kế sau đầu tư: {project.capacity_after} đối tượng."
        )
    return completion


def _description(project: Project) -> str | None:
    parts = [project.description or ""]
    if project.capacity_before is not None or project.capacity_after is not None:
        before = "?" if project.capacity_before is None else str(project.capacity_before)
        after = "?" if project.capacity_after is None else str(project.capacity_after)
        parts.append(f"Quy mô thiết kế (đối tượng): trước {before}, sau {after}.")
    if project.targets:
        codes = ", ".join(f"{t.plan_code} {t.rule_code}" for t in project.targets)
        parts.append(f"Chỉ tiêu kế hoạch: {codes}.")
    if project.is_demo:
        parts.append(f"Dữ liệu minh họa (demo). {project.source_note or ''}".strip())
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text or None


def build_project(
    project: Project,
    facility: FacilityRecord | None,
    *,
    today: date,
    prefix: str = DEFAULT_PREFIX,
    province_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One OC4IDS project. ``facility`` is the record the reader may see (None: no facility,
    or one the reader may not see; then only the province is given)."""
    item: dict[str, Any] = {
        "id": project_id(project.code, prefix),
        "identifiers": [{"id": project.code, "scheme": "VN-TGXH-INVESTMENT"}],
        "language": LANGUAGE,
        "title": project.name,
        "status": project_status(project),
        "type": TYPE[Kind(project.kind)],
        "sector": list(SECTOR),
        "publicAuthority": {"id": OWNER_ID, "name": project.owner},
        "parties": _parties(project),
        "locations": [_location(project, facility, province_names or {})],
    }
    if project.updated_at is not None:
        item["updated"] = instant(project.updated_at)
    optional: dict[str, Any] = {
        "description": _description(project),
        "period": _period(project.planned_start, project.planned_end),
        "budget": _budget(project),
        "milestones": _milestones(project, today),
        "metrics": _metrics(project),
        "forecasts": _forecasts(project),
        "transactions": _transactions(project),
        "contractingProcesses": _contracting(project, today),
        "documents": _documents(project),
        "completion": _completion(project),
    }
    item.update({key: val for key, val in optional.items() if val})
    return item


def build_package(
    projects: Sequence[Project],
    facilities: Mapping[int, FacilityRecord],
    *,
    uri: str,
    publisher: str,
    published: datetime,
    today: date,
    prefix: str = DEFAULT_PREFIX,
    province_names: Mapping[str, str] | None = None,
    publisher_uri: str | None = None,
) -> dict[str, Any]:
    """The package of ``projects`` (ordered by code). OC4IDS asks for at least one project:
    callers say so rather than publish an empty package."""
    publisher_block: dict[str, Any] = {"name": publisher}
    if publisher_uri:
        publisher_block["uri"] = publisher_uri
    ordered = sorted(projects, key=lambda p: p.code)
    return {
        "uri": uri,
        "publishedDate": instant(published),
        "version": OC4IDS_VERSION,
        "publisher": publisher_block,
        "projects": [
            build_project(
                project,
                facilities.get(project.facility_id) if project.facility_id is not None else None,
                today=today,
                prefix=prefix,
                province_names=province_names,
            )
            for project in ordered
        ],
    }


__all__ = [
    "DEFAULT_PREFIX",
    "OC4IDS_VERSION",
    "STATUS",
    "TYPE",
    "build_package",
    "build_project",
    "package_for",
    "project_id",
    "project_status",
    "with_children",
]


def with_children(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (a select of projects) loading every child the exports read, in a few
    queries (no query per project)."""
    return stmt.options(
        selectinload(Project.decisions),
        selectinload(Project.funding),
        selectinload(Project.targets),
        selectinload(Project.stage_changes),
        selectinload(Project.capital_plans),
        selectinload(Project.disbursements),
        selectinload(Project.progress_reports),
        selectinload(Project.planned_progress),
        selectinload(Project.milestones),
        selectinload(Project.contracts).selectinload(Contract.modifications),
        selectinload(Project.supervision_reports),
    )


def package_for(
    session: Session,
    projects: Sequence[Project],
    reader: Reader,
    *,
    uri: str,
    publisher: str,
    prefix: str = DEFAULT_PREFIX,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The package of ``projects`` with their facilities as ``reader`` may see them (read
    through ``facilities.read``: a confidential facility generalised for a non-exact reader)."""
    moment = now or clock.now()
    ids = sorted({p.facility_id for p in projects if p.facility_id is not None})
    facilities = {r.id: r for r in read.records(session, reader, ids=ids)} if ids else {}
    names = geography.unit_names(
        session, sorted({p.province_code for p in projects}), Edition.CURRENT
    )
    return build_package(
        projects,
        facilities,
        uri=uri,
        publisher=publisher,
        published=moment,
        today=moment.astimezone(VN_TZ).date() if moment.tzinfo else moment.date(),
        prefix=prefix,
        province_names=names,
    )
