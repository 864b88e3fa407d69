"""What one `make bench` run measures, and how long: variants, workloads, the plan (full or
smoke) and where the processes run."""

from __future__ import annotations

import os
from collections.abc import Set
from dataclasses import dataclass

__all__ = [
    "AUDIENCE",
    "DEFAULT_PATH",
    "FULL",
    "HALF_LOAD",
    "ISSUER",
    "KID",
    "LATENCY",
    "PROFILED",
    "QUOTA",
    "REVOCATION_LIST_LIFETIME",
    "SMOKE",
    "THROUGHPUT",
    "TOKEN_FILES",
    "VARIANTS",
    "WORKLOADS",
    "Placement",
    "Plan",
    "path_of",
]

ISSUER = "http://bench.lanyard.test"
AUDIENCE = "lanyard-vending"
KID = "bench-key"
# Far beyond anything a run can use: the benchmark never meets a 429.
QUOTA = 10**9
# The empty revocation list outlives any run (the booth signs one for 10 minutes and
# re-signs it; nothing here re-signs).
REVOCATION_LIST_LIFETIME = 6 * 3600

VARIANTS = {
    "bare": "Starlette route, constant JSON of /cats?count=1's shape, no token, no database",
    "naive": "the same JSON + PyJWKClient/jwt.decode per request",
    "ceiling": "vending stack, auth and quota off",
    "sqlite": "Lanyard, SQLite quotas",
    "redis": "Lanyard, Redis quotas",
}
WORKLOADS = {
    "count1": "distinct users, count=1",
    "one": "1 user",
    "many": "distinct users, round robin",
    "mixed": "distinct users, 10% invalid tokens",
    "invalid": "invalid tokens only (forged signatures)",
    "fresh": "invalid tokens only, never repeated",
}
# The path each workload loads, and the token file it sends (its own unless named here).
PATHS = {"count1": "/cats?count=1"}
DEFAULT_PATH = "/cats?count=10"
TOKEN_FILES = {"count1": "many"}
THROUGHPUT = [
    # Issue 18: count=1, 1,000 users, against the bare route.
    ("bare", "count1"),
    ("naive", "count1"),
    ("ceiling", "count1"),
    ("sqlite", "count1"),
    ("redis", "count1"),
    # Issue 9: count=10, against the ceiling and the naive reference.
    ("naive", "one"),
    ("naive", "many"),
    ("naive", "mixed"),
    ("ceiling", "many"),
    ("sqlite", "one"),
    ("sqlite", "many"),
    ("sqlite", "mixed"),
    ("sqlite", "invalid"),
    ("sqlite", "fresh"),
    ("redis", "one"),
    ("redis", "many"),
    ("redis", "mixed"),
]
LATENCY = ["naive", "ceiling", "sqlite", "redis"]
HALF_LOAD = ("sqlite", "count1")
"""Loaded at half its own measured capacity, for issue 18's p99 target."""
PROFILED = ("sqlite", "count1")


def path_of(workload: str) -> str:
    return PATHS.get(workload, DEFAULT_PATH)


@dataclass(frozen=True, slots=True)
class Plan:
    smoke: bool
    repetitions: int
    seconds: float
    warmup: float
    users: int
    connections: int
    rate: int
    """Requests per second offered in the latency measurements."""
    latency_connections: int
    micro_tokens: int
    fresh_tokens: int
    """Never-repeated invalid tokens: more than the verifier remembers of refusals (10,000)."""
    sign_batch: int
    micro_repetitions: int
    revocation_sessions: int  # revoked sessions in the list whose load is timed
    profile_seconds: float
    profile_rate: int
    """py-spy's samples per second."""
    starts: int
    """Starts of a vending replica timed to /readyz (the first creates its database); 0:
    the SQLite variant's own start, and its memory (after what it served already)."""
    memory_users: int
    """Distinct users the last of them serves before its RSS is read."""
    half_load_pause_ms: int = 16
    """wrk's pause per connection at half capacity: connections = rate x pause."""

    @property
    def pause_ms(self) -> int:
        """wrk's pause per connection after each answer, for about `rate` requests/s."""
        return max(1, round(1000 * self.latency_connections / self.rate))


FULL = Plan(
    smoke=False,
    repetitions=4,
    seconds=8,
    warmup=3,
    users=1000,
    connections=32,
    rate=1000,
    latency_connections=16,
    micro_tokens=2000,
    fresh_tokens=40_000,
    sign_batch=200,
    micro_repetitions=5,
    revocation_sessions=100_000,
    profile_seconds=10,
    profile_rate=250,
    starts=5,
    memory_users=10_000,
)
SMOKE = Plan(
    smoke=True,
    repetitions=1,
    seconds=1,
    warmup=1,
    users=20,
    connections=8,
    rate=200,
    latency_connections=4,
    micro_tokens=40,
    fresh_tokens=10_000,
    sign_batch=5,
    micro_repetitions=1,
    revocation_sessions=1_000,
    profile_seconds=2,
    profile_rate=100,
    starts=0,
    memory_users=300,
)


@dataclass(frozen=True, slots=True)
class Placement:
    """Which CPUs the servers run on, and which the load generator; None: anywhere."""

    servers: Set[int] | None
    load: Set[int] | None

    @classmethod
    def for_this_machine(cls) -> Placement:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2 or os.environ.get("BENCH_PIN", "1") == "0":
            return cls(None, None)
        return cls(frozenset(cpus[-1:]), frozenset(cpus[:-1]))
