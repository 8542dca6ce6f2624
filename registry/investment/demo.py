"""Demo investment projects: the construction and upgrade projects the two seed plans name.

What comes from the plans is recorded as such: the project and the facility, the province,
the kind of works, the design band of 300–500 residents (Đắk Lắk IV.1.c, l. 51 and 53),
Decision 2929/QĐ-UBND of 30/10/2015 (l. 51), the central budget and the year 2018 of the Đồng
Nai upgrade (III.1.c, l. 83), and the methadone treatment of the new Đồng Nai drug-treatment
facility (l. 279). Everything else (amounts, other decision numbers and dates, capital plans,
payments, progress, contracts) is an honest placeholder: every project is ``is_demo`` and its
``source_note`` says so. No project is handed over: accepting one and confirming the handover
is left to the user.

Everything is written through ``investment.services`` (audited), as the demo accounts would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.facilities import read
from registry.investment import services
from registry.investment.models import DecisionKind, Kind, Project, Source, SupervisionPeriod
from registry.investment.workflow import Stage

DL_PLAN = "DL-TGXH-2016-2020"
DN_PLAN = "DN-2735-KH-UBND-2018"
DL_OWNER = "Sở Lao động - Thương binh và Xã hội tỉnh Đắk Lắk"
DN_OWNER = "Sở Lao động - Thương binh và Xã hội tỉnh Đồng Nai"
DL_AUTHORITY = "Ủy ban nhân dân tỉnh Đắk Lắk"
DN_AUTHORITY = "Ủy ban nhân dân tỉnh Đồng Nai"
PLACEHOLDER = (
    "Dữ liệu minh họa (demo). Số tiền, kế hoạch vốn, giải ngân, tiến độ, hợp đồng, mốc và các "
    "ngày sau quyết định đầu tư là giá trị giả định, không có trong nguồn; chủ đầu tư ghi theo "
    "cơ quan quản lý cơ sở."
)
BN = 1_000_000_000  # one billion đồng
MN = 1_000_000


@dataclass(frozen=True)
class DemoProject:
    code: str
    name: str
    kind: Kind
    province_code: str
    facility_name: str | None
    owner: str
    source: str  # what the plan says, with its line
    targets: tuple[tuple[str, str], ...]
    capacity_after: int | None
    planned_start: date
    planned_end: date
    stages: tuple[tuple[Stage, date], ...]
    decisions: tuple[tuple[DecisionKind, str, date, str, int | None, str | None], ...]
    funding: dict[Source, int]
    capital: tuple[tuple[int, Source, int, str, date], ...]
    payments: tuple[tuple[date, int, Source, int], ...]
    planned: tuple[tuple[date, int], ...] = ()
    progress: tuple[tuple[date, int, str, str | None], ...] = ()
    milestones: tuple[tuple[str, str, date, date | None], ...] = ()
    contracts: tuple[dict[str, Any], ...] = ()
    supervision: tuple[tuple[int, SupervisionPeriod, date], ...] = ()
    level_after: str | None = "provincial"


DL_MENTAL = (
    "Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần, người rối nhiễu tâm trí "
    "tỉnh Đắk Lắk"
)
DL_GENERAL = "Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk"
DN_GENERAL = "Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần tỉnh Đồng Nai"

DEMO_PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        code="DEMO-DL-01",
        name="Đầu tư xây dựng Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần, "
        "người rối nhiễu tâm trí tỉnh Đắk Lắk (giai đoạn 1)",
        kind=Kind.NEW_CONSTRUCTION,
        province_code="66",
        facility_name=DL_MENTAL,
        owner=DL_OWNER,
        source="Kế hoạch phát triển hệ thống trợ giúp xã hội tỉnh Đắk Lắk 2016–2020, mục "
        "IV.1.c, dòng 51: tiếp tục dự án đầu tư xây dựng trung tâm, quy mô thiết kế từ 300 đến "
        "500 đối tượng theo Quyết định 2929/QĐ-UBND ngày 30/10/2015 (giai đoạn 1). Quy mô sau "
        "đầu tư ghi 300 (cận dưới của khoảng kế hoạch nêu).",
        targets=((DL_PLAN, "DL-01"), (DL_PLAN, "DL-02")),
        capacity_after=300,
        planned_start=date(2016, 1, 1),
        planned_end=date(2020, 12, 31),
        stages=(
            (Stage.INVESTMENT_DECISION, date(2015, 10, 30)),
            (Stage.DESIGN, date(2016, 3, 1)),
            (Stage.PROCUREMENT, date(2018, 9, 1)),
            (Stage.CONSTRUCTION, date(2019, 1, 15)),
        ),
        decisions=(
            (
                DecisionKind.INVESTMENT,
                "2929/QĐ-UBND",
                date(2015, 10, 30),
                DL_AUTHORITY,
                120 * BN,
                None,
            ),
        ),
        funding={Source.CENTRAL: 70 * BN, Source.PROVINCIAL: 50 * BN},
        capital=(
            (
                2019,
                Source.CENTRAL,
                20 * BN,
                "Quyết định giao vốn 2019 (minh họa)",
                date(2018, 12, 20),
            ),
            (
                2019,
                Source.PROVINCIAL,
                15 * BN,
                "Quyết định giao vốn 2019 (minh họa)",
                date(2018, 12, 20),
            ),
            (
                2020,
                Source.CENTRAL,
                25 * BN,
                "Quyết định giao vốn 2020 (minh họa)",
                date(2019, 12, 18),
            ),
            (
                2020,
                Source.PROVINCIAL,
                20 * BN,
                "Quyết định giao vốn 2020 (minh họa)",
                date(2019, 12, 18),
            ),
        ),
        payments=(
            (date(2019, 3, 20), 6 * BN, Source.CENTRAL, 2019),
            (date(2019, 6, 25), 7 * BN, Source.CENTRAL, 2019),
            (date(2019, 9, 30), 5 * BN, Source.PROVINCIAL, 2019),
            (date(2019, 12, 20), 8 * BN, Source.PROVINCIAL, 2019),
            (date(2020, 1, 20), 6 * BN, Source.CENTRAL, 2019),
            (date(2020, 4, 15), 9 * BN, Source.CENTRAL, 2020),
            (date(2020, 7, 30), 7 * BN, Source.PROVINCIAL, 2020),
            (date(2020, 10, 15), 8 * BN, Source.CENTRAL, 2020),
        ),
        planned=(
            (date(2019, 1, 15), 0),
            (date(2019, 6, 30), 20),
            (date(2019, 12, 31), 45),
            (date(2020, 6, 30), 75),
            (date(2020, 12, 31), 100),
        ),
        progress=(
            (date(2019, 6, 30), 15, "Hoàn thành móng khối nhà chính (minh họa).", None),
            (date(2019, 12, 31), 38, "Thi công phần thân khối nhà chính (minh họa).", None),
            (
                date(2020, 6, 30),
                55,
                "Hoàn thiện phần thô, bắt đầu hạ tầng kỹ thuật (minh họa).",
                "Chậm giải phóng mặt bằng phần đường nội bộ (minh họa).",
            ),
            (date(2020, 9, 30), 64, "Hoàn thiện khối nhà chính (minh họa).", None),
        ),
        milestones=(
            (
                "Hoàn thành phần thô khối nhà chính",
                "delivery",
                date(2020, 3, 31),
                date(2020, 5, 15),
            ),
            ("Hoàn thành công trình giai đoạn 1", "delivery", date(2020, 12, 31), None),
        ),
        contracts=(
            {
                "number": "01/2019/HĐ-XD (minh họa)",
                "title": "Thi công xây dựng công trình giai đoạn 1",
                "contractor": "Nhà thầu thi công (tên minh họa)",
                "nature": "construction",
                "signed_on": date(2019, 1, 10),
                "value_vnd": 60 * BN,
                "end_on": date(2020, 12, 31),
            },
        ),
        supervision=(
            (2019, SupervisionPeriod.SIX_MONTH, date(2019, 7, 15)),
            (2019, SupervisionPeriod.ANNUAL, date(2020, 1, 20)),
            (2020, SupervisionPeriod.SIX_MONTH, date(2020, 7, 20)),
        ),
    ),
    DemoProject(
        code="DEMO-DL-02",
        name="Nâng cấp, mở rộng Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk",
        kind=Kind.UPGRADE,
        province_code="66",
        facility_name=DL_GENERAL,
        owner=DL_OWNER,
        source="Kế hoạch phát triển hệ thống trợ giúp xã hội tỉnh Đắk Lắk 2016–2020, mục "
        "IV.1.c, dòng 53: nâng cấp, mở rộng Trung tâm Bảo trợ xã hội tỉnh (cơ sở bảo trợ xã hội "
        "tổng hợp), quy mô thiết kế 300 đến 500 đối tượng. Quy mô sau đầu tư ghi 300 (cận dưới).",
        targets=((DL_PLAN, "DL-03"), (DL_PLAN, "DL-04")),
        capacity_after=300,
        planned_start=date(2019, 5, 1),
        planned_end=date(2020, 12, 31),
        stages=(
            (Stage.INVESTMENT_DECISION, date(2019, 3, 15)),
            (Stage.DESIGN, date(2019, 3, 20)),
            (Stage.PROCUREMENT, date(2019, 4, 20)),
            (Stage.CONSTRUCTION, date(2019, 6, 1)),
        ),
        decisions=(
            (
                DecisionKind.INVESTMENT,
                "Số quyết định minh họa (demo)",
                date(2019, 3, 15),
                DL_AUTHORITY,
                45 * BN,
                None,
            ),
            (
                DecisionKind.ADJUSTMENT,
                "Số quyết định điều chỉnh minh họa (demo)",
                date(2020, 7, 20),
                DL_AUTHORITY,
                48 * BN,
                "Bổ sung hạng mục nhà phục hồi chức năng (minh họa).",
            ),
        ),
        funding={Source.PROVINCIAL: 48 * BN},
        capital=(
            (
                2019,
                Source.PROVINCIAL,
                20 * BN,
                "Quyết định giao vốn 2019 (minh họa)",
                date(2019, 4, 1),
            ),
            (
                2020,
                Source.PROVINCIAL,
                25 * BN,
                "Quyết định giao vốn 2020 (minh họa)",
                date(2019, 12, 18),
            ),
        ),
        payments=(
            (date(2019, 8, 15), 8 * BN, Source.PROVINCIAL, 2019),
            (date(2019, 12, 10), 9 * BN, Source.PROVINCIAL, 2019),
            # Capital of 2019 paid after 31/01/2020: a late disbursement.
            (date(2020, 3, 10), 3 * BN, Source.PROVINCIAL, 2019),
            (date(2020, 6, 20), 10 * BN, Source.PROVINCIAL, 2020),
            (date(2020, 11, 25), 11 * BN, Source.PROVINCIAL, 2020),
        ),
        planned=(
            (date(2019, 6, 1), 0),
            (date(2019, 12, 31), 45),
            (date(2020, 6, 30), 80),
            (date(2020, 12, 31), 100),
        ),
        progress=(
            (date(2019, 9, 30), 25, "Nâng cấp khu nhà ở đối tượng (minh họa).", None),
            (date(2019, 12, 31), 48, "Hoàn thành cải tạo hai khu nhà ở (minh họa).", None),
            (date(2020, 6, 30), 78, "Xây dựng khu mở rộng (minh họa).", None),
            (date(2020, 11, 30), 97, "Hoàn thiện, chuẩn bị nghiệm thu (minh họa).", None),
        ),
        milestones=(
            (
                "Hoàn thành cải tạo khu nhà ở hiện có",
                "delivery",
                date(2019, 12, 31),
                date(2019, 12, 28),
            ),
            ("Hoàn thành khu mở rộng", "delivery", date(2020, 12, 15), None),
        ),
        contracts=(
            {
                "number": "05/2019/HĐ-XD (minh họa)",
                "title": "Thi công nâng cấp, mở rộng Trung tâm",
                "contractor": "Nhà thầu xây dựng (tên minh họa)",
                "nature": "construction",
                "signed_on": date(2019, 5, 25),
                "value_vnd": 38 * BN,
                "end_on": date(2020, 9, 30),
                "modification": {
                    "signed_on": date(2020, 8, 1),
                    "new_value_vnd": 40 * BN,
                    "new_end_on": date(2020, 12, 31),
                    "reason": "Bổ sung hạng mục theo quyết định điều chỉnh (minh họa).",
                },
            },
        ),
        supervision=(
            (2019, SupervisionPeriod.SIX_MONTH, date(2019, 7, 20)),
            (2019, SupervisionPeriod.ANNUAL, date(2020, 1, 25)),
            (2020, SupervisionPeriod.SIX_MONTH, date(2020, 7, 25)),
        ),
    ),
    DemoProject(
        code="DEMO-DN-01",
        name="Sửa chữa, nâng cấp Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần "
        "tỉnh Đồng Nai",
        kind=Kind.UPGRADE,
        province_code="75",
        facility_name=DN_GENERAL,
        owner=DN_OWNER,
        source="Kế hoạch 2735/KH-UBND tỉnh Đồng Nai (2018), mục III.1.c, dòng 83: đẩy nhanh tiến "
        "độ, sửa chữa, nâng cấp lại Trung tâm trong năm 2018 từ nguồn ngân sách Trung ương.",
        targets=((DN_PLAN, "DN-03"),),
        capacity_after=None,
        planned_start=date(2018, 5, 1),
        planned_end=date(2018, 12, 31),
        stages=(
            (Stage.INVESTMENT_DECISION, date(2018, 4, 10)),
            (Stage.DESIGN, date(2018, 4, 12)),
            (Stage.PROCUREMENT, date(2018, 5, 10)),
            (Stage.CONSTRUCTION, date(2018, 6, 15)),
        ),
        decisions=(
            (
                DecisionKind.INVESTMENT,
                "Số quyết định minh họa (demo)",
                date(2018, 4, 10),
                DN_AUTHORITY,
                15 * BN,
                None,
            ),
        ),
        funding={Source.CENTRAL: 15 * BN},
        capital=(
            (
                2018,
                Source.CENTRAL,
                10 * BN,
                "Quyết định giao vốn 2018 (minh họa)",
                date(2018, 4, 20),
            ),
            (
                2019,
                Source.CENTRAL,
                5 * BN,
                "Quyết định giao vốn 2019 (minh họa)",
                date(2018, 12, 25),
            ),
        ),
        payments=(
            (date(2018, 7, 20), 3 * BN, Source.CENTRAL, 2018),
            (date(2018, 10, 15), 4 * BN, Source.CENTRAL, 2018),
            (date(2018, 12, 28), 2 * BN, Source.CENTRAL, 2018),
            # Capital of 2018 paid after 31/01/2019: a late disbursement.
            (date(2019, 2, 20), 1 * BN, Source.CENTRAL, 2018),
            (date(2019, 4, 10), 3 * BN + 250 * MN, Source.CENTRAL, 2019),
        ),
        planned=(
            (date(2018, 6, 15), 0),
            (date(2018, 9, 30), 50),
            (date(2018, 12, 31), 100),
        ),
        progress=(
            (date(2018, 7, 31), 25, "Sửa chữa mái, hệ thống điện nước (minh họa).", None),
            (date(2018, 10, 31), 55, "Cải tạo phòng ở đối tượng (minh họa).", None),
            (
                date(2018, 12, 31),
                78,
                "Nâng cấp khu phục hồi chức năng (minh họa).",
                "Vốn năm 2018 chưa giải ngân hết (minh họa).",
            ),
            (date(2019, 3, 31), 92, "Hoàn thiện các hạng mục (minh họa).", None),
        ),
        milestones=(("Hoàn thành sửa chữa, nâng cấp", "delivery", date(2018, 12, 31), None),),
        contracts=(
            {
                "number": "12/2018/HĐ-SC (minh họa)",
                "title": "Sửa chữa, nâng cấp Trung tâm",
                "contractor": "Công ty xây dựng (tên minh họa)",
                "nature": "construction",
                "signed_on": date(2018, 6, 10),
                "value_vnd": 13 * BN,
                "end_on": date(2018, 12, 31),
            },
        ),
        supervision=((2018, SupervisionPeriod.SIX_MONTH, date(2018, 7, 20)),),
    ),
    DemoProject(
        code="DEMO-DN-02",
        name="Xây dựng mới cơ sở điều trị nghiện ma túy tỉnh Đồng Nai (có điều trị Methadone)",
        kind=Kind.NEW_CONSTRUCTION,
        province_code="75",
        # The new facility is not in the registry yet; the existing provincial facility is a
        # different one (the plan's rule DN-10 counts only a new one).
        facility_name=None,
        owner=DN_OWNER,
        source="Kế hoạch 2735/KH-UBND tỉnh Đồng Nai (2018), mục III.4.c, dòng 279: xây dựng mới "
        "cơ sở điều trị nghiện ma túy tỉnh; bổ sung cơ sở vật chất để điều trị Methadone (Nghị "
        "quyết 51/NQ-CP ngày 02/7/2015). Cơ sở mới chưa có trong sổ đăng ký.",
        targets=((DN_PLAN, "DN-10"), (DN_PLAN, "DN-16")),
        capacity_after=None,
        planned_start=date(2020, 1, 1),
        planned_end=date(2022, 12, 31),
        stages=(
            (Stage.INVESTMENT_DECISION, date(2019, 11, 20)),
            (Stage.DESIGN, date(2019, 12, 1)),
        ),
        decisions=(
            (
                DecisionKind.POLICY,
                "Số quyết định chủ trương minh họa (demo)",
                date(2019, 6, 15),
                DN_AUTHORITY,
                None,
                None,
            ),
            (
                DecisionKind.INVESTMENT,
                "Số quyết định minh họa (demo)",
                date(2019, 11, 20),
                DN_AUTHORITY,
                80 * BN,
                None,
            ),
        ),
        funding={Source.PROVINCIAL: 80 * BN},
        capital=(
            (
                2020,
                Source.PROVINCIAL,
                3 * BN,
                "Quyết định giao vốn 2020 (minh họa)",
                date(2019, 12, 20),
            ),
            (
                2021,
                Source.PROVINCIAL,
                20 * BN,
                "Quyết định giao vốn 2021 (minh họa)",
                date(2020, 12, 18),
            ),
        ),
        payments=((date(2020, 9, 15), 1 * BN + 200 * MN, Source.PROVINCIAL, 2020),),
        milestones=(
            ("Phê duyệt thiết kế và dự toán", "approval", date(2020, 6, 30), None),
            ("Lựa chọn nhà thầu thi công", "procurement", date(2020, 12, 31), None),
        ),
        contracts=(
            {
                "number": "03/2020/HĐ-TV (minh họa)",
                "title": "Tư vấn khảo sát, thiết kế",
                "contractor": "Công ty tư vấn thiết kế (tên minh họa)",
                "nature": "design",
                "signed_on": date(2020, 2, 15),
                "value_vnd": 1 * BN + 800 * MN,
                "end_on": date(2020, 8, 31),
            },
        ),
    ),
)


def _facility_ids(session: Session) -> dict[tuple[str, str], int]:
    """Demo facilities by (province, name), read as the registry itself."""
    wanted = {(d.province_code, d.facility_name) for d in DEMO_PROJECTS if d.facility_name}
    provinces = sorted({p for p, _ in wanted})
    found: dict[tuple[str, str], int] = {}
    for record in read.records(session, read.SYSTEM, provinces=provinces):
        key = (record.province_code, record.name)
        if key in wanted and record.is_demo:
            found.setdefault(key, record.id)
    return found


def _create(session: Session, demo: DemoProject, facility_id: int | None, actor: Any) -> Project:
    data = services.ProjectInput(
        code=demo.code,
        name=demo.name,
        kind=demo.kind,
        province_code=demo.province_code,
        facility_id=facility_id,
        owner=demo.owner,
        description=demo.source,
        capacity_before=None,
        capacity_after=demo.capacity_after,
        level_after=demo.level_after,
        planned_start=demo.planned_start,
        planned_end=demo.planned_end,
    )
    project = services.create_project(session, data, actor=actor, targets=list(demo.targets))
    project.is_demo = True
    project.source_note = f"{PLACEHOLDER} Nguồn: {demo.source}"
    session.flush()
    for kind, number, signed_on, authority, total, reason in demo.decisions:
        services.add_decision(
            session,
            project,
            kind=kind,
            number=number,
            signed_on=signed_on,
            authority=authority,
            total_vnd=total,
            reason=reason,
            actor=actor,
        )
    for stage, occurred_on in demo.stages:
        session.flush()
        services.change_stage(
            session,
            project,
            stage,
            occurred_on=occurred_on,
            reason=None,
            expected_version=project.version,
            actor=actor,
        )
    services.set_funding(session, project, dict(demo.funding), actor=actor)
    for year, source, amount, number, decided_on in demo.capital:
        services.set_capital_plan(
            session,
            project,
            year=year,
            source=source,
            amount_vnd=amount,
            decision_number=number,
            decision_on=decided_on,
            extended_until=None,
            actor=actor,
        )
    for n, (paid_on, amount, source, year) in enumerate(demo.payments, start=1):
        services.add_disbursement(
            session,
            project,
            paid_on=paid_on,
            amount_vnd=amount,
            source=source,
            capital_year=year,
            reference=f"Chứng từ minh họa {n:02d}",
            actor=actor,
        )
    if demo.planned:
        services.set_planned_progress(session, project, list(demo.planned), actor=actor)
    for as_of, pct, narrative, problems in demo.progress:
        services.add_progress(
            session,
            project,
            as_of=as_of,
            physical_pct=pct,
            narrative=narrative,
            problems=problems,
            actor=actor,
        )
    for title, kind_code, planned_on, actual_on in demo.milestones:
        services.add_milestone(
            session,
            project,
            title=title,
            milestone_type=kind_code,
            planned_on=planned_on,
            actual_on=actual_on,
            actor=actor,
        )
    for spec in demo.contracts:
        fields = {k: v for k, v in spec.items() if k != "modification"}
        contract = services.add_contract(session, project, actor=actor, **fields)
        if "modification" in spec:
            services.modify_contract(
                session, project, contract.id, actor=actor, **spec["modification"]
            )
    for year, period, submitted_on in demo.supervision:
        services.add_supervision_report(
            session,
            project,
            year=year,
            period=period,
            submitted_on=submitted_on,
            reference=f"Báo cáo giám sát minh họa {year}",
            actor=actor,
        )
    session.flush()
    return project


def load_demo_projects(session: Session, actor: Any) -> int:
    """Create the demo projects not there yet (matched by code); idempotent. Returns how many
    were created now. ``actor`` is a national user allowed to edit investment projects."""
    existing = set(
        session.scalars(
            select(Project.code).where(Project.code.in_([d.code for d in DEMO_PROJECTS]))
        )
    )
    facilities = _facility_ids(session)
    created = 0
    for demo in DEMO_PROJECTS:
        if demo.code in existing:
            continue
        facility_id = (
            facilities.get((demo.province_code, demo.facility_name)) if demo.facility_name else None
        )
        _create(session, demo, facility_id, actor)
        created += 1
    return created
