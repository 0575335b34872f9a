"""Every failing field of a JSON body by JSON pointer: msgspec stops at the first error, this walk finds them all."""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

DecHook = Callable[[type, Any], Any]

REQUIRED = "required"
UNKNOWN = "unknown field"
MAX_ERRORS = 50
"""The most errors one problem lists (a huge invalid body must not cost seconds and megabytes to describe)."""


class _Enough(Exception):
    """Stops the walk once :data:`MAX_ERRORS` + 1 errors are known (the extra one says the list was cut)."""

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[([^\]]*)\]")
_UNIONS = (Union, types.UnionType)
_SEQUENCES = (list, tuple, set, frozenset, Sequence)


def json_pointer(parts: Sequence[str]) -> str:
    """Return the RFC 6901 pointer of ``parts`` (``["tags", "2"]`` → ``/tags/2``; the whole document is ``""``)."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def error_entry(parts: Sequence[str], error: msgspec.ValidationError | str) -> dict[str, str]:
    """One problem+json ``errors`` item from a msgspec error found at ``parts`` (its own ``- at `$…``` appended)."""
    message = str(error)
    found = _AT.search(message)
    if found:
        message = message[: found.start()]
        parts = [*parts, *(a or b for a, b in _PATH_PART.findall(found.group("path")))]
    return {"pointer": json_pointer(parts), "detail": message}


def body_errors(value: Any, annotation: Any, dec_hook: DecHook | None = None) -> list[dict[str, str]]:
    """Validate decoded JSON ``value`` against ``annotation``; return every failure as ``{"pointer", "detail"}``.

    Missing required fields (detail ``required``), unknown fields of ``forbid_unknown_fields`` structs (detail
    ``unknown field``), wrong types and ``msgspec.Meta`` constraints are each reported where they occur, recursing into
    nested structs, lists and dicts. Converts like Litestar does (``strict=False``), so an empty list means "valid".
    At most :data:`MAX_ERRORS` + 1 are returned: more than ``MAX_ERRORS`` means the list was cut (see
    :func:`truncated`).
    """
    out: list[dict[str, str]] = []
    try:
        _walk(value, annotation, [], out, dec_hook)
    except _Enough:
        pass
    return out


def truncated(errors: list[dict[str, str]]) -> tuple[list[dict[str, str]], bool]:
    """``(errors cut to MAX_ERRORS, whether any were cut)``."""
    return errors[:MAX_ERRORS], len(errors) > MAX_ERRORS


def _convert(value: Any, annotation: Any, dec_hook: DecHook | None) -> msgspec.ValidationError | None:
    try:
        msgspec.convert(value, annotation, strict=False, dec_hook=dec_hook, str_keys=True)
    except msgspec.ValidationError as exc:
        return exc
    return None


def _split(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """``Annotated[T, Meta(...)]`` → ``(T, (Meta(...),))``."""
    if get_origin(annotation) is Annotated:
        base, *metas = get_args(annotation)
        return base, tuple(metas)
    return annotation, ()


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


def _walk(value: Any, annotation: Any, path: list[str], out: list[dict[str, str]], dec_hook: DecHook | None) -> None:
    if len(out) > MAX_ERRORS:
        raise _Enough
    error = _convert(value, annotation, dec_hook)
    if error is None:
        return
    before = len(out)
    base, metas = _split(annotation)
    origin = get_origin(base)
    if origin in _UNIONS:
        members = [a for a in get_args(base) if a not in (type(None), msgspec.UnsetType)]
        if value is not None and len(members) == 1:  # ``X | None``: the error is X's
            _walk(value, members[0], path, out, dec_hook)
    elif _is_struct(base) and isinstance(value, dict):
        _walk_struct(value, base, path, out, dec_hook)
    elif origin in _SEQUENCES and isinstance(value, list):
        if metas and (whole := _convert(value, Annotated[(list[Any], *metas)], dec_hook)) is not None:
            out.append(error_entry(path, whole))  # the list's own constraint (min_length, max_length)
            return  # its items are not worth reporting one by one (and a huge list would cost seconds)
        items = get_args(base)
        for i, item in enumerate(value):
            if origin is tuple and items and items[-1] is not Ellipsis:
                if i < len(items):
                    _walk(item, items[i], [*path, str(i)], out, dec_hook)
            elif items:
                _walk(item, items[0], [*path, str(i)], out, dec_hook)
    elif origin is dict and isinstance(value, dict) and len(get_args(base)) == 2:
        if metas and (whole := _convert(value, Annotated[(dict[Any, Any], *metas)], dec_hook)) is not None:
            out.append(error_entry(path, whole))
            return
        for key, item in value.items():
            _walk(item, get_args(base)[1], [*path, str(key)], out, dec_hook)
    if len(out) == before:  # nothing more precise found (a scalar, a rule comparing fields): msgspec's own report
        out.append(error_entry(path, error))


def _walk_struct(value: dict[str, Any], struct: type[msgspec.Struct], path: list[str], out: list[dict[str, str]],
                 dec_hook: DecHook | None) -> None:
    config = struct.__struct_config__
    if config.array_like:
        return
    known = {config.tag_field} if config.tag_field else set()
    for field in msgspec.structs.fields(struct):
        known.add(field.encode_name)
        if field.encode_name in value:
            _walk(value[field.encode_name], field.type, [*path, field.encode_name], out, dec_hook)
        elif field.required:
            out.append({"pointer": json_pointer([*path, field.encode_name]), "detail": REQUIRED})
    if config.forbid_unknown_fields:
        for k in value:
            if k not in known:
                if len(out) > MAX_ERRORS:
                    raise _Enough
                out.append({"pointer": json_pointer([*path, str(k)]), "detail": UNKNOWN})
