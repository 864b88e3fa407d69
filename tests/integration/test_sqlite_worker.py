"""The SQLite worker thread and what runs on it (through `WorkerStatements`): quota charges
and the per-request reads, each agreeing with the same statements run through the engine."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.errors import StoreUnavailable
from shared.stores.db import create_engine
from shared.stores.migrations import migrate
from shared.stores.sqlite_worker import SQLiteWorker, sqlite_file
from shared.stores.statements import WorkerStatements
from vending_service.app import MIGRATIONS
from vending_service.pictures import Picture
from vending_service.pictures.sql import SQLPictureStore
from vending_service.quotas import Quota, QuotaExceeded, quota_day
from vending_service.quotas.sql import SQLQuotaStore

NOW = time.time()
LIMIT = 300


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated vending database in a SQLite file."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/vending.db")
    await migrate(engine, MIGRATIONS, "alembic_version_vending")
    yield engine
    await engine.dispose()


@pytest.fixture
async def worker(tmp_path: Path, engine: AsyncEngine) -> AsyncIterator[SQLiteWorker]:
    worker = SQLiteWorker(tmp_path / "vending.db")
    yield worker
    await worker.aclose()


def test_only_sqlite_files_get_a_worker() -> None:
    """A SQLite file has a path for the worker; memory and PostgreSQL databases have none."""
    assert sqlite_file("sqlite+aiosqlite:///data/vending.db") == Path("data/vending.db")
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://u:p@db:5432/vending") is None


def insert(subject: str, day: str = "d") -> Callable[[sqlite3.Connection], object]:
    """A write job: one quota row."""
    return lambda db: db.execute("INSERT INTO quota_usage VALUES (?, ?, 1)", (subject, day))


async def test_concurrent_writes_all_land_in_fewer_transactions(worker: SQLiteWorker) -> None:
    """Fifty writes queued while the worker is busy are committed together, every one kept."""
    started, gate = threading.Event(), threading.Event()

    def hold(db: sqlite3.Connection) -> None:
        started.set()
        gate.wait(10)

    blocker = asyncio.ensure_future(worker.write(hold))
    assert await asyncio.to_thread(started.wait, 10)
    writes = asyncio.gather(*(worker.write(insert("alice", f"day-{day}")) for day in range(50)))
    await asyncio.sleep(0)  # let each write put its job on the queue; the worker is held
    before = worker.batches
    gate.set()
    await blocker
    await writes

    count = await worker.read(lambda db: db.execute("SELECT count(*) FROM quota_usage").fetchall())
    assert count == [(50,)]
    assert worker.batches - before <= 3  # the held batch, then the fifty together (+ the read)


async def test_a_failing_write_fails_alone_and_the_others_commit(worker: SQLiteWorker) -> None:
    """One job breaking a constraint gets its error; the jobs batched with it still commit."""
    await worker.write(insert("taken"))
    outcomes = await asyncio.gather(
        *(worker.write(insert(s)) for s in ["a", "taken", "b", "c"]), return_exceptions=True
    )

    assert isinstance(outcomes[1], sqlite3.IntegrityError)
    rows = await worker.read(lambda db: db.execute("SELECT subject FROM quota_usage").fetchall())
    assert sorted(r[0] for r in rows) == ["a", "b", "c", "taken"]


async def test_reads_see_what_other_connections_committed(
    worker: SQLiteWorker, tmp_path: Path
) -> None:
    """The worker's reads start from the latest commit of any connection to the file."""
    with closing(sqlite3.connect(tmp_path / "vending.db")) as other:
        other.execute("INSERT INTO quota_usage VALUES ('bob', 'd', 7)")
        other.commit()

    rows = await worker.read(lambda db: db.execute("SELECT used FROM quota_usage").fetchall())
    assert rows == [(7,)]


async def test_a_closed_worker_refuses_work_as_an_operational_error(tmp_path: Path) -> None:
    """After `aclose` every job fails the way an unreachable database does."""
    worker = SQLiteWorker(tmp_path / "vending.db")
    await worker.read(lambda db: db.execute("SELECT 1").fetchall())
    await worker.aclose()

    with pytest.raises(sqlite3.OperationalError):
        await worker.read(lambda db: db.execute("SELECT 1").fetchall())


async def test_quota_charges_fill_exactly_to_the_limit_under_concurrency(
    worker: SQLiteWorker,
) -> None:
    """At 250 of 300, 50 concurrent charges of 10: five succeed, 45 are refused."""
    store = SQLQuotaStore(WorkerStatements(worker))
    await store.charge("alice", 250, LIMIT, NOW)

    results = await asyncio.gather(
        *(store.charge("alice", 10, LIMIT, NOW) for _ in range(50)), return_exceptions=True
    )

    assert sorted(r.used for r in results if isinstance(r, Quota)) == [260, 270, 280, 290, 300]
    assert sum(isinstance(r, QuotaExceeded) for r in results) == 45
    assert await store.usage("alice", LIMIT, NOW) == Quota(LIMIT, LIMIT, quota_day(NOW)[1])


async def test_a_locked_database_is_unavailable_and_charges_nothing(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    """While another connection holds the write lock past the busy timeout, a charge is
    `StoreUnavailable` (503) and writes nothing; once the lock goes, charges work again."""
    worker = SQLiteWorker(tmp_path / "vending.db", busy_timeout=0.05)
    store = SQLQuotaStore(WorkerStatements(worker))
    try:
        with closing(sqlite3.connect(tmp_path / "vending.db", isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreUnavailable):
                await store.charge("alice", 1, LIMIT, NOW)
            holder.execute("ROLLBACK")

        assert (await store.charge("alice", 2, LIMIT, NOW)).used == 2
    finally:
        await worker.aclose()


def picture(picture_id: str, owner: str, visibility: str) -> Picture:
    return Picture(picture_id, f"cat {picture_id}", owner, visibility, "image/png", 8, 8, NOW)


async def test_per_request_reads_agree_through_worker_and_engine(
    engine: AsyncEngine, worker: SQLiteWorker
) -> None:
    """`personal` and `changes` through the worker (the statements compiled to SQLite's
    text) answer exactly what they do through the engine."""
    plain = SQLPictureStore(engine)
    fast = SQLPictureStore(engine, hot=WorkerStatements(worker))
    for item in [
        picture("pub", "vending", "public"),
        picture("own-public", "bob", "public"),
        picture("own-private", "bob", "private"),
        picture("shared", "alice", "private"),
        picture("hidden", "alice", "private"),
        picture("self-shared", "bob", "private"),
    ]:
        await plain.add(item, b"png")
    await plain.share("shared", "alice", "bob")
    await plain.share("self-shared", "bob", "bob")

    personal = await fast.personal("bob")

    assert sorted(p.id for p in personal) == ["own-private", "self-shared", "shared"]
    assert sorted(personal, key=lambda p: p.id) == sorted(
        await plain.personal("bob"), key=lambda p: p.id
    )
    assert await fast.changes() == await plain.changes() == 8
