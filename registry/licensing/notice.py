"""The decision notice on a licensing application, as a PDF in the Vietnamese administrative
format (Decree 30/2020/NĐ-CP on clerical work, Appendix I: layout of an individual decision).

Pure: plain values in, PDF bytes out (fpdf2, no Flask, no database). The fonts are DejaVu
(Debian ``fonts-dejavu-core``, as in ``registry.planning.reports``), which cover Vietnamese;
DejaVu Serif stands in for Times New Roman. Italic comes from ``fonts-dejavu-extra`` and falls
back to upright when that package is missing.

Layout, top to bottom: the superior body (upright capitals) and issuing body (bold capitals,
a short rule under it) with ``Số: …`` on the left; the national motto "CỘNG HÒA XÃ HỘI CHỦ
NGHĨA VIỆT NAM" and the slogan "Độc lập - Tự do - Hạnh phúc" (bold, ruled under) with
"<place>, ngày dd tháng mm năm yyyy" (italic) on the right; the title "QUYẾT ĐỊNH" and its
subject; the competent officer; the legal grounds "Căn cứ …;"; "QUYẾT ĐỊNH:"; the articles
"Điều 1. …" (a refusal states its reason in Article 1); "Nơi nhận:" with the recipients on
the left and the signer on the right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVuSerif"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class DecisionNotice:
    authority_vi: str
    superior_vi: str | None
    number: str
    place: str
    signed_on: date
    approved: bool
    procedure_vi: str
    facility_name: str
    applicant: str
    address: str | None
    legal_grounds: tuple[str, ...]
    articles: tuple[str, ...]
    refusal_reason: str | None
    recipients: tuple[str, ...]
    signer_title: str
    signer_name: str | None


def date_line(place: str, on: date) -> str:
    """ "Đồng Nai, ngày 05 tháng 3 năm 2026": Decree 30/2020 Appendix I writes a day below 10
    and the months 1 and 2 with a leading zero, the other months without."""
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    return f"{place}, ngày {on.day:02d} tháng {month} năm {on.year}"


def subject_line(notice: DecisionNotice) -> str:
    """The title's subject ("trích yếu"): what is decided, for whom."""
    verb = "chấp thuận" if notice.approved else "không chấp thuận"
    return f"Về việc {verb} hồ sơ {_lower_first(notice.procedure_vi)} của {notice.facility_name}"


def article_texts(notice: DecisionNotice) -> tuple[str, ...]:
    """The articles as given, or standard ones built from the notice; a refusal's reason is
    always stated in Article 1."""
    articles = tuple(a.strip() for a in notice.articles if a.strip())
    if not articles:
        where = f", địa chỉ: {notice.address}" if notice.address else ""
        action = "Chấp thuận" if notice.approved else "Không chấp thuận"
        articles = (
            f"{action} hồ sơ {_lower_first(notice.procedure_vi)} của {notice.facility_name}"
            f"{where}, do {notice.applicant} đề nghị.",
            "Quyết định này có hiệu lực kể từ ngày ký.",
            f"Người đứng đầu {notice.facility_name}, {notice.applicant} và các cơ quan, đơn vị"
            " có liên quan chịu trách nhiệm thi hành Quyết định này.",
        )
    if not notice.approved:
        reason = (notice.refusal_reason or "").strip().rstrip(".")
        first = articles[0].rstrip()
        articles = (f"{first} Lý do: {reason}.", *articles[1:])
    return articles


def render_decision_pdf(notice: DecisionNotice) -> bytes:
    """The decision notice as an A4 PDF; a refusal without a written reason is refused
    (procedure 2.000294, Decree 116/2021: refusals are in writing with reasons)."""
    if not notice.approved and not (notice.refusal_reason or "").strip():
        raise ValueError("a refusal needs a written reason")
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class Notice(FPDF):
        def header(self) -> None:  # page numbers from page 2, top centre (Decree 30)
            if self.page_no() > 1:
                self.set_font(FONT, "", 11)
                self.set_y(10)
                self.cell(0, 5, str(self.page_no()), align="C")
                self.set_y(self.t_margin)

    pdf = Notice(orientation="P", unit="mm", format="A4")
    # Margins of Decree 30: top 20-25, bottom 20-25, left 30-35, right 15-20 mm.
    pdf.set_margins(left=30, top=20, right=20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSerif.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSerif-Bold.ttf"))
    italic = FONT_DIR / "DejaVuSerif-Italic.ttf"
    bold_italic = FONT_DIR / "DejaVuSerif-BoldItalic.ttf"
    pdf.add_font(FONT, "I", str(italic if italic.is_file() else FONT_DIR / "DejaVuSerif.ttf"))
    pdf.add_font(
        FONT,
        "BI",
        str(bold_italic if bold_italic.is_file() else FONT_DIR / "DejaVuSerif-Bold.ttf"),
    )
    pdf.set_title(f"Quyết định số {notice.number}")
    pdf.set_subject(subject_line(notice))
    pdf.set_creator("registry")
    pdf.set_lang("vi")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    left_w, right_w = 62.0, width - 62.0
    right_x = pdf.l_margin + left_w
    top = pdf.t_margin

    def block(x: float, w: float, text: str, size: float, style: str = "", h: float = 5.5) -> None:
        pdf.set_xy(x, pdf.get_y())
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(w, h, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)

    def rule_under(x: float, w: float, length: float) -> None:
        y = pdf.get_y() + 0.8
        start = x + (w - length) / 2
        pdf.set_line_width(0.3)
        pdf.line(start, y, start + length, y)

    # Left column: superior body, issuing body, number.
    pdf.set_y(top)
    if notice.superior_vi:
        block(pdf.l_margin, left_w, notice.superior_vi.upper(), 11)
    block(pdf.l_margin, left_w, notice.authority_vi.upper(), 11, "B")
    rule_under(pdf.l_margin, left_w, left_w / 3)
    pdf.ln(3)
    block(pdf.l_margin, left_w, f"Số: {notice.number}", 11.5)
    left_bottom = pdf.get_y()

    # Right column: national motto, slogan, place and date.
    pdf.set_y(top)
    block(right_x, right_w, MOTTO, 10, "B")
    block(right_x, right_w, SLOGAN, 11.5, "B")
    pdf.set_font(FONT, "B", 11.5)
    rule_under(right_x, right_w, pdf.get_string_width(SLOGAN))
    pdf.ln(3)
    block(right_x, right_w, date_line(notice.place, notice.signed_on), 11.5, "I")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)

    # Title, subject and the competent officer.
    block(pdf.l_margin, width, "QUYẾT ĐỊNH", 13.5, "B", 7)
    block(pdf.l_margin, width, subject_line(notice), 12.5, "B", 6)
    pdf.set_font(FONT, "B", 12.5)
    rule_under(pdf.l_margin, width, min(width / 3, 50))
    pdf.ln(6)
    block(pdf.l_margin, width, f"{notice.signer_title} {notice.authority_vi}".upper(), 12.5, "B", 6)
    pdf.ln(3)

    def paragraph(text: str, style: str = "", size: float = 12.5) -> None:
        pdf.set_x(pdf.l_margin + 10)  # first-line indent
        pdf.set_font(FONT, style, size)
        pdf.write(6.2, text)
        pdf.ln(6.2 + 1.2)

    grounds = [g.strip().rstrip(";.").strip() for g in notice.legal_grounds if g.strip()]
    for i, ground in enumerate(grounds):
        text = ground if ground.startswith(("Căn cứ", "Theo", "Xét")) else f"Căn cứ {ground}"
        paragraph(text + ("." if i == len(grounds) - 1 else ";"), "I")
    pdf.ln(2)
    block(pdf.l_margin, width, "QUYẾT ĐỊNH:", 13.5, "B", 7)
    pdf.ln(2)
    for i, article in enumerate(article_texts(notice), start=1):
        # write() rather than markdown, so text from the dossier is never read as markup.
        pdf.set_x(pdf.l_margin + 10)
        pdf.set_font(FONT, "B", 12.5)
        pdf.write(6.2, f"Điều {i}. ")
        pdf.set_font(FONT, "", 12.5)
        pdf.write(6.2, article)
        pdf.ln(6.2 + 1.2)

    # Recipients (left) and signer (right), kept together on one page.
    recipients = [r.strip().rstrip(";.").strip() for r in notice.recipients if r.strip()]
    if not any(r.startswith("Lưu") for r in recipients):
        recipients.append("Lưu: VT")
    needed = max(6 + 5 * len(recipients), 45)
    pdf.ln(4)
    if pdf.will_page_break(needed):
        pdf.add_page()
    start = pdf.get_y()
    pdf.set_xy(pdf.l_margin, start)
    pdf.set_font(FONT, "BI", 11.5)
    pdf.cell(left_w, 6, "Nơi nhận:", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10.5)
    for i, r in enumerate(recipients):
        end = "." if i == len(recipients) - 1 else ";"
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(left_w, 5, f"- {r}{end}", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(start)
    block(right_x, right_w, notice.signer_title.upper(), 12.5, "B", 6)
    block(right_x, right_w, "(Ký, đóng dấu)", 11, "I", 5)
    pdf.ln(22)
    if notice.signer_name:
        block(right_x, right_w, notice.signer_name, 12.5, "B", 6)
    return bytes(pdf.output())


def _lower_first(text: str) -> str:
    text = text.strip()
    return text[:1].lower() + text[1:]
