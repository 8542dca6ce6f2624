"""The decision notice PDF: layout texts, diacritics, and what a reader actually sees.

The PDF is rendered to PNG with PDFium (pypdfium2), an engine independent of the fpdf2 that
wrote it. What the tests prove: (1) pypdf and PDFium both extract the Vietnamese texts with
their diacritics intact (so the fonts embed the right code points, no ``?`` or dropped marks);
(2) the rendered page is not blank; (3) PDFium places each checked character where ink was
painted; (4) the diacritics were drawn as such: the ink of "Ộ" reaches above and below the
ink of the plain capital beside it (circumflex and dot below), which a missing glyph or a
substituted box would not. No OCR: the tests do not prove the shapes read as the right letters.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader

from registry.licensing.notice import (
    MOTTO,
    SLOGAN,
    DecisionNotice,
    date_line,
    render_decision_pdf,
    subject_line,
)

SCALE = 2.0  # 144 dpi

APPROVAL = DecisionNotice(
    authority_vi="Sở Y tế tỉnh Đồng Nai",
    superior_vi="Ủy ban nhân dân tỉnh Đồng Nai",
    number="07/QĐ-SYT",
    place="Đồng Nai",
    signed_on=date(2026, 2, 9),
    approved=True,
    procedure_vi="Cấp giấy phép hoạt động đối với cơ sở trợ giúp xã hội ngoài công lập",
    facility_name="Trung tâm Bảo trợ xã hội Hướng Dương",
    applicant="Công ty TNHH Ánh Dương",
    address="Số 12, đường Nguyễn Ái Quốc, phường Tân Phong",
    legal_grounds=(
        "Nghị định số 103/2017/NĐ-CP ngày 12 tháng 9 năm 2017 của Chính phủ",
        "Căn cứ Nghị định số 42/2025/NĐ-CP của Chính phủ;",
        "Theo đề nghị của Trưởng phòng Bảo trợ xã hội",
    ),
    articles=(),
    refusal_reason=None,
    recipients=("Như Điều 3", "Ủy ban nhân dân tỉnh (để báo cáo)"),
    signer_title="Giám đốc",
    signer_name="Nguyễn Văn Đức",
)
REFUSAL = replace(
    APPROVAL,
    number="08/QĐ-SYT",
    approved=False,
    refusal_reason="Cơ sở chưa bảo đảm diện tích phòng ở tối thiểu 6 m² mỗi đối tượng.",
)


def _pypdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _render(pdf: bytes):
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    image = page.render(scale=SCALE).to_pil().convert("L")
    png = io.BytesIO()
    image.save(png, format="PNG")
    return document, page, Image.open(io.BytesIO(png.getvalue()))


def _ink_rows(image: Image.Image, page, box: tuple[float, float, float, float]) -> list[int]:
    """Rows with dark pixels in a character's box (PDFium's tight glyph box, 3 px slack)."""
    left, bottom, right, top = box
    height = page.get_height()
    x0, x1 = int(left * SCALE), int(right * SCALE) + 1
    y0 = max(0, int((height - top) * SCALE) - 3)
    y1 = min(image.height, int((height - bottom) * SCALE) + 3)
    crop = image.crop((x0, y0, x1, y1))
    w, pixels = crop.width, crop.tobytes()  # mode "L": one byte a pixel
    return [y0 + r for r in range(crop.height) if any(p < 128 for p in pixels[r * w : (r + 1) * w])]


@pytest.mark.parametrize("notice", [APPROVAL, REFUSAL], ids=["approval", "refusal"])
def test_notice_has_the_administrative_format_in_vietnamese(notice):
    text = _pypdf_text(render_decision_pdf(notice))
    expected = [
        MOTTO,
        SLOGAN,
        "ỦY BAN NHÂN DÂN TỈNH",
        "SỞ Y TẾ TỈNH ĐỒNG NAI",
        f"Số: {notice.number}",
        "Đồng Nai, ngày 09 tháng 02 năm 2026",
        "QUYẾT ĐỊNH",
        "GIÁM ĐỐC SỞ Y TẾ TỈNH ĐỒNG NAI",
        "Căn cứ Nghị định số 103/2017/NĐ-CP",
        "Căn cứ Nghị định số 42/2025/NĐ-CP của Chính phủ;",
        "Theo đề nghị của Trưởng phòng Bảo trợ xã hội.",
        "QUYẾT ĐỊNH:",
        "Điều 1.",
        "Điều 2.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "- Lưu: VT.",
        "Nguyễn Văn Đức",
    ]
    flat = " ".join(text.split())
    for piece in expected:
        assert " ".join(piece.split()) in flat, piece
    assert "Căn cứ Căn cứ" not in flat


def test_refusal_states_its_reason_and_approval_does_not():
    refusal = " ".join(_pypdf_text(render_decision_pdf(REFUSAL)).split())
    approval = " ".join(_pypdf_text(render_decision_pdf(APPROVAL)).split())
    assert "Về việc không chấp thuận hồ sơ cấp giấy phép hoạt động" in refusal
    assert "Lý do: Cơ sở chưa bảo đảm diện tích phòng ở tối thiểu 6 m² mỗi đối tượng." in refusal
    assert "Lý do" not in approval
    assert "Về việc chấp thuận hồ sơ cấp giấy phép hoạt động" in approval


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_refusal_without_a_written_reason_is_refused(reason):
    with pytest.raises(ValueError, match="reason"):
        render_decision_pdf(replace(REFUSAL, refusal_reason=reason))


def test_given_articles_are_numbered_in_order_and_the_reason_joins_article_one():
    notice = replace(
        REFUSAL,
        articles=("Không cấp giấy phép hoạt động cho cơ sở.", "Quyết định có hiệu lực."),
    )
    flat = " ".join(_pypdf_text(render_decision_pdf(notice)).split())
    assert "Điều 1. Không cấp giấy phép hoạt động cho cơ sở. Lý do: Cơ sở chưa" in flat
    assert "Điều 2. Quyết định có hiệu lực." in flat
    assert "Điều 3." not in flat


def test_dossier_text_is_never_read_as_markup():
    notice = replace(REFUSAL, refusal_reason="thiếu **bản sao** --giấy tờ-- __nhà__")
    flat = " ".join(_pypdf_text(render_decision_pdf(notice)).split())
    assert "thiếu **bản sao** --giấy tờ-- __nhà__" in flat


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 2, 9), "Hà Nội, ngày 09 tháng 02 năm 2026"),
        (date(2026, 1, 15), "Hà Nội, ngày 15 tháng 01 năm 2026"),
        (date(2026, 3, 5), "Hà Nội, ngày 05 tháng 3 năm 2026"),
        (date(2025, 12, 31), "Hà Nội, ngày 31 tháng 12 năm 2025"),
    ],
)
def test_date_line_follows_decree_30_zero_padding(on, expected):
    assert date_line("Hà Nội", on) == expected


def test_subject_line_names_procedure_and_facility():
    assert subject_line(APPROVAL) == (
        "Về việc chấp thuận hồ sơ cấp giấy phép hoạt động đối với cơ sở trợ giúp xã hội ngoài"
        " công lập của Trung tâm Bảo trợ xã hội Hướng Dương"
    )


def test_long_notice_flows_onto_numbered_pages():
    notice = replace(REFUSAL, legal_grounds=tuple(f"Văn bản số {i}/QĐ-UBND" for i in range(60)))
    reader = PdfReader(io.BytesIO(render_decision_pdf(notice)))
    assert len(reader.pages) >= 2
    assert reader.pages[1].extract_text().strip().startswith("2")
    assert "Nơi nhận:" in reader.pages[-1].extract_text()


@pytest.mark.parametrize("notice", [APPROVAL, REFUSAL], ids=["approval", "refusal"])
def test_rendered_png_shows_the_vietnamese_text(notice):
    document, page, image = _render(render_decision_pdf(notice))
    try:
        assert image.format == "PNG"
        assert image.size == (round(page.get_width() * SCALE), round(page.get_height() * SCALE))
        histogram = image.histogram()
        dark = sum(histogram[:128])
        assert 0.005 < dark / (image.width * image.height) < 0.25, "blank or flooded page"

        # PDFium's own text layer (an extractor independent of pypdf) has the diacritics.
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        for piece in (MOTTO, "Độc lập - Tự do - Hạnh phúc", "QUYẾT ĐỊNH", "Nơi nhận"):
            assert piece in text
        if not notice.approved:
            assert "Lý do: Cơ sở chưa bảo đảm" in " ".join(text.split())

        # Ink where PDFium says each motto character is.
        start = text.index(MOTTO)
        for i, char in enumerate(MOTTO):
            if char != " ":
                assert _ink_rows(image, page, textpage.get_charbox(start + i)), char

        # "Ộ" (index 1) carries a circumflex above and a dot below the height of "N" (index 2).
        o_rows = _ink_rows(image, page, textpage.get_charbox(start + 1))
        n_rows = _ink_rows(image, page, textpage.get_charbox(start + 2))
        assert min(o_rows) < min(n_rows) - 2, "no circumflex drawn above Ộ"
        assert max(o_rows) > max(n_rows) + 1, "no dot drawn below Ộ"
        textpage.close()
    finally:
        page.close()
        document.close()
