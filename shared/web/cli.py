"""What both services' command lines share: a `serve` sub-command, logging, loud settings errors."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.settings import SettingsError, ShutdownSettings
from shared.web.drain import Drain, DrainingServer, unready_while_draining

__all__ = ["add_serve_command", "freeze_after_startup", "run", "serve"]


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
    serve_parser.add_argument("--access-log", action="store_true")
    serve_parser.set_defaults(func=handler)


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def freeze_after_startup(app: ASGIApp, *, freeze: Callable[[], None] = _freeze) -> ASGIApp:
    """`app`, with the objects its startup made set aside from garbage collection.

    Startup leaves a great many long-lived objects (SQLAlchemy, Alembic, the catalogue),
    and every full collection under load walked them all: the worst latencies and a good
    part of the throughput (docs/benchmarks.md). `gc.freeze()` once the app has started
    moves them out of the collector's sight; reference counting still frees them. Only
    `serve` does this: it owns the process, tests and other embedders do not.
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
    app: Starlette, args: argparse.Namespace, shutdown: ShutdownSettings | None = None
) -> int:
    """Run `app` with uvicorn as `serve` was asked to, draining on SIGTERM as `shutdown` says
    (`shared.web.drain`); 3 if it could not start."""
    shutdown = shutdown or ShutdownSettings()
    drain = Drain(shutdown.drain_delay)
    config = uvicorn.Config(
        unready_while_draining(freeze_after_startup(app), drain),
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        # Forwarding headers are read by the app itself, and only from TRUSTED_PROXIES.
        proxy_headers=False,
        server_header=False,
        access_log=args.access_log,
        log_level="info",
        timeout_graceful_shutdown=shutdown.timeout,
    )
    server = DrainingServer(config, drain)
    server.run()
    return 0 if server.started else 3


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse, set up logging, and run the chosen sub-command; bad settings exit with 2."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per JWKS fetch is noise
    # Alembic announces each of its plugins at INFO when imported; only migrations matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        result: int = args.func(args)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return result
