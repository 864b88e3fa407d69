"""Waiting on a condition with a deadline, never sleeping to synchronise."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

__all__ = ["eventually"]


async def eventually(probe: Callable[[], Awaitable[bool]], deadline: float, what: str) -> float:
    """Poll `probe` until it holds, failing the test `deadline` seconds from now; the
    seconds it took."""
    started = time.monotonic()
    while not await probe():
        if time.monotonic() - started >= deadline:
            pytest.fail(f"{what} did not happen within {deadline} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started
