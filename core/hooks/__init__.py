"""Plugin hooks: ``hookimpl`` to implement one, and typed calls checked by mypy against the spec.

A hook is called through its specification function, never by a string name, so mypy checks the arguments and
the result, and a misspelt hook cannot be written::

    from sbor_hello import hookspecs          # a plugin's own specs, or those of a plugin in its depends

    await hooks.notify(hookspecs.greeting_made, greeting_id=1, name="Ivan", message="Hi", wall="lobby", author_id=7)
    shared = await hooks.first(core_specs.users_share_context, viewer_id=1, owner_id=2)   # -> bool | None
    parts = await hooks.call(core_specs.user_data_export, user_id=7)                      # -> list[dict[str, Any]]

Which function to use follows the spec's failure policy (checked at run time too):

* :func:`notify` for ``@notification`` specs: every implementation runs, a failing one is logged; returns None.
* :func:`first` for ``firstresult=True`` specs: the first non-None result, errors propagate.
* :func:`call` for the others (``@decision`` and collecting specs): the non-None results in call order, errors
  propagate.
* ``registry.hooks.collect(spec)`` for the ``register_*`` specs called at start-up (synchronous).

Implementations take keyword arguments only (pluggy's rule), any subset of the spec's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from core.hooks.markers import PROJECT, hookimpl, hookspec
from core.hooks.registry import current

if TYPE_CHECKING:
    import msgspec

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="msgspec.Struct")


async def notify(spec: Callable[P, None], /, *args: P.args, **kwargs: P.kwargs) -> None:
    """Call a ``@notification`` hook on the current plugin set; failures are logged, never raised."""
    await current().hooks.notify(spec, *args, **kwargs)


async def first(spec: Callable[P, R | None], /, *args: P.args, **kwargs: P.kwargs) -> R | None:
    """Call a ``firstresult=True`` hook on the current plugin set: the first non-None answer, or None."""
    return await current().hooks.first(spec, *args, **kwargs)


async def call(spec: Callable[P, R | None], /, *args: P.args, **kwargs: P.kwargs) -> list[R]:
    """Call a hook that collects results (or decides) on the current plugin set; errors propagate."""
    return await current().hooks.call(spec, *args, **kwargs)


def plugin_settings(settings_type: type[S]) -> S:
    """The settings of the enabled plugin whose manifest declares ``settings_type``, typed as that class.

    The one way to read a plugin's settings: ``plugin_settings(EventsSettings).max_guests``. Raises ``LookupError``
    when no enabled plugin declares that class.
    """
    return current().settings(settings_type)


__all__ = ["PROJECT", "call", "first", "hookimpl", "hookspec", "notify", "plugin_settings"]
