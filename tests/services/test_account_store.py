"""The `AccountStore` contract, run against every adapter: SQL on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth_service.store import AccountStore, RefreshRecord, SQLAccountStore, User, UsernameTaken
from shared.db import create_engine
from tests.servers import running_postgres
from tests.services.outage import (
    UNAVAILABLE,
    outcomes,
    recovered,
    sqlite_url,
    stop_postgres,
)

NOW = 1_700_000_000.0
HOUR = 3600.0


def user(username: str = "alice", password_hash: str = "hash-1", tier: str = "free") -> User:
    return User(username, password_hash, tier, "cats:read cats:write", NOW + 0.25)


def refresh(
    token_hash: str, family: str = "family-a", username: str = "alice", expires: float = HOUR
) -> RefreshRecord:
    return RefreshRecord(token_hash, family, username, NOW, NOW + expires)


@pytest.fixture(params=["sqlite", "postgresql"])
def account_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the account store, one per adapter."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path, "auth.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def account_store(account_url: str) -> AsyncIterator[AccountStore]:
    """A migrated account store on the adapter under test."""
    store = SQLAccountStore(create_engine(account_url))
    await store.migrate()
    yield store
    await store.close()


async def test_created_user_is_read_back_unchanged(account_store: AccountStore) -> None:
    """A created user comes back field for field; an unknown name gives None."""
    await account_store.create_user(user())

    assert await account_store.get_user("alice") == user()
    assert await account_store.get_user("bob") is None


async def test_duplicate_username_raises_username_taken_and_keeps_the_first(
    account_store: AccountStore,
) -> None:
    """Creating a taken username raises `UsernameTaken` and leaves the first user as it was."""
    await account_store.create_user(user(password_hash="first"))

    with pytest.raises(UsernameTaken):
        await account_store.create_user(user(password_hash="second"))
    assert await account_store.get_user("alice") == user(password_hash="first")


async def test_fifty_concurrent_registrations_of_one_name_let_exactly_one_succeed(
    account_store: AccountStore,
) -> None:
    """Of 50 concurrent creations of one username, one succeeds and 49 raise `UsernameTaken`."""
    results = await asyncio.gather(
        *(account_store.create_user(user(password_hash=f"hash-{i}")) for i in range(50)),
        return_exceptions=True,
    )

    winners = [i for i, result in enumerate(results) if result is None]
    taken = [result for result in results if isinstance(result, UsernameTaken)]
    assert len(winners) == 1
    assert len(taken) == 49
    assert await account_store.get_user("alice") == user(password_hash=f"hash-{winners[0]}")


async def test_set_tier_changes_the_tier_and_reports_whether_the_user_exists(
    account_store: AccountStore,
) -> None:
    """`set_tier` returns True and changes the tier of a user; False for an unknown name."""
    await account_store.create_user(user())

    assert await account_store.set_tier("alice", "premium") is True
    assert await account_store.get_user("alice") == user(tier="premium")
    assert await account_store.set_tier("bob", "premium") is False
    assert await account_store.get_user("bob") is None


async def test_set_password_hash_replaces_only_that_users_hash(
    account_store: AccountStore,
) -> None:
    """`set_password_hash` stores the new hash for that user and leaves others alone."""
    await account_store.create_user(user())
    await account_store.create_user(user("bob"))

    await account_store.set_password_hash("alice", "hash-2")

    assert await account_store.get_user("alice") == user(password_hash="hash-2")
    assert await account_store.get_user("bob") == user("bob")


async def test_rotation_returns_the_user_and_the_successor_joins_the_chain(
    account_store: AccountStore,
) -> None:
    """Rotating returns the chain's user; the successor rotates next, in the same chain."""
    await account_store.add_refresh(refresh("t1"))

    # The successor's own family and username are ignored: it inherits the spent token's.
    assert await account_store.rotate_refresh("t1", refresh("t2", "other", "mallory"), NOW) == (
        "alice"
    )
    assert await account_store.rotate_refresh("t2", refresh("t3"), NOW + 1) == "alice"
    await account_store.revoke_chain("t1", NOW + 2)
    assert await account_store.rotate_refresh("t3", refresh("t4"), NOW + 3) is None


async def test_reusing_a_spent_token_returns_none_and_revokes_its_whole_family(
    account_store: AccountStore,
) -> None:
    """A replayed token gives None and its family's live successor no longer rotates."""
    await account_store.add_refresh(refresh("t1"))
    await account_store.add_refresh(refresh("other-1", family="family-b"))
    assert await account_store.rotate_refresh("t1", refresh("t2"), NOW) == "alice"

    assert await account_store.rotate_refresh("t1", refresh("t2-replayed"), NOW + 1) is None
    assert await account_store.rotate_refresh("t2", refresh("t3"), NOW + 2) is None
    assert await account_store.rotate_refresh("t2-replayed", refresh("t4"), NOW + 3) is None
    assert await account_store.rotate_refresh("other-1", refresh("other-2"), NOW + 4) == "alice"


async def test_revoked_chain_no_longer_rotates(account_store: AccountStore) -> None:
    """After `revoke_chain`, no token of that chain rotates; other chains are untouched."""
    await account_store.add_refresh(refresh("t1"))
    await account_store.add_refresh(refresh("other-1", family="family-b"))
    assert await account_store.rotate_refresh("t1", refresh("t2"), NOW) == "alice"

    await account_store.revoke_chain("t2", NOW + 1)

    assert await account_store.rotate_refresh("t2", refresh("t3"), NOW + 2) is None
    assert await account_store.rotate_refresh("other-1", refresh("other-2"), NOW + 3) == "alice"


async def test_expired_or_unknown_token_does_not_rotate(account_store: AccountStore) -> None:
    """A token rotates before its expiry only; at or after it, and when unknown, it gives None."""
    await account_store.add_refresh(refresh("early", expires=10))
    await account_store.add_refresh(refresh("late", family="family-b", expires=10))

    assert await account_store.rotate_refresh("early", refresh("early-2"), NOW + 9) == "alice"
    assert await account_store.rotate_refresh("late", refresh("late-2"), NOW + 10) is None
    assert await account_store.rotate_refresh("late", refresh("late-3"), NOW + 11) is None
    assert await account_store.rotate_refresh("unknown", refresh("u-2"), NOW) is None


async def test_twenty_concurrent_rotations_of_one_token_let_exactly_one_succeed(
    account_store: AccountStore,
) -> None:
    """Of 20 concurrent rotations of one token, exactly one returns the username."""
    await account_store.add_refresh(refresh("t1"))

    results = await asyncio.gather(
        *(account_store.rotate_refresh("t1", refresh(f"t2-{i}"), NOW) for i in range(20))
    )

    assert results.count("alice") == 1
    assert results.count(None) == 19


async def test_migrating_again_keeps_schema_and_data(account_url: str) -> None:
    """`migrate()` on an up-to-date database changes nothing and loses no data."""
    store = SQLAccountStore(create_engine(account_url))
    try:
        await store.migrate()
        await store.create_user(user())
        await store.migrate()
        assert await store.get_user("alice") == user()
    finally:
        await store.close()


async def test_two_concurrent_migrations_of_a_fresh_database_both_succeed(
    account_url: str,
) -> None:
    """Two replicas migrating one empty database at once both succeed and share the schema."""
    first = SQLAccountStore(create_engine(account_url))
    second = SQLAccountStore(create_engine(account_url))
    try:
        await asyncio.gather(first.migrate(), second.migrate())
        await first.create_user(user())
        assert await second.get_user("alice") == user()
    finally:
        await first.close()
        await second.close()


async def test_postgres_outage_raises_store_unavailable_then_the_store_recovers() -> None:
    """With PostgreSQL down every call raises `StoreUnavailable`; once back, the store works."""
    with running_postgres() as server:  # this test's own: it stops it
        store = SQLAccountStore(create_engine(server.create_database("accounts")))
        try:
            await store.migrate()
            await store.create_user(user())
            await store.add_refresh(refresh("t1"))
            stop_postgres(server)

            down = await outcomes(
                {
                    "create_user": lambda: store.create_user(user("bob")),
                    "get_user": lambda: store.get_user("alice"),
                    "set_password_hash": lambda: store.set_password_hash("alice", "new"),
                    "set_tier": lambda: store.set_tier("alice", "premium"),
                    "add_refresh": lambda: store.add_refresh(refresh("t9")),
                    "rotate_refresh": lambda: store.rotate_refresh("t1", refresh("t2"), NOW),
                    "revoke_chain": lambda: store.revoke_chain("t1", NOW),
                }
            )
            assert down == dict.fromkeys(down, UNAVAILABLE)
            assert await store.ready() is False

            server.start()
            assert await recovered(lambda: store.get_user("alice")) == user()
            assert await store.rotate_refresh("t1", refresh("t2"), NOW) == "alice"
            assert await store.ready() is True
        finally:
            await store.close()
