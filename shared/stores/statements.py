"""Running SQLAlchemy statements: through the engine, or through the SQLite worker thread.

A store that wants a statement's rows asks a `Statements` (`shared.stores.port`); it does
not care how they come.
`EngineStatements` is the plain way (SQLite or PostgreSQL, through SQLAlchemy's pool).
`WorkerStatements` is the embedded default's fast path: the same statement, compiled once to
SQLite's text, run by the `SQLiteWorker` in one thread hop (and writes grouped into one
commit). One definition of each query serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from shared.stores.port import Row
from shared.stores.sqlite_worker import SQLiteWorker

__all__ = ["EngineStatements", "WorkerStatements"]

_SQLITE = sqlite.dialect(paramstyle="named")


class EngineStatements:
    """`Statements` through an SQLAlchemy engine: one pooled connection per statement."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def read(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        async with self.engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(statement, dict(params))).all()]

    async def write(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        async with self.engine.begin() as conn:
            result = await conn.execute(statement, dict(params))
            return [tuple(row) for row in result.all()] if result.returns_rows else []


class WorkerStatements:
    """`Statements` through a `SQLiteWorker`: each statement compiled once to SQLite text."""

    def __init__(self, worker: SQLiteWorker) -> None:
        self.worker = worker
        self._compiled: dict[int, tuple[Executable, str, dict[str, Any]]] = {}

    def _sql(self, statement: Executable, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The statement's SQLite text, and its parameters (literals in it included)."""
        # Keyed by identity, with the statement kept alive beside its text: stores pass
        # the same few module-level statements every time.
        found = self._compiled.get(id(statement))
        if found is None or found[0] is not statement:
            compiled = statement.compile(dialect=_SQLITE)  # type: ignore[attr-defined]
            found = (statement, str(compiled), dict(compiled.params))
            self._compiled[id(statement)] = found
        _, sql, literals = found
        return sql, {**literals, **params}

    async def read(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        sql, values = self._sql(statement, params)
        return await self.worker.read(lambda db: db.execute(sql, values).fetchall())

    async def write(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        sql, values = self._sql(statement, params)
        return await self.worker.write(lambda db: db.execute(sql, values).fetchall())
