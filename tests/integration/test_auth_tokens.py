"""Tokens over HTTP: login responses, access-token contents, refresh chains and the JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.settings import AuthSettings
from tests.integration.auth_helpers import (
    PASSWORD,
    assert_problem,
    files_contain,
    login,
    public_numbers_on_disk,
    query,
    register,
    tokens_for,
)
from tests.support.clock import FakeClock

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


def b64url_json(segment: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


async def jwks_keys(client: httpx.AsyncClient) -> list[dict[str, str]]:
    r = await client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    keys: list[dict[str, str]] = r.json()["keys"]
    return keys


async def verify(client: httpx.AsyncClient, token: str, settings: AuthSettings) -> dict[str, Any]:
    """The token's claims, verified as a relying party would: JWKS key by kid, RS256 only."""
    kid = jwt.get_unverified_header(token)["kid"]
    [jwk] = [key for key in await jwks_keys(client) if key["kid"] == kid]
    claims: dict[str, Any] = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=settings.audience,
        issuer=settings.issuer,
        options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
    )
    return claims


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/refresh", json={"refresh_token": token})


async def logout(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/logout", json={"refresh_token": token})


# --- login -------------------------------------------------------------------------------


async def test_login_returns_exactly_the_token_response_members(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """Login is 200 with access_token, token_type Bearer, expires_in, refresh_token and the
    device_token (contract: login throttling) only."""
    await register(auth_client)
    r = await login(auth_client)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    members = {"access_token", "token_type", "expires_in", "refresh_token", "device_token"}
    assert set(body) == members
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == auth_settings.access_token_ttl == 900
    assert isinstance(body["access_token"], str)
    assert isinstance(body["refresh_token"], str)


async def test_token_responses_are_not_cacheable(auth_client: httpx.AsyncClient) -> None:
    """Login and refresh answers carry `Cache-Control: no-store`."""
    tokens = await tokens_for(auth_client)
    assert (await login(auth_client)).headers["cache-control"] == "no-store"
    r = await refresh(auth_client, tokens["refresh_token"])
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"


async def test_every_login_yields_brand_new_tokens(auth_client: httpx.AsyncClient) -> None:
    """Two logins in the same second give different access tokens, jtis and refresh tokens."""
    first = await tokens_for(auth_client)
    second = (await login(auth_client)).json()
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]
    jtis = {
        jwt.decode(t["access_token"], options={"verify_signature": False})["jti"]
        for t in (first, second)
    }
    assert len(jtis) == 2


async def test_access_token_header_is_rs256_at_jwt_with_a_published_kid(
    auth_client: httpx.AsyncClient,
) -> None:
    """The JWS header is exactly alg RS256, typ at+jwt and a kid found in the JWKS."""
    token = (await tokens_for(auth_client))["access_token"]
    header = b64url_json(token.split(".")[0])
    kids = {key["kid"] for key in await jwks_keys(auth_client)}
    assert set(header) == {"alg", "typ", "kid"}
    assert header["alg"] == "RS256"
    assert header["typ"] == "at+jwt"
    assert header["kid"] in kids


async def test_access_token_claims_match_the_contract(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, clock: FakeClock
) -> None:
    """Claims: iss, canonical sub, aud, iat now, exp = iat + expires_in, jti, scope, tier."""
    await register(auth_client, "Bruce")
    body = (await login(auth_client, "ＢＲＵＣＥ")).json()
    claims = await verify(auth_client, body["access_token"], auth_settings)
    assert claims["iss"] == auth_settings.issuer
    assert claims["sub"] == "bruce"
    assert claims["aud"] == auth_settings.audience
    assert claims["iat"] == int(clock())
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert isinstance(claims["jti"], str)
    assert claims["jti"]
    assert claims["scope"] == "cats:read cats:write"
    assert claims["tier"] == "free"


async def test_access_token_carries_no_password_or_secret(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """Neither the password, its hash nor the refresh token appears in the access token."""
    body = await tokens_for(auth_client)
    token = body["access_token"]
    payload = json.dumps(jwt.decode(token, options={"verify_signature": False}))
    [(password_hash,)] = query(auth_settings, "SELECT password_hash FROM users")
    for secret in (PASSWORD, password_hash, "$argon2", body["refresh_token"]):
        assert secret not in payload
    assert not {"password", "password_hash", "hash", "refresh_token"} & set(json.loads(payload))


async def test_access_token_verifies_only_with_the_published_key(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """The signature verifies with the JWKS key and fails with any other RSA key."""
    token = (await tokens_for(auth_client))["access_token"]
    assert (await verify(auth_client, token, auth_settings))["sub"] == "bruce"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, stranger, algorithms=["RS256"], audience=auth_settings.audience)


async def test_wrong_password_and_unknown_user_get_byte_identical_401s(
    auth_client: httpx.AsyncClient,
) -> None:
    """A wrong password and a user who does not exist are indistinguishable 401s (given the
    same request id, which the body echoes)."""
    await register(auth_client)
    same_id = {"X-Request-ID": "one-id"}
    wrong = await login(auth_client, "bruce", "not the password", same_id)
    unknown = await login(auth_client, "nobody", "not the password", same_id)
    invalid = await login(auth_client, "x!", "not the password", same_id)
    assert_problem(wrong, 401)
    assert wrong.content == unknown.content == invalid.content
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


@pytest.mark.parametrize("suffix", ["x", "y" * 100], ids=["1025-chars", "1124-chars"])
async def test_login_with_an_overlong_password_is_refused_even_if_its_prefix_matches(
    auth_client: httpx.AsyncClient, suffix: str
) -> None:
    """A password over 1024 characters never logs in, even when it starts with the real one."""
    real = "p" * 1024
    assert (await register(auth_client, "bruce", real)).status_code == 201
    assert_problem(await login(auth_client, "bruce", real + suffix), 401)
    assert (await login(auth_client, "bruce", real)).status_code == 200


# --- refresh and logout ------------------------------------------------------------------


async def test_refresh_returns_a_new_pair_with_a_different_refresh_token(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """Refresh answers a full token response whose refresh token is new."""
    first = await tokens_for(auth_client)
    r = await refresh(auth_client, first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["token_type"] == "Bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    claims = await verify(auth_client, second["access_token"], auth_settings)
    assert claims["sub"] == "bruce"
    assert claims["exp"] - claims["iat"] == second["expires_in"]


async def test_a_spent_refresh_token_is_rejected_with_401(auth_client: httpx.AsyncClient) -> None:
    """Once used, a refresh token is spent: using it again is 401."""
    old = (await tokens_for(auth_client))["refresh_token"]
    assert (await refresh(auth_client, old)).status_code == 200
    assert_problem(await refresh(auth_client, old), 401)


async def test_replaying_a_spent_refresh_token_revokes_the_whole_chain(
    auth_client: httpx.AsyncClient,
) -> None:
    """Reuse of a spent token is theft: the newest token of its chain stops working too."""
    old = (await tokens_for(auth_client))["refresh_token"]
    newest = (await refresh(auth_client, old)).json()["refresh_token"]
    assert_problem(await refresh(auth_client, old), 401)
    assert_problem(await refresh(auth_client, newest), 401)


async def test_replay_revokes_only_its_own_chain(auth_client: httpx.AsyncClient) -> None:
    """A second login's chain survives the revocation of the first one."""
    old = (await tokens_for(auth_client))["refresh_token"]
    other = (await login(auth_client)).json()["refresh_token"]
    await refresh(auth_client, old)
    await refresh(auth_client, old)
    assert (await refresh(auth_client, other)).status_code == 200


async def test_logout_returns_204_and_revokes_the_chain_at_once(
    auth_client: httpx.AsyncClient,
) -> None:
    """After logout neither the logged-out token nor its predecessors refresh."""
    first = (await tokens_for(auth_client))["refresh_token"]
    second = (await refresh(auth_client, first)).json()["refresh_token"]
    r = await logout(auth_client, second)
    assert r.status_code == 204
    assert r.content == b""
    assert_problem(await refresh(auth_client, second), 401)


async def test_logout_with_an_older_token_of_the_chain_revokes_the_newest(
    auth_client: httpx.AsyncClient,
) -> None:
    """Logging out with a spent token of a chain still ends the chain's live token."""
    first = (await tokens_for(auth_client))["refresh_token"]
    second = (await refresh(auth_client, first)).json()["refresh_token"]
    assert (await logout(auth_client, first)).status_code == 204
    assert_problem(await refresh(auth_client, second), 401)


@pytest.mark.parametrize("token", ["", "garbage", "x" * 43, "y" * 129, "z" * 5000])
async def test_logout_is_204_for_unknown_tokens(auth_client: httpx.AsyncClient, token: str) -> None:
    """Logout never reveals whether a token existed: unknown ones are 204 too."""
    assert (await logout(auth_client, token)).status_code == 204


async def test_logout_is_idempotent(auth_client: httpx.AsyncClient) -> None:
    """Logging out twice with one token, or with a spent one, is 204 each time."""
    tokens = await tokens_for(auth_client)
    for _ in range(3):
        assert (await logout(auth_client, tokens["refresh_token"])).status_code == 204


@pytest.mark.parametrize("token", ["", "garbage", "x" * 43, "y" * 129, "z" * 5000])
async def test_refresh_with_an_unknown_token_is_401(
    auth_client: httpx.AsyncClient, token: str
) -> None:
    """Refresh with a token the service never issued is a problem+json 401."""
    assert_problem(await refresh(auth_client, token), 401)


async def test_refresh_with_an_access_token_is_401(auth_client: httpx.AsyncClient) -> None:
    """An access token is not a refresh token."""
    tokens = await tokens_for(auth_client)
    assert_problem(await refresh(auth_client, tokens["access_token"]), 401)


async def test_refresh_token_expires_after_its_lifetime(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, clock: FakeClock
) -> None:
    """A refresh token older than REFRESH_TOKEN_TTL is 401."""
    tokens = await tokens_for(auth_client)
    clock.advance(auth_settings.refresh_token_ttl + 1)
    assert_problem(await refresh(auth_client, tokens["refresh_token"]), 401)


async def test_refresh_tokens_are_stored_only_as_hashes(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """The database file holds the SHA-256 of a refresh token, never the token itself."""
    token = (await tokens_for(auth_client))["refresh_token"]
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert query(auth_settings, "SELECT token_hash FROM refresh_tokens") == [(digest,)]
    assert files_contain(auth_settings, digest.encode())
    assert not files_contain(auth_settings, token.encode())


# --- JWKS --------------------------------------------------------------------------------


async def test_jwks_publishes_only_public_members(auth_client: httpx.AsyncClient) -> None:
    """Each key has exactly kty, use, alg, kid, n, e; no private member appears anywhere."""
    r = await auth_client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"keys"}
    assert body["keys"]
    for key in body["keys"]:
        assert set(key) == {"kty", "use", "alg", "kid", "n", "e"}
        assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")

    def members(value: object) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {m for v in value.values() for m in members(v)}
        if isinstance(value, list):
            return {m for v in value for m in members(v)}
        return set()

    assert not members(body) & set(PRIVATE_MEMBERS)


async def test_jwks_is_the_public_half_of_the_key_on_disk(
    auth_client: httpx.AsyncClient, keys_dir: Path
) -> None:
    """The published n and e are those of the PEM private key in the keys folder."""
    [key] = await jwks_keys(auth_client)
    published = jwt.PyJWK(key).key
    assert isinstance(published, rsa.RSAPublicKey)
    assert published.public_numbers() == public_numbers_on_disk(keys_dir)


async def test_jwks_kid_is_the_rfc7638_thumbprint(auth_client: httpx.AsyncClient) -> None:
    """`kid` is base64url(SHA-256) of the canonical JSON of the key's e, kty and n."""
    for key in await jwks_keys(auth_client):
        canonical = '{"e":"' + key["e"] + '","kty":"RSA","n":"' + key["n"] + '"}'
        digest = hashlib.sha256(canonical.encode("ascii")).digest()
        assert key["kid"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_jwks_is_publicly_cacheable_with_an_etag(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """The JWKS says `Cache-Control: public, max-age=300` and has a strong ETag."""
    r = await auth_client.get("/.well-known/jwks.json")
    assert auth_settings.jwks_max_age == 300
    assert r.headers["cache-control"] == "public, max-age=300"
    etag = r.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert (await auth_client.get("/.well-known/jwks.json")).headers["etag"] == etag


@pytest.mark.parametrize("form", ["{}", "W/{}", '"other", {}', '"a", W/{} , "b"', "*"])
async def test_jwks_matching_if_none_match_is_304(
    auth_client: httpx.AsyncClient, form: str
) -> None:
    """A matching If-None-Match (strong, weak, in a list, or *) is 304 with no body."""
    etag = (await auth_client.get("/.well-known/jwks.json")).headers["etag"]
    r = await auth_client.get(
        "/.well-known/jwks.json", headers={"If-None-Match": form.format(etag)}
    )
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    assert r.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("header", ['"stale"', 'W/"stale"', '"a", "b"', ""])
async def test_jwks_other_if_none_match_is_200(auth_client: httpx.AsyncClient, header: str) -> None:
    """An If-None-Match that names another version gets the full key set."""
    r = await auth_client.get("/.well-known/jwks.json", headers={"If-None-Match": header})
    assert r.status_code == 200
    assert r.json()["keys"]
