"""Fixtures for the licensing tests: a real SMTP server on loopback (aiosmtpd).

``smtp_server`` starts the server on a free port of 127.0.0.1, points the app's mail settings
at it (``MAIL_ENABLED`` on) for the test and restores them afterwards. What arrived is in
``smtp_server.messages`` (parsed ``EmailMessage`` objects: ``msg["Subject"]`` is decoded,
``msg.get_content()`` is the decoded body) and ``smtp_server.envelopes`` (envelope sender and
recipients, in the same order).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

MAIL_KEYS = (
    "MAIL_ENABLED",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "MAIL_TIMEOUT",
)


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = bytes(envelope.original_content or envelope.content)
        parsed = message_from_bytes(raw, policy=policy.default)
        with self._lock:
            self.envelopes.append(Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), raw))
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SMTPServer]:
    """A live SMTP server on loopback, with the app's mail pointed at it for one test."""
    server = SMTPServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    saved = {key: app.config.get(key) for key in MAIL_KEYS}
    app.config.update(
        MAIL_ENABLED=True,
        MAIL_SERVER=server.host,
        MAIL_PORT=server.port,
        MAIL_USE_TLS=False,
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_FROM="so-y-te@example.gov.vn",
        MAIL_TIMEOUT=5.0,
    )
    try:
        yield server
    finally:
        app.config.update(saved)
        controller.stop()
