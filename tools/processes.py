"""Child processes held by their pid: start one, wait until it is ready, stop it.

One copy for everything that starts Lanyard's processes or the servers around them:
`make run` (tools/run_local.py), the benchmark (bench/) and the tests (tests/support/).
Nothing in the services imports it, and no image copies it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ROOT",
    "Process",
    "ProcessExited",
    "answers",
    "distinct_ports",
    "free_port",
    "port_open",
    "start",
    "wait_until",
]

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.05


class ProcessExited(RuntimeError):
    """A process ended while something waited for it to become ready."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def distinct_ports(count: int) -> list[int]:
    """`count` free ports, no two alike (one free port can be offered twice before use)."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on `host`:`port`."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def answers(url: str) -> bool:
    """Whether a GET of `url` answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until(condition: Callable[[], bool], deadline: float, what: str) -> None:
    """Poll `condition` until it holds; `TimeoutError` naming `what` after `deadline` s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(POLL)
    raise TimeoutError(f"timed out after {deadline:g} s waiting for {what}")


@dataclass
class Process:
    """One child process, known by its pid; its output goes to `log` (or the terminal)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path | None = None
    argv: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cwd: Path = ROOT

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self, chars: int = 3000) -> str:
        """The end of what the process wrote, when it writes to a log file."""
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, ready: Callable[[], bool], deadline: float) -> None:
        """Wait until `ready()`; `ProcessExited` at once if the process ends first."""

        def check() -> bool:
            if not self.alive():
                raise ProcessExited(
                    f"{self.name} exited with status {self.popen.returncode}:\n{self.output()}"
                )
            return ready()

        wait_until(check, deadline, f"{self.name} to be ready")

    def send(self, signum: int) -> None:
        if self.alive():
            self.popen.send_signal(signum)

    def restart(self) -> Process:
        """The same command started again (same environment, same log), once this one ended."""
        self.stop()
        return start(self.name, self.argv, env=dict(self.env), cwd=self.cwd, log=self.log)

    def stop(self, timeout: float = 15.0, *, signum: int = signal.SIGTERM) -> None:
        """`signum` (SIGTERM), then SIGKILL if it has not ended within `timeout` s."""
        self.send(signum)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def start(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    log: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
    user: str | None = None,
) -> Process:
    """Start `argv` with the current environment plus `env`; output to `log` if given."""
    out = log.open("ab") if log is not None else None
    try:
        popen = subprocess.Popen(  # noqa: S603 - argv is built by our own callers
            list(argv),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            preexec_fn=preexec_fn,
            user=user,
        )
    finally:
        if out is not None:
            out.close()
    return Process(name, popen, log, tuple(argv), tuple((env or {}).items()), cwd)
