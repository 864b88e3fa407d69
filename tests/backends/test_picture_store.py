"""The `PictureStore` contract, run against every adapter: in memory (the unit tests'
store), SQL on SQLite (both in `make test`) and on PostgreSQL (`make test-services`), each
alone and behind the service's `PictureCache`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.stores.db import create_engine
from shared.stores.migrations import migrate
from shared.stores.port import Statements
from shared.stores.sqlite_worker import SQLiteWorker, sqlite_file
from shared.stores.statements import WorkerStatements
from tests.backends.outage import (
    UNAVAILABLE,
    outcomes,
    recovered,
    sqlite_url,
    stop_postgres,
)
from tests.support.servers import running_postgres
from tests.support.stores import MemoryPictureStore
from vending_service.app import MIGRATIONS
from vending_service.pictures import Picture, PictureCache, PictureStore
from vending_service.pictures.sql import SQLPictureStore

NOW = 1_700_000_000.0


def picture(
    picture_id: str,
    owner: str = "alice",
    visibility: str = "private",
    content_type: str = "image/png",
) -> Picture:
    return Picture(picture_id, f"cat {picture_id}", owner, visibility, content_type, 64, 48, NOW)


def image_of(picture_id: str) -> bytes:
    return f"bytes of {picture_id}".encode() + bytes(range(256))


async def migrated_engine(url: str) -> AsyncEngine:
    engine = create_engine(url)
    await migrate(engine, MIGRATIONS, "alembic_version_vending")
    return engine


POSTGRES = pytest.mark.services
SQL_BACKENDS = ["sqlite", pytest.param("postgresql", marks=POSTGRES)]


def empty_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return sqlite_url(tmp_path, "vending.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=SQL_BACKENDS)
def picture_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the picture store, one per SQL adapter."""
    return empty_database(request.param, request, tmp_path)


@pytest.fixture(
    params=[
        "memory",
        "memory-cached",
        "sqlite",
        "sqlite-cached",
        pytest.param("postgresql", marks=POSTGRES),
        pytest.param("postgresql-cached", marks=POSTGRES),
    ]
)
async def picture_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[PictureStore]:
    """A picture store of the adapter under test: alone, or as the service runs it (behind
    `PictureCache`, with the SQLite worker on a SQLite file)."""
    kind, _, cached = str(request.param).partition("-")
    if kind == "memory":
        memory = MemoryPictureStore()
        yield PictureCache(memory) if cached else memory
        return
    url = empty_database(kind, request, tmp_path)
    engine = await migrated_engine(url)
    path = sqlite_file(url) if cached else None
    worker = SQLiteWorker(path) if path is not None else None
    hot: Statements | None = WorkerStatements(worker) if worker is not None else None
    store = SQLPictureStore(engine, hot=hot)
    yield PictureCache(store) if cached else store
    if worker is not None:
        await worker.aclose()
    await engine.dispose()


async def add(store: PictureStore, *pictures: Picture) -> None:
    for item in pictures:
        await store.add(item, image_of(item.id))


async def test_added_picture_is_visible_to_its_owner_unchanged(
    picture_store: PictureStore,
) -> None:
    """A private picture comes back field for field to its owner; a missing id gives None."""
    await add(picture_store, picture("p1"))

    assert await picture_store.get_visible("p1", "alice") == picture("p1")
    assert await picture_store.get_visible("missing", "alice") is None


async def test_private_picture_is_invisible_to_others_and_public_is_not(
    picture_store: PictureStore,
) -> None:
    """Another user cannot get, sample or fetch a private picture, but sees a public one."""
    await add(picture_store, picture("private"), picture("public", visibility="public"))

    assert await picture_store.get_visible("private", "bob") is None
    assert await picture_store.image("private", "bob") is None
    assert [p.id for p in await picture_store.sample_visible("bob", 10)] == ["public"]
    assert await picture_store.get_visible("public", "bob") == picture("public", "alice", "public")


async def test_share_shows_a_private_picture_to_one_user_and_unshare_hides_it(
    picture_store: PictureStore,
) -> None:
    """Sharing makes the picture visible to that user only; unsharing hides it again."""
    await add(picture_store, picture("p1"))

    assert await picture_store.share("p1", "alice", "bob") is True
    assert await picture_store.share("p1", "alice", "bob") is True
    assert await picture_store.get_visible("p1", "bob") == picture("p1")
    assert [p.id for p in await picture_store.sample_visible("bob", 10)] == ["p1"]
    assert await picture_store.get_visible("p1", "carol") is None

    assert await picture_store.unshare("p1", "alice", "bob") is True
    assert await picture_store.get_visible("p1", "bob") is None
    assert await picture_store.sample_visible("bob", 10) == []


async def test_share_and_unshare_by_a_non_owner_return_false_and_change_nothing(
    picture_store: PictureStore,
) -> None:
    """Only the owner may share or unshare; anyone else gets False and no effect."""
    await add(picture_store, picture("p1"))
    await picture_store.share("p1", "alice", "bob")

    assert await picture_store.share("p1", "mallory", "mallory") is False
    assert await picture_store.get_visible("p1", "mallory") is None
    assert await picture_store.unshare("p1", "mallory", "bob") is False
    assert await picture_store.get_visible("p1", "bob") == picture("p1")
    assert await picture_store.share("missing", "alice", "bob") is False


async def test_delete_by_a_non_owner_returns_false_and_keeps_the_picture(
    picture_store: PictureStore,
) -> None:
    """`delete_own` by someone else, even one it is shared with, is False and deletes nothing."""
    await add(picture_store, picture("p1"))
    await picture_store.share("p1", "alice", "bob")

    assert await picture_store.delete_own("p1", "bob") is False
    assert await picture_store.get_visible("p1", "alice") == picture("p1")
    assert await picture_store.image("p1", "bob") == ("image/png", image_of("p1"))


async def test_delete_by_the_owner_removes_the_picture_its_image_and_its_shares(
    picture_store: PictureStore,
) -> None:
    """After `delete_own`, nothing of the picture remains: a new one with its id starts clean."""
    await add(picture_store, picture("p1"))
    await picture_store.share("p1", "alice", "bob")

    assert await picture_store.delete_own("p1", "alice") is True
    assert await picture_store.get_visible("p1", "alice") is None
    assert await picture_store.image("p1", "alice") is None
    assert await picture_store.delete_own("p1", "alice") is False

    # Adding the id again would fail if the image row were left; the old share must not stick.
    await picture_store.add(picture("p1", content_type="image/gif"), b"GIF89a new")
    assert await picture_store.image("p1", "alice") == ("image/gif", b"GIF89a new")
    assert await picture_store.get_visible("p1", "bob") is None


async def test_sample_returns_distinct_visible_pictures_never_more_than_asked(
    picture_store: PictureStore,
) -> None:
    """A sample holds distinct pictures the viewer may see, at most `count` of them."""
    await add(picture_store, *(picture(f"pub{i}", "vending", "public") for i in range(5)))
    await add(picture_store, *(picture(f"alice{i}") for i in range(3)))
    await add(picture_store, picture("bob-own", "bob"))
    await picture_store.share("alice0", "alice", "bob")
    visible_to_bob = {f"pub{i}" for i in range(5)} | {"alice0", "bob-own"}

    for _ in range(10):
        ids = [p.id for p in await picture_store.sample_visible("bob", 4)]
        assert len(ids) == 4
        assert len(set(ids)) == 4
        assert set(ids) <= visible_to_bob
    everything = [p.id for p in await picture_store.sample_visible("bob", 100)]
    assert sorted(everything) == sorted(visible_to_bob)


async def test_adding_the_catalogue_again_keeps_one_copy_of_each_picture(
    picture_store: PictureStore,
) -> None:
    """`add_catalogue` skips pictures already there, so a partial or full rerun is harmless."""
    items = [(picture(f"cat{i}", "vending", "public"), image_of(f"cat{i}")) for i in range(20)]

    await picture_store.add_catalogue(items[:5])
    await picture_store.add_catalogue(items)
    await picture_store.add_catalogue(items)

    assert await picture_store.catalogue_size("vending") == 20
    assert len(await picture_store.sample_visible("bob", 100)) == 20
    assert await picture_store.image("cat19", "bob") == ("image/png", image_of("cat19"))


async def test_two_replicas_adding_the_catalogue_at_once_keep_one_copy_of_each(
    picture_url: str,
) -> None:
    """Two stores on separate engines loading the catalogue concurrently both succeed."""
    items = [(picture(f"cat{i}", "vending", "public"), image_of(f"cat{i}")) for i in range(100)]
    first, second = await migrated_engine(picture_url), await migrated_engine(picture_url)
    try:
        one, two = SQLPictureStore(first), SQLPictureStore(second)
        await asyncio.gather(one.add_catalogue(items), two.add_catalogue(items))

        assert await one.catalogue_size("vending") == 100
        assert len(await two.sample_visible("bob", 100)) == 100
    finally:
        await first.dispose()
        await second.dispose()


async def test_image_gives_content_type_and_bytes_only_to_those_who_may_see_it(
    picture_store: PictureStore,
) -> None:
    """`image` returns the stored type and bytes when visible, None when hidden or missing."""
    await add(picture_store, picture("p1", content_type="image/webp"))
    await add(picture_store, picture("pub", "carol", "public", "image/jpeg"))

    assert await picture_store.image("p1", "alice") == ("image/webp", image_of("p1"))
    assert await picture_store.image("p1", "bob") is None
    assert await picture_store.image("pub", "bob") == ("image/jpeg", image_of("pub"))
    assert await picture_store.image("missing", "alice") is None


@pytest.fixture
async def sql_store(picture_url: str) -> AsyncIterator[SQLPictureStore]:
    engine = await migrated_engine(picture_url)
    yield SQLPictureStore(engine)
    await engine.dispose()


async def test_every_write_raises_the_version_and_a_refused_one_does_not(
    sql_store: SQLPictureStore,
) -> None:
    """`changes()` moves with each upload, catalogue load, delete, share and unshare, which
    is what lets every replica's `PictureCache` keep what it read until then."""
    store = sql_store
    versions = [await store.changes()]

    await store.add(picture("p1"), image_of("p1"))
    versions.append(await store.changes())
    await store.add_catalogue([(picture("c1", "vending", "public"), image_of("c1"))])
    versions.append(await store.changes())
    assert await store.share("p1", "alice", "bob") is True
    versions.append(await store.changes())
    assert await store.unshare("p1", "alice", "bob") is True
    versions.append(await store.changes())
    assert await store.delete_own("p1", "alice") is True
    versions.append(await store.changes())
    assert versions == sorted(set(versions)), versions

    assert await store.delete_own("p1", "alice") is False
    assert await store.share("c1", "alice", "bob") is False
    assert await store.changes() == versions[-1]


async def test_writes_that_change_nothing_leave_the_version_alone(
    sql_store: SQLPictureStore,
) -> None:
    """A share that exists already, an unshare of nothing: every cache may keep its lists
    (otherwise any writer could make every replica reload on every request)."""
    store = sql_store
    await store.add(picture("p1"), image_of("p1"))
    assert await store.share("p1", "alice", "bob") is True
    version = await store.changes()

    assert await store.share("p1", "alice", "bob") is True
    assert await store.unshare("p1", "alice", "carol") is True
    assert await store.changes() == version


async def test_writes_by_other_code_raise_the_version_too(sql_store: SQLPictureStore) -> None:
    """The version is raised by triggers, so an older replica or an operator's SQL that
    knows nothing of it still makes every cache reload."""
    store = sql_store
    await store.add(picture("p1"), image_of("p1"))
    statements = [
        "INSERT INTO picture_shares (picture_id, username) VALUES ('p1', 'bob')",
        "UPDATE pictures SET title = 'renamed' WHERE id = 'p1'",
        "DELETE FROM picture_shares WHERE picture_id = 'p1'",
    ]
    for statement in statements:
        before = await store.changes()
        async with store.engine.begin() as conn:
            await conn.execute(text(statement))
        assert await store.changes() > before, statement


async def test_a_cache_sees_writes_made_through_another_store_at_once(
    picture_url: str,
) -> None:
    """Two replicas on one database: what one writes, the other's next gallery shows."""
    engines = [await migrated_engine(picture_url) for _ in range(2)]
    try:
        writer, reader = SQLPictureStore(engines[0]), PictureCache(SQLPictureStore(engines[1]))
        await add(writer, picture("pub", "vending", "public"), picture("secret"))

        def seen(pictures: list[Picture]) -> set[str]:
            return {p.id for p in pictures}

        assert seen(await reader.sample_visible("bob", 10)) == {"pub"}
        assert await writer.share("secret", "alice", "bob") is True
        assert seen(await reader.sample_visible("bob", 10)) == {"pub", "secret"}
        await add(writer, picture("pub2", "carol", "public"))
        assert await writer.delete_own("pub", "vending") is True
        assert seen(await reader.sample_visible("bob", 10)) == {"pub2", "secret"}
        assert await writer.unshare("secret", "alice", "bob") is True
        assert seen(await reader.sample_visible("bob", 10)) == {"pub2"}
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.services
async def test_postgres_outage_raises_store_unavailable_then_the_store_recovers() -> None:
    """With PostgreSQL down every call raises `StoreUnavailable`; once back, the store works."""
    with running_postgres() as server:  # this test's own: it stops it
        engine = await migrated_engine(server.create_database("pictures"))
        store = SQLPictureStore(engine)
        try:
            await add(store, picture("p1"))
            stop_postgres(server)

            down = await outcomes(
                {
                    "add": lambda: store.add(picture("p2"), b"x"),
                    "add_catalogue": lambda: store.add_catalogue([(picture("c1"), b"x")]),
                    "catalogue_size": lambda: store.catalogue_size("vending"),
                    "sample_visible": lambda: store.sample_visible("alice", 10),
                    "get_visible": lambda: store.get_visible("p1", "alice"),
                    "image": lambda: store.image("p1", "alice"),
                    "delete_own": lambda: store.delete_own("p1", "alice"),
                    "share": lambda: store.share("p1", "alice", "bob"),
                    "unshare": lambda: store.unshare("p1", "alice", "bob"),
                }
            )
            assert down == dict.fromkeys(down, UNAVAILABLE)
            assert await store.ready() is False

            server.start()
            assert await recovered(lambda: store.get_visible("p1", "alice")) == picture("p1")
            assert await store.share("p1", "alice", "bob") is True
            assert await store.ready() is True
        finally:
            await engine.dispose()
