"""Email addresses and phone numbers: validated and normalised (lower-case email, E.164 phone)."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.errors import ValidationFailed


def normalise_email(raw: str, pointer: str = "/email") -> str:
    """Return the normalised, lower-cased address or raise 422."""
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed("Invalid email address", code="invalid_email",
                               errors=[{"pointer": pointer, "detail": str(exc)}]) from exc
    return info.normalized.lower()


def normalise_phone(raw: str, pointer: str = "/phone") -> str:
    """Return the number in E.164 (``+447911123456``) or raise 422. Numbers must carry their country code."""
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed("Invalid phone number", code="invalid_phone",
                               errors=[{"pointer": pointer, "detail": "Use international format, e.g. +447911123456"}]
                               ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("Invalid phone number", code="invalid_phone",
                               errors=[{"pointer": pointer, "detail": "Not a valid phone number"}])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_identifier(raw: str) -> tuple[str, str] | None:
    """``("email", addr)`` or ``("phone", e164)`` for a sign-in identifier; None when it is neither.

    No 422 here: a malformed identifier answers like an unknown account.
    """
    try:
        if "@" in raw:
            return "email", normalise_email(raw)
        return "phone", normalise_phone(raw)
    except ValidationFailed:
        return None


def mask(destination: str) -> str:
    """Show enough of an address for the user to recognise it: ``a***@example.org``, ``+44*******123``."""
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return destination[:3] + "*" * max(0, len(destination) - 6) + destination[-3:]
