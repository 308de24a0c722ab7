"""One person, two browsers (two separate browser contexts: two cookie jars, as a laptop and a
phone), signed in to the demo portal as the demo user: a choice follows them (issue 16,
docs/accounts.md). Each step clicks what a person clicks and checks what they see, and what each
browser then stores. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

BANNER = "[data-cookiecharter-banner]"
NOTICE = "[data-cookiecharter-notice]"


def sign_in(page, demo) -> None:
    page.goto(demo.url + "/fr/")
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_label("Identifiant").fill(demo.username)
    page.get_by_label("Mot de passe").fill(demo.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()


def consent_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "cookies_preferences"), None)


def cookie_names(context) -> set[str]:
    return {c["name"] for c in context.cookies()}


def granted(value: str | None) -> set[str]:
    """The purposes a consent cookie grants (its fourth field: PURPOSES, "+"-separated)."""
    assert value is not None
    field = value.split(".")[3]
    return set(field.split("+")) - {""} if not field.startswith("!") else set()


@pytest.fixture
def portal(demo_server):
    return demo_server()


def test_a_choice_follows_the_person_to_their_other_browser(portal, new_context, screenshot):
    laptop, phone = new_context(), new_context(viewport={"width": 390, "height": 844})

    # On the laptop, signed in: the first layer says the choice will apply everywhere. Refuse.
    a = laptop.new_page()
    sign_in(a, portal)
    banner = a.locator(BANNER)
    expect(banner).to_contain_text("Votre choix suivra votre compte sur tous vos appareils")
    banner.locator('[data-cookiecharter-action="refuse-all"]').click()
    expect(a.locator(BANNER)).to_have_count(0)
    assert granted(consent_cookie(laptop)) == set()

    # On the phone: signed out, the banner asks; signed in, the laptop's refusal applies, with a notice.
    b = phone.new_page()
    b.goto(portal.url + "/fr/")
    expect(b.locator(BANNER)).to_be_visible()
    sign_in(b, portal)
    notice = b.locator(NOTICE)
    expect(notice).to_contain_text("sur un autre appareil s’applique désormais sur celui-ci")
    expect(notice).to_contain_text(re.compile(r"Mesure d.audience\s*: refusé"))
    expect(b.locator(BANNER)).to_have_count(0)
    screenshot(b, "two-devices-notice-390-fr")
    b.screenshot(path="test-artifacts/two-devices-notice-390-fr-screen.png")  # the first screen, for the docs
    assert granted(consent_cookie(phone)) == set()
    # Shown once: the next page has neither notice nor banner.
    b.reload()
    expect(b.locator(NOTICE)).to_have_count(0)
    expect(b.locator(BANNER)).to_have_count(0)


def test_a_withdrawal_on_the_phone_reaches_the_laptop_and_signing_out_keeps_its_choice(portal, new_context):
    laptop, phone = new_context(), new_context()
    a = laptop.new_page()
    sign_in(a, portal)
    a.locator(f'{BANNER} [data-cookiecharter-action="accept-all"]').click()
    expect(a.locator(BANNER)).to_have_count(0)
    # The portal's audience script now runs and keeps its visitor id.
    a.goto(portal.url + "/fr/")
    a.wait_for_function("document.cookie.includes('portal_audience=')")
    assert "portal_audience" in cookie_names(laptop)

    # On the phone: the acceptance followed; withdraw audience measurement in the preferences.
    b = phone.new_page()
    sign_in(b, portal)
    expect(b.locator(NOTICE)).to_contain_text(re.compile(r"Mesure d.audience\s*: accepté"))
    b.locator("footer").get_by_role("link", name="Gestion des cookies").click()
    dialog = b.locator("#cookiecharter-preferences")
    expect(dialog).to_be_visible()
    dialog.get_by_role("checkbox", name="Mesure d'audience").uncheck()
    dialog.get_by_role("button", name="Enregistrer mes choix").click()
    expect(dialog).not_to_be_visible()
    b.wait_for_function("document.cookie.includes('cookies_preferences=') && !document.cookie.includes('statistics')")
    assert granted(consent_cookie(phone)) == {"embeds"}

    # The laptop's next page: the server no longer reads the audience cookie, and it is deleted.
    hits: list[str] = []
    a.on("request", lambda request: hits.append(request.url) if "/stats/hit" in request.url else None)
    a.goto(portal.url + "/fr/cookie-filter/")
    expect(a.get_by_test_id("cookie-state")).to_have_text("Absent")
    expect(a.get_by_test_id("consent-state")).to_have_text("Vous n'avez pas consenti")
    assert "portal_audience" not in cookie_names(laptop)
    assert granted(consent_cookie(laptop)) == {"embeds"}
    # Nor set again: neither by the server (the filter's own demonstration) nor by the script.
    a.get_by_role("button", name=re.compile("déposer")).click()
    expect(a.get_by_test_id("attempt-result")).to_contain_text("le filtre l'a retiré")
    a.goto(portal.url + "/fr/")
    a.wait_for_load_state("networkidle")
    assert "portal_audience" not in cookie_names(laptop) and hits == []

    # Signing out on the laptop keeps its own choice: no banner, the same cookie.
    kept = consent_cookie(laptop)
    a.get_by_role("button", name="Se déconnecter").click()
    expect(a.get_by_role("link", name="Se connecter").first).to_be_visible()
    expect(a.locator(BANNER)).to_have_count(0)
    assert consent_cookie(laptop) == kept
