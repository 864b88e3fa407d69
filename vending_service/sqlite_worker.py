"""One thread that owns a SQLite connection and runs the hot statements in batches.

Through SQLAlchemy and aiosqlite one statement costs several thread hops (connection
checkout, execute, fetch, close): about 0.3-0.5 ms, and more under load, for work SQLite
does in 10-20 µs. Here a statement is one hop. The event loop queues a function of the
connection; the thread takes everything queued since it last looked, runs the reads, then
the writes together in one transaction (a group commit), and wakes the loop once per batch.

Jobs in one batch were all queued while the thread was busy, so none of them waited for
another: running them in any order is as correct as the order they arrived in. A write
batch that fails is rolled back whole and its jobs are run again one transaction each, so
that one bad job fails alone; a commit that fails fails its jobs and writes nothing.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

__all__ = ["SQLiteWorker", "sqlite_file"]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and in-memory ones."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


@dataclass(slots=True)
class _Call:
    job: Job
    write: bool
    future: asyncio.Future[Any]
    ok: bool = False
    result: Any = None


_STOP = object()


class SQLiteWorker:
    """Runs `read` and `write` jobs on its own connection to `path`, off the event loop."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._queue: queue.SimpleQueue[_Call | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        """How many batches the thread has run (tests read it; so may a metric one day)."""

    def start(self) -> None:
        """Start the thread; it opens its connection on the first job."""
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._run, name="sqlite-worker", daemon=True)
            self._thread.start()

    async def aclose(self) -> None:
        """Finish the jobs already queued, close the connection and end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(thread.join)

    async def read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """`job(connection)` outside any transaction; each statement sees the latest commit."""
        return await self._submit(job, write=False)

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """`job(connection)` inside a write transaction that commits before this returns."""
        return await self._submit(job, write=True)

    async def _submit(self, job: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        if self._thread is None or self._loop is None:
            raise sqlite3.OperationalError("the SQLite worker is not running")
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Call(job, write, future))
        return await future

    # --- the worker thread

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while True:
                first = self._queue.get()
                batch: list[_Call] = []
                stop = first is _STOP
                if isinstance(first, _Call):
                    batch.append(first)
                while not stop:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(item, _Call):
                        batch.append(item)
                    else:
                        stop = True
                if batch:
                    connection = self._run_batch(connection, batch)
                if stop:
                    return
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=True
        )
        # The same settings as the SQLAlchemy engine's connections (shared/db.py).
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        return connection

    def _run_batch(
        self, connection: sqlite3.Connection | None, batch: list[_Call]
    ) -> sqlite3.Connection | None:
        self.batches += 1
        try:
            if connection is None:
                connection = self._connect()
        except Exception as exc:  # noqa: BLE001 - every job of the batch gets the failure
            for call in batch:
                call.ok, call.result = False, exc
        else:
            writes = []
            for call in batch:
                if call.write:
                    writes.append(call)
                else:
                    _attempt(call, connection)
            if writes:
                _write_together(connection, writes)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(_settle, batch)
        return connection


def _attempt(call: _Call, connection: sqlite3.Connection) -> None:
    try:
        call.ok, call.result = True, call.job(connection)
    except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
        call.ok, call.result = False, exc


def _transaction(connection: sqlite3.Connection, calls: list[_Call]) -> None:
    """Run `calls` in one write transaction; on any failure roll back and raise."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for call in calls:
            call.result = call.job(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    for call in calls:
        call.ok = True


def _write_together(connection: sqlite3.Connection, calls: list[_Call]) -> None:
    try:
        _transaction(connection, calls)
        return
    except Exception as exc:  # noqa: BLE001 - retried one by one, or handed to the caller
        if len(calls) == 1:
            calls[0].ok, calls[0].result = False, exc
            return
    for call in calls:
        try:
            _transaction(connection, [call])
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
            call.ok, call.result = False, exc


def _settle(batch: list[_Call]) -> None:
    """On the event loop: hand each caller its result or its exception."""
    for call in batch:
        if call.future.done():  # the caller was cancelled
            continue
        if call.ok:
            call.future.set_result(call.result)
        else:
            call.future.set_exception(call.result)
