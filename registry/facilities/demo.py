"""Demo facilities named in the two provincial plans (Đồng Nai 2735/KH-UBND, 2018; the
Đắk Lắk social assistance plan 2016–2020).

Only what the plans say is recorded. Where the plans give no place, the facility sits at the
representative point of the district or commune named (or of the provincial capital) and is
marked approximate; where they give no capacity, none is invented. Every record says it is
demo data.

Dates. The plans give no facility's opening date, so none is recorded. What they do show is
each facility's state *when they were written*: existing (to upgrade, to keep running),
being built, or planned. That status is recorded from the plan's date (``AS_DESCRIBED``),
and the record's notes say that this is "as the plan describes it by that date", not when
the facility opened: a check as of 31/12/2020 then counts the centres that existed then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.facilities import services
from registry.facilities.models import Facility, LocationSource, Ownership, Status
from registry.facilities.vocab import FacilityLevel
from registry.geography import services as geography
from registry.geography.models import Edition, Level

DEMO_NOTE = "Dữ liệu minh họa (demo), lập từ văn bản kế hoạch; vị trí gần đúng."
DONG_NAI_PLAN = "Kế hoạch 2735/KH-UBND tỉnh Đồng Nai (2018)"
DAK_LAK_PLAN = "Kế hoạch phát triển hệ thống trợ giúp xã hội tỉnh Đắk Lắk 2016–2020"
DN_BODY = "Sở Lao động - Thương binh và Xã hội tỉnh Đồng Nai"
DL_BODY = "Sở Lao động - Thương binh và Xã hội tỉnh Đắk Lắk"

#: Current province -> the day its plan shows the demo facilities' status, and how that day
#: is known (the source's own words, in the record's notes).
AS_DESCRIBED: dict[str, tuple[date, str]] = {
    "75": (
        date(2018, 3, 22),
        "Trạng thái ghi theo kế hoạch, có từ ngày kế hoạch ban hành 22/03/2018 (“Đồng Nai, "
        "ngày 22 tháng 3 năm 2018”, dòng 13): cơ sở đã ở trạng thái này khi lập kế hoạch. "
        "Ngày thành lập không có trong nguồn, không ghi.",
    ),
    "66": (
        date(2020, 12, 31),
        "Trạng thái ghi theo kế hoạch, có từ ngày 31/12/2020: bản văn không ghi ngày ban hành; "
        "kế hoạch viện dẫn Nghị quyết 19-NQ/TW ngày 25/10/2017 (dòng 37) và dành cho giai đoạn "
        "2016–2020, nên cơ sở đã ở trạng thái này chậm nhất vào ngày cuối kỳ 31/12/2020 (ngày "
        "muộn nhất văn bản cho phép, không phải ngày thành lập). Ngày thành lập không có trong "
        "nguồn, không ghi.",
    ),
}


@dataclass(frozen=True)
class DemoFacility:
    name: str
    type_code: str
    status: Status
    province_code: str  # current (2025) province
    place: tuple[Level, str]  # pre-2025 district or commune whose point stands in
    source: str
    managing_body: str | None = None
    ownership: Ownership = Ownership.PUBLIC
    # Catalogue codes (catalogue.yaml), only where the plan says so; the source cites the line.
    # What a plan sets as a target (methadone at the rehab facility, l.279; gender-equality
    # services at the social work centre, l.155) is not recorded as offered.
    level: FacilityLevel | None = None
    service_codes: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()


_DN_DRUG_COMMUNITY = (
    ("741", "huyện Xuân Lộc"),
    ("742", "huyện Nhơn Trạch"),
    ("735", "huyện Vĩnh Cửu"),
    ("736", "huyện Định Quán"),
    ("738", "huyện Thống Nhất"),
    ("731", "thành phố Biên Hòa"),
)
_DN_COUNSELLING = (
    ("26131", "xã Tà Lài, huyện Tân Phú"),
    ("26239", "xã Túc Trưng, huyện Định Quán"),
    ("26446", "xã Xuân Hưng, huyện Xuân Lộc"),
)

DEMO_FACILITIES: tuple[DemoFacility, ...] = (
    DemoFacility(
        "Trung tâm Bảo trợ người già, người khuyết tật, người tâm thần tỉnh Đồng Nai",
        "GENERAL",
        Status.OPERATING,
        "75",
        (Level.DISTRICT, "731"),
        f"{DONG_NAI_PLAN}, dòng 83: nâng cấp Trung tâm trong năm 2018 từ ngân sách Trung "
        "ương; trung tâm cấp tỉnh cho người già, người khuyết tật, người tâm thần.",
        DN_BODY,
        level=FacilityLevel.PROVINCIAL,
        target_groups=("elderly", "disability", "mental"),
    ),
    DemoFacility(
        "Trung tâm Công tác xã hội tổng hợp tỉnh Đồng Nai",
        "SOCIAL_WORK",
        Status.PLANNED,
        "75",
        (Level.DISTRICT, "731"),
        f"{DONG_NAI_PLAN}, dòng 85: hoàn thành Đề án xây dựng Trung tâm Công tác xã hội "
        "tổng hợp tỉnh trực thuộc Sở Lao động - Thương binh và Xã hội (cấp tỉnh). Dòng 155, "
        "225: cung cấp hỗ trợ dịch vụ bình đẳng giới cho Trung tâm là chỉ tiêu của kế hoạch, "
        "chưa ghi là dịch vụ đã có.",
        DN_BODY,
        level=FacilityLevel.PROVINCIAL,
    ),
    DemoFacility(
        "Cơ sở Điều trị nghiện ma túy tỉnh Đồng Nai",
        "DRUG_PUBLIC",
        Status.OPERATING,
        "75",
        (Level.DISTRICT, "731"),
        f"{DONG_NAI_PLAN}, dòng 237: nâng cao hiệu quả cai nghiện tại Cơ sở Điều trị nghiện "
        "ma túy tỉnh (cấp tỉnh, người nghiện ma túy). Dòng 279: điều trị Methadone tại cơ sở "
        "là chỉ tiêu của kế hoạch, chưa ghi là dịch vụ đã có.",
        DN_BODY,
        level=FacilityLevel.PROVINCIAL,
        target_groups=("drug_users",),
    ),
    *(
        DemoFacility(
            f"Cơ sở cai nghiện ma túy tại cộng đồng {label}",
            "DRUG_COMMUNITY",
            Status.PLANNED,
            "75",
            (Level.DISTRICT, code),
            f"{DONG_NAI_PLAN}, dòng 251: phấn đấu xây dựng 06 cơ sở cai nghiện ma túy tại "
            "cộng đồng theo Nghị định 94/2010/NĐ-CP, mỗi cơ sở ở một huyện (cấp huyện), cho "
            "người nghiện ma túy.",
            level=FacilityLevel.DISTRICT,
            target_groups=("drug_users",),
        )
        for code, label in _DN_DRUG_COMMUNITY
    ),
    *(
        DemoFacility(
            f"Điểm tư vấn cho đồng bào dân tộc thiểu số {label}",
            "GBV_COUNSELLING",
            Status.OPERATING,
            "75",
            (Level.COMMUNE, code),
            f"{DONG_NAI_PLAN}, dòng 177: tiếp tục duy trì điểm tư vấn cho đồng bào dân tộc "
            "thiểu số đã thành lập ở 03 xã điểm (cấp xã), về phòng ngừa và ứng phó với bạo "
            "lực trên cơ sở giới.",
            level=FacilityLevel.COMMUNE,
            service_codes=("gbv_counselling",),
            target_groups=("gbv_victims",),
        )
        for code, label in _DN_COUNSELLING
    ),
    DemoFacility(
        "Trung tâm Chăm sóc và Phục hồi chức năng cho người tâm thần, người rối nhiễu "
        "tâm trí tỉnh Đắk Lắk",
        "MENTAL",
        Status.UNDER_CONSTRUCTION,
        "66",
        (Level.DISTRICT, "643"),
        f"{DAK_LAK_PLAN}, mục IV.1.c, dòng 51: tiếp tục dự án đầu tư xây dựng trung tâm "
        "cấp tỉnh cho người tâm thần, người rối nhiễu tâm trí, quy mô thiết kế từ 300 đến 500 "
        "đối tượng (Quyết định 2929/QĐ-UBND ngày 30/10/2015).",
        DL_BODY,
        level=FacilityLevel.PROVINCIAL,
        target_groups=("mental",),
    ),
    DemoFacility(
        "Trung tâm Bảo trợ xã hội tỉnh Đắk Lắk",
        "GENERAL",
        Status.OPERATING,
        "66",
        (Level.DISTRICT, "643"),
        f"{DAK_LAK_PLAN}, mục IV.1.c, dòng 53: nâng cấp, mở rộng Trung tâm Bảo trợ xã hội "
        "tỉnh (cấp tỉnh; cơ sở bảo trợ xã hội tổng hợp), quy mô thiết kế 300 đến 500 đối "
        "tượng.",
        DL_BODY,
        level=FacilityLevel.PROVINCIAL,
    ),
)


def _stand_in_point(session: Session, level: Level, code: str) -> tuple[float, float]:
    """A representative point for a pre-2025 unit. Pre-2025 communes have no outline, so
    their point is that of the current commune they became part of."""
    unit = geography.unit_by_code(session, code, Edition.PRE2025, level)
    if unit is None:
        raise LookupError(f"unknown pre-2025 {level.value} {code}")
    candidates = [unit, *(s.new_unit for s in geography.successors_of(session, unit)), unit.parent]
    for candidate in candidates:
        if (
            candidate is not None
            and candidate.rep_lon is not None
            and candidate.rep_lat is not None
        ):
            return candidate.rep_lon, candidate.rep_lat
    raise LookupError(f"no point for pre-2025 {level.value} {code}")


def load_demo_facilities(session: Session) -> int:
    """Register the demo facilities that are not there yet (matched by name); idempotent.
    Returns how many were created now."""
    existing = set(session.scalars(select(Facility.name).where(Facility.is_demo.is_(True))))
    created = 0
    for demo in DEMO_FACILITIES:
        if demo.name in existing:
            continue
        lon, lat = _stand_in_point(session, *demo.place)
        since, how = AS_DESCRIBED[demo.province_code]
        data = services.FacilityInput(
            name=demo.name,
            type_code=demo.type_code,
            ownership=demo.ownership,
            province_code=demo.province_code,
            lon=lon,
            lat=lat,
            status=demo.status,
            status_changed_on=since,
            managing_body=demo.managing_body,
            location_source=LocationSource.UNIT_POINT,
            location_approximate=True,
            notes=f"{demo.source}\n{how}\n{DEMO_NOTE}",
            is_demo=True,
            level=demo.level.value if demo.level else None,
            service_codes=list(demo.service_codes),
            target_groups=list(demo.target_groups),
        )
        services.register_facility(
            session, data, actor_id=None, confirm_duplicates=True, reason="Dữ liệu minh họa (demo)"
        )
        created += 1
    return created
