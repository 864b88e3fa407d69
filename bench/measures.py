"""The measurements beside the throughput rounds: latency at half capacity, the profile,
and a replica's start-up and memory."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.load import Sample, run_wrk
from bench.plan import HALF_LOAD, PROFILED, Placement, Plan, path_of
from bench.proc import rss_bytes, thread_cpu_seconds
from bench.processes import Server
from bench.profile import Profile, summarize_profile
from bench.spy import cannot_trace, record

__all__ = ["Footprint", "HalfLoad", "ProfileRun", "footprint", "half_load", "profile", "say"]


def say(message: str) -> None:
    print(message, flush=True)


@dataclass(frozen=True, slots=True)
class HalfLoad:
    """One latency run at half the capacity measured so far (`capacity` req/s)."""

    capacity: float
    offered: float
    """The rate aimed at: half the capacity."""
    connections: int
    sample: Sample


@dataclass(frozen=True, slots=True)
class ProfileRun:
    """py-spy against the profiled server under load: the collapsed stacks, what they
    come to by layer, the runs; or why there is none."""

    variant: str
    workload: str
    stacks: str = ""
    profile: Profile | None = None
    sample: Sample | None = None
    """The run without py-spy that gave each thread's CPU time per request."""
    profiled: Sample | None = None
    """The run py-spy sampled."""
    skipped: str = ""
    """Why there is no profile (smoke runs only: py-spy not allowed to trace)."""
    failed: str = ""
    """Why there is no profile, when there should be one."""


@dataclass(frozen=True, slots=True)
class Footprint:
    """Start-up and memory of a vending replica (SQLite quotas)."""

    ready_seconds: list[float]
    """Process start to /readyz 200, each start (the first creates the database)."""
    rss_ready: int
    """RSS (bytes) of the last start when ready, ..."""
    rss_served: int
    """... and after it served `users` distinct users."""
    users: int
    requests: int


def half_load(
    plan: Plan, measured: list[Sample], before: list[HalfLoad], load: Callable[..., Sample]
) -> HalfLoad:
    """The half-load case loaded at half its median capacity so far (this round's
    included), like the fixed-rate runs: each connection pauses `half_load_pause_ms` after
    each answer. A connection's rate is 1000 / (pause + latency) requests/s: the first
    round assumes no latency, later ones take the median per-connection rate achieved in
    the rounds `before`, so the achieved rate comes closer to the offered one."""
    capacity = statistics.median(s.rps for s in measured)
    rate = max(1.0, capacity / 2)
    per_connection = 1000 / plan.half_load_pause_ms
    if before:
        per_connection = statistics.median(h.sample.rps / h.connections for h in before)
    connections = max(1, round(rate / per_connection))
    sample = load(*HALF_LOAD, connections=connections, pause_ms=plan.half_load_pause_ms)
    return HalfLoad(capacity, rate, connections, sample)


def profile(
    plan: Plan,
    workdir: Path,
    server: Server,
    load: Callable[..., Sample],
    placement: Placement,
) -> ProfileRun:
    """py-spy records `server` for as long as wrk loads it with the profiled workload.

    Each thread's CPU time per request comes from a run of the same load just before,
    without py-spy: sampling costs the sampled process CPU time of its own (every thread,
    even an idle one, is interrupted), which would be charged to the layers."""
    variant, workload = PROFILED
    seconds = round(plan.profile_seconds)
    threads_before = thread_cpu_seconds(server.pid)
    plain = load(variant, workload, seconds=seconds)
    threads_after = thread_cpu_seconds(server.pid)
    # Threads that ended meanwhile are left out; a server's threads live as long as it does.
    thread_us = {
        tid: plain.per_request_us(used - threads_before.get(tid, 0.0))
        for tid, used in threads_after.items()
    }
    output = workdir / "profile.txt"
    try:
        spy = record(
            server.pid, plan.profile_seconds, output, rate=plan.profile_rate, cpus=placement.load
        )
    except FileNotFoundError as exc:
        return ProfileRun(variant, workload, sample=plain, failed=str(exc))
    profiled = load(variant, workload, seconds=seconds)
    try:
        said, _ = spy.communicate(timeout=plan.profile_seconds + 60)
    except subprocess.TimeoutExpired:
        spy.kill()
        said, _ = spy.communicate()
    if spy.returncode != 0 or not output.exists():
        note = f"py-spy exited with {spy.returncode}: {said.strip()[-500:]}"
        if plan.smoke and cannot_trace(said):
            return ProfileRun(variant, workload, sample=plain, profiled=profiled, skipped=note)
        return ProfileRun(variant, workload, sample=plain, profiled=profiled, failed=note)
    stacks = output.read_text()
    found = summarize_profile(stacks, thread_us)
    return ProfileRun(variant, workload, stacks, found, plain, profiled)


def footprint(
    plan: Plan,
    memory_tokens: Path,
    another_replica: Callable[[str], Server],
    running: Server,
    placement: Placement,
) -> Footprint:
    """`plan.starts` starts of a SQLite replica on one data folder, each timed to /readyz;
    the last then serves `plan.memory_users` distinct users, once each, and its RSS is read.
    With no starts planned (smoke), the `running` replica's own start and memory instead."""
    ready = [running.ready_seconds]
    replica = running
    if plan.starts:
        ready = []
    for start_no in range(plan.starts):
        if replica is not running:
            replica.stop()
        replica = another_replica("replica")
        ready.append(replica.ready_seconds)
        say(f"  start {start_no + 1}: /readyz after {replica.ready_seconds:.2f} s")
    rss_ready = rss_bytes(replica.pid)
    served = 0
    deadline = time.monotonic() + 300
    while served < plan.memory_users and time.monotonic() < deadline:
        sample = run_wrk(
            replica.url,
            path_of("count1"),
            memory_tokens,
            seconds=1 if plan.smoke else 2,
            connections=plan.connections,
            first=served,
            cpus=placement.load,
        )
        if sample.non_2xx or sample.socket_errors:
            raise RuntimeError(f"the memory replica refused or failed requests: {sample}")
        served += sample.requests
    rss_served = rss_bytes(replica.pid)
    say(
        f"  RSS {rss_ready / 2**20:.0f} MiB when ready, {rss_served / 2**20:.0f} MiB after "
        f"{min(served, plan.memory_users):,} distinct users ({served:,} requests)"
    )
    return Footprint(ready, rss_ready, rss_served, min(served, plan.memory_users), served)
