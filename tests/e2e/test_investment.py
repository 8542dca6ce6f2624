"""An investment officer's day in headless Chromium: record a project for a facility under
construction, its decision, capital for two years, payments and three progress reports; see
the S-curve and the flags; accept the works and confirm the handover, which changes the
facility in the registry with an audit entry."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from tests.e2e.test_licensing import assert_no_browser_errors, facility_code, flashes

pytestmark = pytest.mark.e2e


def open_all(page) -> None:
    page.eval_on_selector_all("details", "els => els.forEach(e => { e.open = true; })")


def send(page, form: str, values: dict[str, str]) -> None:
    open_all(page)
    for name, value in values.items():
        field = page.locator(f"{form} [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        page.locator(form).locator("button").last.click()
    errors = [text for category, text in flashes(page) if category == "danger"]
    field_errors = page.locator("[data-field-error]").all_inner_texts()
    assert not errors, (form, errors)
    assert not field_errors, (form, field_errors)


def test_project_from_creation_to_handover(new_page, live_server, artifacts):
    from registry.audit.models import AuditEvent
    from registry.facilities.models import Facility

    code = facility_code(live_server, "general_building")
    page = new_page("investment")
    page.goto(live_server("/"))
    assert page.locator("[data-testid=portfolio]").count() == 1  # the home page is the portfolio

    page.goto(live_server("/investment/new"))
    send(
        page,
        "main form",
        {
            "code": "E2E-DA-01",
            "name": "Nâng cấp Trung tâm E2E",
            "kind": "upgrade",
            "province_code": "75",
            "facility_code": code,
            "owner": "Sở Y tế",
            "capacity_after": "520",
        },
    )
    assert re.search(r"/investment/\d+$", page.url), page.url
    project_url = page.url

    send(
        page,
        "[data-testid=decision-form]",
        {
            "kind": "investment",
            "number": "123/QĐ-UBND",
            "signed_on": "15/12/2023",
            "authority": "UBND tỉnh Đồng Nai",
            "total_vnd": "10.000.000.000",
        },
    )
    for year, source, amount in (
        ("2024", "central", "3.000.000.000"),
        ("2025", "provincial", "4.000.000.000"),
    ):
        send(
            page,
            "[data-testid=capital-form]",
            {"year": year, "source": source, "amount_vnd": amount},
        )
    for paid_on, amount, source, year in (
        ("20/06/2024", "1.250.000.000", "central", "2024"),
        ("15/03/2025", "2.000.000.001", "provincial", "2025"),
    ):
        send(
            page,
            "[data-testid=disbursement-form]",
            {"paid_on": paid_on, "amount_vnd": amount, "source": source, "capital_year": year},
        )
    send(page, "[data-testid=stage-form]", {"target": "construction", "occurred_on": "01/02/2024"})
    for as_of, pct in (("31/05/2024", "15"), ("30/11/2024", "55"), ("31/05/2025", "100")):
        send(
            page,
            "[data-testid=progress-form]",
            {"as_of": as_of, "physical_pct": pct, "narrative": f"Báo cáo {pct}%"},
        )

    assert page.locator("[data-testid=disbursed-total]").inner_text().startswith("3.250.000.001")
    assert page.locator("[data-testid=progress-reports] tbody tr").count() == 3
    scurve = page.locator("[data-testid=scurve]")
    scurve.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=scurve.element_handle()
    )
    flags = page.locator("[data-testid=flags] [data-flag]")
    assert flags.count() >= 1  # supervision reports owed since the investment decision
    assert "supervision_missing" in flags.evaluate_all("els => els.map(e => e.dataset.flag)")
    page.screenshot(path=str(artifacts / "investment-project.png"), full_page=True)

    send(page, "[data-testid=stage-form]", {"target": "handover", "occurred_on": "30/06/2025"})
    handover = page.locator("[data-testid=handover]")
    assert "520" in handover.inner_text()
    with page.expect_navigation():
        page.click("[data-testid=confirm-handover]")
    assert page.url.startswith(project_url)
    assert page.locator("[data-testid=confirm-handover]").count() == 0
    assert_no_browser_errors(page)

    with live_server.app.app_context():
        facility = db.session.get(Facility, live_server.ids["general_building"])
        assert facility.design_capacity == 520
        assert facility.status.value == "operating"
        reasons = db.session.scalars(
            select(AuditEvent.reason).where(
                AuditEvent.entity_type == "facilities",
                AuditEvent.entity_id == str(facility.id),
            )
        ).all()
        db.session.remove()
    assert any(r and "E2E-DA-01" in r for r in reasons), reasons


PLAN_DN = "DN-2735-KH-UBND-2018"


def dn03(page, live_server) -> tuple[str, str]:
    """DN-03's result on the plan check page (checked as of the plan's last day) and its text."""
    page.goto(live_server(f"/planning/check?plan={PLAN_DN}"))
    row = page.locator("[data-rule=DN-03]")
    return row.get_attribute("data-status"), row.inner_text()


def test_the_plan_check_reads_the_project_from_not_evaluable_to_not_met_to_met(
    new_page, live_server, artifacts
):
    """DN-03 (repair and upgrade the named care centre in 2018) follows the project's record:
    nothing linked → not evaluable; under way at 60% → not met, with the progress; accepted and
    handed over on 20/12/2018 → met, with a link from the evidence to the project."""
    page = new_page("investment")
    status, _ = dn03(page, live_server)
    assert status == "not_evaluable"

    page.goto(live_server("/investment/new"))
    send(
        page,
        "main form",
        {
            "code": "E2E-DN-03",
            "name": "Sửa chữa, nâng cấp Trung tâm Bảo trợ người già, người khuyết tật",
            "kind": "repair",
            "province_code": "75",
            "facility_code": facility_code(live_server, "dn_care_centre"),
            "owner": "Sở Lao động – Thương binh và Xã hội",
        },
    )
    project_url = page.url
    send(page, "[data-testid=stage-form]", {"target": "construction", "occurred_on": "01/03/2018"})
    send(
        page,
        "[data-testid=progress-form]",
        {"as_of": "30/06/2018", "physical_pct": "60", "narrative": "Đang thi công"},
    )
    status, text = dn03(page, live_server)
    assert status == "fail", text
    page.locator("[data-rule=DN-03] [data-testid=projects] summary").click()
    assert "60%" in page.locator("[data-rule=DN-03] [data-testid=projects]").inner_text()

    page.goto(project_url)
    send(page, "[data-testid=stage-form]", {"target": "handover", "occurred_on": "20/12/2018"})
    status, text = dn03(page, live_server)
    assert status == "pass", text
    page.locator("[data-rule=DN-03] [data-testid=projects] summary").click()
    assert "20/12/2018" in page.locator("[data-rule=DN-03] [data-testid=projects]").inner_text()
    page.screenshot(path=str(artifacts / "investment-plan-check.png"), full_page=True)
    with page.expect_navigation():
        page.click("[data-rule=DN-03] [data-project=E2E-DN-03]")
    assert page.url == project_url
    assert_no_browser_errors(page)
