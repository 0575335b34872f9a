"""Which backend serves: the configured one for searches; PostgreSQL always indexed too (the default and fallback)."""

from __future__ import annotations

from core.hooks import plugin_settings
from plugins.search import SearchSettings
from plugins.search.backends import Backend
from plugins.search.backends.postgres import PostgresBackend
from plugins.search.backends.typesense import TypesenseBackend

_postgres = PostgresBackend()
_typesense: dict[int, TypesenseBackend] = {}


def postgres() -> PostgresBackend:
    """The PostgreSQL backend (search's own tables)."""
    return _postgres


def typesense() -> TypesenseBackend:
    """The Typesense backend for the current settings (tests switch settings; each gets its own clients)."""
    settings = plugin_settings(SearchSettings)
    found = _typesense.get(id(settings))
    if found is None or found.settings is not settings:
        found = _typesense[id(settings)] = TypesenseBackend(settings)
    return found


def active() -> Backend:
    """The backend searches go to."""
    return typesense() if plugin_settings(SearchSettings).backend == "typesense" else _postgres


def targets() -> list[str]:
    """The indexes every change goes to: PostgreSQL, and Typesense when it is the backend."""
    return ["postgres", "typesense"] if plugin_settings(SearchSettings).backend == "typesense" else ["postgres"]


def by_target(target: str) -> Backend:
    """The backend of an outbox target."""
    return typesense() if target == "typesense" else _postgres
