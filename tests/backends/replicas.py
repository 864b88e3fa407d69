"""Real auth and vending replicas for the scale-out tests, and a watch on every answer.

Processes are started with the local end-to-end helpers and stopped by pid. `Watch` sees
every response the tests receive: a 5xx is a broken server unless it is a 503 inside a
declared outage. `Fleet.assert_no_server_errors` asks each process's own `/metrics` too,
so answers no test looked at (readiness polls, say) are covered.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.keys import keys_folder
from tests.support.services import Service, start_service
from tools.processes import free_port

PASSWORD = "correct horse battery"
RECOVERY_DEADLINE = 5.0
Send = Callable[[], Awaitable[httpx.Response]]
_STATUS = re.compile(r'^lanyard_http_requests_total\{[^}]*status="(\d{3})"[^}]*\} (\S+)$', re.M)


class Watch:
    """Every response received through `client()`; 503 is expected only inside `outage()`."""

    def __init__(self) -> None:
        self.unexpected: list[str] = []
        self._in_outage = False

    async def _record(self, response: httpx.Response) -> None:
        status = response.status_code
        if status >= 500 and not (status == 503 and self._in_outage):
            request = response.request
            self.unexpected.append(f"{request.method} {request.url} -> {status}")

    @contextmanager
    def outage(self) -> Iterator[None]:
        """Within this block a store is (being) taken away: 503 is the right answer."""
        self._in_outage = True
        try:
            yield
        finally:
            self._in_outage = False

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=30,
            # Idle connections are dropped well before uvicorn's 5 s keep-alive closes them:
            # reusing one the server is closing at that moment is a ReadError, not a finding.
            limits=httpx.Limits(max_connections=64, keepalive_expiry=1.0),
            event_hooks={"response": [self._record]},
        )


@dataclass
class Fleet:
    """The processes one test starts; `stop()` ends each of them by pid."""

    workdir: Path
    keys: Path
    issuer_port: int = field(default_factory=free_port)
    services: list[Service] = field(default_factory=list)
    watch: Watch = field(default_factory=Watch)

    @property
    def issuer(self) -> str:
        """The `iss` every auth replica signs: the address of the first one started."""
        return f"http://127.0.0.1:{self.issuer_port}"

    def auth(self, database_url: str | None = None, *, redis_url: str | None = None) -> Service:
        """Start an auth replica (SQLite in its data folder unless `database_url`).

        The first takes the issuer's port; all sign with the one key in `keys`.
        """
        port = self.issuer_port if not self._named("auth") else free_port()
        # The scale-out tests register a hundred users from 127.0.0.1.
        env = {"KEYS_DIR": str(self.keys), "REGISTER_PER_ADDRESS": "100000"}
        if database_url:
            env["DATABASE_URL"] = database_url
        if redis_url:
            env["REDIS_URL"] = redis_url
        return self._start("auth", "auth_service", port, env)

    def vending(self, database_url: str, *, redis_url: str | None = None, **extra: str) -> Service:
        """Start a vending replica that takes its keys from the first auth replica."""
        env = {
            "JWKS_URL": f"{self.issuer}/.well-known/jwks.json",
            "DATABASE_URL": database_url,
            "CATALOGUE_SIZE": "100",
            **extra,
        }
        if redis_url:
            env["REDIS_URL"] = redis_url
        return self._start("vending", "vending_service", free_port(), env)

    def _named(self, prefix: str) -> list[Service]:
        return [s for s in self.services if s.name.startswith(prefix)]

    def _start(self, kind: str, module: str, port: int, env: dict[str, str]) -> Service:
        name = f"{kind}-{len(self._named(kind))}"
        data = self.workdir / name
        common = {"ISSUER": self.issuer, "DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
        service = start_service(name, module, port, {**common, **env}, self.workdir)
        self.services.append(service)
        return service

    def await_ready(self) -> None:
        for service in self.services:
            service.wait_ready()

    def assert_no_server_errors(self) -> None:
        """No answer a test saw, and none any process counted, was a 5xx other than 503."""
        assert self.watch.unexpected == []
        for service in self.services:
            text = service.metrics()
            errors = {
                status: float(count)
                for status, count in _STATUS.findall(text)
                if status.startswith("5") and status != "503" and float(count) > 0
            }
            assert errors == {}, f"{service.name} answered {errors}: see {service.process.log}"

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


async def bounded(limit: int, requests: Sequence[Send]) -> list[httpx.Response]:
    """Send `requests` at most `limit` at a time; their responses, in order."""
    semaphore = asyncio.Semaphore(limit)

    async def send(request: Send) -> httpx.Response:
        async with semaphore:
            return await request()

    return list(await asyncio.gather(*(send(request) for request in requests)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def credentials(username: str, password: str = PASSWORD) -> dict[str, str]:
    return {"username": username, "password": password}


@contextmanager
def fleet_in(workdir: Path) -> Iterator[Fleet]:
    """A fleet with one fresh signing key; every process it starts is stopped on the way out."""
    keys = keys_folder(workdir / "keys")
    fleet = Fleet(workdir, keys)
    try:
        yield fleet
    finally:
        fleet.stop()


def assert_unavailable(response: httpx.Response) -> None:
    """A 503 problem+json that says when to come back."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 503
    assert problem["title"]
    assert int(response.headers["retry-after"]) > 0


async def answers_with(send: Send, status: int) -> bool:
    """True if one more request answers `status`: a probe for `eventually`."""
    return (await send()).status_code == status
