"""The booth and the machine as real processes: the story, and no callbacks."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets

import httpx

from tests.support.services import Stack, login
from tests.support.tokens import TokenMinter


def test_register_login_and_buy_35_cats(stack: Stack) -> None:
    """register -> login -> GET /cats?count=35 with the token gives 35 pictures."""
    token = login(stack.auth.url, "Bruce")
    response = httpx.get(
        f"{stack.vending.url}/cats?count=35", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert len(response.json()["cats"]) == 35
    assert response.json()["quota"]["remaining"] == 265


def test_no_token_no_cats(stack: Stack) -> None:
    """Without a token: 401 with WWW-Authenticate: Bearer."""
    response = httpx.get(f"{stack.vending.url}/cats")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def _hammer(url: str, headers: dict[str, str], count: int) -> list[int]:
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        semaphore = asyncio.Semaphore(16)

        async def one() -> int:
            async with semaphore:
                return (await client.get(url, headers=headers)).status_code

        return list(await asyncio.gather(*(one() for _ in range(count))))


def test_vending_never_calls_the_booth_back(stack: Stack) -> None:
    """In 1,000 requests the booth hears nothing from the machine, which works on without it."""
    token = login(stack.auth.url, "carol")
    headers = {"Authorization": f"Bearer {token}"}
    assert stack.auth.request_count("/.well-known/jwks.json") == 1  # the startup fetch
    before = {
        route: stack.auth.request_count(route)
        for route in ("/register", "/login", "/refresh", "/logout", "/.well-known/jwks.json")
    }
    statuses = asyncio.run(_hammer(f"{stack.vending.url}/me", headers, 1000))
    assert statuses == [200] * 1000
    after = {route: stack.auth.request_count(route) for route in before}
    assert after == before
    assert stack.auth.request_count("<unmatched>") == 0

    stack.auth.stop()
    statuses = asyncio.run(_hammer(f"{stack.vending.url}/cats?count=1", headers, 50))
    assert statuses == [200] * 50
    forged = TokenMinter(issuer=stack.auth.url, kid=_kid(token)).mint("carol")
    response = httpx.get(f"{stack.vending.url}/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def test_unknown_kids_cost_at_most_one_fetch_per_cooldown(stack: Stack) -> None:
    """500 tokens naming random unknown kids: all 401, at most one JWKS fetch."""
    minter = TokenMinter(issuer=stack.auth.url)
    fetches = stack.auth.request_count("/.well-known/jwks.json")

    async def run() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            statuses = []
            for _ in range(500):
                token = minter.mint("eve", header={"kid": secrets.token_urlsafe(8)})
                response = await client.get(
                    f"{stack.vending.url}/me", headers={"Authorization": f"Bearer {token}"}
                )
                statuses.append(response.status_code)
            return statuses

    assert asyncio.run(run()) == [401] * 500
    assert stack.auth.request_count("/.well-known/jwks.json") - fetches <= 1
