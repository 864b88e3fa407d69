"""The edge both services put in front of their routes: metrics, security headers, CORS.

One pure ASGI layer rather than three middlewares: every response passes through one send
wrapper that records the status, adds the security headers a route did not set and says
`Vary: Origin`. Requests that carry an `Origin` (browsers, cross-origin) go through
Starlette's CORS middleware as well; the rest never build its header objects.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.web.metrics import HTTPMetrics
from shared.web.problems import problem_response

__all__ = ["SECURITY_HEADERS", "Edge", "ProblemCORSMiddleware", "edge_middleware"]

SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("cache-control", "no-store"),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every error."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        return problem_response(response.status_code, "Bad Request", detail)


class Edge:
    """Counts every request, adds the security headers and answers CORS, in one pass.

    Headers a route sets itself (its own `Cache-Control`, say) stand; the defaults fill in
    the rest. Unmatched paths share one metrics label, so cardinality stays bounded.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HTTPMetrics,
        origins: Sequence[str],
        methods: Sequence[str],
        expose_headers: Sequence[str] = ("Retry-After",),
        served_by: str | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.cors = ProblemCORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=list(methods),
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=list(expose_headers),
            max_age=600,
        )
        # With several replicas behind a gateway, saying which one answered helps operators.
        defaults = SECURITY_HEADERS + ((("x-served-by", served_by),) if served_by else ())
        self.defaults = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in defaults
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # Without an Origin, all CORS would do is add `Vary: Origin`; done below instead.
        cross_origin = any(name == b"origin" for name, _ in scope["headers"])
        defaults = self.defaults

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(item for item in defaults if item[0] not in present)
                if not cross_origin:
                    _vary_origin(raw, b"vary" in present)
            await send(message)

        try:
            await (self.cors if cross_origin else self.app)(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) if isinstance(route, BaseRoute) else None
            method = scope["method"]
            self.metrics.observe(
                template or "<unmatched>",
                method if method in _METHODS else "OTHER",
                status,
                time.perf_counter() - started,
            )


def _vary_origin(raw: list[tuple[bytes, bytes]], has_vary: bool) -> None:
    """Add `Origin` to the response's `Vary`, as Starlette's CORS does for every answer."""
    if not has_vary:
        raw.append((b"vary", b"Origin"))
        return
    values = [value for name, value in raw if name.lower() == b"vary"]
    raw[:] = [(name, value) for name, value in raw if name.lower() != b"vary"]
    raw.append((b"vary", b", ".join([*values, b"Origin"])))


def edge_middleware(
    metrics: HTTPMetrics,
    *,
    origins: Sequence[str],
    methods: Sequence[str],
    expose_headers: Sequence[str] = ("Retry-After",),
    served_by: str | None = None,
) -> list[Middleware]:
    """What both services put in front of their routes: `Edge`, configured."""
    return [
        Middleware(
            Edge,
            metrics=metrics,
            origins=origins,
            methods=methods,
            expose_headers=expose_headers,
            served_by=served_by,
        )
    ]
