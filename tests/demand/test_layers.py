"""Demand layers end to end: import, carrying, small numbers in every output, coverage."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.auth.permissions import Role
from registry.demand import read, services
from registry.demand.importer import DemandImportFailed
from registry.demand.models import DemandLayer
from registry.demand.read import DemandReader
from registry.demand.vocab import Measure, Method
from registry.facilities.read import SYSTEM
from registry.geography.models import Edition
from registry.planning import services as planning
from tests.conftest import csrf_token_from
from tests.demand.conftest import SMALL_COMMUNE
from tests.factories import FacilityFactory, UserFactory

SPEC = services.LayerInput(
    measure=Measure.CHILDREN,
    province_code="75",
    edition=Edition.PRE2025,
    as_of=date(2025, 12, 31),
    source="Báo cáo rà soát trẻ em có hoàn cảnh đặc biệt năm 2025 (thử nghiệm)",
    file_name="tre-em-2025.csv",
)


def _import(db_session, data: bytes):
    return services.import_layer(db_session, data, "csv", SPEC, actor="test")


def test_pre2025_counts_land_on_the_current_communes_with_the_method(db_session, dong_nai_file):
    layer = _import(db_session, dong_nai_file)
    view = read.layer(db_session, DemandReader(None, True), layer.id)
    by_code = {u.code: u for u in view.units}
    assert len(by_code) == 95  # every current commune of Đồng Nai
    assert by_code[SMALL_COMMUNE].method is Method.WHOLE
    assert by_code[SMALL_COMMUNE].total.value == 3
    assert {u.method for u in view.units} >= {Method.MERGED, Method.SPLIT_AREA, Method.WHOLE}
    assert all(u.complete for u in view.units)
    merged = next(u for u in view.units if u.method is Method.MERGED)
    assert len(merged.sources) > 1
    assert all(s["edition"] == "pre2025" for s in merged.sources)
    lines = list(csv.reader(io.StringIO(dong_nai_file.decode())))[1:]
    assert sum(u.total.value for u in view.units) == sum(int(r[2]) for r in lines)


def test_a_file_with_a_column_of_names_is_refused_and_nothing_is_written(db_session):
    before = db_session.scalar(select(func.count(DemandLayer.id)))
    data = "Mã xã,Họ và tên,Tổng số\n25996,Nguyễn Văn A,1\n26449,Trần Thị B,1\n".encode()
    with pytest.raises(DemandImportFailed) as refused:
        _import(db_session, data)
    assert any(p.column == "Họ và tên" for p in refused.value.problems)
    assert db_session.scalar(select(func.count(DemandLayer.id))) == before


def test_the_layer_changes_the_coverage_result(db_session, dong_nai_file):
    """Without a layer, Đồng Nai's communes have no population: coverage counts units. With
    the layer it weighs each commune by its children, and the share changes."""
    FacilityFactory(type_code="CHILDREN", lon=106.8212, lat=10.9574)
    layer = _import(db_session, dong_nai_file)
    args = dict(province_code="75", type_codes=["CHILDREN"], distance_km=15, level="commune")
    plain = planning.coverage(db_session, SYSTEM, **args)
    weighted = planning.coverage(
        db_session, SYSTEM, **args, demand_layer=layer.id, demand_reader=DemandReader(None, True)
    )
    assert plain.analysis.total.basis == "units"
    assert weighted.analysis.total.basis == "population"
    units_share = 100 * plain.analysis.total.units_covered / plain.analysis.total.units_located
    assert weighted.analysis.total.share_pct != pytest.approx(units_share)
    assert weighted.demand_basis.total.value == sum(
        u.total.value for u in read.layer(db_session, DemandReader(None, True), layer.id).units
    )


def test_a_layer_of_another_province_is_not_found(db_session, dong_nai_file):
    layer = _import(db_session, dong_nai_file)
    assert read.layer(db_session, DemandReader("66", True), layer.id) is None
    assert read.layer(db_session, DemandReader("75", False), layer.id) is not None


# --- the acceptance: 3 children show "< 5" to a viewer and 3 to an authorised user ----------


@pytest.fixture
def layer_id(db_session, dong_nai_file) -> int:
    layer = _import(db_session, dong_nai_file)
    db_session.flush()
    return layer.id


def _xlsx_cells(body: bytes) -> dict[str, list]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return {str(r[0]): r for r in rows[1:]}


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.VIEWER, "< 5"), (Role.REPORTER, "< 5"), (Role.PLANNER, 3), (Role.ADMIN, 3)],
)
def test_small_numbers_in_the_map_the_export_and_the_json(client, auth, layer_id, role, expected):
    auth.login(UserFactory(role=role, province_code="75"))
    data = client.get(f"/demand/layers/{layer_id}.json").get_json()
    unit = next(u for u in data["units"] if u["code"] == SMALL_COMMUNE)
    assert unit["total"] == expected
    assert (unit["male"], unit["female"]) == (("< 5", "< 5") if expected == "< 5" else (1, 2))
    assert data["protected"] is (expected == "< 5")

    shown = client.get(f"/demand/layers/{layer_id}/map.json").get_json()
    assert shown["units"][SMALL_COMMUNE]["text"] == str(expected)
    assert shown["units"][SMALL_COMMUNE]["band"] == "small"  # the same shade for everyone

    csv_body = client.get(f"/demand/layers/{layer_id}/export.csv").data.decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(csv_body)) if r[0] == SMALL_COMMUNE)
    assert row[2:5] == ([str(expected), "< 5", "< 5"] if expected == "< 5" else ["3", "1", "2"])

    xlsx = _xlsx_cells(client.get(f"/demand/layers/{layer_id}/export.xlsx").data)
    assert xlsx[SMALL_COMMUNE][2] == expected

    page = client.get(f"/demand/layers/{layer_id}").get_data(as_text=True)
    cell = page.split(f'data-testid="count-{SMALL_COMMUNE}">', 1)[1].split("</td>", 1)[0]
    assert ("&lt; 5" in cell) is (expected == "< 5")
    assert (">3<" in cell or cell.strip() == "3") is (expected == 3)


def test_the_coverage_page_bands_small_counts_for_a_viewer(client, auth, layer_id):
    FacilityFactory(type_code="CHILDREN", lon=106.8212, lat=10.9574)
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    url = (
        "/planning/coverage?province=75&type_code=CHILDREN&distance_km=15&level=commune"
        f"&demand={layer_id}"
    )
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="coverage-demand"' in page
    row = page.split(f"({SMALL_COMMUNE})</td>", 1)[1].split("</td>", 1)[0]
    assert "&lt; 5" in row


def _post_file(client, data: bytes, source: str):
    page = client.get("/demand/import")
    return client.post(
        "/demand/import",
        data={
            "csrf_token": csrf_token_from(page),
            "measure": "children",
            "province": "75",
            "edition": "pre2025",
            "as_of": "31/12/2025",
            "source": source,
            "file": (io.BytesIO(data), "t.csv"),
        },
        content_type="multipart/form-data",
    )


def test_the_import_page_writes_a_layer_and_audits_it(client, auth, db_session, dong_nai_file):
    from registry.audit.models import AuditEvent

    auth.login(UserFactory(role=Role.PLANNER, province_code="75"))
    response = _post_file(client, dong_nai_file, "Báo cáo thử nghiệm")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    layer = db_session.scalars(select(DemandLayer).order_by(DemandLayer.id.desc())).first()
    assert layer.source == "Báo cáo thử nghiệm"
    assert len(layer.counts) == 95
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "demand_layers", AuditEvent.entity_id == str(layer.id)
        )
    ).all()
    assert events


def test_the_import_page_lists_every_problem_and_writes_nothing(client, auth, db_session):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    data = "Mã xã,Tổng số,CCCD\n25996,x,079123456789\n99999,2,\n".encode()
    response = _post_file(client, data, "x")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.count("<tr><td>") >= 2
    assert "CCCD" in body
    assert db_session.scalar(select(func.count(DemandLayer.id))) == 0


def test_a_viewer_cannot_import(client, auth):
    auth.login(UserFactory(role=Role.VIEWER, province_code="75"))
    assert client.get("/demand/import").status_code == 403
