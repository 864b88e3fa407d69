"""Errors that carry data, and their problem+json rendering (RFC 9457).

Domain code raises these; only the edge (`problem_handlers`) turns them into HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "BadRequest",
    "Conflict",
    "HTTPProblem",
    "LanyardError",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "UnprocessableContent",
    "UnsupportedMediaType",
    "problem_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("lanyard")


class LanyardError(Exception):
    """Root of every error Lanyard raises on purpose."""


class HTTPProblem(LanyardError):
    """An error that already knows its HTTP status; `detail` is safe to show a client."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


class BadRequest(HTTPProblem):
    """The request cannot be read: not JSON, not UTF-8, a malformed header."""

    status = 400
    title = "Bad Request"


class NotFound(HTTPProblem):
    """No such resource, or one the caller may not see (the two are indistinguishable)."""

    status = 404
    title = "Not Found"


class Conflict(HTTPProblem):
    """The resource already exists."""

    status = 409
    title = "Conflict"


class PayloadTooLarge(HTTPProblem):
    """The body is over the limit for this route."""

    status = 413
    title = "Content Too Large"


class UnsupportedMediaType(HTTPProblem):
    """The body's media type is not one this route takes."""

    status = 415
    title = "Unsupported Media Type"


class UnprocessableContent(HTTPProblem):
    """Well-formed input with the wrong shape or invalid values."""

    status = 422
    title = "Unprocessable Content"


class ServiceUnavailable(HTTPProblem):
    """A store or dependency this request needs is unavailable; try again later."""

    status = 503
    title = "Service Unavailable"


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem+json response; `status` and `title` always present."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=all_headers,
        media_type=PROBLEM_JSON,
    )


_HTTP_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
}


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPProblem)
    return problem_response(
        exc.status, exc.title, exc.detail, headers=exc.headers, **exc.extensions
    )


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    # Starlette's own details ("Not Found", "Method Not Allowed") add nothing to the title.
    detail = exc.detail if exc.detail and exc.detail != title else None
    return problem_response(exc.status_code, title, detail, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # The traceback goes to the log, never to the client.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "Internal Server Error")


def problem_handlers() -> dict[Any, Any]:
    """The exception-handler map both services install: every error becomes problem+json."""
    return {
        HTTPProblem: _on_problem,
        HTTPException: _on_http_exception,
        Exception: _on_unexpected,
    }
