"""The OAuth 2.0 endpoints through the gateway: RFC 8414 discovery at the path-inserted URL,
every advertised URL answering, and Authlib's client end to end (make e2e sets
OAUTH_CLIENTS to one confidential client)."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError

# Authlib asks httpx users to move to httpx2 (pyproject's filterwarnings lets that notice
# pass); the services use httpx, so its httpx client is the one a Lanyard user reaches for.
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.e2e.compose.conftest import GATEWAY, PASSWORD, bearer, new_user, wait_until
from tests.support.oauth import walk_metadata

CLIENT, _, SECRET = os.environ.get(
    "OAUTH_CLIENTS", "e2e-gateway:e2e-gateway-secret-0123456789"
).partition(":")
ISSUER = f"{GATEWAY}/auth"
# RFC 8414 3.1: the issuer's path goes after the well-known name.
DISCOVERY = f"{GATEWAY}/.well-known/oauth-authorization-server/auth"


def test_the_metadata_is_found_where_rfc_8414_puts_it_and_every_url_answers() -> None:
    username, _ = new_user("walker")
    answers = walk_metadata(
        DISCOVERY, ISSUER, {"username": username, "password": PASSWORD}, (CLIENT, SECRET)
    )
    assert answers == dict.fromkeys(answers, 200), answers
    assert httpx.get(DISCOVERY, timeout=30).headers["content-type"].startswith("application/json")


def test_authlib_through_the_gateway_gets_refreshes_revokes_and_introspects() -> None:
    username, _ = new_user("authlib")

    async def run() -> str:
        async with AsyncOAuth2Client(
            client_id=CLIENT,
            client_secret=SECRET,
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            timeout=30,
        ) as client:
            metadata = (await client.request("GET", DISCOVERY, withhold_token=True)).json()
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="password",
                username=username,
                password=PASSWORD,
            )
            renewed = await client.refresh_token(
                metadata["token_endpoint"], refresh_token=token["refresh_token"]
            )
            introspected = await client.introspect_token(
                metadata["introspection_endpoint"], token=renewed["access_token"]
            )
            assert introspected.json()["active"] is True
            await client.revoke_token(
                metadata["revocation_endpoint"], token=renewed["refresh_token"]
            )
            with pytest.raises(OAuthError) as refused:
                await client.refresh_token(
                    metadata["token_endpoint"], refresh_token=renewed["refresh_token"]
                )
            assert refused.value.error == "invalid_grant"
            return str(renewed["access_token"])

    access_token = asyncio.run(run())
    wait_until(
        lambda: (
            httpx.get(f"{GATEWAY}/api/me", headers=bearer(access_token), timeout=30).status_code
            == 401
        ),
        7.0,
        "the revoked session's access token to be refused through the gateway",
    )
