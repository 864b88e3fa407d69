"""The `KeyStore` and `RevocationStore` contracts, run against every adapter: in memory and
SQL on SQLite (`make test`), SQL on PostgreSQL (`make test-services`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth_service.accounts.sql import SQLAccountStore
from auth_service.keys import KeyRecord, KeyStore
from auth_service.keys.sql import SQLKeyStore
from auth_service.revocations import Revocation, RevocationKind, RevocationStore
from auth_service.revocations.sql import SQLRevocationStore
from shared.stores.db import create_engine
from tests.backends.outage import sqlite_url
from tests.support.stores import MemoryKeyStore, MemoryRevocationStore

NOW = 1_700_000_000.0
BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


def record(kid: str, generation: int) -> KeyRecord:
    jwk = json.dumps({"kid": kid})
    return KeyRecord(kid, generation, NOW, NOW + 60, None, jwk, b"\x01" * 40, "k")


@pytest.fixture(params=BACKENDS)
async def sql_or_memory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SQLAccountStore | None]:
    """A migrated auth database (its engine serves the key and revocation stores), or
    None for the in-memory stores."""
    if request.param == "memory":
        yield None
        return
    url = (
        sqlite_url(tmp_path, "auth.db")
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    accounts = SQLAccountStore(create_engine(url))
    await accounts.migrate()
    yield accounts
    await accounts.close()


@pytest.fixture
def key_store(sql_or_memory: SQLAccountStore | None) -> KeyStore:
    return MemoryKeyStore() if sql_or_memory is None else SQLKeyStore(sql_or_memory.engine)


@pytest.fixture
def revocation_store(sql_or_memory: SQLAccountStore | None) -> RevocationStore:
    if sql_or_memory is None:
        return MemoryRevocationStore()
    return SQLRevocationStore(sql_or_memory.engine)


async def test_a_stored_key_is_read_back_unchanged(key_store: KeyStore) -> None:
    assert await key_store.add(record("a", 1))
    assert await key_store.load() == [record("a", 1)]


async def test_a_taken_generation_or_kid_stores_nothing(key_store: KeyStore) -> None:
    """The unique generation is how two rotations at once end with one key."""
    assert await key_store.add(record("a", 1))
    assert not await key_store.add(record("b", 1))
    assert not await key_store.add(record("a", 2))
    assert [r.kid for r in await key_store.load()] == ["a"]


async def test_of_ten_concurrent_adds_of_one_generation_exactly_one_is_kept(
    key_store: KeyStore,
) -> None:
    results = await asyncio.gather(*(key_store.add(record(f"k{i}", 7)) for i in range(10)))
    assert results.count(True) == 1
    assert len(await key_store.load()) == 1


async def test_retiring_marks_the_key_once_and_says_whether_it_exists(
    key_store: KeyStore,
) -> None:
    await key_store.add(record("a", 1))
    assert await key_store.retire("a", NOW + 5)
    assert await key_store.retire("a", NOW + 9)  # already retired: kept as it was
    assert not await key_store.retire("nope", NOW)
    [stored] = await key_store.load()
    assert stored.retired_at == NOW + 5


async def test_live_revocations_are_those_that_have_not_expired(
    revocation_store: RevocationStore,
) -> None:
    """`live` gives entries until their `expires_at`; `version` grows with every add."""
    first = await revocation_store.version()
    await revocation_store.add(
        [
            Revocation(RevocationKind.SESSION, "s1", NOW + 10),
            Revocation(RevocationKind.USER, "alice", NOW + 20, not_before=NOW),
        ]
    )
    second = await revocation_store.version()
    await revocation_store.add([Revocation(RevocationKind.TOKEN, "j1", NOW + 30)])
    assert first < second < await revocation_store.version()

    live = await revocation_store.live(NOW + 15)
    assert {(r.kind, r.value, r.not_before) for r in live} == {
        (RevocationKind.USER, "alice", NOW),
        (RevocationKind.TOKEN, "j1", None),
    }
    assert await revocation_store.live(NOW + 30) == []
