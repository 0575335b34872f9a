"""Piccolo app of the media plugin."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="media",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=table_finder(["plugins.media.tables"], exclude_imported=True),
    migration_dependencies=["core.users.piccolo_app", "core.reports.piccolo_app"],  # reports: old reports carried over
    commands=[],
)
