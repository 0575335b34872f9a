"""The error tree. Services raise these; the app maps them to RFC 9457 problem+json in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SborError(Exception):
    """Base of every error the API reports to clients.

    ``code`` is stable and machine-readable (the mobile app branches on it); ``title`` is a short human summary;
    ``detail`` explains this occurrence; ``extra`` carries additional problem members (e.g. ``errors``).
    """

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        # ``detail`` is an English message from the catalogue (a literal: ``manage.py i18n extract`` finds it), with
        # ``%(name)s`` placeholders filled from ``params``, else from the ``extra`` members of the same name; the
        # client gets it translated (``Accept-Language``), ``self.detail`` is the English text (logs, tests).
        self.message = detail or self.title
        self.params: dict[str, Any] = dict(params or {})
        self.detail = _filled(self.message, {**extra, **self.params})
        super().__init__(self.detail)
        if code:
            self.code = code
        self.headers = headers or {}
        self.extra = extra

    @property
    def values(self) -> dict[str, Any]:
        """What the placeholders of the message are filled from (the extra members, then ``params``)."""
        return {**self.extra, **self.params}

    def localized(self) -> str:
        """The detail in the current language (``core.i18n``): what a client or a staff member reads."""
        from core import i18n  # here: the error tree is imported by everything, the catalogues only when shown

        return i18n.translate(self.message, self.values) or self.detail

    def localized_title(self) -> str:
        """The title in the current language."""
        from core import i18n

        return i18n.gettext(self.title)


def _filled(message: str, values: Mapping[str, Any]) -> str:
    """``message % values`` when it has placeholders (a message that does not fit its values stays as it is)."""
    if "%(" not in message:
        return message
    try:
        return message % values
    except (KeyError, ValueError, TypeError):
        return message


class ValidationFailed(SborError):
    """The request is well-formed but its content is invalid; ``errors`` lists fields by JSON pointer."""

    status = 422
    code = "validation_failed"
    title = "Validation failed"


class BadRequest(SborError):
    """The request could not be understood (malformed JSON, bad parameter)."""

    status = 400
    code = "bad_request"
    title = "Bad request"


class InvalidParameter(BadRequest):
    """A query, path or header parameter is invalid; ``errors`` lists ``{parameter, in, detail}`` for each."""

    code = "invalid_parameter"
    title = "Invalid parameter"


class NotAuthenticated(SborError):
    """No valid credentials were presented."""

    status = 401
    code = "not_authenticated"
    title = "Authentication required"


class PermissionDenied(SborError):
    """The caller is known but may not do this."""

    status = 403
    code = "permission_denied"
    title = "Permission denied"


class NotFound(SborError):
    """The resource does not exist (or the caller may not know it exists)."""

    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(SborError):
    """The request conflicts with the current state (illegal state move, duplicate, concurrent request)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class AlreadyExists(Conflict):
    """A unique rule refused the write; ``constraint`` names it.

    Core maps every ``asyncpg`` ``UniqueViolationError`` raised during a request here (409 ``already_exists``), so a
    service inserts without checking first. A rule over several columns is declared in ``tables.py`` with Piccolo's
    own ``piccolo.constraints.Unique`` (``--auto`` migrations create it); the attribute is the constraint's name, so
    make it unique in the plugin's schema: ``checkin_event_user_key = Unique([event, user])``.
    """

    code = "already_exists"
    title = "Already exists"

    def __init__(self, detail: str | None = None, *, constraint: str | None = None, **extra: Any) -> None:
        super().__init__(detail or "A record with these values already exists.", constraint=constraint, **extra)


class PreconditionFailed(SborError):
    """An ``If-Match`` precondition did not hold."""

    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class PayloadTooLarge(SborError):
    """The request body is larger than allowed."""

    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedMediaType(SborError):
    """The request body's content type is not accepted."""

    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class RateLimited(SborError):
    """Too many requests; ``Retry-After`` says when to try again."""

    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))}, **extra)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(SborError):
    """A dependency (database, Redis, a provider) is unavailable."""

    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


class ConfigError(Exception):
    """Start-up configuration is wrong. The message is one line naming the key or plugin and the cause."""
