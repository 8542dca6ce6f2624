"""Licensing e-mail notices: the Vietnamese texts (pure) and their delivery through a real SMTP
server on loopback (aiosmtpd), including the failures a request must survive."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import time
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from registry.licensing.mail import (
    MailApplication,
    deadline_mail,
    decision_mail,
    receipt_mail,
    supplement_mail,
)
from registry.notify import send_mail
from tests.licensing.conftest import SMTPServer, free_port

TRACKING_URL = "https://dichvu.example.gov.vn/licensing/track/Zq3xT9-privateToken"


def application(**changes) -> MailApplication:
    values = {
        "receipt_code": "HS-2026-000123",
        "procedure_vi": "Cấp giấy phép hoạt động cơ sở trợ giúp xã hội ngoài công lập",
        "facility_name": "Trung tâm Bảo trợ xã hội Hướng Dương",
        "due_on": date(2026, 3, 5),
        "tracking_url": TRACKING_URL,
        "state_vi": "Đã tiếp nhận",
        "reason": None,
    }
    values.update(changes)
    return MailApplication(**values)


BUILDERS = {
    "receipt": (receipt_mail, {}),
    "supplement": (
        supplement_mail,
        {"state_vi": "Yêu cầu bổ sung", "due_on": None, "reason": "Bản sao giấy phép xây dựng"},
    ),
    "decision": (
        decision_mail,
        {"state_vi": "Từ chối cấp phép", "reason": "Diện tích đất không đủ theo quy định"},
    ),
    "deadline": (deadline_mail, {"state_vi": "Đang thẩm định"}),
}


# --- the texts -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BUILDERS)
def test_every_notice_names_the_application_in_vietnamese(kind):
    build, changes = BUILDERS[kind]
    app = application(**changes)
    subject, body = build(app)
    assert "HS-2026-000123" in subject
    for text in (app.procedure_vi, app.facility_name, app.state_vi, TRACKING_URL):
        assert text in body
    assert "Mã hồ sơ: HS-2026-000123" in body
    assert "xin không trả lời" in body
    assert "\r" not in body
    assert "\n" not in subject


def test_receipt_gives_the_due_date_as_dd_mm_yyyy_and_the_private_link():
    subject, body = receipt_mail(application(due_on=date(2026, 3, 5)))
    assert subject.startswith("[HS-2026-000123] Xác nhận tiếp nhận hồ sơ")
    assert "Hạn giải quyết: 05/03/2026" in body
    assert "2026-03-05" not in body
    assert "không chia sẻ" in body
    assert TRACKING_URL in body


def test_receipt_without_a_due_date_says_when_the_clock_starts():
    _, body = receipt_mail(application(due_on=None))
    assert "Hạn giải quyết: chưa xác định" in body
    assert "đầy đủ, hợp lệ" in body


def test_supplement_lists_what_is_requested_and_says_the_clock_is_paused():
    _, body = supplement_mail(
        application(due_on=None, reason="1. Bản sao giấy phép xây dựng\r\n2. Sơ đồ mặt bằng")
    )
    assert "Nội dung cần bổ sung:\n1. Bản sao giấy phép xây dựng\n2. Sơ đồ mặt bằng" in body
    assert "tạm dừng" in body
    assert "PDF, JPEG hoặc PNG" in body


def test_decision_carries_the_refusal_reason_and_an_approval_none():
    _, refused = decision_mail(
        application(state_vi="Từ chối cấp phép", reason="Chưa đủ nhân viên theo quy định")
    )
    assert "Từ chối cấp phép" in refused
    assert "Lý do:\nChưa đủ nhân viên theo quy định" in refused
    subject, approved = decision_mail(application(state_vi="Đã cấp giấy phép"))
    assert subject == "[HS-2026-000123] Kết quả giải quyết hồ sơ: Đã cấp giấy phép"
    assert "Lý do" not in approved


@pytest.mark.parametrize(
    ("days_left", "in_subject", "in_body"),
    [
        (3, "Sắp đến hạn giải quyết: 05/03/2026", "Còn 3 ngày làm việc"),
        (0, "Đến hạn giải quyết hôm nay (05/03/2026)", "ngày cuối cùng"),
        (-2, "Quá hạn giải quyết từ 05/03/2026", "Đã quá hạn 2 ngày làm việc"),
        (None, "Sắp đến hạn giải quyết: 05/03/2026", "Hạn giải quyết: 05/03/2026"),
    ],
)
def test_deadline_notice_counts_working_days(days_left, in_subject, in_body):
    subject, body = deadline_mail(application(), days_left=days_left)
    assert in_subject in subject
    assert in_body in body
    assert body.startswith("Kính gửi cán bộ thụ lý")


def test_single_line_fields_lose_line_breaks_a_header_could_be_smuggled_with():
    subject, body = receipt_mail(
        application(facility_name="Cơ sở A\r\nBcc: x@example.com", receipt_code="HS-1\nX")
    )
    assert "\n" not in subject
    assert "Cơ sở: Cơ sở A Bcc: x@example.com" in body
    assert "\nBcc:" not in body


# --- delivery ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BUILDERS)
def test_each_notice_arrives_with_vietnamese_subject_and_body_intact(app, smtp_server, kind):
    build, changes = BUILDERS[kind]
    subject, body = build(application(**changes))
    with app.app_context():
        assert send_mail(["nguoi.nop@example.vn"], subject, body) is True

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.rcpt_tos == ("nguoi.nop@example.vn",)
    assert envelope.mail_from == "so-y-te@example.gov.vn"
    message = smtp_server.messages[0]
    assert message["Subject"] == subject
    assert message["To"] == "nguoi.nop@example.vn"
    assert message["From"] == "so-y-te@example.gov.vn"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == body
    # on the wire the headers are ASCII: the Vietnamese subject is RFC 2047 encoded
    raw_headers = envelope.raw.split(b"\r\n\r\n", 1)[0]
    raw_headers.decode("ascii")
    assert b"Subject: =?utf-8?" in raw_headers


def test_date_and_message_id_headers(app, smtp_server):
    before = datetime.now().astimezone()
    with app.app_context():
        assert send_mail(["a@example.vn"], *receipt_mail(application()))
    message = smtp_server.messages[0]
    sent = parsedate_to_datetime(message["Date"])
    assert sent.utcoffset() == timedelta(hours=7)  # Vietnam time
    assert abs(sent - before) < timedelta(minutes=1)
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@example.gov.vn>")
    assert message["Auto-Submitted"] == "auto-generated"


def test_a_vietnamese_display_name_in_mail_from(app, smtp_server):
    app.config["MAIL_FROM"] = "Sở Y tế tỉnh Đồng Nai <so-y-te@example.gov.vn>"
    with app.app_context():
        assert send_mail("a@example.vn", "S", "B")  # a lone address is one recipient
    assert smtp_server.envelopes[0].mail_from == "so-y-te@example.gov.vn"
    assert smtp_server.envelopes[0].rcpt_tos == ("a@example.vn",)
    (sender,) = smtp_server.messages[0]["From"].addresses
    assert sender.display_name == "Sở Y tế tỉnh Đồng Nai"
    assert sender.addr_spec == "so-y-te@example.gov.vn"


def test_every_recipient_gets_a_message_of_their_own(app, smtp_server):
    with app.app_context():
        assert send_mail(["a@example.vn", "b@example.vn"], "Thông báo", "Nội dung")
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [("a@example.vn",), ("b@example.vn",)]
    assert [m["To"] for m in smtp_server.messages] == ["a@example.vn", "b@example.vn"]
    ids = {m["Message-ID"] for m in smtp_server.messages}
    assert len(ids) == 2
    for raw in (e.raw for e in smtp_server.envelopes):
        assert raw.count(b"@example.vn") == 1  # nobody sees the other address


def test_addresses_that_could_inject_headers_are_left_out(app, smtp_server, caplog):
    with app.app_context():
        assert send_mail(["x@example.vn\r\nBcc: spy@example.com"], "S", "B") is False
        assert send_mail(["not-an-address", ""], "S", "B") is False
        assert send_mail(["ok@example.vn", "bad address@x"], "Tiêu đề\r\nBcc: s@x", "B")
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [("ok@example.vn",)]
    assert smtp_server.messages[0]["Subject"] == "Tiêu đề Bcc: s@x"
    assert smtp_server.messages[0]["Bcc"] is None


def test_mail_disabled_sends_nothing(app, smtp_server):
    app.config["MAIL_ENABLED"] = False
    with app.app_context():
        assert send_mail(["a@example.vn"], *receipt_mail(application())) is False
    assert smtp_server.messages == []


@pytest.mark.parametrize("off", [False, 0, "False", "off", "0", ""])
def test_mail_enabled_given_as_text_by_the_environment_is_read_as_a_flag(app, smtp_server, off):
    app.config["MAIL_ENABLED"] = off
    with app.app_context():
        assert send_mail(["a@example.vn"], "S", "B") is False
    assert smtp_server.messages == []


def test_testing_config_sends_no_mail_by_default(app):
    assert app.config["MAIL_ENABLED"] is False


def test_unreachable_server_returns_false_quickly_without_raising(app, caplog):
    port = free_port()  # nothing listens there
    original = dict(app.config)
    app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    try:
        start = time.monotonic()
        with app.app_context(), caplog.at_level(logging.WARNING, logger="registry.notify"):
            assert send_mail(["a@example.vn"], *receipt_mail(application())) is False
        assert time.monotonic() - start < 2
    finally:
        app.config.clear()
        app.config.update(original)
    assert "did not take 1 message" in caplog.text


def test_a_server_that_never_answers_is_given_up_after_the_timeout(app, caplog):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the connection is accepted by the kernel; no greeting ever comes
        original = dict(app.config)
        app.config.update(
            MAIL_ENABLED=True,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            MAIL_TIMEOUT=0.5,
        )
        try:
            start = time.monotonic()
            with app.app_context():
                assert send_mail(["a@example.vn"], "S", "B") is False
            elapsed = time.monotonic() - start
        finally:
            app.config.clear()
            app.config.update(original)
    assert 0.4 < elapsed < 3
    assert "TimeoutError" in caplog.text or "timed out" in caplog.text


def test_tls_required_but_not_offered_sends_nothing_in_clear(app, smtp_server):
    app.config["MAIL_USE_TLS"] = True
    with app.app_context():
        assert send_mail(["a@example.vn"], *receipt_mail(application())) is False
    assert smtp_server.messages == []


def test_send_mail_outside_an_app_context_returns_false():
    assert send_mail(["a@example.vn"], "S", "B") is False


# --- STARTTLS and login, as a real submission server asks -------------------------------


@pytest.fixture
def tls_files(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def submission_server(app, tls_files, monkeypatch):
    """STARTTLS required, then AUTH LOGIN/PLAIN with officer / đúng-mật-khẩu."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == b"officer" and auth_data.password == "đúng-mật-khẩu".encode()
        )
        return AuthResult(success=ok)

    server = SMTPServer("127.0.0.1", free_port())
    controller = Controller(
        server,
        hostname=server.host,
        port=server.port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test certificate
    original = dict(app.config)
    app.config.update(
        MAIL_ENABLED=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_USE_TLS=True,
        MAIL_USERNAME="officer",
        MAIL_PASSWORD="đúng-mật-khẩu",
        MAIL_FROM="so-y-te@example.gov.vn",
        MAIL_TIMEOUT=5,
    )
    try:
        yield server
    finally:
        app.config.clear()
        app.config.update(original)
        controller.stop()


def test_starttls_and_login_deliver(app, submission_server):
    with app.app_context():
        assert send_mail(["a@example.vn"], *decision_mail(application()))
    assert len(submission_server.messages) == 1


def test_wrong_password_returns_false(app, submission_server):
    app.config["MAIL_PASSWORD"] = "sai"
    with app.app_context():
        assert send_mail(["a@example.vn"], "S", "B") is False
    assert submission_server.messages == []


def test_untrusted_certificate_returns_false(app, submission_server, monkeypatch, tmp_path):
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with app.app_context():
        assert send_mail(["a@example.vn"], "S", "B") is False
    assert submission_server.messages == []
