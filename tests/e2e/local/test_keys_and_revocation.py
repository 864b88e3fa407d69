"""Key rotation and revocation with the services as real processes, driven by the same CLI
an operator uses (`python -m auth_service keys ...`, `revoke ...`) against the running booth."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.services import Stack, login, running_pair
from tools.processes import ROOT, wait_until

LEAD_MARGIN = 10  # KEY_PUBLICATION_MARGIN: with JWKS_MAX_AGE 5, keys sign 15 s after rotation
BOUND = 7.0  # REVOCATION_MAX_AGE (5) + 2 s: the contract's revocation bound
UNKNOWN_KID = "a token named a key not in the set"
# How long the load runs at least: the 60 s the drill asks for (the rotation itself
# takes about 20 s); ROTATION_DRILL_SECONDS=0 for a quicker local run.
DRILL_SECONDS = float(os.environ.get("ROTATION_DRILL_SECONDS", "60"))


def auth_env(workdir: Path, stack: Stack) -> dict[str, str]:
    return {
        "ISSUER": stack.auth.url,
        "KEYS_DIR": str(workdir / "keys"),
        "DATA_DIR": str(workdir / "auth-data"),
        "JWKS_MAX_AGE": "5",
        "KEY_PUBLICATION_MARGIN": str(LEAD_MARGIN),
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m auth_service <args>` as an operator would run it beside the booth."""
    return subprocess.run(
        [sys.executable, "-m", "auth_service", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def current_kid(stack: Stack) -> str:
    return str(httpx.get(f"{stack.auth.url}/readyz", timeout=5).json()["kid"])


def me(stack: Stack, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{stack.vending.url}/me", headers=headers, timeout=10).status_code


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def keyed(workdir: Path) -> Iterator[Stack]:
    """Auth publishing its JWKS for 5 s and keys 15 s before they sign; vending following
    the JWKS max-age down to 1 s."""
    with running_pair(
        workdir,
        auth_env={"JWKS_MAX_AGE": "5", "KEY_PUBLICATION_MARGIN": str(LEAD_MARGIN)},
        vending_env={"JWKS_MIN_TTL": "1", "QUOTA_FREE": "100000000"},
    ) as pair:
        yield pair


async def load(url: str, tokens: list[str], stop: asyncio.Event) -> list[int]:
    """20 clients calling `url` in turn with `tokens` until `stop`: every status seen."""
    statuses: list[int] = []

    async def client(index: int) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            turn = index
            while not stop.is_set():
                headers = {"Authorization": f"Bearer {tokens[turn % len(tokens)]}"}
                statuses.append((await http.get(url, headers=headers)).status_code)
                turn += 1

    await asyncio.gather(*(client(i) for i in range(20)))
    return statuses


def test_a_rotation_under_load_refuses_nothing_and_the_new_key_takes_over(
    keyed: Stack, workdir: Path
) -> None:
    """20 clients call /cats while `keys rotate` runs and the new key takes over: every
    answer is 200, the machine never meets an unknown kid, logins after the lead carry the
    new kid, and tokens of the old key keep working."""
    stack = keyed
    old_tokens = [login(stack.auth.url, f"user{i}") for i in range(20)]
    old_kid = kid_of(old_tokens[0])

    async def run() -> tuple[list[int], str, str]:
        began = time.monotonic()
        stop = asyncio.Event()
        load_task = asyncio.create_task(load(f"{stack.vending.url}/cats?count=1", old_tokens, stop))
        rotated = await asyncio.to_thread(cli, auth_env(workdir, stack), "keys", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        new_kid = rotated.stdout.split()[3].rstrip(",")
        await asyncio.to_thread(
            wait_until, lambda: current_kid(stack) == new_kid, 60, "the new key to sign"
        )
        fresh = await asyncio.to_thread(login, stack.auth.url, "user0")
        tokens = [*old_tokens, fresh]
        more = asyncio.create_task(load(f"{stack.vending.url}/cats?count=1", tokens, stop))
        await asyncio.sleep(0)
        await asyncio.to_thread(
            wait_until, lambda: me(stack, fresh) == 200, 10, "a new-key token to be served"
        )
        await asyncio.to_thread(
            wait_until,
            lambda: time.monotonic() - began >= DRILL_SECONDS,
            DRILL_SECONDS + 1,
            "the drill's length",
        )
        stop.set()
        return (await load_task) + (await more), new_kid, fresh

    began = time.monotonic()
    statuses, new_kid, fresh = asyncio.run(run())
    print(f"{len(statuses)} requests in {time.monotonic() - began:.1f} s: {set(statuses)}")
    assert new_kid != old_kid
    assert kid_of(fresh) == new_kid
    assert len(statuses) > 500
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert me(stack, old_tokens[0]) == 200
    assert UNKNOWN_KID not in stack.vending.process.output(chars=10**7)


def test_a_restarted_booth_signs_with_the_same_current_key(keyed: Stack, workdir: Path) -> None:
    """After a rotation has taken over, a restarted booth keeps signing with the new key."""
    stack = keyed
    rotated = cli(auth_env(workdir, stack), "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.split()[3].rstrip(",")
    wait_until(lambda: current_kid(stack) == new_kid, 60, "the new key to sign")
    stack.auth.restart()
    assert current_kid(stack) == new_kid
    assert kid_of(login(stack.auth.url, "frank")) == new_kid


def test_logout_is_honoured_by_the_machine_within_the_bound(stack: Stack) -> None:
    """Logout, then the session's access token is refused (401) within 7 s; another session
    of the same user is not."""
    credentials = {"username": "dora", "password": "correct horse battery"}
    httpx.post(f"{stack.auth.url}/register", json=credentials, timeout=10)
    first = httpx.post(f"{stack.auth.url}/login", json=credentials, timeout=10).json()
    second = httpx.post(f"{stack.auth.url}/login", json=credentials, timeout=10).json()
    assert me(stack, first["access_token"]) == 200

    out = httpx.post(
        f"{stack.auth.url}/logout", json={"refresh_token": first["refresh_token"]}, timeout=10
    )
    started = time.monotonic()
    assert out.status_code == 204
    wait_until(lambda: me(stack, first["access_token"]) == 401, BOUND, "the refusal")
    print(f"logout honoured in {time.monotonic() - started:.2f} s")
    assert me(stack, second["access_token"]) == 200


def test_revoking_a_user_refuses_their_tokens_until_they_log_in_again(
    stack: Stack, tmp_path: Path
) -> None:
    """`revoke --user`: that user's tokens are refused within 7 s, others' are not, and a
    token issued afterwards works."""
    bruce, carol = login(stack.auth.url, "bruce"), login(stack.auth.url, "carol")
    env = {
        "ISSUER": stack.auth.url,
        "KEYS_DIR": str(tmp_path / "keys"),
        "DATA_DIR": str(tmp_path / "auth-data"),
    }
    revoked = cli(env, "revoke", "--user", "BRUCE")
    assert revoked.returncode == 0, revoked.stderr
    after = time.time()
    started = time.monotonic()
    wait_until(lambda: me(stack, bruce) == 401, BOUND, "bruce's token to be refused")
    print(f"revoke --user honoured in {time.monotonic() - started:.2f} s")
    assert me(stack, carol) == 200
    # Tokens carry whole seconds: one issued from the next second on is fine again.
    wait_until(lambda: time.time() >= math.floor(after) + 1, 2, "the next second")
    assert me(stack, login(stack.auth.url, "bruce")) == 200


def test_retiring_a_key_refuses_its_tokens_and_force_makes_a_fresh_one(
    stack: Stack, tmp_path: Path
) -> None:
    """Retiring the only key is refused; with --force a fresh key signs at once and the old
    key's tokens are refused within 7 s. An unknown kid is refused with exit status 1."""
    token = login(stack.auth.url, "erin")
    env = {
        "ISSUER": stack.auth.url,
        "KEYS_DIR": str(tmp_path / "keys"),
        "DATA_DIR": str(tmp_path / "auth-data"),
    }
    unknown = cli(env, "keys", "retire", "no-such-kid")
    assert (unknown.returncode, "no signing key has that kid" in unknown.stderr) == (1, True)
    only = cli(env, "keys", "retire", kid_of(token))
    assert only.returncode == 1
    assert "--force" in only.stderr

    forced = cli(env, "keys", "retire", kid_of(token), "--force")
    assert forced.returncode == 0, forced.stderr
    wait_until(lambda: me(stack, token) == 401, BOUND, "the old key's token to be refused")
    fresh = login(stack.auth.url, "erin")
    assert kid_of(fresh) != kid_of(token)
    assert me(stack, fresh) == 200


@pytest.mark.parametrize("mode", ["open", "closed"])
def test_with_the_booth_gone_the_machine_serves_until_the_list_is_stale_then_as_its_mode_says(
    workdir: Path, mode: str
) -> None:
    """Auth stopped: tokens keep working with the last list. Once no list was had for
    REVOCATION_STALE_LIMIT (10 s here): `open` keeps serving and /readyz says 200 "stale";
    `closed` answers 503 to /readyz and to every request with a token."""
    settings = {"REVOCATION_STALE_LIMIT": "10", "REVOCATION_FAIL_MODE": mode}
    with running_pair(workdir, vending_env=settings) as stack:
        token = login(stack.auth.url, "gina")
        stack.auth.stop()
        assert me(stack, token) == 200

        def ready() -> httpx.Response:
            return httpx.get(f"{stack.vending.url}/readyz", timeout=5)

        assert ready().json()["revocations"] == "fresh"
        if mode == "open":
            wait_until(lambda: ready().json()["revocations"] == "stale", 30, "staleness")
            assert ready().status_code == 200
            assert me(stack, token) == 200
        else:
            wait_until(lambda: ready().status_code == 503, 30, "staleness")
            assert "stale" in ready().json()["detail"]
            headers = {"Authorization": f"Bearer {token}"}
            refused = httpx.get(f"{stack.vending.url}/me", headers=headers, timeout=10)
            assert refused.status_code == 503
            assert refused.headers["retry-after"]
