"""Errors as problem+json (RFC 9457): one table per app from error type to HTTP answer.

Domain errors carry data and no status; an app says what each kind becomes here, once.
Lookup follows the class hierarchy (Starlette walks the MRO), so a table that names
`InvalidInput` covers every error that is a kind of invalid input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from shared.errors import Conflict, InvalidInput, LanyardError, NotFound, Unavailable
from shared.logs import REQUEST_ID
from shared.web.bodies import BodyTooLarge, MalformedBody, UnsupportedMediaType

__all__ = [
    "COMMON_PROBLEMS",
    "PROBLEM_JSON",
    "Problem",
    "Problems",
    "exception_handlers",
    "problem_for",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("lanyard")


def _none(exc: Any) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Problem:
    """What an error becomes on the wire: a status and title, and what the error's own data
    adds (headers such as `Retry-After`, members such as the quota left)."""

    status: int
    title: str
    headers: Callable[[Any], Mapping[str, str]] = _none
    extensions: Callable[[Any], Mapping[str, Any]] = _none

    def response(self, exc: LanyardError) -> Response:
        return problem_response(
            self.status,
            self.title,
            exc.detail,
            headers=self.headers(exc),
            **self.extensions(exc),
        )


Problems = Mapping[type[Exception], Problem]


def _retry_after(exc: Unavailable) -> Mapping[str, str]:
    return {"Retry-After": str(exc.retry_after)}


COMMON_PROBLEMS: Problems = {
    MalformedBody: Problem(400, "Bad Request"),
    NotFound: Problem(404, "Not Found"),
    Conflict: Problem(409, "Conflict"),
    BodyTooLarge: Problem(413, "Content Too Large"),
    UnsupportedMediaType: Problem(415, "Unsupported Media Type"),
    InvalidInput: Problem(422, "Unprocessable Content"),
    Unavailable: Problem(503, "Service Unavailable", headers=_retry_after),
}
"""What every Lanyard app answers for the errors both services raise."""


def problem_for(problems: Problems, exc: Exception) -> Problem | None:
    """The entry of `problems` for `exc`: its class's, or its nearest ancestor's."""
    for kind in type(exc).__mro__:
        problem = problems.get(kind)
        if problem is not None:
            return problem
    return None


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem+json response; `status` and `title` always present, and the request's id
    (`request_id`, and `X-Request-ID`) when it is being served."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    request_id = REQUEST_ID.get()
    if request_id is not None:
        body["request_id"] = request_id
        all_headers["X-Request-ID"] = request_id
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


def _handler(problem: Problem) -> Callable[[Request, Exception], Any]:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LanyardError)
        return problem.response(exc)

    return handle


def exception_handlers(problems: Problems) -> dict[Any, Callable[[Request, Exception], Any]]:
    """Starlette's `exception_handlers` for `problems`: every error becomes problem+json,
    anything unforeseen a bare 500 (logged with its traceback)."""
    handlers: dict[Any, Callable[[Request, Exception], Any]] = {
        error: _handler(problem) for error, problem in problems.items()
    }
    handlers[HTTPException] = _on_http_exception
    handlers[Exception] = _on_unexpected
    return handlers
