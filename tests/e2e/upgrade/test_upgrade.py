"""The upgrade docs/deploy.md recommends, done: a compose stack on PostgreSQL 15 and Redis 7
with users, pictures, shares, tiers and quotas, moved to PostgreSQL 17 (pg_dump, then
pg_restore into a fresh 17 cluster) and Redis 8 (the same append-only file), loses nothing.

Run by tools/upgrade-e2e.sh (`make upgrade-e2e`), which owns the compose project and tears
it down; the test drives compose itself because the stack changes under it."""

from __future__ import annotations

import io
import os
import secrets
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
GATEWAY = os.environ.get("LANYARD_GATEWAY", "")
COMPOSE = shlex.split(os.environ.get("LANYARD_COMPOSE", "docker-compose"))
PASSWORD = "correct horse battery"
OLD = {"POSTGRES_IMAGE_TAG": "15", "REDIS_IMAGE_TAG": "7"}
NEW = {"POSTGRES_IMAGE_TAG": "17", "REDIS_IMAGE_TAG": "8"}

pytestmark = pytest.mark.skipif(not GATEWAY, reason="run by make upgrade-e2e")


def compose(images: Mapping[str, str], *args: str, stdin: bytes | None = None) -> bytes:
    """A compose command of this project with the stores' images chosen; its stdout."""
    result = subprocess.run(
        [*COMPOSE, *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, **images},
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    return result.stdout


def wait_ready(deadline: float = 240) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if all(
                httpx.get(f"{GATEWAY}{path}", timeout=3).status_code == 200
                for path in ("/auth/readyz", "/api/readyz")
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail("the stack did not become ready")


def store_versions(images: Mapping[str, str]) -> tuple[str, str]:
    postgres = (
        compose(
            images,
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            "lanyard",
            "-d",
            "lanyard_auth",
            "-Atc",
            "SHOW server_version",
        )
        .decode()
        .strip()
    )
    info = compose(images, "exec", "-T", "redis", "redis-cli", "INFO", "server").decode()
    redis = next(line for line in info.splitlines() if line.startswith("redis_version:"))
    return postgres, redis.split(":", 1)[1].strip()


def login(username: str) -> dict[str, str]:
    response = httpx.post(
        f"{GATEWAY}/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Written:
    names: list[str]
    pictures: dict[str, str]
    before: dict[str, str]
    """A login's token response from before the upgrade."""
    kid: str


def write_everything() -> Written:
    """Users (one premium), an upload each, a share, quotas charged; what to expect."""
    names = [f"up-{i}-{secrets.token_hex(3)}" for i in range(3)]
    pictures: dict[str, str] = {}
    for index, name in enumerate(names):
        credentials = {"username": name, "password": PASSWORD}
        assert (
            httpx.post(f"{GATEWAY}/auth/register", json=credentials, timeout=30).status_code == 201
        )
        token = login(name)["access_token"]
        upload = httpx.post(
            f"{GATEWAY}/api/cats",
            headers=bearer(token),
            timeout=30,
            data={"title": f"Cat of {name}", "visibility": "private"},
            files={"image": ("c.png", png((40 * index, 90, 200)), "image/png")},
        )
        assert upload.status_code == 201, upload.text
        pictures[name] = upload.json()["id"]
        cats = httpx.get(f"{GATEWAY}/api/cats?count={5 + index}", headers=bearer(token), timeout=30)
        assert cats.status_code == 200
    owner = login(names[0])["access_token"]
    shared = httpx.put(
        f"{GATEWAY}/api/cats/{pictures[names[0]]}/shares/{names[1]}",
        headers=bearer(owner),
        timeout=30,
    )
    assert shared.status_code == 204
    compose(
        OLD, "exec", "-T", "auth", "python", "-m", "auth_service", "set-tier", names[2], "premium"
    )
    before = login(names[0])
    kid = httpx.get(f"{GATEWAY}/auth/readyz", timeout=10).json()["kid"]
    return Written(names, pictures, before, kid)


def move_to_the_new_stores(project: str) -> None:
    """The documented steps: dump each database from 15, stop the stack, give PostgreSQL
    17 a fresh volume and restore into it; Redis 8 starts on Redis 7's volume."""
    dumps = {
        db: compose(OLD, "exec", "-T", "postgres", "pg_dump", "-U", "lanyard", "-Fc", db)
        for db in ("lanyard_auth", "lanyard_vending")
    }
    compose(OLD, "stop")
    compose(OLD, "rm", "-f", "postgres")
    subprocess.run(
        ["docker", "volume", "rm", f"{project}_postgres"], check=True, capture_output=True
    )
    compose(NEW, "up", "-d", "postgres", "redis")
    end = time.monotonic() + 120
    while subprocess.run(
        [
            *COMPOSE,
            "exec",
            "-T",
            "postgres",
            "pg_isready",
            # Over TCP: the entrypoint's first server, which runs the init scripts, listens
            # on its socket only and stops before the real one starts.
            "-h",
            "127.0.0.1",
            "-U",
            "lanyard",
            "-d",
            "lanyard_vending",
        ],
        cwd=ROOT,
        capture_output=True,
        check=False,
        env={**os.environ, **NEW},
    ).returncode:
        assert time.monotonic() < end, "PostgreSQL 17 did not come up"
        time.sleep(1)
    for db, dump in dumps.items():
        compose(
            NEW,
            "exec",
            "-T",
            "postgres",
            "pg_restore",
            "-U",
            "lanyard",
            "-d",
            db,
            "--exit-on-error",
            stdin=dump,
        )
    compose(NEW, "up", "-d")


def test_a_stack_written_on_postgres_15_and_redis_7_loses_nothing_on_17_and_8() -> None:
    """Every user logs in with the same password, the premium tier stands, each picture and
    the share are there with their bytes, each quota count is what it was, the signing
    key is the same (a token from before still works) and a refresh token from before
    still refreshes."""
    project = os.environ["COMPOSE_PROJECT_NAME"]
    compose(OLD, "up", "-d")
    wait_ready()
    postgres, redis = store_versions(OLD)
    assert postgres.startswith("15")
    assert redis.startswith("7")
    written = write_everything()
    names, pictures, before = written.names, written.pictures, written.before
    used = {
        name: httpx.get(
            f"{GATEWAY}/api/me", headers=bearer(login(name)["access_token"]), timeout=30
        ).json()["quota"]["used"]
        for name in names
    }

    move_to_the_new_stores(project)
    wait_ready()
    postgres, redis = store_versions(NEW)
    print(f"upgraded: PostgreSQL {postgres}, Redis {redis}")
    assert postgres.startswith("17")
    assert redis.startswith("8")

    assert httpx.get(f"{GATEWAY}/auth/readyz", timeout=10).json()["kid"] == written.kid
    old_token = before["access_token"]
    assert httpx.get(f"{GATEWAY}/api/me", headers=bearer(old_token), timeout=30).status_code == 200
    refreshed = httpx.post(
        f"{GATEWAY}/auth/refresh", json={"refresh_token": before["refresh_token"]}, timeout=30
    )
    assert refreshed.status_code == 200, refreshed.text
    for name in names:
        me = httpx.get(f"{GATEWAY}/api/me", headers=bearer(login(name)["access_token"]), timeout=30)
        assert me.json()["quota"]["used"] == used[name], name
        assert me.json()["tier"] == ("premium" if name == names[2] else "free")
    for name, picture in pictures.items():
        token = login(name)["access_token"]
        record = httpx.get(f"{GATEWAY}/api/cats/{picture}", headers=bearer(token), timeout=30)
        assert record.status_code == 200, record.text
        assert record.json()["title"] == f"Cat of {name}"
        image = httpx.get(record.json()["image_url"], headers=bearer(token), timeout=30)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
    viewer = login(names[1])["access_token"]
    shared = httpx.get(
        f"{GATEWAY}/api/cats/{pictures[names[0]]}", headers=bearer(viewer), timeout=30
    )
    assert shared.status_code == 200
    stranger = login(names[2])["access_token"]
    hidden = httpx.get(
        f"{GATEWAY}/api/cats/{pictures[names[0]]}", headers=bearer(stranger), timeout=30
    )
    assert hidden.status_code == 404
