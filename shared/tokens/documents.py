"""Fetching a document the booth publishes (the JWKS, the revocation list): bounded in time
and size, with what its caching headers say."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.errors import LanyardError

__all__ = ["DocumentTooLarge", "Fetched", "SingleFlight", "cancel", "fetch_document", "max_age"]

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,9})\"?\s*(?:,|$)", re.IGNORECASE)


class DocumentTooLarge(LanyardError):
    """The document is larger than the reader takes."""


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    body: bytes
    cache_control: str
    etag: str | None


def max_age(cache_control: str) -> float | None:
    """The `max-age` of a `Cache-Control` value; None when it has none."""
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


async def fetch_document(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    within_seconds: float,
    max_bytes: int,
) -> Fetched:
    """GET `url`, the whole exchange within `within_seconds`, reading at most `max_bytes`
    of body (streamed: a larger one is refused as soon as it is known to be,
    `DocumentTooLarge`)."""
    async with asyncio.timeout(within_seconds):
        async with client.stream(
            "GET", url, headers=dict(headers), timeout=within_seconds
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise DocumentTooLarge(f"{url} is over {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(
                response.status_code,
                b"".join(chunks),
                response.headers.get("cache-control", ""),
                response.headers.get("etag"),
            )


class SingleFlight:
    """At most one fetch of a document under way: whoever asks while it runs shares its
    answer (a cancelled caller does not cancel it for the others)."""

    def __init__(self, fetch: Callable[[], Coroutine[Any, Any, bool]]) -> None:
        self._fetch = fetch
        self.task: asyncio.Task[bool] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self) -> asyncio.Task[bool]:
        """The fetch under way, or a new one."""
        if self.task is None:
            self.task = asyncio.create_task(self._fetch())
            self.task.add_done_callback(self._done)
        return self.task

    async def __call__(self) -> bool:
        return await asyncio.shield(self.start())

    def _done(self, task: asyncio.Task[bool]) -> None:
        if self.task is task:
            self.task = None


async def cancel(*tasks: asyncio.Task[object] | None) -> None:
    """Cancel each task still running and wait until it has stopped."""
    for task in tasks:
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
