"""The scanner's parts that need no browser: crawl rules, labels, knowledge base, findings, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cookiecharter.core.loading import loads_charter
from cookiecharter.scan import banners, crawl
from cookiecharter.scan.browser import BrowserNotFound, find_chromium
from cookiecharter.scan.findings import RULES, audit
from cookiecharter.scan.knowledge import CATEGORIES, KnowledgeBaseError, default_knowledge_base, parse_knowledge_base
from cookiecharter.scan.model import CookieSeen, PhaseResult, Report, SetBy
from cookiecharter.scan.report import compare, exit_code, json_schema, summarise
from cookiecharter.scan.suggest import readable_lifetime

ROOT = Path(__file__).resolve().parents[2]

CHARTER = loads_charter(
    """
[charter]
languages = ["en"]
[controller]
name = "T"
contact = "t@example.invalid"
[purposes.necessary]
exemption = "strictly-necessary"
title.en = "N"
description.en = "N"
[purposes.audience]
exemption = "audience-measurement"
title.en = "A"
description.en = "A"
[purposes.ads]
title.en = "Ads"
description.en = "Ads"
refused_by_gpc = true
[[cookies]]
name = "sid"
provider = "T"
purpose = "necessary"
service.en = "S"
description.en = "S"
lifetime = "session"
reason.en = "R"
[[cookies]]
name = "aud"
provider = "T"
purpose = "audience"
service.en = "S"
description.en = "S"
lifetime = "13 months"
reason.en = "R"
[[cookies]]
name = "ad_*"
provider = "T"
purpose = "ads"
service.en = "S"
description.en = "S"
lifetime = "30 days"
""",
    "t.toml",
)


def cookie(name: str, lifetime: int | None = None, kept: bool = True, domain: str = "site.test") -> CookieSeen:
    return CookieSeen(
        name=name, domain=domain, kept=kept, lifetime_seconds=lifetime, set_by=SetBy(kind="header", url="http://site.test/"),
        pages=["http://site.test/"], refused_reasons=[] if kept else ["UserPreferences"],
    )  # fmt: skip


def phase(name: str, *cookies: CookieSeen, verified: bool = True) -> PhaseResult:
    """A phase; a decision phase's choice took effect unless ``verified=False``."""
    decided = name in ("refuse", "accept")
    return PhaseResult(name=name, cookies=list(cookies), decision_made=decided, decision_verified=decided and verified)  # type: ignore[arg-type]


# -- crawl -------------------------------------------------------------------------------------
START = "http://site.test/"


@pytest.mark.parametrize(
    "href, text, reason",
    [
        ("http://site.test/about/", "About", None),
        ("http://site.test/fr/se-deconnecter/", "", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/accounts/logout/", "", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/konto/", "Abmelden", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/cuenta/", "Cerrar sesión", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/profil/", "Déconnexion", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/item/3?action=delete", "", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/account", "Elimina account", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/news/unsubscribe", "", "a link that acts (sign-out, delete, ...)"),
        ("http://site.test/report.PDF", "", "a .pdf file"),
        ("http://site.test/data.csv?x=1", "", "a .csv file"),
        ("http://other.test/", "", "another site"),
        ("http://site.test:8080/", "", "another site"),
        ("mailto:a@site.test", "", "not a web page"),
        ("http://www.site.test/about/", "", None),
    ],
)
def test_links_that_act_or_are_files_are_skipped(href: str, text: str, reason: str | None) -> None:
    assert crawl.skip_reason(crawl.Link(href, text), START) == reason


def test_choose_pages_order_limit_and_fragments() -> None:
    links = [
        crawl.Link("http://site.test/a#x"),
        crawl.Link("http://site.test/a"),
        crawl.Link("http://site.test/logout"),
    ]
    pages = crawl.choose_pages(
        START, links, ["http://site.test/b", "http://site.test/c"], 3, landed_on="http://site.test/fr/"
    )
    assert pages == ["http://site.test/", "http://site.test/a", "http://site.test/b"]
    assert crawl.choose_pages(START, links, [], 1) == ["http://site.test/"]


def test_sitemaps_with_and_without_namespace_and_index() -> None:
    ns = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/a</loc></url></urlset>'
    assert crawl.parse_sitemap(ns, "http://site.test/sitemap.xml") == (["http://site.test/a"], [])
    index = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>http://site.test/s1.xml</loc></sitemap></sitemapindex>'
    assert crawl.parse_sitemap(index, START) == ([], ["http://site.test/s1.xml"])
    assert crawl.parse_sitemap("<urlset><url><loc>http://site.test/z</loc></url></urlset>", START) == (
        ["http://site.test/z"],
        [],
    )
    assert crawl.parse_sitemap("<html>not xml", START) == ([], [])


def test_a_sitemap_with_a_dtd_is_not_parsed() -> None:
    """A sitemap never needs a DTD; one that has one could expand entities without bound."""
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<urlset><url><loc>http://site.test/&b;</loc></url></urlset>"
    )
    assert crawl.parse_sitemap(laughs, START) == ([], [])
    external = '<!DOCTYPE urlset SYSTEM "file:///etc/passwd"><urlset><url><loc>/x</loc></url></urlset>'
    assert crawl.parse_sitemap(external, START) == ([], [])


def test_site_identity() -> None:
    assert crawl.registrable_domain("www.ville.gouv.fr") == "ville.gouv.fr"
    assert crawl.registrable_domain("a.b.example.co.uk") == "example.co.uk"
    assert crawl.same_site("static.example.com", "www.example.com")
    assert not crawl.same_site("localhost", "127.0.0.1")
    assert crawl.cookie_is_first_party(".example.com", "www.example.com")
    assert not crawl.cookie_is_first_party("doubleclick.net", "www.example.com")


# -- labels and browser ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "label, action",
    [
        ("Tout refuser", "refuse-all"), ("Continuer sans accepter", "refuse-all"), ("Alle ablehnen", "refuse-all"),
        ("Rechazar todo", "refuse-all"), ("Rifiuta tutti", "refuse-all"), ("Reject all", "refuse-all"),
        ("J’accepte", "accept-all"), ("Alle akzeptieren", "accept-all"), ("Aceptar todas", "accept-all"),
        ("Accetta tutto", "accept-all"), ("  Accept all cookies! ", "accept-all"),
        ("Personnaliser", "customise"), ("Einstellungen", "customise"), ("Enregistrer mes choix", "save"),
    ],
)  # fmt: skip
def test_labels_in_five_languages(label: str, action: str) -> None:
    matching = [a for a in banners.ACTIONS if banners.label_pattern(a).match(label)]
    assert matching == [action]


@pytest.mark.parametrize("label", ["Se connecter", "Accepted payment methods", "Refuser le cookie de session ?"])
def test_labels_do_not_match_other_buttons(label: str) -> None:
    assert not any(banners.label_pattern(a).match(label) for a in banners.ACTIONS)


def test_every_required_manager_is_known() -> None:
    names = {m.name for m in banners.MANAGERS}
    assert len(names) >= 25 and len(names) == len(banners.MANAGERS)
    assert names >= {"vanilla-cookieconsent", "klaro", "tarteaucitron", "osano", "onetrust", "cookiebot", "didomi", "axeptio",
                     "usercentrics", "complianz", "cookieyes", "iubenda", "borlabs-cookie"}  # fmt: skip
    for manager in banners.MANAGERS:
        assert manager.selectors.get("accept-all") and manager.selectors.get("refuse-all"), manager.name


def test_browser_lookup_order(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("COOKIECHARTER_CHROMIUM", raising=False)
    assert find_chromium() == str(fake)
    other = tmp_path / "other"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setenv("COOKIECHARTER_CHROMIUM", str(other))
    assert find_chromium() == str(other)
    assert find_chromium(str(fake)) == str(fake)  # --browser wins
    monkeypatch.setenv("COOKIECHARTER_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(BrowserNotFound, match="COOKIECHARTER_CHROMIUM"):
        find_chromium()


# -- knowledge base ----------------------------------------------------------------------------
def test_knowledge_base_size_version_and_lookups() -> None:
    kb = default_knowledge_base()
    assert len(kb.cookies) >= 150 and kb.version
    assert {k.category for k in kb.cookies} <= set(CATEGORIES)
    assert kb.lookup("_ga").vendor == "Google Analytics"  # type: ignore[union-attr]
    assert kb.lookup("_ga_ABC123").vendor == "Google Analytics 4"  # type: ignore[union-attr]
    assert kb.lookup("_gat_UA-1").pattern == "_gat_*"  # type: ignore[union-attr]
    assert kb.lookup("_hjSession_123").pattern == "_hjSession_*"  # type: ignore[union-attr]
    assert kb.lookup("_hjWhatever").pattern == "_hj*"  # type: ignore[union-attr]
    assert kb.lookup("mp_0123abcd_mixpanel").vendor == "Mixpanel"  # type: ignore[union-attr]
    assert kb.lookup("_pk_id.1.abcd").vendor == "Matomo"  # type: ignore[union-attr]
    # The domain disambiguates one name used by two vendors.
    assert kb.lookup("csrftoken", "www.instagram.com").vendor == "Instagram"  # type: ignore[union-attr]
    assert kb.lookup("csrftoken", "portal.example").vendor == "Django"  # type: ignore[union-attr]
    # A short name bound to a vendor's domain says nothing elsewhere.
    assert kb.lookup("uid", "shop.example") is None and kb.lookup("uid", "criteo.com") is not None
    assert kb.vendor_of_host("www.google-analytics.com") == "Google Analytics"
    assert kb.host("region1.analytics.google.com").vendor == "Google Analytics"  # type: ignore[union-attr]


def test_knowledge_base_rejects_bad_entries() -> None:
    with pytest.raises(KnowledgeBaseError, match="version"):
        parse_knowledge_base({"cookies": []})
    with pytest.raises(KnowledgeBaseError, match="category"):
        parse_knowledge_base(
            {"version": "1", "cookies": [{"name": "x", "vendor": "v", "category": "tasty", "lifetime": "1 day"}]}
        )
    with pytest.raises(KnowledgeBaseError, match="soon"):
        parse_knowledge_base(
            {"version": "1", "cookies": [{"name": "x", "vendor": "v", "category": "necessary", "lifetime": "soon"}]}
        )


# -- findings ----------------------------------------------------------------------------------
def rules(found) -> set[tuple[str, str, str]]:
    return {(f.rule, f.subject, f.severity) for f in found}


def test_consent_cookie_in_each_no_consent_phase_and_not_after_accept() -> None:
    kb = default_knowledge_base()
    found = audit([phase("arrival", cookie("ad_1", 86_400)), phase("accept", cookie("ad_2", 86_400))], CHARTER, kb)
    assert ("CC002", "ad_1", "error") in rules(found) and not any(s == "ad_2" for _, s, _ in rules(found))
    gpc = audit([phase("gpc", cookie("ad_1", 86_400))], CHARTER, kb)
    [finding] = [f for f in gpc if f.rule == "CC002"]
    assert "Global Privacy Control refuses this purpose" in finding.message
    refused = audit([phase("refuse", cookie("ad_1", 86_400, kept=False, domain="ads.test"))], CHARTER, kb)
    assert ("CC002", "ad_1", "warning") in rules(refused)  # refused by this browser: one level lower


def test_lifetime_rules_with_tolerance_and_session() -> None:
    kb = default_knowledge_base()
    month13 = 13 * 2_629_800
    found = rules(
        audit(
            [phase("accept", cookie("aud", month13 + 60), cookie("sid", 3600), cookie("ad_x", 30 * 86_400))],
            CHARTER,
            kb,
        )
    )
    assert ("CC003", "aud", "error") not in found  # within tolerance
    assert ("CC004", "aud", "error") not in found
    assert ("CC003", "sid", "error") in found  # declared session, persistent written
    assert not any(s == "ad_x" for _, s, _ in found)
    over = rules(audit([phase("accept", cookie("aud", 400 * 86_400))], CHARTER, kb))
    assert {("CC003", "aud", "error"), ("CC004", "aud", "error")} <= over


def test_never_seen_and_undeclared() -> None:
    found = rules(
        audit([phase("arrival", cookie("sid"), cookie("_fbp", 7_776_000))], CHARTER, default_knowledge_base())
    )
    assert ("CC001", "_fbp", "error") in found
    assert ("CC006", "aud", "info") in found and ("CC006", "ad_*", "info") in found
    assert ("CC006", "sid", "info") not in found


def test_every_rule_has_an_id_and_exit_codes_follow_fail_on() -> None:
    assert len({r.id for r in RULES.values()}) == len(RULES)
    found = audit([phase("arrival", cookie("_fbp", 100))], CHARTER, default_knowledge_base())
    report = Report(tool_version="0", knowledge_base_version="k", url=START, started_at="2026-01-01T00:00:00+00:00",
                    phases=[phase("arrival", cookie("_fbp", 100))], findings=found)  # fmt: skip
    report.summary = summarise(report)
    assert (exit_code(report, "error"), exit_code(report, "warning"), exit_code(report, "never")) == (1, 1, 0)
    report.baseline = compare(report, report, "same.json")
    assert report.baseline.new == [] and exit_code(report, "error") == 0


def test_readable_lifetimes_for_suggestions() -> None:
    assert readable_lifetime(None) == "session"
    assert readable_lifetime(63_072_000) == "2 years"
    assert readable_lifetime(34_560_000) == "14 months"  # Chromium's 400-day cap, rounded up
    assert readable_lifetime(86_400) == "1 day"
    assert readable_lifetime(7 * 86_400 - 3) == "1 week"
    assert readable_lifetime(1800) == "30 minutes"


def test_published_json_schema_is_the_models_schema() -> None:
    published = json.loads((ROOT / "docs" / "scan-report-schema.json").read_text(encoding="utf-8"))
    assert published == json_schema(), (
        "regenerate it: python -m cookiecharter.scan.schema > docs/scan-report-schema.json"
    )


def test_frontier_defers_query_variants_of_known_paths() -> None:
    frontier = crawl.Frontier(START, 4)
    frontier.alias("http://site.test/fr/")
    added = frontier.offer(
        [crawl.Link("http://site.test/fr/"), crawl.Link("http://site.test/login?next=/"), crawl.Link("http://site.test/login?next=/a"),
         crawl.Link("http://site.test/?panel=prefs"), crawl.Link("http://site.test/b")]
    )  # fmt: skip
    assert added == ["http://site.test/login?next=/", "http://site.test/b"]
    assert frontier.use_variants() == ["http://site.test/login?next=/a"]  # room for one more only
    assert frontier.full and frontier.offer([crawl.Link("http://site.test/c")]) == []


def test_suggestions_without_a_charter_start_one_that_loads() -> None:
    from cookiecharter.scan.suggest import suggest

    phases = [
        phase(
            "arrival",
            cookie("_ga", 63_072_000),
            cookie("sessionid"),
            cookie("mystery", 3600),
            cookie("OptanonConsent", 31_536_000),
        )
    ]
    report = Report(
        tool_version="0", knowledge_base_version="k", url=START, started_at="2026-01-01T00:00:00+00:00", phases=phases
    )
    drafted = suggest(report, None, default_knowledge_base())
    charter = loads_charter(drafted, "draft.toml")
    assert charter.languages == ("fr", "en")
    assert {p.key for p in charter.purposes} == {"statistics", "necessary", "unclassified", "consent"}
    for name in ("_ga", "sessionid", "mystery", "OptanonConsent"):
        assert charter.match(name) is not None, name
    assert charter.match("_ga").lifetime.count == 2  # type: ignore[union-attr]
    assert charter.purpose("necessary").exemption is not None and charter.purpose("statistics").needs_consent


# -- decisions: reading consent records, withholding what an untested phase would say ---------
@pytest.mark.parametrize(
    "name, value, choice",
    [
        ("tarteaucitron", "!gtag=false!youtube=false", "refusal"),
        ("tarteaucitron", "!gtag=true!youtube=true", "acceptance"),
        ("tarteaucitron", "!gtag=wait", None),
        ("klaro", "%7B%22analytics%22%3Afalse%2C%22ads%22%3Afalse%7D", "refusal"),
        ("klaro", '{"analytics":true,"ads":false}', None),  # a custom choice is neither
        (
            "OptanonConsent",
            "isGpcEnabled=0&isIABGlobal=false&groups=C0001%3A1%2CC0002%3A0%2CC0004%3A0&AwaitingReconsent=false",
            "refusal",
        ),
        ("OptanonConsent", "isGpcEnabled=0&groups=C0001%3A1%2CC0002%3A1%2CC0004%3A1", "acceptance"),
        (
            "CookieConsent",
            "{stamp:'x',necessary:true,preferences:false,statistics:false,marketing:false,method:'explicit',ver:1}",
            "refusal",
        ),
        ("cc_cookie", "%7B%22categories%22%3A%5B%22necessary%22%5D%2C%22revision%22%3A0%7D", "refusal"),
        ("cc_cookie", '{"categories":["necessary","analytics"],"revision":0}', "acceptance"),
        ("cookieconsent_status", "deny", "refusal"),
        ("cookieconsent_status", "allow", "acceptance"),
        ("cookieconsent_status", "dismiss", None),
        ("cookies_preferences", "AAAAAAAAAAAAAAAA.s1x2y3.v1abc..SIGSIG", "refusal"),
        ("cookies_preferences", "AAAAAAAAAAAAAAAA.s1x2y3.v1abc.statistics+ads.SIGSIG", "acceptance"),
        ("session", "8f14e45fceea167a5a36dedd4bea2543", None),
        ("cookies_accepted_categories", "technically_required", "refusal"),
        ("cookies_accepted_categories", "technically_required%2Canalytics", "acceptance"),
    ],
)
def test_consent_records_are_read_where_their_value_says(name: str, value: str, choice: str | None) -> None:
    from cookiecharter.scan.consent_state import read_choice

    assert read_choice(name, value) == choice


def test_consent_record_is_told_from_trackers_written_by_the_same_click() -> None:
    from cookiecharter.scan.consent_state import changes, records

    kb = default_knowledge_base()
    before = {("cookie", "site.test", "sid"): "1"}
    after = {**before, ("cookie", "site.test", "_ga"): "GA1", ("cookie", "site.test", "cc_cookie"): "{}",
             ("localStorage", "http://site.test", "x"): "1"}  # fmt: skip
    found = records(changes(before, after), lambda n: kb.category_of(n) == "consent",
                    lambda n: kb.category_of(n) in ("statistics", "advertising"))  # fmt: skip
    assert [e.name for e in found] == ["cc_cookie"]
    # An unknown manager: whatever the click stored, trackers apart.
    after = {**before, ("cookie", "site.test", "_ga"): "GA1", ("cookie", "site.test", "choice_made"): "1"}
    found = records(
        changes(before, after), lambda n: False, lambda n: kb.category_of(n) in ("statistics", "advertising")
    )
    assert [e.name for e in found] == ["choice_made"]


def test_an_untested_refusal_withholds_its_rules_and_says_so() -> None:
    kb = default_knowledge_base()
    refuse = phase("refuse", cookie("ad_1", 86_400), verified=False)
    refuse.consent_given = "refuse-all"
    refuse.decision_check = "'refuse all' was clicked but nothing happened"
    found = audit(
        [phase("arrival"), refuse, phase("accept", cookie("ad_1", 86_400), cookie("aud"), cookie("sid"))], CHARTER, kb
    )
    assert ("CC002", "ad_1", "error") not in rules(found)  # not judged "after refuse all"
    [untaken] = [f for f in found if f.rule == "CC014"]
    assert untaken.severity == "warning" and "not tested" in untaken.message and "nothing happened" in untaken.message
    # An untested acceptance withholds "declared cookie not seen".
    accept = phase("accept", verified=False)
    assert not [f for f in audit([phase("arrival"), accept], CHARTER, kb) if f.rule == "CC006"]


def test_a_refusal_stored_as_an_acceptance_is_an_error() -> None:
    from cookiecharter.scan.model import ConsentRecord

    refuse = phase("refuse", verified=False)
    refuse.consent_given = "refuse-all"
    refuse.consent_records = [ConsentRecord(kind="cookie", where="site.test", name="klaro", choice="acceptance")]
    [finding] = [f for f in audit([refuse], CHARTER, default_knowledge_base()) if f.rule == "CC014"]
    assert finding.severity == "error" and "stored an acceptance" in finding.message


def test_a_finding_headline_names_every_phase_it_happened_in() -> None:
    found = audit(
        [phase("arrival", cookie("ad_1", 86_400)), phase("refuse", cookie("ad_1", 86_400)), phase("gpc", cookie("ad_1", 86_400))],
        CHARTER, default_knowledge_base(),
    )  # fmt: skip
    [finding] = [f for f in found if f.rule == "CC002"]
    assert (
        "written on arrival, before any choice, after 'refuse all' and with Global Privacy Control on."
        in finding.message
    )


def test_without_a_charter_what_only_acceptance_brings_must_not_follow_a_refusal() -> None:
    kb = default_knowledge_base()
    from cookiecharter.scan.model import ConsentRecord

    refuse = phase("refuse", cookie("mystery_id", 86_400), cookie("my_consent", 86_400))
    refuse.consent_records = [ConsentRecord(kind="cookie", where="site.test", name="my_consent")]
    accept = phase("accept", cookie("mystery_id", 86_400), cookie("my_consent", 86_400), cookie("later_id", 60))
    found = audit([phase("arrival", cookie("sid")), refuse, accept, phase("gpc", cookie("later_id", 60))], None, kb)
    optional = {(f.subject, f.severity) for f in found if f.rule == "CC015"}
    # The manager's own record appears after either choice and is no finding.
    assert optional == {("mystery_id", "warning"), ("later_id", "warning")}
    [later] = [f for f in found if f.rule == "CC015" and f.subject == "later_id"]
    assert "appeared with Global Privacy Control on" in later.message


def test_a_vendor_is_a_presumption_when_only_the_name_matches() -> None:
    kb = default_knowledge_base()
    own = cookie("_ga", 63_072_000)
    own.set_by = SetBy(kind="script", url="http://site.test/stats.js")
    theirs = cookie("_ga", 63_072_000)
    theirs.set_by = SetBy(kind="script", url="https://www.googletagmanager.com/gtag/js?id=G-X")
    audit([phase("arrival", own), phase("accept", theirs)], None, kb)
    assert own.classification is not None and own.classification.by_name_only
    assert theirs.classification is not None and not theirs.classification.by_name_only
