"""The await-aware hook dispatcher: order, failure policy and ``async def`` implementations in one place."""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Literal, ParamSpec, TypeVar, overload

import pluggy

from core import db
from core.hooks.policy import policy_of
from core.observability.hooks import probe

log = logging.getLogger("core.hooks")
trace_log = logging.getLogger("core.hooks.trace")

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Kind = Literal["notify", "first", "call", "collect"]

# SBOR_TRACE_HOOKS=1: every hook call logs each implementation's plugin, duration and outcome (operators, authors).
TRACE = os.environ.get("SBOR_TRACE_HOOKS", "").lower() in {"1", "true", "yes", "on"}

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
        self.trace = TRACE

    # -----------------------------------------------------------------------------------------------------------------
    # Typed calls: the spec function names the hook, so mypy checks arguments and result against it.
    # -----------------------------------------------------------------------------------------------------------------

    def name_of(self, spec: Callable[..., Any], kind: Kind) -> str:
        """The hook name of ``spec``, after checking it is this registry's spec and fits the way it is called."""
        name: str = getattr(spec, "__name__", "")
        caller = getattr(self.pm.hook, name, None)
        hook_spec = getattr(caller, "spec", None)
        if hook_spec is None or hook_spec.function is not spec:
            raise LookupError(f"hook {name or spec!r} is not declared by any hookspecs module of the enabled plugins")
        firstresult = bool(hook_spec.opts.get("firstresult"))
        policy = policy_of(hook_spec.function)
        wrong = {
            "notify": policy != "notify",
            "first": not firstresult,
            "call": firstresult or policy == "notify" or name.startswith("register_"),
            "collect": not name.startswith("register_"),
        }[kind]
        if wrong:
            raise TypeError(f"hook {name}: called with hooks.{kind}(), which does not fit its spec")
        return name

    async def notify(self, spec: Callable[P, None], /, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call a ``@notification`` hook (see :func:`core.hooks.notify`)."""
        _keywords_only(spec, args)
        await self.call_by_name(self.name_of(spec, "notify"), **kwargs)

    async def first(self, spec: Callable[P, R | None], /, *args: P.args, **kwargs: P.kwargs) -> R | None:
        """Call a ``firstresult`` hook (see :func:`core.hooks.first`)."""
        _keywords_only(spec, args)
        result: R | None = await self.call_by_name(self.name_of(spec, "first"), **kwargs)
        return result

    async def call(self, spec: Callable[P, R | None], /, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        """Call a collecting or deciding hook (see :func:`core.hooks.call`)."""
        _keywords_only(spec, args)
        results: list[R] = await self.call_by_name(self.name_of(spec, "call"), **kwargs)
        return results

    @overload
    def collect(
        self, spec: Callable[P, list[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> list[tuple[str, T]]: ...
    @overload
    def collect(self, spec: Callable[P, T | None], /, *args: P.args, **kwargs: P.kwargs) -> list[tuple[str, T]]: ...
    def collect(self, spec: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> list[tuple[str, Any]]:
        """Call a ``register_*`` hook; return ``(plugin_name, item)`` pairs with list results flattened."""
        _keywords_only(spec, args)
        name = self.name_of(spec, "collect")
        token = calling_registry.set(self.owner)
        try:
            return self._collect(name, **kwargs)
        finally:
            calling_registry.reset(token)

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

    async def call_by_name(self, name: str, /, **kwargs: Any) -> Any:
        """Call hook ``name`` (see :meth:`_call`) with this dispatcher's registry as the calling one.

        For core's machinery only; code calls hooks through their specs (:meth:`notify`, :meth:`first`, :meth:`call`).
        """
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
        # A notification called inside the caller's transaction runs each implementation in a savepoint: one that
        # fails in the database is rolled back alone, and the caller's change (and the other plugins') still commits.
        # Without it PostgreSQL would abort the whole transaction and the commit would silently roll everything back.
        tx = db.current_transaction() if policy == "notify" else None
        for impl in impls:
            args = {arg: kwargs[arg] for arg in impl.argnames if arg in kwargs}
            started = time.perf_counter()
            savepoint = await tx.savepoint() if tx is not None else None
            try:
                with probe(name, impl.plugin_name):  # sbor_hook_duration_seconds and a span (core.observability)
                    result = impl.function(**args)
                    if inspect.isawaitable(result):
                        result = await result
            except Exception as exc:
                if self.trace:
                    _trace(name, impl, started, f"raised {type(exc).__name__}")
                if policy == "notify":
                    if savepoint is not None:
                        await savepoint.rollback_to()
                    log.exception("hook %s failed in plugin %s; the other plugins still run", name, impl.plugin_name)
                    continue
                raise
            if savepoint is not None:
                await savepoint.release()
            if self.trace:
                _trace(name, impl, started, "no answer" if result is None else "answered")
            if result is None:
                continue
            if firstresult:
                return result
            results.append(result)
        if firstresult or policy == "notify":
            return None
        return results

    def _collect(self, name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for impl in self.implementations(name):
            args = {arg: kwargs[arg] for arg in impl.argnames if arg in kwargs}
            started = time.perf_counter()
            result = impl.function(**args)
            if self.trace:
                _trace(name, impl, started, "no answer" if result is None else "answered")
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


def _keywords_only(spec: Callable[..., Any], args: tuple[Any, ...]) -> None:
    if args:
        raise TypeError(f"hook {getattr(spec, '__name__', spec)}: pass arguments by keyword")


def _trace(hook: str, impl: pluggy.HookImpl, started: float, outcome: str) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    trace_log.info("hook %s: plugin %s took %.3f ms, %s", hook, impl.plugin_name, elapsed_ms, outcome,
                   extra={"hook": hook, "plugin": impl.plugin_name, "duration_ms": round(elapsed_ms, 3),
                          "outcome": outcome})
