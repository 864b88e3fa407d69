"""Hostile and malformed request bodies: never a 5xx, always problem+json, nothing stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from auth_service.settings import AuthSettings
from tests.integration.auth_helpers import PASSWORD, assert_problem, tokens_for, user_count

JSON = {"content-type": "application/json"}
ENDPOINTS = ["/register", "/login", "/refresh", "/logout"]
GOOD = b'{"username":"mallory","password":"correct horse battery"}'

# Each body is sent as application/json; the status is what the contract asks for.
BAD_BODIES: dict[str, tuple[bytes, int]] = {
    "empty": (b"", 400),
    "not-json": (b"username=mallory&password=secret", 400),
    "truncated": (GOOD[:-1], 400),
    "invalid-utf8": (b'{"username":"mall\xffory","password":"correct horse battery"}', 400),
    "utf16": (GOOD.decode().encode("utf-16"), 400),
    "nan": (b'{"username":"mallory","password":NaN}', 400),
    "deep-array": (b"[" * 50_000, 400),
    "deep-object": (b'{"a":' * 12_000, 400),
    "huge-integer": (b'{"username":"mallory","password":' + b"9" * 5_000 + b"}", 400),
    "duplicate-member": (
        b'{"username":"mallory","username":"bruce","password":"correct horse battery"}',
        400,
    ),
    "array": (b'["mallory","correct horse battery"]', 422),
    "string": (b'"mallory"', 422),
    "null": (b"null", 422),
    "number-for-string": (b'{"username":12345,"password":"correct horse battery"}', 422),
    "bool-for-string": (b'{"username":"mallory","password":true}', 422),
    "null-for-string": (b'{"username":"mallory","password":null}', 422),
    "object-for-string": (b'{"username":{"$ne":""},"password":"correct horse battery"}', 422),
    "missing-member": (b'{"username":"mallory"}', 422),
    "empty-object": (b"{}", 422),
    "unknown-member": (
        b'{"username":"mallory","password":"correct horse battery","tier":"premium"}',
        422,
    ),
}


async def post(
    client: httpx.AsyncClient, path: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(path, content=body, headers=JSON if headers is None else headers)


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_malformed_body_is_a_4xx_problem_on_every_endpoint_and_stores_nothing(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, case: str
) -> None:
    """Each malformed body gets its 400 or 422 problem on every JSON endpoint; no user is made."""
    body, status = BAD_BODIES[case]
    for path in ENDPOINTS:
        assert_problem(await post(auth_client, path, body), status)
    assert user_count(auth_settings) == 0


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_extra_member_in_token_requests_is_422(
    auth_client: httpx.AsyncClient, path: str
) -> None:
    """An unknown member is refused rather than silently ignored."""
    body = {"username": "bruce", "password": PASSWORD, "refresh_token": "x", "extra": 1}
    assert_problem(await auth_client.post(path, json=body), 422)


async def test_unknown_member_cannot_make_a_user_premium(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """`tier` and `scopes` in a register body are refused, never stored."""
    for extra in ({"tier": "premium"}, {"scopes": "cats:read cats:write admin"}):
        body = {"username": "mallory", "password": PASSWORD, **extra}
        assert_problem(await auth_client.post("/register", json=body), 422)
    assert user_count(auth_settings) == 0


SURROGATES = {
    "username": b'{"username":"mallory\\ud800","password":"correct horse battery"}',
    "password": b'{"username":"mallory","password":"correct horse battery\\udfff"}',
}


@pytest.mark.parametrize("member", sorted(SURROGATES))
async def test_lone_surrogate_in_credentials_is_a_4xx_not_a_crash(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, member: str
) -> None:
    r"""A JSON `\ud800` escape (not encodable as UTF-8) is refused on register and login."""
    body = SURROGATES[member]
    register = await post(auth_client, "/register", body)
    assert register.status_code in (400, 422), register.text
    assert_problem(register, register.status_code)
    assert user_count(auth_settings) == 0
    login = await post(auth_client, "/login", body)
    assert login.status_code in (400, 401, 422), login.text
    assert_problem(login, login.status_code)


@pytest.mark.parametrize("path", ["/refresh", "/logout"])
async def test_lone_surrogate_refresh_token_is_a_4xx_not_a_crash(
    auth_client: httpx.AsyncClient, path: str
) -> None:
    r"""A refresh token holding a `\ud800` escape is refused without a 5xx."""
    r = await post(auth_client, path, b'{"refresh_token":"abc\\ud800"}')
    assert r.status_code in (400, 401, 422), r.text
    assert_problem(r, r.status_code)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json; charset=latin-1",
    ],
)
async def test_non_json_content_type_is_415(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, content_type: str | None
) -> None:
    """A body that is not declared as UTF-8 application/json is 415, even if it parses."""
    headers = {} if content_type is None else {"content-type": content_type}
    for path in ENDPOINTS:
        assert_problem(await post(auth_client, path, GOOD, headers), 415)
    assert user_count(auth_settings) == 0


async def test_form_encoded_register_is_415_and_stores_nothing(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """A classic HTML form post to /register is 415."""
    r = await auth_client.post("/register", data={"username": "mallory", "password": PASSWORD})
    assert_problem(r, 415)
    assert user_count(auth_settings) == 0


async def test_body_over_64_kib_is_413(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """A declared body over 64 KiB is refused with 413 on every JSON endpoint."""
    body = b'{"username":"mallory","password":"' + b"a" * 65_536 + b'"}'
    for path in ENDPOINTS:
        assert_problem(await post(auth_client, path, body), 413)
    assert user_count(auth_settings) == 0


async def test_body_of_exactly_64_kib_is_read(auth_client: httpx.AsyncClient) -> None:
    """The limit is inclusive: a 65536-byte body is parsed (here, refused as invalid: 422)."""
    head, tail = b'{"username":"mallory","password":"', b'"}'
    body = head + b"a" * (65_536 - len(head) - len(tail)) + tail
    assert len(body) == 65_536
    assert_problem(await post(auth_client, "/register", body), 422)


async def test_streamed_body_over_64_kib_is_413(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    """A chunked body with no Content-Length is cut off at 64 KiB with 413."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"username":"mallory","password":"'
        for _ in range(20):
            yield b"a" * 4096
        yield b'"}'

    r = await auth_client.post("/register", content=chunks(), headers=JSON)
    assert "content-length" not in r.request.headers
    assert_problem(r, 413)
    assert user_count(auth_settings) == 0


async def test_deeply_nested_100k_brackets_is_refused_without_a_crash(
    auth_client: httpx.AsyncClient,
) -> None:
    """`"[" * 100000` is over the size limit, so it is a 413 and never parsed."""
    assert_problem(await post(auth_client, "/register", b"[" * 100_000), 413)


async def test_conflicting_content_length_headers_are_400(
    auth_client: httpx.AsyncClient,
) -> None:
    """Two different Content-Length values are a malformed request."""
    headers = [
        ("content-type", "application/json"),
        ("content-length", "5"),
        ("content-length", str(len(GOOD))),
    ]
    r = await auth_client.post("/register", content=GOOD, headers=headers)
    assert r.request.headers.get_list("content-length") == ["5", str(len(GOOD))]
    assert_problem(r, 400)


async def test_malformed_requests_leave_valid_accounts_working(
    auth_client: httpx.AsyncClient,
) -> None:
    """After a barrage of malformed bodies, an account still logs in and refreshes."""
    tokens = await tokens_for(auth_client)
    for body, _ in BAD_BODIES.values():
        for path in ENDPOINTS:
            assert (await post(auth_client, path, body)).status_code < 500
    r = await auth_client.post("/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
