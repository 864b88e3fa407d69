"""The edge both services share: security headers, CORS's `Vary`, request metrics."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.web.edge import edge_middleware
from shared.web.metrics import HTTPMetrics

ORIGIN = "http://127.0.0.1:8000"


async def plain(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def own_headers(request: Request) -> Response:
    return JSONResponse(
        {"ok": True}, headers={"Cache-Control": "private, max-age=300", "Vary": "Accept"}
    )


def client(metrics: HTTPMetrics) -> httpx.AsyncClient:
    app = Starlette(
        routes=[Route("/plain", plain), Route("/own", own_headers)],
        middleware=edge_middleware(metrics, origins=[ORIGIN], methods=["GET"]),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge.test")


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
