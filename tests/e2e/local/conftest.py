"""Both services as real uvicorn processes on free ports, stopped by pid."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from auth_service.keys import generate_key
from shared.testing import free_port

ROOT = Path(__file__).resolve().parents[3]
READY_DEADLINE = 60.0


def distinct_ports(count: int) -> list[int]:
    """`count` free ports, no two alike (one free port can be offered twice before use)."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def wait_until(condition: Callable[[], bool], deadline: float, what: str) -> None:
    """Poll `condition` until it holds, failing the test at `deadline` seconds from now."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def ready(self, path: str = "/readyz") -> bool:
        """Whether `path` answers 200; the test fails at once if the process has exited."""
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited: {self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}{path}", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request_count(self, route: str) -> float:
        """The sum of this service's request counters for one route template."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        pattern = re.compile(
            r'^lanyard_http_requests_total\{[^}]*route="' + re.escape(route) + r'"[^}]*\} (\S+)$',
            re.MULTILINE,
        )
        return sum(float(value) for value in pattern.findall(text))


def start(name: str, module: str, port: int, env: dict[str, str], workdir: Path) -> Service:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "serve", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Service(name, f"http://127.0.0.1:{port}", process, log)


@dataclass
class Stack:
    auth: Service
    vending: Service


@contextlib.contextmanager
def running_pair(
    workdir: Path,
    *,
    common_env: Mapping[str, str] | None = None,
    auth_env: Mapping[str, str] | None = None,
    vending_env: Mapping[str, str] | None = None,
    ports: tuple[int, int] | None = None,
) -> Iterator[Stack]:
    """A fresh key, then the auth service and the vending service, each ready in turn;
    both stopped by pid on the way out. `*_env` adds to (or overrides) their settings."""
    keys = workdir / "keys"
    generate_key(keys)
    auth_port, vending_port = ports or distinct_ports(2)
    issuer = f"http://127.0.0.1:{auth_port}"
    common = {"ISSUER": issuer, "PYTHONUNBUFFERED": "1", **(common_env or {})}
    services: list[Service] = []
    try:
        auth = start(
            "auth",
            "auth_service",
            auth_port,
            {
                **common,
                "KEYS_DIR": str(keys),
                "DATA_DIR": str(workdir / "auth-data"),
                **(auth_env or {}),
            },
            workdir,
        )
        services.append(auth)
        wait_until(auth.ready, READY_DEADLINE, "the auth service")
        vending = start(
            "vending",
            "vending_service",
            vending_port,
            {
                **common,
                "JWKS_URL": f"{issuer}/.well-known/jwks.json",
                "DATA_DIR": str(workdir / "vending-data"),
                **(vending_env or {}),
            },
            workdir,
        )
        services.append(vending)
        wait_until(vending.ready, READY_DEADLINE, "the vending service")
        yield Stack(auth, vending)
    finally:
        for service in reversed(services):
            service.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A fresh auth service and vending service, both ready."""
    with running_pair(tmp_path, vending_env={"JWKS_COOLDOWN": "30"}) as pair:
        yield pair


def login(auth_url: str, username: str, password: str = "correct horse battery") -> str:
    credentials = {"username": username, "password": password}
    httpx.post(f"{auth_url}/register", json=credentials, timeout=10)
    response = httpx.post(f"{auth_url}/login", json=credentials, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
