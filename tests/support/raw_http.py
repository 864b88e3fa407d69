"""HTTP/1.1 requests as bytes, for what no client library will send: a `%00` in a path,
two `Authorization` headers, a head of 64 KiB, a method nobody knows."""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["RawResponse", "exchange", "request_bytes"]


@dataclass(frozen=True)
class RawResponse:
    """What came back: status, headers (lower-case names; the last of a repeated one)
    and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


def request_bytes(
    method: str = "GET",
    target: str = "/",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    version: str = "HTTP/1.1",
) -> bytes:
    """One request, exactly as given, with `Host` first and `Connection: close` last."""
    lines = [f"{method} {target} {version}", "Host: lanyard.test"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(base_url: str, raw: bytes, *, timeout: float = 30.0) -> RawResponse:
    """Send `raw` to the server of `base_url` and read its answer until it closes."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        # The server may answer before it has read everything: then read the answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), f"no HTTP response: {received[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(lines[0].split()[1]), headers, body)
