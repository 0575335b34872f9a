"""ruff and mypy (strict, as configured in pyproject.toml) are part of the suite: a finding fails it with the output."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.settings import ROOT

THIRD_PARTY = ROOT / "tests" / "thirdparty"
ADAPTERS = ROOT / "adapters"  # distributions shipped in the repository (POS adapters…), checked the same way


def _run(*args: str, timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The interpreter running the tests, so the tools see exactly the packages (and versions) the suite uses.
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False, env=env)


def mypy_targets() -> list[str]:
    """The packages pyproject names, plus each third-party distribution's package(s), checked as an outsider's."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    inits = [*THIRD_PARTY.glob("*/*/__init__.py"), *ADAPTERS.glob("*/*/__init__.py")]
    outside = sorted(str(init.parent.relative_to(ROOT)) for init in inits if init.parent.parent.name != "tests")
    return [*config["packages"], *outside]


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", "--output-format=concise", ".", timeout=120)
    if result.returncode != 0:
        pytest.fail(f"ruff check found problems:\n{result.stdout}{result.stderr}", pytrace=False)


def test_mypy_finds_nothing() -> None:
    targets = mypy_targets()
    assert "core" in targets and any(t.startswith("tests/thirdparty/") for t in targets)
    # One run over everything (mypy's incremental cache makes repeated runs take seconds).
    # An editable install hides a distribution from mypy (an import hook): put each on mypy's path, and name its
    # modules from there (`sbor_hello.services`), else its imports of itself are silently `Any`.
    dists = sorted({str(Path(t).parent) for t in targets if t.startswith(("tests/thirdparty/", "adapters/"))})
    env = {**os.environ, "MYPYPATH": os.pathsep.join(dists)}
    result = _run("mypy", "--explicit-package-bases", *targets, timeout=600, env=env)
    if result.returncode != 0:
        pytest.fail(f"mypy {' '.join(targets)} found problems:\n{result.stdout}{result.stderr}", pytrace=False)
