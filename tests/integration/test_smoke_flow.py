"""The whole story in-process: register, log in, buy cats with the token."""

from __future__ import annotations

import httpx


async def test_register_login_and_vend(
    auth_client: httpx.AsyncClient, vending_client: httpx.AsyncClient
) -> None:
    """A registered user logs in and gets 35 cats for their token."""
    r = await auth_client.post("/register", json={"username": "Bruce", "password": "correct horse"})
    assert r.status_code == 201, r.text
    assert r.json() == {"username": "bruce"}
    r = await auth_client.post("/login", json={"username": "bruce", "password": "correct horse"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    r = await vending_client.get("/cats?count=35", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert len(r.json()["cats"]) == 35
