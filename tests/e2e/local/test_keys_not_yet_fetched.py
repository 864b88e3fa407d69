"""A vending service that has not yet had the booth's keys, as real processes: a valid
token is not refused as unknown, it is told to come back."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.keys import keys_folder
from tests.support.services import login, start_service
from tools.processes import distinct_ports, wait_until


def test_a_valid_token_before_any_key_fetch_gets_503_with_retry_after_not_401(
    tmp_path: Path,
) -> None:
    """With the booth away since the vending service started, a token the booth issued is
    `503` problem+json with `Retry-After`; once the booth is back, the same token is 200."""
    auth_port, vending_port = distinct_ports(2)
    issuer = f"http://127.0.0.1:{auth_port}"
    auth_env = {
        "ISSUER": issuer,
        "KEYS_DIR": str(keys_folder(tmp_path / "keys")),
        "DATA_DIR": str(tmp_path / "auth-data"),
    }
    auth = start_service("auth", "auth_service", auth_port, auth_env, tmp_path)
    vending = None
    try:
        auth.wait_ready()
        token = login(auth.url, "early-bird")
        auth.stop()
        vending_env = {
            "ISSUER": issuer,
            "JWKS_URL": f"{issuer}/.well-known/jwks.json",
            "PUBLIC_URL": f"http://127.0.0.1:{vending_port}",
            "DATA_DIR": str(tmp_path / "vending-data"),
        }
        vending = start_service("vending", "vending_service", vending_port, vending_env, tmp_path)
        vending.wait_ready("/healthz")
        headers = {"Authorization": f"Bearer {token}"}

        response = httpx.get(f"{vending.url}/me", headers=headers, timeout=10)
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0
        assert "keys" in response.json()["detail"]
        assert "www-authenticate" not in response.headers

        auth.process = auth.process.restart()
        auth.wait_ready()
        wait_until(
            lambda: httpx.get(f"{vending.url}/me", headers=headers, timeout=10).status_code == 200,
            90,
            "the token to be accepted once the keys were fetched",
        )
    finally:
        if vending is not None:
            vending.stop()
        auth.stop()
