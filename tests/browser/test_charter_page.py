"""The charter page in a real Chromium, as a visitor sees it: on a desktop, on a phone (each cookie a
card, nothing wider than the screen), in dark mode, printed, and its PDF link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_desktop_page_shows_each_purpose_table_with_its_rows(demo, page, screenshot) -> None:
    page.goto(demo.url + "/fr/cookies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Charte cookies")
    necessary = page.get_by_role(
        "table", name="4 cookies : Cookies nécessaires au bon fonctionnement de la plateforme / cookies fonctionnels"
    )
    expect(necessary.get_by_role("columnheader")).to_have_text(
        ["Prestataire", "Service et emplacement", "Nom du cookie", "Finalité", "Durée de conservation"]
    )
    row = necessary.get_by_role("row").filter(has=page.get_by_role("rowheader", name="sessionid"))
    expect(row.get_by_role("cell").nth(1)).to_have_text("Authentification (front et back office)")
    expect(row.get_by_role("cell").last).to_have_text("2 semaines")
    embeds = page.locator("#cc-purpose-embeds")
    expect(embeds.locator(".cc-badge")).to_have_text("Soumis à votre consentement")
    expect(embeds.get_by_role("columnheader").last).to_have_text("Qui peut le lire")
    # The same column widths in every table: the page reads as one list.
    starts = page.eval_on_selector_all(
        "#cc-purpose-necessary th.cc-col-name, #cc-purpose-statistics th.cc-col-name",
        "cells => cells.map(c => Math.round(c.getBoundingClientRect().left))",
    )
    assert len(set(starts)) == 1, starts
    assert _no_horizontal_scroll(page)
    screenshot(page, "charter-page-desktop")


def test_phone_turns_rows_into_cards_headed_by_the_cookie_name(demo, new_context, screenshot) -> None:
    page = new_context(**PHONE).new_page()
    page.goto(demo.url + "/fr/cookies/")
    assert _no_horizontal_scroll(page)
    card = page.locator("#cc-purpose-necessary tbody tr").first
    name = card.locator("th.cc-col-name")
    provider = card.locator("td.cc-col-provider")
    # The name comes first on screen (above the provider), each value under its own label.
    assert name.bounding_box()["y"] < provider.bounding_box()["y"]
    label = provider.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Prestataire"'
    expect(page.locator("#cc-purpose-necessary thead")).to_have_css("position", "absolute")
    # Still a table to assistive technology: the row header and its cells are exposed.
    expect(page.get_by_role("rowheader", name="cookies_preferences")).to_be_visible()
    box = card.bounding_box()
    assert box["width"] <= 390
    screenshot(page, "charter-page-phone")


def test_dark_mode_follows_the_visitor(demo, new_context, screenshot) -> None:
    page = new_context(color_scheme="dark").new_page()
    page.goto(demo.url + "/fr/cookies/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    ink = page.evaluate("getComputedStyle(document.querySelector('.cc-charter p')).color")
    assert background == "rgb(22, 22, 22)", background
    assert ink == "rgb(236, 236, 236)", ink
    screenshot(page, "charter-page-dark")


def test_print_leaves_out_the_controls(demo, page) -> None:
    page.goto(demo.url + "/fr/cookies/")
    expect(page.locator(".cc-toc")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".cc-toc")).to_be_hidden()
    expect(page.locator(".cc-pdf")).to_be_hidden()
    expect(page.get_by_role("rowheader", name="sessionid")).to_be_visible()


def test_the_pdf_link_gives_the_charter_as_a_pdf(demo, page) -> None:
    page.goto(demo.url + "/en/cookies/")
    # The banner is shown (no choice made) and stands in nobody's way: the link is clicked as it is.
    expect(page.locator("#cookiecharter-banner")).to_be_visible()
    # Chromium opens the inline PDF in its viewer, under the name the server gave it.
    with page.expect_response(lambda r: r.url.endswith("/en/cookies/pdf/")) as answer:
        page.get_by_role("link", name="Download this charter as a PDF").click()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == "inline; filename=cookie-charter-en.pdf"
    expect(page).to_have_url(demo.url + "/en/cookies/pdf/")
    # The viewer stands in for the document in the page; fetch the bytes with the same cookie jar.
    assert page.request.get(page.url).body().startswith(b"%PDF-")
