"""`freeze_after_startup`: the collector is set aside once, when startup completes, and then
looks at the youngest generation less often."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from shared.web.cli import YOUNG_COLLECTION_THRESHOLD, _freeze, freeze_after_startup


class Recorder:
    """An ASGI app that answers lifespan and HTTP with fixed messages, and records calls."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope["type"])
        if scope["type"] == "lifespan":
            await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        else:
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})


async def drive(app: object, scope_type: str, log: list[str]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        log.append(f"sent {message['type']}")
        sent.append(message)

    assert callable(app)
    await app({"type": scope_type}, receive, send)
    return sent


async def test_freezes_once_before_startup_is_reported_and_passes_all_else_through() -> None:
    """The freeze runs when the app says startup is complete (before uvicorn hears it);
    HTTP requests and other lifespan messages pass untouched."""
    log: list[str] = []
    inner = Recorder()
    app = freeze_after_startup(inner, freeze=lambda: log.append("freeze"))

    lifespan = await drive(app, "lifespan", log)
    http = await drive(app, "http", log)

    assert log[:3] == [
        "freeze",
        "sent lifespan.startup.complete",
        "sent lifespan.shutdown.complete",
    ]
    assert log.count("freeze") == 1
    assert [m["type"] for m in lifespan] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert [m["type"] for m in http] == ["http.response.start", "http.response.body"]
    assert inner.scopes == ["lifespan", "http"]


class Cycle:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_the_freeze_sets_startup_aside_and_raises_the_young_threshold() -> None:
    older = gc.get_threshold()[1:]
    _freeze()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *older)


@pytest.mark.usefixtures("restored_collector")
def test_cycles_are_still_collected_without_being_asked() -> None:
    """Garbage that only the collector frees still reaches the raised threshold."""
    _freeze()
    first = Cycle()
    gone = weakref.ref(first)
    del first
    for _ in range(2 * YOUNG_COLLECTION_THRESHOLD):
        Cycle()  # each leaves its instance and its __dict__ behind, for the collector

    assert gone() is None
