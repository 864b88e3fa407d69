"""The Swarm stack changed under continuous load through the gateway (`make swarm-e2e`):
(a) a rolling update of vending, (b) one vending container killed, (c) vending scaled
3 -> 5 -> 2, (d) a key rotation. Each counts its requests and fails on any failed one."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.compose.conftest import GATEWAY, new_user
from tests.e2e.orchestrators import Swarm, run
from tests.e2e.swarm.load import Load, Tally

STACK = os.environ.get("LANYARD_SWARM_STACK", "")
REPORT = os.environ.get("LANYARD_SWARM_REPORT")
MINIMUM_REQUESTS = 100  # a scenario that saw fewer proves little

pytestmark = pytest.mark.skipif(not STACK, reason="needs the Swarm stack (make swarm-e2e)")


@pytest.fixture(scope="module")
def swarm() -> Swarm:
    return Swarm(STACK)


@pytest.fixture(scope="module")
def load(swarm: Swarm) -> Iterator[Load]:
    """Eight workers of GETs with the tokens of four premium users, running all along."""
    tokens = [_premium_token(swarm, "load") for _ in range(4)]
    with Load(GATEWAY, tokens) as running:
        yield running


def _premium_token(swarm: Swarm, prefix: str) -> str:
    """A new premium user's access token: the load's quota never runs out."""
    username, _ = new_user(prefix)
    swarm.operator("set-tier", username, "premium")
    return _login(username)


def _login(username: str) -> str:
    response = httpx.post(
        f"{GATEWAY}/auth/login",
        json={"username": username, "password": "correct horse battery"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _report(tally: Tally) -> None:
    print(tally.line())
    if REPORT:
        with Path(REPORT).open("a", encoding="utf-8") as out:
            out.write(tally.line() + "\n")


def _wait(condition: Callable[[], bool], deadline: float, what: str) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def _settle(seconds: float) -> None:
    """Keep the load running a little past a change, so its aftermath is counted too."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.25)


def _assert_clean(tally: Tally) -> None:
    _report(tally)
    assert tally.requests >= MINIMUM_REQUESTS, tally.line()
    assert tally.failed == 0, tally.line()


def test_a_rolling_update_of_vending_fails_no_request(swarm: Swarm, load: Load) -> None:
    """(a) `docker service update` replaces the three vending replicas one by one (start
    first, drain on SIGTERM): every request under load succeeds."""
    before = set(swarm.containers("vending"))
    with load.window("(a) rolling update of vending") as tally:
        rollout = f"ROLLOUT={secrets.token_hex(4)}"
        run(["docker", "service", "update", "-q", "--env-add", rollout, swarm.service("vending")])
        after = set(swarm.containers("vending"))
        _settle(10)
    assert len(after) == 3
    assert not before & after, "some replica was not replaced"
    _assert_clean(tally)


def test_killing_a_vending_container_fails_no_request(swarm: Swarm, load: Load) -> None:
    """(b) SIGKILL to one vending container: the gateway passes its requests to the other
    replicas, Swarm starts a new one; every request under load succeeds."""
    victim = swarm.containers("vending")[0]
    with load.window("(b) one vending container killed") as tally:
        run(["docker", "kill", victim])
        _wait(
            lambda: victim not in (now := swarm.containers("vending")) and len(now) == 3,
            120,
            "Swarm to replace the killed replica",
        )
        _settle(10)
    _assert_clean(tally)


def test_scaling_vending_3_to_5_to_2_fails_no_request(swarm: Swarm, load: Load) -> None:
    """(c) vending scaled up to five and down to two (the three removed drain first):
    every request under load succeeds."""
    with load.window("(c) vending scaled 3 -> 5 -> 2") as tally:
        swarm.scale("vending", 5)
        assert len(swarm.containers("vending")) == 5
        _settle(5)
        swarm.scale("vending", 2)
        assert len(swarm.containers("vending")) == 2
        _settle(15)
    _assert_clean(tally)


def _signing_kid() -> str:
    return str(httpx.get(f"{GATEWAY}/auth/readyz", timeout=10).json()["kid"])


def test_a_key_rotation_fails_no_request(swarm: Swarm, load: Load) -> None:
    """(d) `keys rotate` in one auth container: the new key is published, then signs at
    both booths; tokens of the old and the new key keep working under load."""
    old = _signing_kid()
    with load.window("(d) key rotation") as tally:
        out = swarm.operator("keys", "rotate")
        new = out.split()[3].rstrip(",")
        assert new != old, out
        _wait(
            lambda: all(_signing_kid() == new for _ in range(6)),
            90,
            "both booths to sign with the new key",
        )
        load.add_token(_premium_token(swarm, "rotated"))
        _settle(10)
    _assert_clean(tally)


def test_prometheus_config_is_valid_for_prometheus_itself(swarm: Swarm) -> None:
    """The stack's Prometheus config, as mounted, passes Prometheus's own promtool."""
    container = swarm.containers("prometheus")[0]
    result = subprocess.run(
        [
            "docker",
            "exec",
            container,
            "promtool",
            "check",
            "config",
            "/etc/prometheus/prometheus.yml",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
