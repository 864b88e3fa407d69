"""The `AccountStore` contract, run against every adapter: in memory (the unit tests' store),
SQL on SQLite (both in `make test`) and on PostgreSQL (`make test-services`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from auth_service.accounts import AccountStore, RefreshRecord, Spend, Spent, User
from auth_service.accounts.sql import MIGRATIONS, SQLAccountStore
from auth_service.errors import UsernameTaken
from shared.stores.db import create_engine
from tests.backends.outage import (
    UNAVAILABLE,
    outcomes,
    recovered,
    sqlite_url,
    stop_postgres,
)
from tests.support.servers import running_postgres
from tests.support.stores import MemoryAccountStore

NOW = 1_700_000_000.0
HOUR = 3600.0


def user(username: str = "alice", password_hash: str = "hash-1", tier: str = "free") -> User:
    return User(username, password_hash, tier, "cats:read cats:write", NOW + 0.25)


def refresh(
    token_hash: str, family: str = "family-a", username: str = "alice", expires: float = HOUR
) -> RefreshRecord:
    return RefreshRecord(token_hash, family, username, NOW, NOW + expires)


SQL_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


def empty_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return sqlite_url(tmp_path, "auth.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=SQL_BACKENDS)
def account_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the account store, one per SQL adapter."""
    return empty_database(request.param, request, tmp_path)


@pytest.fixture(params=["memory", *SQL_BACKENDS])
async def account_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AccountStore]:
    """An empty account store on the adapter under test (SQL ones migrated)."""
    if request.param == "memory":
        yield MemoryAccountStore()
        return
    store = SQLAccountStore(create_engine(empty_database(request.param, request, tmp_path)))
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


def fresh(family: str = "family-a", username: str = "alice") -> Spend:
    return Spend(Spent.FRESH, family, username)


async def test_spending_returns_the_chain_and_the_successor_joins_it(
    account_store: AccountStore,
) -> None:
    """Spending a live token names its chain and user; the successor spends next, in the
    same chain (its own family and username are ignored: it inherits the spent token's)."""
    await account_store.add_refresh(refresh("t1"))

    spent = await account_store.spend_refresh("t1", refresh("t2", "other", "mallory"), NOW)
    assert spent == fresh()
    assert await account_store.spend_refresh("t2", refresh("t3"), NOW + 1) == fresh()


async def test_a_spent_token_is_reported_as_reused_and_changes_nothing(
    account_store: AccountStore,
) -> None:
    """Presenting a spent token says REUSED with its chain; the chain's live token still
    spends (revoking is the booth's decision, not the store's)."""
    await account_store.add_refresh(refresh("t1"))
    assert await account_store.spend_refresh("t1", refresh("t2"), NOW) == fresh()

    reused = await account_store.spend_refresh("t1", refresh("t2-replayed"), NOW + 1)
    assert reused == Spend(Spent.REUSED, "family-a", "alice")
    assert await account_store.spend_refresh("t2-replayed", refresh("x"), NOW + 2) == Spend(
        Spent.INVALID
    )
    assert await account_store.spend_refresh("t2", refresh("t3"), NOW + 3) == fresh()


async def test_a_revoked_family_no_longer_spends_and_other_families_do(
    account_store: AccountStore,
) -> None:
    """After `revoke_family`, no token of that chain spends; other chains are untouched."""
    await account_store.add_refresh(refresh("t1"))
    await account_store.add_refresh(refresh("other-1", family="family-b"))
    assert await account_store.spend_refresh("t1", refresh("t2"), NOW) == fresh()

    await account_store.revoke_family("family-a", NOW + 1)

    assert await account_store.spend_refresh("t2", refresh("t3"), NOW + 2) == Spend(Spent.INVALID)
    assert await account_store.spend_refresh("other-1", refresh("o2"), NOW + 3) == fresh("family-b")


async def test_revoking_the_family_of_a_token_reaches_its_whole_chain(
    account_store: AccountStore,
) -> None:
    """`revoke_family_of` a spent token of the chain revokes its live successor too; an
    unknown token revokes nothing."""
    await account_store.add_refresh(refresh("t1"))
    await account_store.add_refresh(refresh("other-1", family="family-b"))
    assert await account_store.spend_refresh("t1", refresh("t2"), NOW) == fresh()

    await account_store.revoke_family_of("unknown", NOW + 1)
    await account_store.revoke_family_of("t1", NOW + 1)

    assert await account_store.spend_refresh("t2", refresh("t3"), NOW + 2) == Spend(Spent.INVALID)
    assert await account_store.spend_refresh("other-1", refresh("o2"), NOW + 3) == fresh("family-b")


async def test_expired_or_unknown_token_does_not_spend(account_store: AccountStore) -> None:
    """A token spends before its expiry only; at or after it, and when unknown, INVALID."""
    await account_store.add_refresh(refresh("early", expires=10))
    await account_store.add_refresh(refresh("late", family="family-b", expires=10))

    assert await account_store.spend_refresh("early", refresh("early-2"), NOW + 9) == fresh()
    invalid = Spend(Spent.INVALID)
    assert await account_store.spend_refresh("late", refresh("late-2"), NOW + 10) == invalid
    assert await account_store.spend_refresh("late", refresh("late-3"), NOW + 11) == invalid
    assert await account_store.spend_refresh("unknown", refresh("u-2"), NOW) == invalid


async def test_twenty_concurrent_spends_of_one_token_let_exactly_one_succeed(
    account_store: AccountStore,
) -> None:
    """Of 20 concurrent spends of one token, exactly one is FRESH; the rest see it REUSED."""
    await account_store.add_refresh(refresh("t1"))

    results = await asyncio.gather(
        *(account_store.spend_refresh("t1", refresh(f"t2-{i}"), NOW) for i in range(20))
    )

    assert [r.outcome for r in results].count(Spent.FRESH) == 1
    assert [r.outcome for r in results].count(Spent.REUSED) == 19


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


async def test_chains_from_before_session_ends_end_30_days_after_their_first_token(
    account_url: str,
) -> None:
    """Migrating a database at revision 0004 gives every existing chain a session end 30
    days after its first token, so old chains cannot be refreshed forever either."""
    engine = create_engine(account_url)
    try:

        def to_0004(connection: Connection) -> None:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            config.attributes["version_table"] = "alembic_version_auth"
            command.upgrade(config, "0004")

        async with engine.begin() as conn:
            await conn.run_sync(to_0004)
            await conn.execute(
                text(
                    "INSERT INTO refresh_tokens (token_hash, family_id, username, issued_at,"
                    " expires_at) VALUES ('a', 'f', 'u', 100, 200), ('b', 'f', 'u', 150, 300),"
                    " ('c', 'g', 'u', 500, 600)"
                )
            )
        store = SQLAccountStore(engine)
        await store.migrate()
        ends = {h: (await store.find_refresh(h)) for h in ("a", "b", "c")}
        month = 30 * 86400
        assert {h: r.session_ends_at for h, r in ends.items() if r} == {
            "a": 100 + month,
            "b": 100 + month,
            "c": 500 + month,
        }
    finally:
        await engine.dispose()


@pytest.mark.services
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
                    "spend_refresh": lambda: store.spend_refresh("t1", refresh("t2"), NOW),
                    "revoke_family": lambda: store.revoke_family("family-a", NOW),
                    "revoke_family_of": lambda: store.revoke_family_of("t1", NOW),
                }
            )
            assert down == dict.fromkeys(down, UNAVAILABLE)
            assert await store.ready() is False

            server.start()
            assert await recovered(lambda: store.get_user("alice")) == user()
            assert await store.spend_refresh("t1", refresh("t2"), NOW) == fresh()
            assert await store.ready() is True
        finally:
            await store.close()


async def test_a_successor_inherits_its_chains_session_end_and_never_outlives_it(
    account_store: AccountStore,
) -> None:
    """A refresh's successor keeps the chain's session end, and its expiry is capped there
    however long a lifetime it was given."""
    await account_store.create_user(user())
    first = RefreshRecord("h1", "family-a", "alice", NOW, NOW + HOUR, None, NOW + 2 * HOUR)
    await account_store.add_refresh(first)
    successor = RefreshRecord("h2", "", "", NOW + 10, NOW + 10 * HOUR)

    spend = await account_store.spend_refresh("h1", successor, NOW + 10)

    assert spend.outcome is Spent.FRESH
    stored = await account_store.find_refresh("h2")
    assert stored is not None
    assert (stored.session_ends_at, stored.expires_at) == (NOW + 2 * HOUR, NOW + 2 * HOUR)
    assert (await account_store.spend_refresh("h2", refresh("h3"), NOW + 2 * HOUR)).outcome is (
        Spent.INVALID
    )
