"""The hashing queue: bounded work at once, logins before registrations, a bounded wait."""

from __future__ import annotations

import asyncio
import threading

import pytest

from auth_service.hashing import HashingBusy, HashQueue, Priority
from tests.support.waits import eventually


class Gate:
    """Work that blocks in its worker thread until the gate opens, recording the order."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.done: list[str] = []

    def work(self, name: str) -> str:
        assert self.opened.wait(10)
        self.done.append(name)
        return name


async def waiting(queue: HashQueue, count: int) -> None:
    async def probe() -> bool:
        return queue.waiting() == count

    await eventually(probe, 5, f"{count} waiting")


async def test_a_waiting_login_goes_before_every_waiting_registration() -> None:
    """With the one worker busy, a login queued after three registrations runs first."""
    queue, gate = HashQueue(workers=1, limit=10), Gate()
    busy = asyncio.create_task(queue.run(Priority.REGISTER, gate.work, "busy"))

    async def taken() -> bool:
        return queue.running() == 1

    await eventually(taken, 5, "the worker taken")
    tasks = [
        asyncio.create_task(queue.run(Priority.REGISTER, gate.work, f"register-{i}"))
        for i in range(3)
    ]
    await waiting(queue, 3)
    tasks.append(asyncio.create_task(queue.run(Priority.LOGIN, gate.work, "login")))
    await waiting(queue, 4)
    gate.opened.set()
    await asyncio.gather(busy, *tasks)
    assert gate.done == ["busy", "login", "register-0", "register-1", "register-2"]


async def test_a_full_queue_refuses_registrations_at_once_but_still_takes_logins() -> None:
    """With `limit` registrations waiting, the next one is `HashingBusy` (503 with
    Retry-After) without waiting; a login is still queued, and runs."""
    queue, gate = HashQueue(workers=1, limit=2), Gate()
    tasks = [
        asyncio.create_task(queue.run(Priority.REGISTER, gate.work, f"register-{i}"))
        for i in range(3)
    ]
    await waiting(queue, 2)
    with pytest.raises(HashingBusy) as refused:
        await queue.run(Priority.REGISTER, gate.work, "one too many")
    assert refused.value.retry_after >= 1
    login = asyncio.create_task(queue.run(Priority.LOGIN, gate.work, "login"))
    await waiting(queue, 3)
    gate.opened.set()
    assert await login == "login"
    await asyncio.gather(*tasks)
    assert "one too many" not in gate.done


async def test_logins_are_refused_only_when_limit_logins_wait() -> None:
    """The bound holds for logins too, counted among logins alone."""
    queue, gate = HashQueue(workers=1, limit=1), Gate()
    busy = asyncio.create_task(queue.run(Priority.LOGIN, gate.work, "busy"))
    queued = asyncio.create_task(queue.run(Priority.LOGIN, gate.work, "queued"))
    await waiting(queue, 1)
    with pytest.raises(HashingBusy):
        await queue.run(Priority.LOGIN, gate.work, "refused")
    gate.opened.set()
    await asyncio.gather(busy, queued)


async def test_a_caller_that_goes_away_leaves_the_line_and_frees_no_extra_worker() -> None:
    """A cancelled waiter is removed; the worker count stays exact afterwards."""
    queue, gate = HashQueue(workers=1, limit=5), Gate()
    busy = asyncio.create_task(queue.run(Priority.REGISTER, gate.work, "busy"))
    gone = asyncio.create_task(queue.run(Priority.REGISTER, gate.work, "gone"))
    await waiting(queue, 1)
    gone.cancel()
    await waiting(queue, 0)
    gate.opened.set()
    await busy
    assert await queue.run(Priority.LOGIN, gate.work, "after") == "after"
    assert gate.done == ["busy", "after"]
    assert queue.waiting() == 0


async def test_registrations_leave_one_worker_for_logins() -> None:
    """With two workers and registrations waiting, only one registration runs at a time: a
    login starts at once on the worker kept for logins, and finishes while they wait."""
    queue, gate = HashQueue(workers=2, limit=10), Gate()
    registrations = [
        asyncio.create_task(queue.run(Priority.REGISTER, gate.work, f"register-{i}"))
        for i in range(3)
    ]
    await waiting(queue, 2)
    assert queue.running(Priority.REGISTER) == 1
    fast = Gate()
    fast.opened.set()
    assert await queue.run(Priority.LOGIN, fast.work, "login") == "login"
    assert queue.running(Priority.REGISTER) == 1
    gate.opened.set()
    await asyncio.gather(*registrations)
    assert queue.running() == 0
