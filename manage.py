#!/usr/bin/env python3
"""Sbor's entry point. Needs only Python 3.11+: creates ``.venv``, installs the project, then runs the command.

    python3 manage.py run      # embedded PostgreSQL + Redis (unless configured), migrate, serve API + workers
    python3 manage.py test     # the same set-up, then the whole test suite (extra arguments go to pytest)

Every other command (worker, migrate, plugins, openapi, bench, createadmin, ...) is listed by ``manage.py --help``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".sbor-installed"
# What the install depends on: a change to any of these reinstalls.
INSTALL_INPUTS = ["pyproject.toml", "tests/thirdparty/sbor_hello/pyproject.toml"]
# Third-party-style distributions shipped in this repository (POS adapters, maps providers): each folder under
# adapters/ with a pyproject.toml is installed like sbor_hello, so its `sbor.plugins` entry point is found.
ADAPTERS = ROOT / "adapters"

# Editable installs as plain path entries (not setuptools' import hook), so that mypy, run on a plugin written outside
# this tree, finds core's types in the same venv.
INSTALL_MODE = "editable_mode=compat"


def adapter_dists() -> list[Path]:
    """Every distribution folder under ``adapters/`` (sorted, so the install order is stable)."""
    return sorted(p.parent for p in ADAPTERS.glob("*/pyproject.toml")) if ADAPTERS.is_dir() else []


def _fingerprint() -> str:
    h = hashlib.sha256(INSTALL_MODE.encode())
    for path in [*(ROOT / name for name in INSTALL_INPUTS), *(d / "pyproject.toml" for d in adapter_dists())]:
        if path.exists():
            h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def ensure_installed() -> None:
    """Create the venv and install the project with its dev extras when missing or out of date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - manage.py runs on whatever python3 the newcomer has
        sys.exit("Sbor needs Python 3.11 or newer")
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    print("Installing Sbor and its dependencies into .venv (first run takes a few minutes) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.check_call([*pip, "--upgrade", "pip"])
    subprocess.check_call([*pip, "--config-settings", INSTALL_MODE, "-e", f"{ROOT}[dev]"])
    hello = ROOT / "tests" / "thirdparty" / "sbor_hello"
    if hello.exists():
        # The example third-party plugin, installed as a real distribution so its entry point is found.
        subprocess.check_call([*pip, "--config-settings", INSTALL_MODE, "-e", str(hello)])
    for dist in adapter_dists():
        subprocess.check_call([*pip, "--config-settings", INSTALL_MODE, "-e", str(dist)])
    STAMP.write_text(want)


def main() -> None:
    """Install if needed, then hand over to ``core.cli`` inside the venv."""
    ensure_installed()
    os.chdir(ROOT)
    args = [str(PYTHON), "-m", "core.cli", *sys.argv[1:]]
    os.execv(str(PYTHON), args)


if __name__ == "__main__":
    main()
