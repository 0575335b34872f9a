"""Users: accounts, profiles, roles and permissions (core, shaped like a plugin, always enabled)."""

from __future__ import annotations

from core.manifest import Manifest

manifest = Manifest(name="users", version="0.1.0", summary="Accounts, profiles, roles and permissions")
