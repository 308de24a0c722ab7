"""The overview's "Audits of the site" section in the demo's admin, as ``make demo`` seeds it (two
audits, the second with an undeclared cookie): in French and English, in dark mode, on a phone, and
the "Run an audit" page. Screenshots go to test-artifacts/back-office-audits-*.png."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import DEMO_DIR
from playwright.sync_api import expect

from tests.browser.demo_steps import sign_in

OVERVIEW = "/admin/cookiecharter/complianceoverview/"


@pytest.fixture
def portal(demo_server):
    demo = demo_server()
    subprocess.run(
        [sys.executable, str(DEMO_DIR / "manage.py"), "demo_audits", "--url", demo.url],
        env=demo.env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return demo


def test_the_seeded_audits_in_french_and_english(portal, new_context, screenshot):
    page = new_context().new_page()
    sign_in(page, portal)
    page.goto(portal.url + OVERVIEW)
    section = page.locator("#audits")
    expect(section.get_by_role("heading", level=2)).to_have_text("Audits du site")
    expect(section.locator("[data-verdict=fail]")).to_have_text("Échec")
    expect(section.locator("[data-audit-change=worse]")).to_contain_text("En recul")
    expect(section.locator("#audit-new")).to_contain_text("_ga")
    expect(section.locator("#audit-trend tbody tr")).to_have_count(2)
    section.scroll_into_view_if_needed()
    screenshot(page, "back-office-audits")

    section.get_by_role("link", name="Lancer un audit").click()
    expect(page.locator("[data-command]")).to_have_text("python manage.py cookiecharter_audit --site default")
    screenshot(page, "back-office-audits-run")

    english = new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en"}).new_page()
    sign_in(english, portal)
    english.goto(portal.url + OVERVIEW)
    expect(english.locator("#audits h2")).to_have_text("Audits of the site")
    expect(english.locator("#audits [data-verdict=fail]")).to_have_text("Failed")
    expect(english.locator("#audit-new caption")).to_have_text("New since the previous audit")


def test_the_audits_in_dark_mode_and_on_a_phone(portal, new_context, screenshot):
    dark = new_context(color_scheme="dark").new_page()
    sign_in(dark, portal)
    dark.goto(portal.url + OVERVIEW)
    # The admin's dark theme reaches the section: its text is light (the colours are the admin's variables).
    colour = dark.evaluate("getComputedStyle(document.querySelector('#audit-trend td')).color")
    red, green, blue = (int(c) for c in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])
    assert (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255 > 0.5, f"dark text in dark mode: {colour}"
    dark.locator("#audits").scroll_into_view_if_needed()
    screenshot(dark, "back-office-audits-dark")

    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, portal)
    phone.goto(portal.url + OVERVIEW)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    clipped = phone.evaluate(
        "[...document.querySelectorAll('#audits, #audits table')].filter(m => m.scrollWidth > m.clientWidth + 1)"
        ".map(m => m.id || m.tagName)"
    )
    assert clipped == [], f"wider than the screen: {clipped}"
    phone.locator("#audits").scroll_into_view_if_needed()
    screenshot(phone, "back-office-audits-phone")
