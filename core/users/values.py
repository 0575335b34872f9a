"""Profile values msgspec cannot check by itself: a language tag's shape and a known IANA time zone."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from core.errors import ValidationFailed


def check_profile_values(language: str | None = None, timezone: str | None = None) -> None:
    """Validate a language tag and an IANA time zone (422 with pointers)."""
    errors = []
    if language is not None and not (2 <= len(language) <= 16 and all(c.isalnum() or c == "-" for c in language)):
        errors.append({"pointer": "/language", "detail": "A language tag such as 'en' or 'pt-BR'"})
    if timezone is not None and timezone not in _timezones():
        errors.append({"pointer": "/timezone", "detail": "An IANA time zone such as 'Europe/Berlin'"})
    if errors:
        raise ValidationFailed("Invalid profile values", errors=errors)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())
