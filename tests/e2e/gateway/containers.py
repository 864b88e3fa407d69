"""The gateway's own container for these tests: nginx:1.26 with deploy/nginx.conf as its
template, started through deploy/gateway-entrypoint.sh as compose starts it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def docker(*args: str) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def start_gateway(network: str, port: int, *, rate: int, frontend: bool = False) -> str:
    """A gateway on `network`, published on 127.0.0.1:`port`, allowing `rate` logins a
    second per address (with the browser app when `frontend`); its container id."""
    mounts = [
        f"{ROOT / 'deploy' / 'nginx.conf'}:/etc/nginx/templates/default.conf.template:ro",
        f"{ROOT / 'deploy' / 'gateway-entrypoint.sh'}:/lanyard/gateway-entrypoint.sh:ro",
    ]
    if frontend:
        mounts.append(f"{ROOT / 'frontend'}:/usr/share/nginx/html:ro")
    return docker(
        "run",
        "-d",
        "--network",
        network,
        "-p",
        f"127.0.0.1:{port}:8080",
        "-e",
        f"GATEWAY_AUTH_RATE={rate}",
        *(arg for mount in mounts for arg in ("-v", mount)),
        "--entrypoint",
        "sh",
        "nginx:1.26",
        "/lanyard/gateway-entrypoint.sh",
        "nginx",
        "-g",
        "daemon off;",
    )
