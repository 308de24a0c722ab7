"""The consent paths on the demo portal, as a visitor takes them: refuse, accept, withdraw; with the
page script and without JavaScript; with Global Privacy Control; and on the seed's charter, where
nothing needs consent and no banner may appear.

What counts is what the browser stores (its cookie jar, for the portal and for the widget's origin)
and what it fetches (every request is watched for the widget server), never what the page claims.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAUNCH_ARGS

SEED_CHARTER = Path(__file__).resolve().parents[2] / "demo" / "charter-seed.toml"

BANNER = "[data-cookiecharter-banner]"
DIALOG = "#cookiecharter-preferences"
DATASET = "/fr/datasets/parkings/"


def names(context, url: str | None = None) -> set[str]:
    return {c["name"] for c in (context.cookies(url) if url else context.cookies())}


def watch_widget(page, demo) -> list[str]:
    """Every request the page makes to the widget server (another site: a third party)."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if request.url.startswith(demo.widget_url) else None)
    return seen


def wait_for_cookie(page, context, name: str, url: str | None = None, timeout_ms: int = 10_000) -> None:
    for _ in range(timeout_ms // 100):
        if name in names(context, url):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{name} never appeared; the jar holds {sorted(names(context))}")


def ledger_rows(demo) -> list[tuple[str, dict]]:
    with sqlite3.connect(demo.db_path) as db:
        rows = db.execute("SELECT method, choices FROM cookiecharter_consentrecord ORDER BY id").fetchall()
    return [(method, json.loads(choices)) for method, choices in rows]


def open_profile(browser, chromium_path: str, tmp_path: Path, **options):
    """A browser context on a fresh profile with Chromium's default cookie settings.

    Playwright's ``browser.new_context()`` is an off-the-record profile, which blocks third-party
    cookies outright: there the widget could never set ``mapwidget_session`` whatever the visitor
    chose, and "refusing keeps it away" would prove nothing. A normal profile, as a visitor's
    browser has, lets the third party set its cookie once (and only once) its frame is loaded.
    """
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}})
    )
    options.setdefault("locale", "fr-FR")
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=chromium_path, headless=True, args=LAUNCH_ARGS, **options
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture(params=["script", "no-script"])
def visitor(request, browser, chromium_path, tmp_path):
    """A first-time visitor, with the page script running or with JavaScript disabled."""
    scripted = request.param == "script"
    context = open_profile(browser, chromium_path, tmp_path, java_script_enabled=scripted)
    context.scripted = scripted
    yield context
    context.close()


def test_first_visit_shows_the_banner_and_sets_no_optional_cookie(demo, visitor):
    page = visitor.new_page()
    widget = watch_widget(page, demo)
    page.goto(demo.url + "/fr/")
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading", name="Les cookies sur ce site")).to_be_visible()
    expect(banner).to_contain_text("Ville d'Aix-en-Provence")
    expect(banner).to_contain_text("Mesure d'audience")
    expect(banner).to_contain_text("Contenus intégrés (carte)")
    expect(banner.get_by_role("link", name="Lire la charte cookies")).to_have_attribute("href", "/fr/cookies/")
    buttons = [banner.get_by_role("button", name=n) for n in ("Tout accepter", "Tout refuser", "Personnaliser")]
    boxes = [b.bounding_box() for b in buttons]
    # Equal weight: same size and the same colours for the three choices.
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1, boxes
    styles = {
        b.evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color, getComputedStyle(e).fontSize]"
        ).__str__()
        for b in buttons
    }
    assert len(styles) == 1, styles
    assert boxes[0]["height"] >= 44
    page.goto(demo.url + DATASET)
    assert names(visitor) <= {"csrftoken"}, names(visitor)
    assert widget == []


def test_refuse_all(demo, visitor):
    page = visitor.new_page()
    widget = watch_widget(page, demo)
    page.goto(demo.url + "/fr/")
    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    if not visitor.scripted:
        expect(page).to_have_url(demo.url + "/fr/")  # the 303 back to where the visitor was
    assert "cookies_preferences" in names(visitor)
    page.reload()
    expect(page.locator(BANNER)).to_have_count(0)
    page.goto(demo.url + DATASET)
    expect(page.get_by_text("La carte est fournie par MapWidget")).to_be_visible()
    page.wait_for_timeout(500)
    assert "portal_audience" not in names(visitor)
    assert names(visitor, demo.widget_url) == set()
    assert widget == []
    # The choice is kept, and shown as such when the preferences are reopened.
    page.locator("footer").get_by_role("link", name="Gestion des cookies").click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).not_to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Contenus intégrés (carte)")).not_to_be_checked()


def test_accept_all_then_withdraw_statistics(demo, visitor):
    page = visitor.new_page()
    widget = watch_widget(page, demo)
    page.goto(demo.url + "/fr/")
    page.locator(BANNER).get_by_role("button", name="Tout accepter").click()
    expect(page.locator(BANNER)).to_have_count(0)
    if visitor.scripted:
        # The audience script runs on this very page, without a reload.
        wait_for_cookie(page, visitor, "portal_audience")
    else:
        page.reload()
        assert "portal_audience" not in names(visitor)  # a page with no script never sets it
        # As the audience script left it on an earlier visit with scripts on: the withdrawal
        # below must then remove it without any script (the server's deletion header).
        visitor.add_cookies([{"name": "portal_audience", "value": "earlier-visit", "url": demo.url}])
    page.goto(demo.url + DATASET)
    # The widget frame loads (with the script, or written with its src by the server without it).
    frame = page.locator(".map-slot iframe")
    expect(frame).to_have_attribute("src", re.compile("^" + re.escape(demo.widget_url)))
    wait_for_cookie(page, visitor, "mapwidget_session", demo.widget_url)
    assert widget, "the widget frame was never requested"
    expect(page.get_by_text("La carte est fournie par MapWidget")).not_to_be_visible()

    # Reopen the preferences from the footer: the current choice is shown; withdraw statistics.
    page.locator("footer").get_by_role("link", name="Gestion des cookies").click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    stats = dialog.get_by_role("checkbox", name="Mesure d'audience")
    expect(stats).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Contenus intégrés (carte)")).to_be_checked()
    stats.uncheck()
    dialog.get_by_role("button", name="Enregistrer mes choix").click()
    expect(dialog).not_to_be_visible()
    page.wait_for_timeout(300)
    assert "portal_audience" not in names(visitor)
    page.reload()
    page.wait_for_timeout(300)
    assert "portal_audience" not in names(visitor)
    methods = [m for m, _ in ledger_rows(demo)]
    assert "withdraw" in methods


def test_customise_without_script_opens_the_preferences_and_saves_a_custom_choice(demo, new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    expect(page).to_have_url(re.compile(r"\?cookiecharter=preferences$"))
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).not_to_be_checked()  # off by default
    # Closing decides nothing (a <form method=dialog>: the browser closes it, no script needed).
    dialog.get_by_role("button", name="Fermer sans enregistrer").click()
    expect(dialog).not_to_be_visible()
    expect(page.locator(BANNER)).to_be_visible()
    assert "cookies_preferences" not in names(context)
    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("checkbox", name="Mesure d'audience").check()
    dialog.get_by_role("button", name="Enregistrer mes choix").click()
    expect(page).to_have_url(demo.url + "/fr/")
    expect(page.locator(BANNER)).to_have_count(0)
    value = {c["name"]: c["value"] for c in context.cookies()}["cookies_preferences"]
    assert value.split(".")[3] == "statistics"


def test_global_privacy_control_refuses_embeds_and_the_ledger_says_so(demo_server, browser, chromium_path, tmp_path):
    demo = demo_server()
    context = open_profile(browser, chromium_path, tmp_path, extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    widget = watch_widget(page, demo)
    page.goto(demo.url + "/fr/")
    # The banner still asks about what GPC does not cover (statistics).
    expect(page.locator(BANNER)).to_be_visible()
    rows = ledger_rows(demo)
    assert rows == [("browser-signal", {"embeds": False})], rows
    page.locator(BANNER).get_by_role("button", name="Tout accepter").click()
    expect(page.locator(BANNER)).to_have_count(0)
    wait_for_cookie(page, context, "portal_audience")
    page.goto(demo.url + DATASET)
    page.wait_for_timeout(500)
    assert widget == [], "GPC refuses embeds even after 'accept all'"
    assert page.evaluate("window.cookiecharter.consent().granted") == ["statistics"]
    assert ledger_rows(demo)[-1] == ("accept-all", {"statistics": True, "embeds": False})
    assert names(context, demo.widget_url) == set()
    context.close()


def test_seed_charter_shows_no_banner_at_all(demo_server, context):
    demo = demo_server(charter=SEED_CHARTER)
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(BANNER)).to_have_count(0)
    expect(page.locator(DIALOG)).to_have_count(0)
    assert page.locator("script[src*=consent]").count() == 0
    assert page.locator("link[href*='consent.css']").count() == 0
    page.goto(demo.url + "/fr/cookies/")
    expect(page.locator(BANNER)).to_have_count(0)


def test_consent_mode_event_and_script_api(demo, context):
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    layer = "() => window.dataLayer.map(a => Array.from(a))"
    # The default, all denied, is queued first of all (before any tag could read it).
    first = page.evaluate(layer)[0]
    assert first[:2] == ["consent", "default"]
    assert first[2].pop("wait_for_update") == 500
    assert set(first[2].values()) == {"denied"} and "ad_user_data" in first[2] and "analytics_storage" in first[2]
    assert page.evaluate("window.cookiecharter.consent()") == {"decided": False, "granted": [], "gpc": False}
    page.evaluate(
        "window.seen = []; window.cookiecharter.on(d => seen.push(d));"
        "document.addEventListener('cookiecharter:consent', e => seen.push(e.detail.granted.join(',')))"
    )
    page.locator(BANNER).get_by_role("button", name="Tout accepter").click()
    expect(page.locator(BANNER)).to_have_count(0)
    page.wait_for_function("window.seen.length == 2")
    assert page.evaluate("window.seen") == [{"granted": ["embeds", "statistics"]}, "embeds,statistics"]
    update = page.evaluate(layer)[-1]
    assert update[:2] == ["consent", "update"]
    granted = {k for k, v in update[2].items() if v == "granted"}
    assert granted == {"analytics_storage", "functionality_storage", "personalization_storage"}
    assert update[2]["ad_storage"] == "denied"
    # On the next page, the update follows the default at once, from the cookie.
    page.reload()
    entries = page.evaluate(layer)
    assert [e[1] for e in entries[:2]] == ["default", "update"]
    assert entries[1][2] == update[2]
    # The script API opens the preferences with the choice shown.
    page.evaluate("window.cookiecharter.open()")
    expect(page.locator(DIALOG).get_by_role("checkbox", name="Contenus intégrés (carte)")).to_be_checked()


def test_blocked_scripts_run_in_document_order_once_granted(demo, context):
    page = context.new_page()
    page.goto(demo.url + "/fr/")
    # Three more blocked scripts, as a site would write them: inline, external, inline; plus one
    # for a purpose the visitor will not grant.
    page.evaluate(
        """() => {
            window.ran = [];
            const add = (purpose, text, src) => {
                const s = document.createElement('script');
                s.type = 'text/plain';
                s.dataset.cookiecharter = purpose;
                if (src) s.setAttribute('src', src); else s.text = text;
                document.body.append(s);
            };
            add('statistics', "ran.push('first')");
            add('statistics', null, 'data:text/javascript,' + encodeURIComponent("ran.push('second')"));
            add('embeds', "ran.push('embeds')");
            add('statistics', "ran.push('third')");
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") == []  # nothing runs before a decision
    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    page.locator(DIALOG).get_by_role("checkbox", name="Mesure d'audience").check()
    page.locator(DIALOG).get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_function("window.ran.length >= 3")
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") == ["first", "second", "third"]
    wait_for_cookie(page, context, "portal_audience")


def test_the_placeholder_button_allows_the_map_alone(demo, visitor):
    page = visitor.new_page()
    widget = watch_widget(page, demo)
    page.goto(demo.url + DATASET)
    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    assert widget == []
    page.get_by_role("button", name="Autoriser « Contenus intégrés (carte) »").click()
    frame = page.locator(".map-slot iframe")
    expect(frame).to_have_attribute("src", re.compile("^" + re.escape(demo.widget_url)))
    wait_for_cookie(page, visitor, "mapwidget_session", demo.widget_url)
    expect(page.get_by_text("La carte est fournie par MapWidget")).not_to_be_visible()
    value = {c["name"]: c["value"] for c in visitor.cookies(demo.url)}["cookies_preferences"]
    assert value.split(".")[3] == "embeds"  # statistics stays refused
    assert "portal_audience" not in names(visitor)


def test_a_bare_blocked_frame_gets_a_same_size_placeholder_that_allows_it(demo, context):
    """A page that writes only <iframe data-cookiecharter data-src> (no placeholder of its own)."""
    context.add_init_script(
        f"""document.addEventListener('DOMContentLoaded', () => {{
            const f = document.createElement('iframe');
            f.dataset.cookiecharter = 'embeds';
            f.dataset.src = '{demo.widget_url}/privacy';
            f.title = 'MapWidget';
            f.width = 400; f.height = 200;
            document.querySelector('main').prepend(f);
        }});"""
    )
    page = context.new_page()
    widget = watch_widget(page, demo)
    page.goto(demo.url + "/fr/")
    placeholder = page.locator(".cc-ph")
    expect(placeholder).to_be_visible()
    expect(placeholder).to_contain_text("Contenus intégrés (carte)")
    box = placeholder.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (400, 200)  # nothing moves when it loads
    page.wait_for_timeout(300)
    assert widget == []
    placeholder.get_by_role("button", name="Autoriser « Contenus intégrés (carte) »").click()
    expect(placeholder).to_have_count(0)
    frame = page.locator("main iframe[data-cookiecharter=embeds]").first
    expect(frame).to_have_attribute("src", demo.widget_url + "/privacy")
    expect(frame).to_be_visible()
    page.wait_for_timeout(300)
    assert widget
    assert page.evaluate("window.cookiecharter.consent().granted") == ["embeds"]
    # The banner is gone too: allowing a frame is a decision (custom: embeds only).
    expect(page.locator(BANNER)).to_have_count(0)


def test_everything_works_under_a_strict_content_security_policy(demo, context):
    """No inline script or style anywhere in the consent UI: the portal's pages, as the real server
    sends them, plus the policy a strict site would send (no 'unsafe-inline'); the browser reports
    any violation through `securitypolicyviolation`."""
    policy = (
        f"default-src 'self'; script-src 'self'; style-src 'self'; frame-src {demo.widget_url}; img-src 'self' data:"
    )

    def with_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    context.route(demo.url + "/fr/**", with_policy)
    context.add_init_script(
        "window.violations = []; document.addEventListener('securitypolicyviolation',"
        " e => violations.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.sample]))"
    )
    page = context.new_page()
    page.goto(demo.url + DATASET)
    page.locator(BANNER).get_by_role("button", name="Personnaliser").click()
    expect(page.locator(DIALOG)).to_be_visible()
    page.locator(DIALOG).get_by_role("button", name="Tout accepter").click()
    expect(page.locator(BANNER)).to_have_count(0)
    wait_for_cookie(page, context, "portal_audience")  # the activated script ran
    expect(page.locator(".map-slot iframe")).to_have_attribute("src", re.compile("^" + re.escape(demo.widget_url)))
    assert page.evaluate("window.violations") == []


def test_the_script_passes_navigator_gpc_on_with_each_decision(demo, context):
    # A browser whose script-visible GPC is on (the header is the server's business, tested above).
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    page = context.new_page()
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data or "") if r.url.endswith("/cookies/consent/") else None)
    page.goto(demo.url + "/fr/")
    assert page.evaluate("window.cookiecharter.consent().gpc") is True
    page.locator(BANNER).get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    assert len(posted) == 1
    assert re.search(r'name="gpc"\r\n\r\n1\r\n', posted[0]), posted[0]
    assert re.search(r'name="choice"\r\n\r\nrefuse-all\r\n', posted[0])


def test_the_preferences_are_fetched_when_first_opened_and_open_even_when_that_fails(demo, context):
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "/cookies/preferences/" in request.url else None)
    page.goto(demo.url + "/fr/")
    expect(page.locator(DIALOG)).to_have_count(0)  # not in the page until somebody opens it
    page.get_by_role("button", name="Tout refuser").click()
    expect(page.locator(BANNER)).to_have_count(0)
    assert fetched == []

    # The footer link fetches the dialog once, for this page, and opens it with the choice made.
    footer_link = page.get_by_role("contentinfo").get_by_role("link", name="Gestion des cookies")
    footer_link.click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    assert len(fetched) == 1 and fetched[0].endswith("/fr/cookies/preferences/?next=%2Ffr%2F"), fetched
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).not_to_be_checked()
    dialog.get_by_role("checkbox", name="Mesure d'audience").check()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    footer_link.click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Mesure d'audience")).not_to_be_checked()  # nothing was saved
    dialog.get_by_role("checkbox", name="Mesure d'audience").check()
    dialog.get_by_role("button", name="Enregistrer mes choix").click()
    expect(dialog).not_to_be_visible()
    wait_for_cookie(page, context, "portal_audience")
    assert len(fetched) == 1 and page.locator(DIALOG).count() == 1

    # When the endpoint cannot be reached, the page comes back with the preferences open, the
    # way it works without JavaScript, its own query kept.
    other = context.new_page()
    other.route("**/cookies/preferences/**", lambda route: route.abort())
    other.goto(demo.url + "/fr/datasets/?theme=mobilite")
    other.get_by_role("contentinfo").get_by_role("link", name="Gestion des cookies").click()
    expect(other).to_have_url(re.compile(r"/fr/datasets/\?theme=mobilite&cookiecharter=preferences$"))
    expect(other.locator(DIALOG)).to_be_visible()
    expect(other.locator(DIALOG).get_by_role("checkbox", name="Mesure d'audience")).to_be_checked()
