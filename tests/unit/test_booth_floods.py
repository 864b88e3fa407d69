"""The booth's rules under floods: a full hashing queue is an outage, not a failure."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.hashing import HashingBusy
from auth_service.passwords import Passwords
from tests.support.booth import memory_booth
from tests.support.clock import FakeClock

PASSWORD = "correct horse battery"


class BusyPasswords(Passwords):
    """Cheap argon2 whose checks find the queue full while `busy` is set."""

    busy = False

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        if self.busy:
            raise HashingBusy()
        return await super().verify(stored_hash, password)


async def test_logins_refused_by_a_full_hashing_queue_count_no_failure(
    clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Ten logins answered `HashingBusy` (503) lock neither the name nor the address: the
    right password works as soon as the queue has room."""
    passwords = BusyPasswords(time_cost=1, memory_cost=8, parallelism=1)
    booth = (await memory_booth(passwords, clock, rsa_key)).booth
    await booth.register("bruce", PASSWORD)
    passwords.busy = True
    for _ in range(10):
        with pytest.raises(HashingBusy):
            await booth.login("bruce", "wrong password", "198.51.100.7")
    passwords.busy = False
    assert (await booth.login("bruce", PASSWORD, "198.51.100.7")).access_token
