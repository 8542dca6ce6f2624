"""Licensing in headless Chromium against the live server (see conftest.py): issue 10's first
acceptance criterion, driven through the real pages.

1. An applicant (no account) applies online for an operating licence of a new facility with a
   one-document dossier, gets a receipt code and a private tracking link; the licensing officer
   finds it in the queue and requests the missing document; the applicant uploads it through
   the tracking link (a fresh browser context, no login); the officer reviews, schedules and
   records the inspection and approves; the licence is on the public register (no login) and
   on the facility's page.
2. Another application is refused with a written reason; the decision notice is downloaded
   through the page's link, rendered to PNG with PDFium and checked for its Vietnamese text.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fpdf import FPDF
from sqlalchemy import select

from registry.extensions import db
from registry.licensing.notice import MOTTO, SLOGAN
from tests.licensing.test_notice import _ink_rows as ink_rows
from tests.licensing.test_notice import _pypdf_text as pdf_text
from tests.licensing.test_notice import _render as render_png

pytestmark = pytest.mark.e2e

REFUSAL_REASON = "Cơ sở chưa bảo đảm diện tích phòng ở tối thiểu 6 m² mỗi đối tượng."


def dossier_pdf(title: str) -> dict[str, Any]:
    """A small valid one-page PDF (fpdf2), as a Playwright file payload."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=f"E2E dossier: {title}")
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") + ".pdf"
    return {"name": name, "mimeType": "application/pdf", "buffer": bytes(pdf.output())}


def flashes(page) -> list[tuple[str, str]]:
    """(category class, text) of the flashed messages on the page."""
    out = []
    for alert in page.locator("[role=alert].alert").all():
        cls = alert.get_attribute("class") or ""
        category = next((c[6:] for c in cls.split() if c.startswith("alert-")), "")
        out.append((category, " ".join(alert.inner_text().split())))
    return out


def submit(page, form: str, *, button: str = "button") -> list[tuple[str, str]]:
    """Submit ``form`` (a selector), wait for the next page; no error may be flashed."""
    with page.expect_navigation():
        page.locator(form).locator(button).last.click()
    seen = flashes(page)
    errors = [text for category, text in seen if category == "danger"]
    field_errors = page.locator("[data-field-error]").all_inner_texts()
    context = page.locator("main").inner_text()[:1500]
    assert not errors, f"{form}: {errors}\n{context}"
    assert not field_errors, f"{form}: {field_errors}\n{context}"
    return seen


def vn(d) -> str:
    return d.strftime("%d/%m/%Y")


def facility_code(live_server, key: str) -> str:
    from registry.facilities.models import Facility

    with live_server.app.app_context():
        code = db.session.scalar(select(Facility.code).where(Facility.id == live_server.ids[key]))
        db.session.remove()
    assert code
    return code


def application_of(live_server, receipt_code: str):
    from registry.licensing.models import Application

    with live_server.app.app_context():
        app = db.session.scalar(select(Application).where(Application.receipt_code == receipt_code))
        assert app is not None, receipt_code
        row = {
            "id": app.id,
            "state": app.state.value,
            "facility_id": app.facility_id,
            "channel": app.channel.value,
            "licence": app.licence.number if app.licence is not None else None,
        }
        db.session.remove()
    return row


def apply_online(page, live_server, fields: dict[str, str], files: dict[str, Any]):
    """Fill and submit the public form for an operating licence; (receipt code, tracking url)."""
    page.goto(live_server("/licensing/apply"))
    with page.expect_navigation():
        page.click("a[href$='/licensing/apply/operating_licence']")
    assert page.url.endswith("/licensing/apply/operating_licence")
    form = "form[enctype='multipart/form-data']"
    for name, value in fields.items():
        locator = page.locator(f"{form} [name={name}]")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    for code, payload in files.items():
        page.set_input_files(f"{form} input[type=file][name=doc_{code}]", payload)
    submit(page, form)
    receipt = page.locator("[data-receipt-code]")
    assert receipt.count() == 1, page.locator("main").inner_text()[:1500]
    code = receipt.inner_text().strip()
    link = page.get_attribute("[data-tracking-link]", "href")
    assert code
    assert link
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/licensing/track/[A-Za-z0-9_-]{20,}", link), link
    return code, link


def open_from_queue(page, live_server, receipt_code: str, screenshot=None) -> None:
    """From the officer's home page, which is their queue, to the application."""
    page.goto(live_server("/"))
    link = page.locator(f"main a[href*='/licensing/applications/']:text-is('{receipt_code}')")
    assert link.count() >= 1, f"{receipt_code} not in the officer's queue"
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    link = link.first
    with page.expect_navigation():
        link.click()
    assert re.search(r"/licensing/applications/\d+$", page.url), page.url


def move_to(page, target: str, reason: str = "") -> None:
    form = "form[action$='/transition']"
    page.select_option(f"{form} select[name=target]", target)
    if reason:
        page.fill(f"{form} textarea[name=reason]", reason)
    submit(page, form)


def doc_status(page, code: str) -> str:
    return " ".join(page.locator(f"[data-doc-status={code}]").inner_text().split())


def download_notice(page, *, raw: bool = False):
    """The decision notice through the application page's link: its text, or its bytes."""
    link = page.locator("a[href$='/decision.pdf']")
    assert link.count() == 1
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = download.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    return pdf if raw else " ".join(pdf_text(pdf).split())


def assert_administrative_format(text: str) -> None:
    """What a Vietnamese decision of the Đồng Nai Department of Health must say: the issuing
    body with the province by its full name in the unit catalogue (the 2025 catalogue names it
    "Thành phố Đồng Nai": "Sở Y tế thành phố Đồng Nai", never a bare "Sở Y tế Đồng Nai"), the
    People's Committee above it, and legal grounds in Vietnamese, citing the decree, not our
    README."""
    assert "Căn cứ Nghị định số 103/2017/NĐ-CP" in text, text[:1200]
    for foreign in ("README", "working days", "procedure 2.0"):
        assert foreign not in text, foreign
    assert re.search(r"SỞ Y TẾ (TỈNH|THÀNH PHỐ) ĐỒNG NAI", text), text[:400]
    assert re.search(r"ỦY BAN NHÂN DÂN (TỈNH|THÀNH PHỐ) ĐỒNG NAI", text), text[:400]


def assert_no_browser_errors(page) -> None:
    assert page.errors.messages == [], page.errors.messages


def test_online_application_supplement_inspection_approval_and_register(
    new_page, live_server, artifacts
):
    from registry.clock import today

    name = "Trung tâm chăm sóc người khuyết tật Hoa Sen E2E"
    # -- the applicant, no account --------------------------------------------------------------
    applicant = new_page()
    receipt_code, tracking = apply_online(
        applicant,
        live_server,
        {
            "organisation": "Công ty TNHH Hoa Sen E2E",
            "representative": "Trần Thị Bình",
            "email": "hoasen@example.org",
            "phone": "0251 3888 999",
            "address": "12 Nguyễn Ái Quốc, Biên Hòa",
            "facility_name": name,
            "type_code": "DISABILITY",
            "province_code": "75",
            "lat": "10.962",
            "lon": "106.845",
            "facility_address": "Khu phố 3, phường Tân Phong",
            "design_capacity": "45",
        },
        # Only the application form: the copy of the registration certificate is missing.
        {"application": dossier_pdf("Don de nghi cap giay phep")},
    )
    applicant.screenshot(path=str(artifacts / "licensing-receipt.png"), full_page=True)
    assert receipt_code.startswith("75-")
    row = application_of(live_server, receipt_code)
    assert row["state"] == "received"
    assert row["channel"] == "online"
    facility_id = row["facility_id"]
    assert facility_id is not None

    # The tracking page, before anything happened: the state and the dossier, no upload form.
    applicant.goto(tracking)
    assert receipt_code in applicant.locator("h1").inner_text()
    assert applicant.locator("form[action$='/upload']").count() == 0
    assert_no_browser_errors(applicant)

    # -- the officer finds it in the queue and asks for the missing document ---------------------
    officer = new_page("officer")
    open_from_queue(
        officer, live_server, receipt_code, screenshot=artifacts / "licensing-queue.png"
    )
    assert name in officer.locator("h1").inner_text()
    assert officer.locator("td a[href*='/documents/']").count() == 1  # the uploaded PDF
    # An incomplete dossier cannot go under review.
    officer.select_option("form[action$='/transition'] select[name=target]", "under_review")
    with officer.expect_navigation():
        officer.locator("form[action$='/transition'] button").click()
    assert any(c == "danger" for c, _ in flashes(officer)), flashes(officer)
    assert application_of(live_server, receipt_code)["state"] == "received"

    supplement_reason = "Thiếu bản sao giấy chứng nhận đăng ký thành lập có chứng thực."
    form = "form[action$='/supplement']"
    officer.check(f"{form} input[name=rejected][value=registration_copy]")
    officer.fill(f"{form} textarea[name=reason]", supplement_reason)
    submit(officer, form)
    assert application_of(live_server, receipt_code)["state"] == "supplement_requested"
    assert supplement_reason in doc_status(officer, "registration_copy")
    officer.screenshot(path=str(artifacts / "licensing-supplement-requested.png"), full_page=True)

    # -- the applicant answers through the tracking link, in a fresh context ---------------------
    tracker = new_page()
    tracker.goto(tracking)
    assert supplement_reason in tracker.locator("main").inner_text()
    upload = "form[action$='/upload']"
    assert tracker.locator(upload).count() == 1
    tracker.set_input_files(
        f"{upload} input[name=doc_registration_copy]",
        dossier_pdf("Ban sao giay chung nhan dang ky"),
    )
    seen = submit(tracker, upload)
    assert any(c == "success" for c, _ in seen), seen
    assert tracker.locator(upload).count() == 0
    assert application_of(live_server, receipt_code)["state"] == "supplement_received"
    # Both dossier files are now served to the tracking link.
    assert tracker.locator("main a[href*='/documents/']").count() == 2
    tracker.screenshot(path=str(artifacts / "licensing-track-supplement-received.png"))
    assert_no_browser_errors(tracker)

    # -- the officer reviews, inspects and approves ---------------------------------------------
    officer.reload()
    move_to(officer, "under_review", "Hồ sơ đầy đủ.")
    assert application_of(live_server, receipt_code)["state"] == "under_review"
    # The clock runs from the complete dossier: a due date and the working days left show.
    assert officer.locator("[data-days-left]").count() == 1
    assert int(officer.locator("[data-days-left]").inner_text()) > 0

    on = today()
    form = "form[action$='/inspection']"
    officer.fill(f"{form} [name=scheduled_on]", vn(on))
    officer.fill(f"{form} [name=team]", "Nguyễn Văn An (trưởng đoàn), Lê Thị Cúc")
    submit(officer, form)
    assert application_of(live_server, receipt_code)["state"] == "inspection_scheduled"

    form = "form[action$='/inspection/record']"
    officer.fill(f"{form} [name=inspected_on]", vn(on))
    for criterion in officer.locator(f"{form} select[name^=c_]").all():
        criterion.select_option("met")
    officer.fill(
        f"{form} [name=findings]", "Cơ sở đáp ứng các tiêu chuẩn; cần bổ sung bình chữa cháy."
    )
    submit(officer, form)
    assert application_of(live_server, receipt_code)["state"] == "inspected"

    form = "form[action$='/approve']"
    officer.fill(f"{form} [name=capacity]", "40")
    officer.fill(f"{form} [name=services]", "Chăm sóc, nuôi dưỡng người cao tuổi")
    officer.fill(
        f"{form} [name=conditions]", f"Bổ sung bình chữa cháy | {vn(on + timedelta(days=30))}"
    )
    submit(officer, form)
    row = application_of(live_server, receipt_code)
    assert row["state"] == "approved"
    number = row["licence"]
    assert number
    assert re.fullmatch(r"\d{3}/GP-75", number), number
    main = officer.locator("main").inner_text()
    assert number in main
    assert "Bổ sung bình chữa cháy" in main
    officer.screenshot(path=str(artifacts / "licensing-approved.png"), full_page=True)
    approval = download_notice(officer)
    for piece in (MOTTO, SLOGAN, "QUYẾT ĐỊNH", "Về việc chấp thuận", f"Số: {number}", name):
        assert piece in approval, piece
    assert "Lý do" not in approval
    assert_no_browser_errors(officer)

    # The applicant's link shows the decision.
    tracker.goto(tracking)
    assert number in tracker.locator("main").inner_text()

    # -- the public register, no login ------------------------------------------------------------
    public = new_page()
    public.goto(live_server("/licensing/register"))
    public.fill("input[name=q]", "Hoa Sen")
    with public.expect_navigation():
        public.locator("form[role=search] button").click()
    rows = public.locator("main table tbody tr")
    texts = [" ".join(t.split()) for t in rows.all_inner_texts()]
    mine = [t for t in texts if number in t]
    assert len(mine) == 1, texts
    assert name in mine[0]
    assert "40" in mine[0]
    assert "Sở Y tế" in mine[0]  # the authority since 01/03/2025, from the data
    register_row = mine[0]
    public.screenshot(path=str(artifacts / "licensing-public-register.png"), full_page=True)
    csv = public.request.get(live_server("/licensing/register.csv?q=Hoa+Sen"))
    assert csv.ok
    assert number in csv.text()
    assert_no_browser_errors(public)

    # -- the facility page follows: licence number, capacity, operating -------------------------
    viewer = new_page("viewer")
    viewer.goto(live_server(f"/facilities/{facility_id}"))
    detail = viewer.locator("main").inner_text()
    assert name in detail
    assert number in detail
    viewer.screenshot(path=str(artifacts / "licensing-facility-page.png"), full_page=True)
    from registry.facilities.models import Facility, Status

    with live_server.app.app_context():
        facility = db.session.get(Facility, facility_id)
        assert facility.licence_no == number
        assert facility.status is Status.OPERATING
        assert facility.design_capacity == 40
        db.session.remove()
    assert_no_browser_errors(viewer)

    # Names as the authority data gives them ("Sở Y tế {province}", the province by its full
    # catalogue name), on the register and in the notice; checked last so that every step
    # above is proven first.
    assert re.search(r"Sở Y tế (tỉnh|thành phố) Đồng Nai", register_row), register_row
    assert_administrative_format(approval)


def test_refusal_with_reason_and_decision_notice_pdf(new_page, live_server, artifacts):
    facility = "E2E elderly_long_khanh"  # a non-public facility already in the registry
    applicant = new_page()
    receipt_code, tracking = apply_online(
        applicant,
        live_server,
        {
            "organisation": "Hội Bảo trợ Long Khánh E2E",
            "representative": "Phạm Văn Dũng",
            "facility_code": facility_code(live_server, "elderly_long_khanh"),
        },
        {
            "application": dossier_pdf("Don de nghi"),
            "registration_copy": dossier_pdf("Quyet dinh thanh lap"),
        },
    )

    officer = new_page("officer")
    open_from_queue(officer, live_server, receipt_code)
    assert facility in officer.locator("h1").inner_text()
    move_to(officer, "under_review", "Hồ sơ đầy đủ.")
    # The refusal form needs a reason (the browser refuses an empty one; so does the server).
    form = "form[action$='/refuse']"
    officer.fill(f"{form} textarea[name=reason]", REFUSAL_REASON)
    submit(officer, form)
    row = application_of(live_server, receipt_code)
    assert row["state"] == "refused"
    assert row["licence"] is None
    assert REFUSAL_REASON in officer.locator("main").inner_text()

    pdf = download_notice(officer, raw=True)
    # The text layer (pypdf) carries the Vietnamese with its diacritics.
    text = " ".join(pdf_text(pdf).split())
    for piece in (
        MOTTO,
        SLOGAN,
        "QUYẾT ĐỊNH",
        "Số:",
        "Đồng Nai, ngày",
        "Căn cứ",
        "Điều 1.",
        "Nơi nhận:",
        facility,
        f"Lý do: {REFUSAL_REASON}",
    ):
        assert " ".join(piece.split()) in text, piece

    # Rendered to PNG by PDFium (the notice tests' helper): not blank, PDFium's own text layer
    # agrees, and the diacritics of the motto were drawn.
    document, page, image = render_png(pdf)
    try:
        image.save(artifacts / "licensing-refusal-notice.png", format="PNG")
        assert image.format == "PNG"
        dark = sum(image.histogram()[:128]) / (image.width * image.height)
        assert 0.005 < dark < 0.25, f"blank or flooded page ({dark:.4f})"
        textpage = page.get_textpage()
        rendered = textpage.get_text_range()
        flat = " ".join(rendered.split())
        for piece in (MOTTO, SLOGAN, "QUYẾT ĐỊNH"):
            assert piece in flat, piece
        assert "Lý do: Cơ sở chưa bảo đảm" in flat
        start = rendered.index(MOTTO)
        # "Ộ" (index 1) has ink above and below the plain "N" beside it.
        o_rows = ink_rows(image, page, textpage.get_charbox(start + 1))
        n_rows = ink_rows(image, page, textpage.get_charbox(start + 2))
        assert o_rows
        assert n_rows
        assert min(o_rows) < min(n_rows) - 2, "no circumflex drawn above Ộ"
        assert max(o_rows) > max(n_rows) + 1, "no dot drawn below Ộ"
        textpage.close()
    finally:
        page.close()
        document.close()

    # The applicant sees the refusal and its reason through the tracking link.
    applicant.goto(tracking)
    main = applicant.locator("main").inner_text()
    assert REFUSAL_REASON in main
    applicant.screenshot(path=str(artifacts / "licensing-track-refused.png"), full_page=True)
    assert_no_browser_errors(applicant)
    assert_no_browser_errors(officer)
    assert_administrative_format(text)
