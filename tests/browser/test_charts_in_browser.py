"""The overview's charts of choices over time, as a data protection officer reads them: in French and
in English, on a desktop and on a 390 px phone, and in the admin's dark mode. A person sees each
chart, can open its data table, and nothing scrolls sideways. Screenshots of the charts' section go
to test-artifacts/charts-*.png."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.demo_steps import decide, sign_in

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"

PAGE = "/admin/cookiecharter/complianceoverview/"

#: The admin's login form and the charts' words, per language.
WORDS = {
    "fr": {
        "locale": "fr-FR",
        "title": "Choix au fil du temps",
        "volume": "Choix par jour",
        "accept": "Tout accepter : part des choix de chaque jour",
        "purposes": "Taux d’acceptation par finalité",
        "table": "Tableau des données : choix par jour",
        "purpose_table": "Tableau des données : acceptation par finalité",
        "day": "Jour",
    },
    "en": {
        "locale": "en-GB",
        "title": "Choices over time",
        "volume": "Choices per day",
        "accept": "Accept all: share of each day’s choices",
        "purposes": "Acceptance rate per purpose",
        "table": "Data table: choices per day",
        "purpose_table": "Data table: acceptance per purpose",
        "day": "Day",
    },
}


@pytest.fixture
def portal(demo_server, new_context):
    demo = demo_server()
    for action in ("accept-all", "refuse-all", "accept-all"):
        ctx = new_context()
        decide(ctx, demo, action)
        ctx.close()
    columns = "site, consent_id, charter_version_id, texts_digest, language, user_id, record_hash"
    with sqlite3.connect(demo.db_path) as db:
        for days_ago in range(1, 22):
            if days_ago % 6 == 0:
                continue  # a day without any choice
            for n, (method, choices) in enumerate(
                [
                    ("accept-all", '{"statistics": true, "embeds": true}'),
                    ("refuse-all", '{"statistics": false, "embeds": false}'),
                    ("custom", '{"statistics": true, "embeds": false}'),
                    ("accept-all", '{"statistics": true, "embeds": true}'),
                    ("withdraw", '{"statistics": false, "embeds": false}'),
                    ("browser-signal", '{"embeds": false}'),
                ][: 2 + days_ago % 5]
            ):
                db.execute(
                    f"INSERT INTO cookiecharter_consentrecord ({columns}, created_at, choices, method) "
                    f"SELECT {columns}, datetime(created_at, ?), ?, ? FROM cookiecharter_consentrecord "
                    "ORDER BY id LIMIT 1",
                    [f"-{days_ago} days", choices, method],
                )
                assert n < 6
    return demo


def run_axe(page, include: str) -> list[dict]:
    """axe-core's WCAG 2.x A/AA and best-practice checks on one part of the page."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser` (make test does)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (include) => {
            const result = await axe.run({include: [include]},
                {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }""",
        include,
    )


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#trend").screenshot(path=str(ARTIFACTS / f"charts-{name}.png"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_charts_on_a_desktop_and_a_phone(portal, new_context, lang):
    words = WORDS[lang]
    for device, options in (
        ("desktop", {"viewport": {"width": 1280, "height": 900}}),
        ("phone", {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}),
    ):
        page = new_context(locale=words["locale"], **options).new_page()
        sign_in(page, portal)
        page.goto(portal.url + PAGE + "#trend")
        section = page.locator("#trend")
        expect(section.get_by_role("heading", name=words["title"])).to_be_visible()
        # Each chart is an image with a caption a person reads: the volume, one per choice, the purposes.
        for caption in (words["volume"], words["accept"], words["purposes"]):
            figure = section.locator("figure", has=page.locator("figcaption", has_text=caption))
            expect(figure).to_be_visible()
            figure.scroll_into_view_if_needed()
            svg = figure.locator("svg[role=img]")
            expect(svg).to_be_visible()
            box = svg.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 60, (caption, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= options["viewport"]["width"] + 1, (caption, box)
        # Bars were drawn (today's three clicks and the copied days).
        assert section.locator('figure[data-chart="volume"] rect.cc-chart-bar').count() >= 15
        # The data table is there for whoever cannot read the chart: closed, then opened by its summary.
        table = section.locator("#cc-trend-data table")
        expect(table).to_be_hidden()
        section.get_by_text(words["table"], exact=True).click()
        expect(table).to_be_visible()
        expect(table.get_by_role("columnheader", name=words["day"])).to_be_visible()
        assert table.locator("tbody tr").count() == 30
        today = table.locator("tbody tr").last
        expect(today.locator('td[data-method="total"]')).to_have_text("3")
        section.get_by_text(words["purpose_table"], exact=True).click()
        expect(section.locator('#cc-purpose-data tr[data-purpose="statistics"]')).to_be_visible()
        # Nothing wider than the screen: the page scrolls down, never sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= options["viewport"]["width"], f"the page is {width}px wide"
        # Both tables open: axe checks the charts, the tables and their contrast.
        assert run_axe(page, "#trend") == []
        shot(page, f"{lang}-{device}")
        page.context.close()


def test_charts_in_dark_mode_and_a_chosen_range(portal, new_context):
    words = WORDS["en"]
    page = new_context(locale=words["locale"], color_scheme="dark").new_page()
    sign_in(page, portal)
    page.goto(portal.url + PAGE + "#trend")
    bar = page.locator('figure[data-chart="volume"] rect.cc-chart-bar').first
    # The bars take the admin's link colour of the dark theme, readable on its dark background.
    fill = bar.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(129, 212, 250)", fill
    label = page.locator('figure[data-chart="volume"] text.cc-chart-label').first
    assert label.evaluate("e => getComputedStyle(e).fill") != "rgb(51, 51, 51)", "labels kept the light theme"
    # A range typed in the form: two weeks.
    section = page.locator("#trend")
    dates = page.evaluate(
        "() => { const d = new Date(); const f = x => x.toISOString().slice(0, 10);"
        " const a = new Date(d); a.setDate(d.getDate() - 20); const b = new Date(d); b.setDate(d.getDate() - 7);"
        " return [f(a), f(b)]; }"
    )
    page.locator("#cc-from").fill(dates[0])
    page.locator("#cc-until").fill(dates[1])
    section.get_by_role("button", name="Show the period").click()
    section.get_by_text(words["table"], exact=True).click()
    assert section.locator("#cc-trend-data tbody tr").count() == 14
    section.get_by_text(words["purpose_table"], exact=True).click()
    assert run_axe(page, "#trend") == []
    shot(page, "en-dark-range")
    # A wrong range: a message, the default range, still a page.
    page.goto(portal.url + PAGE + "?from=2026-02-30#trend")
    expect(page.locator(".cc-range-errors")).to_contain_text("is not a date")
    shot(page, "en-dark-bad-range")
