"""`Statements`: the seam between a SQL store and how its statements reach the database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the port only names the statement type; it runs nothing
    from sqlalchemy.sql import Executable

__all__ = ["Row", "Statements"]

Row = tuple[Any, ...]


class Statements(Protocol):
    """Runs one statement with named parameters and hands back its rows as tuples."""

    async def read(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        """Rows of a statement run outside a write transaction."""
        ...

    async def write(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        """Rows (RETURNING) of a statement run in a transaction that commits before this
        returns."""
        ...
