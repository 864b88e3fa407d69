"""The browser app's static server for `make run` and the browser tests.

Serves `frontend/` with the same strict Content-Security-Policy and security headers as the
compose gateway. Given the two services' addresses (`--auth-url`/`--vending-url`, or the
`AUTH_URL`/`VENDING_URL` variables), it answers `/config.js` itself so the app talks to
them, and lets exactly those origins into `connect-src`; without them the static
`frontend/config.js` works out the addresses from the page's own.

    python -m tools.frontend_server serve --port 8000 \
        --auth-url http://127.0.0.1:8001 --vending-url http://127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["FrontendSettings", "content_security_policy", "create_app"]

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
# The origins `make run` uses, under both names a developer may type into the address bar.
DEFAULT_CONNECT = (
    "http://127.0.0.1:8001",
    "http://127.0.0.1:8002",
    "http://localhost:8001",
    "http://localhost:8002",
)
DEFAULT_IMAGES = ("http://127.0.0.1:8002", "http://localhost:8002")


@dataclass(frozen=True)
class FrontendSettings:
    """Where the app finds the services; both `None` means the static `config.js` decides."""

    auth_url: str | None = None
    vending_url: str | None = None

    def __post_init__(self) -> None:
        for name, url in (("AUTH_URL", self.auth_url), ("VENDING_URL", self.vending_url)):
            if url is not None and _origin(url) is None:
                raise ValueError(f"{name} must be an http(s) URL, got {url!r}")
        if (self.auth_url is None) != (self.vending_url is None):
            raise ValueError("set both AUTH_URL and VENDING_URL, or neither")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], auth_url: str | None = None, vending_url: str | None = None
    ) -> FrontendSettings:
        return cls(
            auth_url=(auth_url or env.get("AUTH_URL") or None),
            vending_url=(vending_url or env.get("VENDING_URL") or None),
        )

    @property
    def image_origins(self) -> tuple[str, ...]:
        """Where `<img src>` may load from: the vending service (its signed image URLs)."""
        if self.vending_url is None:
            return DEFAULT_IMAGES
        origin = _origin(self.vending_url)
        return (origin,) if origin else ()

    @property
    def connect_origins(self) -> tuple[str, ...]:
        if self.auth_url is None or self.vending_url is None:
            return DEFAULT_CONNECT
        origins = (_origin(self.auth_url), _origin(self.vending_url))
        return tuple(dict.fromkeys(origin for origin in origins if origin))


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(
    connect_origins: tuple[str, ...], image_origins: tuple[str, ...] = ()
) -> str:
    """The gateway's policy, with the services' origins let into `connect-src` and the
    vending service's into `img-src` (pictures load from their signed URLs)."""
    return "; ".join(
        (
            "default-src 'self'",
            "connect-src 'self' " + " ".join(connect_origins),
            " ".join(("img-src 'self' blob:", *image_origins)),
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        )
    )


class _Headers:
    """Sets the security headers on every response."""

    def __init__(self, app: ASGIApp, headers: tuple[tuple[str, str], ...]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: FrontendSettings, *, directory: Path = FRONTEND) -> Starlette:
    """The static app; `/config.js` is generated when the services' addresses are set."""
    routes: list[BaseRoute] = []
    if settings.auth_url is not None and settings.vending_url is not None:
        config = {
            "authUrl": settings.auth_url.rstrip("/"),
            "apiUrl": settings.vending_url.rstrip("/"),
        }
        script = f"export const config = Object.freeze({json.dumps(config)});\n"

        async def config_js(request: Request) -> Response:
            return Response(script, media_type="text/javascript")

        routes.append(Route("/config.js", config_js, methods=["GET", "HEAD"]))
    routes.append(Mount("/", StaticFiles(directory=directory, html=True)))
    headers = (
        (
            "content-security-policy",
            content_security_policy(settings.connect_origins, settings.image_origins),
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        # A development server: every reload sees the files as they are on disk.
        ("cache-control", "no-cache"),
    )
    return Starlette(routes=routes, middleware=[Middleware(_Headers, headers=headers)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.frontend_server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve frontend/")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--auth-url", help="the auth service's base URL (or AUTH_URL)")
    serve.add_argument("--vending-url", help="the vending service's base URL (or VENDING_URL)")
    args = parser.parse_args(argv)
    try:
        settings = FrontendSettings.from_env(os.environ, args.auth_url, args.vending_url)
    except ValueError as exc:
        print(f"frontend server: {exc}", file=sys.stderr)
        return 2

    import uvicorn

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        server_header=False,
        access_log=False,
        log_level="warning",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
