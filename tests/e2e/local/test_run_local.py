"""`make run` (tools/run_local.py) as a newcomer meets it, with real processes: a port
already taken names the service and the variable, and a child that dies is named."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.processes import ROOT, distinct_ports, start, wait_until

VARIABLES = (
    "AUTH_PORT",
    "VENDING_PORT",
    "FRONTEND_PORT",
    "AUTH_METRICS_PORT",
    "VENDING_METRICS_PORT",
)
NAMES = {
    "AUTH_PORT": "the auth service",
    "AUTH_METRICS_PORT": "the auth service",
    "VENDING_PORT": "the vending service",
    "VENDING_METRICS_PORT": "the vending service",
    "FRONTEND_PORT": "the frontend server",
}
STARTUP = 180.0


def run_local_env(tmp_path: Path) -> dict[str, str]:
    """Free ports for all five variables, and keys and data in `tmp_path`."""
    env = dict(zip(VARIABLES, map(str, distinct_ports(len(VARIABLES))), strict=True))
    return {
        **env,
        "KEYS_DIR": str(tmp_path / "keys"),
        "DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }


def run_local(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.run_local"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=STARTUP,
        check=False,
    )


@pytest.fixture
def holder() -> Iterator[socket.socket]:
    """A socket to hold a port with."""
    with socket.socket() as sock:
        yield sock


@pytest.mark.parametrize("variable", ["AUTH_PORT", "VENDING_METRICS_PORT", "FRONTEND_PORT"])
def test_a_port_something_listens_on_names_its_service_and_variable(
    tmp_path: Path, holder: socket.socket, variable: str
) -> None:
    """With one port taken by a listener, make run exits 1 naming that port, its variable
    and the service it is for, and no other service."""
    env = run_local_env(tmp_path)
    holder.bind(("127.0.0.1", int(env[variable])))
    holder.listen()
    result = run_local(env)
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert f"port {env[variable]} on 127.0.0.1 ({variable}) is already in use" in message
    assert NAMES[variable] in message
    assert all(name not in message for name in set(NAMES.values()) - {NAMES[variable]})


def test_a_port_held_without_listening_is_named_too(tmp_path: Path, holder: socket.socket) -> None:
    """A port bound by another process that does not listen (so nothing answers on it) is
    still found taken, and named, before anything starts."""
    env = run_local_env(tmp_path)
    holder.bind(("127.0.0.1", int(env["VENDING_PORT"])))
    result = run_local(env)
    assert result.returncode == 1
    assert "(VENDING_PORT) is already in use, so the vending service" in result.stderr


def test_two_variables_with_one_port_are_both_named(tmp_path: Path) -> None:
    """AUTH_PORT equal to VENDING_METRICS_PORT: make run names both variables and both
    services instead of starting one and failing on the other."""
    env = run_local_env(tmp_path)
    env["VENDING_METRICS_PORT"] = env["AUTH_PORT"]
    result = run_local(env)
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "VENDING_METRICS_PORT and AUTH_PORT are both" in message
    assert "the vending service and the auth service cannot share a port" in message


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def _command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_a_child_that_dies_is_named_and_the_others_are_stopped(tmp_path: Path) -> None:
    """Once all three run, killing the vending service makes make run say that the vending
    service (its pid and port) was killed by SIGKILL, stop the other two and exit 1."""
    env = run_local_env(tmp_path)
    log = tmp_path / "run.log"
    runner = start("make run", [sys.executable, "-m", "tools.run_local"], env=env, log=log)
    try:
        wait_until(lambda: "Lanyard is running" in runner.output(100_000), STARTUP, "make run")
        children = {_command_line(pid): pid for pid in _children(runner.pid)}
        (vending,) = [pid for line, pid in children.items() if "vending_service" in line]
        others = [pid for pid in children.values() if pid != vending]
        os.kill(vending, signal.SIGKILL)
        assert runner.popen.wait(timeout=60) == 1
        expected = (
            f"the vending service (pid {vending}, port {env['VENDING_PORT']}) was killed by "
            "SIGKILL; stopping the others"
        )
        assert expected in runner.output(100_000)
        assert all(not Path(f"/proc/{pid}").exists() for pid in others)
    finally:
        runner.stop()
