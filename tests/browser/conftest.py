"""The browser app in headless Chromium, against the three real processes on free ports.

One stack per session: the auth service, the vending service (with a small daily quota, so
running out is quick) and the frontend's static server, told where the services are. Each
test gets fresh browser contexts and fresh usernames; a failing test leaves screenshots of
its pages in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.services import Service, running_pair, start_service
from tools.processes import ROOT, distinct_ports

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Playwright's own browser download is not used: Debian's chromium, headless and quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
QUOTA = 40

expect.set_options(timeout=15_000)

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@dataclass(frozen=True)
class Site:
    """The running stack: the app's address and the two services behind it."""

    url: str
    auth: Service
    vending: Service
    frontend: Service


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Auth, vending (daily quota of 40) and the frontend server, all ready."""
    workdir = tmp_path_factory.mktemp("browser-stack")
    auth_port, vending_port, frontend_port = distinct_ports(3)
    origin = f"http://127.0.0.1:{frontend_port}"
    with running_pair(
        workdir,
        ports=(auth_port, vending_port),
        common_env={"CORS_ORIGINS": origin},
        # Every test signs a new user up from 127.0.0.1.
        auth_env={"REGISTER_PER_ADDRESS": "100000"},
        vending_env={"QUOTA_FREE": str(QUOTA), "CATALOGUE_SIZE": "100"},
    ) as pair:
        frontend = start_service(
            "frontend",
            "tools.frontend_server",
            frontend_port,
            {"AUTH_URL": pair.auth.url, "VENDING_URL": pair.vending.url},
            workdir,
        )
        try:
            frontend.wait_ready("/")
            yield Site(origin, pair.auth, pair.vending, frontend)
        finally:
            frontend.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def _artifact_name(nodeid: str, index: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', nodeid)}-{index}.png"


@pytest.fixture
def open_page(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in its own browser context (its own storage: another user)."""
    pages: list[Page] = []
    errors: list[str] = []

    def open_one() -> Page:
        context = browser.new_context(
            base_url=site.url,
            viewport={"width": 1280, "height": 800},
            locale="en-GB",
            timezone_id="UTC",
        )
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        return page

    yield open_one
    call = request.node.stash.get(_REPORTS, {}).get("call")
    for index, page in enumerate(pages):
        if call is not None and call.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(
                path=ARTIFACTS / _artifact_name(request.node.nodeid, index), full_page=True
            )
        page.context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(open_page: Callable[[], Page]) -> Page:
    """A fresh page in a fresh browser context."""
    return open_page()
