"""Error reports to Sentry (or any service that speaks its protocol) when ``observability.sentry_dsn`` is set.

What is reported: unhandled errors (core logs them with ``log.exception``; Sentry's logging integration turns an
ERROR record into an event), tagged with the request id the client saw in ``X-Request-ID``. What never is: personal
data and secrets. ``send_default_pii`` is off, local variables are not sent, request bodies are not sent, and every
event passes :func:`scrub` (``before_send``): values under keys that name a secret or a contact (authorization,
cookie, password, token, email, phone…) become ``[Filtered]``, and emails, phone numbers, bearer tokens and JWTs
inside any string are masked.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger("core.observability")

FILTERED = "[Filtered]"
SECRET_KEY = re.compile(r"authorization|cookie|passw|secret|token|api[-_]?key|dsn|session|csrf|otp|recovery|"
                        r"email|e-mail|phone|destination|credential|signature", re.IGNORECASE)
MASKS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [Filtered]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), FILTERED),  # a JWT
    (re.compile(r"[\w.%+-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"(?<![\w+])\+\d[\d\s()-]{8,18}\d(?!\w)"), "[phone]"),  # international (E.164 and written out)
    (re.compile(r"(?<![\w.])8[\s(-]*9\d{2}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?![\w.])"), "[phone]"),  # 8 9xx … (RU)
]
_initialised = False
running_job: ContextVar[str | None] = ContextVar("sbor_running_job", default=None)
"""The job a worker thread is running (set by the Dramatiq middleware), for the ``job`` tag of its reports."""


def mask(text: str) -> str:
    """``text`` with emails, phone numbers, bearer tokens and JWTs masked."""
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any, key: str = "") -> Any:
    """A copy of ``value`` (an event or a part of it) without secrets or contact details."""
    if key and SECRET_KEY.search(key):
        return FILTERED if value not in (None, "", [], {}) else value
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Header lists come as [name, value] pairs: judge the value by the name.
        if len(value) == 2 and isinstance(value[0], str) and SECRET_KEY.search(value[0]):
            return [value[0], FILTERED]
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return mask(value)
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Tag the event with the request id (or the running job), then scrub it."""
    from core.http.context import request_id

    rid, job = request_id.get(), running_job.get()
    if rid:
        event.setdefault("tags", {})["request_id"] = rid
    if job:
        event.setdefault("tags", {})["job"] = job
    scrubbed: dict[str, Any] = scrub(event)
    return scrubbed


def configure(settings: Settings) -> bool:
    """Start the Sentry client when a DSN is configured (once per process); returns whether reports are sent."""
    global _initialised
    obs = settings.observability
    if _initialised or not obs.sentry_dsn:
        return _initialised
    import sentry_sdk

    import core

    sentry_sdk.init(
        dsn=obs.sentry_dsn,
        environment=obs.sentry_environment or settings.env,
        release=f"sbor@{core.__version__}",
        sample_rate=obs.sentry_sample_rate,
        # send_default_pii stays at its default, off (no user ip, cookies or headers); sentry-sdk 2.7x deprecates
        # passing it. include_local_variables off as well: locals may hold anything.
        include_local_variables=False,
        max_request_body_size="never",
        auto_enabling_integrations=False,  # no patching of Litestar, asyncpg or Dramatiq behind our back
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=lambda crumb, hint: scrub(crumb),
    )
    _initialised = True
    log.info("error reports go to Sentry (%s)", obs.sentry_environment or settings.env)
    return True


def shutdown() -> None:
    """Send what is queued and stop the client (tests; process exit does it by itself)."""
    global _initialised
    if not _initialised:
        return
    import sentry_sdk

    sentry_sdk.flush(timeout=5)
    client = sentry_sdk.get_client()
    client.close()
    _initialised = False
