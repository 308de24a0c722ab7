"""The banner never stands between a visitor and the site (issue 17).

On every page type of the demo, on both of its portals, at a phone's width, a small phone's, a
desktop's and a desktop zoomed to 200 %, in French and in English, with and without JavaScript,
and with the banner shown (a first visit): every control the page shows can be scrolled to and
hit by a pointer, and the banner's three choices are on the first screen.

"Hit by a pointer" is the browser's own hit test: the control is scrolled into view as a person
would scroll to it, then ``document.elementFromPoint`` at its centre must answer the control (or
something inside it), not the banner or anything else laid over it. That is the test a person's
click passes or fails; with the old fixed banner it failed for the sign-in button and the footer's
"Gestion des cookies" link, which no scrolling could bring out from under it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BANNER = "[data-cookiecharter-banner]"
LANGUAGES = ("fr", "en")

#: Each page type of the demo (the back office aside), as a path under a language prefix.
PAGE_TYPES = {
    "home": "/{lang}/",
    "dataset": "/{lang}/datasets/parkings/",
    "cookie-filter": "/{lang}/cookie-filter/",
    "sign-in": "/{lang}/login/",
    "charter": "/{lang}/cookies/",
    "not-found": "/{lang}/no-such-page/",
}

#: Browser windows: two phones, a desktop, and the same desktop zoomed to 200 % (what zooming
#: does to the layout: half as many CSS pixels, each drawn twice as large).
SCREENS = {
    "320": {"viewport": {"width": 320, "height": 568}},
    "390": {"viewport": {"width": 390, "height": 844}},
    "1280": {"viewport": {"width": 1280, "height": 720}},
    "1280-zoom-200": {"viewport": {"width": 640, "height": 360}, "device_scale_factor": 2},
}

#: Every control a visitor could point at, scrolled to one by one; the answer lists those a pointer
#: cannot reach, with what it would hit instead.
UNREACHABLE_CONTROLS = """() => {
    const describe = e => e ? (e.closest('[data-cookiecharter-banner]') ? 'the cookie banner'
        : e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')) : 'nothing';
    const name = e => (e.textContent || e.value || e.getAttribute('aria-label') || e.title || e.name
        || e.tagName).trim().replace(/\\s+/g, ' ').slice(0, 60);
    const controls = [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, iframe, [tabindex]:not([tabindex="-1"])')];
    const reached = [], unreachable = [];
    for (const control of controls) {
        if (!control.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        let box = control.getBoundingClientRect();
        if (box.width < 2 || box.height < 2) continue;  // visually hidden, for screen readers
        // Kept above or left of the page on purpose (a skip link): a keyboard control, not a pointer's.
        if (box.bottom + scrollY <= 0 || box.right + scrollX <= 0) continue;
        control.scrollIntoView({block: 'center', inline: 'center'});
        box = control.getClientRects()[0];  // a link broken over two lines: aim at its first line
        const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
        const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
        const hit = document.elementFromPoint(x, y);
        const ok = hit && (control.contains(hit) || hit.control === control);
        (ok ? reached : unreachable).push(ok ? name(control) : name(control) + ' -> under ' + describe(hit));
    }
    scrollTo(0, 0);
    return {reached, unreachable, overflow: document.documentElement.scrollWidth - innerWidth};
}"""

#: The banner's choices as the page first shows them, before any scrolling.
BANNER_CHOICES = """() => [...document.querySelectorAll('[data-cookiecharter-banner] [data-cookiecharter-action]')].map(b => {
    const r = b.getBoundingClientRect(), hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {name: b.textContent.trim(), onScreen: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
            hit: b.contains(hit)};
})"""


def check_page(page, url: str, banner_expected: bool) -> list[str]:
    """Load ``url`` and list what is wrong with it (nothing, if all is well)."""
    problems = []
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if banner_expected:
        expect(page.locator(BANNER)).to_be_visible()
        choices = page.evaluate(BANNER_CHOICES)
        if len(choices) != 3 or not all(c["onScreen"] and c["hit"] for c in choices):
            problems.append(f"the banner's choices are not all on the first screen: {choices}")
    else:
        expect(page.locator(BANNER)).to_have_count(0)
    found = page.evaluate(UNREACHABLE_CONTROLS)
    if len(found["reached"]) < 8:  # the header, the navigation and the footer hold more than that
        problems.append(f"too few controls found, is the page whole? {found['reached']}")
    problems += [f"unreachable: {u}" for u in found["unreachable"]]
    if found["overflow"] > 0:
        problems.append(f"the page is {found['overflow']} px wider than the window")
    return [f"{url}: {p}" for p in problems]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_every_control_of_the_main_portal_is_reachable_with_the_banner_shown(demo, new_context, page_type, screen):
    problems = []
    for scripted in (True, False):
        context = new_context(java_script_enabled=scripted, **SCREENS[screen])
        page = context.new_page()
        for lang in LANGUAGES:
            problems += check_page(page, demo.url + PAGE_TYPES[page_type].format(lang=lang), banner_expected=True)
            # A first visit every time: nothing was decided, so the banner stays.
            assert "cookies_preferences" not in {c["name"] for c in context.cookies()}
    assert problems == []


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_every_control_of_the_sister_portal_is_reachable_and_no_banner_shows(demo, new_context, page_type, screen):
    page = new_context(**SCREENS[screen]).new_page()
    problems = []
    for lang in LANGUAGES:
        # Through the page: the browser resolves *.localhost itself (the test's own resolver may not).
        problems += check_page(page, demo.sister_url + PAGE_TYPES[page_type].format(lang=lang), banner_expected=False)
    assert problems == []


#: Phones the first layer must fit: a small phone, two common Android sizes, an iPhone's. At each
#: the banner takes at most about 40 % of the screen: 0.42 leaves a few pixels for a wording that
#: wraps differently, not the room of a stacked layout (62 % of a 320 x 568 screen).
PHONES = {
    "320": {"viewport": {"width": 320, "height": 568}},
    "360x640": {"viewport": {"width": 360, "height": 640}},
    "360x780": {"viewport": {"width": 360, "height": 780}},
    "390": {"viewport": {"width": 390, "height": 844}},
}
PHONE_SHARE = 0.42

#: What a visitor sees of the first layer: its height, the smallest text size in it, and for each
#: choice its box, its style and whether its label stays inside it (nothing clipped or spilling).
FIRST_LAYER = """() => {
    const banner = document.querySelector('[data-cookiecharter-banner]'), text = [];
    const walker = document.createTreeWalker(banner, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) if (walker.currentNode.data.trim()) text.push(parseFloat(getComputedStyle(walker.currentNode.parentElement).fontSize));
    const choices = [...banner.querySelectorAll('[data-cookiecharter-action]')].map(b => {
        const box = b.getBoundingClientRect(), range = document.createRange(), s = getComputedStyle(b);
        range.selectNodeContents(b);
        const label = range.getBoundingClientRect();
        return {name: b.textContent.trim(), width: Math.round(box.width), height: box.height,
                style: [s.fontSize, s.fontWeight, s.fontStretch, s.color, s.backgroundColor, s.borderRadius].join(' '),
                inside: label.left >= box.left && label.right <= box.right && label.top >= box.top && label.bottom <= box.bottom};
    });
    return {height: banner.getBoundingClientRect().height, smallest_text: Math.min(...text), choices};
}"""


def test_the_first_layer_fits_a_phone_and_its_heights_are_recorded(demo, new_context):
    """At most about 40 % of each phone's screen, in both languages, with text of at least 14 px and
    three choices of the same size and style, 44 px tall at least, their labels whole; the heights
    on every screen are kept in test-artifacts/banner-heights.json (docs/consent-ui.md quotes them)
    with a screenshot of each."""
    heights, problems = {}, []
    ARTIFACTS.mkdir(exist_ok=True)
    for screen, options in {**SCREENS, **PHONES}.items():
        page = new_context(**options).new_page()
        for lang in LANGUAGES:
            page.goto(f"{demo.url}/{lang}/")
            expect(page.locator(BANNER)).to_be_visible()
            seen = page.evaluate(FIRST_LAYER)
            window = options["viewport"]["height"]
            heights[f"{screen}-{lang}"] = {
                "height": round(seen["height"]),
                "window": window,
                "share": round(seen["height"] / window, 3),
            }
            page.screenshot(path=str(ARTIFACTS / f"banner-{screen}-{lang}.png"))
            where = f"{screen} {lang}"
            if seen["smallest_text"] < 14:
                problems.append(f"{where}: text of {seen['smallest_text']} px")
            choices = seen["choices"]
            if len({(c["width"], round(c["height"])) for c in choices}) != 1 or len({c["style"] for c in choices}) != 1:
                problems.append(f"{where}: the three choices differ: {choices}")
            problems += [f"{where}: {c['name']} is {c['height']} px tall" for c in choices if c["height"] < 44]
            problems += [f"{where}: the label of {c['name']} spills out of it" for c in choices if not c["inside"]]
            if screen in PHONES and heights[f"{screen}-{lang}"]["share"] > PHONE_SHARE:
                problems.append(f"{where}: the banner takes {heights[f'{screen}-{lang}']['share']:.0%} of the screen")
    (ARTIFACTS / "banner-heights.json").write_text(json.dumps(heights, indent=2) + "\n")
    assert not problems, "\n".join(problems) + f"\n{heights}"
    # The first layer stays short on a desktop too.
    assert all(heights[f"1280-{lang}"]["share"] <= 0.25 for lang in LANGUAGES), heights


#: Each choice of the first layer (``banner``) or of the dialog: its box, whether its label stays
#: inside it, its words and the lines it is drawn on.
CHOICES_OF = """where => [...document.querySelectorAll(where === 'banner'
        ? '[data-cookiecharter-banner] [data-cookiecharter-action]' : 'dialog[open] .cc-actions [data-cookiecharter-action]')].map(b => {
    const box = b.getBoundingClientRect(), range = document.createRange();
    range.selectNodeContents(b);
    const label = range.getBoundingClientRect(), text = b.textContent.trim();
    return {name: text, width: Math.round(box.width), height: Math.round(box.height),
            inside: label.left >= box.left && label.right <= box.right && label.top >= box.top && label.bottom <= box.bottom,
            words: text.split(/\\s+/).length, lines: new Set([...range.getClientRects()].map(r => Math.round(r.top))).size};
})"""


def whole_choices(page, where: str) -> list[str]:
    """What is wrong with the three choices of the banner or the dialog (nothing, if all is well)."""
    choices = page.evaluate(CHOICES_OF, where)
    problems = [f"{where}: the label of {c['name']} spills out of it" for c in choices if not c["inside"]]
    problems += [
        f"{where}: a word of {c['name']} is cut ({c['lines']} lines)" for c in choices if c["lines"] > c["words"]
    ]
    if len(choices) != 3 or len({(c["width"], c["height"]) for c in choices}) != 1:
        problems.append(f"{where}: the three choices differ: {choices}")
    return problems


@pytest.mark.parametrize("text_size", ["100%", "125%", "150%"])
@pytest.mark.parametrize("screen", ["320", "360x640"])
def test_the_choices_stay_whole_with_a_larger_text_size_on_a_small_phone(demo, new_context, screen, text_size):
    """A visitor who set a larger default text size (the root font size, which the consent UI's rem
    follow) on a small phone: in the banner and in the dialog the three choices stay alike, their
    labels inside them, no word of a label cut in two (they go one above the other when side by
    side they would not fit), and the page does not scroll sideways."""
    page = new_context(**PHONES[screen]).new_page()
    problems = []
    for lang in LANGUAGES:
        page.goto(f"{demo.url}/{lang}/")
        expect(page.locator(BANNER)).to_be_visible()
        page.add_style_tag(content=f"html {{ font-size: {text_size} }}")
        problems += [f"{lang} {p}" for p in whole_choices(page, "banner")]
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        if overflow > 0:
            problems.append(f"{lang}: the page is {overflow} px wider than the window")
        shot = f"{screen}-text-{text_size.rstrip('%')}-{lang}.png"
        page.screenshot(path=str(ARTIFACTS / f"banner-{shot}"))
        page.locator(BANNER).get_by_role("button", name={"fr": "Personnaliser", "en": "Customise"}[lang]).click()
        expect(page.locator("dialog[open]")).to_be_visible()
        problems += [f"{lang} {p}" for p in whole_choices(page, "dialog")]
        page.screenshot(path=str(ARTIFACTS / f"dialog-{shot}"))
    assert not problems, "\n".join(problems)
