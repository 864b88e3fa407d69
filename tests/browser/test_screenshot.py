"""The README's picture of the app: a gallery, taken by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.app import get_cats, log_in, register_directly, wait_for_images
from tests.browser.conftest import Site
from tools.processes import ROOT

SCREENSHOT = ROOT / "docs" / "gallery.png"


def test_a_gallery_of_twelve_cats_renders_completely(page: Page, site: Site) -> None:
    """Twelve cats with titles and the quota render fully; the page is saved to docs/gallery.png."""
    register_directly(site.auth.url, "bruce")
    page.goto("/")
    log_in(page, "bruce")
    get_cats(page, 12)
    expect(page.locator("#gallery > li")).to_have_count(12)
    wait_for_images(page)
    expect(page.locator("#quota-used")).to_have_text("12")
    page.locator("#cat-count").blur()
    page.mouse.move(0, 0)

    page.screenshot(path=SCREENSHOT, full_page=True, animations="disabled")
