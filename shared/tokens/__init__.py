"""Lanyard's token library: framework-free, so both services (and tests) share one copy.

- `jws`: compact JWS, RS256 only, parsed strictly (RFC 7515, RFC 8725);
- `claims`: the access token's claims, issued and read in one place (RFC 9068);
- `jwk`: public JWKs and JWKS documents (RFC 7517, thumbprints per RFC 7638);
- `jwks`: the vending side's cache of the booth's JWKS;
- `verifier`: `TokenVerifier`, which puts them together;
- `errors`: every reason a token or key set is refused, under `TokenError`.
"""

from shared.tokens.claims import AccessClaims, ClaimsPolicy, issue_claims, read_claims
from shared.tokens.errors import JWKSError, TokenError
from shared.tokens.jwk import jwk_thumbprint, parse_jwks, public_jwk
from shared.tokens.jwks import CachePolicy, JWKSCache
from shared.tokens.jws import CompactJWS, sign
from shared.tokens.verifier import KeySource, TokenVerifier

__all__ = [
    "AccessClaims",
    "CachePolicy",
    "ClaimsPolicy",
    "CompactJWS",
    "JWKSCache",
    "JWKSError",
    "KeySource",
    "TokenError",
    "TokenVerifier",
    "issue_claims",
    "jwk_thumbprint",
    "parse_jwks",
    "public_jwk",
    "read_claims",
    "sign",
]
