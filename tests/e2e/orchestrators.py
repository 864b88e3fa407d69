"""The stack under test, whoever runs it: Compose (`make e2e`) or Swarm (`make swarm-e2e`).

The cross-container tests stop, start and restart services, find their containers and run
the operator's commands in one auth container; each orchestrator does these its own way.
`LANYARD_SWARM_STACK` (set by tools/swarm-e2e.sh) chooses Swarm; otherwise Compose with
`LANYARD_COMPOSE` and `COMPOSE_PROJECT_NAME` (set by tools/e2e.sh).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path
from typing import Protocol

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], *, check: bool = True) -> str:
    """Run a command from the repository root; fail the test with its stderr if it fails."""
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed: {result.stderr[-2000:]}")
    return result.stdout


class Orchestrator(Protocol):
    def containers(self, service: str) -> list[str]:
        """Ids of the running containers of `service`."""
        ...

    def all_containers(self) -> list[str]:
        """Ids of every container the stack made, running or exited."""
        ...

    def stop(self, service: str) -> None:
        """Stop every replica of `service` (it stays defined)."""
        ...

    def start(self, service: str) -> None:
        """Bring back the replicas `stop` took away."""
        ...

    def restart(self, *services: str) -> None:
        """Restart each of `services`, in turn."""
        ...

    def operator(self, *args: str) -> str:
        """`python -m auth_service <args>` in one auth container, as the docs say."""
        ...


class Compose:
    """A compose project: `docker compose` (or docker-compose) commands."""

    def __init__(self, command: list[str]) -> None:
        self.command = command

    def _compose(self, *args: str) -> str:
        return run([*self.command, *args])

    def containers(self, service: str) -> list[str]:
        return self._compose("ps", "-q", service).split()

    def all_containers(self) -> list[str]:
        return self._compose("ps", "-a", "-q").split()

    def stop(self, service: str) -> None:
        self._compose("stop", service)

    def start(self, service: str) -> None:
        self._compose("start", service)

    def restart(self, *services: str) -> None:
        self._compose("restart", *services)

    def operator(self, *args: str) -> str:
        return self._compose(
            "exec", "-T", "--index=1", "auth", "python", "-m", "auth_service", *args
        )


class Swarm:
    """A Swarm stack: `docker service` commands on `<stack>_<service>`."""

    def __init__(self, stack: str) -> None:
        self.stack = stack
        self._stopped: dict[str, str] = {}

    def service(self, name: str) -> str:
        return f"{self.stack}_{name}"

    def containers(self, service: str) -> list[str]:
        """Containers of the tasks meant to run and running: not those draining on their
        way out after a scale-down or an update."""
        running = ["--filter", "desired-state=running"]
        tasks = run(["docker", "service", "ps", "-q", *running, self.service(service)]).split()
        if not tasks:
            return []
        template = "{{.Status.State}} {{.Status.ContainerStatus.ContainerID}}"
        states = run(["docker", "inspect", "-f", template, *tasks]).splitlines()
        return [line.split()[1] for line in states if line.startswith("running ")]

    def all_containers(self) -> list[str]:
        label = f"label=com.docker.stack.namespace={self.stack}"
        return run(["docker", "ps", "-a", "-q", "--filter", label]).split()

    def replicas(self, service: str) -> str:
        template = "{{.Spec.Mode.Replicated.Replicas}}"
        return run(["docker", "service", "inspect", "-f", template, self.service(service)]).strip()

    def scale(self, service: str, replicas: int | str) -> None:
        """Set the replica count and wait until the tasks have converged on it."""
        run(["docker", "service", "scale", f"{self.service(service)}={replicas}"])

    def stop(self, service: str) -> None:
        self._stopped[service] = self.replicas(service)
        self.scale(service, 0)
        deadline = time.monotonic() + 120
        while self.containers(service):
            if time.monotonic() > deadline:
                pytest.fail(f"{service} still has containers two minutes after scaling to 0")
            time.sleep(0.25)

    def start(self, service: str) -> None:
        self.scale(service, self._stopped.pop(service))

    def restart(self, *services: str) -> None:
        for service in services:
            run(["docker", "service", "update", "-q", "--force", self.service(service)])

    def operator(self, *args: str) -> str:
        container = self.containers("auth")[0]
        return run(["docker", "exec", container, "python", "-m", "auth_service", *args])


def from_environment() -> Orchestrator:
    stack = os.environ.get("LANYARD_SWARM_STACK")
    if stack:
        return Swarm(stack)
    return Compose(shlex.split(os.environ.get("LANYARD_COMPOSE", "docker-compose")))
