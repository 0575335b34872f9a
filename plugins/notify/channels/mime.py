"""Email messages as bytes: headers, RFC 2047 encoded-words and MIME parts, written directly for speed."""

from __future__ import annotations

import base64
import secrets
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

from core import clock
from plugins.notify.channels.base import Message


@lru_cache(maxsize=16)
def parse_sender(sender: str) -> tuple[str, str]:
    """``(name, address)`` of the configured sender: parsed once, not for every email (it showed in profiles)."""
    return parseaddr(sender)


@lru_cache(maxsize=4)
def _date(second: int) -> str:
    """The ``Date`` header for a second (formatted once per second, not per email)."""
    return formatdate(second, localtime=False, usegmt=True)


def message_id(idempotency_key: str, sender: str) -> str:
    """A stable ``Message-ID`` per notification and channel, so a receiving system can drop a resent copy."""
    domain = parse_sender(sender)[1].rpartition("@")[2] or "sbor.invalid"
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
    return [("From", _address(*parse_sender(sender))),
            ("To", _address(" ".join(message.display_name.split()), message.email or "")),
            ("Subject", encode_header(message.subject)),
            ("Date", _date(int(clock.timestamp()))),
            ("Message-ID", message_id(message.idempotency_key, sender)),
            ("Content-Language", message.language),
            ("X-Sbor-Notification", str(message.notification_id)),
            ("Auto-Submitted", "auto-generated")]


def _address(name: str, addr: str) -> str:
    if not name:
        return addr
    return formataddr((name, addr)) if name.isascii() else f"{encode_header(name)} <{addr}>"


@lru_cache(maxsize=1024)  # a chunk's emails mostly share their subject
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
