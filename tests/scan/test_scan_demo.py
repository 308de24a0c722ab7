"""The scanner against the demo portal, run for real (Django runserver and the map widget).

With its own charter the portal must come out clean (no error); with one cookie taken out of a
copy of the charter, exactly that cookie must be reported.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DEMO_CHARTER = ROOT / "demo" / "charter.toml"


def _browser_harness():
    # The demo server helpers live in the browser tests' conftest; load it as a plain module.
    spec = importlib.util.spec_from_file_location(
        "cookiecharter_browser_harness", ROOT / "tests" / "browser" / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def portal(chromium):
    server = _browser_harness().start_demo(DEMO_CHARTER)
    try:
        yield server
    finally:
        server.stop()


def test_demo_portal_with_its_own_charter_has_no_error(portal, scanner, tmp_path) -> None:
    status, report, output = scanner(portal.url + "/", tmp_path, DEMO_CHARTER, pages=6)
    assert report is not None, output
    assert [f for f in report.findings if f.severity == "error"] == [], output
    assert status == 0
    # Our banner was found by its attributes and both decisions were recorded.
    refuse, accept = report.phase("refuse"), report.phase("accept")
    assert refuse and accept and refuse.decision_made and accept.decision_made
    assert refuse.buttons[0].strategy == accept.buttons[0].strategy == "cookiecharter"
    refused = {c.name for c in refuse.cookies}
    accepted = {c.name for c in accept.cookies}
    assert "cookies_preferences" in refused and "portal_audience" not in refused
    assert "portal_audience" in accepted  # the statistics purpose's script runs only after consent


def test_demo_portal_reports_exactly_the_cookie_missing_from_its_charter(portal, scanner, tmp_path) -> None:
    text = DEMO_CHARTER.read_text(encoding="utf-8")
    # Take the consent cookie's declaration out of a copy: one [[cookies]] table, up to the next table.
    blocks = re.split(r"(?m)^(?=\[)", text)
    kept = [b for b in blocks if 'name = "cookies_preferences"' not in b]
    assert len(kept) == len(blocks) - 1
    charter = tmp_path / "charter.toml"
    charter.write_text("".join(kept), encoding="utf-8")
    status, report, output = scanner(portal.url + "/", tmp_path / "out", charter, pages=6)
    assert report is not None, output
    errors = [(f.rule, f.subject) for f in report.findings if f.severity == "error"]
    assert errors == [("CC001", "cookies_preferences")], output
    assert status == 1
