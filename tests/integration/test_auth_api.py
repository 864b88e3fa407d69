"""The auth service's HTTP API in-process: registration, discovery, health and CORS."""

from __future__ import annotations

import httpx
import pytest

from auth_service.settings import AuthSettings
from shared.web.metrics import AuthMetrics
from tests.integration.auth_helpers import (
    PASSWORD,
    assert_problem,
    login,
    query,
    register,
    user_count,
)

FRONTEND = "http://127.0.0.1:8000"


async def test_register_returns_201_with_the_canonical_username(
    auth_client: httpx.AsyncClient,
) -> None:
    """Registering answers 201 with the username in its canonical (NFKC, casefolded) form."""
    r = await register(auth_client, "Bruce.Wayne_42")
    assert r.status_code == 201, r.text
    assert r.json() == {"username": "bruce.wayne_42"}


@pytest.mark.parametrize("spelling", ["bruce", "ＢＲＵＣＥ"])
async def test_other_spellings_of_a_registered_name_are_taken_with_409(
    auth_client: httpx.AsyncClient, spelling: str
) -> None:
    """`Bruce`, `bruce` and fullwidth `ＢＲＵＣＥ` are one account: registering again is 409."""
    assert (await register(auth_client, "Bruce")).status_code == 201
    r = await register(auth_client, spelling, "another password")
    assert_problem(r, 409)


async def test_two_spellings_leave_exactly_one_user_row(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """Registering `Bruce`, `bruce` and `ＢＲＵＣＥ` stores one user, named `bruce`."""
    for name in ("Bruce", "bruce", "ＢＲＵＣＥ"):
        await register(auth_client, name)
    assert query(auth_settings, "SELECT username FROM users") == [("bruce",)]


@pytest.mark.parametrize("spelling", ["Bruce", "bruce", "BRUCE", "ＢＲＵＣＥ"])
async def test_login_accepts_any_spelling_of_the_username(
    auth_client: httpx.AsyncClient, spelling: str
) -> None:
    """Any spelling with the same canonical form logs in to the one account."""
    assert (await register(auth_client, "Bruce")).status_code == 201
    r = await login(auth_client, spelling)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "username",
    [
        "",
        "ab",
        "a" * 33,
        "-bruce",
        ".bruce",
        "_bruce",
        "bru ce",
        "bruce!",
        "bruce@example.com",
        "brüce",
        "bruce\u0000",
        "bruce\n",
        "ｂｒ",
        "x" * 300,
    ],
)
async def test_invalid_username_is_rejected_with_422(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, username: str
) -> None:
    """A username that is not 3-32 of a-z 0-9 . _ - (after NFKC + casefold) is 422."""
    r = await register(auth_client, username)
    assert_problem(r, 422)
    assert user_count(auth_settings) == 0


@pytest.mark.parametrize("username", ["abc", "a" * 32, "0day", "a.b-c_d"])
async def test_boundary_usernames_are_accepted(
    auth_client: httpx.AsyncClient, username: str
) -> None:
    """Three and 32 characters, a leading digit and each punctuation mark are all valid."""
    r = await register(auth_client, username)
    assert r.status_code == 201, r.text
    assert r.json() == {"username": username}


@pytest.mark.parametrize("password", ["", "short", "7chars!", "p" * 1025, "p" * 4096])
async def test_password_outside_8_to_1024_characters_is_rejected_with_422(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, password: str
) -> None:
    """Passwords shorter than 8 or longer than 1024 characters are 422 and store nothing."""
    r = await register(auth_client, "bruce", password)
    assert_problem(r, 422)
    assert user_count(auth_settings) == 0


@pytest.mark.parametrize("password", ["8 chars!", "p" * 1024, "ünïcødé✓"])
async def test_password_of_8_to_1024_characters_is_accepted(
    auth_client: httpx.AsyncClient, password: str
) -> None:
    """The password bounds are inclusive, and counted in characters, not bytes."""
    assert (await register(auth_client, "bruce", password)).status_code == 201
    assert (await login(auth_client, "bruce", password)).status_code == 200


@pytest.mark.parametrize("username", ["vending", "VENDING", "Ｖending", "admin"])
async def test_reserved_username_is_taken_with_409(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, username: str
) -> None:
    """Reserved names such as `vending` (the catalogue's owner) cannot be registered."""
    r = await register(auth_client, username)
    assert_problem(r, 409)
    assert user_count(auth_settings) == 0


async def test_password_is_stored_only_as_an_argon2id_hash(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """The users table holds an argon2id hash and never the password itself."""
    assert (await register(auth_client, "bruce", PASSWORD)).status_code == 201
    [(stored,)] = query(auth_settings, "SELECT password_hash FROM users WHERE username='bruce'")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    rows = query(auth_settings, "SELECT * FROM users")
    assert all(PASSWORD not in str(value) for row in rows for value in row)


async def test_new_users_are_free_with_the_default_scopes(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """A registered user starts on the free tier with the configured default scopes."""
    assert (await register(auth_client)).status_code == 201
    rows = query(auth_settings, "SELECT tier, scopes FROM users")
    assert rows == [("free", " ".join(auth_settings.default_scopes))]


async def test_metadata_matches_the_configured_issuer(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """RFC 8414 metadata names the issuer, its JWKS and token endpoint under that issuer."""
    r = await auth_client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    document = r.json()
    issuer = auth_settings.issuer
    assert document["issuer"] == issuer
    assert document["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert document["token_endpoint"] == f"{issuer}/token"
    assert isinstance(document["response_types_supported"], list)


async def test_metadata_endpoints_are_served_by_this_service(
    auth_client: httpx.AsyncClient,
) -> None:
    """The advertised `jwks_uri` answers 200 with a key set (the client's base is the issuer)."""
    document = (await auth_client.get("/.well-known/oauth-authorization-server")).json()
    r = await auth_client.get(document["jwks_uri"])
    assert r.status_code == 200
    assert r.json()["keys"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_health_endpoints_answer_200(auth_client: httpx.AsyncClient, path: str) -> None:
    """`/healthz` and `/readyz` are 200 while the store and key are usable."""
    r = await auth_client.get(path)
    assert r.status_code == 200, r.text


async def test_metrics_count_requests_and_are_not_served_on_the_service_port(
    auth_client: httpx.AsyncClient, auth_metrics: AuthMetrics
) -> None:
    """Requests are counted by route template; `/metrics` on the service's port is a 404."""
    await register(auth_client)
    assert_problem(await auth_client.get("/metrics"), 404)
    text = auth_metrics.render().decode()
    assert 'lanyard_http_requests_total{method="POST",route="/register"' in text


async def test_unknown_route_is_404_problem(auth_client: httpx.AsyncClient) -> None:
    """A path the service does not have is a problem+json 404."""
    assert_problem(await auth_client.get("/no/such/thing"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/login"), ("PUT", "/register"), ("DELETE", "/logout"), ("POST", "/healthz")],
)
async def test_wrong_method_is_405_problem(
    auth_client: httpx.AsyncClient, method: str, path: str
) -> None:
    """A known path with a method it does not take is a problem+json 405."""
    assert_problem(await auth_client.request(method, path), 405)


async def test_cors_preflight_from_the_frontend_is_allowed(auth_client: httpx.AsyncClient) -> None:
    """A preflight from the configured frontend origin gets `Access-Control-Allow-Origin`."""
    r = await auth_client.options(
        "/login",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == FRONTEND


async def test_cors_get_from_the_frontend_is_allowed(auth_client: httpx.AsyncClient) -> None:
    """A simple request from the frontend origin is answered with its origin allowed."""
    r = await auth_client.get("/.well-known/jwks.json", headers={"Origin": FRONTEND})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == FRONTEND


async def test_cors_preflight_from_another_origin_gets_no_allow_origin(
    auth_client: httpx.AsyncClient,
) -> None:
    """A preflight from an origin that is not configured gets no `Access-Control-Allow-Origin`."""
    r = await auth_client.options(
        "/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code < 500
    assert "access-control-allow-origin" not in r.headers


async def test_cors_get_from_another_origin_gets_no_allow_origin(
    auth_client: httpx.AsyncClient,
) -> None:
    """A request from an origin that is not configured gets no `Access-Control-Allow-Origin`."""
    r = await auth_client.get("/.well-known/jwks.json", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
