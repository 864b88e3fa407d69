"""In-process timings of the two RSA paths: verifying a token and issuing one.

Each is set beside the bare `cryptography` operation it cannot avoid, on the same key and
the same bytes: verification (`TokenVerifier` through the real `JWKSCache`) against one
RSA-2048 PKCS#1 v1.5 verify, issuance (`jwt.encode` RS256 with the claims, header and key
the booth uses) against one RSA sign. The timings of one group alternate batch by batch,
so a slow second for the machine falls on all of them alike; each figure is the median.
"""

from __future__ import annotations

import asyncio
import inspect
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from auth_service.keys.ring import SigningKey, thumbprint
from auth_service.keys.vault import new_private_key
from shared.tokens.claims import ClaimsPolicy, issue_claims
from shared.tokens.jwks import JWKSCache
from shared.tokens.jws import sign
from shared.tokens.verifier import TokenVerifier
from tests.support.jwks import JWKSFake
from tests.support.tokens import TokenMinter

__all__ = ["MicroResult", "alternating", "run_micro"]

_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
Operation = Callable[[int], Awaitable[Any] | None]


@dataclass(frozen=True, slots=True)
class MicroResult:
    """Median microseconds per operation, over `runs_us` (one figure per batch)."""

    name: str
    us: float
    runs_us: tuple[float, ...]
    batch: int


async def alternating(
    operations: dict[str, Operation], batch: int, repetitions: int
) -> list[MicroResult]:
    """Time each operation `batch` times per repetition, the operations taking turns."""
    runs: dict[str, list[float]] = {name: [] for name in operations}
    for repetition in range(repetitions + 1):  # the first round only warms up
        for name, operation in operations.items():
            started = time.perf_counter_ns()
            for i in range(batch):
                result = operation(i)
                if inspect.isawaitable(result):
                    await result
            if repetition:
                runs[name].append((time.perf_counter_ns() - started) / batch / 1000)
    return [
        MicroResult(name, statistics.median(times), tuple(times), batch)
        for name, times in runs.items()
    ]


async def _verification(
    minter: TokenMinter, tokens: Sequence[str], repetitions: int
) -> list[MicroResult]:
    fake = JWKSFake(minter.jwk)
    async with httpx.AsyncClient(transport=fake.transport()) as client:
        jwks = JWKSCache("http://jwks.bench/jwks.json", client=client)
        await jwks.refresh()
        policy = ClaimsPolicy(minter.issuer, minter.audience)
        cold = TokenVerifier(jwks, policy, cache_size=0)
        warm = TokenVerifier(jwks, policy)
        first_sight = [TokenVerifier(jwks, policy)]
        for token in tokens:
            await warm.verify(token)
        public = minter.key.public_key()
        pyjwk = jwt.PyJWK(minter.jwk)
        signed = []
        for token in tokens:
            signing_input, _, signature = token.rpartition(".")
            signed.append((jwt.utils.base64url_decode(signature), signing_input.encode()))
        n = len(tokens)

        def raw(i: int) -> None:
            signature, message = signed[i % n]
            public.verify(signature, message, _PKCS1, _SHA256)

        def first(i: int) -> Awaitable[Any]:
            if i % n == 0:  # a new verifier each pass: every token is one it has not seen
                first_sight[0] = TokenVerifier(jwks, policy)
            return first_sight[0].verify(tokens[i % n])

        def pyjwt(i: int) -> None:
            jwt.decode(
                tokens[i % n],
                pyjwk.key,
                algorithms=["RS256"],
                audience=minter.audience,
                issuer=minter.issuer,
            )

        results = await alternating(
            {
                "RSA-2048 verify (cryptography)": raw,
                "TokenVerifier, cold (cache off)": lambda i: cold.verify(tokens[i % n]),
                "TokenVerifier, first sight (cache on)": first,
                "TokenVerifier, warm (cache hit)": lambda i: warm.verify(tokens[i % n]),
                "jwt.decode RS256 (PyJWT, key object)": pyjwt,
            },
            n,
            repetitions,
        )
        await jwks.aclose()
        return results


async def _issuance(workdir: Path, batch: int, repetitions: int) -> list[MicroResult]:
    private = new_private_key()
    signing = SigningKey(thumbprint(private), private)
    key = signing.private_key
    message = b"x" * 600  # about the size of an access token's signing input
    headers = {"kid": signing.kid, "typ": "at+jwt"}

    def encode() -> str:
        claims = issue_claims(
            issuer="http://127.0.0.1:8001",
            audience="lanyard-vending",
            subject="bench",
            scope="cats:read cats:write",
            tier="free",
            issued_at=int(time.time()),
            lifetime=900,
            client_id="lanyard-web",
        )
        return sign(headers, claims, key)

    def raw(i: int) -> None:
        key.sign(message, _PKCS1, _SHA256)

    def booth(i: int) -> None:
        encode()

    return await alternating(
        {
            "RSA-2048 sign (cryptography)": raw,
            "jwt.encode RS256, as the booth signs": booth,
            "booth access token (jwt.encode in a worker thread)": (
                lambda i: anyio.to_thread.run_sync(encode)
            ),
        },
        batch,
        repetitions,
    )


def run_micro(
    minter: TokenMinter, tokens: Sequence[str], workdir: Path, *, sign_batch: int, repetitions: int
) -> list[MicroResult]:
    """Every micro timing, verification first, in a fresh event loop."""

    async def both() -> list[MicroResult]:
        verifying = await _verification(minter, tokens, repetitions)
        return verifying + await _issuance(workdir, sign_batch, repetitions)

    return asyncio.run(both())
