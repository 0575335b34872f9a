"""The email channel against a real SMTP server: envelope replies, address quoting, one EHLO, a deadline per email."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from plugins.notify import NotifySettings
from plugins.notify.channels.base import Message
from plugins.notify.channels.email import EmailChannel
from tests.plugins.notify.conftest import free_port


@dataclass
class Scripted:
    """An SMTP server whose MAIL/RCPT/DATA replies a test scripts (``None``: accept)."""

    mail: str | None = None
    rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply
    stall: threading.Event | None = None  # DATA waits for it (a server that stops answering)
    ehlo: list[str] = field(default_factory=list)
    received: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        self.ehlo.append(hostname)
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.mail:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.rcpt:
            return self.rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.stall.wait, 10)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


@pytest.fixture
def server() -> Iterator[tuple[Scripted, int]]:
    handler = Scripted()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        if handler.stall is not None:
            handler.stall.set()
        controller.stop()


def channel(port: int, **over: Any) -> EmailChannel:
    settings = NotifySettings(channels=["email"], smtp_host="127.0.0.1", smtp_port=port,
                              smtp_from="Sbor <no-reply@sbor.test>", smtp_connections=1,
                              smtp_local_hostname="worker.sbor.test", **over)
    return EmailChannel(settings)


def message(n: int, email: str) -> Message:
    return Message(notification_id=n, idempotency_key=f"n{n}:email", kind="events.reminder", user_id=n,
                   language="en", subject="Reminder", short="", text="Hello\n", html="", data={}, email=email)


async def test_refused_recipients_and_senders_are_classified_and_the_connection_goes_on(server) -> None:
    handler, port = server
    handler.rcpt = {"gone@example.org": "550 5.1.1 No such user", "full@example.org": "452 4.2.2 Mailbox full"}
    email = channel(port)
    async with email.batch():  # one connection for all four: a refusal leaves it usable
        gone = await email.send(message(1, "gone@example.org"))
        full = await email.send(message(2, "full@example.org"))
        ok = await email.send(message(3, "ann@example.org"))
        handler.mail = "553 5.7.1 Sender not allowed"
        refused = await email.send(message(4, "bob@example.org"))
    assert (gone.outcome, full.outcome, ok.outcome, refused.outcome) == ("rejected", "retry", "sent", "rejected")
    assert "550" in gone.error and "452" in full.error and "553" in refused.error
    assert ok.provider_id == "<n3.email@sbor.test>" and ok.destination == "ann@example.org"
    assert handler.received == [("no-reply@sbor.test", ["ann@example.org"])]
    assert handler.ehlo == ["worker.sbor.test"]  # once, with the configured name, for the whole batch


async def test_an_address_that_needs_quoting_goes_through_aiosmtplib(server) -> None:
    handler, port = server
    email = channel(port)
    async with email.batch():
        plain = await email.send(message(1, "o'brien+tag@example.org"))
        quoted = await email.send(message(2, '"ann smith"@example.org'))
    assert plain.outcome == quoted.outcome == "sent"
    assert [to for _f, to in handler.received] == [["o'brien+tag@example.org"], ['"ann smith"@example.org']]


async def test_a_server_that_stops_answering_is_a_temporary_failure(server) -> None:
    handler, port = server
    handler.stall = threading.Event()
    email = channel(port, smtp_timeout_s=0.3)
    async with email.batch():
        result = await email.send(message(1, "ann@example.org"))
    assert result.outcome == "retry" and "Timeout" in result.error
    handler.stall.set()
