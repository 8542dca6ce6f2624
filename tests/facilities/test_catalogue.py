"""The facility catalogue (levels, services, target groups), its use on the form, the pages,
the exports and the import; and no design range on a facility type (issue 9)."""

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from registry import clock
from registry.audit.services import history_for
from registry.auth.permissions import Role
from registry.facilities import catalogue, exporters, imports, read, services
from registry.facilities.forms import TARGET_GROUPS
from registry.facilities.models import Facility, FacilityType, Status
from registry.facilities.vocab import FacilityLevel
from tests.factories import UserFactory

HA_NOI = (105.85, 21.03)  # lon, lat: inside Hà Nội (province 01)
# Codes the planning rules and the other modules use (the common rules).
REQUIRED_SERVICES = {
    "gender_equality_counselling",
    "gbv_victim_support",
    "trafficking_victim_support",
    "child_protection_counselling",
    "methadone_treatment",
}
REQUIRED_GROUPS = {
    "elderly",
    "children",
    "disability",
    "mental",
    "gbv_victims",
    "trafficking_victims",
    "drug_users",
    "other",
}


# --- the catalogue itself (pure) ------------------------------------------------------------


def test_catalogue_holds_the_codes_the_rules_use():
    assert set(catalogue.level_codes()) == {level.value for level in FacilityLevel}
    assert set(catalogue.service_codes()) >= REQUIRED_SERVICES
    assert set(catalogue.target_group_codes()) >= REQUIRED_GROUPS
    # capacity by group is keyed by target-group codes of the catalogue
    assert set(TARGET_GROUPS) <= set(catalogue.target_group_codes())


def test_every_entry_is_labelled_in_both_languages_and_cites_a_source():
    for kind in catalogue.KINDS:
        for entry in catalogue.catalogue().kind(kind):
            assert entry.name_vi
            assert entry.name_en
            assert entry.name_vi != entry.code
            assert entry.source, f"{kind} {entry.code} cites no source"


def test_gender_violence_and_trafficking_victims_are_separate_groups():
    groups = set(catalogue.target_group_codes())
    assert {"gbv_victims", "trafficking_victims"} <= groups
    assert "Dự án 3" in catalogue.entry("target_groups", "gbv_victims").source
    assert "Dự án 4" in catalogue.entry("target_groups", "trafficking_victims").source


def test_plan_line_citations_point_at_lines_that_say_it():
    """The cited plan lines hold what the entry names (Đồng Nai 2735/KH-UBND)."""
    plan = Path(__file__).parents[3] / "shared/domain/dong_nai_plan_2735-KH-UBND_2018.txt"
    if not plan.exists():
        pytest.skip("plan text not available")
    lines = plan.read_text(encoding="utf-8").splitlines()
    assert "bình đẳng giới" in lines[155 - 1]
    assert "Công tác xã hội" in lines[155 - 1]
    assert "Methadone" in lines[279 - 1]
    assert "bảo vệ trẻ em" in lines[123 - 1]
    assert "dòng 279" in catalogue.entry("services", "methadone_treatment").source
    assert "dòng 155, 225" in catalogue.entry("services", "gender_equality_counselling").source


def test_labels_and_lookups():
    assert (
        catalogue.service_label("methadone_treatment", "vi")
        == "Điều trị nghiện bằng thuốc Methadone"
    )
    assert catalogue.service_label("methadone_treatment", "en") == "Methadone treatment"
    assert catalogue.level_label("provincial", "vi") == "Cấp tỉnh"
    assert catalogue.is_service("methadone_treatment")
    assert not catalogue.is_service("provincial")
    assert catalogue.is_level("commune")
    assert not catalogue.is_level("ward")
    assert catalogue.is_target_group("gbv_victims")
    assert not catalogue.is_target_group(None)
    # in catalogue order, whatever order they were given in
    assert catalogue.labels("target_groups", ["other", "elderly"], "en") == [
        "Older people",
        "Other groups",
    ]


def test_parse_codes_reads_labels_codes_and_aliases_and_keeps_unknown_ones():
    label = catalogue.service_label("gender_equality_counselling", "vi")
    assert "," in label  # a label with a comma is still one entry
    text = f"{label}; methadone_treatment, không có"
    assert catalogue.parse_codes("services", text) == [
        "gender_equality_counselling",
        "methadone_treatment",
        "không có",
    ]
    assert catalogue.parse_codes("levels", "tỉnh") == ["provincial"]
    assert catalogue.parse_codes("services", "  ") == []


@pytest.mark.parametrize(
    "text",
    [
        "levels: []\nservices: []\ntarget_groups: []\n",
        "levels:\n- {code: a, name_vi: A, name_en: A}\n- {code: a, name_vi: B, name_en: B}\n"
        "services:\n- {code: s, name_vi: S, name_en: S}\n"
        "target_groups:\n- {code: g, name_vi: G, name_en: G}\n",
        "levels:\n- {code: a, name_vi: A}\nservices: []\ntarget_groups: []\n",
        "colours: []\n",
    ],
)
def test_a_malformed_catalogue_is_refused(text):
    with pytest.raises(ValueError, match="catalogue"):
        catalogue.parse(text)


# --- no design range on a type ---------------------------------------------------------------


def test_types_carry_no_design_range(db_session, types):
    for ftype in db_session.query(FacilityType):
        assert (ftype.capacity_min, ftype.capacity_max, ftype.capacity_source) == (None, None, None)
    raw = yaml.safe_load(services.TYPES_FILE.read_text(encoding="utf-8"))
    assert not any({"capacity_min", "capacity_max", "capacity_source"} & set(t) for t in raw)


def test_loading_types_refuses_a_range_and_clears_an_old_one(db_session, types, tmp_path):
    mental = db_session.get(FacilityType, "MENTAL")
    mental.capacity_min, mental.capacity_max = 300, 500  # left by an earlier version
    db_session.flush()
    services.load_types(db_session)
    assert (mental.capacity_min, mental.capacity_max) == (None, None)

    entries = yaml.safe_load(services.TYPES_FILE.read_text(encoding="utf-8"))
    next(e for e in entries if e["code"] == "MENTAL")["capacity_min"] = 300
    path = tmp_path / "types.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="MENTAL"):
        services.load_types(db_session, path)


@pytest.mark.parametrize("status", [Status.PLANNED, Status.UNDER_CONSTRUCTION, Status.OPERATING])
def test_a_150_place_mental_health_centre_in_ha_noi_registers(
    db_session, types, make_input, status
):
    data = make_input(
        name="Trung tâm chăm sóc sức khỏe tâm thần thử nghiệm",
        type_code="MENTAL",
        province_code="01",
        lon=HA_NOI[0],
        lat=HA_NOI[1],
        status=status,
        design_capacity=150,
        residents=0,
    )
    facility, warnings = services.register_facility(db_session, data, actor_id=None)
    assert facility.code == "01-MENTAL-0001"
    assert facility.design_capacity == 150
    assert warnings == []


def test_planned_150_place_mental_centre_registers_through_the_form(
    client, auth, post_form, db_session, types
):
    auth.login(UserFactory(role=Role.PLANNER, province_code="01"))
    response = post_form(
        "/facilities/new",
        {
            "name": "Trung tâm chăm sóc sức khỏe tâm thần Hà Nội (dự kiến)",
            "type_code": "MENTAL",
            "ownership": "public",
            "province_code": "01",
            "location_mode": "latlon",
            "lat": f"{HA_NOI[1]:.6f}",
            "lon": f"{HA_NOI[0]:.6f}",
            "status": "planned",
            "design_capacity": "150",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    facility = db_session.query(Facility).one()
    assert (facility.type_code, facility.design_capacity) == ("MENTAL", 150)


# --- the services -----------------------------------------------------------------------------


def test_level_services_and_groups_are_stored_in_catalogue_order(db_session, types, make_input):
    facility, _ = services.register_facility(
        db_session,
        make_input(
            level="provincial",
            service_codes=["methadone_treatment", "case_management", "methadone_treatment"],
            target_groups=["mental", "elderly"],
        ),
        actor_id=None,
    )
    db_session.expire(facility)
    assert facility.level is FacilityLevel.PROVINCIAL
    assert facility.service_codes == ["methadone_treatment", "case_management"]
    assert facility.target_groups == ["elderly", "mental"]
    record = read.get(db_session, read.SYSTEM, facility.id)
    assert record.level is FacilityLevel.PROVINCIAL
    assert services.FacilityInput.from_record(record).service_codes == [
        "methadone_treatment",
        "case_management",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "allowed"),
    [
        ({"level": "ward"}, "level", "Cấp tỉnh (provincial)"),
        (
            {"service_codes": ["methadone_treatment", "karaoke"]},
            "service_codes",
            "(methadone_treatment)",
        ),
        ({"target_groups": ["victims"]}, "target_groups", "(trafficking_victims)"),
    ],
)
def test_unknown_catalogue_codes_are_field_errors_naming_the_allowed_values(
    db_session, types, make_input, overrides, field, allowed
):
    with pytest.raises(services.ValidationFailed) as info:
        services.register_facility(db_session, make_input(**overrides), actor_id=None)
    message = " ".join(info.value.errors[field])
    assert allowed in message
    given = overrides[field]
    assert (given if isinstance(given, str) else given[-1]) in message
    assert "methadone_treatment" not in message or field == "service_codes"


def test_the_central_criteria_date_cannot_be_in_the_future(db_session, types, make_input):
    data = make_input(type_code="SHELTER", criteria_supported_on=clock.today() + timedelta(days=1))
    with pytest.raises(services.ValidationFailed) as info:
        services.register_facility(db_session, data, actor_id=None)
    assert "criteria_supported_on" in info.value.errors


def test_catalogue_changes_are_audited(db_session, types, make_input):
    facility, _ = services.register_facility(db_session, make_input(), actor_id=None)
    data = services.FacilityInput.from_facility(facility)
    data.level = "district"
    data.service_codes = ["case_management"]
    data.target_groups = ["elderly", "disability"]
    data.criteria_supported_on = date(2020, 6, 30)
    services.update_facility(
        db_session,
        facility,
        data,
        expected_version=facility.version,
        actor_id=None,
        reason="Rà soát",
    )
    event = history_for(db_session, "facilities", facility.id)[0]
    assert event.action == "update"
    assert {"level", "service_codes", "target_groups", "criteria_supported_on"} <= set(
        event.changes
    )
    assert event.changes["service_codes"][1] == ["case_management"]


# --- form and pages ---------------------------------------------------------------------------


def _new_form(**overrides):
    data = {
        "name": "Địa chỉ tin cậy thử nghiệm",
        "type_code": "SHELTER",
        "ownership": "public",
        "province_code": "75",
        "location_mode": "latlon",
        "lat": "10.950000",
        "lon": "106.820000",
        "status": "operating",
        "level": "commune",
        "service_codes": ["emergency_shelter", "gbv_victim_support"],
        "target_groups": ["gbv_victims"],
        "criteria_supported_on": "15/06/2020",
    }
    data.update(overrides)
    return data


def test_form_records_level_services_groups_and_the_criteria_date(
    client, auth, post_form, db_session, types
):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form("/facilities/new", _new_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    facility = db_session.query(Facility).one()
    assert facility.level is FacilityLevel.COMMUNE
    assert facility.service_codes == ["gbv_victim_support", "emergency_shelter"]
    assert facility.target_groups == ["gbv_victims"]
    assert facility.criteria_supported_on == date(2020, 6, 15)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for code in ("commune", "gbv_victim_support", "emergency_shelter", "gbv_victims"):
        kind = {"commune": "levels", "gbv_victims": "target_groups"}.get(code, "services")
        assert catalogue.label(kind, code, "vi") in page
        assert f">{code}<" not in page
        assert f" {code};" not in page
    assert "15/06/2020" in page

    listing = client.get("/facilities/").get_data(as_text=True)
    assert catalogue.level_label("commune", "vi") in listing
    assert catalogue.service_label("emergency_shelter", "vi") in listing

    edit = client.get(f"/facilities/{facility.id}/edit").get_data(as_text=True)
    assert "checked" in _tag(edit, "input", "service_codes", "emergency_shelter")
    assert "checked" not in _tag(edit, "input", "service_codes", "methadone_treatment")
    assert "selected" in _tag(edit, "option", None, "commune")


def _tag(page: str, element: str, name: str | None, value: str) -> str:
    """The one ``<element>`` tag of the page with that name (if given) and value."""
    tags = [
        tag
        for tag in re.findall(rf"<{element}\b[^>]*>", page)
        if f'value="{value}"' in tag and (name is None or f'name="{name}"' in tag)
    ]
    assert len(tags) == 1, tags
    return tags[0]


def test_unchecking_every_service_clears_them(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    post_form("/facilities/new", _new_form())
    facility = db_session.query(Facility).one()
    form = _new_form(version=str(facility.version), reason="Rà soát")
    del form["service_codes"]
    response = post_form(f"/facilities/{facility.id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db_session.expire(facility)
    assert facility.service_codes == []
    assert facility.target_groups == ["gbv_victims"]


def test_form_shows_an_unknown_service_as_a_field_error(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form("/facilities/new", _new_form(service_codes=["karaoke"], level="ward"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-field-error="service_codes"' in page
    assert 'data-field-error="level"' in page
    assert "karaoke" in page
    assert db_session.query(Facility).count() == 0


# --- exports and import -----------------------------------------------------------------------


def _registered(db_session, make_input):
    facility, _ = services.register_facility(
        db_session,
        make_input(
            type_code="DRUG_PUBLIC",
            level="provincial",
            service_codes=["methadone_treatment", "drug_treatment_counselling"],
            target_groups=["drug_users"],
        ),
        actor_id=None,
    )
    return read.get(db_session, read.SYSTEM, facility.id)


def test_exports_carry_readable_catalogue_columns(db_session, types, make_input):
    record = _registered(db_session, make_input)
    rows = list(csv.DictReader(io.StringIO(exporters.to_csv([record]).decode("utf-8-sig"))))
    assert rows[0]["Cấp"] == "Cấp tỉnh"
    assert rows[0]["Dịch vụ theo danh mục"] == "; ".join(
        catalogue.service_label(code, "vi")
        for code in ("drug_treatment_counselling", "methadone_treatment")
    )
    assert rows[0]["Nhóm đối tượng"] == "Người nghiện ma túy"

    feature = json.loads(exporters.to_geojson([record]))["features"][0]["properties"]
    assert feature["level"] == "provincial"
    assert feature["level_label"] == "Cấp tỉnh"
    assert feature["service_labels"] == [
        catalogue.service_label("drug_treatment_counselling", "vi"),
        catalogue.service_label("methadone_treatment", "vi"),
    ]
    assert feature["target_group_labels"] == ["Người nghiện ma túy"]

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exporters.to_xlsx([record]))).active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("Cấp") + 1).value == "Cấp tỉnh"


def test_the_template_explains_the_catalogue_columns():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(exporters.template("xlsx", [("GENERAL", "Tổng hợp")])))
    texts = {c.value for sheet in book for row in sheet.iter_rows() for c in row if c.value}
    assert {"Cấp", "Dịch vụ theo danh mục", "Nhóm đối tượng"} <= texts
    assert "methadone_treatment" in texts
    assert "trafficking_victims" in texts


def _import(db_session, content: bytes, user):
    return imports.validate(db_session, imports.read_file(content, "csv"), user=user)


def test_an_export_reimports_with_its_catalogue_values(db_session, types, make_input):
    record = _registered(db_session, make_input)
    content = exporters.to_csv([record])
    facility = db_session.get(Facility, record.id)
    facility.service_codes, facility.target_groups, facility.level = [], [], None
    db_session.flush()
    user = UserFactory(role=Role.ADMIN, province_code="75")
    plan = _import(db_session, content, user)
    assert plan.errors == []
    (row,) = plan.rows
    assert row.data.level == "provincial"
    assert row.data.service_codes == ["drug_treatment_counselling", "methadone_treatment"]
    assert row.data.target_groups == ["drug_users"]


def test_import_reads_labels_without_diacritics_and_reports_unknown_values(db_session, types):
    header = (
        "Tên cơ sở,Loại hình (mã),Loại hình sở hữu,Mã tỉnh,Vĩ độ,Kinh độ,Cấp,"
        "Dịch vụ theo danh mục,Nhóm đối tượng\r\n"
    )
    good = (
        "Cơ sở A,DRUG_PUBLIC,công lập,75,10.95,106.82,cap tinh,"
        '"dieu tri nghien bang thuoc methadone",nguoi nghien ma tuy\r\n'
    )
    bad = "Cơ sở B,DRUG_PUBLIC,công lập,75,10.90,106.90,phường,xông hơi,khách du lịch\r\n"
    user = UserFactory(role=Role.ADMIN, province_code="75")
    plan = _import(db_session, (header + good + bad).encode("utf-8"), user)
    assert [r.data.service_codes for r in plan.rows] == [["methadone_treatment"]]
    assert plan.rows[0].data.level == "provincial"
    assert plan.rows[0].data.target_groups == ["drug_users"]
    fields = {p.field: p.message for p in plan.errors if p.row == 3}
    assert set(fields) >= {"level", "service_codes", "target_groups"}
    assert "xông hơi" in str(fields["service_codes"])
    assert "(methadone_treatment)" in str(fields["service_codes"])


# --- demo data --------------------------------------------------------------------------------


def test_demo_facilities_carry_the_level_services_and_groups_the_plans_give(db_session):
    from registry.facilities.demo import load_demo_facilities

    load_demo_facilities(db_session)
    rows = db_session.scalars(select(Facility).where(Facility.is_demo.is_(True))).all()
    points = [f for f in rows if f.type_code == "GBV_COUNSELLING"]
    assert len(points) == 3
    for point in points:
        assert point.level is FacilityLevel.COMMUNE
        assert point.service_codes == ["gbv_counselling"]
        assert point.target_groups == ["gbv_victims"]
        assert "dòng 177" in point.notes
    dak_lak = [f for f in rows if f.province_code == "66"]
    assert len(dak_lak) == 2
    assert {f.level for f in dak_lak} == {FacilityLevel.PROVINCIAL}
    assert all("dòng 5" in f.notes for f in dak_lak)  # lines 51 and 53
    for facility in rows:
        assert facility.design_capacity is None  # no capacity is invented
        if facility.level or facility.service_codes or facility.target_groups:
            assert "dòng" in facility.notes
        # plan targets are not recorded as services already offered
        assert "methadone_treatment" not in facility.service_codes
        assert "gender_equality_counselling" not in facility.service_codes


def test_the_form_bounds_what_it_repeats(client, auth, post_form, db_session, types):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    junk = "x" * 5000
    response = post_form("/facilities/new", _new_form(service_codes=[junk], level=junk))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-field-error="service_codes"' in page
    assert 'data-field-error="level"' in page
    assert junk not in page.replace(f'value="{junk}"', "")  # not echoed in a message
    assert db_session.query(Facility).count() == 0
