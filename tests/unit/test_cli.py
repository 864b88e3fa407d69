"""`freeze_after_startup`: the collector is set aside once, when startup completes."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from shared.web.cli import freeze_after_startup


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
