"""Exporting the ledger from the compliance overview, as a data protection officer does it in
Chromium: pick a format (and dates, a purpose), press the button, get a file, find the export
listed with its SHA-256. In French on a desktop, in English, and on a 390 px phone. Screenshots go
to test-artifacts/."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.demo_steps import decide, sign_in

OVERVIEW = "/admin/cookiecharter/complianceoverview/"
#: The export section's own sideways scroll, and what sticks out of it (tag, class, width).
WIDER_THAN_THE_SECTION = """(() => {
  const section = document.querySelector('#export');
  if (section.scrollWidth <= section.clientWidth + 1) return [];
  const right = section.getBoundingClientRect().right;
  return [...section.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > right + 1)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().width)}px`);
})()"""


def download(page, button: str):
    """Press the export button; the file's name and bytes."""
    with page.expect_download() as info:
        page.locator("#export").get_by_role("button", name=button).click()
    got = info.value
    path = got.path()
    assert got.failure() is None
    with open(path, "rb") as handle:
        return got.suggested_filename, handle.read()


def recorded(demo) -> list[tuple]:
    assert demo.db_path is not None
    with sqlite3.connect(demo.db_path) as db:
        return db.execute(
            "SELECT username, format, records, sha256, purpose FROM cookiecharter_ledgerexport ORDER BY id"
        ).fetchall()


@pytest.fixture
def portal(demo_server, new_context):
    demo = demo_server()
    for action in ("accept-all", "refuse-all", "accept-all"):
        ctx = new_context()
        decide(ctx, demo, action)
        ctx.close()
    return demo


def test_export_in_french_then_in_english(portal, new_context, screenshot):
    page = new_context().new_page()
    sign_in(page, portal, OVERVIEW)
    section = page.locator("#export")
    expect(section.get_by_role("heading", level=2)).to_have_text("Exporter le registre")
    expect(section).to_contain_text("Aucun export pour l’instant.")
    page.get_by_label("Format").select_option("csv")
    name, data = download(page, "Exporter")
    assert name == "ledger-default.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [r["method"] for r in rows] == ["accept-all", "refuse-all", "accept-all"]
    assert rows[1]["refused"] == "embeds statistics" and rows[0]["granted"] == "embeds statistics"
    digest = hashlib.sha256(data).hexdigest()
    assert recorded(portal) == [("demo", "csv", 3, digest, "")]
    # The page lists it once reloaded (a download does not leave the page).
    page.reload()
    line = page.locator("[data-exports] tbody tr").first
    expect(line).to_contain_text("demo")
    expect(line).to_contain_text("CSV")
    expect(line.locator("code")).to_have_text(digest[:12])
    screenshot(page, "back-office-export-fr")

    english = new_context(locale="en-GB").new_page()
    sign_in(english, portal, OVERVIEW)
    section = english.locator("#export")
    expect(section.get_by_role("heading", level=2)).to_have_text("Export the ledger")
    english.get_by_label("Format").select_option("iso27560")
    english.get_by_label("Purpose", exact=True).select_option("statistics")
    # A day either side of today, so the server's time zone and the test's cannot disagree on the day.
    since, until = date.today() - timedelta(days=1), date.today() + timedelta(days=1)
    english.get_by_label("From (included)").fill(since.isoformat())
    english.get_by_label("Until (included)").fill(until.isoformat())
    name, data = download(english, "Export")
    assert name == f"ledger-default-from-{since:%Y%m%d}-until-{until:%Y%m%d}-statistics.iso27560.jsonl"
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert len(lines) == 3
    assert [line["events"][0]["event_state"] for line in lines] == ["given", "refused", "given"]
    assert all(line["purposes"][0]["lawful_basis"] == "consent" for line in lines)
    assert {p["purpose_id"] for p in lines[0]["purposes"]} == {"statistics", "embeds"}
    assert recorded(portal)[-1] == ("demo", "iso27560", 3, hashlib.sha256(data).hexdigest(), "statistics")
    english.reload()
    expect(english.locator("[data-exports] tbody tr").first).to_contain_text("ISO/IEC TS 27560")
    screenshot(english, "back-office-export-en")


def test_export_on_a_phone_in_dark_mode(portal, new_context, screenshot):
    # A phone in dark mode: the form follows the admin's dark theme (no white field on a dark page).
    phone = new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, color_scheme="dark"
    ).new_page()
    sign_in(phone, portal, OVERVIEW)
    for field in ("#cc-export-format", "#cc-export-since"):
        background = phone.evaluate(f"getComputedStyle(document.querySelector('{field}')).backgroundColor")
        assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), (field, background)
    section = phone.locator("#export")
    section.scroll_into_view_if_needed()
    # Nothing wider than the screen, and the export section needs no sideways scroll of its own.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    wide = phone.evaluate(WIDER_THAN_THE_SECTION)
    assert wide == [], f"wider than the export section on a phone: {wide}"
    phone.get_by_label("Format").select_option("jsonl")
    name, data = download(phone, "Exporter")
    assert name == "ledger-default.jsonl"
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [line["method"] for line in lines] == ["accept-all", "refuse-all", "accept-all"]
    phone.reload()
    expect(phone.locator("[data-exports] tbody tr")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    wide = phone.evaluate(WIDER_THAN_THE_SECTION)
    assert wide == [], f"wider than the export section on a phone: {wide}"
    screenshot(phone, "back-office-export-phone")
