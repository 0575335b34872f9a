"""Per-request (or per-job, per-command) context: the request id, the caller's address and where an action came from.

``request_id`` is read by logging and problem responses; the three together by the audit log (``core.audit``).
The HTTP middleware sets them for each request; jobs set ``origin`` to ``job:<actor name>``, commands to ``cli``.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
client_address: ContextVar[str | None] = ContextVar("client_address", default=None)
origin: ContextVar[str | None] = ContextVar("origin", default=None)
"""``api``, ``admin`` or ``http`` (by path), ``job:<actor name>``, ``cli``; None: not known (tests, start-up)."""
