"""The edge both services share: request ids, security headers, CORS's `Vary`, request
metrics, the access log."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.logs import REQUEST_ID
from shared.web.edge import Edge, request_id
from shared.web.metrics import HTTPMetrics
from shared.web.problems import exception_handlers, problem_response

ORIGIN = "http://127.0.0.1:8000"


async def plain(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def own_headers(request: Request) -> Response:
    return JSONResponse(
        {"ok": True}, headers={"Cache-Control": "private, max-age=300", "Vary": "Accept"}
    )


async def logs_and_fails(request: Request) -> Response:
    logging.getLogger("lanyard.test-edge").warning("about to fail")
    return problem_response(409, "Conflict", "seen id " + str(REQUEST_ID.get()))


async def crashes(request: Request) -> Response:
    raise RuntimeError("a bug")


class RefuseEverything:
    """Stands where bearer authentication stands: answers before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/guarded"):
            await problem_response(401, "Unauthorized")(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def guarded(request: Request) -> Response:
    return JSONResponse({"ok": True})


def client(metrics: HTTPMetrics, *, access_log: bool = False) -> httpx.AsyncClient:
    app = Starlette(
        routes=[
            Route("/plain", plain),
            Route("/own", own_headers),
            Route("/fails", logs_and_fails),
            Route("/crashes", crashes),
            Route("/guarded/{item}", guarded),
        ],
        middleware=[
            Middleware(
                Edge, metrics=metrics, origins=[ORIGIN], methods=["GET"], access_log=access_log
            ),
            Middleware(RefuseEverything),
        ],
        exception_handlers=exception_handlers({}),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://edge.test")


async def test_security_headers_are_added_once_and_never_over_a_routes_own() -> None:
    """Each default header appears exactly once; a route's own Cache-Control stands."""
    async with client(HTTPMetrics("test")) as edge:
        plain_answer = await edge.get("/plain")
        own_answer = await edge.get("/own")

    for answer in (plain_answer, own_answer):
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
        assert answer.headers.get_list("x-frame-options") == ["DENY"]
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert plain_answer.headers.get_list("cache-control") == ["no-store"]
    assert own_answer.headers.get_list("cache-control") == ["private, max-age=300"]


async def test_vary_origin_is_added_to_answers_with_or_without_their_own_vary() -> None:
    """Without an Origin the answer varies on Origin; a route's own Vary keeps its values."""
    async with client(HTTPMetrics("test")) as edge:
        assert (await edge.get("/plain")).headers.get_list("vary") == ["Origin"]
        assert (await edge.get("/own")).headers.get_list("vary") == ["Accept, Origin"]
        allowed = await edge.get("/plain", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers.get_list("vary") == ["Origin"]


async def test_metrics_count_every_request_by_route_method_and_status() -> None:
    """Repeated label sets add up; each route, method and status has its own counter."""
    metrics = HTTPMetrics("test")
    async with client(metrics) as edge:
        for _ in range(3):
            await edge.get("/plain")
        await edge.get("/missing")
        await edge.post("/plain")

    text = metrics.render().decode()
    requests = "lanyard_http_requests_total"
    assert f'{requests}{{method="GET",route="/plain",service="test",status="200"}} 3.0' in text
    assert f'{requests}{{method="GET",route="<unmatched>",service="test",status="404"}} 1.0' in text
    assert f'{requests}{{method="POST",route="/plain",service="test",status="405"}} 1.0' in text
    assert 'lanyard_http_request_duration_seconds_count{route="/plain",service="test"} 4.0' in text


@pytest.mark.parametrize(
    "given", ["abc-123", "0f" * 16, "trace.id:7_A", "a" * 64], ids=["dash", "hex", "punct", "64"]
)
async def test_a_sane_request_id_is_adopted_and_echoed(given: str) -> None:
    """An `X-Request-ID` of 1-64 safe characters is the request's id, in the answer's header."""
    async with client(HTTPMetrics("test")) as edge:
        answer = await edge.get("/plain", headers={"X-Request-ID": given})
    assert answer.headers.get_list("x-request-id") == [given]


@pytest.mark.parametrize(
    "given",
    ["", "a" * 65, "has space", "new\nline", "-leading", 'quote"', "ünï"],
    ids=["empty", "65", "space", "newline", "leading-dash", "quote", "non-ascii"],
)
async def test_an_unsafe_request_id_is_replaced_by_a_new_one(given: str) -> None:
    """Anything else is not adopted: the request gets a fresh 32-hex-digit id."""
    async with client(HTTPMetrics("test")) as edge:
        answer = await edge.get("/plain", headers={b"X-Request-ID": given.encode()})
    (made,) = answer.headers.get_list("x-request-id")
    assert made != given
    assert len(made) == 32
    assert int(made, 16) >= 0


async def test_each_request_without_an_id_gets_its_own() -> None:
    """Made ids are unique per request."""
    async with client(HTTPMetrics("test")) as edge:
        ids = {(await edge.get("/plain")).headers["x-request-id"] for _ in range(50)}
    assert len(ids) == 50


def test_request_id_reads_the_raw_header() -> None:
    """`request_id` adopts sane bytes as text and makes one for None."""
    assert request_id(b"abc") == "abc"
    assert len(request_id(None)) == 32


async def test_the_id_is_in_the_problem_body_and_every_log_line_of_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The handler sees the id; its problem body and its log lines carry it."""
    caplog.set_level(logging.INFO)
    async with client(HTTPMetrics("test")) as edge:
        answer = await edge.get("/fails", headers={"X-Request-ID": "req-1"})
    assert answer.json()["request_id"] == "req-1"
    assert answer.json()["detail"] == "seen id req-1"
    assert answer.headers.get_list("x-request-id") == ["req-1"]
    (record,) = [r for r in caplog.records if r.name == "lanyard.test-edge"]
    assert REQUEST_ID.get() == "req-1"  # the test's task ran the app: same context
    assert record.getMessage() == "about to fail"


async def test_an_unexpected_error_answers_500_with_the_id_in_body_and_header(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug's 500 comes from outside the edge and still names the request."""
    async with client(HTTPMetrics("test")) as edge:
        answer = await edge.get("/crashes", headers={"X-Request-ID": "boom-1"})
    assert answer.status_code == 500
    assert answer.json()["request_id"] == "boom-1"
    assert answer.headers["x-request-id"] == "boom-1"


async def test_a_request_refused_before_routing_is_counted_under_its_route() -> None:
    """A 401 answered ahead of the router counts under the route template its path names;
    a path no route takes stays `<unmatched>`."""
    metrics = HTTPMetrics("test")
    async with client(metrics) as edge:
        for item in ("a", "b", "c"):
            assert (await edge.get(f"/guarded/{item}")).status_code == 401
        assert (await edge.get("/guarded")).status_code == 401
    text = metrics.render().decode()
    requests = "lanyard_http_requests_total"
    assert (
        f'{requests}{{method="GET",route="/guarded/{{item}}",service="test",status="401"}} 3.0'
        in text
    )
    assert f'{requests}{{method="GET",route="<unmatched>",service="test",status="401"}} 1.0' in text


async def test_the_access_log_writes_one_line_per_request_without_the_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With `access_log`, each request is one line: method, path, status, route, id; the
    query string (which may hold a token) is never written."""
    caplog.set_level(logging.INFO, logger="lanyard.access")
    async with client(HTTPMetrics("test"), access_log=True) as edge:
        await edge.get("/plain?access_token=secret-value", headers={"X-Request-ID": "acc-1"})
    (record,) = [r for r in caplog.records if r.name == "lanyard.access"]
    assert record.getMessage() == "GET /plain 200"
    assert (record.__dict__["route"], record.__dict__["status"]) == ("/plain", 200)
    assert "secret-value" not in repr(record.__dict__)


async def test_without_the_access_log_a_request_writes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """By default a successful request logs no line (the hot path stays quiet)."""
    caplog.set_level(logging.DEBUG)
    async with client(HTTPMetrics("test")) as edge:
        await edge.get("/plain")
    assert [r for r in caplog.records if r.name.startswith("lanyard")] == []
