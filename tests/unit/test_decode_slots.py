"""`DecodeSlots`: at most `concurrency` decodes run at once; past the queue, a 503 error."""

from __future__ import annotations

import threading

import anyio
import pytest

from tests.support.waits import eventually
from vending_service.errors import DecodersBusy
from vending_service.pictures.decoding import DecodeSlots


async def test_no_more_than_the_concurrency_run_at_once_and_the_rest_wait() -> None:
    """Five decodes through two slots: two run, three wait, all finish once let go."""
    slots = DecodeSlots(concurrency=2, queue=8)
    release = threading.Event()
    lock = threading.Lock()
    running, most = 0, 0

    def work() -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(30)
        with lock:
            running -= 1
        return 1

    results: list[int] = []

    async def one() -> None:
        results.append(await slots.run(work))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(one)

        async def two_running() -> bool:
            return running == 2 and slots.admitted == 5

        await eventually(two_running, 10, "two decodes running and three waiting")
        assert most == 2
        release.set()
    assert results == [1] * 5
    assert most == 2
    assert slots.admitted == 0


async def test_past_the_slots_and_the_queue_an_upload_is_refused_at_once() -> None:
    """With one slot and one place in the queue taken, a third decode is `DecodersBusy`
    (503 + Retry-After), and a place frees once one finishes."""
    slots = DecodeSlots(concurrency=1, queue=1)
    release = threading.Event()

    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(slots.run, lambda: release.wait(30))

        async def both_admitted() -> bool:
            return slots.admitted == 2

        await eventually(both_admitted, 10, "two decodes admitted")
        with pytest.raises(DecodersBusy) as refused:
            await slots.run(lambda: True)
        assert refused.value.retry_after > 0
        release.set()
    assert await slots.run(lambda: True) is True
