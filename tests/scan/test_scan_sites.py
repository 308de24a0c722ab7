"""The scanner against fixture sites served for real, each with its findings asserted precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from cookiecharter.scan.model import CookieSeen, Report

SITES = Path(__file__).parent / "sites"

pytestmark = pytest.mark.browser


def cookies(report: Report, phase: str) -> dict[str, CookieSeen]:
    found = report.phase(phase)
    assert found is not None
    return {c.name: c for c in found.cookies}


def findings(report: Report) -> set[tuple[str, str, str]]:
    return {(f.rule, f.subject, f.severity) for f in report.findings}


@pytest.fixture(scope="module")
def basic(site_server, chromium, scanner, tmp_path_factory):
    site = site_server("basic")
    # A longer settle than the default: the fixture's delayed cookie must land even on a loaded CI machine.
    status, report, output = scanner(
        site.url, tmp_path_factory.mktemp("basic"), SITES / "basic" / "charter.toml", settle=2.0
    )
    assert report is not None, output
    return site, status, report


def test_basic_site_findings_are_exactly_the_expected_ones(basic) -> None:
    site, status, report = basic
    third = f"localhost:{site.port}"
    assert findings(report) == {
        ("CC001", "_ga", "error"),  # a script's patterned analytics cookie, undeclared
        ("CC001", "late_cookie", "error"),  # written 400 ms after load, undeclared
        ("CC002", "tracker_id", "error"),  # needs consent, set by a header on arrival
        ("CC003", "tracker_id", "error"),  # asks 2 years, declared 1 year
        ("CC003", "_pk_id.1.a1b2", "error"),  # asks 2 years, declared 13 months
        ("CC004", "_pk_id.1.a1b2", "error"),  # exempt audience cookie over 13 months
        ("CC005", third, "error"),  # the partner frame, declared under a consent purpose
        ("CC001", "frame_js", "warning"),  # the frame's script cookie: refused, still undeclared
        ("CC002", "frame_hdr", "warning"),  # the frame's header cookie: refused, needs consent
        ("CC007", "localStorage:ls_key", "warning"),
        ("CC007", "sessionStorage:ss_key", "warning"),
        ("CC007", "indexedDB:idb_name", "warning"),
        ("CC011", "banner", "warning"),  # consent purposes but no banner at all
        # No banner, so "accept all" was never tested: "declared cookie not seen" (old_cookie) is
        # withheld rather than advising to delete a declaration that acceptance might need.
        ("CC008", "frame_hdr", "info"),
        ("CC008", "frame_js", "info"),
    }
    assert status == 1
    assert report.summary.errors == 7 and report.summary.warnings == 6 and report.summary.infos == 2


def test_basic_site_says_who_set_each_cookie(basic) -> None:
    site, _, report = basic
    base = f"http://127.0.0.1:{site.port}"
    arrival = cookies(report, "arrival")
    assert arrival["srv_session"].set_by.kind == "header"
    assert arrival["srv_session"].set_by.url == base + "/"
    assert arrival["srv_session"].http_only and arrival["srv_session"].lifetime_seconds is None
    assert arrival["tracker_id"].set_by.kind == "header" and arrival["tracker_id"].lifetime_seconds == 63072000
    # The browser keeps at most 400 days, whatever the header asked.
    assert arrival["tracker_id"].expires is not None
    for name in ("_ga", "_pk_id.1.a1b2", "late_cookie"):
        assert arrival[name].set_by.kind == "script"
        assert arrival[name].set_by.url == base + "/tracker.js"
        assert arrival[name].pages == [base + "/"]
    assert arrival["about_cookie"].set_by.url == base + "/about.js"
    assert arrival["about_cookie"].pages == [base + "/about.html"]
    # The second origin's frame: header and script cookies, third party, refused with a reason.
    frame_hdr, frame_js = arrival["frame_hdr"], arrival["frame_js"]
    assert frame_hdr.party == frame_js.party == "third"
    assert frame_hdr.domain == frame_js.domain == "localhost"
    assert not frame_hdr.kept and frame_hdr.refused_reasons  # Chromium's reason, from the DevTools protocol
    assert frame_hdr.set_by.kind == "header" and frame_hdr.set_by.url == f"{site.third}/frame.html"
    assert not frame_js.kept and frame_js.set_by.url == f"{site.third}/frame.js"
    # Classified by the knowledge base, declared or not.
    assert arrival["_ga"].classification is not None and arrival["_ga"].classification.vendor == "Google Analytics"
    assert arrival["_pk_id.1.a1b2"].classification.vendor == "Matomo"  # type: ignore[union-attr]
    assert arrival["_pk_id.1.a1b2"].declared_as == "_pk_id.*" and arrival["_pk_id.1.a1b2"].purpose == "audience"


def test_basic_site_storage_and_third_party_requests(basic) -> None:
    site, _, report = basic
    arrival = report.phase("arrival")
    assert arrival is not None
    assert {(s.kind, s.key) for s in arrival.storage} == {
        ("localStorage", "ls_key"), ("sessionStorage", "ss_key"), ("indexedDB", "idb_name"),
    }  # fmt: skip
    [request] = arrival.third_party_requests
    assert request.host == f"localhost:{site.port}" and request.first_url == f"{site.third}/frame.html"
    assert set(request.resource_types) == {"document", "script"}


def test_basic_site_crawl_skips_links_that_act_and_files(basic) -> None:
    site, _, report = basic
    base = f"http://127.0.0.1:{site.port}"
    # The start page, its link, then the sitemap's page; never sign-out, delete, PDF or elsewhere.
    assert report.pages == [base + "/", base + "/about.html", base + "/contact.html"]
    assert not site.visited("/logout/") and not site.visited("/delete-account/")
    assert not site.visited("/files/report.pdf")
    # Links with no extension to tell: a PDF the HEAD request recognises, and a CSV export on a
    # server that refuses HEAD, recognised when loaded: neither is a page, neither takes a place.
    assert report.not_pages == {base + "/files/charter/": "application/pdf", base + "/files/export/": "a download"}
    assert ("HEAD", "/files/charter/") in site.methods and ("GET", "/files/charter/") not in site.methods
    for phase in report.phases:
        assert [v.url for v in phase.pages] == report.pages
        assert all(v.status == 200 and v.error is None for v in phase.pages)
        assert "visited_logout" not in {c.name for c in phase.cookies}


def test_basic_site_without_charter_is_classified_by_the_knowledge_base(
    site_server, chromium, scanner, tmp_path
) -> None:
    site = site_server("basic")
    status, report, output = scanner(site.url, tmp_path, pages=1)
    assert report is not None, output
    assert report.charter is None and report.knowledge_base_version
    got = findings(report)
    # Analytics cookies the knowledge base knows, written before consent: warnings, not errors.
    assert ("CC002", "_ga", "warning") in got and ("CC002", "_pk_id.1.a1b2", "warning") in got
    assert {s for r, s, _ in got if r == "CC012"} == {
        "srv_session",
        "tracker_id",
        "late_cookie",
        "frame_hdr",
        "frame_js",
    }
    assert not any(severity == "error" for _, _, severity in got)
    assert status == 0  # --fail-on error, and nothing is certain enough to be an error


@pytest.fixture(scope="module")
def ours(site_server, chromium, scanner, tmp_path_factory):
    site = site_server("ours")
    status, report, output = scanner(
        site.url, tmp_path_factory.mktemp("ours"), SITES / "ours" / "charter.toml", pages=1
    )
    assert report is not None, output
    return site, status, report


def test_our_banner_is_found_by_its_attributes_and_clicked(ours) -> None:
    _, status, report = ours
    assert report.findings == [] and status == 0
    arrival, refuse, accept = report.phase("arrival"), report.phase("refuse"), report.phase("accept")
    assert arrival and refuse and accept
    offered = {b.action: b for b in arrival.buttons if b.found}
    assert set(offered) == {"accept-all", "refuse-all", "customise"}
    assert all(b.strategy == "cookiecharter" for b in offered.values())
    assert offered["refuse-all"].selector == "[data-cookiecharter-action='refuse-all']"
    [clicked] = refuse.buttons
    assert clicked.action == "refuse-all" and clicked.clicked and clicked.text == "Refuser"
    assert refuse.decision_made and accept.decision_made
    assert refuse.screenshot and refuse.screenshot.startswith("data:image/jpeg;base64,")


def test_our_banner_phases_store_what_each_choice_allows(ours) -> None:
    _, _, report = ours
    assert set(cookies(report, "arrival")) == {"csrftoken"}
    assert set(cookies(report, "refuse")) == {"csrftoken", "fixture_consent"}
    assert set(cookies(report, "accept")) == {"csrftoken", "fixture_consent", "_fbp"}
    assert cookies(report, "accept")["_fbp"].purpose == "advertising"
    # GPC: the header reached the server and the script saw navigator.globalPrivacyControl.
    assert set(cookies(report, "gpc")) == {"csrftoken", "gpc_header", "gpc_js"}
    assert cookies(report, "gpc")["gpc_header"].set_by.kind == "header"
    assert cookies(report, "gpc")["gpc_js"].set_by.kind == "script"


@pytest.mark.parametrize(
    "name, strategy, manager, text, in_shadow, in_frame",
    [
        ("onetrust", "manager", "onetrust", "Reject All", False, False),
        ("usercentrics", "manager", "usercentrics", "Ablehnen", True, False),
        ("didomi-iframe", "manager", "didomi", "Continuer sans accepter", False, True),
        ("text-fr", "text", None, "Tout refuser", False, False),
    ],
)
def test_other_managers_banners_are_found_and_honoured(
    site_server, chromium, scanner, tmp_path, name, strategy, manager, text, in_shadow, in_frame
) -> None:
    site = site_server(name)
    _status, report, output = scanner(site.url, tmp_path, pages=1)
    assert report is not None, output
    refuse, accept = report.phase("refuse"), report.phase("accept")
    assert refuse and accept
    [refused] = refuse.buttons
    assert (refused.action, refused.strategy, refused.manager, refused.text) == ("refuse-all", strategy, manager, text)
    assert refused.in_shadow_dom is in_shadow
    assert (refused.frame_url or "").endswith("/consent-frame.html") if in_frame else refused.frame_url is None
    assert refused.clicked and refuse.decision_made
    [accepted] = accept.buttons
    assert accepted.clicked and accepted.strategy == strategy
    assert set(cookies(report, "arrival")) == set() == set(cookies(report, "gpc"))
    assert set(cookies(report, "refuse")) == {"fixture_consent"}
    assert set(cookies(report, "accept")) == {"fixture_consent", "_fbp"}
    # No charter: the Meta cookie is classified, and appears only after "accept all": no warning.
    assert cookies(report, "accept")["_fbp"].classification.vendor == "Meta Pixel"  # type: ignore[union-attr]
    assert {f.rule for f in report.findings} == {"CC012"}  # fixture_consent is nobody's known cookie


def test_refusal_behind_a_second_layer_is_reached_and_reported(site_server, chromium, scanner, tmp_path) -> None:
    site = site_server("second-layer")
    _, report, output = scanner(site.url, tmp_path, pages=1)
    assert report is not None, output
    refuse = report.phase("refuse")
    assert refuse is not None
    steps = [(b.action, b.found, b.clicked, b.text) for b in refuse.buttons]
    assert steps == [
        ("refuse-all", False, False, None),
        ("customise", True, True, "Manage preferences"),
        ("refuse-all", True, True, "Reject all"),
    ]
    assert refuse.decision_made and set(cookies(report, "refuse")) == {"fixture_consent"}
    assert ("CC010", "refuse-all", "warning") in findings(report)


def test_a_page_that_hangs_is_reported_not_fatal(site_server, chromium, scanner, tmp_path) -> None:
    site = site_server("flaky")
    status, report, output = scanner(site.url, tmp_path, pages=3, timeout=4.0, fail_on="warning")
    assert report is not None, output
    base = f"http://127.0.0.1:{site.port}"
    assert report.pages == [base + "/", base + "/hang.html", base + "/ok.html"]
    for phase in report.phases:
        visits = {v.url: v for v in phase.pages}
        assert visits[base + "/hang.html"].error and "Timeout" in visits[base + "/hang.html"].error
        assert visits[base + "/ok.html"].error is None and visits[base + "/ok.html"].status == 200
    assert findings(report) == {("CC009", base + "/hang.html", "warning")}
    assert report.summary.failed_pages == 1
    assert status == 1  # --fail-on warning


def test_reports_are_written_and_self_contained(ours, tmp_path) -> None:
    from cookiecharter.scan.html import to_html

    _, _, report = ours
    page = to_html(report)
    assert "data:image/jpeg;base64," in page
    # Self-contained: nothing fetched from anywhere when the report is opened.
    for marker in ("<link", "src='http", 'src="http', "@import", "url(http"):
        assert marker not in page
    Path(tmp_path / "r.html").write_text(page, encoding="utf-8")


def test_settle_waits_for_scheduled_work_and_not_for_far_timers(site_server, chromium, scanner, tmp_path) -> None:
    """The settle ends early only when the page is calm: cookies written by chained timeouts, an
    interval's third tick, an idle callback and an animation frame (each after gaps longer than
    the calm period, up to 1.8 s after the load) are all caught; a cleared timeout (cleared through clearInterval, as the
    page may) writes nothing, and a timeout due after the cap is not caught. The cap is raised above the default so a loaded machine cannot make
    the chain outlast it: what is checked is that the watch does not stop early."""
    site = site_server("timers")
    _status, report, output = scanner(site.url, tmp_path, pages=1, settle=4.0, formats=("json",), fail_on="never")
    assert report is not None, output
    for phase in ("arrival", "gpc"):
        names = set(cookies(report, phase))
        assert {"chained_xy", "interval_cookie", "idle_cookie", "frame_cookie"} <= names, (phase, names)
        assert "cleared_cookie" not in names and "too_late_cookie" not in names, (phase, names)
