"""Generate ``docs/hooks.md`` from the hook specifications (core's and those plugins offer)."""

from __future__ import annotations

import inspect

from core.hooks.manager import Registry
from core.hooks.policy import policy_of

POLICY = {
    "notify": "notification: every implementation runs; a failure is logged and the others still run",
    "decide": "decision: an implementation's error propagates to the caller",
    "collect": "collector: results are gathered in call order; an error propagates",
}


def markdown(registry: Registry) -> str:
    """Return the hooks reference as Markdown, grouped by who offers the hook."""
    groups: dict[str, list[str]] = {}
    for name in sorted(n for n in dir(registry.pm.hook) if not n.startswith("_")):
        caller = getattr(registry.pm.hook, name)
        spec = caller.spec
        if spec is None:
            continue
        module = spec.namespace.__name__
        owner = "core" if module.startswith("core.") else module.rsplit(".", 1)[0]
        policy = "firstresult: the first non-None result wins; an error propagates" if spec.opts.get(
            "firstresult") else POLICY[policy_of(spec.function)]
        signature = str(inspect.signature(spec.function)).replace("'", "")
        doc = inspect.cleandoc(spec.function.__doc__ or "(undocumented)")
        groups.setdefault(owner, []).append(
            f"### `{name}{signature}`\n\n*{policy}.*\n\n{doc}\n"
        )
    out = [
        "# Hooks reference",
        "",
        "Generated from the specifications by `python3 manage.py plugins hooks > docs/hooks.md`; do not edit by hand.",
        "Call a hook through its spec, checked by mypy: `await hooks.notify(spec, **kw)` for notifications, "
        "`await hooks.first(spec, **kw)` for `firstresult` hooks, `await hooks.call(spec, **kw)` for the others "
        "(`from core import hooks`); never pluggy directly, never by a string name.",
        "",
    ]
    for owner in sorted(groups, key=lambda o: (o != "core", o)):
        out.append(f"## Offered by `{owner}`\n")
        out.extend(groups[owner])
    return "\n".join(out).rstrip() + "\n"
