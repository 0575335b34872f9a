"""Declared form fields (``core.admin.Field``): typed input converted by kind, per-field errors, values shown back."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.admin import Field
from core.errors import SborError

TEXT_KINDS = ("text", "textarea", "secret", "email", "url")
MAX_TEXT = 1_000
MAX_TEXTAREA = 10_000
MAX_NUMBER = 40  # characters of an int or decimal input; more is never a real figure
INT_RANGE = 2**63
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED = "This field is required."


def max_length(f: Field) -> int:
    """The longest text accepted for ``f``: its ``max_length``, else the kind's default."""
    if f.max_length is not None:
        return f.max_length
    return MAX_TEXTAREA if f.kind == "textarea" else MAX_TEXT


def zone(name: str) -> ZoneInfo:
    """The staff member's time zone, UTC when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def raw_of(fields: Sequence[Field], form: Mapping[str, Any]) -> dict[str, Any]:
    """What was typed, per field (strings; a list for multichoice): shown back when the form is re-shown."""
    out: dict[str, Any] = {}
    for f in fields:
        v = form.get(f.name)
        if f.kind == "multichoice":
            out[f.name] = [str(x) for x in v] if isinstance(v, list) else ([] if v is None else [str(v)])
        elif f.kind == "secret":
            out[f.name] = ""  # never sent back to the browser
        else:
            out[f.name] = str(v[-1] if isinstance(v, list) else v) if v is not None else ""
    return out


def convert(fields: Sequence[Field], form: Mapping[str, Any], timezone: str = "UTC",
            ) -> tuple[dict[str, Any], dict[str, str]]:
    """Convert a POSTed form by the fields' kinds; return ``(values, errors by field name)``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = form.get(f.name)
        try:
            values[f.name] = _one(f, raw, timezone)
        except ValueError as exc:
            errors[f.name] = str(exc)
    return values, errors


def _one(f: Field, raw: Any, timezone: str) -> Any:
    if f.kind == "multichoice":
        picked = [str(x) for x in raw] if isinstance(raw, list) else ([] if raw is None else [str(raw)])
        allowed = {value for value, _label in f.choices}
        if any(p not in allowed for p in picked):
            raise ValueError("Pick from the list.")
        if f.required and not picked:
            raise ValueError(REQUIRED)
        return picked
    text = str(raw[-1] if isinstance(raw, list) else raw) if raw is not None else ""
    if f.kind == "bool":
        on = text.lower() in ("1", "on", "true", "yes")
        if f.required and not on:
            raise ValueError(REQUIRED)
        return on
    if f.kind in TEXT_KINDS:
        limit = max_length(f)
        if len(text) > limit:
            raise ValueError(f"At most {limit} characters, please (this is {len(text)}).")
        text = text.strip() if f.kind != "secret" else text
    else:
        if len(text) > 200:
            raise ValueError("This value is far too long.")
        text = text.strip()
    if not text:
        if f.required:
            raise ValueError(REQUIRED)
        return None if f.kind not in TEXT_KINDS or f.kind == "secret" else ""
    if f.kind == "email" and not EMAIL.match(text):
        raise ValueError("Enter an email address like name@example.org.")
    if f.kind == "url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("Enter a web address starting with https://.")
    if f.kind in TEXT_KINDS:
        return text
    if f.kind == "int":
        if len(text) > MAX_NUMBER or not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError("Enter a whole number.")
        number = int(text)
        if not -INT_RANGE < number < INT_RANGE:
            raise ValueError("This number is too large.")
        return number
    if f.kind == "decimal":
        try:
            if len(text) > MAX_NUMBER:
                raise InvalidOperation
            dec = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueError("Enter a number (like 12.5).") from None
        if not dec.is_finite():
            raise ValueError("Enter a number (like 12.5).")
        return dec
    if f.kind == "choice":
        if text not in {value for value, _label in f.choices}:
            raise ValueError("Pick from the list.")
        return text
    if f.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    # datetime: the browser's datetime-local value, read in the staff member's time zone
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("Enter a date and time as YYYY-MM-DD HH:MM.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment


def shown(fields: Sequence[Field], current: Mapping[str, Any] | None, timezone: str = "UTC") -> dict[str, Any]:
    """Values to pre-fill a form with: the object's current values (or the fields' defaults) as input strings."""
    out: dict[str, Any] = {}
    for f in fields:
        v = current.get(f.name, f.default) if current is not None else f.default
        if f.kind == "secret":
            out[f.name] = ""
        elif f.kind == "multichoice":
            out[f.name] = [str(x) for x in (v or [])]
        elif f.kind == "bool":
            out[f.name] = "on" if v else ""
        elif v is None:
            out[f.name] = ""
        elif isinstance(v, datetime):
            local = v.astimezone(zone(timezone)) if v.tzinfo else v
            out[f.name] = local.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(v, date):
            out[f.name] = v.isoformat()
        else:
            out[f.name] = str(v)
    return out


def errors_of(exc: SborError, fields: Sequence[Field]) -> tuple[dict[str, str], str]:
    """A ``ValidationFailed``'s errors by field (pointers ``/<field>``), and the message for the rest."""
    names = {f.name for f in fields}
    by_field: dict[str, str] = {}
    rest: list[str] = []
    for item in exc.extra.get("errors") or []:
        if not isinstance(item, Mapping):
            continue
        pointer = str(item.get("pointer") or "")
        name = pointer.lstrip("/").split("/")[0]
        detail = str(item.get("detail") or exc.detail)
        if name in names and name not in by_field:
            by_field[name] = detail
        else:
            rest.append(detail)
    general = "; ".join(rest) if rest else ("" if by_field else exc.detail)
    return by_field, general
