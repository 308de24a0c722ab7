"""Every decision is verified: clicks on real consent-manager libraries (installed from npm,
unmodified) and on fixture sites whose controls misbehave, checked by what the browser stores."""

from __future__ import annotations

import pytest

from cookiecharter.scan.model import Report

pytestmark = pytest.mark.browser


def names(report: Report, phase: str) -> set[str]:
    found = report.phase(phase)
    assert found is not None
    return {c.name for c in found.cookies}


def records(report: Report, phase: str) -> set[tuple[str, str | None]]:
    found = report.phase(phase)
    assert found is not None
    return {(r.name, r.choice) for r in found.consent_records}


@pytest.mark.parametrize(
    "site, manager, record, optional",
    [
        # Attaches its buttons' handlers about 500 ms after showing them.
        ("lib-tarteaucitron", "tarteaucitron", "tarteaucitron", "_site_stats"),
        # Shows no banner to a browser that announces automation (hideFromBots, on by default).
        ("lib-vanilla-cookieconsent", "vanilla-cookieconsent", "cc_cookie", "_site_stats"),
        ("lib-klaro", "klaro", "klaro", "_site_stats"),
        ("lib-cookieconsent", "cookieconsent", "cookieconsent_status", "_site_stats"),
        ("lib-cookie-consent-js", "cookie-consent-js", "cookie-consent-tracking-allowed", "_site_stats"),
        # A web component: its buttons are in a shadow root.
        ("lib-porsche-shadow", "porsche-cookie-consent-banner", "cookies_accepted_categories", "_site_stats"),
        # The manager in an iframe of the page.
        ("lib-klaro-iframe", "klaro", "klaro", "_site_stats"),
    ],
)
def test_real_libraries_each_decision_takes_effect(
    site_server, npm_libraries, chromium, scanner, tmp_path, site, manager, record, optional
) -> None:
    status, report, output = scanner(site_server(site).url, tmp_path, pages=1)
    assert report is not None, output
    for phase, choice in (("refuse", "refusal"), ("accept", "acceptance")):
        result = report.phase(phase)
        assert result is not None
        assert result.decision_verified, (phase, result.decision_check)
        assert result.buttons[-1].manager == manager and result.buttons[-1].clicked
        assert (record, choice) in records(report, phase)
        assert "the banner went away" in (result.decision_check or "")
        assert result.buttons[-1].in_shadow_dom is (site == "lib-porsche-shadow")
        assert (result.buttons[-1].frame_url or "").endswith("/consent.html") is (site == "lib-klaro-iframe")
    # What each phase then stores: the optional cookie only after acceptance.
    assert optional not in names(report, "arrival") | names(report, "refuse") | names(report, "gpc")
    assert {optional, record} <= names(report, "accept") and record in names(report, "refuse")
    assert not [f for f in report.findings if f.severity != "info"], output
    assert status == 0


def test_browser_does_not_announce_automation(site_server, npm_libraries, chromium, scanner, tmp_path) -> None:
    """vanilla-cookieconsent hides its banner when navigator.webdriver is true: found means not announced."""
    _, report, output = scanner(site_server("lib-vanilla-cookieconsent").url, tmp_path, pages=1)
    assert report is not None, output
    arrival = report.phase("arrival")
    assert arrival is not None and {b.action for b in arrival.buttons if b.found} >= {"accept-all", "refuse-all"}


def test_a_refusal_that_does_nothing_is_a_finding_and_its_phase_untested(
    site_server, chromium, scanner, tmp_path
) -> None:
    status, report, output = scanner(site_server("dead-refuse").url, tmp_path, pages=1, fail_on="warning")
    assert report is not None, output
    refuse = report.phase("refuse")
    assert refuse is not None and refuse.decision_made and not refuse.decision_verified
    assert refuse.decision_attempts >= 2  # clicked again, within the bound
    assert "nothing happened" in (refuse.decision_check or "")
    [untaken] = [f for f in report.findings if f.rule == "CC014"]
    assert untaken.subject == "refuse-all" and untaken.severity == "warning" and "not tested" in untaken.message
    # The tracker written after the useless click is not reported as "after 'refuse all'".
    consent_rules = {"CC002", "CC005", "CC007", "CC015"}
    assert not any(e.phase == "refuse" for f in report.findings for e in f.evidence if f.rule in consent_rules)
    accept = report.phase("accept")
    assert accept is not None and accept.decision_verified
    assert status == 1


def test_a_banner_hidden_from_automation_is_named_as_such(site_server, chromium, scanner, tmp_path) -> None:
    _, report, output = scanner(site_server("hidden-banner").url, tmp_path, pages=1)
    assert report is not None, output
    [missing] = [f for f in report.findings if f.rule == "CC011"]
    assert missing.message.startswith("Banner not found: the site may hide it from automated browsers.")
    assert "#cookie-banner" in missing.message or "cookie-banner" in missing.message
    for phase in ("refuse", "accept"):
        result = report.phase(phase)
        assert result is not None and not result.decision_made and not result.decision_verified


def test_what_the_managers_own_configuration_declares_optional_is_read(
    site_server, npm_libraries, chromium, scanner, tmp_path
) -> None:
    """Klaro declares _site_stats under "analytics"; the site writes it itself on every page:
    without a charter, the manager's own configuration says it is optional."""
    status, report, output = scanner(site_server("lib-klaro-leaky").url, tmp_path, pages=1, fail_on="warning")
    assert report is not None, output
    arrival = report.phase("arrival")
    assert arrival is not None
    assert [(d.manager, d.purpose, d.name) for d in arrival.manager_declared] == [("klaro", "analytics", "_site_stats")]
    [optional] = [f for f in report.findings if f.rule == "CC015"]
    assert (
        optional.subject == "_site_stats"
        and "declared optional by the site's own consent manager (klaro" in optional.message
    )
    assert {a for v in report.verdicts if v.check != "acceptance-works" for a in [v.answer]} == {"no"}
    assert status == 1


def test_tarteaucitron_services_are_read_as_declared_optional(
    site_server, npm_libraries, chromium, scanner, tmp_path
) -> None:
    _, report, output = scanner(site_server("lib-tarteaucitron").url, tmp_path, pages=1)
    assert report is not None, output
    arrival = report.phase("arrival")
    assert arrival is not None
    assert [(d.manager, d.purpose, d.name) for d in arrival.manager_declared] == [
        ("tarteaucitron", "analytic", "_site_stats")
    ]
    assert not [f for f in report.findings if f.rule == "CC015"]
