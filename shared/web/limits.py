"""What one connection may take from a service's port: uvicorn's HTTP protocol, bounded.

uvicorn (with httptools) reads a request head of any size, holding it all in memory while it
is parsed, and waits forever for a head that never ends; so a 64 MiB header was read for
10 s and answered 200, and 50 connections that never finished a head stayed open past 90 s.
`limited_protocol` gives uvicorn a protocol class that

- counts the bytes of each request head as they arrive and feeds the parser no more than
  `MAX_REQUEST_HEAD_BYTES` of one: a longer head is answered `431` (`414` when the request
  line takes most of it) in problem+json and the connection is closed;
- gives a connection `REQUEST_HEAD_TIMEOUT` seconds from its opening (or from the first
  byte of a later request on it) to deliver a whole head, then answers `408` (or, when
  nothing came, says nothing) and closes it;
- answers the request that would pass `MAX_CONNECTIONS` open connections (uvicorn's
  `limit_concurrency`) with `503` problem+json and `Retry-After`, not uvicorn's plain text;
- answers bytes that are not HTTP/1.1 with a `400` problem+json.

The parsing stays httptools'; this only counts bytes, keeps time and writes the refusals.
After a refusal the connection half-closes and discards what the client still sends for a
moment (nginx's lingering close), so a client still writing gets the answer, not a reset.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from shared.logs import REQUEST_ID
from shared.settings import ConnectionLimits
from shared.web.edge import request_id
from shared.web.problems import problem_response

__all__ = ["limited_protocol", "too_many_connections"]

LINGER = 2.0
"""Seconds a refused connection keeps discarding input before it is closed."""
log = logging.getLogger("lanyard")


async def too_many_connections(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to a request over `MAX_CONNECTIONS`: `503` problem+json, `Retry-After`."""
    header = dict(scope.get("headers", [])).get(b"x-request-id")
    token = REQUEST_ID.set(request_id(header))
    try:
        log.warning("refused a request: too many open connections")
        response = problem_response(
            503,
            "Service Unavailable",
            "too many open connections; try again shortly",
            headers={"Retry-After": "1", "Connection": "close"},
        )
    finally:
        REQUEST_ID.reset(token)
    await response(scope, receive, send)


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with `limits` on each request head (see the module)."""

    limits = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    # Counting and timing each head.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        while data and not self._refused:
            if self._in_head:
                room = self.limits.max_head_bytes - self._head_bytes
                if room <= 0:
                    self._refuse_head_too_large()
                    return
                chunk, data = data[:room], data[room:]
                self._head_bytes += len(chunk)
            else:
                chunk, data = data, b""
            super().data_received(chunk)
            if self.transport.is_closing():
                return

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None and self._in_head:
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._in_head:
            return
        if self._head_bytes == 0:
            self.transport.close()
            return
        seconds = f"{self.limits.head_timeout:g}"
        self._refuse(408, "Request Timeout", f"the request head did not arrive within {seconds} s")

    # The refusals.
    def _refuse_head_too_large(self) -> None:
        limit = self.limits.max_head_bytes
        if len(getattr(self, "url", b"")) * 2 > limit:
            self._refuse(414, "URI Too Long", f"the request line is over {limit} bytes")
        else:
            detail = f"the request line and headers are over {limit} bytes"
            self._refuse(431, "Request Header Fields Too Large", detail)

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "Bad Request", "the request is not valid HTTP/1.1")

    def _refuse(self, status: int, title: str, detail: str) -> None:
        """Answer `status` as problem+json and close; while a response to an earlier
        (pipelined) request is still going out, just close after it."""
        self._refused = True
        self._disarm_head_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        token = REQUEST_ID.set(request_id(None))
        try:
            log.warning("refused a connection: %s (%s)", title, detail)
            answer = problem_response(status, title, detail, headers={"Connection": "close"})
        finally:
            REQUEST_ID.reset(token)
        # No ASGI cycle to send it through: the same answer, written to the socket as it is.
        head = [STATUS_LINE[status]]
        for name, value in [*self.server_state.default_headers, *answer.raw_headers]:
            head += [name, b": ", value, b"\r\n"]
        head += [b"\r\n", bytes(answer.body)]
        self.transport.write(b"".join(head))
        # Half-close and discard what still comes, for a moment, so the client reads this
        # answer rather than a reset (closing with unread input sends an RST).
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER, self.transport.close)
        else:
            self.transport.close()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        # uvicorn swaps in its plain-text 503 when `limit_concurrency` is passed.
        if app is service_unavailable:
            app = too_many_connections
        super()._start_asgi_task(cycle, app)


def limited_protocol(limits: ConnectionLimits) -> type[LimitedProtocol]:
    """A protocol class for `uvicorn.Config(http=...)` that enforces `limits`; pass
    `limit_concurrency=limits.max_connections + 1` too (uvicorn counts the new one)."""
    return type("LimitedProtocol", (LimitedProtocol,), {"limits": limits})
