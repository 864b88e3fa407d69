"""Password hashing with argon2id, off the event loop, with no user-existence timing leak.

Every hash goes through one `HashQueue`: a bounded number at a time, logins before
registrations, and a bounded wait (`HashingBusy` beyond it)."""

from __future__ import annotations

import secrets
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth_service.errors import PasswordPolicyError
from auth_service.hashing import HashQueue, Priority

__all__ = ["OWASP_PARAMETERS", "Passwords", "normalise"]

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
OWASP_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
MIN_LENGTH = 8
MAX_LENGTH = 1024


def normalise(password: str) -> str:
    """NFKC, as NIST SP 800-63B advises, so one password typed two ways is one password."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise PasswordPolicyError()
    return unicodedata.normalize("NFKC", password)


class Passwords:
    """Hashes and checks passwords in worker threads, `concurrency` at a time, with at most
    `queue_limit` waiting (logins go first: see `HashQueue`)."""

    def __init__(
        self,
        *,
        concurrency: int = 4,
        queue_limit: int = 64,
        time_cost: int = OWASP_PARAMETERS["time_cost"],
        memory_cost: int = OWASP_PARAMETERS["memory_cost"],
        parallelism: int = OWASP_PARAMETERS["parallelism"],
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=Type.ID,
        )
        # Each hash holds memory_cost KiB: bound how many run at once, and how many wait.
        self.queue = HashQueue(workers=concurrency, limit=queue_limit)
        # Checked when the user does not exist, so that answer costs what a wrong one does.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))

    async def hash(self, password: str, *, priority: Priority = Priority.REGISTER) -> str:
        """The argon2id hash of `password` (a new account's, unless `priority` says a
        login's rehash)."""
        normalised = normalise(password)
        return await self.queue.run(priority, self._hasher.hash, normalised)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if `password` matches; with no stored hash, spend the same time and say False.
        A login's check: it goes before waiting registrations."""
        try:
            normalised, acceptable = normalise(password), True
        except PasswordPolicyError:
            # Still spend a hash, but never accept: the first 1024 characters of a longer
            # password are not the password.
            normalised, acceptable = password[:MAX_LENGTH], False
        target = stored_hash if stored_hash is not None else self._dummy_hash
        ok = await self.queue.run(Priority.LOGIN, self._check, target, normalised)
        return ok and acceptable and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)

    def _check(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
