"""Properties of `shared.tokens.TokenVerifier`: no single mutation of a valid token gets through.

Each property takes a token the verifier accepts, changes one thing, and expects a refusal
that is a `TokenError` (any other exception propagates and fails the test).
"""

from __future__ import annotations

import asyncio
import base64
import json
import string
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.tokens.claims import ClaimsPolicy
from shared.tokens.errors import MalformedToken, TokenError
from shared.tokens.verifier import TokenVerifier
from tests.support.clock import FakeClock
from tests.support.tokens import TokenMinter

ISSUER = "http://auth.test"
AUDIENCE = "lanyard-vending"
KID = "test-key"
NOW = 1_750_000_000
BUDGET = settings(max_examples=200, deadline=None)

WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u2003", "\u3000", "\ufeff"]
# Header parameters worth adding besides arbitrary names: the ones that point at keys, and
# those that change how a JWS is read.
HEADER_NAMES = ["jku", "x5u", "jwk", "x5c", "x5t", "crit", "b64", "cty", "zip", "enc", "epk"]
CLAIM_NAMES = ["nbf", "client_id", "scope", "tier", "jti", "act", "cnf", "azp"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


class StaticKeys:
    generation = 0

    def __init__(self, keys: dict[str, RSAPublicKey]) -> None:
        self.keys = keys

    async def get(self, kid: str) -> RSAPublicKey | None:
        return self.keys.get(kid)


@dataclass(frozen=True)
class Kit:
    verifier: TokenVerifier
    token: str
    header: dict[str, Any]
    claims: dict[str, Any]
    other_key: rsa.RSAPrivateKey

    def positions(self) -> st.SearchStrategy[int]:
        """Any index into the token, often the first or last of a segment, where base64's
        leftover bits and the separators are."""
        edges = [0, len(self.token) - 1]
        for index, char in enumerate(self.token):
            if char == ".":
                edges += [index - 1, index, index + 1]
        return st.integers(0, len(self.token) - 1) | st.sampled_from(sorted(set(edges)))

    def refuse(self, token: str) -> TokenError:
        """The error `token` is refused with; anything but a `TokenError` propagates."""
        assert token != self.token
        with pytest.raises(TokenError) as caught:
            asyncio.run(self.verifier.verify(token))
        return caught.value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment_json(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return value


def sign(key: rsa.RSAPrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


@pytest.fixture(scope="module")
def kit(rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey) -> Kit:
    """A valid token as the auth service mints it, the verifier that accepts it, and a
    second key that is not in the verifier's key set."""
    clock = FakeClock(float(NOW))
    minter = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID, key=rsa_key, clock=clock)
    token = minter.mint("bruce", nbf=NOW, client_id="lanyard-web")
    verifier = TokenVerifier(
        StaticKeys({KID: rsa_key.public_key()}),
        ClaimsPolicy(ISSUER, AUDIENCE),
        cache_size=0,
        clock=clock,
    )
    header_b64, payload_b64, _ = token.split(".")
    return Kit(verifier, token, segment_json(header_b64), segment_json(payload_b64), other_rsa_key)


@st.composite
def changed_members(draw: st.DrawFn, original: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """`original` with one member changed, added or removed."""
    changed = dict(original)
    action = draw(st.sampled_from(["change", "add", "remove"]))
    if action == "add":
        name = draw(st.sampled_from(names) | st.text(max_size=12))
        assume(name not in original)
        changed[name] = draw(json_values)
    else:
        name = draw(st.sampled_from(sorted(original)))
        if action == "remove":
            del changed[name]
        else:
            changed[name] = draw(json_values)
    assume(changed != original)
    return changed


def test_the_unmutated_token_is_accepted(kit: Kit) -> None:
    """The baseline every property mutates: the verifier accepts it."""
    claims = asyncio.run(kit.verifier.verify(kit.token))
    assert claims.sub == "bruce"


def test_a_non_canonical_last_character_is_refused(kit: Kit) -> None:
    """Of the characters that decode to the same signature bytes, only the canonical one is
    accepted: one token has one spelling."""
    head, _, signature = kit.token.rpartition(".")
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    index = alphabet.index(signature[-1])
    for twin in alphabet[index & ~0xF : (index & ~0xF) + 16]:
        if twin != signature[-1]:
            assert type(kit.refuse(f"{head}.{signature[:-1]}{twin}")) is MalformedToken


@BUDGET
@given(data=st.data())
def test_replacing_any_character_is_refused(kit: Kit, data: st.DataObject) -> None:
    """Any one character of any segment (or a dot) replaced by any other is refused."""
    position = data.draw(kit.positions())
    replacement = data.draw(
        st.sampled_from(string.ascii_letters + string.digits + "-_.=+/") | st.characters()
    )
    assume(replacement != kit.token[position])
    kit.refuse(kit.token[:position] + replacement + kit.token[position + 1 :])


@BUDGET
@given(data=st.data())
def test_flipping_any_bit_is_refused(kit: Kit, data: st.DataObject) -> None:
    """Any one bit of any byte of the token flipped is refused."""
    position = data.draw(kit.positions())
    bit = data.draw(st.integers(0, 7))
    flipped = chr(ord(kit.token[position]) ^ (1 << bit))
    kit.refuse(kit.token[:position] + flipped + kit.token[position + 1 :])


@BUDGET
@given(segment=st.integers(0, 2), pad=st.integers(1, 3))
def test_padding_any_segment_is_refused(kit: Kit, segment: int, pad: int) -> None:
    """Base64 padding (`=`) on any segment, the standard amount or not, is refused."""
    parts = kit.token.split(".")
    parts[segment] += "=" * pad
    kit.refuse(".".join(parts))


@BUDGET
@given(data=st.data(), space=st.sampled_from(WHITESPACE) | st.text(" \t\r\n", min_size=1))
def test_inserting_whitespace_anywhere_is_refused(
    kit: Kit, data: st.DataObject, space: str
) -> None:
    """Whitespace of any kind, before, inside or after the token, is refused."""
    position = data.draw(st.integers(0, len(kit.token)))
    kit.refuse(kit.token[:position] + space + kit.token[position:])


@BUDGET
@given(data=st.data())
def test_any_header_change_signed_with_another_key_is_refused(
    kit: Kit, data: st.DataObject
) -> None:
    """A header field changed, added or removed, signed with a key not in the JWKS: refused."""
    header = data.draw(changed_members(kit.header, HEADER_NAMES))
    kit.refuse(sign(kit.other_key, header, kit.claims))


@BUDGET
@given(data=st.data())
def test_any_claim_change_signed_with_another_key_is_refused(kit: Kit, data: st.DataObject) -> None:
    """A claim changed, added or removed, signed with a key not in the JWKS: refused."""
    claims = data.draw(changed_members(kit.claims, CLAIM_NAMES))
    kit.refuse(sign(kit.other_key, kit.header, claims))


@BUDGET
@given(data=st.data())
def test_any_claim_change_under_the_original_signature_is_refused(
    kit: Kit, data: st.DataObject
) -> None:
    """A claim changed, added or removed, keeping the token's own signature: refused."""
    header_b64, _, signature_b64 = kit.token.split(".")
    claims = data.draw(changed_members(kit.claims, CLAIM_NAMES))
    kit.refuse(f"{header_b64}.{b64url(json.dumps(claims).encode())}.{signature_b64}")


@BUDGET
@given(data=st.data())
def test_any_header_change_under_the_original_signature_is_refused(
    kit: Kit, data: st.DataObject
) -> None:
    """A header field changed, added or removed, keeping the token's own signature: refused."""
    _, payload_b64, signature_b64 = kit.token.split(".")
    header = data.draw(changed_members(kit.header, HEADER_NAMES))
    kit.refuse(f"{b64url(json.dumps(header).encode())}.{payload_b64}.{signature_b64}")
