"""Proof for one visitor in a real Chromium: a visitor chooses in the banner and reads their consent id
on the charter page; the data protection officer, on a phone, types it into the overview's form, in
French (light theme) and in English (dark theme), reads the records and downloads the JSON bundle,
which checks out."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from cookiecharter.core import bundle as core_bundle

BANNER = "[data-cookiecharter-banner]"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LABELS = {
    "fr-FR": ("Nom d’utilisateur", "Mot de passe", "Connexion", "Rechercher", "Télécharger le JSON"),
    "en-US": ("Username", "Password", "Log in", "Look up", "Download JSON"),
}


@pytest.fixture
def visitor_id(demo_server, new_context):
    """The demo portal, and the consent id a visitor who accepted everything reads on the charter page."""
    demo = demo_server()
    page = new_context().new_page()
    page.goto(demo.url + "/fr/")
    page.locator(f'{BANNER} [data-cookiecharter-action="accept-all"]').click()
    expect(page.locator(BANNER)).to_have_count(0)
    page.goto(demo.url + "/fr/cookies/")
    consent_id = page.locator(".cc-visitor__id").inner_text().strip()
    assert len(consent_id) == 16
    return demo, consent_id


@pytest.mark.parametrize("locale", ["fr-FR", "en-US"])
def test_dpo_looks_up_a_visitor_on_a_phone_and_downloads_the_bundle(
    visitor_id, new_context, screenshot, tmp_path, locale
):
    demo, consent_id = visitor_id
    username, password, log_in, look_up, download = LABELS[locale]
    # English in the admin's dark theme, French in its light one.
    scheme = "dark" if locale == "en-US" else "light"
    page = new_context(locale=locale, accept_downloads=True, color_scheme=scheme, **PHONE).new_page()
    page.goto(demo.url + "/admin/")
    page.get_by_label(username).fill(demo.username)
    page.get_by_label(password).fill(demo.password)
    page.get_by_role("button", name=log_in).click()
    page.goto(demo.url + "/admin/cookiecharter/complianceoverview/")

    form = page.locator("#visitor-proof")
    form.get_by_role("textbox").fill(consent_id)
    form.get_by_role("button", name=look_up).click()
    expect(page.locator("tr[data-record]")).to_have_count(1)
    expect(page.locator("#visitor-records caption")).to_contain_text(consent_id)
    # Readable on the phone: the page does not scroll sideways (the table scrolls inside its box).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    background = page.evaluate("getComputedStyle(document.querySelector('#visitor-records')).backgroundColor")
    text = page.evaluate("getComputedStyle(document.querySelector('#visitor-records td')).color")
    if scheme == "dark":
        assert background not in ("rgb(255, 255, 255)", "rgb(248, 248, 248)"), background
        assert text != "rgb(51, 51, 51)", text
    screenshot(page, f"visitor-proof-phone-{locale}-{scheme}")

    with page.expect_download() as info:
        page.get_by_role("link", name=download).click()
    path = tmp_path / "proof.json"
    info.value.save_as(path)
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert bundle["consent_id"] == consent_id and bundle["records"][0]["method"] == "accept-all"
    outcome = core_bundle.check(bundle)
    assert outcome.ok, outcome.failures

    # A mistyped id: a sentence in the page's language, not an error page.
    form = page.locator("#cc-consent-id")
    form.fill("not-an-id")
    page.get_by_role("button", name=look_up).click()
    expect(page.locator("[data-proof-error]")).to_be_visible()
