"""A run's summary (`bench.report.summarize`) as the text `make bench` prints."""

from __future__ import annotations

from typing import Any

from bench.plan import VARIANTS, WORKLOADS

__all__ = ["table"]


def _profile_lines(profile: dict[str, Any] | None) -> list[str]:
    if not profile:
        return []
    head = f"Profile of {profile['variant']}, {WORKLOADS[profile['workload']]} (py-spy)"
    if profile["skipped"] or profile["failed"]:
        return ["", f"{head}: none ({profile['skipped'] or profile['failed']})"]
    lines = [
        "",
        f"{head}: {profile['samples']:,} samples ({profile['waiting_samples']:,} waiting, left "
        f"out); each thread's CPU per request in a run without py-spy "
        f"({profile['cpu_us_per_request']:.0f} us) divided as its samples are:",
    ]
    for row in sorted(profile["layers"], key=lambda r: -r["us_per_request"]):
        lines.append(f"  {row['layer']:52}{row['share']:7.1%}{row['us_per_request']:8.0f} us")
    lines.append("  the frames that decided the most samples (share of the working samples):")
    for row in profile.get("functions", [])[:12]:
        lines.append(f"    {row['frame'][:78]:80}{row['share']:6.1%}  {row['layer'][:24]}")
    return lines


def _order(row: dict[str, Any]) -> tuple[int, int]:
    return list(WORKLOADS).index(row["workload"]) > 0, list(VARIANTS).index(row["variant"])


def table(summary: dict[str, Any]) -> str:
    """The summary as text: throughput and CPU, latency, profile, footprint, micro timings,
    ratios and targets."""
    method = summary["method"]
    users = f"{method['users']:,} users"
    lines = [
        f"Throughput: wrk, {method['connections']} connections, {method['seconds']:g} s x "
        f"{method['repetitions']}, median requests/s; CPU: the server process's own time"
        " (all threads; main thread) per request, median",
        f"  {'variant':9}{'workload':33}{'req/s':>8}{'x bare':>8}{'x ceil':>8}"
        f"{'CPU us':>8}{'main us':>8}{'refused':>8}  {'runs':<}",
    ]
    base = {(t["variant"], t["path"]): t["rps"] for t in summary["throughput"]}
    for row in sorted(summary["throughput"], key=_order):
        workload = WORKLOADS[row["workload"]].replace("distinct users", users)
        bare = base.get(("bare", row["path"]))
        ceiling = base.get(("ceiling", row["path"]))
        redis = row["redis_server_cpu_us_per_request"]
        lines.append(
            f"  {row['variant']:9}{workload[:32]:33}{row['rps']:8,.0f}"
            + (f"{row['rps'] / bare:8.2f}" if bare else f"{'':8}")
            + (f"{row['rps'] / ceiling:8.2f}" if ceiling else f"{'':8}")
            + f"{row['cpu_us_per_request']:8.0f}{row['main_thread_cpu_us_per_request']:8.0f}"
            + f"{row['refused_share']:8.1%}  "
            + " / ".join(f"{r:,.0f}" for r in row["rps_runs"])
            + (f"  (+ redis-server {redis:.0f} us)" if redis else "")
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
    half = summary.get("half_load")
    if half:
        lines += [
            "",
            f"Latency at half of Lanyard's (SQLite, count=1) capacity: capacity "
            f"{half['capacity_rps']:,.0f} req/s, offered ~{half['offered_rps']:,.0f}, achieved "
            f"{half['rps']:,.0f}: p50 {half['p50_ms']:.2f} ms, p99 {half['p99_ms']:.2f} ms",
        ]
    lines += _profile_lines(summary.get("profile"))
    footprint = summary.get("footprint")
    if footprint:
        lines += [
            "",
            f"Start-up: /readyz after {footprint['ready_seconds']:.2f} s (median; runs "
            + ", ".join(f"{s:.2f}" for s in footprint["ready_seconds_runs"])
            + " s, the first creates the database)",
            f"Memory: RSS {footprint['rss_ready_mib']:.0f} MiB when ready, "
            f"{footprint['rss_served_mib']:.0f} MiB after {footprint['users']:,} distinct users",
        ]
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
    lines += ["", "Targets (issue 18 beside issue 9)"]
    for row in summary["targets"]:
        value = "-" if row["value"] is None else f"{row['value']:.2f}"
        met = {True: "met", False: "NOT met", None: "not measured"}[row["met"]]
        lines.append(f"  #{row['issue']:<3}{row['target']:52}{value:>8} {row['unit']:4} {met}")
    if summary["checks"]:
        lines += ["", "Checks that failed (the figures above are suspect):"]
        lines += [f"  {problem}" for problem in summary["checks"]]
    return "\n".join(lines)
