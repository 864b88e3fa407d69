"""Measure the auth booth under issue 15's abuse, against a real `auth_service` process.

`python -m tools.measure_auth_abuse [--code DIR] [--env NAME=VALUE ...]` starts the booth
from DIR (default: this checkout; point it at another checkout for "before" figures) on a
free port with a fresh database and key, and prints two measurements as JSON:

- `device`: the name `victim` and the one client address (127.0.0.1, a shared NAT) are
  locked by 60 wrong passwords; while 240 more arrive (10 at a time), the victim logs in 30
  times presenting the device token of an earlier login, then 30 times without it. Counts
  the answers of each.
- `flood`: 200 registrations at once from one address while the victim logs in again and
  again until the flood is answered; login latency (p50, p99, max) idle and during the
  flood, and how the registrations were answered.

Figures are for docs/security/auth.md; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tools.processes import ROOT, Process, answers, free_port, start

PASSWORD = "correct horse battery"  # noqa: S105 - a test account
WRONG = "not the password"


def serve(code: Path, workdir: Path, extra: dict[str, str]) -> tuple[Process, str]:
    """The booth from `code`, ready, on a free port; its URL."""
    kek = workdir / "keys" / "kek"
    argv = [sys.executable, "-m", "auth_service"]
    keys = start("keys", [*argv, "keys", "ensure", "--kek", str(kek)], cwd=code, log=workdir / "k")
    if keys.popen.wait():
        raise SystemExit("keys ensure failed")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "ISSUER": url,
        "KEYS_DIR": str(workdir / "keys"),
        "KEY_ENCRYPTION_KEY_FILE": str(kek),
        "DATA_DIR": str(workdir / "data"),
        "METRICS_PORT": str(free_port()),
        **extra,
    }
    serve_argv = [*argv, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = start("auth", serve_argv, env=env, cwd=code, log=workdir / "auth.log")
    process.wait_ready(functools.partial(answers, f"{url}/readyz"), 60)
    return process, url


def latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def log_in(client: httpx.AsyncClient, password: str, device: str | None) -> int:
    body = {"username": "victim", "password": password}
    if device:
        body["device_token"] = device
    return (await client.post("/login", json=body)).status_code


async def device(client: httpx.AsyncClient) -> dict[str, Any]:
    await client.post("/register", json={"username": "victim", "password": PASSWORD})
    first = await client.post("/login", json={"username": "victim", "password": PASSWORD})
    token = first.json().get("device_token")
    for _ in range(60):
        await log_in(client, WRONG, None)
    attack: Counter[int] = Counter()

    async def attacker() -> None:
        for _ in range(24):
            attack[await log_in(client, WRONG, None)] += 1

    async def victim() -> tuple[Counter[int], Counter[int]]:
        known = Counter([await log_in(client, PASSWORD, token) for _ in range(30)])
        unknown = Counter([await log_in(client, PASSWORD, None) for _ in range(30)])
        return known, unknown

    attackers = asyncio.gather(*(attacker() for _ in range(10)))
    (known, unknown), _ = await asyncio.gather(victim(), attackers)
    return {
        "device_token_issued": token is not None,
        "victim_known_device": dict(known),
        "victim_unknown_device": dict(unknown),
        "attack_answers": dict(attack),
    }


def _flood(url: str, count: int) -> dict[int, int]:
    """`count` registrations at once, from a process of its own (so the flood's client does
    not slow the victim's); how they were answered."""

    async def run() -> dict[int, int]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
            responses = await asyncio.gather(
                *(
                    client.post("/register", json={"username": f"f{i:04d}", "password": PASSWORD})
                    for i in range(count)
                )
            )
        return dict(Counter(r.status_code for r in responses))

    return asyncio.run(run())


async def flood(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    await client.post("/register", json={"username": "flooded", "password": PASSWORD})
    body = {"username": "flooded", "password": PASSWORD}

    async def timed_login() -> float:
        started = time.perf_counter()
        response = await client.post("/login", json=body)
        assert response.status_code == 200, response.text
        return time.perf_counter() - started

    idle = [await timed_login() for _ in range(30)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1) as pool:
        await loop.run_in_executor(pool, int, "0")  # the worker process is up before timing
        started = time.perf_counter()
        flooding = loop.run_in_executor(pool, _flood, url, 200)
        during: list[float] = []
        while not flooding.done():
            during.append(await timed_login())
        answered = await flooding
        seconds = time.perf_counter() - started
    return {
        "login_idle": latency(idle),
        "login_during_flood": latency(during),
        "login_during_flood_ms": [round(x * 1000) for x in during],
        "registrations": answered,
        "flood_seconds": round(seconds, 2),
    }


async def measure(url: str) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        return {"device": await device(client), "flood": await flood(client, url)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the booth")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory() as scratch:
        process, url = serve(args.code.resolve(), Path(scratch), extra)
        try:
            result = asyncio.run(measure(url))
        finally:
            process.stop()
    print(json.dumps({"code": str(args.code), "env": extra, **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
