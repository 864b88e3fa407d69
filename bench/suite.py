"""The measurements of one `make bench` run: servers, workloads, rounds.

Every server runs at once, each an idle uvicorn process until its turn. The rounds visit
every (variant, workload) pair in turn, in a rotated order, so the repetitions of one
variant are spread over the run like those of any other and the ratios compare like with
like. On a machine with two CPUs or more the servers share the last CPU and the load
generator (wrk, and redis-server) the others: one worker, one core, undisturbed by wrk.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import Sample, run_wrk
from bench.measures import Footprint, HalfLoad, ProfileRun, footprint, half_load, profile, say
from bench.micro import MicroResult, run_micro
from bench.plan import (
    AUDIENCE,
    FULL,
    HALF_LOAD,
    ISSUER,
    KID,
    LATENCY,
    PROFILED,
    QUOTA,
    REVOCATION_LIST_LIFETIME,
    SMOKE,
    THROUGHPUT,
    TOKEN_FILES,
    VARIANTS,
    WORKLOADS,
    Placement,
    Plan,
    path_of,
)
from bench.proc import cpu_times
from bench.processes import Server, start_redis, start_uvicorn, start_vending
from bench.revocations import ListLoad, measure_list_load
from shared.tokens.jws import sign
from shared.tokens.revocations import REVOCATIONS_TYPE, revocations_payload
from tests.support.tokens import TokenMinter

__all__ = [
    "AUDIENCE",
    "FULL",
    "ISSUER",
    "SMOKE",
    "VARIANTS",
    "WORKLOADS",
    "Plan",
    "Results",
    "run_suite",
    "write_run_files",
]


@dataclass
class Results:
    plan: Plan
    placement: Placement
    throughput: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    latency: dict[str, list[Sample]] = field(default_factory=dict)
    micro: list[MicroResult] = field(default_factory=list)
    revocations: ListLoad | None = None
    half_load: list[HalfLoad] = field(default_factory=list)
    profile: ProfileRun | None = None
    footprint: Footprint | None = None
    seconds: float = 0.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def write_run_files(plan: Plan, workdir: Path) -> tuple[TokenMinter, dict[str, Path]]:
    """The token files of each workload, minted for the bench issuer; and the minter."""
    minter = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID)
    # Same kid, another key: well-formed tokens whose signature fails, the dearest refusal.
    forger = TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid=KID)
    exp = int(time.time()) + 3600
    valid = [minter.mint(f"user{i:04d}", exp=exp) for i in range(plan.users)]
    forged = [forger.mint(f"user{i:04d}", exp=exp) for i in range(plan.users)]
    mixed = [forged[i] if i % 10 == 9 else token for i, token in enumerate(valid)]
    # Valid header and claims under a random signature (as costly to check as a forged
    # one), so many that no token comes back while the verifier still remembers it.
    fresh = [
        f"{valid[i % plan.users].rpartition('.')[0]}.{_b64url(os.urandom(256))}"
        for i in range(plan.fresh_tokens)
    ]
    files = {}
    for name, tokens in {
        "one": valid[:1],
        "many": valid,
        "mixed": mixed,
        "invalid": forged,
        "fresh": fresh,
        # A replica's memory: this many distinct users, once each (none seen before).
        "memory": [minter.mint(f"mem{i:05d}", exp=exp) for i in range(plan.memory_users)],
    }.items():
        files[name] = workdir / f"tokens-{name}.txt"
        files[name].write_text("\n".join(tokens) + "\n")
    (workdir / "jwks.json").write_text(json.dumps({"keys": [minter.jwk]}))
    # What the booth publishes beside its keys: a signed revocation list, here empty. The
    # vending services stay unready until they hold one (REVOCATION_FAIL_MODE aside).
    revoked = revocations_payload(
        issuer=ISSUER,
        issued_at=int(time.time()),
        lifetime=REVOCATION_LIST_LIFETIME,
        sids=[],
        jtis=[],
        kids=[],
        subs={},
    )
    token = sign({"kid": minter.kid, "typ": REVOCATIONS_TYPE}, revoked, minter.key)
    (workdir / "revocations.jwt").write_text(token)
    return minter, files


@contextlib.contextmanager
def _servers(
    workdir: Path, placement: Placement
) -> Iterator[tuple[dict[str, Server], Callable[[str], Server]]]:
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
        servers["bare"] = start_uvicorn("bare", "bench.bare_app:bare", {}, workdir, "/healthz", on)
        started.append(servers["bare"])
        servers["redis-server"] = redis

        def another_sqlite_replica(name: str) -> Server:
            """A new SQLite vending replica (its data in `data-<name>`), stopped with the rest."""
            server = start_vending(name, vending_env(name), workdir, on)
            started.append(server)
            return server

        yield servers, another_sqlite_replica
    finally:
        for server in reversed(started):
            server.stop()


def run_suite(plan: Plan, workdir: Path) -> Results:
    """Micro timings, then every server started, warmed, and loaded round after round;
    then the profile, and the start-up and memory of new replicas."""
    began = time.monotonic()
    placement = Placement.for_this_machine()
    results = Results(plan, placement)
    minter, tokens = write_run_files(plan, workdir)
    say("micro-benchmarks (in process) ...")
    exp = int(time.time()) + 3600  # distinct tokens: a verifier with a cache never saw them
    results.micro = run_micro(
        minter,
        [minter.mint(f"micro{i:05d}", exp=exp) for i in range(plan.micro_tokens)],
        workdir,
        sign_batch=plan.sign_batch,
        repetitions=plan.micro_repetitions,
    )
    say("revocation list load ...")
    results.revocations = measure_list_load(
        plan.revocation_sessions, repetitions=plan.micro_repetitions
    )
    say("starting servers ...")
    with _servers(workdir, placement) as (servers, another_replica):

        def load(variant: str, workload: str, **options: int) -> Sample:
            """One wrk run, with the CPU time the server (and redis-server) used meanwhile."""
            server = servers[variant]
            redis = servers["redis-server"] if variant == "redis" else None
            before = cpu_times(server.pid)
            redis_before = cpu_times(redis.pid) if redis else None
            sample = run_wrk(
                server.url,
                path_of(workload),
                tokens[TOKEN_FILES.get(workload, workload)],
                seconds=options.get("seconds", plan.seconds),
                connections=options.get("connections", plan.connections),
                pause_ms=options.get("pause_ms", 0),
                cpus=placement.load,
            )
            used = cpu_times(server.pid) - before
            redis_used = cpu_times(redis.pid) - redis_before if redis and redis_before else None
            return dataclasses.replace(
                sample,
                cpu_s=used.process,
                main_cpu_s=used.main_thread,
                redis_cpu_s=redis_used.process if redis_used else 0.0,
            )

        for variant in VARIANTS:  # fills caches and pools
            load(variant, "count1" if variant == "bare" else "many", seconds=round(plan.warmup))
        say("servers up and warm")
        for round_no in range(plan.repetitions):
            say(f"round {round_no + 1}/{plan.repetitions}")
            # Rotate the order each round so no case always follows the same neighbour.
            shift = round_no * 5 % len(THROUGHPUT)
            for variant, workload in THROUGHPUT[shift:] + THROUGHPUT[:shift]:
                sample = load(variant, workload)
                results.throughput.setdefault((variant, workload), []).append(sample)
                say(
                    f"  {variant:9} {workload:7} {sample.rps:9,.0f} req/s"
                    f" {sample.per_request_us(sample.cpu_s):7.0f} us CPU/request"
                )
            for variant in LATENCY:
                sample = load(
                    variant,
                    "many",
                    connections=plan.latency_connections,
                    pause_ms=plan.pause_ms,
                )
                results.latency.setdefault(variant, []).append(sample)
                say(
                    f"  {variant:9} at {sample.rps:,.0f}/s: p50 {sample.p50_ms:.2f} ms,"
                    f" p99 {sample.p99_ms:.2f} ms"
                )
            half = half_load(plan, results.throughput[HALF_LOAD], results.half_load, load)
            results.half_load.append(half)
            say(
                f"  {HALF_LOAD[0]:9} at {half.sample.rps:,.0f}/s (half of {half.capacity:,.0f}):"
                f" p50 {half.sample.p50_ms:.2f} ms, p99 {half.sample.p99_ms:.2f} ms"
            )
        say(f"profile of {PROFILED[0]}, {WORKLOADS[PROFILED[1]]} (py-spy) ...")
        results.profile = profile(plan, workdir, servers[PROFILED[0]], load, placement)
        say("start-up and memory of new SQLite replicas ...")
        results.footprint = footprint(
            plan, tokens["memory"], another_replica, servers["sqlite"], placement
        )
    results.seconds = time.monotonic() - began
    return results
