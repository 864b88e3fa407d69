"""What a run found: medians, ratios, the issues' targets, the machine; JSON-ready."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from typing import Any

from bench.load import Sample
from bench.machine import machine
from bench.plan import PROFILED, VARIANTS, WORKLOADS, path_of
from bench.profile import LAYERS
from bench.suite import Results
from bench.table import table

__all__ = ["machine", "summarize", "table"]

COLD = "TokenVerifier, cold (cache off)"
RAW_VERIFY = "RSA-2048 verify (cryptography)"


def _median(samples: list[Sample], value: Callable[[Sample], float]) -> float:
    return statistics.median(value(s) for s in samples)


def _expected_refusals(workload: str, variant: str) -> float:
    if variant in ("bare", "ceiling"):
        return 0.0  # they never look at the token
    return {"mixed": 0.1, "invalid": 1.0, "fresh": 1.0}.get(workload, 0.0)


def _cpu_us(samples: list[Sample], seconds: Callable[[Sample], float]) -> float:
    """Median over the runs of the CPU time per request, in microseconds."""
    return statistics.median(s.per_request_us(seconds(s)) for s in samples)


def summarize(results: Results, started: str) -> dict[str, Any]:
    """Everything worth keeping from `results`, JSON-ready, ratios and targets included."""
    plan = results.plan
    checks: list[str] = []
    throughput = []
    rps: dict[tuple[str, str], float] = {}
    cpu_us: dict[tuple[str, str], float] = {}
    for (variant, workload), samples in results.throughput.items():
        rps[variant, workload] = _median(samples, lambda s: s.rps)
        cpu_us[variant, workload] = _cpu_us(samples, lambda s: s.cpu_s)
        refused = sum(s.non_2xx for s in samples) / max(1, sum(s.requests for s in samples))
        expected = _expected_refusals(workload, variant)
        if abs(refused - expected) > 0.03 or any(s.socket_errors for s in samples):
            checks.append(
                f"{variant}/{workload}: {refused:.1%} refused (expected {expected:.0%}), "
                f"{sum(s.socket_errors for s in samples)} socket errors"
            )
        throughput.append(
            {
                "variant": variant,
                "workload": workload,
                "path": path_of(workload),
                "rps": rps[variant, workload],
                "rps_runs": [round(s.rps, 1) for s in samples],
                "refused_share": refused,
                "p50_ms": _median(samples, lambda s: s.p50_ms),
                "p99_ms": _median(samples, lambda s: s.p99_ms),
                "cpu_us_per_request": cpu_us[variant, workload],
                "main_thread_cpu_us_per_request": _cpu_us(samples, lambda s: s.main_cpu_s),
                "redis_server_cpu_us_per_request": _cpu_us(samples, lambda s: s.redis_cpu_s),
                "cpu_us_runs": [round(s.per_request_us(s.cpu_s), 1) for s in samples],
            }
        )
    latency = []
    for variant, samples in results.latency.items():
        if any(s.non_2xx or s.socket_errors for s in samples):
            checks.append(f"{variant} at a fixed rate: errors in the answers")
        latency.append(
            {
                "variant": variant,
                "rps": _median(samples, lambda s: s.rps),
                "p50_ms": _median(samples, lambda s: s.p50_ms),
                "p99_ms": _median(samples, lambda s: s.p99_ms),
                "runs": [dataclasses.asdict(s) for s in samples],
            }
        )
    half_load = _half_load(results, checks)
    profile = _profile(results, cpu_us, checks)
    footprint = _footprint(results)
    micro = {m.name: m.us for m in results.micro}

    def ratio(top: tuple[str, str], bottom: tuple[str, str]) -> float:
        return rps[top] / rps[bottom] if rps.get(bottom) and top in rps else 0.0

    many, one = "many", "count1"
    ratios = {
        # Issue 18: count=1, 1,000 users.
        "sqlite / bare (count=1)": ratio(("sqlite", one), ("bare", one)),
        "redis / bare (count=1)": ratio(("redis", one), ("bare", one)),
        "sqlite / naive (count=1)": ratio(("sqlite", one), ("naive", one)),
        "redis / naive (count=1)": ratio(("redis", one), ("naive", one)),
        "ceiling / bare (count=1: the stack without auth)": ratio(("ceiling", one), ("bare", one)),
        "sqlite / ceiling (count=1: auth and quota)": ratio(("sqlite", one), ("ceiling", one)),
        "naive / bare (count=1: what jwt.decode costs)": ratio(("naive", one), ("bare", one)),
        # Issue 9: count=10.
        "sqlite / ceiling": ratio(("sqlite", many), ("ceiling", many)),
        "redis / ceiling": ratio(("redis", many), ("ceiling", many)),
        "sqlite / naive": ratio(("sqlite", many), ("naive", many)),
        "redis / naive": ratio(("redis", many), ("naive", many)),
        "ceiling / naive (the most any auth could give)": ratio(("ceiling", many), ("naive", many)),
        "sqlite, 10% invalid / valid": ratio(("sqlite", "mixed"), ("sqlite", many)),
        # Cost is time per request: an invalid one costs valid-rps / invalid-rps of a valid one.
        "invalid token cost / valid request cost": ratio(("sqlite", many), ("sqlite", "invalid")),
        "never-seen invalid token cost / valid request cost": ratio(
            ("sqlite", many), ("sqlite", "fresh")
        ),
        "cold verify / raw RSA verify": micro[COLD] / micro[RAW_VERIFY],
        "first-sight verify / raw RSA verify": (
            micro["TokenVerifier, first sight (cache on)"] / micro[RAW_VERIFY]
        ),
        "jwt.decode / raw RSA verify": micro["jwt.decode RS256 (PyJWT, key object)"]
        / micro[RAW_VERIFY],
        "jwt.encode as the booth / raw RSA sign": micro["jwt.encode RS256, as the booth signs"]
        / micro["RSA-2048 sign (cryptography)"],
    }
    users = footprint["users"] if footprint else plan.memory_users
    # (issue, target, value, comparison, goal, unit)
    targets: list[tuple[int, str, float | None, str, float, str]] = [
        (18, "Lanyard (SQLite) >= 0.6 x bare, count=1", ratios["sqlite / bare (count=1)"],
         ">=", 0.6, "x"),
        (18, "Lanyard (SQLite) >= 2.0 x naive, count=1", ratios["sqlite / naive (count=1)"],
         ">=", 2.0, "x"),
        (18, "Lanyard (Redis) >= 0.55 x bare, count=1", ratios["redis / bare (count=1)"],
         ">=", 0.55, "x"),
        (18, "p99 at half of Lanyard's capacity <= 5 ms",
         half_load["p99_ms"] if half_load else None, "<=", 5.0, "ms"),
        (18, f"RSS of a replica after {users:,} users <= 200 MiB",
         footprint["rss_served_mib"] if footprint else None, "<=", 200.0, "MiB"),
        (18, "/readyz <= 3 s after the process starts",
         footprint["ready_seconds"] if footprint else None, "<=", 3.0, "s"),
        (9, "Lanyard, SQLite quotas >= 0.75 x ceiling", ratios["sqlite / ceiling"],
         ">=", 0.75, "x"),
        (9, "Lanyard, Redis quotas >= 0.70 x ceiling", ratios["redis / ceiling"], ">=", 0.70, "x"),
        (9, "Lanyard (SQLite) >= 2 x naive", ratios["sqlite / naive"], ">=", 2.0, "x"),
        (9, "Lanyard (Redis) >= 2 x naive", ratios["redis / naive"], ">=", 2.0, "x"),
        (9, "cold verification <= 1.5 x raw verify", ratios["cold verify / raw RSA verify"],
         "<=", 1.5, "x"),
        # Judged on tokens never seen before: each pays for its RSA check.
        (9, "an invalid token costs <= a valid request",
         ratios["never-seen invalid token cost / valid request cost"], "<=", 1.0, "x"),
    ]  # fmt: skip
    return {
        "started": started,
        "smoke": plan.smoke,
        "seconds": round(results.seconds, 1),
        "machine": machine(),
        "method": {
            **dataclasses.asdict(plan),
            "wrk_threads": 1,
            "server_cpus": sorted(results.placement.servers or []),
            "load_cpus": sorted(results.placement.load or []),
            "variants": VARIANTS,
            "workloads": WORKLOADS,
        },
        "throughput": throughput,
        "latency": latency,
        "half_load": half_load,
        "profile": profile,
        "footprint": footprint,
        "micro": [dataclasses.asdict(m) for m in results.micro],
        "revocations": dataclasses.asdict(results.revocations) if results.revocations else None,
        "ratios": ratios,
        "targets": [
            {
                "issue": issue,
                "target": name,
                "value": value,
                "unit": unit,
                "goal": goal,
                "met": None if value is None else (value >= goal if op == ">=" else value <= goal),
            }
            for issue, name, value, op, goal, unit in targets
        ],
        "checks": checks,
    }


def _half_load(results: Results, checks: list[str]) -> dict[str, Any] | None:
    """The runs at half capacity: offered and achieved rates, p50 and p99 (medians)."""
    runs = results.half_load
    if not runs:
        return None
    if any(h.sample.non_2xx or h.sample.socket_errors for h in runs):
        checks.append("half-capacity runs: errors in the answers")
    return {
        "variant": "sqlite",
        "workload": "count1",
        "capacity_rps": statistics.median(h.capacity for h in runs),
        "offered_rps": statistics.median(h.offered for h in runs),
        "rps": statistics.median(h.sample.rps for h in runs),
        "p50_ms": statistics.median(h.sample.p50_ms for h in runs),
        "p99_ms": statistics.median(h.sample.p99_ms for h in runs),
        "runs": [
            {"capacity_rps": h.capacity, "connections": h.connections}
            | dataclasses.asdict(h.sample)
            for h in runs
        ],
    }


def _profile(
    results: Results, cpu_us: dict[tuple[str, str], float], checks: list[str]
) -> dict[str, Any] | None:
    """The profile by layer: samples, share of the CPU, microseconds per request (each
    thread's CPU time in the profiled run, divided as its samples are)."""
    run = results.profile
    if run is None:
        return None
    if run.failed:
        checks.append(f"profile: {run.failed}")
    found: dict[str, Any] = {
        "variant": run.variant,
        "workload": run.workload,
        "skipped": run.skipped,
        "failed": run.failed,
        "cpu_us_per_request_measured": cpu_us.get(PROFILED, 0.0),
        "cpu_run": dataclasses.asdict(run.sample) if run.sample else None,
        "profiled_run": dataclasses.asdict(run.profiled) if run.profiled else None,
    }
    if run.profile is not None:
        found |= {
            "samples": run.profile.samples,
            "waiting_samples": run.profile.waiting,
            "threads": run.profile.threads,
            "cpu_us_per_request": sum(run.profile.us_per_request.values()),
            "functions": [
                {
                    "layer": layer,
                    "frame": frame,
                    "samples": count,
                    "share": count / max(1, run.profile.samples - run.profile.waiting),
                }
                for layer, frame, count in run.profile.functions[:40]
            ],
            "layers": [
                {
                    "layer": layer,
                    "samples": run.profile.layers[layer],
                    "share": run.profile.share(layer),
                    "us_per_request": run.profile.us_per_request.get(layer, 0.0),
                }
                for layer in LAYERS
            ],
        }
    return found


def _footprint(results: Results) -> dict[str, Any] | None:
    found = results.footprint
    if found is None:
        return None
    return {
        "ready_seconds": statistics.median(found.ready_seconds),
        "ready_seconds_runs": found.ready_seconds,
        "rss_ready_mib": found.rss_ready / 2**20,
        "rss_served_mib": found.rss_served / 2**20,
        "users": found.users,
        "requests": found.requests,
    }
