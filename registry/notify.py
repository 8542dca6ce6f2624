"""E-mail notices through the configured SMTP server.

One call, :func:`send_mail`, for every domain: it builds a UTF-8 message (Vietnamese subject
encoded per RFC 2047, ``Date`` in Vietnam time, a ``Message-ID`` on the sender's domain) and
hands it to ``MAIL_SERVER``. A notice is a courtesy, never the record: the application's own
history is. So a failure — server down, refused login, refused recipient — is logged and
answered with ``False``, never raised into the request that triggered it, and every network
step waits at most ``MAIL_TIMEOUT`` seconds.

Each recipient gets a message of their own, so no recipient learns another's address.
``MAIL_FROM`` is an address, optionally with a display name (``Sở Y tế <noreply@…>``).
With ``MAIL_USE_TLS`` the connection must be upgraded by STARTTLS with a verified certificate;
a server that does not offer it gets nothing, the message is never sent in clear text.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any

from flask import current_app

from registry import clock

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0


def send_mail(to: Sequence[str], subject: str, body: str) -> bool:
    """Send ``body`` to each address in ``to``; True when the server accepted every message.

    False (and a log line) when mail is off (``MAIL_ENABLED``), no valid recipient is given,
    or the server cannot be reached or refuses; never raises.
    """
    try:
        config: Mapping[str, Any] = current_app.config
        if not _flag(config.get("MAIL_ENABLED")):
            log.info("mail is off (MAIL_ENABLED): notice %r not sent", subject)
            return False
        if isinstance(to, str):
            to = [to]
        recipients = [address for address in (_clean_address(a) for a in to) if address]
        if len(recipients) != len(to):
            log.warning(
                "mail: %d invalid recipient address(es) left out", len(to) - len(recipients)
            )
        if not recipients:
            return False
        name, address = parseaddr(str(config.get("MAIL_FROM") or ""))
        sender = _clean_address(address) or "noreply@localhost"
        from_header = formataddr((_one_line(name), sender), charset="utf-8")
        messages = [_message(from_header, rcpt, subject, body) for rcpt in recipients]
        return _deliver(config, sender, messages)
    except Exception:  # a notice must never break the request that sends it
        log.exception("mail: notice %r not sent", subject)
        return False


def _flag(value: Any) -> bool:
    """A setting's truth; the environment may give ``"False"`` or ``"off"`` as text."""
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off"}
    return bool(value)


def _clean_address(address: str) -> str | None:
    """A bare ``local@domain`` address, or None for anything else (display names, lists,
    line breaks that could smuggle headers)."""
    if not isinstance(address, str):
        return None
    bare = address.strip()
    local, at, domain = bare.rpartition("@")
    if not at or not local or "." not in domain.strip("."):
        return None
    if any(ch.isspace() or ch in '<>,;:"()[]\\' or ord(ch) < 32 for ch in bare):
        return None
    return bare


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _message(from_header: str, recipient: str, subject: str, body: str) -> Message:
    # The legacy Header/MIMEText API on purpose: the newer EmailMessage folder of Python 3.11
    # drops the space between two words where it splits a long non-ASCII subject into
    # encoded words ("hồ sơ" arrives as "hồsơ"); Header keeps every space inside a word.
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    message = MIMEText(text, "plain", "utf-8")
    message["From"] = from_header
    message["To"] = recipient
    message["Subject"] = Header(_one_line(subject), "utf-8")  # type: ignore[assignment]
    message["Date"] = format_datetime(clock.now())
    domain = parseaddr(from_header)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation replies stay away
    return message


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """``smtp.login``, except that smtplib encodes credentials as ASCII: a Vietnamese
    password goes by AUTH PLAIN in UTF-8 (RFC 4616) instead."""
    if username.isascii() and password.isascii():
        smtp.login(username, password)
        return
    smtp.ehlo_or_helo_if_needed()
    if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPException("non-ASCII credentials need AUTH PLAIN")
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, response = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, response)


def _deliver(config: Mapping[str, Any], sender: str, messages: Sequence[Message]) -> bool:
    host = str(config.get("MAIL_SERVER") or "localhost")
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
    username = config.get("MAIL_USERNAME")
    password = config.get("MAIL_PASSWORD")
    try:
        # local_hostname given: smtplib would otherwise ask DNS for our FQDN, unbounded.
        with smtplib.SMTP(host, port, timeout=timeout, local_hostname=socket.gethostname()) as smtp:
            if _flag(config.get("MAIL_USE_TLS")):
                smtp.starttls(context=ssl.create_default_context())
            if username:
                _login(smtp, str(username), "" if password is None else str(password))
            for message in messages:
                smtp.send_message(message, from_addr=sender)
    except (OSError, smtplib.SMTPException) as exc:
        # OSError covers refused connections, timeouts and TLS failures (ssl.SSLError).
        log.warning(
            "mail: %s:%d did not take %d message(s): %s: %s",
            host,
            port,
            len(messages),
            type(exc).__name__,
            exc,
        )
        return False
    return True
