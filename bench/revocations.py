"""How long a large revocation list takes to fetch, verify and load, and what it holds.

`python -m bench.revocations [--sessions N]` (and `make bench`, in its micro section): a
list naming N revoked sessions is signed as the booth signs it, served over loopback HTTP
by a plain uvicorn process, and fetched by the vending side's `RevocationCache` through
its real path (download with the size cap, JWS parse, RSA verify, strict JSON, sets).
Reports the milliseconds of the `refresh()` that loads it, the peak of Python memory it
allocated (tracemalloc) and the size on the wire. Then what the list costs each request:
`TokenVerifier.verify` of a token it has verified before (the usual request), with no list
and with the loaded one, best of five passes over 1,000 tokens. Nothing here is asserted.
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

from bench.processes import start_uvicorn
from shared.tokens.claims import ClaimsPolicy
from shared.tokens.errors import RevokedToken
from shared.tokens.jwks import JWKSCache
from shared.tokens.jws import sign
from shared.tokens.revocation_cache import RevocationCache
from shared.tokens.revocations import REVOCATIONS_TYPE, RevocationList, revocations_payload
from shared.tokens.verifier import TokenVerifier
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


class _Key:
    """A key source of one key that never changes."""

    generation = 0

    def __init__(self, minter: TokenMinter) -> None:
        self._minter = minter

    async def get(self, kid: str) -> object:
        return self._minter.key.public_key() if kid == self._minter.kid else None


class _Held:
    def __init__(self, current: RevocationList | None) -> None:
        self.current = current


def _verifier(minter: TokenMinter, held: _Held) -> TokenVerifier:
    policy = ClaimsPolicy(issuer=ISSUER, audience=minter.audience, leeway=5, max_lifetime=3600)
    return TokenVerifier(_Key(minter), policy, revocations=held)  # type: ignore[arg-type]


async def _verify_cost(minter: TokenMinter, tokens: list[str], held: _Held) -> float:
    verifier = _verifier(minter, held)
    for token in tokens:
        await verifier.verify(token)  # every later call is a cache hit, as in a request
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20):
            for token in tokens:
                await verifier.verify(token)
        best = min(best, (time.perf_counter() - started) / (20 * len(tokens)) * 1e6)
    return best


async def _refused(minter: TokenMinter, token: str, held: _Held) -> bool:
    verifier = _verifier(minter, held)
    try:
        await verifier.verify(token)
    except RevokedToken:
        return True
    return False


def measure_check(sessions: int = 100_000) -> CheckCost:
    """The per-request cost of the revocation check against a list of `sessions`."""
    minter = TokenMinter(issuer=ISSUER, kid="bench-key")
    now = time.time()
    listed = RevocationList(
        issued_at=now,
        expires_at=now + 600,
        sids=frozenset(secrets.token_hex(16) for _ in range(sessions)),
    )
    tokens = [
        minter.mint(f"user{i:04d}", sid=secrets.token_hex(16), jti=secrets.token_hex(16))
        for i in range(1000)
    ]
    without = asyncio.run(_verify_cost(minter, tokens, _Held(None)))
    with_list = asyncio.run(_verify_cost(minter, tokens, _Held(listed)))
    # The list measured is the one consulted: a token of a listed session is refused.
    revoked = minter.mint("listed", sid=next(iter(listed.sids)))
    if not asyncio.run(_refused(minter, revoked, _Held(listed))):
        raise RuntimeError("the list timed was not consulted: a listed session passed")
    return CheckCost(sessions, without, with_list)


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
