"""Vietnamese, properly: times in Vietnam's zone everywhere, every validation message in
Vietnamese (WTForms' own ones and the VN-2000 converter's), on the pages and in the files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from flask_wtf import FlaskForm

from registry.auth.permissions import Role
from registry.filters import format_date, format_datetime, local_naive, to_local
from tests.factories import UserFactory

# 18:30 UTC on 1 December is 01:30 on 2 December in Vietnam (UTC+7): the date changes too.
EVENING_UTC = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
LOCAL_TEXT = "01:30 02/12/2026"
UTC_TEXT = "18:30 01/12/2026"

ENGLISH_DEFAULTS = (
    "This field is required.",
    "Not a valid integer value.",
    "Not a valid decimal value.",
    "Not a valid float value.",
    "Not a valid choice.",
    "Number must be between",
    "Field cannot be longer than",
    "outside Vietnam",
    "central meridian",
)


# --- time ------------------------------------------------------------------------------------


def test_a_utc_time_is_shown_in_vietnam_across_midnight():
    assert format_datetime(EVENING_UTC) == LOCAL_TEXT
    assert format_date(EVENING_UTC) == "02/12/2026"
    assert to_local(EVENING_UTC).utcoffset().total_seconds() == 7 * 3600


def test_a_naive_timestamp_is_read_as_utc():
    """SQLite gives DateTime(timezone=True) columns back without their zone."""
    naive = EVENING_UTC.replace(tzinfo=None)
    assert format_datetime(naive) == LOCAL_TEXT
    assert format_date(naive) == "02/12/2026"
    assert local_naive(naive) == datetime(2026, 12, 2, 1, 30)


def test_calendar_dates_and_iso_strings_read_dd_mm_yyyy():
    assert format_date(date(2025, 7, 1)) == "01/07/2025"
    assert format_date("2025-07-01") == "01/07/2025"
    assert format_datetime("2026-12-01T18:30:00+00:00") == LOCAL_TEXT
    assert format_datetime(EVENING_UTC, zone=True) == f"{LOCAL_TEXT} (giờ Việt Nam)"
    assert format_date(None) == format_datetime(None) == ""


def _audit_event(db_session, when: datetime):
    from registry.audit.models import AuditEvent

    event = AuditEvent(
        occurred_at=when,
        actor_label="tester",
        entity_type="facilities",
        entity_id="1",
        entity_label="75-GENERAL-0001",
        action="update",
        changes={"status": ["planned", "operating"]},
        jurisdiction="75",
    )
    db_session.add(event)
    db_session.flush()
    return event


def test_audit_page_shows_the_stored_utc_time_in_vietnam(client, auth, db_session):
    _audit_event(db_session, EVENING_UTC)
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    page = client.get("/audit/").get_data(as_text=True)
    assert LOCAL_TEXT in page
    assert UTC_TEXT not in page


def test_pdf_report_says_vietnam_time_not_utc(db_session, monkeypatch):
    from pypdf import PdfReader

    from registry.facilities.read import SYSTEM
    from registry.planning import reports, services

    services.load_plans(db_session)
    run = services.run_check(
        db_session, SYSTEM, ["QD-1520-LDTBXH-2015"], as_of=None, jurisdiction="75"
    )
    monkeypatch.setattr(reports, "utcnow", lambda: EVENING_UTC)
    text = PdfReader(io.BytesIO(reports.report_pdf(run))).pages[0].extract_text()
    flat = " ".join(text.split())
    assert f"{LOCAL_TEXT} (giờ Việt Nam)" in flat
    assert "UTC" not in flat
    assert "Đồng Nai" in flat
    assert "tỉnh 75" not in flat


def test_csv_and_xlsx_exports_write_timestamps_in_vietnam():
    from openpyxl import load_workbook

    from registry.facilities import exporters
    from registry.facilities.imports.columns import Column

    column = Column("updated_at", "Cập nhật", "datetime", ())
    rows = [{"updated_at": EVENING_UTC.replace(tzinfo=None)}]
    text = exporters.to_csv(rows, columns=(column,)).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == [LOCAL_TEXT]
    sheet = load_workbook(io.BytesIO(exporters.to_xlsx(rows, columns=(column,)))).active
    assert sheet.cell(2, 1).value == datetime(2026, 12, 2, 1, 30)


# --- validation messages ---------------------------------------------------------------------


def _visible(html: str) -> str:
    from html.parser import HTMLParser

    parts: list[str] = []

    class _Text(HTMLParser):
        def handle_data(self, data):
            parts.append(data)

    _Text().feed(html)
    return " ".join(" ".join(parts).split())


def test_every_form_takes_the_registry_base_with_vietnamese_messages(app):
    from registry.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("registry.")]
    assert ours, "no form found"
    stray = [f"{c.__module__}.{c.__name__}" for c in ours if not issubclass(c, Form)]
    assert stray == []


def test_empty_and_malformed_fields_get_vietnamese_messages(client, auth, post_form, db_session):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            "name": "",
            "type_code": "GENERAL",
            "ownership": "public",
            "province_code": "75",
            "location_mode": "latlon",
            "lat": "10.95",
            "lon": "106.82",
            "status": "operating",
            "design_capacity": "nhiều",
            "residents": "1,5",
        },
    )
    assert response.status_code == 200
    text = _visible(response.get_data(as_text=True))
    assert "Vui lòng nhập thông tin này." in text  # the empty name, in WTForms' words
    for english in ENGLISH_DEFAULTS:
        assert english not in text, english


def test_wtforms_defaults_are_vietnamese_and_english_stays_english(app):
    from wtforms import IntegerField, StringField
    from wtforms.validators import DataRequired

    from registry.forms import Form

    class Probe(Form):
        name = StringField(validators=[DataRequired()])
        count = IntegerField()

    for lang, required, integer in (
        ("vi", "Vui lòng nhập thông tin này.", "Vui lòng nhập một số nguyên."),
        ("en", "This field is required.", "Not a valid integer value."),
    ):
        with app.test_request_context(
            f"/?lang={lang}", method="POST", data={"name": "", "count": "x"}
        ):
            form = Probe(meta={"csrf": False})
            assert not form.validate()
            assert form.errors == {"name": [required], "count": [integer]}


def test_login_form_left_empty_answers_in_vietnamese(client, db_session):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/auth/login"))
    response = client.post(
        "/auth/login", data={"username": "", "password": "", "csrf_token": token}
    )
    text = _visible(response.get_data(as_text=True))
    assert "This field is required." not in text
    assert "Vui lòng nhập thông tin này." in text


@pytest.mark.parametrize(
    ("x", "y", "meridian", "vietnamese"),
    [
        ("300000", "398156.5", "107°45'", "nằm ngoài Việt Nam"),  # south of Cà Mau, at sea
        ("500000", "950000", "107°45'", "bị đổi chỗ"),  # X and Y swapped
        ("1211084.2", "398156.5", "125", "kinh tuyến trục"),  # no zone of Vietnam
        ("1211084.2", "398156.5", "abc", "kinh tuyến trục"),  # unreadable
    ],
)
def test_vn2000_errors_are_vietnamese(
    client, auth, post_form, db_session, x, y, meridian, vietnamese
):
    auth.login(UserFactory(role=Role.ADMIN, province_code="75"))
    response = post_form(
        "/facilities/new",
        {
            "name": "Điểm VN-2000",
            "type_code": "SOCIAL_WORK",
            "ownership": "public",
            "province_code": "75",
            "location_mode": "vn2000",
            "vn2000_x": x,
            "vn2000_y": y,
            "vn2000_meridian": meridian,
            "status": "operating",
        },
    )
    assert response.status_code == 200
    text = _visible(response.get_data(as_text=True))
    assert vietnamese in text
    for english in ENGLISH_DEFAULTS:
        assert english not in text, english


def test_vn2000_message_keeps_english_for_english_readers(app):
    from registry.i18n import coordinate_message
    from registry.vn2000 import CoordinateError, vn2000_to_wgs84

    with pytest.raises(CoordinateError) as caught:
        vn2000_to_wgs84(398_156.5, 1_211_084.2, 107.75)
    with app.test_request_context("/?lang=en"):
        english = coordinate_message(caught.value)
    with app.test_request_context("/?lang=vi"):
        vietnamese = coordinate_message(caught.value)
    assert "look swapped" in english
    assert "look swapped" not in vietnamese
    assert "398.156,500" in vietnamese  # Vietnamese number grouping


# --- alphabetical order ----------------------------------------------------------------------


def test_facility_list_sorts_names_in_the_vietnamese_alphabet(db_session):
    """ORDER BY name COLLATE "vi-x-icu": PostgreSQL's ICU collation, and on SQLite the same
    order through the collation registered on every connection."""
    from registry.facilities import read
    from registry.facilities.queries import FacilityFilter
    from tests.factories import FacilityFactory

    names = ["Tây Ninh", "Đồng Nai", "Dương Minh Châu", "Ea Kar", "Hạ Nam", "Hà Nam", "Ha Nam"]
    for name in names:
        FacilityFactory(name=name)
    db_session.flush()
    rows = read.records(db_session, read.SYSTEM, FacilityFilter(sort="name"))
    got = [r.name for r in rows if r.name in names]
    assert got == [
        "Dương Minh Châu",
        "Đồng Nai",
        "Ea Kar",
        "Ha Nam",  # same letters: no tone, then huyền, then nặng
        "Hà Nam",
        "Hạ Nam",
        "Tây Ninh",
    ]
    rows = read.records(db_session, read.SYSTEM, FacilityFilter(sort="name", descending=True))
    assert [r.name for r in rows if r.name in names] == got[::-1]


def test_province_choices_sort_dak_lak_before_tay_ninh(app, db_session):
    from registry.geography.services import province_choices

    with app.test_request_context("/"):
        names = [name for _code, name in province_choices()]
    assert names.index("Đắk Lắk") < names.index("Điện Biên") < names.index("Đồng Nai")
    assert names.index("Đồng Nai") < names.index("Gia Lai") < names.index("Tây Ninh")
