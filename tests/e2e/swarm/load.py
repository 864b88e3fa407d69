"""Continuous load through the gateway while the stack changes under it, counted.

Worker threads send GETs in turn (a picture at the machine, the caller at the machine, the
booth's JWKS) with the tokens they were given, until stopped. Every response that is not
200 and every request that got no response is a failure. `window` counts one scenario.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

PATHS = ("/api/cats/cat-001", "/api/me", "/auth/.well-known/jwks.json")


@dataclass
class Tally:
    """What one scenario saw: requests sent, and the failures by status (or error kind)."""

    name: str
    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def line(self) -> str:
        detail = f" {dict(self.failures)}" if self.failures else ""
        return f"{self.name}: {self.requests} requests, {self.failed} failed{detail}"


class Load:
    """`workers` threads of GETs through `gateway`, each cycling through `tokens`."""

    def __init__(self, gateway: str, tokens: list[str], workers: int = 8) -> None:
        self.gateway = gateway
        self.tokens = list(tokens)
        self.workers = workers
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._tally: Tally | None = None

    def add_token(self, token: str) -> None:
        with self._lock:
            self.tokens.append(token)

    def _record(self, outcome: str | None) -> None:
        with self._lock:
            if self._tally is not None:
                self._tally.requests += 1
                if outcome is not None:
                    self._tally.failures[outcome] += 1

    def _work(self, index: int) -> None:
        turn = index
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                with self._lock:
                    token = self.tokens[turn % len(self.tokens)]
                path = PATHS[turn % len(PATHS)]
                turn += 1
                try:
                    response = client.get(
                        f"{self.gateway}{path}", headers={"Authorization": f"Bearer {token}"}
                    )
                    self._record(None if response.status_code == 200 else str(response.status_code))
                except httpx.HTTPError as exc:
                    self._record(type(exc).__name__)

    def __enter__(self) -> Load:
        self._threads = [
            threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    @contextlib.contextmanager
    def window(self, name: str) -> Iterator[Tally]:
        """Count the requests that end while the block runs as scenario `name`."""
        tally = Tally(name)
        with self._lock:
            self._tally = tally
        try:
            yield tally
        finally:
            with self._lock:
                self._tally = None
