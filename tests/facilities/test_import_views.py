import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.audit.services import history_for
from registry.auth.permissions import Role
from registry.facilities import imports, services
from registry.facilities.models import Facility
from tests.conftest import csrf_token_from
from tests.facilities.test_importers import (
    counts,
    csv_bytes,
    geojson_bytes,
    make_rows,
    xlsx_bytes,
)
from tests.factories import UserFactory

UPLOAD = "/facilities/import"


@pytest.fixture(autouse=True)
def no_stored_uploads(app):
    """The upload folder is the session's; each test starts without pending files."""
    shutil.rmtree(Path(app.config["UPLOAD_FOLDER"]) / "imports", ignore_errors=True)


@pytest.fixture
def admin(auth, db_session):
    user = UserFactory(role=Role.ADMIN, province_code="75")
    auth.login(user)
    return user


def upload(client, data, filename, **headers):
    token = csrf_token_from(client.get(UPLOAD))
    return client.post(
        UPLOAD,
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=headers,
    )


def confirm(client, preview, **fields):
    token = csrf_token_from(preview)
    import_token = re.search(rb'name="token"[^>]*value="([0-9a-f]+)"', preview.data)
    assert import_token, "no confirmation form on the preview"
    data = {"csrf_token": token, "token": import_token.group(1).decode(), **fields}
    return client.post("/facilities/import/confirm", data=data)


def error_rows(page):
    return sorted({int(n) for n in re.findall(rb'<tr data-row="(\d+)" data-field', page.data)})


def error_cells(page):
    return re.findall(rb'<tr data-row="(\d+)" data-field="([a-z_]+)">', page.data)


def warning_cells(page):
    return re.findall(rb'<tr data-row="(\d+)" data-warning="([a-z_]*)">', page.data)


def main_content(page):
    text = page.get_data(as_text=True)
    return text[text.find("<main") : text.find("</main>")]


def stored_uploads(app):
    folder = Path(app.config["UPLOAD_FOLDER"]) / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_viewer_cannot_import(client, auth, db_session):
    auth.login(UserFactory(role=Role.VIEWER))
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, data={}).status_code in (400, 403)
    assert client.get("/facilities/import/template.xlsx").status_code == 403
    assert client.get("/facilities/import/preview").status_code == 403


def test_xlsx_with_two_bad_rows_is_rejected_and_nothing_is_written(
    app, client, admin, db_session, types
):
    rows = make_rows(db_session, 200)
    rows[9]["Loại hình (mã)"] = "KHONG_CO"
    rows[99]["Số đối tượng hiện có"] = 80
    rows[149]["Vĩ độ"] = "mười"
    before = counts(db_session)

    response = upload(client, xlsx_bytes(rows), "co-so.xlsx")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])

    assert preview.status_code == 200
    assert 'data-testid="import-rejected"' in preview.get_data(as_text=True)
    assert error_cells(preview) == [(b"11", b"type_code"), (b"151", b"lat")]
    # The over-capacity row is explained too, as a warning, in the same pass.
    assert warning_cells(preview) == [(b"101", b"residents")]
    assert 'data-testid="import-confirm-form"' not in preview.get_data(as_text=True)
    assert counts(db_session) == before
    assert stored_uploads(app) == []  # a file with errors is not kept


def test_corrected_file_imports_every_row(app, client, admin, db_session, types):
    rows = make_rows(db_session, 200)
    before_events = counts(db_session)[1]
    response = upload(client, xlsx_bytes(rows), "co-so.xlsx")
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert error_rows(preview) == []
    assert 'data-testid="import-duplicates"' not in page

    done = confirm(client, preview)

    assert done.status_code == 302, main_content(done)
    assert done.headers["Location"].endswith("/facilities/")
    facilities = db_session.scalars(select(Facility).order_by(Facility.id)).all()
    assert len(facilities) == 200
    assert {f.province_code for f in facilities} == {"75"}
    assert facilities[0].name == rows[0]["Tên cơ sở"]
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "facilities")
    ).all()
    assert len(events) == 200
    assert counts(db_session)[1] > before_events
    assert {e.action for e in events} == {"insert"}
    assert {e.actor_id for e in events} == {admin.id}
    assert all("co-so.xlsx" in e.reason for e in events)
    assert stored_uploads(app) == []


def test_reimporting_an_export_with_a_change_updates_by_registry_code(
    client, admin, db_session, types, make_input
):
    names = ("Trung tâm Bảo trợ xã hội tỉnh", "Cơ sở cai nghiện Thanh Bình", "Làng trẻ em Hy Vọng")
    facilities = [
        services.register_facility(
            db_session,
            make_input(name=name, type_code=type_code, lon=lon, lat=lat, design_capacity=400),
            actor_id=None,
        )[0]
        for name, type_code, (lon, lat) in zip(
            names,
            ("GENERAL", "DRUG_PUBLIC", "CHILDREN"),
            ((106.82, 10.95), (106.9, 10.97), (107.0, 11.1)),
            strict=True,
        )
    ]
    db_session.commit()
    exported = client.get("/facilities/export.xlsx")
    workbook = load_workbook(io.BytesIO(exported.data))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Mã cơ sở")].value == facilities[1].code:
            row[header.index("Số đối tượng hiện có")].value = 77
    changed = io.BytesIO()
    workbook.save(changed)
    before = counts(db_session)

    response = upload(client, changed.getvalue(), "sua.xlsx")
    preview = client.get(response.headers["Location"])
    assert error_rows(preview) == [], preview.get_data(as_text=True)[:3000]
    done = confirm(client, preview)

    assert done.status_code == 302
    assert counts(db_session)[0] == before[0]  # nothing created
    db_session.refresh(facilities[1])
    assert facilities[1].residents == 77
    event = history_for(db_session, "facilities", facilities[1].id)[0]
    assert event.action == "update"
    assert event.changes == {"residents": [120, 77]}
    assert "sua.xlsx" in event.reason
    for unchanged in (facilities[0], facilities[2]):  # rewritten, but no field changed
        assert [e.action for e in history_for(db_session, "facilities", unchanged.id)] == ["insert"]


@pytest.mark.parametrize("bom", [True, False])
def test_csv_with_or_without_bom_imports(client, admin, db_session, types, bom):
    rows = make_rows(db_session, 3)
    response = upload(client, csv_bytes(rows, bom=bom), "co-so.csv")
    preview = client.get(response.headers["Location"])
    assert confirm(client, preview).status_code == 302
    assert counts(db_session)[0] == 3


def test_geojson_imports(client, admin, db_session, types):
    rows = make_rows(db_session, 4)
    response = upload(client, geojson_bytes(rows), "co-so.geojson")
    preview = client.get(response.headers["Location"])
    assert confirm(client, preview).status_code == 302
    lons = sorted(f.lon for f in db_session.scalars(select(Facility)))
    assert lons == sorted(r["Kinh độ"] for r in rows)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"Ten,Ma tinh\nA,75\n", "co-so.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 rubbish", "co-so.csv", "not a CSV"),
        (b"{}", "co-so.xls", "Only .csv, .xlsx and .geojson"),
        (b"<html></html>", "co-so.geojson", "not a valid GeoJSON"),
    ],
)
def test_wrong_extension_or_content_is_refused_clearly(
    client, admin, db_session, types, data, filename, message
):
    client.post("/lang/en", data={"csrf_token": csrf_token_from(client.get(UPLOAD))})
    response = upload(client, data, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = page.split('data-testid="upload-errors"', 1)[1].split("</div>\n", 1)[0]
    assert message in errors
    assert counts(db_session)[0] == 0


def test_upload_by_script_gets_json(client, admin, db_session, types):
    rows = make_rows(db_session, 2)
    ok = upload(client, csv_bytes(rows), "a.csv", **{"X-Requested-With": "XMLHttpRequest"})
    assert ok.status_code == 200
    assert ok.get_json() == {"redirect": "/facilities/import/preview"}
    bad = upload(client, b"x", "a.xls", **{"X-Requested-With": "XMLHttpRequest"})
    assert bad.status_code == 400
    assert len(bad.get_json()["errors"]) == 1


def test_duplicates_need_explicit_confirmation(client, admin, db_session, types):
    rows = make_rows(db_session, 2)
    rows[1]["Vĩ độ"], rows[1]["Kinh độ"] = rows[0]["Vĩ độ"] + 0.0005, rows[0]["Kinh độ"]
    response = upload(client, csv_bytes(rows), "trung.csv")
    preview = client.get(response.headers["Location"])
    assert 'data-testid="import-duplicates"' in preview.get_data(as_text=True)

    refused = confirm(client, preview)
    assert refused.status_code == 422
    assert counts(db_session)[0] == 0

    done = confirm(client, refused, confirm_duplicates="y")
    assert done.status_code == 302
    assert counts(db_session)[0] == 2


def test_confirmation_needs_the_sessions_own_token(app, client, admin, db_session, types):
    response = upload(client, csv_bytes(make_rows(db_session, 1)), "a.csv")
    preview = client.get(response.headers["Location"])
    forged = preview.data.replace(
        re.search(rb'name="token"[^>]*value="([0-9a-f]+)"', preview.data).group(1), b"0" * 32
    )

    class Page:
        data = forged

    refused = confirm(client, Page())
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith("/facilities/import")
    assert counts(db_session)[0] == 0
    assert len(stored_uploads(app)) == 2  # the real upload and its preview, still pending


def test_cancel_deletes_the_stored_file(app, client, admin, db_session, types):
    response = upload(client, csv_bytes(make_rows(db_session, 1)), "a.csv")
    preview = client.get(response.headers["Location"])
    assert stored_uploads(app)
    client.post("/facilities/import/cancel", data={"csrf_token": csrf_token_from(preview)})
    assert stored_uploads(app) == []
    assert client.get("/facilities/import/preview").status_code == 302


def test_provincial_admin_cannot_import_another_provinces_rows(client, admin, db_session, types):
    rows = make_rows(db_session, 1) + make_rows(db_session, 1, province="66")
    response = upload(client, csv_bytes(rows), "a.csv")
    preview = client.get(response.headers["Location"])
    assert error_cells(preview) == [(b"3", b"province_code")]
    assert counts(db_session)[0] == 0


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_has_the_vietnamese_columns(client, admin, db_session, types, fmt):
    response = client.get(f"/facilities/import/template.{fmt}")
    assert response.status_code == 200
    assert f"mau-nhap-co-so-tgxh.{fmt}" in response.headers["Content-Disposition"]
    headers = [c.header for c in imports.COLUMNS]
    if fmt == "csv":
        assert response.data.startswith(b"\xef\xbb\xbf")
        assert response.data.decode("utf-8-sig").strip().split(",") == headers
    else:
        workbook = load_workbook(io.BytesIO(response.data))
        assert [c.value for c in workbook.worksheets[0][1]] == headers
        assert workbook.worksheets[0].max_row == 1
        assert "GENERAL" in [c.value for c in workbook.worksheets[-1]["A"]]


def test_a_bulk_import_refreshes_the_planners_statistics(
    client, admin, db_session, types, monkeypatch
):
    """An import of at least database.BULK_ROWS rows ends with ANALYZE of the facilities
    (lowered to 20 here); a smaller one does not."""
    from registry import database

    analysed: list[tuple[str, ...]] = []
    real = database.analyze
    monkeypatch.setattr(database, "BULK_ROWS", 20)
    monkeypatch.setattr(
        database,
        "analyze",
        lambda session, tables=(): (analysed.append(tables), real(session, tables)),
    )
    small = upload(client, csv_bytes(make_rows(db_session, 5)), "it.csv")
    assert confirm(client, client.get(small.headers["Location"])).status_code == 302
    assert analysed == []
    rows = make_rows(db_session, 25)
    for row in rows:
        row["Tên cơ sở"] += " (đợt hai)"
    big = upload(client, csv_bytes(rows), "nhieu.csv")
    done = confirm(client, client.get(big.headers["Location"]), confirm_duplicates="y")
    assert done.status_code == 302, main_content(done)
    assert analysed == [("facilities",)]
    assert db_session.scalar(select(func.count()).select_from(Facility)) == 30


def test_analyze_gives_the_planner_statistics(db_session):
    """After ANALYZE the engine knows how many facilities there are."""
    from sqlalchemy import text

    from registry import database
    from tests.factories import FacilityFactory

    FacilityFactory.create_batch(12, province_code="75")
    database.analyze(db_session, ("facilities",))
    if db_session.get_bind().dialect.name == "postgresql":
        tuples = db_session.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'facilities'")
        )
        assert tuples >= 12
    else:
        stats = (
            db_session.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'facilities'"))
            .scalars()
            .all()
        )
        assert stats
        assert all(int(s.split()[0]) >= 12 for s in stats)
