"""Piccolo's configuration module (``PICCOLO_CONF=core.piccolo_conf``): the engine and the enabled plugins' apps.

It lets ``piccolo migrations new <plugin> --auto --desc=...`` work on any plugin, as in any Piccolo project.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from piccolo.conf.apps import AppRegistry

from core.db import engine
from core.hooks.manager import current


def _app_modules() -> list[str]:
    out = []
    for plugin in current().plugins:
        name = f"{plugin.info.module.__name__}.piccolo_app"
        if importlib.util.find_spec(name) is not None:
            out.append(name)
    return out


def __getattr__(name: str) -> Any:
    """``DB``: core's engine, looked up on each use, so ``core.db.reset_engine()`` reaches tables and migrations."""
    if name == "DB":
        return engine()
    raise AttributeError(name)


APP_REGISTRY = AppRegistry(apps=_app_modules())
