"""The consent UI for everyone: keyboard alone, axe-core's checks, no layout shift, and how it
looks (screenshots of the banner and the preferences on a desktop and a phone, light and dark,
saved under test-artifacts/ for a person to look at)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
BANNER = "[data-cookiecharter-banner]"
DIALOG = "#cookiecharter-preferences"


def focused(page) -> str:
    """What the keyboard is on: its accessible text, as a person would read it."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent || e.value || '').trim(); }"
    )


def tab_to(page, text: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == text:
            return
    raise AssertionError(f"Tab never reached {text!r}; stopped on {focused(page)!r}")


def consent_cookie(context) -> str | None:
    return {c["name"]: c["value"] for c in context.cookies()}.get("cookies_preferences")


def test_keyboard_only_through_banner_and_preferences(demo, context):
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    # The banner comes first in the tab order, right after the skip link.
    tab_to(page, "Tout accepter", limit=3)
    page.keyboard.press("Tab")
    assert focused(page) == "Tout refuser"
    page.keyboard.press("Tab")
    assert focused(page) == "Personnaliser"
    page.keyboard.press("Enter")
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.closest('#cookiecharter-preferences') !== null")
    assert page.evaluate("document.querySelector('#cookiecharter-preferences').matches(':modal')")

    # Tick a purpose with Space, then Escape: the dialog closes, nothing is decided, and the
    # keyboard is back on "Personnaliser".
    tab_to(page, "Mesure d'audience")
    page.keyboard.press("Space")
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).to_be_checked()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    assert focused(page) == "Personnaliser"
    assert consent_cookie(context) is None
    expect(page.locator(BANNER)).to_be_visible()

    # Reopened: the unsaved tick is gone. Tick again with Space and save with Enter.
    page.keyboard.press("Space")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).not_to_be_checked()
    tab_to(page, "Mesure d'audience")
    page.keyboard.press("Space")
    tab_to(page, "Enregistrer mes choix")
    page.keyboard.press("Enter")
    expect(page.locator(BANNER)).to_have_count(0)
    expect(dialog).not_to_be_visible()
    assert consent_cookie(context).split(".")[3] == "statistics"

    # The footer link reopens the preferences with the choice shown; Escape returns to the link.
    tab_to(page, "Gestion des cookies", limit=80)
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).to_be_checked()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    assert focused(page) == "Gestion des cookies"


def run_axe(page, include: str | None = None) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser` (make test does)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (include) => {
            const result = await axe.run(include ? {include: [include]} : document,
                {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }""",
        include,
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_banner_preferences_and_charter_page(demo, new_context, scheme):
    context = new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    assert run_axe(page, BANNER) == []
    assert run_axe(page) == []  # and the page around it (the banner comes after the skip link)
    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    expect(page.locator(DIALOG)).to_be_visible()
    for summary in page.locator(f"{DIALOG} summary").all():
        summary.click()  # the cookie details too
    assert run_axe(page, DIALOG) == []
    page.keyboard.press("Escape")
    page.goto(demo.url + "/fr/cookies/")
    assert run_axe(page) == []


LAYOUT_SHIFTS = """() => new Promise(resolve => {
    const shifts = [];
    new PerformanceObserver(list => shifts.push(...list.getEntries().map(e => ({value: e.value, input: e.hadRecentInput}))))
        .observe({type: 'layout-shift', buffered: true});
    setTimeout(() => resolve(shifts), 1000);
})"""


def slow_answer(route) -> None:
    time.sleep(0.8)  # a busy server: the answer comes well after the click
    route.continue_()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 360, "height": 740}])
def test_the_banner_takes_its_own_room_and_only_a_choice_moves_the_page(demo, new_context, viewport):
    context = new_context(viewport=viewport)
    page = context.new_page()
    page.goto(demo.url + "/fr/datasets/parkings/")
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    # It is in the first paint, so its arrival shifts nothing; and it is in the page's flow, above
    # the page's header, so it lies over nothing.
    assert page.evaluate(LAYOUT_SHIFTS) == []
    box = banner.bounding_box()
    assert page.locator(".site-header").bounding_box()["y"] >= box["y"] + box["height"]
    # It goes in the same moment as the click that decided, not when the server answers (here a
    # slow one, past the 500 ms after an input within which the Layout Instability API counts a
    # shift as caused by the visitor): the page moving up is the visitor's doing, not a surprise.
    page.route("**/cookies/consent/", slow_answer)
    banner.get_by_role("button", name="Tout refuser").click()
    expect(banner).to_have_count(0)
    shifts = page.evaluate(LAYOUT_SHIFTS)
    assert shifts and all(s["input"] for s in shifts), shifts
    # The same when the choice is made in the preferences, over the banner.
    page = context.new_page()
    context.clear_cookies()
    page.route("**/cookies/consent/", slow_answer)
    page.goto(demo.url + "/fr/datasets/parkings/")
    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    page.locator(DIALOG).get_by_role("button", name="Tout accepter").click()
    expect(page.locator(BANNER)).to_have_count(0)
    shifts = page.evaluate(LAYOUT_SHIFTS)
    assert shifts and all(s["input"] for s in shifts), shifts


@pytest.mark.parametrize(
    "device,viewport", [("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 360, "height": 740})]
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_banner_and_preferences(demo, new_context, device, viewport, scheme):
    context = new_context(viewport=viewport, color_scheme=scheme, is_mobile=device == "phone")
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    # Every choice is on screen without scrolling, on a phone too.
    for name in ("Tout accepter", "Tout refuser", "Personnaliser"):
        box = banner.get_by_role("button", name=name).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (name, box)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"consent-banner-{device}-{scheme}.png"))
    banner.get_by_role("button", name="Personnaliser").click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    dialog.locator("summary").first.click()
    page.screenshot(path=str(ARTIFACTS / f"consent-preferences-{device}-{scheme}.png"))
    # The dialog fits the screen; its own buttons stay reachable.
    box = dialog.bounding_box()
    assert box["width"] <= viewport["width"] and box["height"] <= viewport["height"]
    expect(dialog.get_by_role("button", name="Enregistrer mes choix")).to_be_in_viewport()


def test_a_link_to_the_open_preferences_gives_a_modal_dialog_with_the_script(demo, context):
    page = context.new_page()
    page.goto(demo.url + "/fr/?cookiecharter=preferences")
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.matches(':modal')")
    assert page.evaluate("document.activeElement.id") == "cc-prefs-title"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#cookiecharter-preferences') !== null")
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    expect(page.locator(BANNER)).to_be_visible()


def test_a_saved_choice_is_announced_and_the_page_stays_clean(demo, context):
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Votre choix est enregistré")).to_have_count(1)
    assert run_axe(page) == []
