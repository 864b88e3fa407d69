"""Helpers for the auth service's HTTP tests: accounts, problem checks and a look at the DB."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import make_url

from auth_service.settings import AuthSettings

PASSWORD = "correct horse battery"


async def register(
    client: httpx.AsyncClient, username: str = "bruce", password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/register", json={"username": username, "password": password})


async def login(
    client: httpx.AsyncClient,
    username: str = "bruce",
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    credentials = {"username": username, "password": password}
    return await client.post("/login", json=credentials, headers=headers)


async def tokens_for(
    client: httpx.AsyncClient, username: str = "bruce", password: str = PASSWORD
) -> dict[str, Any]:
    """Register `username` and log in: the token response."""
    assert (await register(client, username, password)).status_code == 201
    response = await login(client, username, password)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """`response` is an RFC 9457 problem with `status`, a title and no internals; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["status"], int)
    assert isinstance(body["title"], str)
    assert body["title"]
    for leak in ("Traceback", 'File "', "sqlalchemy", "sqlite", "Error("):
        assert leak not in response.text
    return body


def database_path(settings: AuthSettings) -> Path:
    database = make_url(settings.database_url).database
    assert database
    return Path(database)


def query(settings: AuthSettings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql`, read straight from the service's SQLite file."""
    with closing(sqlite3.connect(database_path(settings))) as db:
        return db.execute(sql).fetchall()


def files_contain(settings: AuthSettings, needle: bytes) -> bool:
    """Whether any of the database's files (main, WAL, shared memory) holds `needle`."""
    path = database_path(settings)
    files = path.parent.glob(path.name + "*")
    return any(needle in file.read_bytes() for file in files)


def public_numbers_on_disk(keys_dir: Path) -> rsa.RSAPublicNumbers:
    """The public numbers of the one PEM private key in `keys_dir`."""
    [pem] = sorted(keys_dir.glob("*.pem"))
    private = serialization.load_pem_private_key(pem.read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private.public_key().public_numbers()


def user_count(settings: AuthSettings) -> int:
    return int(query(settings, "SELECT COUNT(*) FROM users")[0][0])
