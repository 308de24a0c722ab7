"""The four verdicts at the top of every report, on sites built to get each answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cookiecharter.scan.html import to_html
from cookiecharter.scan.model import Report
from cookiecharter.scan.sarif import to_sarif

SITES = Path(__file__).parent / "sites"

pytestmark = pytest.mark.browser


def answers(report: Report) -> dict[str, tuple[str, str]]:
    return {v.check: (v.answer, v.detail) for v in report.verdicts}


def test_a_site_that_ignores_refusal(site_server, chromium, scanner, tmp_path) -> None:
    status, report, output = scanner(
        site_server("ignores-refusal").url, tmp_path, pages=1, formats=("json", "html", "sarif")
    )
    assert report is not None, output
    got = answers(report)
    assert got["refusal-respected"][0] == "no" and "wrote cookie _fbp" in got["refusal-respected"][1]
    assert got["nothing-before-choice"][0] == "yes"
    assert got["acceptance-works"][0] == "yes"
    assert got["gpc-honoured"][0] == "yes"
    # Without a charter: _fbp appears only after a choice and is named as optional after refusal.
    [optional] = [f for f in report.findings if f.rule == "CC015"]
    assert optional.subject == "_fbp" and optional.severity == "warning" and "after 'refuse all'" in optional.message
    # Exit codes follow --fail-on: warnings fail the run under --fail-on warning, not by default.
    from cookiecharter.scan.report import exit_code

    assert status == 0 and exit_code(report, "warning") == 1
    # The verdict is at the top of every report: terminal, HTML, JSON, SARIF.
    assert output.index("Refusal respected: NO") < output.index("Severity")
    page = (tmp_path / "report.html").read_text()
    assert page.index("Refusal respected") < page.index("<h2>Findings</h2>")
    assert "class='breaks'" in page.split("id='phase-refuse'")[1].split("id='phase-accept'")[0]
    data = json.loads((tmp_path / "report.json").read_text())
    assert list(data).index("verdicts") == list(data).index("url") + 1  # right after what was scanned
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert {n["descriptor"]["id"]: n["level"] for n in notes}["refusal-respected"] == "error"


def test_a_site_that_writes_before_any_choice(site_server, chromium, scanner, tmp_path) -> None:
    _, report, output = scanner(site_server("basic").url, tmp_path, SITES / "basic" / "charter.toml", pages=1)
    assert report is not None, output
    got = answers(report)
    assert got["nothing-before-choice"][0] == "no"
    assert "wrote cookie tracker_id" in got["nothing-before-choice"][1]
    assert "contacted localhost:" in got["nothing-before-choice"][1]
    assert got["refusal-respected"][0] == "not tested"  # no banner: nothing could be refused
    assert got["gpc-honoured"][0] == "no"


def test_a_site_that_honours_everything(site_server, chromium, scanner, tmp_path) -> None:
    status, report, output = scanner(site_server("ours").url, tmp_path, SITES / "ours" / "charter.toml", pages=1)
    assert report is not None, output
    assert {k: a for k, (a, _) in answers(report).items()} == {
        "nothing-before-choice": "yes", "refusal-respected": "yes", "gpc-honoured": "yes", "acceptance-works": "yes",
    }  # fmt: skip
    assert status == 0
    assert "class='breaks'" not in to_html(report)


def test_a_site_whose_banner_only_a_person_would_see(site_server, chromium, scanner, tmp_path) -> None:
    _, report, output = scanner(site_server("hidden-banner").url, tmp_path, pages=1)
    assert report is not None, output
    got = answers(report)
    assert got["refusal-respected"][0] == "not tested"
    assert got["acceptance-works"] == ("no", "No banner was found, so nothing could be accepted.")
    assert to_sarif(report)["runs"][0]["properties"]["verdicts"][0]["check"] == "nothing-before-choice"
