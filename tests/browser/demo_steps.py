"""Steps the back-office browser tests share: a visitor deciding in the demo's banner, and the demo's
back-office user signing in to the admin."""

from __future__ import annotations

from playwright.sync_api import expect

BANNER = "[data-cookiecharter-banner]"


def decide(context, demo, action: str) -> None:
    """One visitor's decision, clicked in the demo's banner."""
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    page.locator(f'{BANNER} [data-cookiecharter-action="{action}"]').click()
    # Hidden at the click, removed once the server has answered: only then is the choice recorded.
    expect(page.locator(BANNER)).to_have_count(0)
    page.close()


def sign_in(page, demo, next_path: str = "/admin/") -> None:
    """Sign in to the admin as the demo's back-office user, then land on ``next_path``. By the
    fields' ids, so the same steps work whatever language the admin speaks."""
    page.goto(f"{demo.url}/admin/login/?next={next_path}")
    page.locator("#id_username").fill(demo.username)
    page.locator("#id_password").fill(demo.password)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()
