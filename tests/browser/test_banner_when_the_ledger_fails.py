"""The banner when the ledger's database is locked, as a visitor meets it with JavaScript on:
"Accept all" is refused with a message in their language and nothing is set (no second post);
"Refuse all" takes effect at once, its proof kept outside the database until it answers again."""

from __future__ import annotations

import json
import sqlite3

from playwright.sync_api import expect

BANNER = "[data-cookiecharter-banner]"


def test_accepting_waits_for_the_proof_refusing_never_does(demo_server, new_context, screenshot):
    demo = demo_server()
    page = new_context().new_page()
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(demo.url + "/fr/")
    lock = sqlite3.connect(str(demo.db_path), timeout=5, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        page.locator(f'{BANNER} [data-cookiecharter-action="accept-all"]').click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Votre choix n’a pas pu être enregistré")
        expect(page.locator(BANNER)).to_be_visible()  # still there: nothing was decided
        screenshot(page, "ledger-locked-accept")
        assert "cookies_preferences" not in {c["name"] for c in page.context.cookies()}
        assert len([u for u in posts if u.endswith("/consent/")]) == 1  # told, not posted twice

        page.locator(f'{BANNER} [data-cookiecharter-action="refuse-all"]').click()
        expect(page.locator(BANNER)).to_be_hidden()
        stored = {c["name"]: c["value"] for c in page.context.cookies()}
        assert stored["cookies_preferences"].split(".")[3] == ""  # a refusal, in force
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    waiting = [json.loads(line) for line in (demo.workdir / "ledger" / "pending.jsonl").read_text().splitlines()]
    assert [w["method"] for w in waiting] == ["refuse-all"]
