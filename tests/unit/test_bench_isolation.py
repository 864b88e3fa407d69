"""The benchmark's ceiling (auth and quota off) cannot be reached from the service."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

from vending_service.app import create_app
from vending_service.settings import VendingSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = ("vending_service", "shared", "auth_service")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_service_module_imports_the_benchmark() -> None:
    """Nothing the services run imports `bench`, where the ceiling lives."""
    for package in SERVICE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            offending = {m for m in imported_modules(path) if m.split(".")[0] == "bench"}
            assert not offending, f"{path.relative_to(ROOT)} imports {offending}"


WORDS = ("bench", "ceiling", "unmetered", "no-auth", "no_auth", "skip", "insecure")


def test_the_serve_command_has_no_option_to_switch_auth_or_quotas_off() -> None:
    """No option of `python -m vending_service serve` turns authentication or quotas off."""
    done = subprocess.run(
        [sys.executable, "-m", "vending_service", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    options = {word.strip("[],") for word in done.stdout.split() if word.startswith(("--", "[--"))}
    assert "--port" in options
    assert not [o for o in options if any(word in o.lower() for word in WORDS)]


def test_neither_settings_nor_the_factory_offer_a_ceiling() -> None:
    """No setting and no `create_app` argument speaks of benchmarks, ceilings or auth off
    (the quota settings are limits and a failure mode, tested where they are used)."""
    names = {f.name for f in dataclasses.fields(VendingSettings)}
    names |= set(inspect.signature(create_app).parameters)
    assert not [name for name in names if any(word in name.lower() for word in WORDS)]
