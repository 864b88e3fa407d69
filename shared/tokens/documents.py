"""Fetching a document the booth publishes (the JWKS, the revocation list): bounded in time
and size, with what its caching headers say; and `PolledDocument`, what a cache of one
holds in common (one fetch at a time, conditional GETs, a background task, the counts)."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.errors import LanyardError

__all__ = [
    "DocumentTooLarge",
    "Fetched",
    "PolledDocument",
    "SingleFlight",
    "cancel",
    "fetch_document",
    "ignore_outcome",
    "max_age",
]

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


def ignore_outcome(outcome: str) -> None:
    """The default `on_fetch`: counts nothing."""


class PolledDocument(abc.ABC):
    """A cache of one document at `url`: fetches go one at a time (`refresh` joins the one
    under way), each within `timeout` seconds and `max_bytes`, a GET is conditional on the
    held `_etag` when the subclass says it may be, `start` runs the subclass's `_run` in
    the background and `aclose` stops it. Each subclass says what it believes (`_fetch`)
    and how often it asks (`_run`)."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        sleep: Callable[[float], Awaitable[None]],
        on_fetch: Callable[[str], None],
        *,
        timeout: float,
        max_bytes: int,
    ) -> None:
        self.url = url
        self.on_fetch = on_fetch
        self._client = client
        self._sleep = sleep
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._etag: str | None = None
        self._flight = SingleFlight(self._fetch)
        self._background: asyncio.Task[None] | None = None
        self.fetches = 0
        self.failures = 0

    async def start(self) -> None:
        """Begin the background task (`_run`); a second call does nothing."""
        if self._background is None:
            self._background = asyncio.create_task(self._run())

    async def aclose(self) -> None:
        await cancel(self._background, self._flight.task)

    async def refresh(self) -> bool:
        """Fetch the document now, joining a fetch already under way. True on success."""
        return await self._flight()

    @abc.abstractmethod
    async def _run(self) -> None:
        """The background task."""

    @abc.abstractmethod
    async def _fetch(self) -> bool:
        """One fetch: True when the document held is good (new, or vouched for again)."""

    async def _download(self, accept: str, *, conditional: bool) -> Fetched:
        """GET the document; with `If-None-Match` when `conditional` and an ETag is held."""
        headers = {"Accept": accept}
        if conditional and self._etag:
            headers["If-None-Match"] = self._etag
        return await fetch_document(
            self._client,
            self.url,
            headers=headers,
            within_seconds=self._timeout,
            max_bytes=self._max_bytes,
        )
