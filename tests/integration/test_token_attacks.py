"""Every forged, tampered or unacceptable token is a 401 at the vending machine, never a 5xx."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.jwks import JWKSFake
from tests.support.tokens import TokenMinter


def _seg(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _hs256(minter: TokenMinter, secret: bytes, **header: Any) -> str:
    head = {"alg": "HS256", "typ": "at+jwt", "kid": minter.kid, **header}
    signing_input = (
        f"{_seg(json.dumps(head).encode())}.{_seg(json.dumps(minter.claims()).encode())}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_seg(signature)}"


def _public_pem(minter: TokenMinter) -> bytes:
    return minter.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _none(minter: TokenMinter, alg: str) -> str:
    header = {"alg": alg, "typ": "at+jwt", "kid": minter.kid}
    return TokenMinter.unsigned(header, minter.claims())


def _flip_signature(token: str) -> str:
    head, body, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    return f"{head}.{body}.{_seg(bytes(raw))}"


Forge = Callable[[TokenMinter], str]

ATTACKS: dict[str, Forge] = {
    "alg none": lambda m: _none(m, "none"),
    "alg None": lambda m: _none(m, "None"),
    "alg NONE": lambda m: _none(m, "NONE"),
    "alg nOnE": lambda m: _none(m, "nOnE"),
    "HS256 keyed with the public PEM": lambda m: _hs256(m, _public_pem(m)),
    "HS256 keyed with the public JWK": lambda m: _hs256(m, json.dumps(m.jwk).encode()),
    "wrong signature": lambda m: _flip_signature(m.mint()),
    "signed by another key, same kid": lambda m: TokenMinter(
        issuer=m.issuer, audience=m.audience, kid=m.kid
    ).mint(),
    "wrong iss": lambda m: m.mint(iss="https://evil.example"),
    "wrong aud": lambda m: m.mint(aud="someone-else"),
    "aud list without us": lambda m: m.mint(aud=["a", "b"]),
    "expired": lambda m: m.mint(exp=int(m.clock()) - 120, iat=int(m.clock()) - 1000),
    "nbf in the future": lambda m: m.mint(nbf=int(m.clock()) + 600),
    "iat in the future": lambda m: m.mint(iat=int(m.clock()) + 600, exp=int(m.clock()) + 900),
    "exp as a string": lambda m: m.mint(exp=str(int(m.clock()) + 600)),
    "no exp": lambda m: m.mint(exp=None),
    "no sub": lambda m: m.mint(None),
    "lifetime over an hour": lambda m: m.mint(exp=int(m.clock()) + 7200),
    "typ JWT": lambda m: m.mint(header={"typ": "JWT"}),
    "no typ": lambda m: m.mint(header={"typ": None}),
    "no kid": lambda m: m.mint(header={"kid": None}),
    "unknown kid": lambda m: m.mint(header={"kid": "not-a-key"}),
    "kid of another type": lambda m: TokenMinter.unsigned(
        {"alg": "RS256", "typ": "at+jwt", "kid": 7}, m.claims(), b"x" * 256
    ),
    "jku header": lambda m: m.mint(header={"jku": "https://evil.example/jwks.json"}),
    "x5u header": lambda m: m.mint(header={"x5u": "https://evil.example/cert.pem"}),
    "jwk header": lambda m: m.mint(header={"jwk": m.jwk}),
    "x5c header": lambda m: m.mint(header={"x5c": ["MIIB"]}),
    "unknown crit": lambda m: m.mint(header={"crit": ["exp"]}),
    "over 8 KiB": lambda m: m.mint(padding="x" * 9000),
    "garbage": lambda m: "garbage",
    "three dots of garbage": lambda m: "a.b.c",
    "binary junk": lambda m: "ÿþ\x01.\x02.\x03",
    "empty segments": lambda m: "..",
    "header not JSON": lambda m: "bm90IGpzb24." + m.mint().split(".", 1)[1],
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_forged_or_unacceptable_token_is_401(
    vending: httpx.AsyncClient, minter: TokenMinter, attack: str
) -> None:
    """The attack gets 401 with error="invalid_token", never a 5xx and never a cat."""
    token = ATTACKS[attack](minter)
    try:
        response = await vending.get("/cats", headers={"Authorization": f"Bearer {token}"})
    except UnicodeEncodeError:
        # httpx refuses to send a non-latin-1 header: send the raw bytes instead.
        response = await vending.get(
            "/cats", headers=[(b"Authorization", b"Bearer " + token.encode("utf-8"))]
        )
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.headers["content-type"] == "application/problem+json"


async def test_header_urls_are_never_fetched(
    vending: httpx.AsyncClient, minter: TokenMinter, jwks_fake: JWKSFake
) -> None:
    """jku/x5u tokens cause no fetch: only the configured JWKS URL is ever requested."""
    before = jwks_fake.requests
    for header in ({"jku": "http://evil.test/jwks"}, {"x5u": "http://evil.test/x5u"}):
        token = minter.mint(header=header)
        await vending.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert jwks_fake.requests == before


async def test_valid_token_variants_are_accepted(
    vending: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """typ application/at+jwt in any case and aud as a list containing ours are accepted."""
    for token in (
        minter.mint(header={"typ": "application/AT+JWT"}),
        minter.mint(header={"typ": "AT+JWT"}),
        minter.mint(aud=["other", minter.audience]),
        minter.mint(exp=int(minter.clock()) - 10),  # within the 30 s leeway
    ):
        response = await vending.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
