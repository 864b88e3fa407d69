"""The measurements of one `make bench` run: servers, workloads, rounds.

Every server runs at once, each an idle uvicorn process until its turn. The rounds visit
every (variant, workload) pair in turn, in a rotated order, so the repetitions of one
variant are spread over the run like those of any other and the ratios compare like with
like. On a machine with two CPUs or more the servers share the last CPU and the load
generator (wrk, and redis-server) the others: one worker, one core, undisturbed by wrk.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import Sample, run_wrk
from bench.micro import MicroResult, run_micro
from bench.processes import Server, start_redis, start_uvicorn, start_vending
from bench.revocations import ListLoad, measure_list_load
from bench.runfiles import AUDIENCE, ISSUER, QUOTA, write_run_files

__all__ = ["FULL", "SMOKE", "VARIANTS", "WORKLOADS", "Plan", "Results", "run_suite"]

# name -> (what it is, path it is loaded on)
VARIANTS = {
    "framework": ("Starlette route, same JSON, no auth", "/open/cats?count=10"),
    "naive": ("same route + PyJWKClient/jwt.decode per request", "/cats?count=10"),
    "ceiling": ("vending stack, auth and quota off", "/cats?count=10"),
    "sqlite": ("Lanyard, SQLite quotas", "/cats?count=10"),
    "redis": ("Lanyard, Redis quotas", "/cats?count=10"),
}
WORKLOADS = {
    "one": "1 user",
    "many": "distinct users, round robin",
    "mixed": "distinct users, 10% invalid tokens",
    "invalid": "invalid tokens only (forged signatures)",
    "fresh": "invalid tokens only, never repeated",
}
THROUGHPUT = [
    ("framework", "many"),
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

    @property
    def pause_ms(self) -> int:
        """wrk's pause per connection after each answer, for about `rate` requests/s."""
        return max(1, round(1000 * self.latency_connections / self.rate))


FULL = Plan(
    smoke=False,
    repetitions=5,
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


@dataclass
class Results:
    plan: Plan
    placement: Placement
    throughput: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    latency: dict[str, list[Sample]] = field(default_factory=dict)
    micro: list[MicroResult] = field(default_factory=list)
    revocations: ListLoad | None = None
    seconds: float = 0.0


@contextlib.contextmanager
def _servers(workdir: Path, placement: Placement) -> Iterator[dict[str, Server]]:
    """Every server of the run, started in order, stopped (by pid) in reverse."""
    started: list[Server] = []
    on = placement.servers
    try:
        jwks = start_uvicorn(
            "jwks",
            "bench.apps:documents",
            {"BENCH_DOCUMENTS": str(workdir)},
            workdir,
            "/.well-known/jwks.json",
            placement.load,
        )
        started.append(jwks)
        redis = start_redis(workdir, placement.load)
        started.append(redis)
        jwks_url = f"{jwks.url}/.well-known/jwks.json"

        def vending_env(name: str) -> dict[str, str]:
            return {
                "ISSUER": ISSUER,
                "JWKS_URL": jwks_url,
                "REVOCATION_URL": f"{jwks.url}/.well-known/revocations.jwt",
                "AUDIENCE": AUDIENCE,
                "DATA_DIR": str(workdir / f"data-{name}"),
                "QUOTA_FREE": str(QUOTA),
                "QUOTA_PREMIUM": str(QUOTA),
            }

        servers = {}
        servers["sqlite"] = start_vending("lanyard-sqlite", vending_env("sqlite"), workdir, on)
        started.append(servers["sqlite"])
        redis_env = {**vending_env("redis"), "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0"}
        servers["redis"] = start_vending("lanyard-redis", redis_env, workdir, on)
        started.append(servers["redis"])
        servers["ceiling"] = start_uvicorn(
            "ceiling", "bench.apps:ceiling", vending_env("ceiling"), workdir, "/readyz", on
        )
        started.append(servers["ceiling"])
        naive_env = {
            "BENCH_JWKS_URL": jwks_url,
            "BENCH_ISSUER": ISSUER,
            "BENCH_AUDIENCE": AUDIENCE,
            "BENCH_DATABASE": str(workdir / "data-ceiling" / "vending.db"),
        }
        servers["naive"] = start_uvicorn(
            "naive", "bench.naive_app:create_naive_app", naive_env, workdir, "/healthz", on
        )
        started.append(servers["naive"])
        servers["framework"] = servers["naive"]
        yield servers
    finally:
        for server in reversed(started):
            server.stop()


def _say(message: str) -> None:
    print(message, flush=True)


def run_suite(plan: Plan, workdir: Path) -> Results:
    """Micro timings, then every server started, warmed, and loaded round after round."""
    began = time.monotonic()
    placement = Placement.for_this_machine()
    results = Results(plan, placement)
    minter, tokens = write_run_files(plan, workdir)
    _say("micro-benchmarks (in process) ...")
    exp = int(time.time()) + 3600  # distinct tokens: a verifier with a cache never saw them
    results.micro = run_micro(
        minter,
        [minter.mint(f"micro{i:05d}", exp=exp) for i in range(plan.micro_tokens)],
        workdir,
        sign_batch=plan.sign_batch,
        repetitions=plan.micro_repetitions,
    )
    _say("revocation list load ...")
    results.revocations = measure_list_load(
        plan.revocation_sessions, repetitions=plan.micro_repetitions
    )
    _say("starting servers ...")
    with _servers(workdir, placement) as servers:

        def load(variant: str, workload: str, **options: int) -> Sample:
            return run_wrk(
                servers[variant].url,
                VARIANTS[variant][1],
                tokens[workload],
                seconds=options.get("seconds", plan.seconds),
                connections=options.get("connections", plan.connections),
                pause_ms=options.get("pause_ms", 0),
                cpus=placement.load,
            )

        for variant in VARIANTS:
            load(variant, "many", seconds=round(plan.warmup))  # fills caches and pools
        _say("servers up and warm")
        for round_no in range(plan.repetitions):
            _say(f"round {round_no + 1}/{plan.repetitions}")
            # Rotate the order each round so no case always follows the same neighbour.
            shift = round_no * 5 % len(THROUGHPUT)
            for variant, workload in THROUGHPUT[shift:] + THROUGHPUT[:shift]:
                sample = load(variant, workload)
                results.throughput.setdefault((variant, workload), []).append(sample)
                _say(f"  {variant:9} {workload:7} {sample.rps:9,.0f} req/s")
            for variant in LATENCY:
                sample = load(
                    variant,
                    "many",
                    connections=plan.latency_connections,
                    pause_ms=plan.pause_ms,
                )
                results.latency.setdefault(variant, []).append(sample)
                _say(
                    f"  {variant:9} at {sample.rps:,.0f}/s: p50 {sample.p50_ms:.2f} ms,"
                    f" p99 {sample.p99_ms:.2f} ms"
                )
    results.seconds = time.monotonic() - began
    return results
