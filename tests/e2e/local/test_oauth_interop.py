"""Standard OAuth 2.0 clients against Lanyard's booth as real processes: Authlib's httpx
client discovers the metadata, gets, refreshes, revokes and introspects tokens; joserfc
verifies the access token from the advertised `jwks_uri`. Nobody here wrote either."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError

# Authlib asks httpx users to move to httpx2 (pyproject's filterwarnings lets that notice
# pass); the services use httpx, so its httpx client is the one a Lanyard user reaches for.
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from tests.support.oauth import walk_metadata
from tests.support.services import Stack, running_pair
from tools.processes import wait_until

CLIENT, SECRET = "gateway", "gateway-secret-0123456789"
PASSWORD = "correct horse battery"
BOUND = 7.0


@pytest.fixture
def booth(tmp_path: Path) -> Iterator[Stack]:
    with running_pair(tmp_path, auth_env={"OAUTH_CLIENTS": f"{CLIENT}:{SECRET}"}) as pair:
        registered = httpx.post(
            f"{pair.auth.url}/register", json={"username": "bruce", "password": PASSWORD}
        )
        assert registered.status_code == 201
        yield pair


def vending_status(stack: Stack, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{stack.vending.url}/me", headers=headers, timeout=10).status_code


def verified_claims(jwks: dict[str, object], token: str, issuer: str) -> dict[str, object]:
    """The claims, once joserfc has checked the signature and the registered claims."""
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])  # type: ignore[arg-type]
    JWTClaimsRegistry(iss={"essential": True, "value": issuer}, exp={"essential": True}).validate(
        decoded.claims
    )
    assert decoded.header["typ"] == "at+jwt"
    return dict(decoded.claims)


def test_authlib_gets_refreshes_revokes_and_introspects_and_joserfc_verifies(
    booth: Stack,
) -> None:
    issuer = booth.auth.url

    async def run() -> None:
        async with AsyncOAuth2Client(
            client_id=CLIENT,
            client_secret=SECRET,
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
        ) as client:
            discovery = f"{issuer}/.well-known/oauth-authorization-server"
            metadata = (await client.request("GET", discovery, withhold_token=True)).json()
            assert metadata["issuer"] == issuer
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="password",
                username="bruce",
                password=PASSWORD,
                scope="cats:read",
            )
            assert token["scope"] == "cats:read"

            jwks_uri = metadata["jwks_uri"]
            jwks = (await client.request("GET", jwks_uri, withhold_token=True)).json()
            claims = verified_claims(jwks, token["access_token"], issuer)
            assert (claims["sub"], claims["scope"], claims["client_id"]) == (
                "bruce",
                "cats:read",
                CLIENT,
            )
            kid = jwt.decode(token["access_token"], KeySet.import_key_set(jwks)).header["kid"]
            impostor = KeySet([RSAKey.generate_key(2048, parameters={"kid": kid})])
            with pytest.raises(BadSignatureError):
                jwt.decode(token["access_token"], impostor, algorithms=["RS256"])

            renewed = await client.refresh_token(
                metadata["token_endpoint"], refresh_token=token["refresh_token"]
            )
            assert renewed["refresh_token"] != token["refresh_token"]
            live = (
                await client.introspect_token(
                    metadata["introspection_endpoint"], token=renewed["access_token"]
                )
            ).json()
            assert (live["active"], live["sub"]) == (True, "bruce")
            assert await asyncio.to_thread(vending_status, booth, renewed["access_token"]) == 200

            revoked = await client.revoke_token(
                metadata["revocation_endpoint"],
                token=renewed["refresh_token"],
                token_type_hint="refresh_token",
            )
            assert revoked.status_code == 200
            with pytest.raises(OAuthError) as refused:
                await client.refresh_token(
                    metadata["token_endpoint"], refresh_token=renewed["refresh_token"]
                )
            assert refused.value.error == "invalid_grant"
            gone = (
                await client.introspect_token(
                    metadata["introspection_endpoint"], token=renewed["access_token"]
                )
            ).json()
            assert gone == {"active": False}
            started = time.monotonic()
            await asyncio.to_thread(
                wait_until,
                lambda: vending_status(booth, renewed["access_token"]) == 401,
                BOUND,
                "the machine to refuse the revoked session's access token",
            )
            took = time.monotonic() - started
            print(f"revoked through /revoke: refused by the machine in {took:.2f} s")

    asyncio.run(run())


def test_every_url_in_the_metadata_answers_as_its_rfc_says(booth: Stack) -> None:
    issuer = booth.auth.url
    answers = walk_metadata(
        f"{issuer}/.well-known/oauth-authorization-server",
        issuer,
        {"username": "bruce", "password": PASSWORD},
        (CLIENT, SECRET),
    )
    assert answers == dict.fromkeys(answers, 200), answers
