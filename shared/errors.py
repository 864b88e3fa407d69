"""The root of every error Lanyard raises on purpose, and the kinds they come in.

Errors carry data, never an HTTP status: a domain error says *what* went wrong (a value
broke a rule, a thing is not there, a store is away) and each app's problem table
(`shared.web.problems`) says what that becomes on the wire. `detail` is a sentence of the
code's own, safe to show a client; it never holds the client's input or a secret.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "InvalidInput",
    "LanyardError",
    "NotFound",
    "StoreUnavailable",
    "Unavailable",
]


class LanyardError(Exception):
    """Root of every error Lanyard raises on purpose; `detail` is safe to show a client."""

    detail = "something went wrong"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail:
            self.detail = detail


class InvalidInput(LanyardError):
    """A value the caller sent breaks a rule (a name, a title, a count)."""

    detail = "a value is invalid"


class NotFound(LanyardError):
    """No such thing, or one the caller may not see (the two are told apart by nobody)."""

    detail = "no such thing"


class Conflict(LanyardError):
    """The thing already exists."""

    detail = "that already exists"


class Unavailable(LanyardError):
    """Something this request needs is away for now; `retry_after` seconds is a fair wait."""

    detail = "a dependency is unavailable; try again shortly"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class StoreUnavailable(Unavailable):
    """A store this request needs did not answer; nothing was written. Try again shortly.

    Raised by store adapters (`shared.stores.failures.store_call`) for connection-level
    failures; the domain sees it without knowing which database or client is behind it.
    """

    def __init__(self, store: str, *, retry_after: int = 5) -> None:
        super().__init__(f"the {store} is unavailable; try again shortly", retry_after=retry_after)
        self.store = store
