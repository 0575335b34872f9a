"""Piccolo app of the search plugin."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="search",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=table_finder(["plugins.search.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
