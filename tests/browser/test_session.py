"""Registering, logging in and out, and tokens renewed behind the user's back."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, Request, expect

from tests.browser.app import (
    ACCESS_KEY,
    PASSWORD,
    get_cats,
    log_in,
    log_out,
    new_username,
    register_directly,
    sign_up,
    stored_access_token,
    wait_for_images,
)
from tests.browser.conftest import QUOTA, Site

DEVICES_KEY = "lanyard.device_tokens"

SPOIL = """([key, how]) => {
  const [header, payload, signature] = localStorage.getItem(key).split(".");
  if (how === "bad-signature") {
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    localStorage.setItem(key, `${header}.${payload}.${flipped}`);
  } else {
    const b64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), "=")));
    claims.exp = Math.floor(Date.now() / 1000) - 120;
    const spoiled = btoa(JSON.stringify(claims)).replace(/\\+/g, "-").replace(/\\//g, "_");
    localStorage.setItem(key, `${header}.${spoiled.replace(/=+$/, "")}.${signature}`);
  }
  return localStorage.getItem(key);
}"""


def test_register_log_in_and_see_35_cats_with_the_quota_down_by_35(page: Page) -> None:
    """Register, log out, log in, ask for 35 cats: 35 pictures show, the quota drops by 35."""
    username = new_username()
    sign_up(page, username)
    log_out(page)
    log_in(page, username)
    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_focused()
    expect(page.locator("#quota-left")).to_have_text(str(QUOTA))
    expect(page.locator("#quota-used")).to_have_text("0")

    get_cats(page, 35)

    expect(page.locator("#gallery > li")).to_have_count(35)
    wait_for_images(page)
    expect(page.locator("#quota-used")).to_have_text("35")
    expect(page.locator("#quota-left")).to_have_text(str(QUOTA - 35))
    expect(page.locator("#quota-remaining")).to_have_text(str(QUOTA - 35))
    expect(page.locator("#quota-summary time")).not_to_be_empty()


def test_the_forms_explain_taken_invalid_wrong_and_throttled(page: Page, site: Site) -> None:
    """409, 422, 401 and 429 (with the wait from Retry-After) each get a clear message."""
    username = new_username()
    register_directly(site.auth.url, username)
    page.goto("/")
    register_message = page.locator("#register-message")

    page.locator("#register-username").fill(username.upper())
    page.locator("#register-password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(register_message).to_have_text("That username is taken. Please choose another one.")

    page.locator("#register-username").fill("no spaces allowed")
    page.get_by_role("button", name="Create account").click()
    expect(register_message).to_contain_text("Please check what you typed: username")

    statuses = []
    for _ in range(10):
        with page.expect_response(f"{site.auth.url}/login") as answer:
            log_in(page, username, "not the password")
        statuses.append(answer.value.status)
        if statuses[-1] == 429:
            break
        expect(page.locator("#login-message")).to_have_text("Wrong username or password.")
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {401}
    expect(page.locator("#login-message")).to_have_text(
        "Too many failed attempts. Please try again in 15 minutes."
    )


def test_keyboard_alone_logs_in_and_focus_lands_on_the_gallery(page: Page, site: Site) -> None:
    """Typing, Tab and Enter log in; focus then moves to the gallery's heading."""
    username = new_username()
    register_directly(site.auth.url, username)
    page.goto("/")
    expect(page.locator("#login-username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("How many cats?")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#gallery > li")).to_have_count(12)


def test_logout_empties_storage_and_no_later_request_carries_a_token(
    page: Page, site: Site
) -> None:
    """Logout forgets both tokens (the device token alone stays), revokes the refresh chain,
    and nothing sends a token after."""
    sign_up(page, new_username())
    get_cats(page, 3)
    wait_for_images(page)
    after: list[Request] = []
    page.on("request", lambda request: after.append(request))

    with page.expect_request(f"{site.auth.url}/logout") as logout:
        page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#login-message")).to_have_text(
        "You have logged out: this session's tokens stop working everywhere within seconds."
    )
    assert page.evaluate("() => Object.keys(localStorage)") == [DEVICES_KEY]
    assert page.evaluate("() => sessionStorage.length") == 0
    sent_body = logout.value.post_data_json
    assert isinstance(sent_body, dict)
    refresh_token = sent_body["refresh_token"]
    refused = httpx.post(f"{site.auth.url}/refresh", json={"refresh_token": refresh_token})
    assert refused.status_code == 401

    page.goto("/#/cats/cat-001")
    page.reload()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Lanyard").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    assert after, "no request was recorded after logging out"
    assert [r.url for r in after if "authorization" in r.all_headers()] == []
    assert [r.url for r in after if r.url.startswith(site.vending.url)] == []


def test_a_forged_access_token_is_renewed_and_the_request_retried(page: Page, site: Site) -> None:
    """A token failing verification gets 401; the app refreshes once, retries, shows the cats."""
    sign_up(page, new_username())
    spoiled = page.evaluate(SPOIL, [ACCESS_KEY, "bad-signature"])
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))

    with page.expect_response(f"{site.auth.url}/refresh") as refreshed:
        get_cats(page, 5)

    assert refreshed.value.status == 200
    expect(page.locator("#gallery > li")).to_have_count(5)
    wait_for_images(page)
    expect(page.get_by_role("heading", name="Log in")).to_be_hidden()
    assert [r.url for r in sent].count(f"{site.auth.url}/refresh") == 1
    with_spoiled = [r for r in sent if r.all_headers().get("authorization") == f"Bearer {spoiled}"]
    assert len(with_spoiled) == 1
    refused = with_spoiled[0].response()
    assert refused is not None
    assert refused.status == 401
    renewed = stored_access_token(page)
    assert renewed not in (None, spoiled)
    me = httpx.get(f"{site.vending.url}/me", headers={"Authorization": f"Bearer {renewed}"})
    assert me.status_code == 200


def test_an_expired_access_token_is_renewed_before_it_is_sent(page: Page, site: Site) -> None:
    """A token past its exp is refreshed first: the vending machine never sees it."""
    sign_up(page, new_username())
    spoiled = page.evaluate(SPOIL, [ACCESS_KEY, "expired"])
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))

    with page.expect_response(f"{site.auth.url}/refresh") as refreshed:
        get_cats(page, 5)

    assert refreshed.value.status == 200
    expect(page.locator("#gallery > li")).to_have_count(5)
    wait_for_images(page)
    expect(page.get_by_role("heading", name="Log in")).to_be_hidden()
    assert [r.url for r in sent].count(f"{site.auth.url}/refresh") == 1
    api = [r for r in sent if r.url.startswith(site.vending.url) and "/image?" not in r.url]
    tokens = {r.all_headers().get("authorization") for r in api}
    assert f"Bearer {spoiled}" not in tokens
    assert tokens == {f"Bearer {stored_access_token(page)}"}
    images = [r for r in sent if "/image?" in r.url]
    assert images
    assert all("authorization" not in r.all_headers() for r in images)


def test_when_the_refresh_fails_too_the_app_goes_back_to_login(page: Page) -> None:
    """A 401 whose refresh is refused ends the session: tokens gone, the login form shown."""
    sign_up(page, new_username())
    page.evaluate(SPOIL, [ACCESS_KEY, "bad-signature"])
    page.evaluate("() => sessionStorage.setItem('lanyard.refresh_token', 'spent-or-forged')")

    get_cats(page, 3)

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#login-message")).to_have_text(
        "Your session has ended. Please log in again."
    )
    expect(page.locator("#login-username")).to_be_focused()
    assert page.evaluate("() => Object.keys(localStorage)") == [DEVICES_KEY]
    expect(page.locator("#gallery > li")).to_have_count(0)


def test_the_device_token_outlives_logout_and_makes_the_next_login_a_known_device(
    page: Page, site: Site
) -> None:
    """After logout the browser still holds the user's device token and sends it with the
    next login, which gets in while the name is locked by five wrong passwords."""
    username = new_username()
    sign_up(page, username)
    log_out(page)
    for _ in range(5):
        wrong = {"username": username, "password": "not the password"}
        assert httpx.post(f"{site.auth.url}/login", json=wrong).status_code == 401
    locked = httpx.post(f"{site.auth.url}/login", json={"username": username, "password": PASSWORD})
    assert locked.status_code == 429

    with page.expect_request(f"{site.auth.url}/login") as sent:
        log_in(page, username.upper())

    expect(page.get_by_role("heading", name="Gallery", level=1)).to_be_visible()
    body = sent.value.post_data_json
    assert isinstance(body, dict)
    assert body["device_token"]
