"""Draining on SIGTERM: not ready at once, still serving, stopping once the delay is over."""

from __future__ import annotations

import signal

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from shared.web.drain import Drain, DrainingServer, unready_while_draining
from tests.support.clock import FakeClock


def _app() -> Starlette:
    async def ok(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/readyz", ok), Route("/cats", ok)])


def _server(delay: float, clock: FakeClock) -> DrainingServer:
    return DrainingServer(uvicorn.Config(_app()), Drain(delay, clock=clock))


def test_a_drain_is_over_only_once_its_delay_has_passed_since_it_began() -> None:
    """Not over before `begin`, nor before the delay; a second `begin` does not restart it."""
    clock = FakeClock()
    drain = Drain(5.0, clock=clock)
    clock.advance(60)
    assert not drain.draining
    assert not drain.over()
    drain.begin()
    clock.advance(4.9)
    drain.begin()
    assert drain.draining
    assert not drain.over()
    clock.advance(0.1)
    assert drain.over()


def test_the_first_sigterm_begins_a_drain_and_the_server_keeps_running() -> None:
    """SIGTERM with a delay: draining, no exit yet; the tick after the delay ends the loop."""
    clock = FakeClock()
    server = _server(5.0, clock)
    server.handle_exit(signal.SIGTERM, None)
    assert server.drain.draining
    assert not server.should_exit


async def test_the_tick_after_the_delay_asks_the_server_to_exit() -> None:
    """uvicorn's main loop is told to stop on the first tick past the delay, not before."""
    clock = FakeClock()
    server = _server(5.0, clock)
    server.handle_exit(signal.SIGTERM, None)
    clock.advance(4.0)
    assert await server.on_tick(1) is False
    clock.advance(1.0)
    assert await server.on_tick(2) is True


@pytest.mark.parametrize(
    ("delay", "signals"),
    [
        (5.0, [signal.SIGTERM, signal.SIGTERM]),
        (5.0, [signal.SIGINT]),
        (0.0, [signal.SIGTERM]),
    ],
    ids=["second-sigterm", "sigint", "no-delay"],
)
def test_a_second_sigterm_sigint_or_no_delay_shuts_down_at_once(
    delay: float, signals: list[signal.Signals]
) -> None:
    """A second SIGTERM, Ctrl-C, or a zero delay: uvicorn's graceful shutdown, now."""
    server = _server(delay, FakeClock())
    for sig in signals:
        server.handle_exit(sig, None)
    assert server.should_exit


@pytest.mark.parametrize("root_path", ["", "/api"])
async def test_readyz_is_503_problem_json_while_draining_and_other_routes_still_serve(
    root_path: str,
) -> None:
    """Before the drain /readyz is the app's; during it 503 problem+json, at the root or
    behind a prefix, while every other route is still served."""
    drain = Drain(5.0, clock=FakeClock())
    transport = httpx.ASGITransport(app=unready_while_draining(_app(), drain), root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        assert (await client.get(f"{root_path}/readyz")).status_code == 200
        drain.begin()
        unready = await client.get(f"{root_path}/readyz")
        assert unready.status_code == 503
        assert unready.headers["content-type"] == "application/problem+json"
        assert unready.json()["status"] == 503
        assert unready.headers["retry-after"] == "5"
        served = await client.get(f"{root_path}/cats")
        assert served.status_code == 200
        assert served.text == "ok"
