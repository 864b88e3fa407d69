"""Through the whole stack's gateway: malformed requests, whether nginx refuses them or a
service does, are answered in problem+json with the request's id, never in HTML."""

from __future__ import annotations

import pytest

from tests.e2e.compose.conftest import GATEWAY
from tests.e2e.gateway.malformed import assert_problem, sweep
from tests.support.raw_http import exchange, request_bytes


def test_every_request_the_gateway_refuses_is_problem_json() -> None:
    """The gateway sweep (bad paths, methods, header and body sizes, duplicate headers)
    against the running stack: every answer is the expected problem+json."""
    assert sweep(GATEWAY) == []


SERVICE_REFUSALS = [
    ("unknown auth path", request_bytes("GET", "/auth/no-such-route"), 404),
    ("unknown vending path", request_bytes("GET", "/api/no-such-route"), 404),
    ("no token", request_bytes("GET", "/api/me"), 401),
    (
        "token of 9 KiB",
        request_bytes("GET", "/api/me", [("Authorization", "Bearer " + "a" * 9216)]),
        401,
    ),
    (
        "login body that is not JSON",
        request_bytes(
            "POST",
            "/auth/login",
            [("Content-Type", "application/json"), ("Content-Length", "3")],
            b"{{{",
        ),
        400,
    ),
    ("method a route lacks", request_bytes("DELETE", "/auth/login"), 405),
]


@pytest.mark.parametrize(
    ("raw", "status"),
    [(raw, status) for _, raw, status in SERVICE_REFUSALS],
    ids=[name for name, _, _ in SERVICE_REFUSALS],
)
def test_what_the_services_refuse_arrives_as_problem_json(raw: bytes, status: int) -> None:
    """Requests that pass the gateway but not a service keep the service's problem+json,
    with the gateway's request id."""
    assert_problem(exchange(GATEWAY, raw), status)
