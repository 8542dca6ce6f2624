"""The texts of the licensing e-mail notices: receipt, supplement request, decision and
deadline approaching.

Pure: plain values in, ``(subject, body)`` out, handed to :func:`registry.notify.send_mail`.
The notices are administrative correspondence with Vietnamese applicants and officers, so they
are written in Vietnamese only, with full diacritics, and carry no gettext strings; dates read
dd/mm/yyyy. A notice speaks of one application only: it is built from one
:class:`MailApplication`, never from a query, so it cannot carry another application's data.

``tracking_url`` is the applicant's private tracking link in the applicant's notices (receipt,
supplement, decision); in the officers' deadline notice it is the officer's page of the
application — the caller chooses. Free text from a form (facility name, reason) is reduced to
what a plain-text mail can safely show: single-line fields lose their line breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

Mail = tuple[str, str]

_GREETING_APPLICANT = "Kính gửi Quý tổ chức, cá nhân đề nghị,"
_GREETING_OFFICER = "Kính gửi cán bộ thụ lý hồ sơ,"
_PRIVATE_LINK = (
    "Đường dẫn theo dõi riêng của hồ sơ (xin không chia sẻ: ai có đường dẫn này đều xem được "
    "hồ sơ):"
)
_FOOTER = (
    "-- \n"  # the usual signature separator, with its space
    "Thư này được hệ thống gửi tự động; xin không trả lời thư này. Mọi trao đổi về hồ sơ "
    "xin thực hiện qua đường dẫn theo dõi hoặc trực tiếp với cơ quan tiếp nhận."
)


@dataclass(frozen=True)
class MailApplication:
    """What a notice may say about one application."""

    receipt_code: str
    procedure_vi: str
    facility_name: str
    due_on: date | None
    tracking_url: str
    state_vi: str
    reason: str | None


def _line(text: str | None) -> str:
    return " ".join(str(text or "").split())


def _paragraph(text: str | None) -> str:
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _date(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def _facts(app: MailApplication, *, due_text: str) -> list[str]:
    return [
        f"Mã hồ sơ: {_line(app.receipt_code)}",
        f"Thủ tục: {_line(app.procedure_vi)}",
        f"Cơ sở: {_line(app.facility_name)}",
        f"Trạng thái: {_line(app.state_vi)}",
        f"Hạn giải quyết: {due_text}",
    ]


def _due_text(app: MailApplication, *, if_unknown: str) -> str:
    return _date(app.due_on) if app.due_on else if_unknown


def _body(*parts: str | list[str]) -> str:
    blocks = ["\n".join(part) if isinstance(part, list) else part for part in parts]
    return "\n\n".join(block for block in blocks if block) + "\n"


def receipt_mail(app: MailApplication) -> Mail:
    """To the applicant: the dossier was received; its code, due date and private link."""
    code = _line(app.receipt_code)
    subject = f"[{code}] Xác nhận tiếp nhận hồ sơ: {_line(app.procedure_vi)}"
    body = _body(
        _GREETING_APPLICANT,
        "Cơ quan có thẩm quyền đã tiếp nhận hồ sơ đề nghị của Quý tổ chức, cá nhân.",
        _facts(
            app,
            due_text=_due_text(
                app,
                if_unknown="chưa xác định (thời hạn tính theo ngày làm việc từ khi hồ sơ "
                "đầy đủ, hợp lệ)",
            ),
        ),
        "Thời hạn giải quyết tính theo ngày làm việc, không kể ngày nghỉ, ngày lễ, Tết, và "
        "tạm dừng trong thời gian chờ bổ sung hồ sơ. Khi cần bổ sung, cơ quan sẽ thông báo "
        "qua thư điện tử và trên trang theo dõi.",
        [_PRIVATE_LINK, _line(app.tracking_url)],
        _FOOTER,
    )
    return subject, body


def supplement_mail(app: MailApplication) -> Mail:
    """To the applicant: what to add to the dossier, and where to upload it."""
    code = _line(app.receipt_code)
    subject = f"[{code}] Yêu cầu bổ sung, hoàn thiện hồ sơ: {_line(app.procedure_vi)}"
    requested = _paragraph(app.reason) or "(xem chi tiết trên trang theo dõi hồ sơ)"
    body = _body(
        _GREETING_APPLICANT,
        "Hồ sơ của Quý tổ chức, cá nhân cần được bổ sung, hoàn thiện.",
        _facts(
            app,
            due_text=_due_text(app, if_unknown="tạm dừng tính cho đến khi nhận được hồ sơ bổ sung"),
        ),
        f"Nội dung cần bổ sung:\n{requested}",
        "Thời hạn giải quyết tạm dừng trong thời gian chờ bổ sung và tiếp tục khi cơ quan "
        "nhận được giấy tờ bổ sung. Xin nộp giấy tờ bổ sung (tệp PDF, JPEG hoặc PNG) qua "
        "đường dẫn theo dõi dưới đây.",
        [_PRIVATE_LINK, _line(app.tracking_url)],
        _FOOTER,
    )
    return subject, body


def decision_mail(app: MailApplication) -> Mail:
    """To the applicant: the outcome (``state_vi``), with the reason of a refusal."""
    code = _line(app.receipt_code)
    state = _line(app.state_vi)
    subject = f"[{code}] Kết quả giải quyết hồ sơ: {state}"
    reason = _paragraph(app.reason)
    body = _body(
        _GREETING_APPLICANT,
        f"Hồ sơ của Quý tổ chức, cá nhân đã có kết quả giải quyết: {state}.",
        _facts(app, due_text=_due_text(app, if_unknown="không áp dụng")),
        f"Lý do:\n{reason}" if reason else "",
        "Quyết định và thông tin chi tiết có trên trang theo dõi hồ sơ.",
        [_PRIVATE_LINK, _line(app.tracking_url)],
        _FOOTER,
    )
    return subject, body


def deadline_mail(app: MailApplication, *, days_left: int | None = None) -> Mail:
    """To the officers: the application is due soon (or overdue, ``days_left`` < 0).

    ``days_left`` is the count of working days to the due date, as the working-day clock
    gives it (0 on the due day); left out, the notice names the due date only.
    """
    code = _line(app.receipt_code)
    due = _due_text(app, if_unknown="chưa xác định")
    if days_left is not None and days_left < 0:
        subject = f"[{code}] Quá hạn giải quyết từ {due}"
        remaining = f"Đã quá hạn {-days_left} ngày làm việc."
    elif days_left == 0:
        subject = f"[{code}] Đến hạn giải quyết hôm nay ({due})"
        remaining = "Hôm nay là ngày cuối cùng của thời hạn giải quyết."
    else:
        subject = f"[{code}] Sắp đến hạn giải quyết: {due}"
        remaining = (
            f"Còn {days_left} ngày làm việc đến hạn giải quyết." if days_left is not None else ""
        )
    body = _body(
        _GREETING_OFFICER,
        "Hồ sơ dưới đây sắp đến hoặc đã quá thời hạn giải quyết theo quy định.",
        _facts(app, due_text=due),
        remaining,
        ["Xem và xử lý hồ sơ:", _line(app.tracking_url)],
        _FOOTER,
    )
    return subject, body
