"""What can go wrong at the booth, as data: no HTTP status here (views.py maps them)."""

from __future__ import annotations

from shared.errors import Conflict, InvalidInput, LanyardError

__all__ = [
    "InvalidCredentials",
    "InvalidRefreshToken",
    "InvalidScope",
    "PasswordPolicyError",
    "Throttled",
    "TooManyRegistrations",
    "UsernameTaken",
]


class InvalidCredentials(LanyardError):
    """Unknown user or wrong password: deliberately one error for both on the wire.
    `username` names the account a wrong password was for (None: no such account)."""

    detail = "invalid username or password"

    def __init__(self, username: str | None = None) -> None:
        super().__init__()
        self.username = username


class InvalidRefreshToken(LanyardError):
    """The refresh token is unknown, expired, spent or revoked."""

    detail = "the refresh token is invalid or expired"


class InvalidScope(LanyardError):
    """A scope was asked for that the user (or the refresh chain) was never granted."""

    detail = "the requested scope is invalid, unknown or more than was granted"


class Throttled(LanyardError):
    """Too many failed logins for this username or address; `retry_after` in seconds."""

    detail = "too many failed logins; try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class TooManyRegistrations(Throttled):
    """This client address has used its registrations for now (`REGISTER_PER_ADDRESS` an
    hour); `retry_after` in seconds."""

    detail = "too many registrations from this address; try again later"


class UsernameTaken(Conflict):
    """A user with this canonical username already exists (or the name is reserved)."""

    detail = "that username is taken"


class PasswordPolicyError(InvalidInput):
    """The password is shorter than 8 or longer than 1024 characters."""

    detail = "password must be 8 to 1024 characters"
