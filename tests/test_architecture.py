"""Architecture contracts: import-linter's, no import cycles, and hooks called only through their specs."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
import tomllib
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "plugins", "admin_ui")
THIRDPARTY = ROOT / "tests" / "thirdparty"
# Where hooks are called: the tree, and the example third-party distribution plugin authors copy.
SCANNED = [ROOT / "core", ROOT / "plugins", ROOT / "admin_ui", THIRDPARTY]
HOOK_MACHINERY = ROOT / "core" / "hooks"  # the dispatcher itself calls hooks by name, from a spec it has checked
CALLS = {"notify", "first", "call", "collect"}
PUBLIC_MODULES = ("api", "hookspecs")


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run import-linter's command line in ``cwd`` with ``cwd`` importable, without a cache."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(cwd), os.environ.get("PYTHONPATH")]))}
    command = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", command, "--no-cache", "--no-logo", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


# ----------------------------------------------------------------------------------------------------------------------
# import-linter
# ----------------------------------------------------------------------------------------------------------------------


def test_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails_the_command(tmp_path: Path) -> None:
    # Given a package whose module imports a forbidden one
    pkg = tmp_path / "archprobe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("from archprobe import high\n")
    (pkg / "high.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = archprobe\n\n[importlinter:contract:probe]\nname = low must not import high\n"
        "type = forbidden\nsource_modules = archprobe.low\nforbidden_modules = archprobe.high\n"
    )
    # When import-linter runs the way test_import_contracts_hold runs it, then it fails and names the import
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "archprobe.low -> archprobe.high" in result.stdout


def _importlinter_contract(contract_id: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract: dict[str, Any] = next(c for c in config["contracts"] if c.get("id") == contract_id)
    return contract


def _builtin_plugins() -> dict[str, str]:
    """Plugin name → package, for every plugin in this tree (``plugins/*`` and ``admin_ui``)."""
    packages = [f"plugins.{p.name}" for p in sorted((ROOT / "plugins").iterdir())
                if (p / "__init__.py").exists() and not p.name.startswith("_")]
    return {importlib.import_module(pkg).manifest.name: pkg for pkg in [*packages, "admin_ui"]}


def test_plugin_contract_follows_every_manifests_depends() -> None:
    # The allowed imports between plugins are exactly the public modules of each plugin's declared dependencies.
    contract = _importlinter_contract("plugins-depend-through-public-modules")
    plugins = _builtin_plugins()
    expected = {
        f"{pkg}.** -> {plugins[dep]}.{public}"
        for name, pkg in plugins.items()
        for dep in importlib.import_module(pkg).manifest.depends
        if dep in plugins  # a core module ("users", "auth") or a distribution is not a package of this tree
        for public in PUBLIC_MODULES
    }
    assert set(contract["ignore_imports"]) == expected
    assert set(contract["modules"]) == {"plugins.*", "admin_ui"}


# ----------------------------------------------------------------------------------------------------------------------
# Import cycles
# ----------------------------------------------------------------------------------------------------------------------


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles of a module graph, one per loop found (each loop is cut at one import before looking again)."""
    edges = {module: set(imported) for module, imported in graph.items()}
    cycles: list[list[str]] = []
    while len(cycles) < 50:
        try:
            TopologicalSorter(edges).prepare()
        except CycleError as exc:
            cycle: list[str] = list(reversed(exc.args[1]))  # graphlib lists it against the import direction
            cycles.append(cycle)
            edges[cycle[0]].discard(cycle[1])
            continue
        return cycles
    return cycles


def test_import_cycles_are_found() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) in (
        [["a", "b", "c", "a"]], [["b", "c", "a", "b"]], [["c", "a", "b", "c"]])
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_core_or_any_plugin() -> None:
    # Imports inside functions count (they are imports all the same); TYPE_CHECKING-only imports do not run.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    modules = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    cycles = import_cycles(modules)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# ----------------------------------------------------------------------------------------------------------------------
# Hooks are called through their spec functions
# ----------------------------------------------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    base = THIRDPARTY / path.relative_to(THIRDPARTY).parts[0] if path.is_relative_to(THIRDPARTY) else ROOT
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> dict[str, str]:
    """Local name → the dotted name it stands for, from the module's imports."""
    names: dict[str, str] = {}
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                names[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
    return names


def _resolve(dotted: str) -> Any:
    try:
        return importlib.import_module(dotted)
    except ImportError:
        module, _, attr = dotted.rpartition(".")
        return getattr(importlib.import_module(module), attr, None)


def _is_hook_call(call: ast.Call, names: dict[str, str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr == "call_by_name":
            return True
        receiver = func.value
        return func.attr in CALLS and (
            (isinstance(receiver, ast.Name) and names.get(receiver.id, receiver.id) in {"hooks", "core.hooks"})
            or (isinstance(receiver, ast.Attribute) and receiver.attr == "hooks")  # registry.hooks, current().hooks
        )
    return isinstance(func, ast.Name) and names.get(func.id) in {f"core.hooks.{c}" for c in CALLS}


def _spec_named_by(arg: ast.expr, names: dict[str, str]) -> str | None:
    """``hookspecs.x`` / ``alias.x`` / ``x`` (imported from a hookspecs module) → its dotted name, else None."""
    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id in names:
        return f"{names[arg.value.id]}.{arg.attr}"
    if isinstance(arg, ast.Name) and arg.id in names:
        return names[arg.id]
    return None


def hook_call_problems(source: str, module: str, where: str, is_package: bool = False) -> list[str]:
    """What is wrong with the hook calls in ``source``: string names, and specs no hookspecs module declares."""
    tree = ast.parse(source)
    names = _imported_names(tree, module, is_package)
    problems: list[str] = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and _is_hook_call(call, names) and call.args):
            continue
        arg = call.args[0]
        text = f"{where}:{call.lineno}: {ast.unparse(call.func)}({ast.unparse(arg)}, ...)"
        if isinstance(arg, ast.Constant | ast.JoinedStr):
            problems.append(f"{text}: a hook is called by its spec function, never by a string name")
            continue
        dotted = _spec_named_by(arg, names)
        spec = _resolve(dotted) if dotted else None
        if spec is None or not hasattr(spec, "sbor_spec"):
            problems.append(f"{text}: not a hook specification declared in a hookspecs module")
    return problems


def test_hook_calls_name_a_declared_spec() -> None:
    problems: list[str] = []
    scanned = 0
    for root in SCANNED:
        for path in sorted(root.rglob("*.py")):
            if path.is_relative_to(HOOK_MACHINERY) or "piccolo_migrations" in path.parts:
                continue
            scanned += 1
            problems += hook_call_problems(path.read_text(), _module_name(path), str(path.relative_to(ROOT)),
                                           path.name == "__init__.py")
    assert scanned > 100
    assert not problems, "\n".join(problems)


def test_hook_call_scan_catches_string_names_and_unknown_specs() -> None:
    source = (
        "from core import hooks\n"
        "from core.hooks import hookspecs, notify\n"
        "from core.hooks import hookspecs as core_specs\n"
        "async def f(registry):\n"
        "    await hooks.notify('participant_joined', user_id=1)\n"
        "    await registry.hooks.call_by_name('user_banned', user_id=1)\n"
        "    await notify(hookspecs.no_such_hook, user_id=1)\n"
        "    await hooks.first(core_specs.user_banned_typo, user_id=1)\n"
        "    await hooks.notify(hookspecs.user_banned, user_id=1, reason='', actor_id=None)\n"
        "    registry.hooks.collect(hookspecs.register_routes)\n"
        "    subprocess.call('ls')\n"
    )
    problems = hook_call_problems(source, "probe", "probe.py")
    assert [p.split(":")[1] for p in problems] == ["5", "6", "7", "8"]
    assert "string name" in problems[0] and "string name" in problems[1]
    assert "not a hook specification" in problems[2] and "not a hook specification" in problems[3]


def test_manager_keeps_its_public_names() -> None:
    # The thin re-export that callers (and third-party plugins' tests) import from.
    from core.hooks import manager

    for name in ("current", "build", "PluginsFile", "Registry", "activate", "load", "discover", "PluginInfo",
                 "resolve", "with_dependencies", "read_plugins_file", "write_enabled", "validate_settings"):
        assert hasattr(manager, name), name
