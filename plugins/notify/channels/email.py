"""Email over SMTP (stdlib ``smtplib`` in worker threads, with a small pool of kept-open connections)."""

from __future__ import annotations

import asyncio
import base64
import logging
import queue
import secrets
import smtplib
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache
from typing import Any

from plugins.notify.channels.base import Message, SendResult, describe

log = logging.getLogger("plugins.notify.email")


@lru_cache(maxsize=16)
def _sender(sender: str) -> tuple[str, str]:
    """``(name, address)`` of the configured sender: parsed once, not for every email (it showed in profiles)."""
    return parseaddr(sender)


def message_id(idempotency_key: str, sender: str) -> str:
    """A stable ``Message-ID`` per notification and channel, so a receiving system can drop a resent copy."""
    domain = _sender(sender)[1].rpartition("@")[2] or "sbor.invalid"
    return f"<{idempotency_key.replace(':', '.')}@{domain}>"


def build_email(message: Message, sender: str) -> MIMEMultipart | MIMEText:
    """The MIME message as an object (used for non-ASCII addresses, which need SMTPUTF8 negotiation)."""
    text = MIMEText(message.text, "plain", "utf-8")
    msg: MIMEMultipart | MIMEText
    if message.html:
        msg = MIMEMultipart("alternative")
        msg.attach(text)
        msg.attach(MIMEText(message.html, "html", "utf-8"))
    else:
        msg = text
    for name, value in _headers(message, sender):
        msg[name] = value
    return msg


def _headers(message: Message, sender: str) -> list[tuple[str, str]]:
    return [("From", _address(*_sender(sender))),
            ("To", _address(" ".join(message.display_name.split()), message.email or "")),
            ("Subject", encode_header(message.subject)),
            ("Date", formatdate(localtime=False, usegmt=True)),
            ("Message-ID", message_id(message.idempotency_key, sender)),
            ("Content-Language", message.language),
            ("X-Sbor-Notification", str(message.notification_id)),
            ("Auto-Submitted", "auto-generated")]


def _address(name: str, addr: str) -> str:
    if not name:
        return addr
    return formataddr((name, addr)) if name.isascii() else f"{encode_header(name)} <{addr}>"


def encode_header(value: str) -> str:
    """A header value folded to short lines; non-ASCII text as RFC 2047 base64 encoded-words of UTF-8."""
    value = " ".join(value.split())  # no line breaks from the data: they would inject headers
    lines: list[str] = []
    if value.isascii():
        line = ""
        for word in value.split(" "):
            if line and len(line) + 1 + len(word) > 68:  # room for "Subject: " within 78
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    else:
        chunk = ""
        for ch in value:  # whole characters per word (42 bytes of UTF-8 -> 56 base64 chars, 68 with the frame)
            if len((chunk + ch).encode()) > 42:
                lines.append(f"=?utf-8?b?{base64.b64encode(chunk.encode()).decode()}?=")
                chunk = ""
            chunk += ch
        lines.append(f"=?utf-8?b?{base64.b64encode(chunk.encode()).decode()}?=")
    return "\r\n ".join(lines)


def _part(subtype: str, body: str) -> bytes:
    encoded = base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")
    return (f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\nMIME-Version: 1.0\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + encoded


def build_email_bytes(message: Message, sender: str) -> tuple[bytes, str]:
    """The message as wire bytes (CRLF) and its Message-ID, for ASCII addresses.

    Written directly instead of through ``email.generator``: flattening a MIME tree (header folding, a regex
    compiled per message to pick the boundary) was a third of a worker's CPU per email. Bodies are base64 (the
    alphabet never contains the ``--`` of a boundary), headers RFC 2047 encoded-words where not ASCII.
    """
    headers = _headers(message, sender)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
    text = _part("plain", message.text)
    if message.html:
        boundary = f"=_sbor_{secrets.token_hex(8)}"
        body = (f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\nMIME-Version: 1.0\r\n\r\n"
                f"--{boundary}\r\n").encode() + text + f"--{boundary}\r\n".encode() + _part("html", message.html) \
            + f"--{boundary}--\r\n".encode()
    else:
        body = text
    return head + body, headers[4][1]


class EmailChannel:
    """SMTP delivery. Permanent SMTP replies (5xx) reject the channel; 4xx and network errors are retried."""

    name = "email"

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.pool: queue.LifoQueue[smtplib.SMTP] = queue.LifoQueue()
        # At most pool-size sessions at once: more would open and close a connection per message.
        self.slots = threading.BoundedSemaphore(max(1, settings.smtp_pool_size))
        # Our own threads, one per pooled session: asyncio's default executor has min(32, cores + 4) threads (6 on
        # a 2-core machine), shared with everything else, which capped the sessions in use below the pool size.
        self.executor = ThreadPoolExecutor(max_workers=max(1, settings.smtp_pool_size), thread_name_prefix="sbor-smtp")

    def available_for(self, message: Message) -> bool:
        return bool(message.email) and bool(self.settings.smtp_host)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.smtp_ssl:
            conn = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
            if s.smtp_starttls:
                conn.starttls(context=ssl.create_default_context())
        if s.smtp_username:
            conn.login(s.smtp_username, s.smtp_password)
        return conn

    def _send_sync(self, message: Message) -> str:
        # Building runs here too, off the event loop.
        sender, to = self.settings.smtp_from, message.email or ""
        envelope_from = _sender(sender)[1]
        if (envelope_from + to).isascii():
            raw, mid = build_email_bytes(message, sender)

            def send(conn: smtplib.SMTP) -> None:
                conn.sendmail(envelope_from, [to], raw)
        else:  # an international address: the stdlib negotiates SMTPUTF8
            mime = build_email(message, sender)
            mid = str(mime["Message-ID"])

            def send(conn: smtplib.SMTP) -> None:
                conn.send_message(mime, to_addrs=[to])
        with self.slots:
            self._deliver(send)
        return mid

    def _deliver(self, send: Callable[[smtplib.SMTP], None]) -> None:
        try:
            conn = self.pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            send(conn)
        except smtplib.SMTPServerDisconnected:
            # A kept-open connection the server closed meanwhile: one fresh try.
            conn = self._connect()
            try:
                send(conn)
            except BaseException:
                _quietly_close(conn)
                raise
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            conn.rset() if _alive(conn) else None
            self._release(conn)
            raise
        except BaseException:
            _quietly_close(conn)
            raise
        self._release(conn)

    def _release(self, conn: smtplib.SMTP) -> None:
        if self.pool.qsize() < self.settings.smtp_pool_size:
            self.pool.put(conn)
        else:
            _quietly_close(conn)

    async def send(self, message: Message) -> SendResult:
        if not message.email:
            return SendResult("rejected", "no email address")
        try:
            mid = await asyncio.get_running_loop().run_in_executor(self.executor, self._send_sync, message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return SendResult("rejected" if code >= 500 else "retry", f"SMTP {code} {text.decode(errors='replace')}",
                              destination=message.email)
        except smtplib.SMTPResponseException as exc:
            err = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            return SendResult("rejected" if exc.smtp_code >= 500 else "retry", f"SMTP {exc.smtp_code} {err}",
                              destination=message.email)
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult("retry", describe(exc), destination=message.email)
        return SendResult("sent", provider_id=mid, destination=message.email)

    async def close(self) -> None:
        self.executor.shutdown(wait=False)
        while True:
            try:
                _quietly_close(self.pool.get_nowait())
            except queue.Empty:
                return


def _alive(conn: smtplib.SMTP) -> bool:
    return getattr(conn, "sock", None) is not None


def _quietly_close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except Exception:  # already gone: nothing to release
        conn.close()
