"""Private redis-server and PostgreSQL instances for tests: real servers on free ports.

Each runs from a temporary directory as a child process we hold by pid; `stop()` and
`start()` let tests take a store away and bring it back on the same port.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tools.processes import Process, free_port, port_open, start

__all__ = ["PostgresServer", "RedisServer", "find_postgres_bin", "redis_argv", "running_postgres"]

DEADLINE = 30.0


def redis_argv(port: int, workdir: Path) -> list[str]:
    """A private redis-server on 127.0.0.1:`port`: no persistence, files in `workdir`."""
    return [
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


def _run(
    name: str,
    argv: Sequence[str],
    workdir: Path,
    ready: Callable[[], bool],
    user: str | None = None,
) -> Process:
    process = start(name, argv, log=workdir / f"{name}.log", user=user)
    process.wait_ready(ready, DEADLINE)
    return process


def find_postgres_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "postgres").exists():
            return candidate
    found = shutil.which("postgres")
    return Path(found).parent if found else None


@dataclass
class RedisServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = redis_argv(self.port, self.workdir)
        self.process = _run("redis-server", argv, self.workdir, lambda: port_open(self.port))

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        self.process = None


@dataclass
class PostgresServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: Process | None = None
    user: str | None = None

    def __post_init__(self) -> None:
        # PostgreSQL refuses to run as root: run it as the `postgres` system user then.
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            pytest.fail("PostgreSQL is not installed (Debian package postgresql)")
        self.bin = bin_dir
        self.data = self.workdir / "data"
        subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=self.user,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        argv = [
            str(self.bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.workdir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ]
        self.process = _run("postgres", argv, self.workdir, self._accepting, user=self.user)

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return result.returncode == 0

    def create_database(self, name: str) -> str:
        subprocess.run(
            [
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-q",
                "-c",
                f'CREATE DATABASE "{name}"',
            ],
            check=True,
            capture_output=True,
        )
        return self.url(name)

    def stop(self) -> None:
        # SIGINT is PostgreSQL's fast shutdown: it ends client sessions at once. SIGTERM
        # (smart shutdown) would wait for every pooled connection to close by itself.
        if self.process is not None:
            self.process.stop(signum=signal.SIGINT)
        self.process = None


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server started in a temporary folder, stopped (by pid) on leaving."""
    with tempfile.TemporaryDirectory(prefix="lanyard-pg-") as workdir:
        server = PostgresServer(Path(workdir))
        server.start()
        try:
            yield server
        finally:
            server.stop()
