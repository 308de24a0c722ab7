"""The demo's "cookie filter at work" page, as a visitor uses it: the page's server tries to set the
audience cookie; the browser receives it only after consent, and loses it on withdrawal.

What counts is the browser's own cookie jar (and the value: the server's start with "srv-", the
audience script's do not), then what the page says.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

BANNER = "[data-cookiecharter-banner]"
DIALOG = "#cookiecharter-preferences"
PAGE = "/fr/cookie-filter/"


@pytest.fixture
def demo(demo_server):
    return demo_server()


def jar(context) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


def ask_server(page) -> None:
    page.get_by_role("button", name="Demander au serveur de déposer le cookie").click()
    expect(page.get_by_test_id("attempt-result")).to_be_visible()


def test_without_consent_the_server_cannot_set_the_audience_cookie(demo, context, screenshot):
    page = context.new_page()
    page.goto(demo.url + PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Le filtre de cookies côté serveur")
    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("consent-state")).to_have_text("Vous n'avez pas consenti")
    expect(page.get_by_test_id("filter-verdict")).to_have_text("Il le bloque : pas de consentement")

    ask_server(page)
    expect(page.get_by_test_id("attempt-result")).to_have_text(
        "Le serveur vient d'essayer de déposer le cookie : le filtre l'a retiré, votre navigateur ne l'a pas reçu."
    )
    expect(page.get_by_test_id("cookie-state")).to_have_text("Absent")
    assert "portal_audience" not in jar(context)
    screenshot(page, "enforcement-demo-refused")


def test_with_consent_it_passes_and_withdrawal_deletes_it(demo, context, screenshot):
    page = context.new_page()
    page.goto(demo.url + PAGE)
    page.locator(BANNER).get_by_role("button", name="Tout accepter").click()
    expect(page.locator(BANNER)).to_have_count(0)

    ask_server(page)
    expect(page.get_by_test_id("attempt-result")).to_have_text(
        "Le serveur vient de déposer le cookie et votre navigateur l'a reçu."
    )
    expect(page.get_by_test_id("consent-state")).to_have_text("Vous avez consenti")
    expect(page.get_by_test_id("cookie-state")).to_have_text("Présent, déposé par le serveur de cette page")
    assert jar(context)["portal_audience"].startswith("srv-")
    screenshot(page, "enforcement-demo-consented")

    # Withdraw audience measurement in the preferences: the answer to that decision deletes it.
    page.locator("footer").get_by_role("link", name="Gestion des cookies").click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    dialog.get_by_role("checkbox", name="Mesure d'audience").uncheck()
    dialog.get_by_role("button", name="Enregistrer mes choix").click()
    expect(dialog).not_to_be_visible()
    for _ in range(50):
        if "portal_audience" not in jar(context):
            break
        page.wait_for_timeout(100)
    assert "portal_audience" not in jar(context)
    page.goto(demo.url + PAGE)
    expect(page.get_by_test_id("cookie-state")).to_have_text("Absent")
    expect(page.get_by_test_id("filter-verdict")).to_have_text("Il le bloque : pas de consentement")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_on_a_phone(demo, new_context, screenshot, scheme):
    context = new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    page.goto(demo.url + PAGE)
    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    ask_server(page)
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"enforcement-demo-phone-{scheme}")
