"""Piccolo app of the admin panel."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="admin",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=table_finder(["admin_ui.tables"], exclude_imported=True),
    migration_dependencies=["core.users.piccolo_app"],  # the audit rows move to users first
    commands=[],
)
