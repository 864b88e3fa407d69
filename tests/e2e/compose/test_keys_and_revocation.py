"""Key rotation and revocation in the compose stack scaled to auth=2 and vending=3: the
operator's commands run in one auth container, every replica follows (make e2e sets
JWKS_MAX_AGE=5 and KEY_PUBLICATION_MARGIN=5: keys sign 10 s after a rotation)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime

import httpx

from tests.e2e.compose.conftest import (
    GATEWAY,
    PASSWORD,
    STACK,
    bearer,
    container_ids,
    exec_in,
    login,
    new_user,
    wait_until,
)

BOUND = 7.0  # REVOCATION_MAX_AGE (5) + 2 s
# Prints the status and the error its WWW-Authenticate challenge names ("-" if none).
ME = (
    "import re, sys, urllib.request as u, urllib.error as e\n"
    "headers = {'Authorization': 'Bearer ' + sys.argv[1]}\n"
    "r = u.Request('http://127.0.0.1:8002/me', headers=headers)\n"
    "try:\n    print(u.urlopen(r, timeout=5).status, '-')\n"
    "except e.HTTPError as x:\n"
    "    m = re.search(r'error=\"([^\"]*)\"', x.headers.get('WWW-Authenticate', ''))\n"
    "    print(x.code, m.group(1) if m else '-')\n"
)


def operator(*args: str) -> str:
    """`python -m auth_service <args>` in one auth container, as documented."""
    return STACK.operator(*args)


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def answers_of_each_vending_replica(token: str) -> list[str]:
    """`GET /me` with `token`, asked of every vending container directly, one by one:
    each answer's status and challenge error, e.g. `401 invalid_token` or `200 -`."""
    return [
        exec_in(container, "python", "-c", ME, token).strip()
        for container in container_ids("vending")
    ]


def statuses_at_each_vending_replica(token: str) -> list[int]:
    return [int(answer.split()[0]) for answer in answers_of_each_vending_replica(token)]


def refused_everywhere_within_the_bound(token: str) -> float:
    """Seconds until all three vending replicas refuse `token` as `401 invalid_token`
    (fails past the bound)."""
    started = time.monotonic()
    wait_until(
        lambda: answers_of_each_vending_replica(token) == ["401 invalid_token"] * 3,
        BOUND,
        "every vending replica to refuse the token",
    )
    return time.monotonic() - started


def test_two_rotations_under_load_fail_nothing_and_both_booths_agree() -> None:
    """Load through the gateway while the key is rotated twice: no request fails, and every
    sample of either auth replica's signing kid is the one the timeline says (within a
    second of a promotion)."""
    tokens = [new_user("rot")[1] for _ in range(8)]
    promotions: list[tuple[float, str]] = []
    samples: list[tuple[float, str, str]] = []

    async def run() -> list[int]:
        stop = asyncio.Event()
        statuses: list[int] = []

        async def client(index: int) -> None:
            async with httpx.AsyncClient(timeout=30) as http:
                turn = index
                while not stop.is_set():
                    response = await http.get(
                        f"{GATEWAY}/api/me", headers=bearer(tokens[turn % len(tokens)])
                    )
                    statuses.append(response.status_code)
                    turn += 1

        async def sample() -> None:
            async with httpx.AsyncClient(timeout=30) as http:
                while not stop.is_set():
                    response = await http.get(f"{GATEWAY}/auth/readyz")
                    samples.append(
                        (time.time(), response.headers["x-served-by"], response.json()["kid"])
                    )
                    await asyncio.sleep(0.1)

        workers = [asyncio.create_task(client(i)) for i in range(10)]
        workers.append(asyncio.create_task(sample()))
        for _ in range(2):
            out = await asyncio.to_thread(operator, "keys", "rotate")
            words = out.split()
            kid = words[3].rstrip(",")
            signs_from = datetime.strptime(words[-1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            promotions.append((signs_from.timestamp(), kid))

            def signing(kid: str = kid) -> bool:
                return any(sample[2] == kid for sample in samples[-6:])

            await asyncio.to_thread(wait_until, signing, 60, "the new key to sign")
            _, fresh = await asyncio.to_thread(new_user, "fresh")
            tokens.append(fresh)
        stop.set()
        await asyncio.gather(*workers)
        return statuses

    first_kid = httpx.get(f"{GATEWAY}/auth/readyz", timeout=10).json()["kid"]
    statuses = asyncio.run(run())
    assert len(statuses) > 200
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert len({served_by for _, served_by, _ in samples}) == 2  # both booths sampled
    timeline = [(0.0, first_kid), *promotions]
    for at, served_by, kid in samples:
        expected = [k for start, k in timeline if start <= at][-1]
        near = any(abs(at - start) <= 1.0 for start, _ in promotions)
        assert kid == expected or near, (at, served_by, kid, expected)


def test_a_retired_key_is_refused_by_every_vending_replica_within_the_bound() -> None:
    """`keys retire <kid> --force`: its tokens are refused by all three vending replicas
    within 7 s; a token of the fresh key is served."""
    _, token = new_user("retire")
    retired = kid_of(token)
    operator("keys", "retire", retired, "--force")
    took = refused_everywhere_within_the_bound(token)
    print(f"retired key refused everywhere in {took:.2f} s")
    _, fresh = new_user("after")
    assert kid_of(fresh) != retired
    assert statuses_at_each_vending_replica(fresh) == [200, 200, 200]


def test_logout_is_honoured_by_every_vending_replica_within_the_bound() -> None:
    """After logout the session's access token is refused by each of the three replicas
    within 7 s; a token of another session of the same user still works everywhere."""
    username, _ = new_user("logout")
    credentials = {"username": username, "password": PASSWORD}
    first = httpx.post(f"{GATEWAY}/auth/login", json=credentials, timeout=30).json()
    second = httpx.post(f"{GATEWAY}/auth/login", json=credentials, timeout=30).json()
    assert statuses_at_each_vending_replica(first["access_token"]) == [200, 200, 200]
    out = httpx.post(
        f"{GATEWAY}/auth/logout", json={"refresh_token": first["refresh_token"]}, timeout=30
    )
    assert out.status_code == 204
    took = refused_everywhere_within_the_bound(first["access_token"])
    print(f"logout honoured by all three replicas in {took:.2f} s")
    assert statuses_at_each_vending_replica(second["access_token"]) == [200, 200, 200]


def test_revoking_a_user_reaches_every_vending_replica() -> None:
    """`revoke --user`: all of that user's tokens refused everywhere within 7 s; another
    user's work; a token issued afterwards works."""
    username, token = new_user("revoked")
    _, other = new_user("bystander")
    operator("revoke", "--user", username)
    after = time.time()
    took = refused_everywhere_within_the_bound(token)
    print(f"revoke --user honoured by all three replicas in {took:.2f} s")
    assert statuses_at_each_vending_replica(other) == [200, 200, 200]
    wait_until(lambda: time.time() >= int(after) + 1, 2, "the next whole second")
    assert statuses_at_each_vending_replica(login(username)) == [200, 200, 200]
