"""Check reports as JSON, CSV, XLSX and PDF (A4, Vietnamese with full diacritics), and the
targets workbook (template download and upload).

Every report says, for each plan, the plan period (and whether it has ended), the date it was
checked on (``as_of``; an ended plan is checked on the last day of its period unless another
date is asked for) and the unit catalogues it read (``services.PlanInfo``).

JSON shape (``report_dict``; ``flask planning check --format json`` prints the same)::

    {
      "schema": "registry.planning.check/1",
      "generated_at": "2026-01-31T08:00:00+00:00",
      "as_of": "2026-12-31",                   # the date asked for, else the latest plan's
      "as_of_requested": "2020-12-31" | null,  # null: each plan on its default date
      "jurisdiction": "75" | null,              # current province code; null = national
      "scenario": {"id": 1, "name": "...", "province_code": "75", "target_year": 2026} | null,
      "plans": [{
        "code": "...", "title_vi": "...", "title_en": "...", "document": "...",
        "as_of": "2020-12-31", "as_of_default": true,
        "period": {"start": 2018, "end": 2020 | null, "ended": true},
        "date_note_vi": "...", "date_note_en": "...",   # "" when there is nothing to say
        "catalogues": [{"edition": "pre2025", "name_vi": "...", "name_en": "..."}],
        "counts": {"pass": 0, "fail": 0, "not_evaluable": 0, "not_set": 0},
        "results": [{
          "rule_code": "...", "kind": "...", "title_vi": "...", "title_en": "...",
          "severity": "error|warning|info", "target_year": 2020 | null, "due": true | null,
          "status": "pass|fail|not_evaluable|not_set",
          "message_vi": "...", "message_en": "...",
          "evidence": {...},                  # see registry.planning.rules
          "source": {"document": "...", "section": ..., "lines": ..., "quote": ...}
        }]
      }]
    }

The PDF uses DejaVu Sans (Debian ``fonts-dejavu-core``), which covers Vietnamese.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from registry.cells import append_row, guard
from registry.filters import ZONE_VI, format_datetime
from registry.models import utcnow
from registry.planning import services
from registry.planning.rules import RuleResult, Status, catalogue_text

SCHEMA = "registry.planning.check/1"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
STATUS_VI = {
    Status.PASS: "Đạt",
    Status.FAIL: "Chưa đạt",
    Status.NOT_EVALUABLE: "Chưa đánh giá được",
    Status.NOT_SET: "Chưa đặt chỉ tiêu",
}
STATUS_EN = {
    Status.PASS: "Pass",
    Status.FAIL: "Fail",
    Status.NOT_EVALUABLE: "Not evaluable",
    Status.NOT_SET: "Not set",
}
_FILLS = {
    Status.PASS: "D1E7DD",
    Status.FAIL: "F8D7DA",
    Status.NOT_EVALUABLE: "E2E3E5",
    Status.NOT_SET: "FFF3CD",
}


# --- JSON ------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def result_dict(r: RuleResult) -> dict[str, Any]:
    return {
        "rule_code": r.rule_code,
        "kind": r.kind,
        "title_vi": r.title_vi,
        "title_en": r.title_en,
        "severity": r.severity,
        "target_year": r.target_year,
        "due": r.due,
        "status": r.status.value,
        "message_vi": r.message_vi,
        "message_en": r.message_en,
        "evidence": _jsonable(dict(r.evidence)),
        "source": {
            "document": r.source.document,
            "section": r.source.section,
            "lines": r.source.lines,
            "quote": r.source.quote,
        },
    }


def report_dict(run: services.CheckRun) -> dict[str, Any]:
    """The documented JSON shape of one check (module docstring)."""
    scenario = None
    if run.scenario is not None:
        s = run.scenario
        scenario = {
            "id": s.id,
            "name": s.name,
            "province_code": s.province_code,
            "target_year": s.target_year,
        }
    return {
        "schema": SCHEMA,
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "as_of": run.as_of.isoformat(),
        "as_of_requested": run.requested_as_of.isoformat() if run.requested_as_of else None,
        "jurisdiction": run.jurisdiction,
        "scenario": scenario,
        "plans": [
            {
                "code": row.code,
                "title_vi": row.title_vi,
                "title_en": row.title_en,
                "document": row.document,
                **_plan_info_dict(run.info(row.code)),
                "counts": {status.value: report.counts[status] for status in Status},
                "results": [result_dict(r) for r in report.results],
            }
            for row, report in run.reports
        ],
    }


def _plan_info_dict(info: services.PlanInfo) -> dict[str, Any]:
    return {
        "as_of": info.as_of.isoformat(),
        "as_of_default": info.as_of_default,
        "period": {"start": info.period_start, "end": info.period_end, "ended": info.ended},
        "date_note_vi": info.date_note("vi"),
        "date_note_en": info.date_note("en"),
        "catalogues": [
            {
                "edition": edition,
                "name_vi": catalogue_text(edition, "vi"),
                "name_en": catalogue_text(edition, "en"),
            }
            for edition in info.catalogues
        ],
    }


def plan_lines(info: services.PlanInfo) -> list[str]:
    """What a printed report says about a plan's dates and catalogues, in Vietnamese."""
    period = info.period_text("vi")
    if info.ended:
        period += " (đã kết thúc)"
    day = f"{info.as_of:%d/%m/%Y}"
    if info.as_of_default and info.ended and info.period_ends_on == info.as_of:
        day += " (mặc định: ngày cuối kỳ kế hoạch)"
    elif info.as_of_default:
        day += " (mặc định)"
    lines = [
        f"Kỳ kế hoạch: {period} · Ngày đối chiếu: {day}",
        "Danh mục đơn vị hành chính: " + "; ".join(info.catalogue_texts("vi")),
    ]
    note = info.date_note("vi")
    if note:
        lines.append(note)
    return lines


def report_json(run: services.CheckRun) -> str:
    return json.dumps(report_dict(run), ensure_ascii=False, indent=2)


def validate_report_dict(data: Any) -> list[str]:
    """Problems with a report against the documented shape (empty list: valid)."""
    problems: list[str] = []

    def need(obj: Any, key: str, types: type | tuple[type, ...], where: str) -> None:
        if not isinstance(obj, dict) or key not in obj:
            problems.append(f"{where}: missing {key}")
        elif not isinstance(obj[key], types):
            problems.append(f"{where}.{key}: wrong type")

    need(data, "schema", str, "$")
    need(data, "as_of", str, "$")
    need(data, "as_of_requested", (str, type(None)), "$")
    need(data, "jurisdiction", (str, type(None)), "$")
    need(data, "scenario", (dict, type(None)), "$")
    need(data, "plans", list, "$")
    for i, plan in enumerate(data.get("plans", []) if isinstance(data, dict) else []):
        where = f"$.plans[{i}]"
        for key in ("code", "title_vi", "title_en", "document"):
            need(plan, key, str, where)
        need(plan, "as_of", str, where)
        need(plan, "period", dict, where)
        need(plan, "catalogues", list, where)
        need(plan, "counts", dict, where)
        need(plan, "results", list, where)
        for j, res in enumerate(plan.get("results", [])):
            w = f"{where}.results[{j}]"
            for key in (
                "rule_code",
                "kind",
                "title_vi",
                "title_en",
                "severity",
                "message_vi",
                "message_en",
            ):
                need(res, key, str, w)
            need(res, "status", str, w)
            if res.get("status") not in {s.value for s in Status}:
                problems.append(f"{w}.status: unknown")
            need(res, "evidence", dict, w)
            need(res, "source", dict, w)
            need(res.get("source", {}), "document", str, w + ".source")
    return problems


# --- evidence as text (PDF, XLSX) ------------------------------------------------------------


def evidence_lines(r: RuleResult, limit: int = 12) -> list[str]:
    """Short Vietnamese lines summarising the evidence for printed reports."""
    ev = r.evidence
    out: list[str] = []
    counted = ev.get("counted") or []
    if counted:
        names = ", ".join(
            str(c.get("name")) if isinstance(c, dict) else str(c) for c in counted[:limit]
        )
        out.append(f"Cơ sở được tính ({len(counted)}): {names}")
    for key, label in (("failing_units", "Đơn vị chưa đạt"), ("unset_units", "Chưa đặt chỉ tiêu")):
        units = ev.get(key) or []
        if units:
            parts = []
            for u in units[:limit]:
                if not isinstance(u, dict):
                    parts.append(str(u))
                    continue
                text = str(u.get("name") or u.get("code"))
                if u.get("shortfall") is not None:
                    text += f" (thiếu {u['shortfall']})"
                if u.get("nearest_km") is not None:
                    text += f" (gần nhất {u['nearest_km']} km)"
                parts.append(text)
            out.append(f"{label} ({len(units)}): " + ", ".join(parts))
    if ev.get("shortfall"):
        out.append(f"Còn thiếu: {ev['shortfall']}")
    pairs = ev.get("pairs") or []
    if pairs:
        out.append(
            "Cặp quá gần: "
            + ", ".join(
                f"{p['a']['name']} – {p['b']['name']} ({p['distance_km']} km)"
                for p in pairs[:limit]
            )
        )
    failing = ev.get("failing_facilities") or []
    if failing:
        out.append(
            f"Cơ sở vi phạm ({len(failing)}): "
            + ", ".join(
                str(f.get("name")) if isinstance(f, dict) else str(f) for f in failing[:limit]
            )
        )
    return out


def source_text(r: RuleResult) -> str:
    from flask_babel import force_locale

    from registry.labels import citation

    with force_locale("vi"):  # internal paths named in words (the report is Vietnamese)
        parts = [citation(r.source.document)]
        if r.source.section:
            parts.append(f"mục {citation(r.source.section)}")
    if r.source.lines:
        parts.append(f"dòng {r.source.lines}")
    return ", ".join(parts)


def scope_text(jurisdiction: str | None) -> str:
    """The province a check covers by its name ("Đồng Nai"), or "toàn quốc"."""
    if not jurisdiction:
        return "toàn quốc"
    from registry.geography.services import province_choices

    return dict(province_choices()).get(jurisdiction, jurisdiction)


# --- XLSX ------------------------------------------------------------------------------------


def report_xlsx(run: services.CheckRun) -> bytes:
    """One sheet with every rule result (and a summary sheet); text is never a formula."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Tong hop"
    append_row(
        summary,
        [
            "Ngày đối chiếu",
            run.as_of.strftime("%d/%m/%Y") if run.one_date else "theo từng kế hoạch (bên dưới)",
        ],
    )
    append_row(summary, ["Phạm vi", scope_text(run.jurisdiction)])
    if run.scenario is not None:
        append_row(summary, ["Kịch bản", run.scenario.name])
    append_row(summary, [])
    append_row(
        summary,
        [
            "Kế hoạch",
            "Kỳ kế hoạch",
            "Ngày đối chiếu",
            "Danh mục đơn vị hành chính",
            *[STATUS_VI[s] for s in Status],
            "Ghi chú về ngày",
        ],
    )
    for row, report in run.reports:
        info = run.info(row.code)
        append_row(
            summary,
            [
                row.code,
                info.period_text("vi") + (" (đã kết thúc)" if info.ended else ""),
                info.as_of.strftime("%d/%m/%Y"),
                "; ".join(info.catalogue_texts("vi")),
                *[report.counts[s] for s in Status],
                info.date_note("vi"),
            ],
        )
    ws = wb.create_sheet("Ket qua")
    header = [
        "Kế hoạch",
        "Ngày đối chiếu",
        "Mã quy tắc",
        "Quy tắc",
        "Năm chỉ tiêu",
        "Kết quả",
        "Nội dung",
        "Bằng chứng",
        "Nguồn",
    ]
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row, report in run.reports:
        day = run.info(row.code).as_of.strftime("%d/%m/%Y")
        for r in report.results:
            append_row(
                ws,
                [
                    row.code,
                    day,
                    r.rule_code,
                    r.title_vi,
                    r.target_year,
                    STATUS_VI[r.status],
                    r.message_vi,
                    "\n".join(evidence_lines(r)),
                    source_text(r),
                ],
            )
            ws.cell(ws.max_row, 6).fill = PatternFill("solid", fgColor=_FILLS[r.status])
    for i, width in enumerate((22, 12, 14, 50, 10, 18, 60, 60, 50), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- CSV -------------------------------------------------------------------------------------

CSV_HEADER = [
    "Kế hoạch",
    "Kỳ kế hoạch",
    "Ngày đối chiếu",
    "Danh mục đơn vị hành chính",
    "Mã quy tắc",
    "Quy tắc",
    "Năm chỉ tiêu",
    "Kết quả",
    "Nội dung",
    "Bằng chứng",
    "Nguồn",
]


def report_csv(run: services.CheckRun) -> bytes:
    """Every rule result as a CSV row (UTF-8 with a byte-order mark, for spreadsheets), each
    with its plan's period, check date and unit catalogues; text is never a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row, report in run.reports:
        info = run.info(row.code)
        period = info.period_text("vi") + (" (đã kết thúc)" if info.ended else "")
        head = [
            row.code,
            period,
            info.as_of.strftime("%d/%m/%Y"),
            "; ".join(info.catalogue_texts("vi")),
        ]
        for r in report.results:
            cells = [
                *head,
                r.rule_code,
                r.title_vi,
                "" if r.target_year is None else str(r.target_year),
                STATUS_VI[r.status],
                r.message_vi,
                " | ".join(evidence_lines(r)),
                source_text(r),
            ]
            writer.writerow([guard(str(c)) for c in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- PDF -------------------------------------------------------------------------------------


def report_pdf(run: services.CheckRun) -> bytes:
    """A printable A4 report in Vietnamese."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title("Báo cáo kiểm tra quy hoạch")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 9, style: str = "", height: float = 5) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("BÁO CÁO KIỂM TRA MẠNG LƯỚI CƠ SỞ TRỢ GIÚP XÃ HỘI THEO QUY HOẠCH", 13, "B", 7)
    day = f"{run.as_of:%d/%m/%Y}" if run.one_date else "theo từng kế hoạch"
    line(f"Ngày đối chiếu: {day} · Phạm vi: {scope_text(run.jurisdiction)}")
    if run.scenario is not None:
        line(f"Kịch bản: {run.scenario.name} (năm mục tiêu {run.scenario.target_year})")
    line(f"Lập lúc: {format_datetime(utcnow())} ({ZONE_VI})")
    for row, report in run.reports:
        pdf.ln(3)
        line(f"{row.title_vi}", 11, "B", 6)
        line(f"{row.document} · {row.code}")
        for text in plan_lines(run.info(row.code)):
            line(text)
        line("Tổng hợp: " + "; ".join(f"{STATUS_VI[s]}: {report.counts[s]}" for s in Status))
        for r in report.results:
            pdf.ln(2)
            line(f"[{STATUS_VI[r.status]}] {r.rule_code} — {r.title_vi}", 9.5, "B")
            line(r.message_vi)
            for ev in evidence_lines(r):
                line("• " + ev, 8.5)
            line("Nguồn: " + source_text(r), 8)
    out = pdf.output()
    return bytes(out)


# --- targets workbook ------------------------------------------------------------------------

TARGET_HEADER = ["plan_code", "rule_code", "target", "unit_code", "value", "rule_title", "source"]


def targets_template(plans: Iterable[Any]) -> bytes:
    """Every target slot of every plan, with its current value (empty: not set)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "targets"
    append_row(ws, TARGET_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for plan in plans:
        for rule in plan.rules:
            for slot in services.target_slots(rule):
                append_row(
                    ws,
                    [
                        plan.code,
                        rule.code,
                        slot.key,
                        slot.unit_code or "",
                        slot.value,
                        rule.title_vi,
                        rule.source_document,
                    ],
                )
    for i, width in enumerate((26, 18, 14, 10, 10, 60, 50), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _unit_code(value: Any) -> str | None:
    """A unit code from a cell; numbers typed without their leading zero get it back."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return str(int(value)).zfill(2)
    return str(value).strip()


class TargetsFileError(ValueError):
    """The upload is not a readable targets workbook; ``errors`` lists (row, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"{row}: {msg}" for row, msg in errors))
        self.errors = errors


def read_targets(stream: IO[bytes]) -> list[services.TargetRow]:
    """Rows of an uploaded targets workbook; ``TargetsFileError`` lists every bad row."""
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise TargetsFileError([(0, f"not an XLSX workbook ({type(exc).__name__})")]) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(rows, ())]
    if header[:5] != TARGET_HEADER[:5]:
        raise TargetsFileError([(1, "the header must be " + ", ".join(TARGET_HEADER[:5]))])
    out: list[services.TargetRow] = []
    errors: list[tuple[int, str]] = []
    for number, values in enumerate(rows, start=2):
        cells = list(values) + [None] * 5
        plan, rule, key, unit, value = cells[:5]
        if not any(c not in (None, "") for c in (plan, rule, key)):
            continue
        if value in (None, ""):
            parsed = None
        else:
            try:
                parsed = float(str(value).replace(",", "."))
            except ValueError:
                errors.append((number, f"value {value!r} is not a number"))
                continue
        out.append(
            services.TargetRow(
                number,
                str(plan or "").strip(),
                str(rule or "").strip(),
                str(key or "").strip(),
                _unit_code(unit),
                parsed,
            )
        )
    wb.close()
    if errors:
        raise TargetsFileError(errors)
    return out
