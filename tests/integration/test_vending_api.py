"""The vending machine's API in-process: authentication, cats, quotas, uploads, shares."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import httpx
import pytest
from PIL import Image
from starlette.types import ASGIApp

from tests.support.clock import FakeClock
from tests.support.jwks import JWKSFake
from tests.support.tokens import TokenMinter

Bearer = Callable[..., dict[str, str]]


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=kind)
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    title: str = "My cat",
    visibility: str | None = None,
    data: bytes | None = None,
    filename: str = "cat.png",
) -> httpx.Response:
    fields = {"title": title}
    if visibility is not None:
        fields["visibility"] = visibility
    files = {"image": (filename, data if data is not None else image_bytes(), "image/png")}
    return await client.post("/cats", headers=headers, data=fields, files=files)


async def test_no_token_is_401_with_bearer_challenge(vending: httpx.AsyncClient) -> None:
    """Without a token the machine answers 401 and `WWW-Authenticate: Bearer`."""
    response = await vending.get("/cats")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "error=" not in response.headers["www-authenticate"]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_invalid_token_challenge_names_invalid_token(vending: httpx.AsyncClient) -> None:
    """A token that was presented but refused gets `error="invalid_token"`."""
    response = await vending.get("/me", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_scheme_name_is_case_insensitive(
    vending: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """`bearer` and `BEARER` work like `Bearer` (RFC 9110)."""
    token = minter.mint("alice")
    for scheme in ("bearer", "BEARER", "BeArEr"):
        response = await vending.get("/me", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200, scheme


async def test_token_in_query_string_is_refused(
    vending: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """A token in the query string is never accepted."""
    response = await vending.get("/me", params={"access_token": minter.mint("alice")})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


async def test_a_percent_encoded_token_parameter_is_refused_too(
    vending: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """`access%5Ftoken` decodes to `access_token`: refused alike, even with a header token."""
    token = minter.mint("alice")
    for query in (f"access%5Ftoken={token}", f"count=1&access%5ftoken={token}", "access_token"):
        response = await vending.get(f"/cats?{query}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400, query
        assert response.json()["error"] == "invalid_request"


async def test_image_urls_come_from_the_public_url_whatever_the_host_header_says(
    minted_vending_app: ASGIApp, minter: TokenMinter
) -> None:
    """Image URLs are absolute and built from `PUBLIC_URL` (here http://vending.test): no
    `Host` header or root path a client sends ever reaches them."""
    headers = {"Authorization": f"Bearer {minter.mint('alice')}"}
    for base, root_path in [
        ("http://evil.example", ""),
        ("https://two.test:8443", ""),
        ("http://one.test", "/api"),
        ("http://[::1]:8002", "/vend"),
    ]:
        transport = httpx.ASGITransport(app=minted_vending_app, root_path=root_path)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            response = await client.get(f"{root_path}/cats?count=3", headers=headers)
        assert response.status_code == 200, (base, root_path)
        for cat in response.json()["cats"]:
            assert cat["image_url"].startswith(f"http://vending.test/cats/{cat['id']}/image?")


async def test_two_authorization_headers_are_refused(
    vending: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """Two Authorization headers are a 400 invalid_request."""
    token = minter.mint("alice")
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = await vending.get("/me", headers=headers)
    assert response.status_code == 400


async def test_token_with_extra_parts_is_refused(
    vending: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """`Bearer <token> extra` is not exactly one token."""
    response = await vending.get(
        "/me", headers={"Authorization": f"Bearer {minter.mint('alice')} extra"}
    )
    assert response.status_code == 401


async def test_missing_scope_is_403_insufficient_scope(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """A valid token without cats:read gets 403 with error="insufficient_scope"."""
    response = await vending.get("/cats", headers=bearer("alice", scope="cats:write"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    response = await upload(vending, bearer("alice", scope="cats:read"))
    assert response.status_code == 403


async def test_me_reports_subject_tier_scopes_and_quota(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """/me says who the token names, and is not charged."""
    response = await vending.get("/me", headers=bearer("alice", tier="premium"))
    assert response.status_code == 200
    body = response.json()
    assert body["sub"] == "alice"
    assert body["tier"] == "premium"
    assert body["scopes"] == ["cats:read", "cats:write"]
    assert body["quota"]["limit"] == 3000
    assert body["quota"]["used"] == 0
    assert response.headers["ratelimit-policy"] == '"daily";q=3000;w=86400'


async def test_cats_default_count_is_ten_distinct(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """GET /cats returns 10 distinct picture records by default."""
    response = await vending.get("/cats", headers=bearer())
    assert response.status_code == 200
    cats = response.json()["cats"]
    assert len(cats) == 10
    assert len({cat["id"] for cat in cats}) == 10
    assert set(cats[0]) == {
        "id",
        "title",
        "owner",
        "visibility",
        "image_url",
        "width",
        "height",
        "created_at",
    }
    assert cats[0]["created_at"].endswith("Z")


@pytest.mark.parametrize("count", ["0", "101", "-1", "abc", "1.5", "", "10&count=11", "0010000"])
async def test_bad_count_is_422(vending: httpx.AsyncClient, bearer: Bearer, count: str) -> None:
    """count outside 1-100 or not a whole number is 422, and nothing is charged."""
    headers = bearer()
    response = await vending.get(f"/cats?count={count}", headers=headers)
    assert response.status_code == 422
    me = await vending.get("/me", headers=headers)
    assert me.json()["quota"]["used"] == 0


async def test_cats_are_charged_and_carry_quota_headers(
    vending: httpx.AsyncClient, bearer: Bearer, clock: FakeClock
) -> None:
    """N pictures cost N; RateLimit and X-RateLimit headers say what is left."""
    headers = bearer()
    response = await vending.get("/cats?count=35", headers=headers)
    assert response.status_code == 200
    quota = response.json()["quota"]
    assert quota["used"] == 35
    assert quota["remaining"] == 265
    assert quota["limit"] == 300
    assert response.headers["x-ratelimit-limit"] == "300"
    assert response.headers["x-ratelimit-remaining"] == "265"
    assert response.headers["ratelimit"].startswith('"daily";r=265;t=')
    assert int(response.headers["x-ratelimit-reset"]) > clock.now


async def test_request_that_would_pass_the_quota_is_refused_whole(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """With 295 used, count=10 is 429 with Retry-After and what remains; count=5 still works."""
    headers = bearer()
    for count in (100, 100, 95):
        assert (await vending.get(f"/cats?count={count}", headers=headers)).status_code == 200
    refused = await vending.get("/cats?count=10", headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["remaining"] == 5
    assert refused.headers["x-ratelimit-remaining"] == "5"
    assert (await vending.get("/cats?count=5", headers=headers)).status_code == 200
    assert (await vending.get("/cats?count=1", headers=headers)).status_code == 429


async def test_quota_resets_at_utc_midnight(
    vending: httpx.AsyncClient, bearer: Bearer, clock: FakeClock
) -> None:
    """The next UTC day starts a fresh count."""
    headers = bearer()
    for _ in range(3):
        await vending.get("/cats?count=100", headers=headers)
    assert (await vending.get("/cats?count=1", headers=headers)).status_code == 429
    resets_at = (await vending.get("/me", headers=headers)).json()["quota"]["resets_at"]
    clock.advance(86400)
    response = await vending.get("/cats?count=1", headers=bearer())
    assert response.status_code == 200
    assert response.json()["quota"]["used"] == 1
    assert response.json()["quota"]["resets_at"] > resets_at


async def test_concurrent_requests_never_pass_the_quota(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """With 250 used, 50 concurrent count=10 requests: exactly 5 succeed."""
    headers = bearer()
    for count in (100, 100, 50):
        assert (await vending.get(f"/cats?count={count}", headers=headers)).status_code == 200
    responses = await asyncio.gather(
        *(vending.get("/cats?count=10", headers=headers) for _ in range(50))
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 5
    assert statuses.count(429) == 45
    assert (await vending.get("/me", headers=headers)).json()["quota"]["used"] == 300


async def test_premium_tier_gets_the_larger_quota(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """A premium token may take more than 300 a day."""
    headers = bearer("pat", tier="premium")
    for _ in range(4):
        assert (await vending.get("/cats?count=100", headers=headers)).status_code == 200


async def test_single_cat_is_charged_one_and_missing_is_404_uncharged(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """GET /cats/{id} costs 1; a 404 costs nothing."""
    headers = bearer()
    found = await vending.get("/cats/cat-001", headers=headers)
    assert found.status_code == 200
    assert found.json()["owner"] == "vending"
    assert found.headers["x-ratelimit-remaining"] == "299"
    for missing in ("/cats/cat-999", "/cats/..%2F..%2Fetc", "/cats/" + "x" * 100):
        assert (await vending.get(missing, headers=headers)).status_code == 404
    assert (await vending.get("/me", headers=headers)).json()["quota"]["used"] == 1


async def test_image_has_its_content_type_and_is_not_charged(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """The image bytes come with image/png and cost nothing beyond the record's one."""
    headers = bearer()
    record = (await vending.get("/cats/cat-002", headers=headers)).json()
    response = await vending.get(record["image_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert (await vending.get("/me", headers=headers)).json()["quota"]["used"] == 1


async def test_upload_records_owner_from_token(vending: httpx.AsyncClient, bearer: Bearer) -> None:
    """POST /cats stores a private picture owned by the token's sub, whatever the form says."""
    response = await upload(vending, bearer("alice"), title="  Whiskers  ")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["owner"] == "alice"
    assert record["visibility"] == "private"
    assert record["title"] == "Whiskers"
    assert (record["width"], record["height"]) == (40, 30)
    assert response.headers["location"].endswith(f"/cats/{record['id']}")
    image = await vending.get(record["image_url"])
    with Image.open(io.BytesIO(image.content)) as stored:
        assert (stored.format, stored.size) == ("PNG", (40, 30))
        assert stored.convert("RGB").getpixel((0, 0)) == (200, 120, 40)


async def test_upload_ignores_an_owner_field_by_refusing_it(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """An `owner` form field is refused (422), never stored."""
    response = await vending.post(
        "/cats",
        headers=bearer("alice"),
        data={"title": "x", "owner": "bob"},
        files={"image": ("c.png", image_bytes(), "image/png")},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP"])
async def test_each_allowed_image_kind_is_accepted(
    vending: httpx.AsyncClient, bearer: Bearer, kind: str
) -> None:
    """PNG, JPEG, GIF and WebP are decoded, checked and served with their own type."""
    response = await upload(vending, bearer(), data=image_bytes(kind))
    assert response.status_code == 201, response.text
    image = await vending.get(response.json()["image_url"])
    assert image.headers["content-type"] == f"image/{kind.lower()}"
    with Image.open(io.BytesIO(image.content)) as stored:
        assert stored.format == kind


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"just some text, not an image", 415),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", 415),
        (image_bytes("BMP"), 415),
        (image_bytes("PNG")[:60], 422),
        (b"", 415),
    ],
)
async def test_bad_images_are_refused_and_not_stored(
    vending: httpx.AsyncClient, bearer: Bearer, data: bytes, status: int
) -> None:
    """Non-images and disallowed kinds are 415, broken images 422; nothing is stored."""
    headers = bearer("mallory")
    response = await upload(vending, headers, data=data)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    mine = await vending.get("/cats?count=100", headers=headers)
    assert all(cat["owner"] == "vending" for cat in mine.json()["cats"])


async def test_upload_over_5_mib_is_413(vending: httpx.AsyncClient, bearer: Bearer) -> None:
    """An image over 5 MiB is 413 before it is decoded."""
    response = await upload(vending, bearer(), data=b"\x89PNG" + b"\0" * (5 * 1024 * 1024 + 10))
    assert response.status_code == 413


@pytest.mark.parametrize("title", ["", "   ", "x" * 101, "bad\x00title", "tab\ttitle"])
async def test_bad_titles_are_422(vending: httpx.AsyncClient, bearer: Bearer, title: str) -> None:
    """A title must be 1-100 printable characters."""
    assert (await upload(vending, bearer(), title=title)).status_code == 422


async def test_upload_with_bad_visibility_or_content_type_is_refused(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """visibility must be public or private; the body must be multipart."""
    assert (await upload(vending, bearer(), visibility="secret")).status_code == 422
    response = await vending.post("/cats", headers=bearer(), json={"title": "x"})
    assert response.status_code == 415
    response = await vending.post(
        "/cats",
        headers={**bearer(), "Content-Type": "multipart/form-data; boundary=zzz"},
        content=b"--zzz\r\nnot really multipart",
    )
    assert response.status_code in (400, 422)


async def test_private_picture_visibility_follows_shares(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """B gets 404 for A's private picture until A shares it, 200 after, 404 after unsharing."""
    alice, bob = bearer("alice"), bearer("bob")
    picture_id = (await upload(vending, alice)).json()["id"]
    assert (await vending.get(f"/cats/{picture_id}", headers=bob)).status_code == 404
    assert (await vending.get(f"/cats/{picture_id}/image", headers=bob)).status_code == 403
    shared = await vending.put(f"/cats/{picture_id}/shares/BOB", headers=alice)
    assert shared.status_code == 204
    record = await vending.get(f"/cats/{picture_id}", headers=bob)
    assert record.status_code == 200
    assert (await vending.get(record.json()["image_url"])).status_code == 200
    assert (
        await vending.delete(f"/cats/{picture_id}/shares/bob", headers=alice)
    ).status_code == 204
    assert (await vending.get(f"/cats/{picture_id}", headers=bob)).status_code == 404


async def test_only_the_owner_can_share_or_delete(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """Others get 404 for sharing or deleting a picture that is not theirs."""
    alice, bob = bearer("alice"), bearer("bob")
    picture_id = (await upload(vending, alice, visibility="public")).json()["id"]
    assert (await vending.put(f"/cats/{picture_id}/shares/bob", headers=bob)).status_code == 404
    assert (await vending.delete(f"/cats/{picture_id}", headers=bob)).status_code == 404
    assert (await vending.delete("/cats/cat-001", headers=bob)).status_code == 404
    assert (await vending.get(f"/cats/{picture_id}", headers=bob)).status_code == 200
    assert (await vending.delete(f"/cats/{picture_id}", headers=alice)).status_code == 204
    assert (await vending.get(f"/cats/{picture_id}", headers=alice)).status_code == 404


async def test_sharing_with_an_invalid_username_is_422(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """Shares name a valid username."""
    alice = bearer("alice")
    picture_id = (await upload(vending, alice)).json()["id"]
    assert (await vending.put(f"/cats/{picture_id}/shares/a", headers=alice)).status_code == 422


async def test_public_upload_is_visible_to_others(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """A public picture is visible to every token holder."""
    picture_id = (await upload(vending, bearer("alice"), visibility="public")).json()["id"]
    assert (await vending.get(f"/cats/{picture_id}", headers=bearer("bob"))).status_code == 200


async def test_health_and_readiness_need_no_token_and_metrics_are_not_served(
    vending: httpx.AsyncClient,
) -> None:
    """/healthz and /readyz answer without a token; /metrics is not on the service's port."""
    assert (await vending.get("/healthz")).status_code == 200
    ready = await vending.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["keys"] == 1
    assert (await vending.get("/metrics")).status_code == 404


async def test_unknown_route_and_method_are_problem_json(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """404 and 405 are problem+json too."""
    missing = await vending.get("/nope", headers=bearer())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await vending.patch("/cats", headers=bearer())
    assert wrong.status_code == 405
    assert wrong.json()["status"] == 405


async def test_cors_allows_only_the_configured_origin(vending: httpx.AsyncClient) -> None:
    """The frontend origin is allowed; any other origin gets no Allow-Origin."""
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    ok = await vending.options("/cats", headers={"Origin": "http://127.0.0.1:8000", **preflight})
    assert ok.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    evil = await vending.options("/cats", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers
    assert evil.status_code == 400
    assert evil.headers["content-type"] == "application/problem+json"


async def test_last_good_keys_survive_a_failing_jwks(
    vending: httpx.AsyncClient, jwks_fake: JWKSFake, minter: TokenMinter, clock: FakeClock
) -> None:
    """When the JWKS answers 500, garbage or nothing, valid tokens keep working."""
    for mode in ("error", "garbage", "down"):
        jwks_fake.mode = mode
        clock.advance(400)  # past the cache lifetime: the next request starts a refresh
        before = jwks_fake.requests
        for _ in range(3):
            token = minter.mint("alice")
            response = await vending.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, mode
        assert jwks_fake.requests == before + 1, mode
