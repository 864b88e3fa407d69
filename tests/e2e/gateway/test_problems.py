"""The gateway's own answers, with the real nginx and deploy/nginx.conf (as the template the
image fills in) and no services behind it: every error it makes is problem+json."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.gateway.containers import docker, start_gateway
from tests.e2e.gateway.malformed import assert_problem, sweep
from tests.support.raw_http import exchange, request_bytes
from tools.processes import free_port

LOGINS = 60


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    """The gateway alone on a network of its own (so no service name resolves), allowing one
    login a second per address; its URL."""
    name = f"lanyard_gateway_problems_{secrets.token_hex(3)}"
    docker("network", "create", name)
    container = ""
    try:
        port = free_port()
        container = start_gateway(name, port, rate=1, frontend=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, docker("logs", container)
            time.sleep(0.25)
        yield url
    finally:
        if container:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
        subprocess.run(["docker", "network", "rm", name], capture_output=True, check=False)


def test_every_malformed_request_is_answered_in_problem_json(gateway: str) -> None:
    """Bad paths, methods, header and body sizes, duplicate headers: each gets the status
    the sweep names, as problem+json with the request's id; none gets nginx's HTML."""
    assert sweep(gateway) == []


def test_a_service_that_cannot_be_reached_is_502_problem_json(gateway: str) -> None:
    """With no vending service behind it, the gateway answers 502 problem+json and
    Retry-After."""
    response = exchange(gateway, request_bytes("GET", "/api/me"))
    assert_problem(response, 502)
    assert response.headers["retry-after"] == "5"


async def test_a_login_flood_from_one_address_gets_429_problem_json(gateway: str) -> None:
    """60 logins at once from one address, at GATEWAY_AUTH_RATE=1: beyond the burst they
    are 429 problem+json with Retry-After."""
    async with httpx.AsyncClient(timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post(f"{gateway}/auth/login", json={}) for _ in range(LOGINS))
        )
    refused = [r for r in responses if r.status_code == 429]
    assert refused
    for response in refused:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert {r.status_code for r in responses} <= {429, 502}
