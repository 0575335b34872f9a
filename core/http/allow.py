"""Address allow-lists for endpoints that are never public: ``/metrics`` and, when configured, the OpenAPI document.

One check for both (``observability.metrics_allow``, ``http.openapi_allow``): the caller's address, as
:func:`core.http.middleware.client_ip` judges it, must fall in one of the listed networks. A request that came through a
proxy which is not in ``http.trusted_proxies`` (it carries ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP``) is
refused: a reverse proxy on the same host would otherwise make every visitor look like loopback.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from litestar import Router
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from core.errors import ConfigError, NotFound
from core.http.middleware import Scope, client_ip
from core.settings import get_settings

FORWARDING_HEADERS = {b"x-forwarded-for", b"forwarded", b"x-real-ip"}
OPENAPI_ALLOW = "http.openapi_allow"


@lru_cache(maxsize=16)
def networks(allow: tuple[str, ...], setting: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Parse an allow-list; a bad entry stops start-up naming ``setting`` and the entry."""
    out = []
    for entry in allow:
        try:
            out.append(ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"settings: {setting}: {entry!r} is not an address or network") from exc
    return tuple(out)


def address_allowed(scope: Scope, allow: list[str] | tuple[str, ...], setting: str) -> bool:
    """Whether the caller of ``scope`` is in ``allow`` (the value of ``setting``), per the module's docstring."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if peer not in get_settings().http.trusted_proxies and any(
            k in FORWARDING_HEADERS for k, _ in scope.get("headers", [])):
        return False
    try:
        address = ip_address(client_ip(scope))
    except ValueError:
        return False
    return any(address in net for net in networks(tuple(allow), setting))


def openapi_router(path: str, allow: list[str]) -> Router | None:
    """The router of the OpenAPI document and its pages, answering only ``allow`` (None: Litestar's own, public).

    Anyone else gets the 404 problem of an unknown path, from a guard (so every page under ``path`` is covered,
    including those the render plugins add). A bad entry stops start-up here.
    """
    if not allow:
        return None
    networks(tuple(allow), OPENAPI_ALLOW)

    def only_allowed(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        now = get_settings().http.openapi_allow  # read per request, as metrics_allow is (empty: public)
        if now and not address_allowed(connection.scope, now, OPENAPI_ALLOW):
            raise NotFound("No such object.")

    return Router(path, route_handlers=[], include_in_schema=False, guards=[only_allowed])
