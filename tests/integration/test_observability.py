"""Both apps in-process: what their metrics count and what their answers and logs carry
(request ids in headers, problem bodies and log lines; refusals under their route)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import httpx
import pytest

from shared.logs import JSONFormatter
from shared.web.metrics import AuthMetrics, VendingMetrics
from tests.integration.auth_helpers import login, register, tokens_for
from tests.support.clock import FakeClock
from tests.support.tokens import TokenMinter

Bearer = Callable[..., dict[str, str]]


def requests_counted(metrics: VendingMetrics | AuthMetrics, route: str, status: int) -> float:
    value = metrics.registry.get_sample_value(
        "lanyard_http_requests_total",
        {"service": metrics.service, "route": route, "method": "GET", "status": str(status)},
    )
    return value or 0.0


async def test_token_verifications_are_counted_by_outcome(
    vending: httpx.AsyncClient,
    bearer: Bearer,
    minter: TokenMinter,
    clock: FakeClock,
    vending_metrics: VendingMetrics,
) -> None:
    """valid (a cache hit counts too), expired, bad_signature, unknown_kid, malformed."""
    good = bearer("alice")
    for _ in range(2):
        assert (await vending.get("/me", headers=good)).status_code == 200
    expired = minter.mint("alice", exp=int(clock()) - 3600, iat=int(clock()) - 4000)
    token = minter.mint("alice")
    forged = token.rpartition(".")[0] + "." + minter.mint("bob").rpartition(".")[2]
    stranger = minter.mint("alice", header={"kid": "nobody-knows"})
    for refused in (expired, forged, stranger, "not-a-token"):
        answer = await vending.get("/me", headers={"Authorization": f"Bearer {refused}"})
        assert answer.status_code == 401
    counted = vending_metrics.token_verifications
    assert counted.value("valid") == 2
    assert [counted.value(o) for o in ("expired", "bad_signature", "unknown_kid")] == [1, 1, 1]
    assert counted.value("malformed") == 1


async def test_a_refused_token_is_counted_under_the_route_it_asked_for(
    vending: httpx.AsyncClient, vending_metrics: VendingMetrics
) -> None:
    """401s answered by the bearer layer count under `/cats` and `/cats/{picture_id}`,
    not with the 404s of unknown paths."""
    refused = {"Authorization": "Bearer not-a-token"}
    assert (await vending.get("/cats?count=2", headers=refused)).status_code == 401
    assert (await vending.get("/cats/cat-001", headers=refused)).status_code == 401
    assert (await vending.get("/cats/cat-002", headers=refused)).status_code == 401
    assert requests_counted(vending_metrics, "/cats", 401) == 1
    assert requests_counted(vending_metrics, "/cats/{picture_id}", 401) == 2
    assert requests_counted(vending_metrics, "<unmatched>", 401) == 0


async def test_quota_decisions_are_counted(
    vending: httpx.AsyncClient, bearer: Bearer, vending_metrics: VendingMetrics
) -> None:
    """Each charge is allowed or refused; `/me` charges nothing and decides nothing."""
    alice = bearer("alice")
    assert (await vending.get("/cats?count=100", headers=alice)).status_code == 200
    for _ in range(3):
        assert (await vending.get("/cats?count=100", headers=alice)).status_code in (200, 429)
    assert (await vending.get("/me", headers=alice)).status_code == 200
    decided = vending_metrics.quota_decisions
    assert decided.value("allowed") == 3  # 300 a day for free: three hundreds
    assert decided.value("refused") == 1


async def test_jwks_fetches_and_keys_held_are_exported(
    vending: httpx.AsyncClient, vending_metrics: VendingMetrics
) -> None:
    """The startup fetch counts as ok; the key count is read at each scrape."""
    assert (await vending.get("/readyz")).status_code == 200
    assert vending_metrics.jwks_fetches.value("ok") >= 1
    assert vending_metrics.registry.get_sample_value("lanyard_jwks_keys") == 1


async def test_logins_and_refresh_reuse_are_counted(
    auth_client: httpx.AsyncClient, auth_metrics: AuthMetrics
) -> None:
    """A good login, a wrong password, a reused refresh token: each moves its counter."""
    pair = await tokens_for(auth_client)
    assert (await login(auth_client, "bruce", "not the password")).status_code == 401
    refresh = {"refresh_token": pair["refresh_token"]}
    assert (await auth_client.post("/refresh", json=refresh)).status_code == 200
    assert (await auth_client.post("/refresh", json=refresh)).status_code == 401
    assert auth_metrics.logins.value("success") == 1
    assert auth_metrics.logins.value("bad_credentials") == 1
    assert auth_metrics.registry.get_sample_value("lanyard_refresh_reuse_total") == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [("/cats?count=0", 422), ("/cats/nope", 404), ("/cats?access_token=x", 400), ("/me", 401)],
)
async def test_every_error_body_carries_the_request_id_of_its_header(
    vending: httpx.AsyncClient, bearer: Bearer, path: str, status: int
) -> None:
    """problem+json bodies name the request (made here, or adopted from the caller)."""
    headers = bearer("alice") if status != 401 else {}
    made = await vending.get(path, headers=headers)
    adopted = await vending.get(path, headers={**headers, "X-Request-ID": "caller-id-7"})
    assert (made.status_code, adopted.status_code) == (status, status)
    assert made.json()["request_id"] == made.headers["x-request-id"]
    assert len(made.headers["x-request-id"]) == 32
    assert adopted.json()["request_id"] == "caller-id-7"
    assert adopted.headers.get_list("x-request-id") == ["caller-id-7"]


async def test_the_booths_log_lines_carry_the_request_id(auth_client: httpx.AsyncClient) -> None:
    """The JSON line a failed login writes names the request it was written for."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter("auth"))
    logger = logging.getLogger("lanyard.auth")
    logger.addHandler(handler)
    try:
        await register(auth_client)
        answer = await login(auth_client, "bruce", "wrong password!", {"X-Request-ID": "login-9"})
    finally:
        logger.removeHandler(handler)
    assert answer.json()["request_id"] == "login-9"
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert (line["request_id"], line["outcome"], line["username"]) == (
        "login-9",
        "bad_credentials",
        "bruce",
    )
    assert "wrong password!" not in stream.getvalue()


async def test_a_browser_may_read_the_request_id(auth_client: httpx.AsyncClient) -> None:
    """CORS exposes `X-Request-ID` to the frontend (so it can quote it in a bug report)."""
    answer = await auth_client.get("/healthz", headers={"Origin": "http://127.0.0.1:8000"})
    assert "X-Request-ID" in answer.headers["access-control-expose-headers"]
