"""Walking an RFC 8414 metadata document: every URL it names must answer as its RFC says."""

from __future__ import annotations

import base64

import httpx

__all__ = ["walk_metadata"]

URL_MEMBERS = frozenset(
    {
        "jwks_uri",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "service_documentation",
    }
)


def walk_metadata(
    discovery: str, issuer: str, credentials: dict[str, str], client: tuple[str, str]
) -> dict[str, int]:
    """Fetch the metadata at `discovery` and use every URL it names as its RFC says:
    the JWKS (RFC 7517), a password grant at the token endpoint (RFC 6749), a revocation
    (RFC 7009) and an introspection (RFC 7662) by the confidential `client`, the
    documentation. The status each answered, by member."""
    document = httpx.get(discovery, timeout=30).json()
    assert document["issuer"] == issuer
    named = {member for member, value in document.items() if member in URL_MEMBERS and value}
    assert named == URL_MEMBERS, named
    assert all(str(document[m]).startswith(issuer) for m in URL_MEMBERS)
    basic = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
    answers = {}
    jwks = httpx.get(document["jwks_uri"], timeout=30)
    assert {"kty", "n", "e", "kid"} <= set(jwks.json()["keys"][0])
    answers["jwks_uri"] = jwks.status_code
    token = httpx.post(
        document["token_endpoint"],
        data={"grant_type": "password", "client_id": "lanyard-web", **credentials},
        timeout=30,
    )
    assert token.json()["token_type"] == "Bearer", token.text
    answers["token_endpoint"] = token.status_code
    introspected = httpx.post(
        document["introspection_endpoint"],
        data={"token": token.json()["access_token"]},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert introspected.json()["active"] is True, introspected.text
    answers["introspection_endpoint"] = introspected.status_code
    revoked = httpx.post(
        document["revocation_endpoint"],
        data={"token": token.json()["refresh_token"], "client_id": "lanyard-web"},
        timeout=30,
    )
    answers["revocation_endpoint"] = revoked.status_code
    answers["service_documentation"] = httpx.get(
        document["service_documentation"], timeout=30
    ).status_code
    return answers
