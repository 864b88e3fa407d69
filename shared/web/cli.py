"""What both services' command lines share: a `serve` sub-command (the service's port and its
management port), JSON logging, loud settings errors."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Callable
from typing import Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import configure_logging
from shared.settings import ConnectionLimits, SettingsError, ShutdownSettings
from shared.web.drain import Drain, DrainingServer, unready_while_draining
from shared.web.limits import limited_protocol
from shared.web.management import management_server
from shared.web.metrics import HTTPMetrics

__all__ = [
    "ServiceSettings",
    "add_serve_command",
    "freeze_after_startup",
    "run",
    "serve",
    "serve_service",
]


def add_serve_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    name: str,
    port: int,
    prefix: str,
    handler: Callable[[argparse.Namespace], int],
) -> None:
    serve_parser = sub.add_parser("serve", help=f"run the {name}")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=port)
    serve_parser.add_argument(
        "--root-path", default="", help=f"path prefix behind a gateway, e.g. {prefix}"
    )
    serve_parser.set_defaults(func=handler)


YOUNG_COLLECTION_THRESHOLD = 20_000
"""Container objects allocated (net of those freed) before the collector looks at the
youngest generation; CPython's default is 700."""


def _freeze() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


def freeze_after_startup(app: ASGIApp, *, freeze: Callable[[], None] = _freeze) -> ASGIApp:
    """`app`, with the objects its startup made set aside from garbage collection.

    Startup leaves a great many long-lived objects (SQLAlchemy, Alembic, the catalogue),
    and every full collection under load walked them all: the worst latencies and a good
    part of the throughput (docs/benchmarks.md). `gc.freeze()` once the app has started
    moves them out of the collector's sight; reference counting still frees them.

    Then the youngest generation's threshold goes from 700 to `YOUNG_COLLECTION_THRESHOLD`.
    The collector counts allocations net of frees, and what requests in flight hold at a
    moment (their scopes, tasks, coroutines, headers) crossed 700 every dozen requests: a
    collection that walked the live requests, found nothing to free and moved them to an
    older generation to be walked again. Garbage the collector is for (reference cycles)
    still reaches the threshold and is collected; only the pointless passes go
    (docs/benchmarks.md). Only `serve` does this: it owns the process, tests and other
    embedders do not.
    """

    async def frozen(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_and_freeze(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                freeze()
            await send(message)

        await app(scope, receive, send_and_freeze)

    return frozen


def serve(
    app: Starlette,
    args: argparse.Namespace,
    *,
    metrics: HTTPMetrics,
    metrics_port: int,
    shutdown: ShutdownSettings | None = None,
    limits: ConnectionLimits | None = None,
) -> int:
    """Run `app` with uvicorn as `serve` was asked to, `metrics` on the management port
    (`metrics_port` on the same host; 0 for none), draining on SIGTERM as `shutdown` says
    (`shared.web.drain`), each connection held to `limits` (`shared.web.limits`); 3 if it
    could not start."""
    shutdown = shutdown or ShutdownSettings()
    limits = limits or ConnectionLimits()
    drain = Drain(shutdown.drain_delay)
    config = uvicorn.Config(
        unready_while_draining(freeze_after_startup(app), drain),
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        # Forwarding headers are read by the app itself, and only from TRUSTED_PROXIES.
        proxy_headers=False,
        server_header=False,
        # The edge logs requests (ACCESS_LOG), with their ids and never a query string.
        access_log=False,
        # Logging is configured already (JSON lines on stdout): uvicorn adds no handler.
        log_config=None,
        log_level="info",
        timeout_graceful_shutdown=shutdown.timeout,
        # Request heads bounded in size and time, connections in number.
        http=limited_protocol(limits),
        limit_concurrency=limits.max_connections + 1,
    )
    server = DrainingServer(config, drain)
    with contextlib.ExitStack() as stack:
        if metrics_port:
            stack.enter_context(management_server(metrics, args.host, metrics_port))
        server.run()
    return 0 if server.started else 3


class ServiceSettings(Protocol):
    """What `serve_service` reads of a service's settings."""

    @property
    def metrics_port(self) -> int: ...

    @property
    def shutdown(self) -> ShutdownSettings: ...

    @property
    def limits(self) -> ConnectionLimits: ...


def serve_service(
    app: Starlette, args: argparse.Namespace, settings: ServiceSettings, metrics: HTTPMetrics
) -> int:
    """`serve` a service's `app` as its `settings` say (management port, drain, limits)."""
    return serve(
        app,
        args,
        metrics=metrics,
        metrics_port=settings.metrics_port,
        shutdown=settings.shutdown,
        limits=settings.limits,
    )


def run(parser: argparse.ArgumentParser, argv: list[str] | None, *, service: str) -> int:
    """Parse, log JSON lines, and run the chosen sub-command; bad settings exit with 2.
    `serve` logs to stdout (the service's log); an operator's command keeps stdout for its
    answer and logs to stderr."""
    args = parser.parse_args(argv)
    configure_logging(service, stream=sys.stdout if args.command == "serve" else sys.stderr)
    try:
        result: int = args.func(args)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return result
