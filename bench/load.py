"""Load from wrk: one run of `bench/wrk/vend.lua` against one server, read back as a `Sample`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

from bench.processes import pinned

__all__ = ["LUA", "Sample", "run_wrk"]

LUA = Path(__file__).resolve().parent / "wrk" / "vend.lua"
_MARK = "WRK_JSON "


@dataclass(frozen=True, slots=True)
class Sample:
    """What one wrk run measured."""

    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    cpu_s: float = 0.0
    """CPU seconds the server process used during the run (all its threads)."""
    main_cpu_s: float = 0.0
    """... of which its main thread (the event loop)."""
    redis_cpu_s: float = 0.0
    """CPU seconds redis-server used during the run (Redis variant only)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def per_request_us(self, cpu_s: float) -> float:
        """`cpu_s` spread over the requests of the run, in microseconds."""
        return 1e6 * cpu_s / self.requests if self.requests else 0.0


def run_wrk(
    url: str,
    path: str,
    tokens: Path,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    pause_ms: int = 0,
    first: int = 0,
    cpus: Set[int] | None = None,
) -> Sample:
    """Load `url + path` for `seconds` with `connections` keep-alive connections, the
    tokens of `tokens` round robin from the `first`."""
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(tokens),
        path,
        str(pause_ms),
        str(first),
    ]
    done = subprocess.run(  # noqa: S603 - fixed argv built here
        argv, capture_output=True, text=True, check=True, preexec_fn=pinned(cpus)
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(_MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix(_MARK))
    return Sample(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        non_2xx=int(data["non_2xx"]),
        socket_errors=sum(
            int(data[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
