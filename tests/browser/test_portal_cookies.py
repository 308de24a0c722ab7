"""The demo portal's cookies, as a browser sees them.

On the seed's charter (no purpose needs consent), using the portal as a person does (signing in,
switching language, marking a favourite through the page's own script) sets exactly the three
cookies the seed's platform declares besides the consent cookie: sessionid, django_language and
csrftoken, checked in the browser's own cookie jar and on the page, as a person sees it. On the
full demo charter, the portal's audience script and the third-party map widget set their cookies
only after consent. And the pieces behind that: the write API's refusals, the `make demo` launcher.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

SEED_CHARTER = Path(__file__).resolve().parents[2] / "demo" / "charter-seed.toml"


@pytest.fixture
def seed_portal(demo_server):
    return demo_server(charter=SEED_CHARTER)


def cookie_jar(context) -> dict[str, dict]:
    return {cookie["name"]: cookie for cookie in context.cookies()}


def test_signing_in_switching_language_and_favourite_set_exactly_the_seed_cookies(seed_portal, context, screenshot):
    page = context.new_page()

    # A first visit lands on the French catalogue; the page already carries the CSRF cookie its
    # script needs, and nothing else.
    page.goto(seed_portal.url + "/")
    expect(page).to_have_url(re.compile(r"/fr/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Les données publiques de la ville, libres de réutilisation"
    )
    assert set(cookie_jar(context)) == {"csrftoken"}

    # Sign in with the demo account.
    page.get_by_role("link", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    page.get_by_label("Identifiant").fill(seed_portal.username)
    page.get_by_label("Mot de passe").fill(seed_portal.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(seed_portal.user_full_name)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # Switch to English with the header's language switch (a plain form, no script needed).
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/en/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("The city's public data, free to reuse")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(seed_portal.user_full_name)

    # Open a dataset and mark it as a favourite: the page's script calls the write API with the
    # CSRF token taken from the csrftoken cookie.
    page.get_by_role("link", name="Public car parks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Public car parks")
    favourite = page.get_by_role("button", name="Favourite")
    expect(favourite).to_have_attribute("aria-pressed", "false")
    expect(favourite.locator(".favourite-star")).to_have_text("☆")
    with page.expect_response(lambda r: "/favourite/" in r.url) as answer:
        favourite.click()
    assert answer.value.status == 200, answer.value.text()
    expect(favourite).to_have_attribute("aria-pressed", "true")
    expect(favourite.locator(".favourite-star")).to_have_text("★")
    expect(page.get_by_role("status")).to_have_text("Added to your favourites.")
    screenshot(page, "portal-cookies-favourite")

    # Exactly the seed's three cookies, with the lifetimes and flags the charter declares.
    jar = cookie_jar(context)
    assert set(jar) == {"sessionid", "django_language", "csrftoken"}, jar
    assert jar["django_language"]["value"] == "en"
    assert jar["django_language"]["expires"] == -1  # a session cookie, as declared
    assert jar["sessionid"]["httpOnly"] is True
    assert all(cookie["domain"] == "127.0.0.1" for cookie in jar.values())

    # The favourite was really stored, and the page shows it after a reload and on the catalogue.
    page.reload()
    expect(page.get_by_role("button", name="Favourite").locator(".favourite-star")).to_have_text("★")
    page.get_by_role("link", name="Catalogue").first.click()
    card = page.locator(".card", has=page.get_by_role("link", name="Public car parks"))
    expect(card).to_contain_text("In your favourites")
    with sqlite3.connect(seed_portal.db_path) as db:
        rows = db.execute(
            "SELECT u.username, d.slug FROM portal_favourite f JOIN auth_user u ON u.id = f.user_id "
            "JOIN portal_dataset d ON d.id = f.dataset_id"
        ).fetchall()
    assert rows == [("demo", "parkings")]

    # Signing out ends the session: the header offers to sign in again and sessionid is gone.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert set(cookie_jar(context)) == {"django_language", "csrftoken"}


def test_the_write_api_refuses_a_post_without_the_csrf_token(seed_portal, context):
    """The reason csrftoken exists: without the token the favourite endpoint answers 403."""
    page = context.new_page()
    page.goto(seed_portal.url + "/en/login/")
    page.get_by_label("Username").fill(seed_portal.username)
    page.get_by_label("Password").fill(seed_portal.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()

    refused = page.evaluate(
        """async (url) => {
            const r = await fetch(url, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json"}, body: '{"favourite": true}'});
            return r.status;
        }""",
        seed_portal.url + "/api/datasets/parkings/favourite/",
    )
    assert refused == 403
    listing = page.request.get(seed_portal.url + "/api/datasets/").json()
    assert [d["slug"] for d in listing["datasets"] if d["favourite"]] == []


def test_the_map_widget_is_a_third_party_that_sets_its_cookie_only_after_consent(demo_server, new_regular_context):
    """On demo/charter.toml, in a browser that accepts third-party cookies (a regular profile): the
    dataset page's map is inert, and the widget never contacted, until the visitor accepts; then
    the frame draws the dataset's points and the widget's own cookie lands under its host name."""
    portal = demo_server()
    context = new_regular_context()
    widget_requests: list[str] = []
    context.on("request", lambda r: widget_requests.append(r.url) if r.url.startswith(portal.widget_url) else None)
    page = context.new_page()

    page.goto(portal.url + "/fr/datasets/fontaines/")
    expect(page.get_by_text("La carte est fournie par MapWidget, un service tiers.")).to_be_visible()
    # Not even in the page: the frame waits in an inert <template> (a live ifconsent block).
    expect(page.locator(".map-slot iframe")).to_have_count(0)
    assert widget_requests == []
    assert "mapwidget_session" not in cookie_jar(context)

    page.get_by_role("button", name="Tout accepter").click()
    frame = page.frame_locator(".map-slot iframe")
    expect(frame.locator("circle.point")).to_have_count(11)  # the fountains CSV has 11 rows
    expect(page.get_by_text("La carte est fournie par MapWidget, un service tiers.")).to_be_hidden()
    assert any("/map?dataset=fontaines" in url for url in widget_requests)
    widget_cookie = cookie_jar(context)["mapwidget_session"]
    assert widget_cookie["domain"] == "localhost"
    assert widget_cookie["sameSite"] == "None" and widget_cookie["secure"] is True


def test_the_audience_script_counts_pages_only_after_consent_and_keeps_only_day_path_count(demo_server, context):
    """The portal's own audience script (purpose "statistics") stays inert until consent; then it
    sets portal_audience for 13 months and each page view adds one to a per-day, per-path counter
    that holds nothing else (no IP address, no user agent, no visitor id)."""
    portal = demo_server()
    page = context.new_page()
    page.goto(portal.url + "/fr/")
    page.goto(portal.url + "/fr/datasets/parkings/")

    def counters() -> list[tuple[str, int]]:
        with sqlite3.connect(portal.db_path) as db:
            return db.execute("SELECT path, count FROM portal_dailyhit ORDER BY path").fetchall()

    assert counters() == []
    assert "portal_audience" not in cookie_jar(context)

    with page.expect_response(lambda r: r.url.endswith("/stats/hit")) as hit:
        page.get_by_role("button", name="Tout accepter").click()
    assert hit.value.status == 204
    with page.expect_response(lambda r: r.url.endswith("/stats/hit")):
        page.goto(portal.url + "/fr/")
    with page.expect_response(lambda r: r.url.endswith("/stats/hit")):
        page.goto(portal.url + "/fr/datasets/parkings/")

    assert counters() == [("/fr/", 1), ("/fr/datasets/parkings/", 2)]
    with sqlite3.connect(portal.db_path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(portal_dailyhit)")]
    assert columns == ["id", "day", "path", "count"]

    audience = cookie_jar(context)["portal_audience"]
    lifetime = audience["expires"] - time.time()
    assert 13 * 2_629_800 - 120 < lifetime <= 13 * 2_629_800  # 13 months, as the charter declares
    assert audience["sameSite"] == "Lax"


def test_the_write_api_answers_bad_requests_with_a_reason(demo, context):
    """Signed out, the favourite endpoint says to sign in (401); a garbled body is a 400, an
    unknown dataset a 404; each with a JSON reason, and nothing is stored."""
    page = context.new_page()
    page.goto(demo.url + "/en/")
    token = cookie_jar(context)["csrftoken"]["value"]
    headers = {"X-CSRFToken": token, "Content-Type": "application/json", "Referer": demo.url + "/en/"}
    url = demo.url + "/api/datasets/parkings/favourite/"

    signed_out = page.request.post(url, headers=headers, data='{"favourite": true}')
    assert signed_out.status == 401
    assert signed_out.json()["error"]

    page.goto(demo.url + "/en/login/")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()
    headers["X-CSRFToken"] = cookie_jar(context)["csrftoken"]["value"]  # rotated at sign-in

    garbled = page.request.post(url, headers=headers, data=b"{favourite")  # bytes: sent as they are
    assert garbled.status == 400 and "JSON" in garbled.json()["error"]
    wrong_type = page.request.post(url, headers=headers, data='{"favourite": "yes"}')
    assert wrong_type.status == 400
    unknown = page.request.post(demo.url + "/api/datasets/no-such-thing/favourite/", headers=headers, data="{}")
    assert unknown.status == 404 and unknown.json()["error"]
    listing = page.request.get(demo.url + "/api/datasets/").json()
    assert [d["slug"] for d in listing["datasets"] if d["favourite"]] == []


def test_make_demo_launcher_serves_both_and_ctrl_c_stops_both(tmp_path):
    """demo/run.py (what `make demo` runs): migrates, prints the URLs and the demo credentials,
    serves the portal and the widget, and one Ctrl-C (SIGINT) stops both servers cleanly."""
    demo_dir = SEED_CHARTER.parent
    sockets = [socket.socket() for _ in range(2)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    port, widget_port = (sock.getsockname()[1] for sock in sockets)
    for sock in sockets:
        sock.close()
    env = dict(
        os.environ,
        DEMO_PORT=str(port),
        DEMO_WIDGET_PORT=str(widget_port),
        DEMO_DATABASE=str(tmp_path / "demo.sqlite3"),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    log = tmp_path / "run.log"
    with log.open("w") as out:
        # A session of its own, so that whatever happens the test can stop the whole tree it started.
        launcher = subprocess.Popen(
            [sys.executable, str(demo_dir / "run.py")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/fr/", timeout=2).read().decode()
                widget = urllib.request.urlopen(f"http://127.0.0.1:{widget_port}/map?dataset=parkings", timeout=2)
                break
            except OSError:
                assert launcher.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert "Les données publiques de la ville" in home
        assert widget.status == 200 and "mapwidget_session=" in widget.headers["Set-Cookie"]
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/fr/" in printed
        assert f"http://localhost:{widget_port}/map" in printed
        assert "demo / demo-portail" in printed

        widget.close()
        launcher.send_signal(signal.SIGINT)
        try:
            # Generous: on a loaded machine (CI, other suites) a process can wait long for a core.
            status = launcher.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail("the launcher did not stop within 90 s of SIGINT:\n" + log.read_text())
        assert status == 0, log.read_text()
        assert "Demo stopped." in log.read_text()
        for stopped in (port, widget_port):
            with pytest.raises(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{stopped}/", timeout=2)
    finally:
        try:
            os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's own process group, if anything is left
        except ProcessLookupError:
            pass
        launcher.wait()
