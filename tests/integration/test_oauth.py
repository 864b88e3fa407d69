"""The OAuth 2.0 endpoints in-process: every RFC 6749 5.2 error `/token` can give, scope
down-scoping, confidential clients, revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from auth_service.app import create_app
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from tests.conftest import ISSUER
from tests.openapi_conformance import Conformance, load_document
from tests.support.clock import FakeClock
from tests.support.tokens import TokenMinter

PASSWORD = "correct horse battery"
CLIENT, SECRET = "gateway", "gateway-secret-0123456789"


@pytest.fixture
async def oauth(
    auth_settings: AuthSettings, fast_passwords: Passwords, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The booth with one confidential client, and bruce registered."""
    settings = replace(auth_settings, oauth_clients=((CLIENT, SECRET),))
    app = create_app(settings, passwords=fast_passwords, clock=clock)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("198.51.100.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            registered = await client.post(
                "/register", json={"username": "bruce", "password": PASSWORD}
            )
            assert registered.status_code == 201
            yield client


@pytest.fixture(scope="module")
def conformance() -> Conformance:
    return Conformance(load_document("auth"))


def basic(client_id: str = CLIENT, secret: str = SECRET) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": f"Basic {base64.b64encode(raw).decode()}"}


def password_grant(**extra: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "username": "bruce",
        "password": PASSWORD,
        "client_id": "lanyard-web",
        **extra,
    }


async def post(
    client: httpx.AsyncClient,
    conformance: Conformance,
    path: str,
    status: int,
    data: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    response = await client.post(path, data=data, **kwargs)
    assert response.status_code == status, response.text
    conformance.check(response, path)
    assert response.headers["cache-control"] == "no-store"
    return response


async def error(
    client: httpx.AsyncClient,
    conformance: Conformance,
    path: str,
    status: int,
    code: str,
    data: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    response = await post(client, conformance, path, status, data, **kwargs)
    body = response.json()
    assert (body["error"], body["status"]) == (code, status), body
    assert body["error_description"]
    return response


async def test_the_password_grant_gives_a_pair_with_the_granted_scope(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    """A public client by client_id: a token pair; `scope` narrows it, never widens."""
    full = (await post(oauth, conformance, "/token", 200, password_grant())).json()
    assert full["scope"] == "cats:read cats:write"
    assert (full["token_type"], full["expires_in"]) == ("Bearer", 900)
    narrow = await post(oauth, conformance, "/token", 200, password_grant(scope="cats:read"))
    assert narrow.json()["scope"] == "cats:read"
    claims = TokenMinter.claims_of(narrow.json()["access_token"])
    assert (claims["scope"], claims["client_id"]) == ("cats:read", "lanyard-web")


async def test_a_refresh_keeps_the_chains_scope_and_may_narrow_it(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    """A down-scoped chain refreshes to its own scope; asking for more is invalid_scope and
    leaves the refresh token working."""
    pair = (await post(oauth, conformance, "/token", 200, password_grant(scope="cats:read"))).json()
    wider = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    wider |= {"client_id": "lanyard-web", "scope": "cats:read cats:write"}
    await error(oauth, conformance, "/token", 400, "invalid_scope", wider)
    again = {k: v for k, v in wider.items() if k != "scope"}
    refreshed = (await post(oauth, conformance, "/token", 200, again)).json()
    assert refreshed["scope"] == "cats:read"


async def test_confidential_clients_authenticate_by_basic_or_in_the_body(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    grant = {k: v for k, v in password_grant().items() if k != "client_id"}
    by_basic = await post(oauth, conformance, "/token", 200, grant, headers=basic())
    by_post = await post(
        oauth, conformance, "/token", 200, {**grant, "client_id": CLIENT, "client_secret": SECRET}
    )
    for response in (by_basic, by_post):
        assert TokenMinter.claims_of(response.json()["access_token"])["client_id"] == CLIENT


@pytest.mark.parametrize(
    ("data", "headers", "content"),
    [
        (None, {"Content-Type": "application/json"}, b'{"grant_type": "password"}'),
        (None, {"Content-Type": "text/plain"}, b"grant_type=password"),
        (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"grant_type=\xff"),
        (None, {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&a=2"),
        ({"client_id": "lanyard-web"}, {}, None),
        ({"grant_type": "password", "client_id": "lanyard-web", "username": "bruce"}, {}, None),
        ({"grant_type": "refresh_token", "client_id": "lanyard-web"}, {}, None),
        ({"grant_type": "password", "client_id": "lanyard-web", "password": PASSWORD}, {}, None),
        (password_grant(client_id=CLIENT, client_secret=SECRET), basic(), None),
    ],
    ids=[
        "json",
        "text",
        "not utf-8",
        "twice",
        "no grant",
        "no password",
        "no refresh token",
        "no username",
        "two client authentication methods",  # RFC 6749 5.2: invalid_request
    ],
)
async def test_malformed_token_requests_are_invalid_request_never_415_or_5xx(
    oauth: httpx.AsyncClient,
    conformance: Conformance,
    data: dict[str, str] | None,
    headers: dict[str, str],
    content: bytes | None,
) -> None:
    await error(
        oauth, conformance, "/token", 400, "invalid_request", data, headers=headers, content=content
    )


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"client_id": "stranger"}, {}),
        ({}, {}),
        ({"client_id": CLIENT, "client_secret": "wrong-secret-0123456789"}, {}),
        ({"client_id": CLIENT}, {}),
        ({"client_id": "lanyard-web", "client_secret": "anything-at-all-0123"}, {}),
        ({}, basic(secret="wrong-secret-0123456789")),
        ({}, {"Authorization": "Basic !!!"}),
    ],
    ids=[
        "unknown",
        "none",
        "wrong secret",
        "no secret",
        "public with secret",
        "basic wrong",
        "basic junk",
    ],
)
async def test_bad_client_credentials_are_invalid_client_401_with_a_basic_challenge(
    oauth: httpx.AsyncClient,
    conformance: Conformance,
    data: dict[str, str],
    headers: dict[str, str],
) -> None:
    grant = {"grant_type": "password", "username": "bruce", "password": PASSWORD, **data}
    response = await error(
        oauth, conformance, "/token", 401, "invalid_client", grant, headers=headers
    )
    assert response.headers["www-authenticate"] == 'Basic realm="lanyard"'


async def test_grant_errors_are_invalid_grant_and_unsupported_grant_type(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    await error(
        oauth,
        conformance,
        "/token",
        400,
        "invalid_grant",
        password_grant(password="nope nope nope"),
    )
    await error(
        oauth, conformance, "/token", 400, "invalid_grant", password_grant(username="nobody")
    )
    stale = {"grant_type": "refresh_token", "refresh_token": "x" * 43, "client_id": "lanyard-web"}
    await error(oauth, conformance, "/token", 400, "invalid_grant", stale)
    for grant in ("client_credentials", "authorization_code", "implicit"):
        await error(
            oauth,
            conformance,
            "/token",
            400,
            "unsupported_grant_type",
            password_grant(grant_type=grant),
        )
    await error(
        oauth, conformance, "/token", 400, "invalid_scope", password_grant(scope="cats:admin")
    )
    await error(
        oauth,
        conformance,
        "/token",
        400,
        "invalid_scope",
        password_grant(scope="cats:read  cats:write"),
    )


async def test_a_reused_refresh_token_is_invalid_grant_and_ends_the_chain(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    pair = (await post(oauth, conformance, "/token", 200, password_grant())).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    refresh["client_id"] = "lanyard-web"
    renewed = (await post(oauth, conformance, "/token", 200, refresh)).json()
    await error(oauth, conformance, "/token", 400, "invalid_grant", refresh)
    renewed_refresh = {**refresh, "refresh_token": renewed["refresh_token"]}
    await error(oauth, conformance, "/token", 400, "invalid_grant", renewed_refresh)


async def test_throttled_password_grants_are_429_with_retry_after(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    for _ in range(5):
        await error(
            oauth,
            conformance,
            "/token",
            400,
            "invalid_grant",
            password_grant(password="wrong password"),
        )
    response = await error(
        oauth, conformance, "/token", 429, "temporarily_unavailable", password_grant()
    )
    assert int(response.headers["retry-after"]) > 0


async def introspect(
    client: httpx.AsyncClient, conformance: Conformance, token: str
) -> dict[str, Any]:
    response = await post(
        client, conformance, "/introspect", 200, {"token": token}, headers=basic()
    )
    return dict(response.json())


async def test_introspection_tells_live_tokens_from_everything_else(
    oauth: httpx.AsyncClient, conformance: Conformance, clock: FakeClock
) -> None:
    """Active with claims for a live token; inactive for a refresh token, a forged one,
    garbage, a revoked one and an expired one."""
    pair = (await post(oauth, conformance, "/token", 200, password_grant(scope="cats:read"))).json()
    live = await introspect(oauth, conformance, pair["access_token"])
    assert live["active"] is True
    assert (live["sub"], live["scope"], live["token_type"], live["tier"]) == (
        "bruce",
        "cats:read",
        "Bearer",
        "free",
    )
    assert live["sid"]
    assert live["jti"]
    assert live["exp"] > live["iat"]
    forged = TokenMinter(issuer=ISSUER, kid=TokenMinter.header_of(pair["access_token"])["kid"])
    for token in (pair["refresh_token"], forged.mint("bruce"), "not.a.token", "x"):
        assert await introspect(oauth, conformance, token) == {"active": False}

    other = (await post(oauth, conformance, "/token", 200, password_grant())).json()
    await post(oauth, conformance, "/revoke", 200, {"token": other["access_token"]})
    assert await introspect(oauth, conformance, other["access_token"]) == {"active": False}

    clock.advance(901)
    assert await introspect(oauth, conformance, pair["access_token"]) == {"active": False}


@pytest.mark.parametrize(
    "headers",
    [{}, basic(secret="wrong-secret-0123456789"), basic("lanyard-web", "")],
    ids=["none", "wrong", "public"],
)
async def test_introspection_without_a_confidential_client_is_401(
    oauth: httpx.AsyncClient, conformance: Conformance, headers: dict[str, str]
) -> None:
    response = await error(
        oauth, conformance, "/introspect", 401, "invalid_client", {"token": "x"}, headers=headers
    )
    assert response.headers["www-authenticate"] == 'Basic realm="lanyard"'


async def test_revocation_of_a_refresh_token_ends_its_chain_and_unknown_tokens_are_fine(
    oauth: httpx.AsyncClient, conformance: Conformance
) -> None:
    pair = (await post(oauth, conformance, "/token", 200, password_grant())).json()
    await post(
        oauth,
        conformance,
        "/revoke",
        200,
        {"token": pair["refresh_token"], "token_type_hint": "refresh_token"},
    )
    refresh = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    await error(
        oauth, conformance, "/token", 400, "invalid_grant", {**refresh, "client_id": "lanyard-web"}
    )
    assert await introspect(oauth, conformance, pair["access_token"]) == {"active": False}
    for unknown in ("nothing-like-a-token", "a.b.c"):
        await post(
            oauth, conformance, "/revoke", 200, {"token": unknown, "token_type_hint": "bogus"}
        )
    await error(
        oauth, conformance, "/revoke", 400, "invalid_request", {"token_type_hint": "access_token"}
    )
    await error(
        oauth,
        conformance,
        "/revoke",
        401,
        "invalid_client",
        {"token": "x"},
        headers=basic(secret="wrong-secret-0123456789"),
    )


async def test_the_json_login_still_answers_401_problem_json(oauth: httpx.AsyncClient) -> None:
    """The contract's JSON routes stay as they are."""
    response = await oauth.post("/login", json={"username": "bruce", "password": "wrong password"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    ok = await oauth.post("/login", json={"username": "bruce", "password": PASSWORD})
    members = {"access_token", "token_type", "expires_in", "refresh_token", "device_token"}
    assert set(ok.json()) == members


async def test_the_metadata_names_the_oauth_endpoints(oauth: httpx.AsyncClient) -> None:
    document = (await oauth.get("/.well-known/oauth-authorization-server")).json()
    assert document["token_endpoint"] == f"{ISSUER}/token"
    assert document["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert document["introspection_endpoint"] == f"{ISSUER}/introspect"
    assert document["response_types_supported"] == []
    assert "client_secret_basic" in document["token_endpoint_auth_methods_supported"]
