"""The edge both services put in front of their routes: request ids, metrics, security
headers, CORS.

One pure ASGI layer rather than four middlewares: every response passes through one send
wrapper that records the status, adds the security headers a route did not set, echoes
the request id and says `Vary: Origin`. Requests that carry an `Origin` (browsers,
cross-origin) go through Starlette's CORS middleware as well; the rest never build its
header objects.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from typing import Protocol

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import REQUEST_ID
from shared.web.metrics import HTTPMetrics
from shared.web.problems import problem_response

__all__ = [
    "SECURITY_HEADERS",
    "Edge",
    "EdgeSettings",
    "ProblemCORSMiddleware",
    "edge_middleware",
    "request_id",
]

SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("cache-control", "no-store"),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
"""What an `X-Request-ID` must look like to be adopted (`shared.logs.is_request_id`)."""
_UNMATCHED = "<unmatched>"
_TEMPLATES_KEPT = 1024
_access = logging.getLogger("lanyard.access")


def request_id(header: bytes | None) -> str:
    """The id of a request: its `X-Request-ID` when that is a sane token, else a new one
    (32 hex digits, like the gateway's `$request_id`)."""
    if header is not None and _REQUEST_ID.fullmatch(header):
        return header.decode("ascii")
    return os.urandom(16).hex()


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every error."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        return problem_response(response.status_code, "Bad Request", detail)


class Edge:
    """Names every request, counts it, adds the security headers and answers CORS, in one
    pass.

    The request's id (`request_id`) is set in `shared.logs.REQUEST_ID` for every log line
    and problem body of the request, and echoed as `X-Request-ID`. Headers a route sets
    itself (its own `Cache-Control`, say) stand; the defaults fill in the rest. A request
    answered before routing (a refused token) is counted under the route its path names;
    paths no route takes share one label, so cardinality stays bounded. With `access_log`,
    one line per request (never its query string).
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
        access_log: bool = False,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.cors = ProblemCORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=list(methods),
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=[*expose_headers, "X-Request-ID"],
            max_age=600,
        )
        # With several replicas behind a gateway, saying which one answered helps operators.
        defaults = SECURITY_HEADERS + ((("x-served-by", served_by),) if served_by else ())
        self.defaults = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in defaults
        ]
        self._templates: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # Without an Origin, all CORS would do is add `Vary: Origin`; done below instead.
        cross_origin = False
        given = None
        for name, value in scope["headers"]:
            if name == b"origin":
                cross_origin = True
            elif name == b"x-request-id":
                given = value
        rid = request_id(given)
        REQUEST_ID.set(rid)  # each request runs in a task of its own: its own context
        defaults = self.defaults

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(item for item in defaults if item[0] not in present)
                if b"x-request-id" not in present:
                    raw.append((b"x-request-id", rid.encode("ascii")))
                if not cross_origin:
                    _vary_origin(raw, b"vary" in present)
            await send(message)

        try:
            await (self.cors if cross_origin else self.app)(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = route.path if isinstance(route, Route) else self._template(scope)
            method = scope["method"]
            seconds = time.perf_counter() - started
            self.metrics.observe(
                template, method if method in _METHODS else "OTHER", status, seconds
            )
            if self.access_log:
                _access.info(
                    "%s %s %s",
                    method,
                    scope["path"],
                    status,
                    extra={
                        "route": template,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    },
                )

    def _template(self, scope: Scope) -> str:
        """The template of the route `scope`'s path names, for requests answered before
        routing (refused credentials, CORS preflights); `<unmatched>` for none."""
        path: str = scope["path"]
        template = self._templates.get(path)
        if template is None:
            routes: Sequence[BaseRoute] = getattr(scope.get("app"), "routes", ())
            template = next(
                (
                    route.path
                    for route in routes
                    if isinstance(route, Route) and route.matches(scope)[0] is not Match.NONE
                ),
                _UNMATCHED,
            )
            if len(self._templates) >= _TEMPLATES_KEPT:
                self._templates.clear()
            self._templates[path] = template
        return template


def _vary_origin(raw: list[tuple[bytes, bytes]], has_vary: bool) -> None:
    """Add `Origin` to the response's `Vary`, as Starlette's CORS does for every answer."""
    if not has_vary:
        raw.append((b"vary", b"Origin"))
        return
    values = [value for name, value in raw if name.lower() == b"vary"]
    raw[:] = [(name, value) for name, value in raw if name.lower() != b"vary"]
    raw.append((b"vary", b", ".join([*values, b"Origin"])))


class EdgeSettings(Protocol):
    """What `edge_middleware` reads of a service's settings."""

    @property
    def cors_origins(self) -> Sequence[str]: ...

    @property
    def served_by(self) -> str | None: ...

    @property
    def access_log(self) -> bool: ...


def edge_middleware(
    settings: EdgeSettings,
    metrics: HTTPMetrics,
    *,
    methods: Sequence[str],
    expose_headers: Sequence[str] = ("Retry-After",),
) -> Middleware:
    """`Edge` in front of a service's routes, as its settings say (CORS origins, the
    `X-Served-By` name, the access log), for the `methods` it serves."""
    return Middleware(
        Edge,
        metrics=metrics,
        origins=settings.cors_origins,
        methods=methods,
        expose_headers=expose_headers,
        served_by=settings.served_by,
        access_log=settings.access_log,
    )
