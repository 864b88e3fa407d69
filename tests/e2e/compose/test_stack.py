"""The compose stack, scaled to auth=2 and vending=3, tested across containers."""

from __future__ import annotations

import asyncio
import io
import subprocess

import httpx
import pytest
from PIL import Image

from tests.e2e.compose.conftest import (
    GATEWAY,
    STACK,
    auth_request_counts,
    bearer,
    container_ids,
    exec_docker,
    exec_in,
    login,
    new_user,
    stack_ready,
    wait_until,
)
from tests.support.tokens import TokenMinter


def test_every_vending_replica_accepts_tokens_from_every_auth_replica() -> None:
    """Tokens from either auth replica work at all three vending replicas."""
    auth_hosts: dict[str, str] = {}
    for _ in range(40):
        username, _ = new_user("rr")
        response = httpx.post(
            f"{GATEWAY}/auth/login",
            json={"username": username, "password": "correct horse battery"},
            timeout=30,
        )
        auth_hosts.setdefault(response.headers["x-served-by"], response.json()["access_token"])
        if len(auth_hosts) == 2:
            break
    assert len(auth_hosts) == 2, "logins never reached both auth replicas"
    for auth_host, token in auth_hosts.items():
        vending_hosts = set()
        for _ in range(60):
            response = httpx.get(f"{GATEWAY}/api/me", headers=bearer(token), timeout=30)
            assert response.status_code == 200, (auth_host, response.text)
            vending_hosts.add(response.headers["x-served-by"])
            if len(vending_hosts) == 3:
                break
        assert len(vending_hosts) == 3, f"token from {auth_host} reached only {vending_hosts}"
    _, token = new_user("cats")
    cats = httpx.get(f"{GATEWAY}/api/cats?count=5", headers=bearer(token), timeout=30)
    assert cats.status_code == 200
    assert len(cats.json()["cats"]) == 5
    assert cats.json()["cats"][0]["image_url"].startswith(f"{GATEWAY}/api/cats/")


def test_quota_is_exact_across_replicas_under_concurrency() -> None:
    """100 concurrent count=5 requests for one user across 3 replicas: exactly 60 succeed."""
    _, token = new_user("quota")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50)) as c:
            return list(
                await asyncio.gather(
                    *(
                        c.get(f"{GATEWAY}/api/cats?count=5", headers=bearer(token))
                        for _ in range(100)
                    )
                )
            )

    responses = asyncio.run(burst())
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 60, statuses
    assert statuses.count(429) == 40
    assert len({r.headers["x-served-by"] for r in responses}) == 3
    me = httpx.get(f"{GATEWAY}/api/me", headers=bearer(token), timeout=30).json()
    assert me["quota"]["used"] == 300


def test_vending_holds_no_private_key_and_sends_auth_only_jwks_fetches() -> None:
    """No private key file inside vending; auth's metrics show only JWKS fetches from it."""
    for container in container_ids("vending"):
        found = exec_in(
            container,
            "sh",
            "-c",
            "find / -xdev -type f \\( -name '*.pem' -o -name '*.key' \\) "
            "-exec grep -l 'PRIVATE KEY' {} + 2>/dev/null; ls /app; test ! -e /keys && echo nokeys",
        )
        assert "PRIVATE KEY" not in found
        assert "auth_service" not in found
        assert "nokeys" in found
        assert "vending_service" in found
    _, token = new_user("metrics")
    before = auth_request_counts()
    for _ in range(100):
        assert httpx.get(f"{GATEWAY}/api/me", headers=bearer(token), timeout=30).status_code == 200
    after = auth_request_counts()
    for route in ("/register", "/login", "/refresh", "/logout", "<unmatched>"):
        assert after.get(route, 0) == before.get(route, 0), route
    assert after.get("/.well-known/jwks.json", 0) >= 3  # each vending replica's startup fetch


TEST_HELPERS = ("tests.support.tokens", "tests.support.stores", "tools.processes", "bench")


@pytest.mark.parametrize(
    ("service", "package"), [("auth", "auth_service"), ("vending", "vending_service")]
)
def test_no_image_holds_a_test_helper(service: str, package: str) -> None:
    """Inside each running image, importing a test helper fails (no such module), while the
    service's own code imports: the image holds shared/ and its service, nothing else."""
    container = container_ids(service)[0]
    for module in TEST_HELPERS:
        result = subprocess.run(
            ["docker", "exec", container, "python", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0, module
        assert "ModuleNotFoundError" in result.stderr, result.stderr
    exec_in(container, "python", "-c", f"import {package}.app, shared.tokens")
    assert sorted(exec_in(container, "ls", "/app").split()) == sorted([package, "shared"])


@pytest.mark.parametrize("service", ["auth", "vending"])
def test_each_service_image_is_python_3_13_on_trixie(service: str) -> None:
    """`docker inspect` names the base image, and the interpreter inside is 3.13."""
    container = container_ids(service)[0]
    label = '{{index .Config.Labels "org.opencontainers.image.base.name"}}'
    image = exec_docker("inspect", "-f", "{{.Image}}", container)
    assert exec_docker("inspect", "-f", label, image) == "python:3.13-slim-trixie"
    version = exec_in(container, "python", "-c", "import sys; print(sys.version_info[:2])")
    assert version.strip() == "(3, 13)"


def test_vending_serves_while_every_auth_replica_is_stopped() -> None:
    """With auth stopped, valid tokens work and forged ones get 401; restarted, logins work."""
    username, token = new_user("outage")
    STACK.stop("auth")
    try:
        for _ in range(30):
            response = httpx.get(f"{GATEWAY}/api/me", headers=bearer(token), timeout=30)
            assert response.status_code == 200
        forged = TokenMinter(issuer=f"{GATEWAY}/auth", kid="made-up").mint(username)
        response = httpx.get(f"{GATEWAY}/api/me", headers=bearer(forged), timeout=30)
        assert response.status_code == 401
    finally:
        STACK.start("auth")
    wait_until(stack_ready, 120, "auth to come back")
    assert login(username)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_users_pictures_and_quotas_survive_restarts() -> None:
    """Restarting vending, PostgreSQL and Redis loses no user, picture or quota count."""
    username, token = new_user("durable")
    upload = httpx.post(
        f"{GATEWAY}/api/cats",
        headers=bearer(token),
        data={"title": "Durable cat"},
        files={"image": ("c.png", _png(), "image/png")},
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    picture_id = upload.json()["id"]
    assert (
        httpx.get(f"{GATEWAY}/api/cats?count=7", headers=bearer(token), timeout=30).status_code
        == 200
    )
    STACK.restart("postgres", "redis", "vending")
    wait_until(stack_ready, 180, "the stack after restarts")
    fresh = login(username)
    picture = httpx.get(f"{GATEWAY}/api/cats/{picture_id}", headers=bearer(fresh), timeout=30)
    assert picture.status_code == 200
    assert picture.json()["title"] == "Durable cat"
    me = httpx.get(f"{GATEWAY}/api/me", headers=bearer(fresh), timeout=30).json()
    assert me["quota"]["used"] == 8
