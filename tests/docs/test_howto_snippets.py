"""The complete snippets of docs/howto/, run as written and checked to do what the page says.

Each is read between ``<!-- howto:NAME -->`` markers, so the page and the test cannot drift.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import include, path

from cookiecharter.core.consent import Consent, new_consent_id
from cookiecharter.sites import registry

ROOT = Path(__file__).resolve().parents[2]
HOWTO = ROOT / "docs" / "howto"

#: A page on which a consent tag depends on the visitor: the banner, and a block for those who
#: granted audience measurement (the demo charter, which the tests' settings use).
HOME = (
    "{% load cookiecharter %}<html><head>{% cookiecharter_head %}</head><body>{% cookiecharter_banner %}"
    '{% ifconsent "statistics" %}<p>measured</p>{% else %}<p>not measured</p>{% endifconsent %}</body></html>'
)


def snippet(page: str, name: str) -> str:
    text = (HOWTO / page).read_text(encoding="utf-8")
    found = re.search(rf"<!-- howto:{name} -->\s*```python\n(.*?)```", text, re.S)
    assert found, f"docs/howto/{page} has no {name} snippet"
    return found.group(1)


def run_snippet(page: str, name: str, space: dict) -> dict:
    exec(compile(snippet(page, name), f"docs/howto/{page}", "exec"), space)  # the doc's own code
    return space


@pytest.fixture
def templates(tmp_path, settings):
    (tmp_path / "home.html").write_text(HOME, encoding="utf-8")
    engine = dict(settings.TEMPLATES[0])
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    cache.clear()
    yield
    cache.clear()


def accepted() -> str:
    """A consent cookie granting everything, signed as the site signs it."""
    site = registry.get("default")
    charter = site.charter
    consent = Consent(new_consent_id(), datetime.now(timezone.utc), charter.consent_version, charter.consent_keys)
    return site.enforcer.codec.encode(consent)


def visits(url: str) -> tuple[str, str, str]:
    """What a visitor who accepted, then a new visitor, then one more new visitor get at ``url``."""
    first = Client()
    first.cookies["cookies_preferences"] = accepted()
    pages = [first.get(url), Client().get(url), Client().get(url)]
    return tuple(p.content.decode() for p in pages)


def test_cache_page_with_vary_on_cookie_never_serves_one_visitors_page_to_another(templates):
    view = run_snippet("page-cache-and-cdn.md", "cache-page", {"__name__": "howto_snippet"})["home"]
    urls = type("URLs", (), {"urlpatterns": [path("cookies/", include("cookiecharter.urls")), path("", view)]})
    with override_settings(ROOT_URLCONF=urls):
        mine, new, other = visits("/")
    assert "measured</p>" in mine and "data-cookiecharter-banner" not in mine
    for page in (new, other):  # the accepting visitor's page never reaches them
        assert "not measured" in page and "data-cookiecharter-banner" in page


def test_the_per_site_cache_before_cookiecharter_keeps_each_visitors_page(templates, settings):
    from django.shortcuts import render

    space = run_snippet("page-cache-and-cdn.md", "site-cache", {"MIDDLEWARE": list(settings.MIDDLEWARE)})
    assert space["MIDDLEWARE"][:2] == [
        "django.middleware.cache.UpdateCacheMiddleware",
        "cookiecharter.middleware.CookieCharterMiddleware",
    ]
    assert space["MIDDLEWARE"][-1] == "django.middleware.cache.FetchFromCacheMiddleware"
    assert space["MIDDLEWARE"].count("cookiecharter.middleware.CookieCharterMiddleware") == 1

    def home(request):
        return render(request, "home.html")

    urls = type("URLs", (), {"urlpatterns": [path("cookies/", include("cookiecharter.urls")), path("", home)]})
    with override_settings(ROOT_URLCONF=urls, MIDDLEWARE=space["MIDDLEWARE"], CACHE_MIDDLEWARE_SECONDS=600):
        mine, new, other = visits("/")
    assert "measured</p>" in mine and "data-cookiecharter-banner" not in mine
    for page in (new, other):
        assert "not measured" in page and "data-cookiecharter-banner" in page


@pytest.mark.parametrize("name", ["scan-ci", "scan-baseline"])
def test_the_ci_guide_uses_options_the_scanner_takes(name):
    import shlex

    from cookiecharter.cli import main

    text = (HOWTO / "scanner-in-ci.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- howto:{name} -->\s*```sh\n(.*?)```", text, re.S)
    assert found, f"docs/howto/scanner-in-ci.md has no {name} block"
    args = shlex.split(found.group(1).replace("\\\n", " "))
    assert args[:2] == ["cookiecharter", "scan"]
    params = main.commands["scan"].make_context("scan", args[2:]).params
    assert params["charter_file"] == "charter.toml" and params["formats"] == "json,html,sarif"
