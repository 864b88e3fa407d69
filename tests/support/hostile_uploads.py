"""Issue 15's hostile-image attack against a real vending process, measured.

Eight uploads at once of one image (by default the 311 KB, 6324 x 6324 16-bit RGBA PNG),
`--rounds` times in a row, while `/healthz` is asked in a loop: the vending process's
resident memory (sampled every 5 ms from /proc: its peak since the attack began) and the
`/healthz` latencies.

    python -m tests.support.hostile_uploads [--side 6324] [--uploads 8] [--rounds 1]
        [--set NAME=value]

prints the figures as JSON (docs/security/images.md quotes them). Run it from a checkout to
measure that checkout's code: it starts that checkout's services.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from tests.support.images import hostile_png
from tests.support.services import login, running_pair

__all__ = ["Attack", "attack", "rss_mib"]

MIB = 1024 * 1024


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def rss_mib(pid: int) -> float:
    return _status(pid, "VmRSS") / MIB


@dataclass(frozen=True)
class Attack:
    """What one attack did: upload statuses, memory before and at its peak, latencies."""

    image_bytes: int
    statuses: list[int]
    rss_before_mib: float
    rss_peak_mib: float
    rss_after_mib: float
    healthz_count: int
    healthz_p50_ms: float
    healthz_p99_ms: float
    healthz_max_ms: float
    seconds: float

    @property
    def growth_mib(self) -> float:
        return self.rss_peak_mib - self.rss_before_mib


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class _Sampler(threading.Thread):
    """The highest VmRSS seen, every 5 ms, until stopped (VmHWM covers the startup too)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_mib(pid)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, rss_mib(self.pid))


async def _probe_health(
    url: str, ready: asyncio.Event, stop: asyncio.Event, latencies: list[float]
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        await client.get(f"{url}/healthz")  # connected before the attack: only answers timed
        ready.set()
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get(f"{url}/healthz")
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200


async def _attack(
    url: str, token: str, pid: int, image: bytes, uploads: int, rounds: int
) -> Attack:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=120, headers=headers) as client:

        async def one() -> int:
            files = {"image": ("cat.png", image, "image/png")}
            response = await client.post(f"{url}/cats", data={"title": "bomb"}, files=files)
            return response.status_code

        await one()  # warm: every code path of an upload has run once before measuring
        rss_before = rss_mib(pid)
        sampler = _Sampler(pid)
        sampler.start()
        ready, stop, latencies = asyncio.Event(), asyncio.Event(), list[float]()
        health = asyncio.create_task(_probe_health(url, ready, stop, latencies))
        await ready.wait()
        started = time.perf_counter()
        statuses: list[int] = []
        for _ in range(rounds):
            statuses += await asyncio.gather(*(one() for _ in range(uploads)))
        seconds = time.perf_counter() - started
        stop.set()
        await health
        sampler.done.set()
        sampler.join()
    return Attack(
        image_bytes=len(image),
        statuses=statuses,
        rss_before_mib=round(rss_before, 1),
        rss_peak_mib=round(sampler.peak, 1),
        rss_after_mib=round(rss_mib(pid), 1),
        healthz_count=len(latencies),
        healthz_p50_ms=round(_percentile(latencies, 0.50), 1),
        healthz_p99_ms=round(_percentile(latencies, 0.99), 1),
        healthz_max_ms=round(max(latencies), 1),
        seconds=round(seconds, 2),
    )


def attack(
    workdir: Path,
    *,
    side: int = 6324,
    uploads: int = 8,
    rounds: int = 1,
    env: dict[str, str] | None = None,
) -> Attack:
    """Start auth and vending (with `env` added to its settings) in `workdir`, then upload
    `uploads` bombs of `side` at once, `rounds` times in a row."""
    image = hostile_png(side)
    with running_pair(workdir, vending_env=env) as stack:
        token = login(stack.auth.url, "mallory")
        pid = stack.vending.process.pid
        return asyncio.run(_attack(stack.vending.url, token, pid, image, uploads, rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=6324)
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="bursts of --uploads in a row")
    parser.add_argument("--set", action="append", default=[], help="NAME=value for vending")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.set)
    with tempfile.TemporaryDirectory(prefix="lanyard-hostile-") as workdir:
        result = attack(
            Path(workdir), side=args.side, uploads=args.uploads, rounds=args.rounds, env=env
        )
    print(json.dumps({**asdict(result), "rss_growth_mib": round(result.growth_mib, 1)}))


if __name__ == "__main__":
    main()
