"""The benchmark's profile classifier: each py-spy sample lands in the layer it belongs to."""

from __future__ import annotations

import pytest

from bench.profile import (
    EDGE,
    LOOP,
    OTHER,
    PICTURES,
    PROTOCOL,
    QUOTA,
    ROUTE,
    SENDING,
    SQLITE_THREAD,
    STARLETTE,
    WAITING,
    layer_of_frame,
    layer_of_stack,
    parse_collapsed,
    summarize_profile,
)
from bench.spy import cannot_trace

# What every request's stack starts with in a `python -m vending_service serve` process.
ROOT = [
    "<module> (vending_service/__main__.py:5)",
    "main (vending_service/__main__.py:40)",
    "serve (shared/web/cli.py:120)",
    "Server.run (uvicorn/server.py:86)",
    "asyncio_run (uvicorn/_compat.py:30)",
    "Runner.run (asyncio/runners.py:118)",
]
APP = [
    *ROOT,
    "RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:409)",
    "Edge.__call__ (shared/web/edge.py:120)",
    "BearerAuthentication.__call__ (vending_service/bearer.py:90)",
    "Router.__call__ (starlette/routing.py:700)",
    "cats (vending_service/routes.py:80)",
]


@pytest.mark.parametrize(
    ("frame", "layer"),
    [
        (
            "HttpToolsProtocol.data_received (uvicorn/protocols/http/httptools_impl.py:140)",
            PROTOCOL,
        ),
        ("H11Protocol.handle_events (uvicorn/protocols/http/h11_impl.py:200)", PROTOCOL),
        ("RequestResponseCycle.send (uvicorn/protocols/http/httptools_impl.py:480)", SENDING),
        ("Response.__call__ (starlette/responses.py:160)", SENDING),
        ("ExceptionMiddleware.__call__ (starlette/middleware/exceptions.py:60)", STARLETTE),
        ("Edge.__call__.<locals>.send_with_headers (shared/web/edge.py:130)", EDGE),
        ("TokenVerifier.verify (shared/tokens/verifier.py:200)", EDGE),
        ("verify_bearer (vending_service/bearer.py:60)", EDGE),
        ("SQLQuotaStore.charge (vending_service/quotas/sql.py:59)", QUOTA),
        ("Batcher._send (shared/stores/batcher.py:55)", QUOTA),
        ("RedisQuotaStore.charge (vending_service/quotas/redis.py:80)", QUOTA),
        ("PictureCache.sample_visible (vending_service/pictures/cache.py:120)", PICTURES),
        ("PictureRecords.gallery (vending_service/views.py:130)", PICTURES),
        ("Machine.vend (vending_service/machine.py:70)", ROUTE),
        ("list_cats (/work/lanyard/vending_service/routes.py:90)", ROUTE),
        ("create_app (vending_service/app.py:119)", OTHER),
        ("JSONEncoder.encode (json/encoder.py:200)", None),
        ("Batcher.submit (shared/stores/batcher.py:45)", None),
    ],
)
def test_each_frame_belongs_to_its_layer(frame: str, layer: str | None) -> None:
    """A frame is put in the layer of its file (and, for uvicorn's send, its function);
    the standard library and store plumbing belong to no layer."""
    assert layer_of_frame(frame) == layer


def test_a_frame_of_no_layer_counts_for_its_caller() -> None:
    """JSON encoding under the picture records is the records' time."""
    stack = [*APP, "PictureRecords.gallery (vending_service/views.py:130)"]
    assert layer_of_stack([*stack, "JSONEncoder.encode (json/encoder.py:200)"]) == PICTURES


def test_the_innermost_layer_wins() -> None:
    """A quota charge called from the route is the charge's time, not the route's."""
    stack = [*APP, "SQLQuotaStore.charge (vending_service/quotas/sql.py:59)"]
    assert layer_of_stack([*stack, "Batcher.submit (shared/stores/batcher.py:45)"]) == QUOTA


def test_store_plumbing_read_without_its_callers_is_the_quota_charge() -> None:
    """A coroutine stack cut off above the store plumbing counts as the charge's hand-off;
    a stack of nothing known is other."""
    cut = ["SQLiteWorker._submit (shared/stores/sqlite_worker.py:78)"]
    assert layer_of_stack([*cut, "Batcher.submit (shared/stores/batcher.py:46)"]) == QUOTA
    assert layer_of_stack(["helper (somewhere/else.py:3)"]) == OTHER
    assert layer_of_stack([]) == OTHER


def test_a_sample_with_nothing_inside_the_loop_is_the_loop() -> None:
    """uvicorn's and the service's start-up frames around the loop are not the protocol's."""
    assert layer_of_stack(ROOT) == LOOP
    loop_only = [*ROOT, "WeakSet._remove (_weakrefset.py:42)"]
    assert layer_of_stack(loop_only) == LOOP


def test_run_in_executor_is_not_taken_for_the_loop_entry() -> None:
    """Only the loop's own run functions end the process's frames: the worker hand-off is
    the quota's."""
    stack = [
        *ROOT,
        "Batcher._send (shared/stores/batcher.py:55)",
        "BaseEventLoop.run_in_executor (asyncio/base_events.py:830)",
    ]
    assert layer_of_stack(stack) == QUOTA


def test_a_blocked_thread_is_waiting_and_the_sqlite_thread_is_its_own_layer() -> None:
    """A thread blocked in a queue is left out; the SQLite worker's work is its layer."""
    bootstrap = [
        "Thread._bootstrap (threading.py:1002)",
        "Thread._bootstrap_inner (threading.py:1045)",
        "Thread.run (threading.py:982)",
    ]
    idle = [*bootstrap, "_worker (concurrent/futures/thread.py:81)"]
    working = [*idle, "_WorkItem.run (concurrent/futures/thread.py:58)"]
    assert layer_of_stack(idle, "sqlite-worker_0") == WAITING
    assert layer_of_stack([*bootstrap, "Queue.get (queue.py:171)"], "AnyIO worker") == WAITING
    assert layer_of_stack(working, "sqlite-worker_0") == SQLITE_THREAD
    assert layer_of_stack(working, "Thread-3") == OTHER


def test_collapsed_stacks_are_read_with_their_thread_and_count() -> None:
    """py-spy's raw lines give the thread id, its name, the frames and the samples."""
    text = (
        "thread (4242): MainThread;Runner.run (asyncio/runners.py:118) 17\n"
        "thread (0x10aa): sqlite-worker_0;Thread.run (threading.py:982);"
        "_worker (concurrent/futures/thread.py:81) 3\n"
        "\n"
    )
    first, second = parse_collapsed(text)
    assert (first.tid, first.thread, first.frames, first.samples) == (
        4242,
        "MainThread",
        ["Runner.run (asyncio/runners.py:118)"],
        17,
    )
    assert (second.tid, second.thread, second.samples) == (0x10AA, "sqlite-worker_0", 3)


def test_each_thread_s_cpu_is_divided_as_its_working_samples_are() -> None:
    """Per-request CPU by thread is split by that thread's samples; waits are left out; a
    thread with CPU time but no working sample counts whole."""
    app = ";".join(APP)
    text = (
        f"thread (1): MainThread;{app};SQLQuotaStore.charge (vending_service/quotas/sql.py:59) 3\n"
        f"thread (1): MainThread;{app};Edge.__call__ (shared/web/edge.py:120) 1\n"
        "thread (2): sqlite-worker_0;_worker (concurrent/futures/thread.py:81) 5\n"
    )
    profile = summarize_profile(text, {1: 100.0, 2: 20.0, 3: 4.0})
    assert profile.samples == 9
    assert profile.waiting == 5
    assert profile.layers[QUOTA] == 3
    assert profile.us_per_request[QUOTA] == pytest.approx(75.0)
    assert profile.us_per_request[EDGE] == pytest.approx(25.0)
    assert profile.us_per_request[SQLITE_THREAD] == pytest.approx(20.0)
    assert profile.us_per_request[OTHER] == pytest.approx(4.0)
    assert profile.share(QUOTA) == pytest.approx(75.0 / 124.0)


def test_without_thread_cpu_the_shares_are_the_working_samples() -> None:
    """With no CPU times the shares are of the samples that were not waiting."""
    text = (
        f"thread (1): MainThread;{';'.join(APP)} 3\n"
        "thread (2): x;Thread.run (threading.py:982);Queue.get (queue.py:171) 7\n"
    )
    profile = summarize_profile(text)
    assert profile.us_per_request == {}
    assert profile.share(ROUTE) == 1.0


def test_only_a_refused_ptrace_lets_a_smoke_run_go_on_without_a_profile() -> None:
    """py-spy's permission errors are recognised; any other failure is not."""
    refused = (
        "Error: Permission Denied: Try running again with elevated permissions by going "
        "'sudo env \"PATH=$PATH\" !!'"
    )
    assert cannot_trace(refused)
    assert cannot_trace("Error: Failed to attach: ptrace(PTRACE_SEIZE) EPERM")
    assert not cannot_trace("Error: Failed to find python version from target process")
