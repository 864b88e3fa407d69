"""How long a large revocation list takes to fetch, verify and load, and what it holds.

`python -m bench.revocations [--sessions N]` (and `make bench`, in its micro section): a
list naming N revoked sessions is signed as the booth signs it, served over loopback HTTP
by a plain uvicorn process, and fetched by the vending side's `RevocationCache` through
its real path (download with the size cap, JWS parse, RSA verify, strict JSON, sets).
Reports the milliseconds of the `refresh()` that loads it, the peak of Python memory it
allocated (tracemalloc) and the size on the wire. Then what the list costs each request:
`TokenVerifier.verify` of a token it has verified before (the usual request), with no list
and against the list, through the real key set and revocation caches, timed batch by batch
in turns (`bench.micro.alternating`), medians. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.micro import alternating
from bench.processes import start_uvicorn
from shared.tokens.claims import ClaimsPolicy
from shared.tokens.errors import RevokedToken
from shared.tokens.jwks import JWKSCache
from shared.tokens.jws import sign
from shared.tokens.revocation_cache import RevocationCache
from shared.tokens.revocations import REVOCATIONS_TYPE, revocations_payload
from shared.tokens.verifier import TokenVerifier
from tests.support.jwks import JWKSFake
from tests.support.tokens import TokenMinter

__all__ = ["CheckCost", "ListLoad", "measure_check", "measure_list_load"]

ISSUER = "http://bench.lanyard.test"


@dataclass(frozen=True, slots=True)
class ListLoad:
    sessions: int
    bytes: int
    ms: float
    runs_ms: tuple[float, ...]
    peak_mib: float


@dataclass(frozen=True, slots=True)
class CheckCost:
    """Microseconds of one `verify` of an already verified token, without and with a list."""

    sessions: int
    without_us: float
    with_us: float


async def _check_cost(sessions: int) -> CheckCost:
    minter = TokenMinter(issuer=ISSUER, kid="bench-key")
    booth = JWKSFake(minter.jwk, signer=minter)
    booth.revoked_sids = {secrets.token_hex(16) for _ in range(sessions)}
    async with httpx.AsyncClient(transport=booth.transport()) as client:
        keys = JWKSCache(f"{ISSUER}/jwks.json", client=client)
        await keys.refresh()
        held = RevocationCache(f"{ISSUER}/revocations.jwt", client=client, keys=keys, issuer=ISSUER)
        if not await held.refresh():
            raise RuntimeError("the revocation list was not believed")
        policy = ClaimsPolicy(minter.issuer, minter.audience)
        plain = TokenVerifier(keys, policy)
        checked = TokenVerifier(keys, policy, revocations=held)
        tokens = [
            minter.mint(f"user{i:04d}", sid=secrets.token_hex(16), jti=secrets.token_hex(16))
            for i in range(1000)
        ]
        for token in tokens:  # every later call is a cache hit, as in a request
            await plain.verify(token)
            await checked.verify(token)
        # The list timed is the one consulted: a token of a listed session is refused.
        try:
            await checked.verify(minter.mint("listed", sid=next(iter(booth.revoked_sids))))
        except RevokedToken:
            pass
        else:
            raise RuntimeError("the list timed was not consulted: a listed session passed")
        n = len(tokens)
        timed = await alternating(
            {
                "without": lambda i: plain.verify(tokens[i % n]),
                "with": lambda i: checked.verify(tokens[i % n]),
            },
            batch=n,
            repetitions=20,
        )
        await keys.aclose()
        await held.aclose()
    us = {result.name: result.us for result in timed}
    return CheckCost(sessions, us["without"], us["with"])


def measure_check(sessions: int = 100_000) -> CheckCost:
    """The per-request cost of the revocation check against a list of `sessions`."""
    return asyncio.run(_check_cost(sessions))


def _write_list(workdir: Path, minter: TokenMinter, sessions: int) -> int:
    payload = revocations_payload(
        issuer=ISSUER,
        issued_at=int(time.time()),
        lifetime=600,
        sids=[secrets.token_hex(16) for _ in range(sessions)],
        jtis=[],
        kids=[],
        subs={},
    )
    token = sign({"kid": minter.kid, "typ": REVOCATIONS_TYPE}, payload, minter.key)
    (workdir / "revocations.jwt").write_text(token)
    (workdir / "jwks.json").write_text(json.dumps({"keys": [minter.jwk]}))
    return len(token)


async def _load_once(url: str) -> tuple[float, float]:
    async with httpx.AsyncClient() as client:
        keys = JWKSCache(f"{url}/.well-known/jwks.json", client=client)
        await keys.refresh()
        cache = RevocationCache(
            f"{url}/.well-known/revocations.jwt", client=client, keys=keys, issuer=ISSUER
        )
        tracemalloc.start()
        started = time.perf_counter()
        assert await cache.refresh(), "the list was not believed"
        took = (time.perf_counter() - started) * 1000
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert cache.current is not None
        await keys.aclose()
        return took, peak / 2**20


def measure_list_load(sessions: int = 100_000, repetitions: int = 5) -> ListLoad:
    """Serve a list of `sessions` revoked sessions and load it `repetitions` times."""
    minter = TokenMinter(issuer=ISSUER, kid="bench-key")
    with tempfile.TemporaryDirectory(prefix="lanyard-revocations-") as folder:
        workdir = Path(folder)
        size = _write_list(workdir, minter, sessions)
        server = start_uvicorn(
            "documents",
            "bench.apps:documents",
            {"BENCH_DOCUMENTS": str(workdir)},
            workdir,
            "/.well-known/jwks.json",
        )
        try:
            runs = [asyncio.run(_load_once(server.url)) for _ in range(repetitions)]
        finally:
            server.stop()
    times = [ms for ms, _ in runs]
    return ListLoad(sessions, size, statistics.median(times), tuple(times), max(m for _, m in runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.revocations", description=__doc__)
    parser.add_argument("--sessions", type=int, default=100_000)
    args = parser.parse_args(argv)
    load = measure_list_load(args.sessions)
    print(
        f"{load.sessions:,} revoked sessions, {load.bytes / 2**20:.1f} MiB on the wire: "
        f"fetched, verified and loaded in {load.ms:.0f} ms (median of "
        f"{' / '.join(f'{ms:.0f}' for ms in load.runs_ms)}), peak {load.peak_mib:.1f} MiB"
    )
    check = measure_check(args.sessions)
    print(
        f"a request's token check (verified before): {check.without_us:.2f} µs without a "
        f"list, {check.with_us:.2f} µs against {check.sessions:,} revoked sessions "
        f"(+{check.with_us - check.without_us:.2f} µs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
