"""The compliance overview, as a data protection officer uses it: sign in to the demo's admin, open
the page from the admin index, read the figures of decisions visitors just made, verify the ledger;
on a desktop in light and dark mode and on a phone. Screenshots go to test-artifacts/."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.demo_steps import decide, sign_in


def count(page, method: str, days: int) -> str:
    return page.locator(f'tr[data-method="{method}"] td[data-days="{days}"]').inner_text()


@pytest.fixture
def portal(demo_server, new_context):
    demo = demo_server()
    for action in ("accept-all", "accept-all", "refuse-all"):
        ctx = new_context()
        decide(ctx, demo, action)
        ctx.close()
    return demo


def test_dpo_reads_the_overview_and_verifies_the_ledger(portal, new_context, screenshot):
    page = new_context().new_page()
    sign_in(page, portal)
    # From the admin index, under the app "Cookie charter" / "Charte des cookies".
    page.get_by_role("link", name="Vue d’ensemble de la conformité").click()
    # The page's title (Django 4.2's admin also makes its site name an h1, in the header).
    expect(page.locator("#content").get_by_role("heading", level=1)).to_have_text("Vue d’ensemble de la conformité")

    assert count(page, "accept-all", 7) == "2"
    assert count(page, "refuse-all", 30) == "1"
    assert count(page, "total", 30) == "3"
    expect(page.locator('[data-ledger="records"]')).to_have_text("3")
    # The charter in force validates, and the demo runs the middleware first.
    checklist = page.locator("#checklist")
    expect(checklist.locator(".cc-check.cc-red")).to_have_count(0)
    expect(checklist).to_contain_text("Le fichier de la charte est valide")
    expect(page.locator("#charter")).to_contain_text("Valide")

    page.get_by_role("button", name="Vérifier le registre").click()
    expect(page.locator('[data-verification="clean"]')).to_contain_text("Registre intact")
    expect(page.locator('[data-verification="clean"]')).to_contain_text("3 enregistrements")
    expect(checklist.locator(".cc-check.cc-green", has_text="Registre vérifié intact")).to_be_visible()
    screenshot(page, "back-office-overview")

    # Someone edits a record behind the application's back: the next verification says so.
    with sqlite3.connect(portal.db_path) as db:
        db.execute("UPDATE cookiecharter_consentrecord SET method = 'accept-all' WHERE method = 'refuse-all'")
    page.get_by_role("button", name="Vérifier le registre").click()
    result = page.locator('[data-verification="problems"]')
    expect(result).to_contain_text("Registre NON intact")
    expect(result).to_contain_text("1 modifié(s), 0 supprimé(s), 0 inséré(s)")
    expect(checklist.locator(".cc-check.cc-red", has_text="Registre vérifié intact")).to_be_visible()
    screenshot(page, "back-office-tampered")


def test_overview_in_dark_mode_and_on_a_phone(portal, new_context, screenshot):
    dark = new_context(color_scheme="dark").new_page()
    sign_in(dark, portal)
    dark.goto(portal.url + "/admin/cookiecharter/complianceoverview/")
    background = dark.evaluate("getComputedStyle(document.querySelector('.cc-check')).backgroundColor")
    assert background != "rgb(248, 248, 248)", "the checklist kept the light theme's background"
    screenshot(dark, "back-office-dark")

    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, portal)
    phone.goto(portal.url + "/admin/cookiecharter/complianceoverview/")
    # Nothing wider than the screen: the page scrolls down, not sideways.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    # ...and no section hides part of its content in a sideways scroll of its own.
    clipped = phone.evaluate(
        "[...document.querySelectorAll('.cc-overview .module')]"
        ".filter(m => m.scrollWidth > m.clientWidth + 1).map(m => m.id)"
    )
    assert clipped == [], f"sections wider than the screen: {clipped}"
    box = phone.locator('tr[data-purpose="statistics"] .cc-percent').bounding_box()
    assert box and box["x"] + box["width"] <= 390, f"the share is off screen: {box}"
    screenshot(phone, "back-office-phone")
