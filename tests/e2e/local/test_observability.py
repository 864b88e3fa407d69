"""Both services as real processes: metrics only on the management port, JSON lines only on
stdout (uvicorn's own included), request ids in them, and a taken management port named."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.services import Stack, login
from tools.processes import free_port

PASSWORD = "correct horse battery"


def test_metrics_are_on_the_management_port_and_not_on_the_service_port(stack: Stack) -> None:
    """`/metrics` answers on METRICS_PORT (with the process collector) and 404s on the
    service's own port, for both services."""
    token = login(stack.auth.url, "metered")
    httpx.get(f"{stack.vending.url}/me", headers={"Authorization": f"Bearer {token}"})
    for service in (stack.auth, stack.vending):
        assert httpx.get(f"{service.url}/metrics", timeout=5).status_code == 404
        assert service.metric("process_resident_memory_bytes") > 0
    assert stack.auth.metric("lanyard_logins_total", outcome="success") == 1
    assert stack.vending.metric("lanyard_token_verifications_total", outcome="valid") == 1
    assert stack.vending.metric("lanyard_jwks_fetches_total", outcome="ok") >= 1


def test_every_line_either_service_writes_is_json_with_request_ids(stack: Stack) -> None:
    """Startup, uvicorn and request lines alike are JSON objects; a failed login's line
    carries the id the caller sent; no line holds the password."""
    httpx.post(
        f"{stack.auth.url}/register",
        json={"username": "logged", "password": PASSWORD},
        timeout=10,
    )
    answer = httpx.post(
        f"{stack.auth.url}/login",
        json={"username": "logged", "password": PASSWORD + "?"},
        headers={"X-Request-ID": "e2e-local-1"},
        timeout=10,
    )
    assert answer.status_code == 401
    stack.auth.stop()
    stack.vending.stop()
    for service in (stack.auth, stack.vending):
        assert service.process.log is not None
        text = service.process.log.read_text()
        lines = [json.loads(line) for line in text.splitlines()]
        assert all(isinstance(line, dict) and "level" in line for line in lines)
        assert any(line["logger"].startswith("uvicorn") for line in lines)
        assert PASSWORD not in text
    auth_lines = [json.loads(line) for line in stack.auth.process.log.read_text().splitlines()]  # type: ignore[union-attr]
    (failed,) = [line for line in auth_lines if line.get("outcome") == "bad_credentials"]
    assert (failed["request_id"], failed["username"]) == ("e2e-local-1", "logged")


def test_a_taken_management_port_stops_the_service_naming_the_variable(tmp_path: Path) -> None:
    """A service whose METRICS_PORT is taken exits at once with status 2 and says why."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "vending_service", "serve", "--port", str(free_port())],
            env={
                "METRICS_PORT": str(taken),
                "DATA_DIR": str(tmp_path),
                "PATH": "/usr/bin:/bin",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"METRICS_PORT {taken}" in result.stderr
