"""Unit tests for `TokenVerifier`: what it accepts, what it refuses, and as what."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from shared.tokens.claims import AccessClaims, ClaimsPolicy
from shared.tokens.errors import (
    ExpiredToken,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidSignature,
    MalformedToken,
    TokenError,
    UnknownKey,
    UnsupportedHeader,
)
from shared.tokens.jwk import public_jwk
from shared.tokens.jws import MAX_TOKEN_BYTES
from shared.tokens.verifier import TokenVerifier
from tests.support.clock import FakeClock
from tests.support.tokens import TokenMinter

ISSUER = "http://auth.test"
AUDIENCE = "lanyard-vending"
KID = "test-key"
NOW = 1_750_000_000


class StaticKeys:
    """A key source with a fixed set of keys that counts its lookups."""

    def __init__(self, keys: dict[str, RSAPublicKey]) -> None:
        self.keys = keys
        self.generation = 0
        self.lookups = 0

    async def get(self, kid: str) -> RSAPublicKey | None:
        self.lookups += 1
        return self.keys.get(kid)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rs256_header(**overrides: Any) -> dict[str, Any]:
    """The header the auth service writes; an override of None removes the member."""
    header: dict[str, Any] = {"alg": "RS256", "typ": "at+jwt", "kid": KID}
    header.update(overrides)
    return {k: v for k, v in header.items() if v is not None}


def _json_bytes(value: dict[str, Any] | bytes) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")


def sign(
    key: rsa.RSAPrivateKey, header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes
) -> str:
    """A compact JWS signed with RS256 over exactly the given header and payload bytes."""
    signing_input = f"{b64url(_json_bytes(header))}.{b64url(_json_bytes(payload))}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def hs256(secret: bytes, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A compact JWS signed with HMAC-SHA256, built by hand since PyJWT refuses key confusion."""
    signing_input = f"{b64url(_json_bytes(header))}.{b64url(_json_bytes(payload))}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def payload_with_raw_member(claims: dict[str, Any], name: str, raw: str) -> bytes:
    """The JSON of `claims` with member `name` written verbatim as `raw`."""
    rest = {k: v for k, v in claims.items() if k != name}
    return (json.dumps(rest)[:-1] + f', "{name}": {raw}}}').encode("utf-8")


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing still at a whole second, so offsets are exact."""
    return FakeClock(float(NOW))


@pytest.fixture
def minter(rsa_key: rsa.RSAPrivateKey, clock: FakeClock) -> TokenMinter:
    return TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID, key=rsa_key, clock=clock)


@pytest.fixture
def keys(rsa_key: rsa.RSAPrivateKey) -> StaticKeys:
    return StaticKeys({KID: rsa_key.public_key()})


@pytest.fixture
def verifier(keys: StaticKeys, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(keys, ClaimsPolicy(ISSUER, AUDIENCE), clock=clock)


async def assert_refused(
    verifier: TokenVerifier, token: str, expected: type[TokenError]
) -> TokenError:
    """Verify `token`, expecting exactly `expected`; any other exception fails the test."""
    with pytest.raises(TokenError) as caught:
        await verifier.verify(token)
    assert type(caught.value) is expected, f"refused as {type(caught.value).__name__}"
    return caught.value


# --- accepted ---------------------------------------------------------------------------


async def test_valid_token_is_accepted_with_sub_scopes_and_tier(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """A token as the auth service mints it yields its sub, scopes, tier, exp and jti."""
    token = minter.mint("bruce", tier="premium", jti="abc123")
    claims = await verifier.verify(token)
    assert isinstance(claims, AccessClaims)
    assert claims.sub == "bruce"
    assert claims.scopes == frozenset({"cats:read", "cats:write"})
    assert claims.tier == "premium"
    assert claims.exp == NOW + 900
    assert claims.jti == "abc123"
    assert claims.raw["iss"] == ISSUER


async def test_token_without_scope_or_tier_gets_no_scopes_and_free_tier(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """Missing `scope` means no scopes, and missing `tier` means the free tier."""
    claims = await verifier.verify(minter.mint(scope=None, tier=None))
    assert claims.scopes == frozenset()
    assert claims.tier == "free"


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"])
async def test_at_jwt_typ_is_accepted_in_any_case(
    verifier: TokenVerifier, minter: TokenMinter, typ: str
) -> None:
    """`typ` at+jwt or application/at+jwt is accepted, compared case-insensitively."""
    claims = await verifier.verify(minter.mint(header={"typ": typ}))
    assert claims.sub == "alice"


async def test_aud_list_containing_the_audience_is_accepted(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """`aud` may be an array, accepted when it contains this service's audience."""
    claims = await verifier.verify(minter.mint(aud=["other-service", AUDIENCE]))
    assert claims.sub == "alice"


@pytest.mark.parametrize("seconds_past_exp", [0, 1, 29, 30])
async def test_token_expired_within_leeway_is_accepted(
    verifier: TokenVerifier, minter: TokenMinter, seconds_past_exp: int
) -> None:
    """A token up to the 30 s leeway past its `exp` is still accepted."""
    token = minter.mint(iat=NOW - 600, exp=NOW - seconds_past_exp)
    claims = await verifier.verify(token)
    assert claims.exp == NOW - seconds_past_exp


async def test_nbf_and_iat_within_leeway_are_accepted(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """`nbf` and `iat` up to the leeway in the future are tolerated as clock skew."""
    claims = await verifier.verify(minter.mint(iat=NOW + 29, nbf=NOW + 29, exp=NOW + 900))
    assert claims.sub == "alice"


async def test_lifetime_of_exactly_3600_seconds_is_accepted(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """`exp - iat` of exactly the maximum lifetime is accepted."""
    claims = await verifier.verify(minter.mint(iat=NOW, exp=NOW + 3600))
    assert claims.exp == NOW + 3600


async def test_token_just_under_8_kib_is_accepted(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """The size limit is inclusive: a valid token of at most 8 KiB is accepted."""
    base = len(minter.mint(pad=""))
    pad = (MAX_TOKEN_BYTES - base) * 3 // 4 - 8
    while len(minter.mint(pad="x" * (pad + 1))) <= MAX_TOKEN_BYTES:
        pad += 1
    token = minter.mint(pad="x" * pad)
    assert MAX_TOKEN_BYTES - 2 <= len(token) <= MAX_TOKEN_BYTES
    claims = await verifier.verify(token)
    assert claims.sub == "alice"


# --- refused: header --------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_with_empty_signature_is_refused_as_malformed(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys, alg: str
) -> None:
    """An unsecured token (`alg: none`, empty signature) is refused before any key lookup."""
    token = TokenMinter.unsigned(rs256_header(alg=alg), minter.claims())
    assert token.endswith(".")
    await assert_refused(verifier, token, MalformedToken)
    assert keys.lookups == 0


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_with_a_signature_is_refused_as_unsupported_header(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys, alg: str
) -> None:
    """`alg: none` is refused for its header even when a signature segment is present."""
    token = TokenMinter.unsigned(rs256_header(alg=alg), minter.claims(), signature=b"\x01" * 256)
    await assert_refused(verifier, token, UnsupportedHeader)
    assert keys.lookups == 0


@pytest.mark.parametrize(
    "alg", ["HS256", "RS384", "RS512", "PS256", "ES256", "rs256", "RS256 ", ["RS256"], None]
)
async def test_any_alg_but_exactly_rs256_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, alg: Any
) -> None:
    """Only `alg` exactly "RS256" is accepted, even over a valid RS256 signature."""
    token = sign(rsa_key, rs256_header(alg=alg), minter.claims())
    await assert_refused(verifier, token, UnsupportedHeader)


def _pem_spki(key: RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem_pkcs1(key: RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)


def _jwk_json(key: RSAPublicKey) -> bytes:
    return json.dumps(public_jwk(key, KID)).encode("utf-8")


_SECRET_FORMS = {"pem-spki": _pem_spki, "pem-pkcs1": _pem_pkcs1, "jwk-json": _jwk_json}


@pytest.mark.parametrize("form", sorted(_SECRET_FORMS))
async def test_hs256_signed_with_the_public_key_is_refused(
    verifier: TokenVerifier,
    minter: TokenMinter,
    rsa_key: rsa.RSAPrivateKey,
    keys: StaticKeys,
    form: str,
) -> None:
    """Key confusion: HS256 with the RSA public key as the HMAC secret is refused."""
    secret = _SECRET_FORMS[form](rsa_key.public_key())
    token = hs256(secret, rs256_header(alg="HS256"), minter.claims())
    await assert_refused(verifier, token, UnsupportedHeader)
    assert keys.lookups == 0


@pytest.mark.parametrize("form", sorted(_SECRET_FORMS))
async def test_hmac_signature_under_an_rs256_header_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, rsa_key: rsa.RSAPrivateKey, form: str
) -> None:
    """An HMAC over the public key, labelled RS256, fails the RSA signature check."""
    secret = _SECRET_FORMS[form](rsa_key.public_key())
    token = hs256(secret, rs256_header(), minter.claims())
    await assert_refused(verifier, token, InvalidSignature)


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+jwt+x", "", 1, ["at+jwt"]])
async def test_typ_other_than_at_jwt_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, typ: Any
) -> None:
    """A missing `typ`, plain "JWT" or any other value is refused (RFC 9068)."""
    token = minter.mint(header={"typ": typ})
    await assert_refused(verifier, token, UnsupportedHeader)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jku", "https://evil.example/jwks.json"),
        ("x5u", "https://evil.example/cert.pem"),
        ("jwk", {"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        ("x5c", ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        ("b64", False),
        ("crit", ["exp"]),
        ("crit", []),
    ],
)
async def test_header_parameter_that_carries_or_points_at_keys_is_refused(
    verifier: TokenVerifier,
    minter: TokenMinter,
    rsa_key: rsa.RSAPrivateKey,
    keys: StaticKeys,
    name: str,
    value: Any,
) -> None:
    """`jku`, `x5u`, `jwk`, `x5c`, `b64` and `crit` are refused, never followed or used."""
    token = sign(rsa_key, rs256_header(**{name: value}), minter.claims())
    await assert_refused(verifier, token, UnsupportedHeader)
    assert keys.lookups == 0


async def test_jwk_header_with_the_right_key_is_still_refused(
    verifier: TokenVerifier, minter: TokenMinter, rsa_key: rsa.RSAPrivateKey
) -> None:
    """An embedded `jwk` is refused even when it is the genuine signing key."""
    token = sign(rsa_key, rs256_header(jwk=minter.jwk), minter.claims())
    await assert_refused(verifier, token, UnsupportedHeader)


@pytest.mark.parametrize("kid", [None, "", 7, ["test-key"]])
async def test_token_without_a_usable_kid_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, kid: Any
) -> None:
    """A missing, empty or non-string `kid` names no key."""
    token = sign(rsa_key, rs256_header(kid=kid), minter.claims())
    await assert_refused(verifier, token, UnknownKey)


async def test_token_with_an_unknown_kid_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys
) -> None:
    """A `kid` the key source does not know is refused after one lookup."""
    token = minter.mint(header={"kid": "rotated-away"})
    await assert_refused(verifier, token, UnknownKey)
    assert keys.lookups == 1


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"none","alg":"RS256","typ":"at+jwt","kid":"test-key"}',
        b'{"alg":"RS256","typ":"at+jwt","kid":"other","kid":"test-key"}',
    ],
)
async def test_duplicate_header_members_are_refused(
    verifier: TokenVerifier, minter: TokenMinter, rsa_key: rsa.RSAPrivateKey, header: bytes
) -> None:
    """A header with a member given twice is refused, whichever value would win."""
    token = sign(rsa_key, header, minter.claims())
    await assert_refused(verifier, token, MalformedToken)


@pytest.mark.parametrize("header", [b"[]", b'"RS256"', b"null", b"not json", b"\xff\xfe"])
async def test_header_that_is_not_a_json_object_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, rsa_key: rsa.RSAPrivateKey, header: bytes
) -> None:
    """A header that is not a UTF-8 JSON object is malformed."""
    token = sign(rsa_key, header, minter.claims())
    await assert_refused(verifier, token, MalformedToken)


# --- refused: shape and size ------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        " ",
        "\t\n",
        "a",
        "a.b",
        "a.b.c.d",
        "a.b.c",
        "..",
        "a..c",
        "é.é.é",
        "eyJ0.eyJ0.ü",
        "e30.e30.e30=",
        "e30+.e30.e30",
        "e30/.e30.e30",
        "e30 .e30.e30",
        "Bearer e30.e30.e30",
        "\x00.\x00.\x00",
        "\ud800.e30.e30",
    ],
)
async def test_garbage_string_is_refused_as_malformed(
    verifier: TokenVerifier, keys: StaticKeys, token: str
) -> None:
    """Strings that are not a compact JWS are malformed, and no key is looked up."""
    await assert_refused(verifier, token, MalformedToken)
    assert keys.lookups == 0


@pytest.mark.parametrize("wrap", ["{} ", " {}", "{}\n", "\n{}", "{}\x00"])
async def test_valid_token_with_surrounding_junk_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, wrap: str
) -> None:
    """A valid token with whitespace or junk around it is not accepted."""
    token = wrap.format(minter.mint())
    await assert_refused(verifier, token, MalformedToken)


async def test_token_over_8_kib_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys
) -> None:
    """A token over 8 KiB is refused before anything else is looked at."""
    token = minter.mint(pad="x" * MAX_TOKEN_BYTES)
    assert len(token) > MAX_TOKEN_BYTES
    await assert_refused(verifier, token, MalformedToken)
    assert keys.lookups == 0
    assert verifier.verifications == 0


async def test_huge_garbage_string_is_refused_as_malformed(verifier: TokenVerifier) -> None:
    """A megabyte of garbage is refused as malformed."""
    await assert_refused(verifier, "a" * 1_000_000, MalformedToken)


# --- refused: signature -----------------------------------------------------------------


async def test_token_with_a_flipped_signature_byte_is_refused(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """Changing one byte of the signature makes it invalid."""
    header, payload, signature = minter.mint().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[100] ^= 0x01
    token = f"{header}.{payload}.{b64url(bytes(raw))}"
    await assert_refused(verifier, token, InvalidSignature)


async def test_token_signed_by_another_key_with_the_same_kid_is_refused(
    verifier: TokenVerifier, other_rsa_key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    """A token signed by a key other than the one its `kid` names is refused."""
    forger = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID, key=other_rsa_key, clock=clock)
    await assert_refused(verifier, forger.mint(), InvalidSignature)


async def test_token_with_a_tampered_payload_is_refused(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """A payload swapped under a genuine signature fails verification."""
    header, _, signature = minter.mint("alice").split(".")
    forged = b64url(json.dumps(minter.claims("admin", tier="premium")).encode())
    await assert_refused(verifier, f"{header}.{forged}.{signature}", InvalidSignature)


@pytest.mark.parametrize("signature", [b"\x00", b"\x00" * 255, b"\x00" * 257, b"\xff" * 256])
async def test_signature_of_the_wrong_length_or_value_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, signature: bytes
) -> None:
    """A signature that cannot be a PKCS#1 v1.5 signature of this key is invalid."""
    header, payload, _ = minter.mint().split(".")
    await assert_refused(verifier, f"{header}.{payload}.{b64url(signature)}", InvalidSignature)


async def test_signature_that_is_not_base64url_is_refused(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """A signature segment that cannot be base64url-decoded is malformed."""
    header, payload, _ = minter.mint().split(".")
    await assert_refused(verifier, f"{header}.{payload}.A", MalformedToken)


# --- refused: claims --------------------------------------------------------------------


@pytest.mark.parametrize("iss", ["http://evil.test", "http://auth.test/", "", None, 1])
async def test_wrong_issuer_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, iss: Any
) -> None:
    """An `iss` other than the configured issuer, or none, is refused."""
    claims = {k: v for k, v in minter.claims().items() if k != "iss"}
    if iss is not None:
        claims["iss"] = iss
    await assert_refused(verifier, sign(rsa_key, rs256_header(), claims), InvalidIssuer)


@pytest.mark.parametrize(
    "aud",
    ["other-service", "", "LANYARD-VENDING", ["other-service"], [], {AUDIENCE: True}, 1, None],
)
async def test_wrong_audience_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, aud: Any
) -> None:
    """An `aud` that does not name this service, as a string or in a list, is refused."""
    claims = {k: v for k, v in minter.claims().items() if k != "aud"}
    if aud is not None:
        claims["aud"] = aud
    await assert_refused(verifier, sign(rsa_key, rs256_header(), claims), InvalidAudience)


@pytest.mark.parametrize("seconds_past_exp", [31, 3600])
async def test_expired_token_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, seconds_past_exp: int
) -> None:
    """A token past its `exp` by more than the 30 s leeway is refused as expired."""
    token = minter.mint(iat=NOW - 3600, exp=NOW - seconds_past_exp)
    await assert_refused(verifier, token, ExpiredToken)


async def test_nbf_in_the_future_is_refused(verifier: TokenVerifier, minter: TokenMinter) -> None:
    """A token whose `nbf` is beyond the leeway in the future is not valid yet."""
    await assert_refused(verifier, minter.mint(nbf=NOW + 31), InvalidClaim)


async def test_iat_in_the_future_is_refused(verifier: TokenVerifier, minter: TokenMinter) -> None:
    """A token issued beyond the leeway in the future is refused."""
    await assert_refused(verifier, minter.mint(iat=NOW + 31, exp=NOW + 900), InvalidClaim)


async def test_lifetime_over_3600_seconds_is_refused(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """`exp - iat` over the maximum lifetime is refused even when both are plausible."""
    await assert_refused(verifier, minter.mint(iat=NOW, exp=NOW + 3601), InvalidClaim)


@pytest.mark.parametrize("name", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", ["1750000900", True, None, [NOW], {"t": NOW}])
async def test_time_claim_that_is_not_a_number_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, name: str, value: Any
) -> None:
    """`exp`, `iat` and `nbf` must be JSON numbers: strings, booleans, null are refused."""
    claims = minter.claims()
    claims[name] = value
    await assert_refused(verifier, sign(rsa_key, rs256_header(), claims), InvalidClaim)


@pytest.mark.parametrize("name", ["exp", "iat"])
async def test_missing_exp_or_iat_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, name: str
) -> None:
    """`exp` and `iat` are required."""
    await assert_refused(verifier, minter.mint(**{name: None}), InvalidClaim)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
async def test_exp_as_a_non_json_constant_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, raw: str
) -> None:
    """NaN and Infinity are not JSON: a payload holding them is malformed."""
    payload = payload_with_raw_member(minter.claims(), "exp", raw)
    await assert_refused(verifier, sign(rsa_key, rs256_header(), payload), MalformedToken)


@pytest.mark.parametrize("name", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("raw", ["1e400", "-1e400", "1" + "0" * 400, "-1" + "0" * 400])
async def test_time_claim_beyond_float_range_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, name: str, raw: str
) -> None:
    """A number too large for a float (1e400, or a 400-digit integer) is an invalid claim."""
    payload = payload_with_raw_member(minter.claims(), name, raw)
    await assert_refused(verifier, sign(rsa_key, rs256_header(), payload), InvalidClaim)


@pytest.mark.parametrize("sub", [None, "", 123, ["alice"], {"name": "alice"}, True])
async def test_missing_empty_or_non_string_sub_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, sub: Any
) -> None:
    """`sub` must be a non-empty string."""
    await assert_refused(verifier, minter.mint(sub), InvalidClaim)


@pytest.mark.parametrize(
    ("name", "value"),
    [("scope", ["cats:read"]), ("scope", 1), ("tier", 1), ("tier", ["premium"]), ("jti", 5)],
)
async def test_scope_tier_or_jti_of_the_wrong_type_is_refused(
    verifier: TokenVerifier, minter: TokenMinter, name: str, value: Any
) -> None:
    """`scope`, `tier` and `jti` must be strings when present."""
    await assert_refused(verifier, minter.mint(**{name: value}), InvalidClaim)


@pytest.mark.parametrize("duplicate", ['"sub": "admin"', '"tier": "premium"', '"exp": 9999999999'])
async def test_duplicate_payload_members_are_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, minter: TokenMinter, duplicate: str
) -> None:
    """A signed payload with a member given twice is refused, whichever value would win."""
    payload = (json.dumps(minter.claims())[:-1] + f", {duplicate}}}").encode("utf-8")
    await assert_refused(verifier, sign(rsa_key, rs256_header(), payload), MalformedToken)


@pytest.mark.parametrize("payload", [b"[]", b'"alice"', b"not json", b"\xff", b"[" * 5000])
async def test_signed_payload_that_is_not_a_json_object_is_refused(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey, payload: bytes
) -> None:
    """A correctly signed payload that is not a UTF-8 JSON object is malformed."""
    await assert_refused(verifier, sign(rsa_key, rs256_header(), payload), MalformedToken)


# --- the cache --------------------------------------------------------------------------


async def test_second_verify_of_the_same_token_skips_the_signature_check(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys
) -> None:
    """A token seen before is answered from the cache: one signature check, one lookup."""
    token = minter.mint()
    first = await verifier.verify(token)
    second = await verifier.verify(token)
    assert second == first
    assert verifier.verifications == 1
    assert keys.lookups == 1


async def test_different_tokens_each_pay_for_a_signature_check(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """The cache is keyed by the token: two different tokens are two checks."""
    await verifier.verify(minter.mint("alice"))
    await verifier.verify(minter.mint("bruce"))
    assert verifier.verifications == 2


async def test_a_forged_token_is_never_cached_as_accepted(
    verifier: TokenVerifier, minter: TokenMinter
) -> None:
    """A failed signature leaves nothing behind: the second try is refused for the same
    reason, after a signature check of its own."""
    header, payload, _ = minter.mint().split(".")
    token = f"{header}.{payload}.{b64url(b'x' * 256)}"
    await assert_refused(verifier, token, InvalidSignature)
    await assert_refused(verifier, token, InvalidSignature)
    assert verifier.verifications == 2


async def test_a_refused_token_is_accepted_once_the_key_set_has_its_key(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys, clock: FakeClock
) -> None:
    """A new key set may hold the key a token was signed with: its signature is checked
    again (here the token is genuine, and the new set has its key)."""
    other = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid="rotated", clock=clock)
    token = other.mint()
    keys.keys["rotated"] = minter.key.public_key()  # the kid names the wrong key
    await assert_refused(verifier, token, InvalidSignature)

    keys.keys["rotated"] = other.key.public_key()
    keys.generation += 1
    assert (await verifier.verify(token)).sub == "alice"
    assert verifier.verifications == 2


async def test_a_genuine_token_refused_for_its_claims_is_not_remembered(
    verifier: TokenVerifier, minter: TokenMinter, clock: FakeClock
) -> None:
    """A token not valid yet is accepted once its time has come."""
    token = minter.mint(nbf=NOW + 600, iat=NOW)
    await assert_refused(verifier, token, InvalidClaim)
    clock.advance(600)
    assert (await verifier.verify(token)).sub == "alice"


async def test_cached_token_is_refused_once_the_clock_passes_exp_and_leeway(
    verifier: TokenVerifier, minter: TokenMinter, clock: FakeClock
) -> None:
    """`exp` is checked again on every cache hit."""
    token = minter.mint(exp=NOW + 60)
    await verifier.verify(token)
    clock.advance(60 + 30)
    assert (await verifier.verify(token)).sub == "alice"
    clock.advance(1)
    await assert_refused(verifier, token, ExpiredToken)
    await assert_refused(verifier, token, ExpiredToken)
    assert verifier.verifications == 2


async def test_bumping_the_key_generation_clears_the_cache(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys
) -> None:
    """When the key set changes, a cached token pays for a fresh signature check."""
    token = minter.mint()
    await verifier.verify(token)
    await verifier.verify(token)
    assert verifier.verifications == 1
    keys.generation += 1
    await verifier.verify(token)
    await verifier.verify(token)
    assert verifier.verifications == 2


async def test_cached_token_is_refused_once_its_key_leaves_the_key_set(
    verifier: TokenVerifier, minter: TokenMinter, keys: StaticKeys
) -> None:
    """A key removed from the set (with a new generation) stops its cached tokens."""
    token = minter.mint()
    await verifier.verify(token)
    keys.keys = {}
    keys.generation += 1
    await assert_refused(verifier, token, UnknownKey)


async def test_cache_is_bounded_by_cache_size(
    keys: StaticKeys, minter: TokenMinter, clock: FakeClock
) -> None:
    """With room for two, a third token evicts the least recently used one."""
    verifier = TokenVerifier(keys, ClaimsPolicy(ISSUER, AUDIENCE), cache_size=2, clock=clock)
    a, b, c = (minter.mint(sub) for sub in ("alice", "bruce", "carol"))
    for token in (a, b, a, c):
        await verifier.verify(token)
    assert verifier.verifications == 3
    await verifier.verify(a)
    await verifier.verify(c)
    assert verifier.verifications == 3
    await verifier.verify(b)
    assert verifier.verifications == 4


async def test_cache_size_zero_caches_nothing(
    keys: StaticKeys, minter: TokenMinter, clock: FakeClock
) -> None:
    """A cache size of 0 means every verify checks the signature."""
    verifier = TokenVerifier(keys, ClaimsPolicy(ISSUER, AUDIENCE), cache_size=0, clock=clock)
    token = minter.mint()
    await verifier.verify(token)
    await verifier.verify(token)
    assert verifier.verifications == 2


# --- the remembered header and the strict decoding behind the fast path -----------------


async def test_a_remembered_header_vouches_for_no_other_header(
    keys: StaticKeys, minter: TokenMinter, rsa_key: rsa.RSAPrivateKey, clock: FakeClock
) -> None:
    """After a header has been accepted, a token whose header differs in any way is judged
    on its own header: alg none, another typ, a key-carrying parameter are still refused."""
    verifier = TokenVerifier(keys, ClaimsPolicy(ISSUER, AUDIENCE), cache_size=0, clock=clock)
    token = minter.mint()
    await verifier.verify(token)
    _, payload, signature = token.split(".")
    for header, refusal in [
        (rs256_header(alg="none"), UnsupportedHeader),
        (rs256_header(typ="JWT"), UnsupportedHeader),
        (rs256_header(jku="http://evil.test/jwks"), UnsupportedHeader),
        (rs256_header(kid="another-key"), UnknownKey),
    ]:
        forged = f"{b64url(_json_bytes(header))}.{payload}.{signature}"
        await assert_refused(verifier, forged, refusal)
    await verifier.verify(token)
    assert verifier.verifications == 2


async def test_a_remembered_header_is_forgotten_with_its_key(
    keys: StaticKeys, minter: TokenMinter, clock: FakeClock
) -> None:
    """When the key set changes, a header accepted before names a key that must be found
    again: with the key gone, its tokens are refused as signed by an unknown key."""
    verifier = TokenVerifier(keys, ClaimsPolicy(ISSUER, AUDIENCE), cache_size=0, clock=clock)
    token = minter.mint()
    await verifier.verify(token)
    keys.keys = {}
    keys.generation += 1

    await assert_refused(verifier, token, UnknownKey)


@pytest.mark.parametrize("bad", ["+", "/", "=", " ", "\n", "é", "!"])
@pytest.mark.parametrize("segment", [0, 1, 2])
async def test_a_character_outside_base64url_in_any_segment_is_malformed(
    verifier: TokenVerifier, minter: TokenMinter, bad: str, segment: int
) -> None:
    """Padding, the standard alphabet's + and /, whitespace or any other character in any
    segment makes the token malformed, whichever segment it is in."""
    parts = minter.mint().split(".")
    parts[segment] = parts[segment][:8] + bad + parts[segment][9:]
    await assert_refused(verifier, ".".join(parts), MalformedToken)


@pytest.mark.parametrize("shape", ["a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", ""])
async def test_a_token_without_exactly_three_non_empty_segments_is_malformed(
    verifier: TokenVerifier, keys: StaticKeys, minter: TokenMinter, shape: str
) -> None:
    """Two parts, four parts, or an empty part: malformed, before any key is looked up."""
    header, payload, signature = minter.mint().split(".")
    token = shape.replace("a", header).replace("b", payload).replace("c", signature)
    await assert_refused(verifier, token, MalformedToken)
    assert keys.lookups == 0
