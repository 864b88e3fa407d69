"""Password hashing: argon2id with OWASP's parameters, off the event loop, no timing leak."""

from __future__ import annotations

import threading

import pytest

from auth_service.errors import PasswordPolicyError
from auth_service.passwords import Passwords


class SpyPasswords(Passwords):
    """Records which hash each check ran against, and on which thread."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.checked: list[tuple[str, int]] = []

    def _check(self, stored_hash: str, password: str) -> bool:
        self.checked.append((stored_hash, threading.get_ident()))
        return super()._check(stored_hash, password)


@pytest.fixture(scope="module")
def owasp() -> Passwords:
    return Passwords()


async def test_default_hash_is_argon2id_with_owasp_parameters(owasp: Passwords) -> None:
    """The default hash is argon2id, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet)."""
    stored = await owasp.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "correct horse battery" not in stored


async def test_unknown_user_costs_a_full_check_against_a_same_cost_hash() -> None:
    """With no stored hash, a real argon2id check still runs, with the same parameters."""
    spy = SpyPasswords(time_cost=1, memory_cost=64, parallelism=1)
    real = await spy.hash("correct horse battery")
    assert not await spy.verify(None, "correct horse battery")
    assert not await spy.verify(real, "wrong horse battery")
    (dummy, _), (wrong, _) = spy.checked
    assert wrong == real
    assert dummy.split("$")[1:4] == real.split("$")[1:4]  # same variant, version, costs


async def test_checks_run_off_the_event_loop_thread() -> None:
    """Hashing happens in a worker thread, never on the loop's thread."""
    spy = SpyPasswords(time_cost=1, memory_cost=64, parallelism=1)
    await spy.verify(None, "correct horse battery")
    assert spy.checked[0][1] != threading.get_ident()


async def test_a_password_outside_the_length_rules_never_verifies() -> None:
    """Even a stored hash of its first 1024 characters does not accept a longer password."""
    fast = Passwords(time_cost=1, memory_cost=64, parallelism=1)
    stored = await fast.hash("x" * 1024)
    assert await fast.verify(stored, "x" * 1024)
    assert not await fast.verify(stored, "x" * 1025)
    with pytest.raises(PasswordPolicyError):
        await fast.hash("short")


async def test_a_hash_with_old_parameters_needs_rehashing(owasp: Passwords) -> None:
    """Hashes made with weaker parameters are flagged for upgrade at the next login."""
    weak = await Passwords(time_cost=1, memory_cost=64, parallelism=1).hash("correct horse")
    assert owasp.needs_rehash(weak)
    assert not owasp.needs_rehash(await owasp.hash("correct horse"))
