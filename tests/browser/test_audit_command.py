"""``manage.py cookiecharter_audit`` as cron runs it: the demo portal audits its own pages, live, in a
real Chromium; the run is stored in the portal's database and sealed in its ledger; the exit status
says 0 when nothing is new, 1 when the audit got worse, 2 when it could not run; tampering with a
stored finding is caught by ``cookiecharter_verify``.

Everything runs as the portal's own ``manage.py`` in subprocesses, on the portal's SQLite file, as a
scheduler would (and so no ORM call shares this process with Playwright).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest
from conftest import DEFAULT_CHARTER, DEMO_DIR, free_ports


def manage(server, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DEMO_DIR / "manage.py"), *args],
        env={**server.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def audit(server, chromium_path: str, *extra: str, env: dict[str, str] | None = None):
    return manage(
        server,
        "cookiecharter_audit",
        "--url",
        server.url + "/",
        "--pages",
        "2",
        "--browser",
        chromium_path,
        *extra,
        env=env,
    )


@pytest.fixture
def portal(demo_server):
    return demo_server()


def test_audits_of_the_live_portal_are_stored_sealed_and_compared(portal, chromium_path, tmp_path):
    first = audit(portal, chromium_path)
    assert first.returncode in (0, 1), first.stdout + first.stderr
    assert re.search(r"audit run 1 of site default: .* verdict \w+", first.stdout), first.stdout

    # The same site again: nothing new.
    again = audit(portal, chromium_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing new since run 1" in again.stdout

    # Audited against a charter that no longer declares the statistics cookie (set once the visitor
    # accepts): a new error, exit 1.
    text = DEFAULT_CHARTER.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[)", text)
    kept = [b for b in blocks if 'name = "portal_audience"' not in b]
    assert len(kept) == len(blocks) - 1
    narrower = tmp_path / "charter.toml"
    narrower.write_text("".join(kept), encoding="utf-8")
    worse = audit(portal, chromium_path, env={"COOKIECHARTER_CHARTER": str(narrower)})
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "new: CC001 portal_audience (accept)" in worse.stdout
    assert "the audit got worse since run 2" in worse.stderr

    with sqlite3.connect(portal.db_path) as db:
        runs = db.execute(
            "SELECT id, verdict, errors, record_id, digest FROM cookiecharter_auditrun ORDER BY id"
        ).fetchall()
        assert [r[0] for r in runs] == [1, 2, 3]
        assert runs[2][1] == "fail" and runs[2][2] >= 1
        records = db.execute(
            "SELECT id, consent_id, texts_digest FROM cookiecharter_consentrecord WHERE method = 'audit' ORDER BY id"
        ).fetchall()
        assert [(rid, cid, digest) for rid, cid, digest in records] == [(r[3], f"audit:{r[0]}", r[4]) for r in runs]
        sealed = db.execute("SELECT MAX(last_id) FROM cookiecharter_ledgerseal WHERE site = 'default'").fetchone()[0]
        assert sealed >= runs[2][3]  # each run sealed by the command itself

    intact = manage(portal, "cookiecharter_verify", "--settle", "0")
    assert intact.returncode == 0, intact.stdout + intact.stderr

    with sqlite3.connect(portal.db_path) as db:
        db.execute("UPDATE cookiecharter_auditfinding SET severity = 'info' WHERE rule = 'CC001'")
    tampered = manage(portal, "cookiecharter_verify", "--settle", "0")
    assert tampered.returncode == 1
    assert "altered: audit run 3 " in tampered.stdout, tampered.stdout


def test_an_audit_that_cannot_run_exits_2_and_stores_nothing(portal, chromium_path, tmp_path):
    (closed,) = free_ports(1)
    down = manage(
        portal,
        "cookiecharter_audit",
        "--url",
        f"http://127.0.0.1:{closed}/",
        "--browser",
        chromium_path,
        "--timeout",
        "5",
    )
    assert down.returncode == 2, down.stdout + down.stderr
    assert "the site does not answer" in down.stderr
    no_browser = audit(portal, "/nonexistent/chromium")
    assert no_browser.returncode == 2
    assert "not an executable file" in no_browser.stderr
    bad_url = manage(portal, "cookiecharter_audit", "--url", "ftp://example.org/")
    assert bad_url.returncode == 2 and "is not an http(s) URL" in bad_url.stderr
    unmigrated = audit(portal, chromium_path, env={"DEMO_DATABASE": str(tmp_path / "empty.sqlite3")})
    assert unmigrated.returncode == 2 and "has `python manage.py migrate` been run?" in unmigrated.stderr
    with sqlite3.connect(portal.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM cookiecharter_auditrun").fetchone()[0] == 0
