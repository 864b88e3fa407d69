"""`make run`: both services and the browser app in the foreground; Ctrl-C stops all three.

Creates a signing key when keys/ holds none, starts the auth service on 8001 (metrics on
9001), the vending service on 8002 (metrics on 9002) and the frontend's static server on
8000 as child processes (each port checked free first: a taken one is named with its
variable and the service it is for), waits until each answers, prints the URLs, and stops
them all (by pid) when one exits, saying which and how, or on Ctrl-C.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass

from tools.processes import ROOT, Process, answers, start

AUTH_PORT = int(os.environ.get("AUTH_PORT", "8001"))
VENDING_PORT = int(os.environ.get("VENDING_PORT", "8002"))
FRONTEND_PORT = int(os.environ.get("FRONTEND_PORT", "8000"))
AUTH_METRICS_PORT = int(os.environ.get("AUTH_METRICS_PORT", "9001"))
VENDING_METRICS_PORT = int(os.environ.get("VENDING_METRICS_PORT", "9002"))
HOST = os.environ.get("HOST", "127.0.0.1")


@dataclass(frozen=True)
class Child:
    """One of the three processes: what it is, how to start it, and how long it may take."""

    name: str
    module: str
    port: int
    ready_path: str
    deadline: float
    extra: tuple[str, ...] = ()
    metrics_port: int | None = None
    port_variable: str = ""
    metrics_variable: str = ""

    def ports(self) -> list[tuple[int, str]]:
        """The ports it listens on, each with the variable that sets it."""
        ports = [(self.port, self.port_variable)]
        if self.metrics_port is not None:
            ports.append((self.metrics_port, self.metrics_variable))
        return ports

    def argv(self) -> list[str]:
        serve = [sys.executable, "-m", self.module, "serve", "--host", HOST]
        return [*serve, "--port", str(self.port), *self.extra]


def port_free(port: int, host: str) -> bool:
    """Whether a listener could bind `host`:`port` as uvicorn does (`SO_REUSEADDR`): false
    for a port something listens on or merely holds."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_problem(children: list[Child], host: str) -> str | None:
    """Why the children cannot all listen where they are told to, naming the port, its
    variable and the service; None when every port is distinct and free."""
    seen: dict[int, tuple[str, str]] = {}
    for child in children:
        for port, variable in child.ports():
            if port in seen:
                other_variable, other = seen[port]
                return (
                    f"{variable} and {other_variable} are both {port}: {child.name} and "
                    f"{other} cannot share a port; set one of them to another"
                )
            seen[port] = (variable, child.name)
    for child in children:
        for port, variable in child.ports():
            if not port_free(port, host):
                return (
                    f"port {port} on {host} ({variable}) is already in use, so {child.name} "
                    f"cannot start; stop whatever holds it or set {variable} to a free port"
                )
    return None


def how_it_ended(returncode: int | None) -> str:
    """`exited with status 3`, or `was killed by SIGKILL`."""
    if returncode is not None and returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def main() -> int:
    python = sys.executable
    keys = start("keys", [python, "-m", "auth_service", "keys", "ensure"], cwd=ROOT)
    if keys.popen.wait() != 0:
        return 1
    auth_url = f"http://{HOST}:{AUTH_PORT}"
    vending_url = f"http://{HOST}:{VENDING_PORT}"
    frontend_url = f"http://{HOST}:{FRONTEND_PORT}"
    env = {
        "ISSUER": os.environ.get("ISSUER", auth_url),
        "JWKS_URL": os.environ.get("JWKS_URL", f"{auth_url}/.well-known/jwks.json"),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", vending_url),
    }
    # The services answer the browser app's cross-origin requests from these origins only.
    origins = (
        frontend_url,
        f"http://127.0.0.1:{FRONTEND_PORT}",
        f"http://localhost:{FRONTEND_PORT}",
    )
    env["CORS_ORIGINS"] = os.environ.get("CORS_ORIGINS", ",".join(dict.fromkeys(origins)))
    # In start order: each must answer before the next starts (vending fetches auth's keys).
    children = [
        Child(
            "the auth service",
            "auth_service",
            AUTH_PORT,
            "/readyz",
            60,
            metrics_port=AUTH_METRICS_PORT,
            port_variable="AUTH_PORT",
            metrics_variable="AUTH_METRICS_PORT",
        ),
        Child(
            "the vending service",
            "vending_service",
            VENDING_PORT,
            "/readyz",
            120,
            metrics_port=VENDING_METRICS_PORT,
            port_variable="VENDING_PORT",
            metrics_variable="VENDING_METRICS_PORT",
        ),
        Child(
            "the frontend server",
            "tools.frontend_server",
            FRONTEND_PORT,
            "/",
            30,
            ("--auth-url", auth_url, "--vending-url", vending_url),
            port_variable="FRONTEND_PORT",
        ),
    ]
    problem = port_problem(children, HOST)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    interrupted = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    running: list[tuple[Child, Process]] = []
    try:
        for child in children:
            own = {"METRICS_PORT": str(child.metrics_port)} if child.metrics_port else {}
            process = start(child.name, child.argv(), env={**env, **own})
            running.append((child, process))
            url = f"http://{HOST}:{child.port}{child.ready_path}"
            try:
                process.wait_ready(functools.partial(answers, url), child.deadline)
            except (TimeoutError, RuntimeError) as exc:
                print(f"{child.name} did not become ready: {exc}", file=sys.stderr)
                return 1
        print(
            f"\nLanyard is running:\n"
            f"  browser app     {frontend_url}   (open this one)\n"
            f"  auth booth      {auth_url}   (POST /register, /login; GET /.well-known/jwks.json)\n"
            f"  vending machine {vending_url}   (GET /cats?count=N with Authorization: Bearer)\n"
            f"  metrics         http://{HOST}:{AUTH_METRICS_PORT}/metrics (auth), "
            f"http://{HOST}:{VENDING_METRICS_PORT}/metrics (vending)\n"
            f"Press Ctrl-C to stop all three.\n",
            flush=True,
        )
        while not interrupted:
            for child, process in running:
                if not process.alive():
                    print(
                        f"{child.name} (pid {process.pid}, port {child.port}) "
                        f"{how_it_ended(process.popen.returncode)}; stopping the others",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        for _, process in reversed(running):
            process.stop(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
