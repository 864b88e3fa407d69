"""Where a server's CPU goes: a py-spy sampling profile, each sample put in one layer.

`record` runs `py-spy record --format raw --threads` against a server's pid while the load
runs; the output is collapsed stacks (one line per distinct stack: `frame;frame;... count`,
outermost first), which speedscope and flamegraph.pl read as they are. `layer_of_stack`
names the layer a sample's time belongs to:

- the SQLite worker thread's samples are that thread's layer, whatever their frames;
- frames are matched by their file (`package/module.py`, as py-spy prints them) and, for
  uvicorn's `send`, their function;
- the innermost frame that belongs to a layer wins: a sample in `json` called from the
  picture records is the records' time, one in `asyncio.locks` under a quota charge is the
  charge's (the hand-off to the SQLite worker thread included);
- files of no layer (the standard library, other libraries) count for their caller;
- frames outside the event loop (`asyncio.run` and what called it: `serve`, uvicorn's
  `Server.run`) are the process's start, not a request's: a sample with nothing inside the
  loop is the loop's own time (polling, callbacks, transports; uvloop is C, py-spy sees
  no frames in it);
- a sample with no frame of any layer but frames of the store plumbing (`shared/stores/`,
  a coroutine py-spy read without its callers) is the quota charge's;
- a thread's sample with no frame of any layer is "other";
- a sample whose innermost frame is a blocking wait (a queue's `get`, a condition, a
  selector) is a thread waiting, not working: py-spy's own idle test misses some of those
  here, so they are left out by name.

Samples say how a thread's time divides, not how much CPU it had: `summarize_profile`
weights each thread's samples by the CPU time the thread used meanwhile (from
`/proc/<pid>/task/<tid>/stat`, `bench.proc`), so a thread that mostly waits counts for what
it really used.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "LAYERS",
    "WAITING",
    "Profile",
    "Stack",
    "decide",
    "layer_of_frame",
    "layer_of_stack",
    "parse_collapsed",
    "summarize_profile",
]

PROTOCOL = "uvicorn HTTP protocol (httptools, h11)"
LOOP = "asyncio event loop (uvloop)"
STARLETTE = "Starlette routing and middleware"
EDGE = "edge, bearer and token verification"
QUOTA = "quota charge, hand-off to the SQLite worker"
SQLITE_THREAD = "SQLite worker thread (charges, version reads)"
PICTURES = "picture cache and JSON"
ROUTE = "the route and the machine"
SENDING = "response building and sending"
OTHER = "other"
LAYERS = (PROTOCOL, LOOP, STARLETTE, EDGE, QUOTA, SQLITE_THREAD, PICTURES, ROUTE, SENDING, OTHER)
_SQLITE_THREAD_NAME = "sqlite-worker"
"""The thread prefix of `shared/stores/sqlite_worker.py`'s executor: its samples, whatever
their frames, are the SQLite statements and commits it runs for the event loop."""
WAITING = "waiting (left out)"
"""Not a layer: samples of a thread blocked in a wait."""

# Innermost frames that are a thread blocked, not working: (file, function prefix).
_WAITS: tuple[tuple[str, str], ...] = (
    ("threading.py", "Condition.wait"),
    ("threading.py", "Event.wait"),
    ("threading.py", "Thread.join"),
    ("queue.py", "Queue.get"),
    ("selectors.py", ""),
    # The executor's loop itself is its `work_queue.get`: work shows frames inside it.
    ("concurrent/futures/thread.py", "_worker"),
)

# (file prefix, function prefix or "", layer); the first match wins.
_RULES: tuple[tuple[str, str, str], ...] = (
    ("uvicorn/protocols/http/", "RequestResponseCycle.send", SENDING),
    ("starlette/responses.py", "", SENDING),
    ("uvicorn/", "", PROTOCOL),
    ("h11/", "", PROTOCOL),
    ("httptools/", "", PROTOCOL),
    ("starlette/", "", STARLETTE),
    ("shared/web/", "", EDGE),
    ("prometheus_client/", "", EDGE),
    ("shared/tokens/", "", EDGE),
    ("vending_service/bearer.py", "", EDGE),
    ("jwt/", "", EDGE),
    ("vending_service/quotas/", "", QUOTA),
    # The batches' flush to the worker thread; the rest of shared/stores counts for its caller
    # (a quota charge, or a picture version read).
    ("shared/stores/batcher.py", "Batcher._send", QUOTA),
    ("shared/stores/sqlite_worker.py", "SQLiteWorker._flush", QUOTA),
    # A worker thread's result handed back to the loop (`run_in_executor`: the SQLite worker).
    ("asyncio/futures.py", "_call_set_state", QUOTA),
    ("asyncio/futures.py", "_copy_future_state", QUOTA),
    ("asyncio/futures.py", "_set_state", QUOTA),
    ("redis/", "", QUOTA),
    ("vending_service/pictures/", "", PICTURES),
    ("vending_service/views.py", "", PICTURES),
    ("vending_service/routes.py", "", ROUTE),
    ("vending_service/machine.py", "", ROUTE),
    ("vending_service/state.py", "", ROUTE),
    ("vending_service/", "", OTHER),
)
# The event loop's entry: this frame and those outside it are the process's, not a request's.
_LOOP_ENTRY = {
    ("asyncio/runners.py", "run"),
    ("asyncio/runners.py", "Runner.run"),
    ("asyncio/base_events.py", "BaseEventLoop.run_forever"),
    ("asyncio/base_events.py", "BaseEventLoop.run_until_complete"),
    ("asyncio/base_events.py", "BaseEventLoop._run_once"),
}
_FRAME = re.compile(r"(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)")


def _split(frame: str) -> tuple[str, str]:
    """(function, file) of a py-spy frame, `function (file:line)`; a file as printed
    (site-packages and the standard library's folder left out) with `/` separators."""
    match = _FRAME.fullmatch(frame.strip())
    if match is None:
        return frame.strip(), ""
    return match["function"], match["file"].replace("\\", "/")


def _in(file: str, prefix: str) -> bool:
    """Whether `file` is `prefix` (a file or a folder ending in `/`), wherever it lies."""
    return file.startswith(prefix) or f"/{prefix}" in file


def layer_of_frame(frame: str) -> str | None:
    """The layer one frame belongs to; None for a file of no layer (it counts for its caller)."""
    function, file = _split(frame)
    for prefix, function_prefix, layer in _RULES:
        if _in(file, prefix) and function.startswith(function_prefix):
            return layer
    return None


def _is_loop_entry(frame: str) -> bool:
    function, file = _split(frame)
    return any(_in(file, f) and function == name for f, name in _LOOP_ENTRY)


# When no frame belongs to a layer: files whose work is, most of the time, one layer's.
# py-spy sometimes reads a coroutine's stack without its callers; one resumed inside the
# store plumbing is a quota charge's hand-off, or (less often) a picture version read's.
_FALLBACK: tuple[tuple[str, str], ...] = (("shared/stores/", QUOTA),)


def layer_of_stack(frames: Sequence[str], thread: str = "") -> str:
    """The layer a sample (frames outermost first) of `thread` (its name) is charged to,
    or `WAITING`."""
    return decide(frames, thread)[0]


def _where(frame: str) -> str:
    function, file = _split(frame)
    return f"{function} ({file})"


def decide(frames: Sequence[str], thread: str = "") -> tuple[str, str]:
    """`layer_of_stack`, and the frame that decided it (`function (file)`, no line; the
    innermost frame when no frame did)."""
    innermost = _where(frames[-1]) if frames else "(no Python frame)"
    if frames:
        function, file = _split(frames[-1])
        if any(_in(file, f) and function.startswith(name) for f, name in _WAITS):
            return WAITING, innermost
    if thread.startswith(_SQLITE_THREAD_NAME):
        return SQLITE_THREAD, innermost
    entry = max((i for i, frame in enumerate(frames) if _is_loop_entry(frame)), default=-1)
    for frame in reversed(frames[entry + 1 :]):
        layer = layer_of_frame(frame)
        if layer is not None:
            return layer, _where(frame)
    for frame in reversed(frames[entry + 1 :]):
        for prefix, layer in _FALLBACK:
            if _in(_split(frame)[1], prefix):
                return layer, _where(frame)
    return (LOOP if entry >= 0 else OTHER), innermost


@dataclass(frozen=True, slots=True)
class Stack:
    """One line of py-spy's raw output: a stack (outermost first), its thread, its samples."""

    tid: int | None
    thread: str
    frames: list[str]
    samples: int


_THREAD = re.compile(r"thread \((?P<tid>(?:0x)?[0-9a-fA-F]+)\)(?:: (?P<name>.*))?")


def parse_collapsed(text: str) -> list[Stack]:
    """The stacks of py-spy's raw output (`frame;frame;... count`, one a line).

    With `--threads` each stack starts with `thread (<tid>): <name>`; that is its thread.
    """
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        tid, thread = None, ""
        label = _THREAD.fullmatch(frames[0])
        if label is not None:
            frames.pop(0)
            tid = int(label["tid"], 0) if label["tid"].startswith("0x") else int(label["tid"])
            thread = label["name"] or ""
        stacks.append(Stack(tid, thread, frames, int(count)))
    return stacks


@dataclass(frozen=True, slots=True)
class Profile:
    """A profile by layer: samples, and CPU microseconds per request when each thread's
    CPU time per request was known; samples by thread (the main thread runs the loop)."""

    samples: int
    waiting: int
    """Samples left out: a thread blocked in a wait."""
    layers: dict[str, int]
    threads: dict[str, int]
    us_per_request: dict[str, float]
    """Each layer's share of its threads' CPU, summed; empty without thread CPU times."""
    functions: list[tuple[str, str, int]]
    """(layer, the frame that decided it, working samples), most samples first."""

    def share(self, layer: str) -> float:
        """The layer's share of the CPU when it is known, else of the working samples."""
        if self.us_per_request:
            total = sum(self.us_per_request.values())
            return self.us_per_request.get(layer, 0.0) / total if total else 0.0
        working = self.samples - self.waiting
        return self.layers.get(layer, 0) / working if working > 0 else 0.0


def summarize_profile(
    text: str, thread_us_per_request: Mapping[int, float] | None = None
) -> Profile:
    """Samples per layer (every layer of `LAYERS` present, maybe 0) and per thread; with
    `thread_us_per_request` (thread id -> CPU microseconds per request during the profile),
    each thread's CPU divided among the layers as its working samples are (a thread with
    CPU time and no working sample counts as "other", or as the SQLite worker thread)."""
    layers: Counter[str] = Counter(dict.fromkeys(LAYERS, 0))
    threads: Counter[str] = Counter()
    names: dict[int | None, str] = {}
    by_thread: dict[int | None, Counter[str]] = {}
    functions: Counter[tuple[str, str]] = Counter()
    waiting = 0
    for stack in parse_collapsed(text):
        layer, frame = decide(stack.frames, stack.thread)
        threads[stack.thread or "?"] += stack.samples
        names[stack.tid] = stack.thread
        if layer == WAITING:
            waiting += stack.samples
            continue
        layers[layer] += stack.samples
        functions[layer, frame] += stack.samples
        by_thread.setdefault(stack.tid, Counter())[layer] += stack.samples
    us: dict[str, float] = {}
    if thread_us_per_request is not None:
        us = dict.fromkeys(LAYERS, 0.0)
        for tid, cpu in thread_us_per_request.items():
            counts = by_thread.get(tid)
            if not counts:  # CPU time, but py-spy never caught the thread working
                us[layer_of_stack([], names.get(tid, ""))] += cpu
                continue
            total = sum(counts.values())
            for layer, count in counts.items():
                us[layer] += cpu * count / total
    top = [(layer, frame, count) for (layer, frame), count in functions.most_common()]
    return Profile(sum(threads.values()), waiting, dict(layers), dict(threads), us, top)
