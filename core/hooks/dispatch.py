"""The await-aware hook dispatcher: order, failure policy and ``async def`` implementations in one place."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import pluggy

from core.hooks.policy import policy_of

log = logging.getLogger("core.hooks")

# The registry whose hooks are being called: implementations asking ``core.hooks.manager.current()`` (for their
# settings, say) get the plugin set that called them, even while another one is the process's default (tests).
calling_registry: ContextVar[Any] = ContextVar("calling_registry", default=None)


class HookDispatcher:
    """Calls hooks of a loaded plugin set.

    pluggy holds the specs, validates implementations and sorts them (``tryfirst``/``trylast``, registration order);
    this class adds what pluggy does not do: awaiting coroutines, the per-spec failure policy, and the operator's
    per-hook order override from ``plugins.toml``.
    """

    def __init__(self, pm: pluggy.PluginManager, order_override: Mapping[str, Sequence[str]] | None = None) -> None:
        self.pm = pm
        self.owner: Any = None  # the Registry this dispatcher belongs to (set by the loader)
        self.order_override = {k: list(v) for k, v in (order_override or {}).items()}

    def implementations(self, name: str) -> list[pluggy.HookImpl]:
        """Return the implementations of hook ``name`` in the order they are called."""
        caller = getattr(self.pm.hook, name, None)
        if caller is None:
            raise LookupError(f"unknown hook {name!r}")
        # pluggy stores impls so that calling walks the list backwards (last registered first, tryfirst at the end).
        impls = list(reversed(caller.get_hookimpls()))
        wanted = self.order_override.get(name)
        if wanted:
            rank = {plugin: i for i, plugin in enumerate(wanted)}
            impls.sort(key=lambda impl: rank.get(impl.plugin_name, len(rank)))
        return impls

    def _spec(self, name: str) -> Any:
        caller = getattr(self.pm.hook, name, None)
        return caller.spec if caller is not None else None

    async def call(self, name: str, /, **kwargs: Any) -> Any:
        """Call hook ``name`` (see :meth:`_call`) with this dispatcher's registry as the calling one."""
        token = calling_registry.set(self.owner)
        try:
            return await self._call(name, **kwargs)
        finally:
            calling_registry.reset(token)

    async def _call(self, name: str, /, **kwargs: Any) -> Any:
        """Call hook ``name`` with keyword arguments, awaiting async implementations.

        Returns the first non-``None`` result for ``firstresult`` specs, ``None`` for notifications, otherwise the
        list of non-``None`` results in call order. New-style pluggy wrappers (``@hookimpl(wrapper=True)``, sync
        generators) surround the call: each receives the result from ``yield`` and may replace it or raise.
        """
        impls = self.implementations(name)
        wrappers = [i for i in impls if i.wrapper]
        started: list[tuple[pluggy.HookImpl, Any]] = []
        for impl in wrappers:
            gen: Any = impl.function(**{a: kwargs[a] for a in impl.argnames if a in kwargs})
            next(gen)
            started.append((impl, gen))
        result: Any = None
        error: BaseException | None = None
        try:
            result = await self._call_plain(name, [i for i in impls if not i.wrapper], kwargs)
        except BaseException as exc:  # handed to the wrappers, re-raised below if none absorbs it
            error = exc
        for _impl, gen in reversed(started):
            try:
                if error is not None:
                    gen.throw(error)
                else:
                    gen.send(result)
                raise RuntimeError(f"hook wrapper for {name} must yield exactly once")
            except StopIteration as stop:
                result, error = stop.value, None
            except BaseException as exc:
                error = exc
        if error is not None:
            raise error
        return result

    async def _call_plain(self, name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> Any:
        spec = self._spec(name)
        firstresult = bool(spec and spec.opts.get("firstresult"))
        policy = policy_of(spec.function if spec else None)
        results: list[Any] = []
        for impl in impls:
            args = {arg: kwargs[arg] for arg in impl.argnames if arg in kwargs}
            try:
                result = impl.function(**args)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                if policy == "notify":
                    log.exception("hook %s failed in plugin %s; the other plugins still run", name, impl.plugin_name)
                    continue
                raise
            if result is None:
                continue
            if firstresult:
                return result
            results.append(result)
        if firstresult or policy == "notify":
            return None
        return results

    def collect(self, name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a ``register_*`` hook; return ``(plugin_name, item)`` pairs with list results flattened."""
        token = calling_registry.set(self.owner)
        try:
            return self._collect(name, **kwargs)
        finally:
            calling_registry.reset(token)

    def _collect(self, name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for impl in self.implementations(name):
            args = {arg: kwargs[arg] for arg in impl.argnames if arg in kwargs}
            result = impl.function(**args)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # never awaited: say so clearly instead of a RuntimeWarning later
                raise TypeError(f"hook {name} in plugin {impl.plugin_name} must not be async (it runs at start-up)")
            if result is None:
                continue
            items = result if isinstance(result, list | tuple) else [result]
            out.extend((impl.plugin_name, item) for item in items)
        return out
