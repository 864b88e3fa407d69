"""The machine and software a run measured."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import subprocess
from typing import Any

from cryptography.hazmat.backends.openssl import backend as openssl

__all__ = ["machine"]

LIBRARIES = (
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "PyJWT",
    "cryptography",
    "SQLAlchemy",
    "aiosqlite",
    "redis",
    "prometheus-client",
    "pillow",
)


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError:
        return "not found"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else ""
    )


def machine() -> dict[str, Any]:
    """The machine and software a run measured."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "openssl": openssl.openssl_version_text(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": _first_line(["wrk", "-v"]),
        "redis_server": _first_line(["redis-server", "--version"]),
        "libraries": {name: importlib.metadata.version(name) for name in LIBRARIES},
    }
