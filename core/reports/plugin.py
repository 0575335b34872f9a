"""Hook implementations of reports."""

from __future__ import annotations

from typing import Any

from core.hooks import hookimpl
from core.notifications import NotificationKind
from core.permissions import Permission
from core.reports.types import ReportableType


@hookimpl
def register_piccolo_app() -> Any:
    """Reports' tables and migrations."""
    from core.reports.piccolo_app import APP_CONFIG

    return APP_CONFIG


@hookimpl
def register_permissions() -> list[Permission]:
    """Deciding reports; editing the blocklists."""
    return [
        Permission("reports.moderate", "Decide reports (dismiss, uphold, hide, remove)", admin_panel=True),
        Permission("reports.blocklist", "Edit the screening blocklists", admin_panel=True),
    ]


@hookimpl
def register_routes() -> list[Any]:
    """``/reports``, ``/me/reports``."""
    from core.reports.routes import MyReportController, ReportController

    return [ReportController, MyReportController]


@hookimpl
def register_admin_pages() -> list[Any]:
    """The report queue and the blocklists."""
    from core.reports.admin import contributions

    return contributions()


@hookimpl
def register_notification_kinds() -> list[NotificationKind]:
    """A moderator's warning to the author of reported content."""
    from core.reports.services import WARNING

    return [NotificationKind(WARNING, label="A moderator's warning about my content",
                             description="When people reported something of mine and a moderator warns me.")]


@hookimpl
def register_template_dirs() -> list[str]:
    """The warning's templates under ``templates/reports/notifications/<lang>/``."""
    import os

    return [os.path.join(os.path.dirname(__file__), "templates")]


@hookimpl
def register_reportable_types() -> list[ReportableType]:
    """People (``users.user``)."""
    from core.reports.users import user_type

    return [user_type()]


@hookimpl
async def admin_user_sections(user_id: int, permissions: frozenset[str]) -> list[dict[str, Any]]:
    """On a user's page in the panel: the reports they made and received."""
    from core.reports.user_page import sections

    return await sections(user_id, permissions)


@hookimpl
async def user_data_export(user_id: int) -> dict[str, Any]:
    """The reports the user filed."""
    from core.reports.services import export_user

    return {"reports": await export_user(user_id)}


@hookimpl
async def user_erasure(user_id: int) -> None:
    """A deleted account's report texts go."""
    from core.reports.services import erase_user

    await erase_user(user_id)


# Support (optional: reports does not depend on support; pluggy leaves this unchecked while support is disabled)


@hookimpl(optionalhook=True)
async def user_context_for_support(user_id: int, permissions: frozenset[str]) -> dict[str, Any]:
    """Beside a support ticket: reports the user made and reports against their content."""
    from core.reports.services import support_context

    return await support_context(user_id, permissions)


@hookimpl(optionalhook=True)
async def ticket_subject_from_plugin(subject_type: str, subject_id: str, user_id: int) -> str | bool | None:
    """A support ticket may point at a report the user filed (``reports.report:<id>``); others are not found."""
    if subject_type != "reports.report":
        return None
    from core.reports.tables import Report

    if not subject_id.isdigit() or len(subject_id) > 12:
        return False
    row = await Report.select(Report.target_type, Report.target_id, Report.reason).where(
        (Report.id == int(subject_id)) & (Report.reporter == user_id)).first()
    return False if row is None else f"Report #{subject_id}: {row['target_type']} {row['target_id']} ({row['reason']})"
