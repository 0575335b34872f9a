"""The contract every plugin keeps, ours and third parties': checked over every installed plugin."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from core.hooks import hookspecs
from core.hooks.manager import PluginsFile, build, discover
from core.testing import all_plugins

AVAILABLE = discover()
PLUGINS = sorted(AVAILABLE)


@pytest.fixture(scope="module")
def registry():
    return build(PluginsFile(enabled=all_plugins()))


@pytest.mark.parametrize("name", PLUGINS)
def test_manifest_is_valid(name: str) -> None:
    info = AVAILABLE[name]
    m = info.manifest
    assert m.name == name and m.name.isidentifier() and m.name.islower()
    Version(m.version)
    SpecifierSet(m.core)
    for dep, spec in m.depends.items():
        assert dep in AVAILABLE, f"{name} depends on unknown {dep}"
        SpecifierSet(spec)
    if info.source == "built-in" and info.module.__name__.startswith("plugins."):
        assert info.module.__name__ == f"plugins.{name}", "a built-in plugin's package is named after it"
    if m.settings is not None:
        assert issubclass(m.settings, msgspec.Struct)
        assert m.settings.__struct_config__.forbid_unknown_fields, "unknown settings keys must fail at start-up"
        fields = {f.name for f in msgspec.structs.fields(m.settings)}
        assert set(m.public_settings) <= fields
    assert (info.module.__doc__ or "").strip(), "the package has a one-line docstring"


@pytest.mark.parametrize("name", PLUGINS)
async def test_migrations_are_up_to_date_with_tables(name: str, registry) -> None:
    apps = [app for plugin, app in registry.hooks.collect(hookspecs.register_piccolo_app) if plugin == name]
    for app in apps:
        assert app.app_name == name, "the Piccolo app is named after the plugin"
        alter = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config=app)
        pending = [s for group in alter for s in group.statements]
        assert pending == [], f"{name}: tables.py changed without a migration: {pending[:3]}"


def test_every_plugin_loads_together_and_hooks_are_known(registry) -> None:
    assert set(registry.names) == set(PLUGINS)  # check_pending passed: no misspelt hook anywhere


@pytest.mark.parametrize("name", PLUGINS)
def test_routes_live_under_the_plugin_prefix(name: str, registry) -> None:
    from litestar import Controller, Router
    from litestar.handlers import HTTPRouteHandler

    if AVAILABLE[name].source == "core":
        pytest.skip("core's own areas (auth, users) have their own prefixes")
    for plugin, handler in registry.hooks.collect(hookspecs.register_routes):
        if plugin != name:
            continue
        paths: list[str] = []
        if isinstance(handler, type) and issubclass(handler, Controller):
            paths.append(handler.path)
        elif isinstance(handler, Router | HTTPRouteHandler):
            paths.extend(handler.paths if isinstance(handler, HTTPRouteHandler) else [handler.path])
        for path in paths:
            assert path.strip("/").split("/")[0] == name, f"{name}: route {path} outside /{name}"


@pytest.mark.parametrize("name", PLUGINS)
def test_permissions_are_namespaced(name: str, registry) -> None:
    perms = [p for plugin, p in registry.hooks.collect(hookspecs.register_permissions) if plugin == name]
    if AVAILABLE[name].source == "core":
        return
    for p in perms:
        assert p.name.split(".")[0] == name, f"{name}: permission {p.name} must start with '{name}.'"
        assert p.description


@pytest.mark.parametrize("name", PLUGINS)
def test_templates_are_namespaced(name: str, registry) -> None:
    for plugin, directory in registry.hooks.collect(hookspecs.register_template_dirs):
        if plugin != name:
            continue
        top = {p.name for p in Path(directory).iterdir() if not p.name.startswith(".")}
        assert top <= {name}, f"{name}: templates must live in templates/{name}/, found {sorted(top)}"


@pytest.mark.parametrize("name", PLUGINS)
def test_notification_kinds_are_named_and_have_templates(name: str, registry) -> None:
    dirs = [Path(d) for _plugin, d in registry.hooks.collect(hookspecs.register_template_dirs)]
    for plugin, kind in registry.hooks.collect(hookspecs.register_notification_kinds):
        if plugin != name:
            continue
        assert kind.plugin == name and kind.short_name, f"{name}: kind {kind.name} must be named '{name}.<kind>'"
        assert kind.label and kind.channels, f"{name}: kind {kind.name} needs a label and default channels"
        for language in ("en", "ru"):
            found = [d for d in dirs if (d / name / "notifications" / language / f"{kind.short_name}.txt").is_file()]
            assert found, f"{name}: no template {name}/notifications/{language}/{kind.short_name}.txt for {kind.name}"


def test_jobs_are_namespaced(registry) -> None:
    for plugin, job in registry.hooks.collect(hookspecs.register_actors):
        assert job.name.startswith(f"{plugin}."), f"{plugin}: job {job.name}"


def test_hooks_reference_is_generated_from_the_specs(registry) -> None:
    from core.hooks.docs import markdown

    if set(PLUGINS) != {n for n in discover()}:  # pragma: no cover - discovery is filtered
        pytest.skip("the reference covers every installed plugin")
    path = Path(__file__).resolve().parent.parent / "docs" / "hooks.md"
    assert path.read_text() == markdown(registry), "regenerate: python3 manage.py plugins hooks > docs/hooks.md"


def test_every_spec_is_documented(registry) -> None:
    for name in (n for n in dir(registry.pm.hook) if not n.startswith("_")):
        spec = getattr(registry.pm.hook, name).spec
        if spec is not None:
            assert (spec.function.__doc__ or "").strip(), f"hook {name} has no docstring"


# Success answers a plugin still documents as free-form JSON (none today). A CSV export streamed as text/csv needs
# ``media_type="text/csv; charset=utf-8"`` on its handler, a dict needs a Struct. Delete an entry when it is fixed.
UNTYPED: set[tuple[str, str]] = set()


def test_every_success_answer_has_its_schema(make_app) -> None:
    """A generated client parses a 2xx JSON answer only into a declared shape: no ``{}``, no bare object."""
    schema = make_app(all_plugins()).openapi_schema.to_schema()
    components = schema["components"]["schemas"]

    def free_form(s: dict) -> bool:
        while "$ref" in s:
            s = components[s["$ref"].rsplit("/", 1)[-1]]
        options = [o for o in s.get("oneOf", s.get("anyOf", [])) if o.get("type") != "null"]
        if options:
            return any(free_form(o) for o in options)
        return s == {} or (s.get("type") == "object" and not s.get("properties") and not s.get("additionalProperties"))

    untyped, checked = set(), 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for status, response in op["responses"].items():
                for ctype, media in (response.get("content") or {}).items():
                    if status.startswith("2") and "json" in ctype:
                        checked += 1
                        if free_form(media.get("schema", {})):
                            untyped.add((method.upper(), path))
    assert checked > 100
    assert untyped <= UNTYPED, f"2xx answers with no real schema: {sorted(untyped - UNTYPED)}"
    assert UNTYPED <= untyped, f"fixed: delete from UNTYPED {sorted(UNTYPED - untyped)}"


# Integer query parameters still unbounded in the document (a value past int4 answers 422 value_out_of_range). Delete an
# entry when its handler bounds it (``le=2**31 - 1``, so the answer is 400 invalid_parameter).
UNBOUNDED_QUERY_INTS: set[tuple[str, str, str]] = set()


def test_integer_query_parameters_are_bounded_to_postgresql_integers(make_app) -> None:
    """An integer in the query meets an int4 column: the schema says so, and a larger value is refused up front."""
    from core.http.middleware import INT4_MAX

    schema = make_app(all_plugins()).openapi_schema.to_schema()

    def integers(s: dict, bound: dict | None = None) -> list[dict]:
        """The integer schemas in ``s``, each with the bounds that apply to it (its own, else the union's)."""
        bound = {k: s[k] for k in ("maximum", "minimum") if k in s} or bound or {}
        options = [*s.get("oneOf", []), *s.get("anyOf", [])]
        return [{**bound, **s}] * (s.get("type") == "integer") + [i for o in options for i in integers(o, bound)]

    unbounded, checked = set(), 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []) if isinstance(op, dict) else []:
                for s in integers(p.get("schema", {})) if p.get("in") == "query" else []:
                    checked += 1
                    if s.get("maximum", INT4_MAX + 1) > INT4_MAX:
                        unbounded.add((method.upper(), path, p["name"]))
    assert checked > 30  # every list's limit, and more
    assert unbounded <= UNBOUNDED_QUERY_INTS, f"bound these to 2**31 - 1: {sorted(unbounded - UNBOUNDED_QUERY_INTS)}"
    assert UNBOUNDED_QUERY_INTS <= unbounded, f"fixed: delete {sorted(UNBOUNDED_QUERY_INTS - unbounded)}"


async def test_a_price_past_postgresql_integers_is_a_400_not_a_422(client) -> None:
    """``price_max`` meets ``price_cents`` (int4): 2**31 was a 422 ``value_out_of_range`` from the database."""
    r = await client.get("/api/v1/events", params={"price_max": 2**31})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_parameter"
    assert [e["parameter"] for e in r.json()["errors"]] == ["price_max"]
    assert (await client.get("/api/v1/events", params={"price_max": 2**31 - 1})).status_code == 200
