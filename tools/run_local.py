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
    children = [
        subprocess.Popen(  # noqa: S603 - fixed argv
            [python, "-m", "auth_service", "serve", "--host", HOST, "--port", str(AUTH_PORT)],
            cwd=ROOT,
            env=env,
        )
    ]
    interrupted = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not _wait_ready(f"{auth_url}/readyz", children, time.monotonic() + 60):
            print("the auth service did not become ready", file=sys.stderr)
            return 1
        children.append(
            subprocess.Popen(  # noqa: S603 - fixed argv
                [
                    python,
                    "-m",
                    "vending_service",
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(VENDING_PORT),
                ],
                cwd=ROOT,
                env=env,
            )
        )
        if not _wait_ready(f"{vending_url}/readyz", children, time.monotonic() + 120):
            print("the vending service did not become ready", file=sys.stderr)
            return 1
        children.append(
            subprocess.Popen(  # noqa: S603 - fixed argv
                [
                    python,
                    "-m",
                    "tools.frontend_server",
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(FRONTEND_PORT),
                    "--auth-url",
                    auth_url,
                    "--vending-url",
                    vending_url,
                ],
                cwd=ROOT,
                env=env,
            )
        )
        if not _wait_ready(f"{frontend_url}/", children, time.monotonic() + 30):
            print("the frontend server did not start", file=sys.stderr)
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
