"""Fuzzing fixtures: both services as real processes, and their schemas as they serve them.

The fuzz tests run under `make test-fuzz` only (marker `fuzz`). The seed is fixed (set
`FUZZ_SEED` to change it) and printed at the start and the end; with `CI` set, Hypothesis is
also derandomized and keeps no example database, so every CI run generates the same cases
(link scenarios aside, which follow the random ids the services hand out).
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from PIL import Image
from schemathesis import AuthContext, Case, HookContext, Response
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.support.services import Service, login, running_pair

SEED = int(os.environ.get("FUZZ_SEED", "20251129"))
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
FUZZ_USER = "fuzzer"
AnyCase = Case[Any]


@dataclass
class Tally:
    """Generated cases sent, by test, and the statuses they met, by service; printed at the end."""

    cases: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    restarts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def status(self, service: str, status: int) -> None:
        self.statuses.setdefault(service, Counter())[status] += 1

    @property
    def total(self) -> int:
        return sum(self.cases.values())


TALLY = Tally()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fuzz" in str(item.path):
            item.add_marker(pytest.mark.fuzz)


def pytest_report_header() -> str:
    mode = "derandomized, no example database (CI)" if IN_CI else "example database on"
    return f"fuzz seed: {SEED} ({mode}); FUZZ_SEED=<n> to change it"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.cases:
        return
    terminalreporter.section("fuzz")
    for name, count in sorted(TALLY.cases.items()):
        restarts = f" ({TALLY.restarts[name]} restarts)" if TALLY.restarts[name] else ""
        terminalreporter.write_line(f"{name}: {count} cases{restarts}")
    for service, statuses in sorted(TALLY.statuses.items()):
        seen = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        terminalreporter.write_line(f"{service} statuses: {seen}")
    elapsed = time.monotonic() - TALLY.started
    terminalreporter.write_line(
        f"fuzz total: {TALLY.total} cases in {elapsed:.0f} s, seed {SEED}", bold=True
    )


@dataclass
class FuzzStack:
    auth: Service
    vending: Service
    token: str


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStack]:
    """Both services as real processes; a `fuzzer` account with a quota fuzzing cannot spend,
    holding a few pictures of its own, public and private, for the links to find."""
    workdir = tmp_path_factory.mktemp("fuzz")
    auth_env = {
        "ACCESS_TOKEN_TTL": "3600",
        "OAUTH_CLIENTS": "fuzz-client:fuzz-client-secret-0123456789",
        # Every request comes from 127.0.0.1: throttle usernames, as ever, but not the address.
        "THROTTLE_IP_FAILURES": "1000000000",
        "REGISTER_PER_ADDRESS": "1000000000",
    }
    vending_env = {"CATALOGUE_SIZE": "100", "QUOTA_FREE": "1000000000"}
    with running_pair(workdir, auth_env=auth_env, vending_env=vending_env) as pair:
        token = login(pair.auth.url, FUZZ_USER)
        _seed_pictures(pair.vending.url, token)
        yield FuzzStack(pair.auth, pair.vending, token)


def _seed_pictures(vending_url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for index, visibility in enumerate(("public", "private", "private")):
        response = httpx.post(
            f"{vending_url}/cats",
            headers=headers,
            data={"title": f"Fuzz cat {index}", "visibility": visibility},
            files={"image": (f"cat{index}.png", _png((40 * index, 120, 200)), "image/png")},
            timeout=10,
        )
        assert response.status_code == 201, response.text


def _load(name: str, service: Service) -> OpenApiSchema:
    schema = schemathesis.openapi.from_url(
        f"{service.url}/openapi.json", config=schemathesis.Config(seed=SEED)
    )

    def after_call(context: HookContext, case: AnyCase, response: Response) -> None:
        TALLY.status(name, response.status_code)

    schema.hook("after_call")(after_call)
    return schema


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    """One keep-alive session for every generated request."""
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def auth_schema(fuzz_stack: FuzzStack) -> OpenApiSchema:
    """The auth service's document, as `GET /openapi.json` serves it."""
    return _load("auth", fuzz_stack.auth)


@pytest.fixture(scope="session")
def vending_schema(fuzz_stack: FuzzStack) -> OpenApiSchema:
    """The vending service's document as served, with the fuzzer's bearer token applied."""
    schema = _load("vending", fuzz_stack.vending)
    token = fuzz_stack.token

    class FuzzerToken:
        """The real token of the `fuzzer` account, from the real auth service."""

        def get(self, case: AnyCase, context: AuthContext) -> str:
            return token

        def set(self, case: AnyCase, data: str, context: AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    schema.auth(refresh_interval=None, retry_on=[])(FuzzerToken)
    return schema


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's `from_fixture` tests read and rename `node._nodeid`, which pytest 9.2
    no longer has; give it the attribute (its renames are then cosmetic and go nowhere)."""
    node = request.node
    if not hasattr(node, "_nodeid"):
        node._nodeid = node.nodeid
