"""Hook implementations of the orders plugin: each a few lines, delegating."""

from __future__ import annotations

import os
from typing import Any

from core.hooks import hookimpl
from core.notifications import NotificationKind
from core.permissions import Permission
from core.realtime import RoomKind
from plugins.orders.hookspecs import PosAdapter


@hookimpl
def register_piccolo_app() -> Any:
    """The tables and migrations of orders."""
    from plugins.orders.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """orders.manage: the venue's staff (menus, the live queue, POS configuration)."""
    return [Permission("orders.manage", "Manage venues' menus, POS and incoming orders", admin_panel=True)]


@hookimpl
def register_routes() -> list[Any]:
    """The JSON API under /api/v1/orders; the POS adapters' contract is checked here, at start-up."""
    from plugins.orders import pos
    from plugins.orders.routes import OrderController, PosWebhookController, VenueMenuController

    pos.adapters()
    return [OrderController, VenueMenuController, PosWebhookController]


@hookimpl
def register_pos_adapters() -> list[PosAdapter]:
    """The built-in adapters: ``manual`` (the staff's live queue) and ``http`` (the Sbor POS protocol)."""
    from plugins.orders.http_adapter import HttpAdapter
    from plugins.orders.manual import ManualAdapter

    return [ManualAdapter(), HttpAdapter()]


@hookimpl
def register_actors() -> list[Any]:
    """Sending to the POS, cancelling there, menu sync, reconciliation, outgoing webhooks (contract checked)."""
    from plugins.orders import jobs, pos

    pos.adapters()
    return [jobs.send_to_pos, jobs.cancel_on_pos, jobs.sync_menu, jobs.reconcile, jobs.deliver_webhooks,
            jobs.housekeeping]


@hookimpl
def register_periodic_jobs() -> list[Any]:
    """Reconciliation every minute, outgoing webhooks every 10 s, housekeeping daily."""
    from datetime import timedelta

    from core.jobs import Periodic
    from plugins.orders import jobs

    return [Periodic(jobs.reconcile, every=timedelta(minutes=1)),
            Periodic(jobs.deliver_webhooks, every=timedelta(seconds=10)),
            Periodic(jobs.housekeeping, cron="30 4 * * *")]


@hookimpl
def register_deploy_checks() -> list[Any]:
    """``check --deploy``: credentials_keys given, not derived from the JWT keys (plugins/orders/checks.py)."""
    from plugins.orders.checks import credentials_keys_given

    return [credentials_keys_given]


@hookimpl
def register_metrics() -> list[Any]:
    """Venues whose POS circuit is open, by adapter, for Prometheus (plugins/orders/metrics.py)."""
    from plugins.orders.metrics import gauges

    return gauges()


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """orders.status: every move of my order."""
    from plugins.orders.notifications import KINDS

    return KINDS


@hookimpl
def register_template_dirs() -> list[str]:
    """The notification templates under ``templates/orders/notifications/<lang>/``."""
    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_realtime_rooms() -> list[RoomKind]:
    """``orders.order:<uuid>`` (the order's people) and ``orders.venue:<id>`` (staff's live queue)."""
    from plugins.orders.notifications import ROOMS

    return ROOMS


@hookimpl
def register_admin_pages() -> list[Any]:
    """The live queue of incoming orders (plugins/orders/admin.py)."""
    from plugins.orders.admin import contributions

    return contributions()


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """The user's orders."""
    from plugins.orders.api import export_user

    return {"orders": await export_user(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """A deleting account with orders the venue still works on is refused (409 open_orders); drafts go."""
    from plugins.orders.api import erase_user

    await erase_user(user_id)


# Support (optional: orders does not depend on support; pluggy leaves these unchecked while support is disabled)


@hookimpl(optionalhook=True)
async def ticket_subject_from_plugin(subject_type: str, subject_id: str, user_id: int) -> str | bool | None:
    """A support ticket may point at an order the user may see (``orders.order:<uuid>``); others are not found."""
    if subject_type != "orders.order":
        return None
    from plugins.orders.support import ticket_subject

    return await ticket_subject(subject_id, user_id)


@hookimpl(optionalhook=True)
async def user_context_for_support(user_id: int, permissions: frozenset[str]) -> dict[str, Any]:
    """Beside a support ticket: the user's latest orders."""
    from plugins.orders.support import user_context

    return await user_context(user_id, permissions)
