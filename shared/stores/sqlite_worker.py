"""One thread that owns a SQLite connection and runs the hot statements in batches.

Through SQLAlchemy and aiosqlite one statement costs several thread hops (connection
checkout, execute, fetch, close), many times the work SQLite does for it. Here a statement
is one hop, and statements queued while the thread is busy go together (a `Batcher`): the
reads run one after another, the writes in one transaction (a group commit). What this buys
is measured in docs/benchmarks.md.

Jobs in one batch were all queued while the thread was busy, so none of them waited for
another: running them in any order is as correct as the order they arrived in. A write
batch that fails is rolled back whole and its jobs are run again one transaction each, so
that one bad job fails alone; a commit that fails fails its jobs and writes nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from shared.stores.batcher import Batcher, Outcome

__all__ = ["SQLiteWorker", "sqlite_file"]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and in-memory ones."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


@dataclass(frozen=True, slots=True)
class _Call:
    job: Job
    write: bool


class SQLiteWorker:
    """Runs `read` and `write` jobs on its own connection to `path`, off the event loop."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-worker")
        self._connection: sqlite3.Connection | None = None  # the thread's alone
        self._batcher: Batcher[_Call, Any] = Batcher(self._flush)
        self._closed = False

    @property
    def batches(self) -> int:
        """How many batches the thread has run."""
        return self._batcher.round_trips

    async def read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """`job(connection)` outside any transaction; each statement sees the latest commit."""
        result: T = await self._submit(_Call(job, write=False))
        return result

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """`job(connection)` inside a write transaction that commits before this returns."""
        result: T = await self._submit(_Call(job, write=True))
        return result

    async def _submit(self, call: _Call) -> Any:
        if self._closed:
            raise sqlite3.OperationalError("the SQLite worker is closed")
        return await self._batcher.submit(call)

    async def aclose(self) -> None:
        """Finish the jobs already queued, close the connection and end the thread."""
        if self._closed:
            return
        self._closed = True
        await self._batcher.aclose()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._disconnect)
        await asyncio.to_thread(self._thread.shutdown)

    async def _flush(self, calls: list[_Call]) -> list[Outcome[Any]]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, calls)

    # --- on the worker thread

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=True
            )
            # The same settings as the SQLAlchemy engine's connections (shared/stores/db.py).
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            self._connection = connection
        return self._connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _run(self, calls: list[_Call]) -> list[Outcome[Any]]:
        try:
            connection = self._connect()
        except Exception as exc:  # noqa: BLE001 - every job of the batch gets the failure
            return [exc] * len(calls)
        outcomes: list[Outcome[Any]] = [None] * len(calls)
        writes = []
        for index, call in enumerate(calls):
            if call.write:
                writes.append(index)
            else:
                outcomes[index] = _attempt(call.job, connection)
        if writes:
            for index, outcome in zip(
                writes, _write_together(connection, [calls[i].job for i in writes]), strict=True
            ):
                outcomes[index] = outcome
        return outcomes


def _attempt(job: Job, connection: sqlite3.Connection) -> Outcome[Any]:
    try:
        result: Any = job(connection)
    except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
        return exc
    return result


def _transaction(connection: sqlite3.Connection, jobs: list[Job]) -> list[Any]:
    """Run `jobs` in one write transaction; on any failure roll back and raise."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        results = [job(connection) for job in jobs]
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return results


def _write_together(connection: sqlite3.Connection, jobs: list[Job]) -> list[Outcome[Any]]:
    try:
        return list(_transaction(connection, jobs))
    except Exception as exc:  # noqa: BLE001 - retried one by one, or handed to the caller
        if len(jobs) == 1:
            return [exc]
    outcomes: list[Outcome[Any]] = []
    for job in jobs:
        try:
            outcomes.extend(_transaction(connection, [job]))
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
            outcomes.append(exc)
    return outcomes
