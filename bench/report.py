"""What a run found: medians, ratios, the issue's targets, the machine; as JSON and a table."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
import sqlite3
import statistics
import subprocess
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.backends.openssl import backend as openssl

from bench.load import Sample
from bench.suite import VARIANTS, WORKLOADS, Results

__all__ = ["machine", "summarize", "table"]

LIBRARIES = (
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "PyJWT",
    "cryptography",
    "SQLAlchemy",
    "aiosqlite",
    "redis",
    "prometheus-client",
    "pillow",
)
COLD = "TokenVerifier, cold (cache off)"
RAW_VERIFY = "RSA-2048 verify (cryptography)"


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError:
        return "not found"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else ""
    )


def machine() -> dict[str, Any]:
    """The machine and software a run measured."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "openssl": openssl.openssl_version_text(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": _first_line(["wrk", "-v"]),
        "redis_server": _first_line(["redis-server", "--version"]),
        "libraries": {name: importlib.metadata.version(name) for name in LIBRARIES},
    }


def _median(samples: list[Sample], value: Callable[[Sample], float]) -> float:
    return statistics.median(value(s) for s in samples)


def _expected_refusals(workload: str, variant: str) -> float:
    if variant in ("framework", "ceiling"):
        return 0.0  # they never look at the token
    return {"mixed": 0.1, "invalid": 1.0, "fresh": 1.0}.get(workload, 0.0)


def summarize(results: Results, started: str) -> dict[str, Any]:
    """Everything worth keeping from `results`, JSON-ready, ratios and targets included."""
    plan = results.plan
    checks: list[str] = []
    throughput = []
    rps: dict[tuple[str, str], float] = {}
    for (variant, workload), samples in results.throughput.items():
        rps[variant, workload] = _median(samples, lambda s: s.rps)
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
                "rps": rps[variant, workload],
                "rps_runs": [round(s.rps, 1) for s in samples],
                "refused_share": refused,
                "p50_ms": _median(samples, lambda s: s.p50_ms),
                "p99_ms": _median(samples, lambda s: s.p99_ms),
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
    micro = {m.name: m.us for m in results.micro}

    def ratio(top: tuple[str, str], bottom: tuple[str, str]) -> float:
        return rps[top] / rps[bottom] if rps.get(bottom) else 0.0

    many = "many"
    ratios = {
        "sqlite / ceiling": ratio(("sqlite", many), ("ceiling", many)),
        "redis / ceiling": ratio(("redis", many), ("ceiling", many)),
        "sqlite / naive": ratio(("sqlite", many), ("naive", many)),
        "redis / naive": ratio(("redis", many), ("naive", many)),
        "ceiling / naive (the most any auth could give)": ratio(("ceiling", many), ("naive", many)),
        "naive / framework (what jwt.decode costs)": ratio(("naive", many), ("framework", many)),
        "ceiling / framework": ratio(("ceiling", many), ("framework", many)),
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
    targets = [
        ("Lanyard, SQLite quotas >= 0.75 x ceiling", ratios["sqlite / ceiling"], ">=", 0.75),
        ("Lanyard, Redis quotas >= 0.70 x ceiling", ratios["redis / ceiling"], ">=", 0.70),
        ("Lanyard (SQLite) >= 2 x naive", ratios["sqlite / naive"], ">=", 2.0),
        ("Lanyard (Redis) >= 2 x naive", ratios["redis / naive"], ">=", 2.0),
        (
            "cold verification <= 1.5 x raw verify",
            ratios["cold verify / raw RSA verify"],
            "<=",
            1.5,
        ),
        # Judged on tokens never seen before: each pays for its RSA check.
        (
            "an invalid token costs <= a valid request",
            ratios["never-seen invalid token cost / valid request cost"],
            "<=",
            1.0,
        ),
    ]
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
            "variants": {name: text for name, (text, _) in VARIANTS.items()},
            "workloads": WORKLOADS,
        },
        "throughput": throughput,
        "latency": latency,
        "micro": [dataclasses.asdict(m) for m in results.micro],
        "revocations": dataclasses.asdict(results.revocations) if results.revocations else None,
        "ratios": ratios,
        "targets": [
            {
                "target": name,
                "value": value,
                "met": value >= goal if op == ">=" else value <= goal,
            }
            for name, value, op, goal in targets
        ],
        "checks": checks,
    }


def table(summary: dict[str, Any]) -> str:
    """The summary as text: throughput, latency, micro timings, ratios and targets."""
    method = summary["method"]
    users = f"{method['users']:,} users"
    lines = [
        f"Throughput: wrk, {method['connections']} connections, {method['seconds']:g} s x "
        f"{method['repetitions']}, median requests/s",
        f"  {'variant':10}{'workload':34}{'req/s':>9}  {'x ceiling':>9}  {'refused':>7}"
        f"  {'runs':<}",
    ]
    ceiling = next((t["rps"] for t in summary["throughput"] if t["variant"] == "ceiling"), 0.0)
    for row in sorted(
        summary["throughput"],
        key=lambda t: (list(VARIANTS).index(t["variant"]), list(WORKLOADS).index(t["workload"])),
    ):
        workload = WORKLOADS[row["workload"]].replace("distinct users", users)
        lines.append(
            f"  {row['variant']:10}{workload[:33]:34}{row['rps']:9,.0f}"
            f"  {row['rps'] / ceiling if ceiling else 0:9.2f}  {row['refused_share']:7.1%}  "
            + " / ".join(f"{r:,.0f}" for r in row["rps_runs"])
        )
    lines += [
        "",
        f"Latency at a fixed ~{method['rate']:,} requests/s ({method['latency_connections']} "
        f"connections, {users}), medians",
        f"  {'variant':10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}",
    ]
    for row in summary["latency"]:
        lines.append(
            f"  {row['variant']:10}{row['rps']:9,.0f}{row['p50_ms']:9.2f}{row['p99_ms']:9.2f}"
        )
    lines += ["", "Micro: microseconds per operation (median of the batches)"]
    for row in summary["micro"]:
        lines.append(f"  {row['name']:52}{row['us']:9.1f}")
    load = summary.get("revocations")
    if load:
        lines += [
            "",
            f"Revocation list: {load['sessions']:,} revoked sessions "
            f"({load['bytes'] / 2**20:.1f} MiB) fetched, verified and loaded in "
            f"{load['ms']:.0f} ms (median), peak {load['peak_mib']:.1f} MiB allocated",
        ]
    lines += ["", "Ratios (same run)"]
    for name, value in summary["ratios"].items():
        lines.append(f"  {name:52}{value:9.2f}")
    lines += ["", "Targets"]
    for row in summary["targets"]:
        lines.append(
            f"  {row['target']:52}{row['value']:9.2f}  {'met' if row['met'] else 'NOT met'}"
        )
    if summary["checks"]:
        lines += ["", "Checks that failed (the figures above are suspect):"]
        lines += [f"  {problem}" for problem in summary["checks"]]
    return "\n".join(lines)
