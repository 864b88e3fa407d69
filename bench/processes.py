"""The servers a benchmark run starts: uvicorn processes and a private redis-server.

Each is a `tools.processes.Process` (held by its pid, output to a log in the run's
folder), pinned to the CPUs the run gives it and stopped when the run ends.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import redis_argv
from tools.processes import ROOT, Process, answers, free_port, port_open, start

__all__ = ["Server", "pinned", "start_redis", "start_uvicorn", "start_vending"]

READY_DEADLINE = 90.0


@dataclass
class Server:
    """One child process serving on `port`."""

    name: str
    port: int
    process: Process
    ready_seconds: float = 0.0
    """From just before the process was started to its first ready answer (polled every
    50 ms)."""

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.stop()


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
    ready: Callable[[int], bool],
    *,
    port: int,
    ahead_of_load: bool = False,
    cwd: Path = ROOT,
) -> Server:
    began = time.monotonic()
    process = start(
        name,
        argv,
        env=env,
        cwd=cwd,
        log=workdir / f"{name}.log",
        preexec_fn=pinned(cpus, ahead_of_load=ahead_of_load),
    )
    server = Server(name, port, process)
    try:
        process.wait_ready(lambda: ready(port), READY_DEADLINE)
    except BaseException:
        server.stop()
        raise
    server.ready_seconds = time.monotonic() - began
    return server


def _answering(path: str) -> Callable[[int], bool]:
    """Ready once `path` on the server's port answers."""
    return lambda port: answers(f"http://127.0.0.1:{port}{path}")


def start_vending(
    name: str,
    env: Mapping[str, str],
    workdir: Path,
    cpus: Set[int] | None = None,
    *,
    cwd: Path = ROOT,
) -> Server:
    """The real vending service, exactly as `python -m vending_service serve` runs it
    (from the source tree `cwd`: this checkout unless another is named)."""
    port = free_port()
    argv = [sys.executable, "-m", "vending_service", "serve", "--port", str(port)]
    # Served as in production: with its management port (a free one) listening.
    env = {"PUBLIC_URL": f"http://127.0.0.1:{port}", "METRICS_PORT": str(free_port()), **env}
    return _spawn(name, argv, env, workdir, cpus, _answering("/readyz"), port=port, cwd=cwd)


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
    env = {"PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
    return _spawn(name, argv, env, workdir, cpus, _answering(ready_path), port=port)


def start_redis(workdir: Path, cpus: Set[int] | None = None) -> Server:
    """A private redis-server on a free port: no persistence, gone when stopped."""
    port = free_port()
    return _spawn(
        "redis-server",
        redis_argv(port, workdir),
        {},
        workdir,
        cpus,
        port_open,
        port=port,
        ahead_of_load=True,
    )
