"""`make run`: both services and the browser app in the foreground; Ctrl-C stops all three.

Creates a signing key when keys/ holds none, starts the auth service on 8001, the vending
service on 8002 and the frontend's static server on 8000 as child processes, waits until
each answers, prints the URLs, and stops them all (by pid) when one exits or on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUTH_PORT = int(os.environ.get("AUTH_PORT", "8001"))
VENDING_PORT = int(os.environ.get("VENDING_PORT", "8002"))
FRONTEND_PORT = int(os.environ.get("FRONTEND_PORT", "8000"))
HOST = os.environ.get("HOST", "127.0.0.1")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait_ready(url: str, children: list[subprocess.Popen[bytes]], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        if _ready(url):
            return True
        time.sleep(0.2)
    return False


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def main() -> int:
    python = sys.executable
    subprocess.run(  # noqa: S603 - fixed argv
        [python, "-m", "auth_service", "keys", "ensure"], cwd=ROOT, check=True
    )
    auth_url = f"http://{HOST}:{AUTH_PORT}"
    vending_url = f"http://{HOST}:{VENDING_PORT}"
    frontend_url = f"http://{HOST}:{FRONTEND_PORT}"
    env = dict(os.environ)
    env.setdefault("ISSUER", auth_url)
    env.setdefault("JWKS_URL", f"{auth_url}/.well-known/jwks.json")
    # The services answer the browser app's cross-origin requests from these origins only.
    origins = (
        frontend_url,
        f"http://127.0.0.1:{FRONTEND_PORT}",
        f"http://localhost:{FRONTEND_PORT}",
    )
    env.setdefault("CORS_ORIGINS", ",".join(dict.fromkeys(origins)))
    # In start order: each must answer before the next starts (vending fetches auth's keys).
    processes = [
        ("the auth service", "auth_service", AUTH_PORT, "/readyz", 60, []),
        ("the vending service", "vending_service", VENDING_PORT, "/readyz", 120, []),
        (
            "the frontend server",
            "tools.frontend_server",
            FRONTEND_PORT,
            "/",
            30,
            ["--auth-url", auth_url, "--vending-url", vending_url],
        ),
    ]
    children: list[subprocess.Popen[bytes]] = []
    interrupted = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, module, port, ready_path, deadline, extra in processes:
            argv = [python, "-m", module, "serve", "--host", HOST, "--port", str(port), *extra]
            children.append(subprocess.Popen(argv, cwd=ROOT, env=env))  # noqa: S603 - fixed argv
            ready_url = f"http://{HOST}:{port}{ready_path}"
            if not _wait_ready(ready_url, children, time.monotonic() + deadline):
                print(f"{name} did not become ready", file=sys.stderr)
                return 1
        print(
            f"\nLanyard is running:\n"
            f"  browser app     {frontend_url}   (open this one)\n"
            f"  auth booth      {auth_url}   (POST /register, /login; GET /.well-known/jwks.json)\n"
            f"  vending machine {vending_url}   (GET /cats?count=N with Authorization: Bearer)\n"
            f"Press Ctrl-C to stop all three.\n",
            flush=True,
        )
        while not interrupted and all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 0 if interrupted else 1
    finally:
        _stop(children)


if __name__ == "__main__":
    sys.exit(main())
