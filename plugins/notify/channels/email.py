"""Email over SMTP with aiosmtplib: connections reused within a delivery batch (a chunk), reopened on failure."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import aiosmtplib

from plugins.notify import NotifySettings
from plugins.notify.channels.base import Message, SendResult, describe
from plugins.notify.channels.mime import build_email, build_email_bytes, parse_sender

log = logging.getLogger("plugins.notify.email")


# An address aiosmtplib would quote unchanged (``quote_address`` parses each one again: a tenth of an email's CPU).
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _envelope(command: bytes, address: str) -> bytes | None:
    """``FROM:<a@b>`` / ``TO:<a@b>`` for a plain ASCII address, else None (aiosmtplib's own quoting is used)."""
    return command + b":<" + address.encode() + b">" if _PLAIN_ADDRESS.fullmatch(address) else None


@lru_cache(maxsize=1)
def _fqdn() -> str:
    return socket.getfqdn()


async def local_hostname(configured: str) -> str:
    """The name given in EHLO: the setting, else this machine's FQDN, looked up once per process.

    aiosmtplib would look it up in a thread for every connection.
    """
    if configured:
        return configured
    if _fqdn.cache_info().currsize:
        return _fqdn()
    return await asyncio.to_thread(_fqdn)


def _wire_ready(raw: bytes) -> bool:
    """Whether ``raw`` can follow DATA unchanged: CRLF line ends only, no line starting with a period.

    What :func:`build_email_bytes` writes (base64 bodies, folded headers) always is; checked anyway (a few scans in C)
    so that aiosmtplib's ``data`` (two regular expressions over the message: a tenth of a worker's CPU per email) is
    needed only when it is not.
    """
    crlf = raw.count(b"\r\n")
    return (crlf == raw.count(b"\n") == raw.count(b"\r") and raw.endswith(b"\r\n") and not raw.startswith(b".")
            and b"\n." not in raw)


class _Session:
    """The SMTP connections of one batch: each is opened on first need and reused by the batch's next messages."""

    def __init__(self, size: int) -> None:
        self.slots = asyncio.Semaphore(max(1, size))
        self.idle: list[aiosmtplib.SMTP] = []


_session: ContextVar[_Session | None] = ContextVar("sbor_notify_smtp_session", default=None)


class EmailChannel:
    """SMTP delivery. Permanent SMTP replies (5xx) reject the channel; 4xx and network errors are retried.

    Inside :meth:`batch` (the delivery of one chunk) messages reuse the batch's connections, at most
    ``smtp_connections`` of them, opened on first need and closed at the end; a kept connection the server dropped
    meanwhile is opened again once. Outside a batch each message gets a connection of its own.
    """

    name = "email"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def available_for(self, message: Message) -> bool:
        return bool(message.email) and bool(self.settings.smtp_host)

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Share SMTP connections between the sends of this block (the delivery of one chunk)."""
        session = _Session(self.settings.smtp_connections)
        token = _session.set(session)
        try:
            yield
        finally:
            _session.reset(token)
            for conn in session.idle:
                await _quietly_close(conn)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.settings
        conn = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_s,
                               local_hostname=await local_hostname(s.smtp_local_hostname),
                               use_tls=s.smtp_ssl, start_tls=bool(s.smtp_starttls) and not s.smtp_ssl,
                               tls_context=ssl.create_default_context() if s.smtp_ssl or s.smtp_starttls else None,
                               username=s.smtp_username or None, password=s.smtp_password or None)
        await conn.connect()
        if conn.is_ehlo_or_helo_needed:  # now, once: the messages' commands go through ``execute_command``
            try:
                await conn.ehlo()
            except aiosmtplib.SMTPHeloError:
                await conn.helo()
        return conn

    async def _deliver(self, send: Callable[[aiosmtplib.SMTP], Awaitable[Any]]) -> None:
        session = _session.get()
        if session is None:  # not in a batch: a connection of its own
            async with self.batch():
                return await self._deliver(send)
        async with session.slots:
            conn = session.idle.pop() if session.idle else None
            if conn is not None and conn.is_connected:
                try:
                    return await self._on(session, conn, send)
                except aiosmtplib.SMTPServerDisconnected:
                    pass  # a kept-open connection the server closed meanwhile: one fresh try
            await self._on(session, await self._connect(), send)

    async def _on(self, session: _Session, conn: aiosmtplib.SMTP,
                  send: Callable[[aiosmtplib.SMTP], Awaitable[Any]]) -> None:
        try:
            await send(conn)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            session.idle.append(conn)  # an answer about this message: the connection stays usable (RSET was sent)
            raise
        except BaseException:
            await _quietly_close(conn)
            raise
        session.idle.append(conn)

    async def send(self, message: Message) -> SendResult:
        if not message.email:
            return SendResult("rejected", "no email address")
        sender, to = self.settings.smtp_from, message.email
        envelope_from = parse_sender(sender)[1]
        send: Callable[[aiosmtplib.SMTP], Awaitable[Any]]
        if (envelope_from + to).isascii():
            raw, mid = build_email_bytes(message, sender)
            wire_ready = _wire_ready(raw)
            timeout = self.settings.smtp_timeout_s
            mail_from, rcpt_to = _envelope(b"FROM", envelope_from), _envelope(b"TO", to)

            async def send(conn: aiosmtplib.SMTP) -> None:
                # The three commands, not ``sendmail``: it parses both addresses again and scans the bytes for a
                # SIZE the server does not need (a fifth of a worker's CPU per email). Plain addresses go through
                # ``execute_command`` already quoted; the replies are checked as ``mail``/``rcpt`` check them. One
                # deadline for the message rather than a timer per command. The bytes are built with CRLF and base64
                # bodies, so no line starts with a period: they follow DATA as they are (``data`` if ever not).
                try:
                    async with asyncio.timeout(timeout):
                        if mail_from is None:
                            await conn.mail(envelope_from, timeout=None)
                        else:
                            reply = await conn.execute_command(b"MAIL", mail_from, timeout=None)
                            if reply.code != 250:
                                raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, envelope_from)
                        if rcpt_to is None:
                            await conn.rcpt(to, timeout=None)
                        else:
                            reply = await conn.execute_command(b"RCPT", rcpt_to, timeout=None)
                            if reply.code not in (250, 251):
                                raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, to)
                        if wire_ready:  # DATA, then the bytes as they are (see _wire_ready)
                            reply = await conn.execute_command(b"DATA", timeout=None)
                            if reply.code != 354:
                                raise aiosmtplib.SMTPDataError(reply.code, reply.message)
                            assert conn.protocol is not None  # connected: execute_command just answered
                            conn.protocol.write(raw + b".\r\n")
                            reply = await conn.protocol.read_response(timeout=None)
                            if reply.code != 250:
                                raise aiosmtplib.SMTPDataError(reply.code, reply.message)
                        else:
                            await conn.data(raw, timeout=None)
                except aiosmtplib.SMTPResponseException:
                    with suppress(aiosmtplib.SMTPException, ConnectionError, TimeoutError):
                        await conn.rset()  # a clean envelope for the batch's next message
                    raise
        else:  # an international address: aiosmtplib negotiates SMTPUTF8
            mime = build_email(message, sender)
            mid = str(mime["Message-ID"])

            def send(conn: aiosmtplib.SMTP) -> Awaitable[Any]:
                return conn.send_message(mime, recipients=[to])
        try:
            await self._deliver(send)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return SendResult("rejected" if refused.code >= 500 else "retry", f"SMTP {refused.code} {refused.message}",
                              destination=to)
        except aiosmtplib.SMTPResponseException as exc:
            return SendResult("rejected" if exc.code >= 500 else "retry", f"SMTP {exc.code} {exc.message}",
                              destination=to)
        except (OSError, aiosmtplib.SMTPException) as exc:
            return SendResult("retry", describe(exc), destination=to)
        return SendResult("sent", provider_id=mid, destination=to)

    async def close(self) -> None:
        return None  # connections live only as long as their batch


async def _quietly_close(conn: aiosmtplib.SMTP) -> None:
    if not conn.is_connected:
        return
    try:
        await asyncio.wait_for(conn.quit(), timeout=5)
    except Exception:  # already gone, or a slow goodbye: drop the socket
        with suppress(Exception):
            conn.close()
