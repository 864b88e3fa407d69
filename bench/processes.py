"""The servers a benchmark run starts: uvicorn processes and a private redis-server.

Each is a child process held by its pid, started in a temporary folder and stopped with
SIGTERM (then SIGKILL) when the run ends.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from shared.testing import free_port, port_open

__all__ = [
    "ROOT",
    "Server",
    "free_port",
    "pinned",
    "start_redis",
    "start_uvicorn",
    "start_vending",
]

ROOT = Path(__file__).resolve().parent.parent
READY_DEADLINE = 90.0


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Server:
    """One child process serving on `port`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, ready: Callable[[], bool]) -> None:
        end = time.monotonic() + READY_DEADLINE
        while time.monotonic() < end:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited early:\n{tail}")
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready within {READY_DEADLINE:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def pinned(cpus: Set[int] | None, *, ahead_of_load: bool = False) -> Callable[[], None] | None:
    """A `preexec_fn` that keeps a child (and every thread it starts) on `cpus`.

    `ahead_of_load`: the child shares those CPUs with wrk but is part of what is measured
    (redis-server), so it runs at a higher priority than wrk: when it has work it gets the
    CPU at once, as it would on a machine of its own. Needs root; skipped without.
    """
    if not cpus:
        return None

    def prepare() -> None:
        os.sched_setaffinity(0, cpus)
        if ahead_of_load:
            with contextlib.suppress(PermissionError):
                os.setpriority(os.PRIO_PROCESS, 0, -10)

    return prepare


def _spawn(
    name: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    workdir: Path,
    cpus: Set[int] | None,
    *,
    ahead_of_load: bool = False,
) -> Server:
    port = int(env["BENCH_PORT"])
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argv built here
            list(argv),
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=pinned(cpus, ahead_of_load=ahead_of_load),
        )
    return Server(name, port, process, log)


def start_vending(
    name: str, env: Mapping[str, str], workdir: Path, cpus: Set[int] | None = None
) -> Server:
    """The real vending service, exactly as `python -m vending_service serve` runs it."""
    port = free_port()
    argv = [sys.executable, "-m", "vending_service", "serve", "--port", str(port)]
    server = _spawn(name, argv, {**env, "BENCH_PORT": str(port)}, workdir, cpus)
    server.wait(lambda: _answers(f"{server.url}/readyz"))
    return server


def start_uvicorn(
    name: str,
    factory: str,
    env: Mapping[str, str],
    workdir: Path,
    ready_path: str,
    cpus: Set[int] | None = None,
) -> Server:
    """`factory` (module:function) in one uvicorn worker, configured like the services."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--no-server-header",
        "--no-proxy-headers",
        "--log-level",
        "warning",
    ]
    server = _spawn(name, argv, {**env, "BENCH_PORT": str(port)}, workdir, cpus)
    server.wait(lambda: _answers(f"{server.url}{ready_path}"))
    return server


def start_redis(workdir: Path, cpus: Set[int] | None = None) -> Server:
    """A private redis-server on a free port: no persistence, gone when stopped."""
    port = free_port()
    argv = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    server = _spawn(
        "redis-server", argv, {"BENCH_PORT": str(port)}, workdir, cpus, ahead_of_load=True
    )
    server.wait(lambda: port_open(port))
    return server
