"""Helpers for tests against the running stack: compose (`make e2e`) or Swarm
(`make swarm-e2e`), through its gateway."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.orchestrators import from_environment

GATEWAY = os.environ.get("LANYARD_GATEWAY", "http://127.0.0.1:8080")
PROMETHEUS = os.environ.get("LANYARD_PROMETHEUS", "http://127.0.0.1:9090")
PASSWORD = "correct horse battery"
STACK = from_environment()


def wait_until(condition: Callable[[], bool], deadline: float, what: str) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def stack_ready() -> bool:
    return all(
        httpx.get(f"{GATEWAY}{path}", timeout=3).status_code == 200
        for path in ("/auth/readyz", "/api/readyz")
    )


def new_user(prefix: str = "user") -> tuple[str, str]:
    """Register a fresh user through the gateway; return (username, access token)."""
    username = f"{prefix}-{secrets.token_hex(4)}"
    credentials = {"username": username, "password": PASSWORD}
    registered = httpx.post(f"{GATEWAY}/auth/register", json=credentials, timeout=30)
    assert registered.status_code == 201, registered.text
    return username, login(username)


def login(username: str) -> str:
    response = httpx.post(
        f"{GATEWAY}/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def container_ids(service: str) -> list[str]:
    return STACK.containers(service)


def exec_docker(*args: str) -> str:
    """A docker command's stdout, stripped; the test fails if it does."""
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def exec_in(container: str, *command: str) -> str:
    result = subprocess.run(
        ["docker", "exec", container, *command], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


_COUNTER = re.compile(r"^lanyard_http_requests_total\{([^}]*)\} (\S+)$", re.MULTILINE)


def auth_request_counts() -> dict[str, float]:
    """Requests each auth route has served, summed over every auth replica (from /metrics on
    each one's management port)."""
    script = (
        "import urllib.request as u;"
        "print(u.urlopen('http://127.0.0.1:9001/metrics', timeout=5).read().decode())"
    )
    totals: dict[str, float] = {}
    for container in container_ids("auth"):
        for labels, value in _COUNTER.findall(exec_in(container, "python", "-c", script)):
            route = re.search(r'route="([^"]*)"', labels)
            if route:
                totals[route.group(1)] = totals.get(route.group(1), 0.0) + float(value)
    return totals
