"""Small HTTP pieces both services use: security headers and health answers."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import problem_response
from shared.metrics import HTTPMetrics, MetricsMiddleware

__all__ = ["ProblemCORSMiddleware", "SecurityHeadersMiddleware", "edge_middleware"]

_DEFAULTS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("cache-control", "no-store"),
)


class SecurityHeadersMiddleware:
    """Adds conservative headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, served_by: str | None = None) -> None:
        self.app = app
        # With several replicas behind a gateway, saying which one answered helps operators.
        self.defaults = _DEFAULTS + ((("x-served-by", served_by),) if served_by else ())
        self._raw = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in self.defaults
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw headers, one pass: this runs for every response.
                raw = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(item for item in self._raw if item[0] not in present)
            await send(message)

        await self.app(scope, receive, send_wrapper)


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every error."""

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        # Most requests carry no Origin: all Starlette would do is add `Vary: Origin`. Do
        # just that, without building header objects, when the response has no Vary yet.
        if message["type"] == "http.response.start" and "origin" not in request_headers:
            raw = message["headers"] = list(message.get("headers", ()))
            if not any(name.lower() == b"vary" for name, _ in raw):
                raw.append((b"vary", b"Origin"))
                await send(message)
                return
        await super().send(message, send, request_headers)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        return problem_response(response.status_code, "Bad Request", detail)


def edge_middleware(
    metrics: HTTPMetrics,
    *,
    origins: Sequence[str],
    methods: Sequence[str],
    expose_headers: Sequence[str] = ("Retry-After",),
    served_by: str | None = None,
) -> list[Middleware]:
    """What both services put in front of their routes: metrics, headers, CORS."""
    return [
        Middleware(MetricsMiddleware, metrics=metrics),
        Middleware(SecurityHeadersMiddleware, served_by=served_by),
        Middleware(
            ProblemCORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(methods),
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=list(expose_headers),
            max_age=600,
        ),
    ]
