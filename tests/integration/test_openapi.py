"""The OpenAPI documents: valid 3.1, served as shipped, in step with the routes and the answers."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from PIL import Image
from starlette.routing import Route

from auth_service.app import create_app as create_auth_app
from auth_service.passwords import Passwords
from auth_service.routes import routes as auth_routes
from auth_service.settings import AuthSettings
from auth_service.throttle import MemoryThrottleStore
from shared.errors import StoreUnavailable
from tests.conftest import ISSUER
from tests.openapi_conformance import DOCUMENTS, Conformance, NonConformance, load_document
from tests.support.clock import FakeClock
from tests.support.jwks import JWKSFake
from vending_service.app import create_app as create_vending_app
from vending_service.catalogue import CatalogueCat
from vending_service.quotas import Quota
from vending_service.routes import routes as vending_routes
from vending_service.settings import VendingSettings

Bearer = Callable[..., dict[str, str]]
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
PASSWORD = "correct horse battery"
SERVICES = {"auth": auth_routes, "vending": vending_routes}


@pytest.fixture(scope="module")
def auth_conformance() -> Conformance:
    return Conformance(load_document("auth"))


@pytest.fixture(scope="module")
def vending_conformance() -> Conformance:
    return Conformance(load_document("vending"))


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def routed_operations(routes: list[Any]) -> set[tuple[str, str]]:
    operations = set()
    for route in routes:
        # A mount or a route taking any method could hide operations from this comparison.
        assert isinstance(route, Route), route
        assert route.methods, route.path
        operations |= {(route.path, method) for method in route.methods if method != "HEAD"}
    return operations


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_document_is_valid_openapi_3_1(service: str) -> None:
    """Each document validates as OpenAPI 3.1, with a relative `/` server first."""
    document = load_document(service)
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"].startswith("3.1.")
    assert document["servers"][0]["url"] == "/"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_route_is_documented_and_every_operation_is_routed(service: str) -> None:
    """Path + method pairs of the Starlette routes (HEAD aside) are exactly the document's."""
    assert routed_operations(SERVICES[service]) == documented_operations(load_document(service))


def test_protected_vending_operations_require_the_bearer_scheme() -> None:
    """Every vending operation but the public three and the signed image names the bearer
    JWT scheme; the image names none (its signed URL is the credential)."""
    document = load_document("vending")
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    public = {"/healthz", "/readyz", "/openapi.json", "/cats/{picture_id}/image"}
    assert document["paths"]["/cats/{picture_id}/image"]["get"]["security"] == []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            security = operation.get("security", document["security"])
            needs_token = [list(requirement) for requirement in security] == [["bearerAuth"]]
            assert needs_token == (path not in public), (method, path)


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
async def test_an_undocumented_method_is_405_allowing_the_documented_ones(
    service: str, auth_client: httpx.AsyncClient, vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """PATCH on any documented path is 405, and `Allow` names exactly its documented methods."""
    client, headers = {"auth": (auth_client, {}), "vending": (vending, bearer())}[service]
    for path, item in load_document(service)["paths"].items():
        documented = {method.upper() for method in item if method in HTTP_METHODS}
        expected = documented | ({"HEAD"} if "GET" in documented else set())
        url = path.replace("{picture_id}", "cat-001").replace("{username}", "bob")
        response = await client.patch(url, headers=headers)
        assert response.status_code == 405, (path, response.text)
        allowed = {method.strip() for method in response.headers["allow"].split(",")}
        assert allowed == expected, path


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
async def test_document_is_served_as_shipped_without_a_token(
    service: str, auth_client: httpx.AsyncClient, vending_client: httpx.AsyncClient
) -> None:
    """GET /openapi.json answers the file byte for byte, as public, cacheable JSON."""
    client = {"auth": auth_client, "vending": vending_client}[service]
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.content == DOCUMENTS[service].read_bytes()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"].startswith("public, max-age=")


async def test_auth_answers_conform_to_the_document(
    auth_client: httpx.AsyncClient, auth_conformance: Conformance
) -> None:
    """Every status the booth documents, produced for real, matches the document."""

    async def check(response: httpx.Response, path: str, status: int) -> httpx.Response:
        assert response.status_code == status, response.text
        auth_conformance.check(response, path)
        return response

    credentials = {"username": "Bruce", "password": PASSWORD}
    await check(await auth_client.post("/register", json=credentials), "/register", 201)
    await check(await auth_client.post("/register", json=credentials), "/register", 409)
    short = {"username": "bob", "password": "short"}
    await check(await auth_client.post("/register", json=short), "/register", 422)
    headers = {"Content-Type": "application/json"}
    await check(
        await auth_client.post("/register", content=b"{", headers=headers), "/register", 400
    )
    await check(await auth_client.post("/register", content=b"{}"), "/register", 415)
    huge = b'{"username": "' + b"a" * 70_000 + b'"}'
    await check(
        await auth_client.post("/register", content=huge, headers=headers), "/register", 413
    )

    tokens = await check(await auth_client.post("/login", json=credentials), "/login", 200)
    refresh_token = tokens.json()["refresh_token"]
    refreshed = await auth_client.post("/refresh", json={"refresh_token": refresh_token})
    await check(refreshed, "/refresh", 200)
    spent = await auth_client.post("/refresh", json={"refresh_token": refresh_token})
    await check(spent, "/refresh", 401)
    await check(await auth_client.post("/refresh", json={}), "/refresh", 422)
    logout = await auth_client.post("/logout", json={"refresh_token": "whatever"})
    await check(logout, "/logout", 204)
    wrong = {"username": "bruce", "password": "not the password"}
    for _ in range(5):
        await check(await auth_client.post("/login", json=wrong), "/login", 401)
    await check(await auth_client.post("/login", json=credentials), "/login", 429)

    jwks = await check(
        await auth_client.get("/.well-known/jwks.json"), "/.well-known/jwks.json", 200
    )
    unchanged = await auth_client.get(
        "/.well-known/jwks.json", headers={"If-None-Match": jwks.headers["etag"]}
    )
    await check(unchanged, "/.well-known/jwks.json", 304)
    revocations = "/.well-known/revocations.jwt"
    listed = await check(await auth_client.get(revocations), revocations, 200)
    unchanged = await auth_client.get(
        revocations, headers={"If-None-Match": listed.headers["etag"]}
    )
    await check(unchanged, revocations, 304)
    metadata = "/.well-known/oauth-authorization-server"
    await check(await auth_client.get(metadata), metadata, 200)
    for path in ("/healthz", "/readyz", "/openapi.json"):
        await check(await auth_client.get(path), path, 200)


async def test_auth_readiness_failure_conforms(
    auth_settings: AuthSettings, fast_passwords: Passwords, clock: FakeClock
) -> None:
    """/readyz with an unreachable throttle store is the documented 503."""

    class Unready(MemoryThrottleStore):
        async def ready(self) -> bool:
            return False

    app = create_auth_app(
        auth_settings, passwords=fast_passwords, throttle_store=Unready(), clock=clock
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    Conformance(load_document("auth")).check(response, "/readyz")


async def test_vending_answers_conform_to_the_document(
    vending: httpx.AsyncClient, bearer: Bearer, vending_conformance: Conformance
) -> None:
    """Every status the machine documents, produced for real, matches the document."""

    async def check(response: httpx.Response, path: str, status: int) -> httpx.Response:
        assert response.status_code == status, response.text
        vending_conformance.check(response, path)
        return response

    alice = bearer("alice")
    await check(await vending.get("/cats"), "/cats", 401)
    await check(await vending.get("/cats", headers={"Authorization": "Bearer x.y.z"}), "/cats", 401)
    await check(await vending.get("/cats?access_token=x", headers=alice), "/cats", 400)
    two = [("Authorization", alice["Authorization"])] * 2
    await check(await vending.get("/me", headers=two), "/me", 400)
    await check(await vending.get("/cats", headers=bearer("alice", scope="")), "/cats", 403)
    await check(await vending.get("/cats?count=0", headers=alice), "/cats", 422)
    gallery = await check(await vending.get("/cats?count=3", headers=alice), "/cats", 200)
    first = gallery.json()["cats"][0]["id"]
    await check(await vending.get(f"/cats/{first}", headers=alice), "/cats/{picture_id}", 200)
    await check(await vending.get("/cats/nope", headers=alice), "/cats/{picture_id}", 404)
    image = "/cats/{picture_id}/image"
    signed = gallery.json()["cats"][0]["image_url"]
    await check(await vending.get(signed), image, 200)
    await check(await vending.get(f"/cats/{first}/image", headers=alice), image, 403)
    await check(await vending.get(signed.replace(first, "nope")), image, 403)
    await check(await vending.get("/me", headers=alice), "/me", 200)

    form = {"title": "Mine", "visibility": "private"}
    files = {"image": ("cat.png", png(), "image/png")}
    created = await check(
        await vending.post("/cats", headers=alice, data=form, files=files), "/cats", 201
    )
    picture = created.json()["id"]
    read_only = bearer("alice", scope="cats:read")
    forbidden = await vending.post("/cats", headers=read_only, data=form, files=files)
    await check(forbidden, "/cats", 403)
    await check(await vending.post("/cats", headers=alice, json={"title": "x"}), "/cats", 415)
    pdf = {"image": ("cat.pdf", b"%PDF-1.4\n", "application/pdf")}
    await check(await vending.post("/cats", headers=alice, data=form, files=pdf), "/cats", 415)
    untitled = {"title": "", "visibility": "private"}
    await check(
        await vending.post("/cats", headers=alice, data=untitled, files=files), "/cats", 422
    )
    big = {"image": ("big.png", b"\x89PNG" + b"\x00" * (5 * 1024 * 1024), "image/png")}
    await check(await vending.post("/cats", headers=alice, data=form, files=big), "/cats", 413)
    long_field = {"title": "x" * 5000}
    too_long = await vending.post("/cats", headers=alice, data=long_field, files=files)
    await check(too_long, "/cats", 422)
    broken = {"Content-Type": "multipart/form-data"}  # no boundary
    malformed = await vending.post("/cats", headers={**alice, **broken}, content=b"--x--")
    await check(malformed, "/cats", 400)

    share = "/cats/{picture_id}/shares/{username}"
    await check(await vending.put(f"/cats/{picture}/shares/Bob", headers=alice), share, 204)
    await check(await vending.put(f"/cats/{picture}/shares/!!", headers=alice), share, 422)
    await check(await vending.delete(f"/cats/{picture}/shares/bob", headers=alice), share, 204)
    await check(await vending.put(f"/cats/{picture}/shares/bob", headers=bearer("eve")), share, 404)
    await check(
        await vending.delete(f"/cats/{picture}", headers=bearer("eve")), "/cats/{picture_id}", 404
    )
    await check(await vending.delete(f"/cats/{picture}", headers=alice), "/cats/{picture_id}", 204)

    remaining = (await vending.get("/me", headers=alice)).json()["quota"]["remaining"]
    while remaining:
        spend = await vending.get(f"/cats?count={min(remaining, 100)}", headers=alice)
        remaining = (await check(spend, "/cats", 200)).json()["quota"]["remaining"]
    await check(await vending.get("/cats?count=1", headers=alice), "/cats", 429)
    await check(await vending.get(f"/cats/{first}", headers=alice), "/cats/{picture_id}", 429)
    for path in ("/healthz", "/readyz", "/openapi.json"):
        await check(await vending.get(path), path, 200)


class DownQuotas:
    """A quota store that cannot be reached."""

    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        raise StoreUnavailable("quota store")

    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        raise StoreUnavailable("quota store")

    async def ready(self) -> bool:
        return False


@pytest.fixture
async def quota_store_down(
    vending_settings: VendingSettings,
    jwks_fake: JWKSFake,
    catalogue_cats: list[CatalogueCat],
    clock: FakeClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a vending app whose quota store is down."""

    def catalogue(count: int) -> Iterable[CatalogueCat]:
        return catalogue_cats[:count]

    app = create_vending_app(
        vending_settings,
        transport=jwks_fake.transport(),
        quotas=DownQuotas(),
        catalogue=catalogue,
        clock=clock,
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vending.test") as client:
            yield client


async def test_vending_store_failures_conform_to_the_document(
    quota_store_down: httpx.AsyncClient, bearer: Bearer, vending_conformance: Conformance
) -> None:
    """With the quota store down, charging routes and /readyz answer the documented 503."""
    for path in ("/cats", "/me", "/cats/cat-001"):
        response = await quota_store_down.get(path, headers=bearer())
        assert response.status_code == 503, response.text
        template = "/cats/{picture_id}" if path.startswith("/cats/") else path
        vending_conformance.check(response, template)
    response = await quota_store_down.get("/readyz")
    assert response.status_code == 503
    vending_conformance.check(response, "/readyz")


async def test_deleting_a_documented_status_is_caught(auth_client: httpx.AsyncClient) -> None:
    """Drift: with 409 gone from POST /register's responses, a real 409 fails the check."""
    credentials = {"username": "bruce", "password": PASSWORD}
    assert (await auth_client.post("/register", json=credentials)).status_code == 201
    taken = await auth_client.post("/register", json=credentials)
    assert taken.status_code == 409
    Conformance(load_document("auth")).check(taken, "/register")

    drifted = load_document("auth")
    del drifted["paths"]["/register"]["post"]["responses"]["409"]
    with pytest.raises(NonConformance, match="Undocumented status code"):
        Conformance(drifted).check(taken, "/register")


async def test_changing_a_documented_body_is_caught(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """Drift: a body member the document no longer names fails the check."""
    response = await vending.get("/me", headers=bearer())
    assert response.status_code == 200
    drifted = load_document("vending")
    properties = drifted["components"]["schemas"]["Me"]["properties"]
    properties["subject"] = properties.pop("sub")
    drifted["components"]["schemas"]["Me"]["required"] = ["subject", "tier", "scopes", "quota"]
    with pytest.raises(NonConformance, match="Response violates schema"):
        Conformance(drifted).check(response, "/me")
