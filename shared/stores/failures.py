"""What both services do when a store (database, Redis) cannot be reached.

Adapters wrap their methods with `store_call`, which turns connection-level failures into
`StoreUnavailable` (an `Unavailable`: 503 with `Retry-After` at the edge). Errors about the
data itself (a unique key taken, say) pass through untouched.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from shared.errors import StoreUnavailable

__all__ = ["RETRY_AFTER", "StoreUnavailable", "is_unavailable", "store_call"]

P = ParamSpec("P")
T = TypeVar("T")
RETRY_AFTER = 5
log = logging.getLogger("lanyard.stores")


# SQLSTATE classes that say the server is away, not that the statement is wrong: 08
# connection exception, 53 insufficient resources, 57 operator intervention ("the database
# system is shutting down"). asyncpg's errors reach SQLAlchemy as plain DBAPIErrors.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57")


def is_unavailable(exc: BaseException) -> bool:
    """True for failures of the connection, not of the statement or the data."""
    if isinstance(exc, sa_errors.DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return (
            exc.connection_invalidated
            or isinstance(exc, sa_errors.OperationalError | sa_errors.InterfaceError)
            or (isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES))
        )
    return isinstance(
        exc,
        # Raw sqlite3 (the vending SQLite worker): locked, busy or unreadable database files.
        sqlite3.OperationalError
        | sa_errors.DisconnectionError
        | sa_errors.TimeoutError
        | redis_errors.ConnectionError
        | redis_errors.TimeoutError
        | redis_errors.BusyLoadingError
        | redis_errors.ReadOnlyError
        | OSError
        | TimeoutError,
    )


def store_call(
    store: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Decorate an adapter method: connection failures become `StoreUnavailable(store)`."""

    def decorate(
        method: Callable[P, Coroutine[Any, Any, T]],
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(method)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await method(*args, **kwargs)
            except Exception as exc:
                if is_unavailable(exc):
                    log.warning("%s unavailable: %s", store, type(exc).__name__)
                    raise StoreUnavailable(store, retry_after=RETRY_AFTER) from exc
                raise

        return wrapper

    return decorate
