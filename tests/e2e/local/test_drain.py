"""SIGTERM on a real process: it drains (not ready, still serving), then stops listening,
lets the request in flight finish, and exits 0."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.services import Stack, running_pair
from tools.processes import port_open, wait_until

DRAIN_DELAY = 2


@pytest.fixture
def draining_stack(tmp_path: Path) -> Iterator[Stack]:
    """Both services; the booth drains for two seconds when told to stop."""
    with running_pair(tmp_path, auth_env={"SHUTDOWN_DRAIN_DELAY": str(DRAIN_DELAY)}) as pair:
        yield pair


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None


def test_sigterm_drains_then_finishes_the_request_in_flight_and_exits_0(
    draining_stack: Stack,
) -> None:
    """A registration half sent when SIGTERM arrives: /readyz turns 503 while other routes
    still answer; the port then closes; the rest of the body is sent and the request ends
    201; the process exits with status 0."""
    auth = draining_stack.auth
    port = urlsplit(auth.url).port
    assert port is not None
    body = json.dumps({"username": "drained", "password": "correct horse battery"}).encode()
    head = (
        f"POST /register HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as in_flight:
        in_flight.sendall(head + body[:10])
        auth.process.send(signal.SIGTERM)
        wait_until(lambda: _status(f"{auth.url}/readyz") == 503, 5, "/readyz to say 503")
        assert _status(f"{auth.url}/.well-known/jwks.json") == 200
        wait_until(lambda: not port_open(port), 30, "the port to close after the drain")
        assert auth.process.alive(), "exited with a request in flight"
        in_flight.sendall(body[10:])
        response = in_flight.makefile("rb").readline()
    assert response.startswith(b"HTTP/1.1 201"), response
    assert auth.process.popen.wait(timeout=30) == 0
