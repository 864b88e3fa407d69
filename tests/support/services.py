"""Lanyard's services as real processes on free ports, each stopped by its pid."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.keys import keys_folder
from tools.processes import Process, distinct_ports, free_port, start

__all__ = ["READY_DEADLINE", "Service", "Stack", "login", "running_pair", "start_service"]

READY_DEADLINE = 60.0


@dataclass
class Service:
    """One service process, the URL it answers on and its management port's URL."""

    name: str
    url: str
    process: Process
    metrics_url: str = ""

    def ready(self, path: str = "/readyz") -> bool:
        """Whether `path` answers 200; raises at once if the process has exited."""
        if not self.process.alive():
            raise AssertionError(f"{self.name} exited: {self.process.output()}")
        try:
            return httpx.get(f"{self.url}{path}", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, path: str = "/readyz", deadline: float = READY_DEADLINE) -> None:
        self.process.wait_ready(lambda: self.ready(path), deadline)

    def stop(self) -> None:
        self.process.stop()

    def restart(self) -> None:
        """Stop it and start it again as it was started; wait until it is ready."""
        self.process = self.process.restart()
        self.wait_ready()

    def metrics(self) -> str:
        """What the management port serves now."""
        return httpx.get(self.metrics_url, timeout=5).text

    def metric(self, family: str, **labels: str) -> float:
        """The sum of the samples named `family` whose labels include `labels`."""
        return sum(
            sample.value
            for parsed in text_string_to_metric_families(self.metrics())
            for sample in parsed.samples
            if sample.name == family and labels.items() <= sample.labels.items()
        )

    def request_count(self, route: str) -> float:
        """The sum of this service's request counters for one route template."""
        return self.metric("lanyard_http_requests_total", route=route)


def start_service(
    name: str, module: str, port: int, env: Mapping[str, str], workdir: Path
) -> Service:
    """`python -m <module> serve --port <port>` with `env`, logging to `workdir/<name>.log`;
    its management port is a free one (unless `env` names one)."""
    argv = [sys.executable, "-m", module, "serve", "--port", str(port)]
    env = {"METRICS_PORT": str(free_port()), **env}
    process = start(name, argv, env=env, log=workdir / f"{name}.log")
    metrics_url = f"http://127.0.0.1:{env['METRICS_PORT']}/metrics"
    return Service(name, f"http://127.0.0.1:{port}", process, metrics_url)


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
    keys = keys_folder(workdir / "keys")
    auth_port, vending_port = ports or distinct_ports(2)
    issuer = f"http://127.0.0.1:{auth_port}"
    common = {"ISSUER": issuer, "PYTHONUNBUFFERED": "1", **(common_env or {})}
    services: list[Service] = []
    try:
        auth_settings = {"KEYS_DIR": str(keys), "DATA_DIR": str(workdir / "auth-data")}
        auth = start_service(
            "auth",
            "auth_service",
            auth_port,
            {**common, **auth_settings, **(auth_env or {})},
            workdir,
        )
        services.append(auth)
        auth.wait_ready()
        vending_settings = {
            "JWKS_URL": f"{issuer}/.well-known/jwks.json",
            "PUBLIC_URL": f"http://127.0.0.1:{vending_port}",
            "DATA_DIR": str(workdir / "vending-data"),
        }
        vending = start_service(
            "vending",
            "vending_service",
            vending_port,
            {**common, **vending_settings, **(vending_env or {})},
            workdir,
        )
        services.append(vending)
        vending.wait_ready()
        yield Stack(auth, vending)
    finally:
        for service in reversed(services):
            service.stop()


def login(auth_url: str, username: str, password: str = "correct horse battery") -> str:
    """Register (if need be) and log in `username`; the access token."""
    credentials = {"username": username, "password": password}
    httpx.post(f"{auth_url}/register", json=credentials, timeout=10)
    response = httpx.post(f"{auth_url}/login", json=credentials, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
