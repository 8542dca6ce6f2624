"""Licensing services on the database: applications, the workflow with its clock, licences
following into the registry, the queue, the public register and the notices."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fpdf import FPDF
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from registry.audit.models import AuditEvent
from registry.auth.permissions import Role
from registry.errors import ConflictError, NotFound, RegistryError
from registry.facilities import read
from registry.facilities.vocab import Ownership, Status
from registry.licensing import clock, services
from registry.licensing.models import DocumentStatus, LicenceStatus
from registry.licensing.workflow import State
from tests.factories import FacilityFactory, UserFactory


def pdf_upload(name: str = "don.pdf") -> FileStorage:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Don de nghi cap giay phep")
    return FileStorage(stream=io.BytesIO(bytes(pdf.output())), filename=name)


@pytest.fixture
def store(app, tmp_path):
    old = app.config.get("STORAGE_DIR")
    app.config["STORAGE_DIR"] = str(tmp_path / "files")
    yield tmp_path / "files"
    app.config["STORAGE_DIR"] = old


@pytest.fixture
def officer(db_session):
    return UserFactory(role=Role.LICENSING_OFFICER, province_code="75")


def make_application(
    db_session,
    officer,
    *,
    procedure: str = "operating_licence",
    received_on: date | None = None,
    provided: tuple[str, ...] | None = None,
    facility=None,
    email: str | None = None,
):
    facility = facility or FacilityFactory(
        ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    proc = services.procedure(procedure)
    data = services.ApplicationInput(
        procedure_code=procedure,
        organisation="Công ty TNHH Bình An",
        representative="Nguyễn Văn An",
        email=email,
        facility_code=facility.code,
        received_on=received_on,
        provided=tuple(d.code for d in proc.documents) if provided is None else provided,
    )
    app, token = services.record_counter(db_session, data, actor=officer)
    return app, token


def test_a_counter_application_gets_a_receipt_code_checklist_and_event(db_session, officer):
    app, token = make_application(db_session, officer, provided=("application",))
    assert app.state is State.RECEIVED
    assert app.receipt_code.startswith("75-")
    statuses = {d.code: d.status for d in app.documents}
    assert statuses == {
        "application": DocumentStatus.PROVIDED,
        "registration_copy": DocumentStatus.MISSING,
    }
    assert app.events[0].to_state is State.RECEIVED
    assert app.tracking_hash == services.hash_token(token)
    assert token not in app.tracking_hash


def test_the_clock_does_not_start_before_the_dossier_is_complete(db_session, officer):
    app, _ = make_application(db_session, officer, received_on=date(2026, 3, 2))
    assert app.due_on is None  # operating licence: counted from the complete dossier


def test_a_receipt_clock_starts_at_once(db_session, officer):
    app, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 3, 2)
    )
    cal = services.calendar()
    assert app.due_on == clock.due_date(date(2026, 3, 2), 10, cal)
    assert app.due_on == date(2026, 3, 16)


def test_a_dossier_completed_on_the_eve_of_tet_2026_is_due_after_the_break(db_session, officer):
    app, _ = make_application(db_session, officer, received_on=date(2026, 2, 12))
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer, on=date(2026, 2, 13))
    assert app.completed_on == date(2026, 2, 13)
    naive = date(2026, 3, 6)  # 15 weekdays without the Tết holidays
    assert app.due_on is not None
    assert app.due_on > naive
    assert app.due_on == clock.due_date(date(2026, 2, 13), 15, services.calendar())


def test_an_incomplete_dossier_cannot_go_under_review(db_session, officer):
    app, _ = make_application(db_session, officer, provided=("application",))
    with pytest.raises(RegistryError, match=r"chưa đầy đủ|not complete"):
        services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)


def test_a_supplement_pauses_the_clock_and_its_answer_resumes_it(db_session, officer):
    app, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 3, 2)
    )
    before = app.due_on
    services.transition(
        db_session,
        app,
        State.SUPPLEMENT_REQUESTED,
        actor=officer,
        reason="Thiếu lý lịch tư pháp",
        on=date(2026, 3, 4),
    )
    assert app.due_on is None  # stopped while the applicant is asked
    services.transition(
        db_session, app, State.SUPPLEMENT_RECEIVED, actor=None, on=date(2026, 3, 11)
    )
    assert app.due_on is not None
    assert before is not None
    assert app.due_on > before
    assert app.due_on == clock.due_date(
        date(2026, 3, 2),
        10,
        services.calendar(),
        [clock.Pause(date(2026, 3, 4), date(2026, 3, 11))],
    )


def test_invalid_transitions_are_refused_with_a_clear_message(db_session, officer):
    app, _ = make_application(db_session, officer)
    with pytest.raises(RegistryError, match="Không thể chuyển hồ sơ"):
        services.transition(db_session, app, State.APPROVED, actor=officer)


def test_a_stale_version_is_a_conflict(db_session, officer):
    app, _ = make_application(db_session, officer)
    with pytest.raises(ConflictError):
        services.transition(
            db_session, app, State.UNDER_REVIEW, actor=officer, expected_version=app.version + 5
        )


def test_transitions_are_audited_with_who_and_why(db_session, officer):
    app, _ = make_application(db_session, officer)
    services.transition(db_session, app, State.WITHDRAWN, actor=officer, reason="Chủ cơ sở rút")
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "licensing_applications",
            AuditEvent.entity_id == str(app.id),
            AuditEvent.action == "update",
        )
    ).all()
    assert any(
        e.changes.get("state") == ["received", "withdrawn"]
        and e.reason == "Chủ cơ sở rút"
        and e.actor_id == officer.id
        and e.jurisdiction == "75"
        for e in events
    )


def _to_inspected(db_session, app, officer):
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    services.schedule_inspection(
        db_session, app, on=date(2026, 1, 5), team="Đoàn Sở Y tế", actor=officer
    )
    services.record_inspection(
        db_session,
        app,
        inspected_on=date(2026, 1, 5),
        checklist={"land": "met", "staff": "not_met", "bogus": "met"},
        findings="Thiếu một nhân viên công tác xã hội",
        actor=officer,
    )


def test_inspection_records_the_checklist_and_findings(db_session, officer):
    app, _ = make_application(db_session, officer)
    _to_inspected(db_session, app, officer)
    assert app.state is State.INSPECTED
    assert app.inspections[0].checklist == {"land": "met", "staff": "not_met"}


def test_approval_issues_a_licence_and_the_registry_follows(app, db_session, officer):
    facility = FacilityFactory(
        ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None, design_capacity=50
    )
    application, _ = make_application(db_session, officer, facility=facility)
    _to_inspected(db_session, application, officer)
    licence = services.approve(
        db_session,
        application,
        actor=officer,
        capacity=60,
        services="Chăm sóc dài hạn",
        conditions=[("Bổ sung nhân viên công tác xã hội", date(2026, 6, 30))],
    )
    assert application.state is State.APPROVED
    assert licence.number.endswith("/GP-75")
    assert licence.status is LicenceStatus.VALID
    assert licence.conditions[0].deadline == date(2026, 6, 30)
    record = read.get(db_session, read.SYSTEM, facility.id)
    assert record is not None
    assert record.licence_no == licence.number
    assert record.design_capacity == 60
    assert record.status is Status.OPERATING
    facility_events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "facilities", AuditEvent.entity_id == str(facility.id)
        )
    ).all()
    assert any(
        "licence_no" in e.changes and licence.number in (e.reason or "") for e in facility_events
    )


def test_licence_numbers_follow_the_configured_format(app, db_session, officer):
    old = app.config["LICENSING_NUMBER_FORMAT"]
    app.config["LICENSING_NUMBER_FORMAT"] = "{year}/{province}/{seq:05d}"
    try:
        application, _ = make_application(db_session, officer)
        services.transition(db_session, application, State.UNDER_REVIEW, actor=officer)
        with app.test_request_context():
            licence = services.approve(db_session, application, actor=officer)
    finally:
        app.config["LICENSING_NUMBER_FORMAT"] = old
    assert licence.number.startswith(f"{licence.issued_on.year}/75/")
    assert len(licence.number.rsplit("/", 1)[1]) == 5


def test_refusal_keeps_the_reason(db_session, officer):
    app, _ = make_application(db_session, officer)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    with pytest.raises(RegistryError):
        services.refuse(db_session, app, actor=officer, reason=" ")
    services.refuse(db_session, app, actor=officer, reason="Không đủ diện tích đất")
    assert app.state is State.REFUSED
    assert app.refusal_reason == "Không đủ diện tích đất"
    assert app.decided_on is not None


def test_officers_of_another_province_do_not_find_the_application(db_session, officer):
    app, _ = make_application(db_session, officer)
    other = UserFactory(role=Role.LICENSING_OFFICER, province_code="66")
    with pytest.raises(NotFound):
        services.get_application(db_session, app.id, other)
    assert services.get_application(db_session, app.id, officer).id == app.id


def test_assigning_checks_role_and_jurisdiction(db_session, officer):
    app, _ = make_application(db_session, officer)
    with pytest.raises(RegistryError):
        services.assign(db_session, app, UserFactory(role=Role.VIEWER), actor=officer)
    with pytest.raises(RegistryError):
        services.assign(
            db_session,
            app,
            UserFactory(role=Role.LICENSING_OFFICER, province_code="66"),
            actor=officer,
        )
    services.assign(db_session, app, officer, actor=officer)
    assert app.assigned_to_id == officer.id


def test_the_queue_groups_overdue_due_this_week_and_awaiting(db_session, officer):
    overdue, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 1, 5)
    )
    waiting, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 3, 2)
    )
    services.transition(
        db_session, waiting, State.SUPPLEMENT_REQUESTED, actor=officer, reason="Thiếu CCCD"
    )
    services.assign(db_session, overdue, officer, actor=officer)
    q = services.queue(db_session, officer, today=date(2026, 3, 3))
    assert [r.id for r in q.overdue] == [overdue.id]
    assert [r.id for r in q.awaiting_supplement] == [waiting.id]
    assert [r.id for r in q.mine] == [overdue.id]
    assert q.overdue[0].days_left is not None
    assert q.overdue[0].days_left < 0
    other = UserFactory(role=Role.LICENSING_OFFICER, province_code="66")
    assert services.queue(db_session, other).by_state == {}


def test_reminders_list_due_soon_and_overdue(db_session, officer):
    soon, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 3, 2)
    )
    rows = services.reminders(db_session, within=3, today=date(2026, 3, 12))
    assert [r.id for r in rows] == [soon.id]
    assert services.reminders(db_session, within=1, today=date(2026, 3, 2)) == []


def test_the_public_register_masks_confidential_places(db_session, officer):
    shelter = FacilityFactory(
        ownership=Ownership.NON_PUBLIC,
        type_code="SHELTER",
        status=Status.PLANNED,
        residents=None,
        address="Hẻm bí mật Zebrawq",
    )
    app, _ = make_application(db_session, officer, facility=shelter)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    licence = services.approve(db_session, app, actor=officer, capacity=12)
    rows = services.public_register(db_session)
    assert [r.number for r in rows] == [licence.number]
    assert "Zebrawq" not in repr(rows)
    assert services.public_register(db_session, q="khong co") == []
    assert services.public_register(db_session, q=licence.number)[0].capacity == 12


def test_an_online_application_stores_its_uploads_and_creates_a_planned_facility(
    app, db_session, store
):
    data = services.ApplicationInput(
        procedure_code="operating_licence",
        organisation="Hội Bảo trợ",
        representative="Trần Thị Bình",
        facility_name="Mái ấm Hoa Sen",
        type_code="ELDERLY",
        province_code="75",
        lon=106.8212,
        lat=10.9574,
        design_capacity=30,
    )
    with app.test_request_context():
        application, token = services.submit_online(db_session, data, {"application": pdf_upload()})
    assert application.new_facility
    assert application.channel.value == "online"
    record = read.get(db_session, read.SYSTEM, application.facility_id)
    assert record is not None
    assert record.status is Status.PLANNED
    assert record.ownership is Ownership.NON_PUBLIC
    doc = next(d for d in application.documents if d.code == "application")
    assert doc.status is DocumentStatus.PROVIDED
    assert doc.file_key
    assert doc.sha256
    assert services.by_token(db_session, token).id == application.id
    with pytest.raises(NotFound):
        services.by_token(db_session, token + "x")


def test_the_applicant_answers_a_supplement_through_the_link(app, db_session, officer, store):
    application, _ = make_application(db_session, officer, provided=("application",))
    services.request_supplement(
        db_session, application, actor=officer, reason="Thiếu bản sao", rejected=["application"]
    )
    assert {d.status for d in application.documents} == {
        DocumentStatus.REJECTED,
        DocumentStatus.MISSING,
    }
    with app.test_request_context():
        services.upload_supplement(db_session, application, {"registration_copy": pdf_upload()})
    assert application.state is State.SUPPLEMENT_RECEIVED
    with pytest.raises(RegistryError):
        services.upload_supplement(db_session, application, {"registration_copy": pdf_upload()})


def test_receipt_and_decision_notices_reach_the_smtp_server(app, db_session, officer, smtp_server):
    with app.test_request_context():
        application, _ = make_application(
            db_session, officer, email="ung-vien@example.vn", procedure="small_facility"
        )
        services.transition(db_session, application, State.UNDER_REVIEW, actor=officer)
        services.refuse(db_session, application, actor=officer, reason="Thiếu điều kiện nhà ở")
    assert len(smtp_server.messages) == 2
    assert all(m["To"] == "ung-vien@example.vn" for m in smtp_server.messages)
    assert application.receipt_code in smtp_server.messages[0].get_content()
    assert "Thiếu điều kiện nhà ở" in smtp_server.messages[1].get_content()


def test_statistics_give_the_on_time_rate_and_median(db_session, officer):
    app, _ = make_application(db_session, officer)
    services.transition(db_session, app, State.UNDER_REVIEW, actor=officer)
    services.refuse(db_session, app, actor=officer, reason="Không đủ điều kiện")
    stats = services.statistics_of([app])
    assert stats[0]["procedure"] == "operating_licence"
    assert stats[0]["on_time_rate"] == 1.0
    assert stats[0]["median_days"] == 0


def test_the_reminders_command_prints_and_writes_csv(
    app, db_session, officer, tmp_path, monkeypatch
):
    from registry import clock as app_clock

    soon, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 3, 2)
    )
    late, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 1, 5)
    )
    monkeypatch.setattr(app_clock, "today", lambda: date(2026, 3, 12))
    out = tmp_path / "r.csv"
    result = app.test_cli_runner().invoke(
        args=["licensing", "reminders", "--within", "3", "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert soon.receipt_code in result.output
    assert late.receipt_code in result.output
    assert "QUÁ HẠN" in result.output
    assert "2 hồ sơ, 1 quá hạn." in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("receipt_code,")
    assert soon.receipt_code in text


def _licensed(db_session, officer):
    facility = FacilityFactory(
        ownership=Ownership.NON_PUBLIC, status=Status.PLANNED, residents=None
    )
    application, _ = make_application(db_session, officer, facility=facility)
    services.transition(db_session, application, State.UNDER_REVIEW, actor=officer)
    return facility, services.approve(
        db_session, application, actor=officer, conditions=[("Lắp biển tên", None)]
    )


def test_a_suspension_lasts_at_most_six_months_and_follows_in_the_registry(db_session, officer):
    facility, licence = _licensed(db_session, officer)
    today = licence.issued_on
    with pytest.raises(RegistryError, match=r"sáu tháng|six months"):
        services.suspend_licence(
            db_session,
            licence,
            start=today,
            until=services._add_months(today, 6) + timedelta(days=1),
            reason="Vi phạm",
            actor=officer,
        )
    services.suspend_licence(
        db_session,
        licence,
        start=today,
        until=services._add_months(today, 6),
        reason="Vi phạm điều kiện",
        actor=officer,
    )
    assert licence.status is LicenceStatus.SUSPENDED
    record = read.get(db_session, read.SYSTEM, facility.id)
    assert record is not None
    assert record.status is Status.SUSPENDED
    later = services._add_months(today, 7)
    flagged = services.expired_suspensions(db_session, officer, today=later)
    assert [r.id for r in flagged] == [licence.id]
    services.reinstate_licence(db_session, licence, reason="Đã khắc phục", actor=officer)
    assert licence.status is LicenceStatus.VALID
    assert services.expired_suspensions(db_session, officer, today=later) == []


def test_revocation_takes_the_number_off_the_registry_record(db_session, officer):
    facility, licence = _licensed(db_session, officer)
    with pytest.raises(RegistryError):
        services.revoke_licence(db_session, licence, reason=" ", actor=officer)
    services.revoke_licence(db_session, licence, reason="Giải thể", actor=officer)
    record = read.get(db_session, read.SYSTEM, facility.id)
    assert record is not None
    assert record.licence_no is None
    assert services.public_register(db_session) == []


def test_an_amendment_supersedes_the_licence_in_force(db_session, officer):
    facility, first = _licensed(db_session, officer)
    amendment, _ = make_application(
        db_session, officer, procedure="licence_amendment", facility=facility
    )
    services.transition(db_session, amendment, State.UNDER_REVIEW, actor=officer)
    second = services.approve(db_session, amendment, actor=officer)
    assert first.status is LicenceStatus.SUPERSEDED
    assert second.status is LicenceStatus.VALID
    assert [r.number for r in services.public_register(db_session)] == [second.number]


def test_conditions_are_tracked_to_closure(db_session, officer):
    _facility, licence = _licensed(db_session, officer)
    cond = licence.conditions[0]
    with pytest.raises(RegistryError):
        services.close_condition(db_session, licence, cond.id, note="", actor=officer)
    services.close_condition(db_session, licence, cond.id, note="Đã lắp", actor=officer)
    assert cond.closed_on is not None
    assert cond.closed_note == "Đã lắp"


def test_deadline_notices_go_to_the_assigned_officer(app, db_session, smtp_server):
    officer = UserFactory(
        role=Role.LICENSING_OFFICER, province_code="75", email="can-bo@example.gov.vn"
    )
    late, _ = make_application(
        db_session, officer, procedure="small_facility", received_on=date(2026, 1, 5)
    )
    services.assign(db_session, late, officer, actor=officer)
    rows = services.reminders(db_session, within=3, today=date(2026, 3, 12))
    assert services.send_deadline_mails(db_session, rows) == 1
    assert smtp_server.messages[-1]["To"] == "can-bo@example.gov.vn"
    assert late.receipt_code in smtp_server.messages[-1]["Subject"]
