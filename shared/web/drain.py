"""Draining on SIGTERM: what an orchestrator's stop needs from a replica.

An orchestrator (Swarm, Kubernetes, `docker compose stop`) sends SIGTERM and, at about the
same moment, stops naming the replica in DNS or in its endpoints; gateways and caches that
looked the name up a moment earlier still send it requests for a few seconds. So on the
first SIGTERM a replica:

1. says it is not ready (`/readyz` answers 503) and keeps serving everything else for
   `SHUTDOWN_DRAIN_DELAY` seconds, while the rest of the system lets go of it;
2. then stops taking connections and lets the requests in flight finish, for at most
   `SHUTDOWN_TIMEOUT` seconds (uvicorn's graceful shutdown), and exits 0.

A second SIGTERM, or SIGINT (Ctrl-C), skips what is left of the delay. With a delay of 0
(the default, for `make run` and tests) SIGTERM is uvicorn's graceful shutdown at once.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Drain", "DrainingServer", "unready_while_draining"]

_UNREADY = (
    b'{"type":"about:blank","title":"Service Unavailable","status":503,'
    b'"detail":"this replica is shutting down"}'
)


class Drain:
    """Whether the process was told to stop, and whether its drain delay has passed."""

    def __init__(self, delay: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self._clock = clock
        self._since: float | None = None

    @property
    def draining(self) -> bool:
        return self._since is not None

    def begin(self) -> None:
        """Start draining now (a second call changes nothing)."""
        if self._since is None:
            self._since = self._clock()

    def over(self) -> bool:
        """Whether the delay has passed since `begin` (never, before it)."""
        return self._since is not None and self._clock() - self._since >= self.delay


class DrainingServer(uvicorn.Server):
    """uvicorn, whose first SIGTERM begins a drain rather than a shutdown."""

    def __init__(self, config: uvicorn.Config, drain: Drain) -> None:
        super().__init__(config)
        self.drain = drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain.delay > 0 and not self.drain.draining:
            self.drain.begin()
            return
        # SIGINT, a second SIGTERM, or no delay: uvicorn's own graceful shutdown, now.
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self.drain.over():
            self.should_exit = True
        return await super().on_tick(counter)


def unready_while_draining(app: ASGIApp, drain: Drain) -> ASGIApp:
    """`app`, except that `GET /readyz` answers 503 problem+json once `drain` has begun, so
    health checks and load balancers take the replica out while it still serves."""

    async def gated(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and drain.draining:
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path == "/readyz":
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(_UNREADY)).encode()),
                            (b"cache-control", b"no-store"),
                            (b"retry-after", b"5"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _UNREADY})
                return
        await app(scope, receive, send)

    return gated
