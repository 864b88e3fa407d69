"""The gateway's retry policy, with the real nginx and deploy/nginx.conf: two replicas
answer as `vending`, one of which drops every request it has read. GETs, PUTs and DELETEs
it dropped are passed to the other replica; POSTs it dropped are never sent again."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.gateway.containers import docker, start_gateway
from tools.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
REPLICA = ROOT / "tests" / "support" / "replica.py"
REQUESTS = 20


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[str, str]]:
    """The gateway on a free port of 127.0.0.1, and the dropping replica's container."""
    name = f"lanyard_gateway_test_{secrets.token_hex(3)}"
    containers: list[str] = []
    docker("network", "create", name)
    try:
        run = ["run", "-d", "--network", name]
        for mode in ("drop", "answer"):
            mount = f"{REPLICA}:/replica.py:ro"
            replica = ["python:3.13-slim-trixie", "python", "/replica.py", mode, "8002"]
            containers.append(docker(*run, "--network-alias", "vending", "-v", mount, *replica))
        port = free_port()
        containers.append(start_gateway(name, port, rate=1000))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, docker("logs", containers[-1])
            time.sleep(0.25)
        yield url, containers[0]
    finally:
        for container in containers:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
        subprocess.run(["docker", "network", "rm", name], capture_output=True, check=False)


def _seen_by_the_dropping_replica(container: str) -> list[str]:
    return docker("exec", container, "sh", "-c", "cat /tmp/seen 2>/dev/null || true").split()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_idempotent_requests_a_replica_dropped_are_answered_by_another(
    gateway: tuple[str, str], method: str
) -> None:
    """Every idempotent request succeeds, although the dropping replica got its share."""
    url, dropper = gateway
    before = _seen_by_the_dropping_replica(dropper).count(method)
    statuses = [
        httpx.request(method, f"{url}/api/cats/x", timeout=30).status_code for _ in range(REQUESTS)
    ]
    assert statuses == [200] * REQUESTS
    assert _seen_by_the_dropping_replica(dropper).count(method) > before


def test_a_post_a_replica_dropped_is_never_sent_again(gateway: tuple[str, str]) -> None:
    """POSTs the dropping replica read come back 502 (problem for the client to decide),
    one for each it read; none was passed on to the other replica."""
    url, dropper = gateway
    before = _seen_by_the_dropping_replica(dropper).count("POST")
    statuses = [
        httpx.post(f"{url}/api/cats", content=b"x" * 100, timeout=30).status_code
        for _ in range(REQUESTS)
    ]
    dropped = _seen_by_the_dropping_replica(dropper).count("POST") - before
    assert dropped > 0
    assert statuses.count(502) == dropped
    assert statuses.count(200) == REQUESTS - dropped
