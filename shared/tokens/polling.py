"""What a cache of a document the booth publishes (the JWKS, the revocation list) holds in
common: where the document is, one fetch at a time, conditional GETs within the policy's
bounds, a background task, the counts."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import httpx

from shared.tokens.documents import Fetched, SingleFlight, cancel, fetch_document

__all__ = ["FetchPolicy", "PolledDocument", "ignore_outcome"]


def ignore_outcome(outcome: str) -> None:
    """The default `on_fetch`: counts nothing."""


class FetchPolicy(Protocol):
    """What `PolledDocument` reads of a cache's policy."""

    @property
    def timeout(self) -> float: ...

    @property
    def max_bytes(self) -> int: ...


P = TypeVar("P", bound=FetchPolicy)


class PolledDocument(abc.ABC, Generic[P]):
    """A cache of one document at `url`: fetches go one at a time (`refresh` joins the one
    under way), each within the `policy`'s timeout and size, a GET is conditional on the
    held `_etag` when the subclass says it may be, `start` runs the subclass's `_run` in
    the background and `aclose` stops it. Each subclass says what it believes (`_fetch`)
    and how often it asks (`_run`)."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        policy: P,
        sleep: Callable[[float], Awaitable[None]],
        on_fetch: Callable[[str], None],
    ) -> None:
        self.url = url
        self.on_fetch = on_fetch
        self.policy = policy
        self._client = client
        self._sleep = sleep
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
            within_seconds=self.policy.timeout,
            max_bytes=self.policy.max_bytes,
        )
