"""Which failures count as a store being away (503), and which are the request's own."""

from __future__ import annotations

import sqlite3

import pytest
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from shared.errors import StoreUnavailable
from shared.stores.failures import is_unavailable, store_call
from shared.web.problems import COMMON_PROBLEMS, problem_for


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str) -> sa_errors.DBAPIError:
    return sa_errors.DBAPIError("SELECT 1", None, _Orig(sqlstate))


@pytest.mark.parametrize(
    "exc",
    [
        sa_errors.OperationalError("SELECT 1", None, Exception("gone")),
        sa_errors.InterfaceError("SELECT 1", None, Exception("closed")),
        _dbapi("57P03"),  # the database system is shutting down
        _dbapi("08006"),  # connection failure
        _dbapi("53300"),  # too many connections
        ConnectionRefusedError(),
        TimeoutError(),
        redis_errors.ConnectionError(),
        redis_errors.TimeoutError(),
        sqlite3.OperationalError("database is locked"),  # raw sqlite3: the vending worker
    ],
)
def test_connection_failures_are_unavailable(exc: Exception) -> None:
    """Connection-level failures mean the store is away."""
    assert is_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        sa_errors.IntegrityError("INSERT", None, Exception("duplicate key")),
        _dbapi("23505"),  # unique violation
        _dbapi("42P01"),  # undefined table
        ValueError("bad data"),
        redis_errors.ResponseError("WRONGTYPE"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
    ],
)
def test_statement_and_data_errors_are_not_unavailable(exc: Exception) -> None:
    """Errors about the statement or the data pass through as they are."""
    assert not is_unavailable(exc)


async def test_store_call_turns_outages_into_store_unavailable() -> None:
    """A decorated method raises StoreUnavailable (503, Retry-After) when its store is away."""

    @store_call("test store")
    async def broken() -> None:
        raise ConnectionRefusedError

    with pytest.raises(StoreUnavailable) as caught:
        await broken()
    problem = problem_for(COMMON_PROBLEMS, caught.value)
    assert problem is not None
    assert problem.status == 503
    assert caught.value.retry_after == 5
    assert problem.response(caught.value).headers["Retry-After"] == "5"
    assert "test store" in str(caught.value.detail)


async def test_store_call_lets_data_errors_through() -> None:
    """A decorated method's own errors are not disguised as outages."""

    @store_call("test store")
    async def duplicate() -> None:
        raise sa_errors.IntegrityError("INSERT", None, Exception("duplicate"))

    with pytest.raises(sa_errors.IntegrityError):
        await duplicate()
