"""Contact screening: does a chat message carry a phone number or an email (held back in anonymous chats)?

Found: ``+7 (999) 123-45-67``, ``8 999 123 45 67``, ``89991234567``, ``999 123 45 67``, ``+44 7911 123456``,
``123-456-7890``, digits spelled out with separators (``8-9-9-9-1-2-3-4-5-6-7``, ``8.999.123.45.67``),
``name@host.tld``, ``name (at) host (dot) com``, ``name at host dot com``, the Russian ``sobaka``/``tochka`` for at/dot.
Not found: times, dates and prices (``19:00``, ``2026-12-01 19:00``, ``01.12.2026``, ``1500 RUB``,
``1 500 000 ₽``), and lists of numbers written with spaces (``500 1000 1500``).

A run of digits joined by up to three separators (spaces, ``-``, ``.``, ``(``, ``)``, ``/``, ``_``, ``*``) counts as
a phone number when it has at least 10 digits and either starts with ``+``, has brackets, has no spaces in it, or
starts with 7, 8 or 9 (Russian numbers: the country code or the mobile prefix). Dates and times are taken out first.
"""

from __future__ import annotations

import re

_DATE_TIME = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\b"  # 2026-12-01, 2026-12-01T19:00
    r"|\b(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])[./](?:\d{4}|\d{2})\b"  # 01.12.2026, 1/12/26
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"  # 19:00, 7:30:15
)
_DIGIT_RUN = re.compile(r"\+?\(?\d(?:[\s\-.()/_*]{0,3}\d)+\)?")
_EMAIL = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"  # name@host.tld
    r"|[\w.+-]+\s*(?:[(\[{<]\s*(?:at|собака)\s*[)\]}>]|@)\s*[\w-]+"  # name (at) host (dot|.) tld
    r"(?:\s*(?:[(\[{<]\s*(?:dot|точка)\s*[)\]}>]|\.)\s*[\w-]+)*\s*(?:[(\[{<]\s*(?:dot|точка)\s*[)\]}>]|\.)\s*[^\W\d_]{2,}"
    r"|\b[\w.+-]+\s+(?:at|собака)\s+[\w-]+(?:\s+(?:dot|точка)\s+[\w-]+)*\s+(?:dot|точка)\s+[^\W\d_]{2,}\b",
    re.IGNORECASE,
)


def _is_phone(run: str) -> bool:
    digits = [c for c in run if c.isdigit()]
    if len(digits) < 10:
        return False
    spaced = any(c.isspace() for c in run)
    return run.startswith("+") or "(" in run or ")" in run or not spaced or digits[0] in "789"


def phone_numbers(text: str) -> list[str]:
    """The phone numbers found in ``text``, as written."""
    cleaned = _DATE_TIME.sub(" x ", text)
    return [m.group(0).strip() for m in _DIGIT_RUN.finditer(cleaned) if _is_phone(m.group(0))]


def emails(text: str) -> list[str]:
    """The email addresses found in ``text`` (plain or spelled out), as written."""
    return [m.group(0) for m in _EMAIL.finditer(text)]


def has_contacts(text: str) -> bool:
    """Whether ``text`` holds a phone number or an email address."""
    return bool(emails(text) or phone_numbers(text))
