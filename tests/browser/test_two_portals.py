"""The demo platform's two portals, as a visitor and a data protection officer meet them: one
installation on one port, the main portal on 127.0.0.1 (consent purposes, banner) and the sister
portal on sainte-victoire.localhost (the seed's four cookies, no banner), one back office."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

BANNER = "[data-cookiecharter-banner]"


@pytest.fixture
def platform(demo_server):
    return demo_server()


def stored(context, url: str) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies(url)}


def test_each_portal_shows_its_own_city_charter_and_banner(platform, new_context, screenshot):
    context = new_context()
    main = context.new_page()
    main.goto(platform.url + "/fr/")
    expect(main.locator(".brand-city")).to_have_text("Ville d'Aix-en-Provence")
    expect(main.locator(BANNER)).to_be_visible()

    sister = context.new_page()
    sister.goto(platform.sister_url + "/fr/")
    expect(sister.locator(".brand-city")).to_have_text("Commune de Sainte-Victoire")
    expect(sister.get_by_role("heading", level=1)).to_be_visible()
    # Only exempt cookies: no banner, no script, no footer link to preferences that do not exist.
    expect(sister.locator(BANNER)).to_have_count(0)
    expect(sister.locator("#cookiecharter-config")).to_have_count(0)
    expect(sister.locator("[data-cookiecharter-open]")).to_have_count(0)
    screenshot(sister, "two-portals-sister-home")

    sister.get_by_role("link", name="Charte cookies").first.click()
    expect(sister).to_have_url(platform.sister_url + "/fr/cookies/")
    table = sister.locator("main")
    for name in ("sessionid", "django_language", "csrftoken", "cookies_preferences"):
        expect(table.get_by_text(name, exact=True).first).to_be_visible()
    expect(table).to_contain_text("Commune de Sainte-Victoire")
    expect(table.get_by_text("portal_audience")).to_have_count(0)  # the main portal's statistics cookie
    # Fetched by the page itself: the browser resolves *.localhost, the test's own resolver may not.
    status, head = sister.evaluate(
        """async (url) => { const r = await fetch(url);
                            const b = new Uint8Array(await r.arrayBuffer());
                            return [r.status, String.fromCharCode(...b.slice(0, 4))]; }""",
        platform.sister_url + "/fr/cookies/pdf/",
    )
    assert (status, head) == (200, "%PDF")
    screenshot(sister, "two-portals-sister-charter")

    # Each portal keeps its own cookies: the sister has set only the seed's exempt ones.
    assert set(stored(context, platform.sister_url)) <= {"csrftoken", "sessionid", "django_language"}


def test_a_choice_on_the_main_portal_stays_there(platform, new_context):
    context = new_context()
    main = context.new_page()
    main.goto(platform.url + "/fr/")
    main.locator(f'{BANNER} [data-cookiecharter-action="refuse-all"]').click()
    expect(main.locator(BANNER)).to_have_count(0)  # removed on the answer (hidden at the click)
    assert "cookies_preferences" in stored(context, platform.url)
    sister = context.new_page()
    sister.goto(platform.sister_url + "/en/")
    expect(sister.locator(".brand-city")).to_have_text("Commune de Sainte-Victoire")
    assert "cookies_preferences" not in stored(context, platform.sister_url)


def test_one_back_office_for_both_portals(platform, new_context, screenshot):
    page = new_context().new_page()
    page.goto(platform.sister_url + "/admin/")  # the back office answers on either host
    page.get_by_label("Nom d’utilisateur").fill(platform.username)
    page.get_by_label("Mot de passe").fill(platform.password)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Vue d’ensemble de la conformité").click()
    switcher = page.get_by_role("combobox", name="Site", exact=True)
    # Served on the sister's host, the overview opens on the sister portal's charter.
    expect(switcher).to_have_value("sainte-victoire")
    expect(page.locator("#charter")).to_contain_text("charter-sister.toml")
    switcher.select_option("default")
    page.get_by_role("button", name="Afficher", exact=True).click()
    expect(page.locator("#charter")).to_contain_text("charter.toml")
    expect(page.locator("#charter")).not_to_contain_text("charter-sister.toml")
    screenshot(page, "two-portals-overview")
