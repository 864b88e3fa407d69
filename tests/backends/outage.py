"""Helpers for the store contract suites: database URLs, a PostgreSQL of a test's own, polling.

The outage tests stop a server under a live store object, so they never touch the session's
PostgreSQL: each brings its own, in a temporary directory, and stops it by its pid.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

from shared.errors import StoreUnavailable
from tests.support.servers import PostgresServer

T = TypeVar("T")

RECOVERY_DEADLINE = 5.0
UNAVAILABLE = "StoreUnavailable"


def sqlite_url(folder: Path, name: str) -> str:
    """The SQLAlchemy URL of a SQLite file in `folder`."""
    return f"sqlite+aiosqlite:///{folder / name}"


def stop_postgres(server: PostgresServer) -> None:
    """Stop the server now: a fast shutdown, since SIGTERM would wait for pooled sessions."""
    server.stop()


async def outcome(call: Callable[[], Awaitable[object]]) -> str:
    """`"StoreUnavailable"`, the name of any other exception raised, or `"returned"`."""
    try:
        await call()
    except Exception as exc:  # noqa: BLE001 - the test reports which exception it was
        return type(exc).__name__
    return "returned"


async def outcomes(calls: Mapping[str, Callable[[], Awaitable[object]]]) -> dict[str, str]:
    """The outcome of each named call, made one after another."""
    return {name: await outcome(call) for name, call in calls.items()}


async def recovered(call: Callable[[], Awaitable[T]], within: float = RECOVERY_DEADLINE) -> T:
    """Retry `call` while the store is unavailable; its result once it answers.

    Anything but `StoreUnavailable` propagates at once; past the deadline, so does that.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            return await call()
        except StoreUnavailable:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(0.05)
