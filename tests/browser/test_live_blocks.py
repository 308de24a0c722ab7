"""Content under ``{% ifconsent "PURPOSE" live %}`` follows a choice made on the page, without a
reload, both ways: shown when the purpose is granted, put away again when it is withdrawn.

Every test marks the page (``window.samePage``) and checks the mark is still there at the end:
what changed, changed in the page the visitor was reading. The branch that does not apply waits in
an inert ``<template>``: a frame there is never requested, a script there never runs, until the
visitor grants its purpose.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

BANNER = "[data-cookiecharter-banner]"
DIALOG = "#cookiecharter-preferences"
MAP_NOTE = "La carte est fournie par MapWidget"


def mark(page) -> None:
    page.evaluate("window.samePage = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.samePage === true")


def granted(context, demo) -> list[str]:
    value = {c["name"]: c["value"] for c in context.cookies(demo.url)}["cookies_preferences"]
    return value.split(".")[3].split("+") if value.split(".")[3] else []


def save_preferences(page, **switches: bool) -> None:
    """Open the preferences from the footer, set the switches, save."""
    page.get_by_role("contentinfo").get_by_role("link", name="Gestion des cookies").click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    for name, on in switches.items():
        dialog.get_by_role("checkbox", name=name).set_checked(on)
    dialog.get_by_role("button", name="Enregistrer mes choix").click()
    expect(dialog).not_to_be_visible()


def test_the_cookie_filter_page_follows_acceptance_then_withdrawal(demo, context):
    page = context.new_page()
    page.goto(demo.url + "/fr/cookie-filter/")
    state, verdict = page.get_by_test_id("consent-state"), page.get_by_test_id("filter-verdict")
    expect(state).to_have_text("Vous n'avez pas consenti")
    expect(verdict).to_have_text("Il le bloque : pas de consentement")
    mark(page)

    page.locator(BANNER).get_by_role("button", name="Tout accepter").click()
    expect(state).to_have_text("Vous avez consenti")
    expect(verdict).to_have_text("Il le laisse passer")

    save_preferences(page, **{"Mesure d'audience": False})
    expect(state).to_have_text("Vous n'avez pas consenti")
    expect(verdict).to_have_text("Il le bloque : pas de consentement")
    assert still_the_same_page(page)
    assert granted(context, demo) == ["embeds"]
    # The server renders the same on the next page.
    page.reload()
    expect(state).to_have_text("Vous n'avez pas consenti")


def test_the_map_comes_and_goes_with_embeds_and_allowing_it_keeps_the_other_choices(demo, context):
    page = context.new_page()
    widget: list[str] = []
    page.on("request", lambda r: widget.append(r.url) if r.url.startswith(demo.widget_url) else None)
    page.goto(demo.url + "/fr/datasets/parkings/")
    frame = page.locator(".map-slot iframe")
    # Before any choice the frame is only in an inert template: not in the page, never requested.
    expect(page.get_by_text(MAP_NOTE)).to_be_visible()
    expect(frame).to_have_count(0)
    assert page.locator(".map-slot template[data-cookiecharter-if=embeds]").evaluate(
        "t => t.content.querySelector('iframe') !== null"
    )
    mark(page)

    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    # Statistics granted from the preferences, on this page: the map stays refused.
    save_preferences(page, **{"Mesure d'audience": True})
    expect(page.get_by_text(MAP_NOTE)).to_be_visible()
    assert widget == []

    # The placeholder's button was rendered when nothing was granted; it grants the map on top of
    # the choice as it is now, so statistics stays granted.
    page.get_by_role("button", name="Autoriser « Contenus intégrés (carte) »").click()
    expect(frame).to_have_attribute("src", re.compile("^" + re.escape(demo.widget_url)))
    expect(page.get_by_text(MAP_NOTE)).to_have_count(0)
    expect(page.frame_locator(".map-slot iframe").locator("circle.point").first).to_be_visible()
    assert any("/map?dataset=parkings" in url for url in widget)
    assert sorted(granted(context, demo)) == ["embeds", "statistics"]

    # Withdrawn: the frame leaves the page (unloaded), the placeholder is back.
    save_preferences(page, **{"Contenus intégrés (carte)": False})
    expect(frame).to_have_count(0)
    expect(page.get_by_text(MAP_NOTE)).to_be_visible()
    requests_before = len(widget)
    page.wait_for_timeout(300)
    assert len(widget) == requests_before
    assert granted(context, demo) == ["statistics"]
    assert still_the_same_page(page)


# What the tag renders for a live block (tests/django/test_consent_tags.py checks it), put in the
# demo's home page as its server would send it: a script that counts its runs, and a block nested
# in the granted branch of another.
LIVE_BLOCKS = (
    '<section id="live">'
    '<template data-cookiecharter-if="statistics"><script>window.runs = (window.runs || 0) + 1</script>'
    '<p id="stats-on">statistics on</p>'
    '<template data-cookiecharter-if="embeds"><p id="both-on">map on too</p></template><p id="map-off">map off</p>'
    "<template data-cookiecharter-else></template>"
    '</template><p id="stats-off">statistics off</p><template data-cookiecharter-else></template>'
    "</section>"
)


def test_a_script_in_a_live_block_runs_once_and_blocks_nest(demo, context):
    def with_blocks(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace("</main>", LIVE_BLOCKS + "</main>"))

    page = context.new_page()
    page.route(demo.url + "/fr/", with_blocks)
    page.goto(demo.url + "/fr/")
    live = page.locator("#live")
    expect(live).to_have_text("statistics off")
    assert page.evaluate("window.runs") is None
    mark(page)

    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    page.locator(DIALOG).get_by_role("checkbox", name="Mesure d'audience").check()
    page.locator(DIALOG).get_by_role("button", name="Enregistrer mes choix").click()
    expect(live).to_have_text("statistics onmap off")
    assert page.evaluate("window.runs") == 1

    save_preferences(page, **{"Contenus intégrés (carte)": True})
    expect(live).to_have_text("statistics onmap on too")
    save_preferences(page, **{"Mesure d'audience": False})
    expect(live).to_have_text("statistics off")
    # Granted again: the block comes back as it was left, and its script, which ran already, does not run twice.
    save_preferences(page, **{"Mesure d'audience": True})
    expect(live).to_have_text("statistics onmap on too")
    assert page.evaluate("window.runs") == 1
    assert still_the_same_page(page)
