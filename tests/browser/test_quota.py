"""Running out of the daily quota: the page says when it resets, and nothing breaks."""

from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from tests.browser.app import broken_images, get_cats, new_username, sign_up, wait_for_images
from tests.browser.conftest import QUOTA, Site


def test_when_the_quota_runs_out_the_page_says_when_it_resets(page: Page, site: Site) -> None:
    """A refused request (429) explains what is left and when the quota resets; no broken images."""
    sign_up(page, new_username())
    get_cats(page, 35)
    expect(page.locator("#gallery > li")).to_have_count(35)
    wait_for_images(page)

    with page.expect_response(f"{site.vending.url}/cats?count=10") as refused:
        get_cats(page, 10)

    assert refused.value.status == 429
    resets_at = refused.value.json()["resets_at"]
    message = page.locator("#gallery-message")
    expect(message).to_contain_text(
        "Only 5 cats are left in today's quota, and you asked for 10. Your quota resets "
    )
    expect(message.locator("time")).to_have_attribute("datetime", resets_at)
    expect(message.locator("time")).to_have_text("tomorrow at 00:00")
    expect(page.locator("#quota-reset")).to_have_attribute("datetime", resets_at)
    expect(page.locator("#gallery > li")).to_have_count(35)
    assert broken_images(page) == []

    get_cats(page, QUOTA - 35)
    expect(page.locator("#gallery > li")).to_have_count(QUOTA - 35)
    wait_for_images(page)
    expect(page.locator("#quota-left")).to_have_text("0")
    get_cats(page, 1)
    expect(message).to_contain_text("You have used today's quota of cats. Your quota resets ")
    expect(message.locator("time")).to_have_attribute("datetime", resets_at)
    assert broken_images(page) == []
    assert page.locator("#gallery .frame[data-state=failed]").count() == 0


def test_pictures_load_by_plain_img_src_from_signed_urls_and_the_cost_is_said(
    page: Page, site: Site
) -> None:
    """Gallery images are `<img src>` of each record's signed URL on the vending service,
    fetched with no Authorization header; the gallery says opening a picture costs a cat."""
    sign_up(page, new_username())
    expect(page.locator("#open-cost")).to_have_text("Opening a picture uses one cat of your quota.")
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    get_cats(page, 3)
    expect(page.locator("#gallery > li")).to_have_count(3)
    wait_for_images(page)
    sources = page.locator("#gallery img").evaluate_all("(imgs) => imgs.map((i) => i.src)")
    assert len(sources) == 3
    for source in sources:
        assert source.startswith(f"{site.vending.url}/cats/")
        assert "/image?sub=" in source
        assert "&sig=" in source
    images = [request for request in sent if "/image?" in request.url]
    assert len(images) >= 3
    assert all("authorization" not in request.all_headers() for request in images)
    assert broken_images(page) == []
