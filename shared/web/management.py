"""The management port: `/metrics` on a listener of its own, never the service's port.

What Prometheus scrapes is for the operator's network, not for whoever reaches the
service: a port the gateway never forwards to is the simplest fence. The listener is
prometheus_client's own (a small threaded HTTP server): a scrape costs the request path
nothing, and a stuck event loop still answers scrapes (the process collector shows it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from shared.settings import SettingsError
from shared.web.metrics import HTTPMetrics

__all__ = ["ManagementServer", "management_server"]


@dataclass
class ManagementServer:
    """A running management listener."""

    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextlib.contextmanager
def management_server(metrics: HTTPMetrics, host: str, port: int) -> Iterator[ManagementServer]:
    """Serve `metrics` on `host`:`port` (any path answers with the exposition) while the
    block runs. A port already taken is a `SettingsError` naming `METRICS_PORT`."""
    try:
        server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        raise SettingsError(f"METRICS_PORT {port} on {host} cannot be served: {exc}") from exc
    running = ManagementServer(server, thread)
    try:
        yield running
    finally:
        running.close()
