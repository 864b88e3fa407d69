"""Fetching a document the booth publishes (the JWKS, the revocation list): bounded in time
and size, with what its caching headers say."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from shared.errors import LanyardError

__all__ = ["DocumentTooLarge", "Fetched", "fetch_document", "max_age"]

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
