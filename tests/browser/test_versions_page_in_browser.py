"""The charter versions page as a data protection officer uses it, on the demo with its seeded history
(``manage.py demo_history``, as ``make demo`` runs it): from the overview to the list of versions, the
comparison of the two latest, another pair picked in the form, the sister portal's dropped purpose;
in French and English, on a desktop, in dark mode and on a 390 px phone. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.demo_steps import sign_in

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"

PAGE = "/admin/cookiecharter/complianceoverview/versions/"


@pytest.fixture
def portal(demo_server):
    demo = demo_server()
    done = subprocess.run(
        [sys.executable, str(DEMO_DIR / "manage.py"), "demo_history"],
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return demo


def fits(page, width: int = 390) -> None:
    """Nothing wider than the screen, and no part hidden in a sideways scroll of its own."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll}px wide on a {width}px screen"
    clipped = page.evaluate(
        "[...document.querySelectorAll('.cc-versions .module, .cc-versions table')]"
        ".filter(m => m.scrollWidth > m.clientWidth + 1).map(m => m.id || m.className)"
    )
    culprits = page.evaluate(
        "[...document.querySelectorAll('.cc-versions .module')].flatMap(m => [...m.querySelectorAll('*')]"
        ".filter(e => e.getBoundingClientRect().right > m.getBoundingClientRect().left + m.clientWidth + 1)"
        ".map(e => e.outerHTML.slice(0, 100) + ' ' + JSON.stringify(e.getBoundingClientRect())))"
    )
    assert clipped == [], f"wider than the screen: {clipped}: {culprits}"


def test_dpo_compares_two_charter_versions_in_french(portal, new_context, screenshot):
    page = new_context().new_page()
    sign_in(page, portal)
    page.goto(portal.url + "/admin/cookiecharter/complianceoverview/")
    page.get_by_role("link", name="Versions de la charte et ce qui a changé").click()
    expect(page.locator("#content").get_by_role("heading", level=1)).to_have_text("Versions de la charte")

    versions = page.locator("#versions tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("2026-11")
    expect(versions.first).to_contain_text("en vigueur")
    expect(versions.nth(1)).to_contain_text("2026-09")

    # The two latest, compared older to newer: the audience cookie's lifetime, in words, marked.
    changes = page.locator("#changes")
    expect(changes.get_by_role("heading", level=2)).to_contain_text("Ce qui a changé de 2026-09")
    lifetime = changes.locator('[data-key="portal_audience"] [data-field="lifetime"]')
    expect(lifetime.locator("del")).to_contain_text("25")
    expect(lifetime.locator("ins")).to_contain_text("13")
    expect(lifetime).to_contain_text("mois")
    expect(changes.locator('[data-kind="removed"][data-key="mapwidget_prefs"]')).to_contain_text("retrait")
    expect(changes.locator('[data-field="contact"] ins')).to_contain_text("dpo@mairie-aixenprovence.fr")
    screenshot(page, "charter-versions-fr")

    # Another pair, the other way round, picked in the form.
    page.get_by_label("De", exact=True).select_option(index=0)
    page.get_by_label("à", exact=True).select_option(index=1)
    page.get_by_role("button", name="Comparer").click()
    lifetime = page.locator('#changes [data-key="portal_audience"] [data-field="lifetime"]')
    expect(lifetime.locator("del")).to_contain_text("13")
    expect(lifetime.locator("ins")).to_contain_text("25")
    expect(page.locator('#changes [data-kind="added"][data-key="mapwidget_prefs"]')).to_be_visible()

    # The sister portal: its audience measurement dropped, compared with the charter in force.
    page.locator("#cc-site").select_option("sainte-victoire")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator('#changes [data-kind="removed"][data-key="statistics"]')).to_contain_text("Mesure d'audience")
    expect(page.locator('#changes [data-kind="removed"][data-key="sv_audience"]')).to_be_visible()
    screenshot(page, "charter-versions-sister-fr")

    # A version the site never showed: a 404 that says why, the list still there.
    response = page.goto(portal.url + PAGE + "?older=" + "0" * 64 + "&newer=" + "1" * 64)
    assert response is not None and response.status == 404
    expect(page.locator('[data-error="unknown-version"]')).to_contain_text("Aucune version de la charte")
    expect(page.locator("#versions tbody tr")).to_have_count(2)


def test_in_english_in_dark_mode_and_on_a_phone(portal, new_context, screenshot):
    english = new_context(locale="en-GB").new_page()
    sign_in(english, portal)
    english.goto(portal.url + PAGE)
    expect(english.locator("#content").get_by_role("heading", level=1)).to_have_text("Charter versions")
    lifetime = english.locator('#changes [data-key="portal_audience"] [data-field="lifetime"]')
    expect(lifetime).to_contain_text("months")
    expect(english.locator("#changes")).to_contain_text("What changed from 2026-09")
    screenshot(english, "charter-versions-en")

    dark = new_context(color_scheme="dark").new_page()
    sign_in(dark, portal)
    dark.goto(portal.url + PAGE)
    background = dark.evaluate("getComputedStyle(document.querySelector('.cc-item')).backgroundColor")
    assert background != "rgb(248, 248, 248)", "the changes kept the light theme's background"
    screenshot(dark, "charter-versions-dark")

    for locale, name in (("fr-FR", "charter-versions-phone-fr"), ("en-GB", "charter-versions-phone-en")):
        phone = new_context(locale=locale, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        sign_in(page, portal)
        page.goto(portal.url + PAGE)
        expect(page.locator("#changes")).to_be_visible()
        screenshot(page, name)
        fits(page)
