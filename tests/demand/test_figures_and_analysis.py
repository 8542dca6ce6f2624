"""Facility figures by sex, siting and capacity per need over a demand layer, XLSX import."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.demand import read, services
from registry.demand.read import DemandReader
from registry.demand.vocab import FigureKind, Measure
from registry.facilities.read import SYSTEM, Reader
from registry.geography.models import Edition
from tests.conftest import csrf_token_from
from tests.demand.conftest import SMALL_COMMUNE
from tests.factories import FacilityFactory, UserFactory


def _current_layer(db_session, rows: str, measure=Measure.CHILDREN):
    return services.import_layer(
        db_session,
        ("Mã xã,Tổng số\n" + rows).encode(),
        "csv",
        services.LayerInput(measure, "75", Edition.CURRENT, date(2025, 12, 31), "Thử nghiệm"),
        actor="test",
    )


def test_a_current_edition_file_lands_directly_and_refuses_unknown_communes(db_session):
    layer = _current_layer(db_session, f"{SMALL_COMMUNE},3\n26188,40\n")
    view = read.layer(db_session, DemandReader(None, True), layer.id)
    assert {u.code: u.total.value for u in view.units} == {SMALL_COMMUNE: 3, "26188": 40}
    with pytest.raises(services.DemandImportFailed) as refused:
        _current_layer(db_session, "24544,3\n")  # a Đắk Lắk commune
    assert refused.value.problems[0].column == "code"


def test_an_xlsx_count_file_imports(db_session):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã xã", "Tên xã", "Tổng số", "Nam", "Nữ"])
    sheet.append([26188, "Tân Triều", 12, 5, 7])  # a code typed as a number
    buffer = io.BytesIO()
    workbook.save(buffer)
    layer = services.import_layer(
        db_session,
        buffer.getvalue(),
        "xlsx",
        services.LayerInput(
            Measure.DISABILITY, "75", Edition.CURRENT, date(2025, 6, 30), "Khảo sát NKT"
        ),
        actor="test",
    )
    assert [(c.unit_code, c.total, c.male, c.female) for c in layer.counts] == [("26188", 12, 5, 7)]
    assert layer.sex_given


def test_capacity_per_need_rounds_the_need_for_a_viewer(db_session):
    FacilityFactory(type_code="CHILDREN", design_capacity=50)
    layer = _current_layer(db_session, f"{SMALL_COMMUNE},3\n26188,98\n")
    for may_see, need_text, ratio in ((True, "101", 49.5), (False, "≈ 100", 50.0)):
        reader = DemandReader("75", may_see)
        view = read.layer(db_session, reader, layer.id)
        supply = read.capacity_per_need(db_session, reader, SYSTEM, view)
        assert supply.capacity == 50
        assert supply.need.text == need_text
        assert supply.per_100 == ratio


def test_siting_over_a_layer_bands_a_sites_small_gain_for_a_viewer(client, auth, db_session):
    """Every commune counted, only one with anyone in need (3): the whole demand is small."""
    from registry.geography.services import communes_of

    others = "".join(
        f"{u.code},0\n" for u in communes_of(db_session, "75") if u.code != SMALL_COMMUNE
    )
    layer = _current_layer(db_session, f"{SMALL_COMMUNE},3\n" + others)
    url = (
        "/planning/siting?province=75&type_code=CHILDREN&distance_km=5&level=commune"
        f"&model=mclp&k=1&time_limit=5&demand={layer.id}"
    )
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    page = client.get(url).get_data(as_text=True)
    summary = page.split('data-testid="siting-summary"', 1)[1].split("</p>", 1)[0]
    assert "&lt; 5" in summary
    auth.logout()
    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    summary = client.get(url).get_data(as_text=True).split('data-testid="siting-summary"')[1]
    assert "/ 3" in summary.split("</p>", 1)[0]


def test_facility_figures_are_recorded_audited_without_values_and_banded_per_commune(
    client, auth, db_session
):
    facility = FacilityFactory(commune_code="26188")
    services.record_figure(
        db_session,
        SYSTEM,
        facility.id,
        services.FigureInput(FigureKind.RESIDENTS, date(2025, 12, 31), 30, 27, 3, "Báo cáo quý"),
        actor="test",
    )
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "facility_figures")
    ).one()
    assert event.changes["female"][1] == "***"
    rows = read.figures_by_unit(db_session, DemandReader("75", False), SYSTEM, "75")
    row = next(r for r in rows if r.unit_code == "26188")
    assert row.total.text == "30"
    assert row.male.suppressed
    assert row.female.suppressed
    auth.login(UserFactory(role=Role.REPORTER, province_code="75"))
    body = client.get("/demand/figures.csv?province=75").data.decode("utf-8-sig")
    line = next(r for r in csv.reader(io.StringIO(body)) if r[0] == "26188")
    assert line[6:9] == ["30", "< 5", "< 5"]


def test_a_figure_whose_parts_exceed_the_total_is_refused(db_session):
    facility = FacilityFactory()
    with pytest.raises(services.FigureRefused):
        services.record_figure(
            db_session,
            Reader("75", False),
            facility.id,
            services.FigureInput(FigureKind.STAFF, date(2025, 1, 1), 10, 8, 5, "x"),
            actor="t",
        )


def test_the_figure_form_records_a_figure(client, auth, db_session):
    facility = FacilityFactory()
    auth.login(UserFactory(role=Role.LICENSING_OFFICER, province_code="75"))
    url = f"/demand/facilities/{facility.id}/figures"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(client.get(url)),
            "kind": "served",
            "target_group": "children",
            "as_of": "31/12/2025",
            "total": "12",
            "male": "5",
            "female": "7",
            "source": "Sổ theo dõi",
        },
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "31/12/2025" in page
    assert "Sổ theo dõi" in page
