"""The charter page served by Django: /fr/cookies/ and /en/cookies/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.charter_samples import NECESSARY, SEED, SEED_ROWS, STATISTICS, write_charter

# The page carries the consent UI, whose CSRF token lands in the session under CSRF_USE_SESSIONS.
pytestmark = pytest.mark.django_db


def _purpose_section(html: str, key: str) -> str:
    start = html.index(f'id="cc-purpose-{key}"')
    return html[start : html.index("</section>", start)]


def _rows(html: str) -> dict[str, list[str]]:
    """{cookie name: [cell texts in column order]} from the page's tables."""
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)]
        if len(cells) >= 5 and 'scope="row"' in tr:
            rows[cells[2]] = cells
    return rows


@pytest.fixture
def client() -> Client:
    return Client()


def test_french_page_lists_the_seed_rows_with_their_french_texts(client: Client) -> None:
    with override_settings(COOKIECHARTER={"CHARTER": str(SEED)}):
        response = client.get("/fr/cookies/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert '<h1 id="cc-title">Charte cookies</h1>' in html
    rows = _rows(html)
    assert list(rows) == [r[0] for r in SEED_ROWS]
    for name, service_fr, _service_en, purpose_fr, lifetime_fr in SEED_ROWS:
        provider, service, cell_name, purpose, lifetime = rows[name]
        assert (provider, service, cell_name, lifetime) == (
            "Opendatasoft",
            service_fr.replace("'", "&#x27;"),
            name,
            lifetime_fr,
        )
        assert purpose.startswith(purpose_fr.replace("'", "&#x27;"))
    # The general texts and the table's structure.
    for text in (
        "Qu&#x27;est-ce qu&#x27;un cookie",
        "Cookies tiers",
        "Responsable des cookies",
        "Exemptés de consentement",
    ):
        assert text in html
    assert html.count('<th scope="col"') == 5
    assert (
        "<caption>4 cookies\u00a0: Cookies nécessaires au bon fonctionnement de la plateforme / cookies fonctionnels</caption>"
        in html
    )
    assert 'href="mailto:dpo@mairie-aixenprovence.fr"' in html
    assert '<a href="/fr/cookies/pdf/" type="application/pdf">Télécharger cette charte en PDF</a>' in html


def test_english_page_has_the_english_texts(client: Client) -> None:
    with override_settings(COOKIECHARTER={"CHARTER": str(SEED)}):
        html = client.get("/en/cookies/").content.decode()
    assert '<html lang="en">' in html
    rows = _rows(html)
    for name, _fr, service_en, _purpose_fr, _life in SEED_ROWS:
        assert rows[name][1] == service_en
    assert rows["sessionid"][4] == "2 weeks" and rows["django_language"][4] == "Session"
    assert "What is a cookie?" in html and "Qu&#x27;est-ce" not in html


def test_demo_charter_marks_statistics_and_embeds_as_needing_consent(client: Client) -> None:
    html = client.get("/fr/cookies/").content.decode()  # tests.settings points at demo/charter.toml
    for key in ("statistics", "embeds"):
        section = _purpose_section(html, key)
        assert "cc-purpose--consent" in html[html.rindex("<section", 0, html.index(f'id="cc-purpose-{key}"')) :][:200]
        assert '<strong class="cc-badge">Soumis à votre consentement</strong>' in section
    necessary = _purpose_section(html, "necessary")
    assert '<strong class="cc-badge">Exemptés de consentement</strong>' in necessary
    embeds = _purpose_section(html, "embeds")
    # A third party: who can read the cookie, and the provider's own policy.
    assert '<th scope="col" class="cc-col-readers">Qui peut le lire</th>' in embeds
    assert "localhost (tiers)" in embeds
    assert 'href="http://localhost:8001/privacy"' in embeds


def test_django_cookies_appear_with_the_settings_lifetimes(client: Client, tmp_path: Path) -> None:
    path = write_charter(tmp_path, NECESSARY, STATISTICS)
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}):
        rows = _rows(client.get("/en/cookies/").content.decode())
        assert rows["sessionid"][4] == "2 weeks"
        assert rows["csrftoken"][4] == "52 weeks"
        assert rows["django_language"][4] == "Session"
        assert rows["cookies_preferences"][4] == "6 months"
        assert rows["sessionid"][0] == "Commune de Test"
        with override_settings(SESSION_COOKIE_AGE=86_400, LANGUAGE_COOKIE_AGE=365 * 86_400, CSRF_USE_SESSIONS=True):
            rows = _rows(client.get("/fr/cookies/").content.decode())
            assert rows["sessionid"][4] == "1 jour"
            assert rows["django_language"][4] == "365 jours"
            assert "csrftoken" not in rows  # the token lives in the session: no cookie to list
        with override_settings(SESSION_EXPIRE_AT_BROWSER_CLOSE=True, SESSION_COOKIE_NAME="portal_session"):
            rows = _rows(client.get("/fr/cookies/").content.decode())
            assert rows["portal_session"][4] == "Session" and "sessionid" not in rows


def test_the_page_has_no_inline_script_or_style(client: Client) -> None:
    html = client.get("/en/cookies/").content.decode()
    assert "<style" not in html and " style=" not in html
    # Only external scripts, or JSON data blocks (never executed, so a strict CSP allows them).
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    assert '<link rel="stylesheet" href="/static/cookiecharter/charter.css">' in html


def test_a_site_plugs_the_page_into_its_own_layout(client: Client, tmp_path: Path) -> None:
    site = tmp_path / "templates" / "cookiecharter"
    site.mkdir(parents=True)
    (site / "base.html").write_text(
        '<!doctype html><html lang="{{ page.lang }}"><head>{% block cookiecharter_head %}{% endblock %}</head>'
        '<body><header id="site-header">Portail</header>{% block content %}{% endblock %}</body></html>',
        encoding="utf-8",
    )
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(tmp_path / "templates")],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
        }
    ]
    with override_settings(TEMPLATES=templates):
        html = client.get("/fr/cookies/").content.decode()
    assert '<header id="site-header">Portail</header>' in html
    assert "cc-charter" in html and "charter.css" in html
    assert "cc-skip" not in html  # the standalone layout is gone


def test_page_only_answers_safe_methods(client: Client) -> None:
    assert client.post("/fr/cookies/").status_code == 405
    assert client.head("/fr/cookies/").status_code == 200


def test_charter_without_the_page_language_falls_back_and_says_so(client: Client, tmp_path: Path) -> None:
    french_only = (
        NECESSARY.replace("title.en", "#")
        .replace("description.en", "#")
        .replace("service.en", "#")
        .replace("reason.en", "#")
    )
    path = write_charter(tmp_path, french_only, languages='["fr"]')
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}):
        html = client.get("/en/cookies/").content.decode()
    assert '<html lang="en">' in html and "What is a cookie?" in html
    assert '<h3 id="cc-purpose-basics-title" lang="fr">Indispensables</h3>' in html
    assert 'data-label="Service and location" lang="fr">Panier</td>' in html
    assert 'data-label="Lifetime">1 day</td>' in html


def test_the_charter_page_takes_the_sites_own_layout(settings, client):
    from django.core.checks import run_checks

    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "BASE_TEMPLATE": "site_layout.html"}
    html = client.get("/fr/cookies/").content.decode()
    assert '<header id="site-header">Le site de la ville</header>' in html
    assert 'class="cc-charter"' in html and "/static/cookiecharter/charter.css" in html  # the style comes along
    assert "cookiecharter.E005" not in {m.id for m in run_checks(tags=["cookiecharter"])}
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "BASE_TEMPLATE": "no_such_layout.html"}
    assert "cookiecharter.E005" in {m.id for m in run_checks(tags=["cookiecharter"])}


def test_the_page_varies_with_the_cookie_even_in_a_layout_without_the_banner(settings, client):
    # The "your choice" section shows the visitor's own consent id: a shared cache must not give it to another.
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "BASE_TEMPLATE": "site_layout.html"}
    response = client.get("/fr/cookies/")
    assert "cookiecharter_banner" not in response.content.decode() and "cc-banner" not in response.content.decode()
    assert "Cookie" in response["Vary"]


def test_the_page_says_what_the_browsers_signals_and_an_account_do(settings, client):
    html = client.get("/en/cookies/").content.decode()
    assert "Your browser&#x27;s signals and your devices" in html
    assert "Global Privacy Control signal, this site takes it as your refusal of: Embedded content (map)" in html
    assert "Audience measurement (statistics), Embedded content (map) (embeds)" in html
    assert "A consent it sends counts only for Audience measurement" in html
    assert "every device where you sign in" not in html
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "FOLLOW_ACCOUNT": True, "HONOUR_GPC": False}
    html = client.get("/en/cookies/").content.decode()
    assert "every device where you sign in" in html and "Global Privacy Control" not in html
