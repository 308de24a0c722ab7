"""The consent UI's template tags, rendered by Django for real requests: when the banner shows, what
the forms post, what is cached per (charter, language) and what is filled in per request."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.utils import translation

from cookiecharter.core.consent import Consent, new_consent_id
from tests.django.site import charter, sign, through_middleware

SEED = Path(__file__).resolve().parents[2] / "demo" / "charter-seed.toml"
PAGE = Template(
    "{% load cookiecharter %}<head>{% cookiecharter_head %}</head>{% cookiecharter_banner %}"
    "<footer>{% cookiecharter_preferences_link %}</footer>"
)


def render(path: str = "/fr/", lang: str = "fr", template: Template = PAGE, **cookies: str) -> str:
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    through_middleware(request)
    with translation.override(lang):
        return template.render(Context({"request": request}))


def decided(*granted: str, version: str | None = None) -> str:
    consent = Consent(
        new_consent_id(), datetime.now(timezone.utc), version or charter().consent_version, frozenset(granted)
    )
    return sign(consent)


def test_undecided_visitor_gets_the_banner_with_three_posting_choices():
    html = render("/fr/datasets/parkings/?page=2")
    assert "data-cookiecharter-banner" in html
    actions = re.findall(r'data-cookiecharter-action="([a-z-]+)"', html.split("<dialog")[0])
    assert actions == ["accept-all", "refuse-all", "customise"]
    banner = html.split("<dialog")[0]
    assert re.search(r'<form method="post" action="/fr/cookies/consent/"', banner)
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', banner)
    assert 'name="next" value="/fr/datasets/parkings/?page=2"' in banner
    # "Personnaliser" without JavaScript: a GET of the same page, its own query kept.
    assert '<form method="get" action="/fr/datasets/parkings/"' in banner
    assert '<input type="hidden" name="page" value="2">' in banner
    for label in ("Tout accepter", "Tout refuser", "Personnaliser", "Ville d&#x27;Aix-en-Provence"):
        assert label in banner
    # A short first layer: who, which purposes (titles; their descriptions and cookies are one tap
    # away), that nothing is set without consent, that the choice can be changed, the charter.
    assert (
        "Uniquement avec votre accord, Ville d&#x27;Aix-en-Provence et des tiers utilisent des cookies pour :" in banner
    )
    assert "<strong>Mesure d&#x27;audience</strong>, <strong>Contenus intégrés (carte)</strong>." in banner
    assert "Vous pourrez changer d'avis à tout moment." in banner
    assert '<a href="/fr/cookies/">Lire la charte cookies</a>' in banner
    assert "Compter les visites" not in banner  # a description: in the preferences
    # The dialog is not in the page: the page script fetches it when it is opened, and without
    # JavaScript "Customise" asks for the page with it open.
    assert "<dialog" not in html
    # One CSRF token for every form of the page.
    assert len(set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))) == 1


def test_a_decision_hides_the_banner_and_the_open_dialog_shows_it():
    html = render(cookies_preferences=decided("statistics"))
    assert "data-cookiecharter-banner" not in html and "<dialog" not in html
    assert 'href="/fr/?cookiecharter=preferences" data-cookiecharter-open>' in html
    html = render("/fr/?cookiecharter=preferences", cookies_preferences=decided("statistics"))
    assert "data-cookiecharter-banner" not in html
    assert re.search(r'value="statistics"[^>]*data-cookiecharter-purpose="statistics" checked>', html)
    assert re.search(r'data-cookiecharter-purpose="embeds">', html)


def test_the_preferences_endpoint_answers_the_closed_dialog_with_the_visitors_choices(client):
    client.cookies["cookies_preferences"] = decided("embeds")
    response = client.get("/fr/cookies/preferences/", {"next": '/fr/datasets/?q="x"'})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    html = response.content.decode()
    assert html.lstrip().startswith(
        '<dialog id="cookiecharter-preferences" class="cc-dialog" aria-labelledby="cc-prefs-title">'
    )
    assert re.search(r'data-cookiecharter-purpose="embeds" checked>', html)
    assert re.search(r'data-cookiecharter-purpose="statistics">', html)
    assert 'name="next" value="/fr/datasets/?q=&quot;x&quot;"' in html
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', html)
    assert "Enregistrer mes choix" in html
    english = client.get("/en/cookies/preferences/", {"next": "/en/"}).content.decode()
    assert "Save my choices" in english and 'action="/en/cookies/consent/"' in english


def test_the_preferences_endpoint_refuses_what_it_cannot_answer(client, settings):
    for url in ("https://elsewhere.example/", "//elsewhere.example/", "javascript:alert(1)"):
        response = client.get("/fr/cookies/preferences/", {"next": url})
        assert response.status_code == 400
        assert response.content == b"next: not a page of this site."
    assert client.post("/fr/cookies/preferences/", {"next": "/fr/"}).status_code == 405
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(SEED)}
    assert client.get("/fr/cookies/preferences/", {"next": "/fr/"}).status_code == 404


def test_a_decision_on_another_charter_version_or_a_forged_cookie_brings_the_banner_back():
    assert "data-cookiecharter-banner" in render(cookies_preferences=decided("statistics", version="0123456789"))
    assert "data-cookiecharter-banner" in render(cookies_preferences=decided("statistics")[:-3] + "AAA")


def test_the_query_parameter_opens_the_preferences_and_next_leaves_it_out():
    html = render("/fr/?cookiecharter=preferences&x=1")
    assert re.search(r'aria-labelledby="cc-prefs-title" open>', html)
    assert 'name="next" value="/fr/?x=1"' in html
    assert 'href="/fr/?x=1&amp;cookiecharter=preferences" data-cookiecharter-open>Gestion des cookies</a>' in html


def test_per_request_values_are_escaped():
    html = render('/fr/?q="><script>alert(1)</script>')
    assert "<script>alert" not in html
    assert 'name="next" value="/fr/?q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"' in html
    assert '<input type="hidden" name="q" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">' in html


def test_each_page_gets_its_own_path_escaped_and_each_visitor_its_own_csrf_token():
    first, second = render("/fr/a%22b%3Cc/"), render("/fr/a%22b%3Cc/")
    for html in (first, second):
        assert "<c/" not in html
        assert 'name="next" value="/fr/a&quot;b&lt;c/"' in html and 'action="/fr/a&quot;b&lt;c/"' in html
        assert 'href="/fr/a&quot;b&lt;c/?cookiecharter=preferences" data-cookiecharter-open>' in html
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', h).group(1) for h in (first, second)]
    assert tokens[0] != tokens[1]
    assert 'name="next" value="/fr/b/"' in render("/fr/b/")


@pytest.mark.parametrize("text", ["\ue000csrf\ue001", "\ue000next\ue001 \ue001", "{{ csrf_input }}", "%s"])
def test_no_charter_text_and_no_path_can_break_the_markup(settings, tmp_path, text):
    # Issue 12, problem 9: private-use characters (the old markup's markers) in a charter text, or
    # in a page path, must stay text.
    source = (Path(__file__).resolve().parents[2] / "demo" / "charter.toml").read_text(encoding="utf-8")
    source = source.replace('title.fr = "Mesure d\'audience"', f'title.fr = "Mesure{text}"', 1)
    assert text in source
    path = tmp_path / "charter.toml"
    path.write_text(source, encoding="utf-8")
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(path)}
    html = render(f"/fr/x{text}/?cookiecharter=preferences")
    assert len(re.findall(r'name="csrfmiddlewaretoken"', html)) == 2  # the banner's form and the dialog's
    for nxt in re.findall(r'name="next" value="([^"]*)"', html):
        assert "csrfmiddlewaretoken" not in nxt and nxt.startswith("/fr/x")
    assert f"Mesure{text}" in html.replace("&#x27;", "'")


def test_english_page_speaks_english_and_charter_texts_follow():
    html = render("/en/?cookiecharter=preferences", lang="en")
    for label in (
        "Accept all",
        "Refuse all",
        "Customise",
        "Save my choices",
        "Audience measurement",
        "Cookie settings",
    ):
        assert label in html
    assert "Tout accepter" not in html and "Mesure d&#x27;audience" not in html


def test_head_carries_style_config_and_script_without_inline_code():
    html = render()
    head = html.split("</head>")[0]
    assert '<link rel="stylesheet" href="/static/cookiecharter/consent.css">' in head
    assert '<script src="/static/cookiecharter/consent.js"></script>' in head
    config = json.loads(
        re.search(r'<script id="cookiecharter-config" type="application/json">(.*?)</script>', head).group(1)
    )
    assert config["version"] == charter().consent_version
    assert config["purposes"]["statistics"]["modes"] == ["analytics_storage"]
    # Only first-party cookies: those are the ones a page script can see and delete.
    assert config["purposes"]["statistics"]["cookies"] == [[0, "portal_audience", "/", ""]]
    assert config["purposes"]["embeds"]["cookies"] == []
    assert "necessary" not in config["purposes"]


def test_a_csp_nonce_reaches_the_script_tag():
    request = through_middleware(RequestFactory().get("/fr/"))
    request.csp_nonce = "n0nce"
    html = Template("{% load cookiecharter %}{% cookiecharter_head %}").render(Context({"request": request}))
    assert '<script src="/static/cookiecharter/consent.js" nonce="n0nce"></script>' in html


def test_allow_button_grants_one_purpose_on_top_of_the_current_choice():
    allow = Template('{% load cookiecharter %}{% cookiecharter_allow "embeds" %}')
    html = render("/fr/datasets/parkings/", template=allow, cookies_preferences=decided("statistics"))
    assert re.findall(r'name="purpose" value="([a-z]+)"', html) == ["embeds", "statistics"]
    assert '<input type="hidden" name="choice" value="custom">' in html
    assert "Autoriser «\u00a0Contenus intégrés (carte)\u00a0»" in html
    # The button names its purpose without posting it (no name): the page script reads it to post
    # the visitor's choice as it is when they click, which may have changed since the page was made.
    assert '<button type="submit" class="cc-btn" data-cookiecharter-action="allow" value="embeds">' in html
    with pytest.raises(TemplateSyntaxError):
        render(template=Template('{% load cookiecharter %}{% cookiecharter_allow "necessary" %}'))


def test_seed_charter_renders_no_consent_ui_at_all(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(SEED)}
    html = render()
    assert html == "<head></head><footer></footer>"


def test_charter_page_button_keeps_the_page_query_as_real_inputs():
    button = Template("{% load cookiecharter %}{% cookiecharter_preferences_button %}")
    html = render('/fr/cookies/?a=1&b="x"', template=button)
    assert html.startswith('<form method="get" action="/fr/cookies/" class="cc-open" data-cookiecharter-open>')
    assert '<input type="hidden" name="a" value="1"><input type="hidden" name="b" value="&quot;x&quot;">' in html
    assert '<input type="hidden" name="cookiecharter" value="preferences">' in html
    assert ">Modifier mes choix de cookies</button></form>" in html


def test_markup_follows_the_script_prefix_each_request_was_served_under():
    """The tags find their cached markup from the request itself (language, urlconf, script
    prefix), so a site mounted under two prefixes gets each page's own consent URL."""
    from django.urls import set_script_prefix

    pages = {}
    for script_name in ("", "/portail"):
        # What a WSGI handler does: the prefix from SCRIPT_NAME, and the path built on it.
        request = through_middleware(RequestFactory().get("/fr/", SCRIPT_NAME=script_name))
        set_script_prefix(script_name or "/")
        try:
            with translation.override("fr"):
                pages[script_name] = PAGE.render(Context({"request": request}))
        finally:
            set_script_prefix("/")
    assert request.path == "/portail/fr/"
    assert '<form method="post" action="/fr/cookies/consent/"' in pages[""]
    assert '<form method="post" action="/portail/fr/cookies/consent/"' in pages["/portail"]
    assert 'name="next" value="/portail/fr/"' in pages["/portail"]


def test_the_tags_take_no_argument_and_find_the_request_on_a_request_context():
    with pytest.raises(TemplateSyntaxError, match="cookiecharter_banner takes no arguments"):
        Template('{% load cookiecharter %}{% cookiecharter_banner "x" %}')
    # A RequestContext carries the request even where the request context processor is missing.
    from django.template import RequestContext

    request = through_middleware(RequestFactory().get("/fr/"))
    with translation.override("fr"):
        html = Template("{% load cookiecharter %}{% cookiecharter_banner %}").render(RequestContext(request, {}))
    assert "data-cookiecharter-banner" in html
    with pytest.raises(ImproperlyConfigured, match="need the request in the template context"):
        Template("{% load cookiecharter %}{% cookiecharter_head %}").render(Context({}))


# -- {% ifconsent "PURPOSE" live %}: a block the page script keeps in step with a choice ----------

LIVE = Template(
    '{% load cookiecharter %}<main>{% ifconsent "statistics" live %}<script src="/a.js"></script>on{% else %}off'
    '{% endifconsent %}|{% ifconsent "embeds" live %}<iframe src="https://map.example/"></iframe>{% endifconsent %}</main>'
)


def test_a_live_block_keeps_the_branch_not_shown_inert_in_a_template():
    html = render(template=LIVE)
    # Undecided: the refused branches are shown; the granted ones wait inside <template> (where the
    # browser neither loads the frame nor runs the script) between markers the page script finds.
    assert html == (
        '<main><template data-cookiecharter-if="statistics"><script src="/a.js"></script>on</template>off'
        "<template data-cookiecharter-else></template>"
        '|<template data-cookiecharter-if="embeds"><iframe src="https://map.example/"></iframe></template>'
        "<template data-cookiecharter-else></template></main>"
    )
    html = render(template=LIVE, cookies_preferences=decided("statistics"))
    assert html == (
        '<main><template data-cookiecharter-if="statistics" data-on></template><script src="/a.js"></script>on'
        "<template data-cookiecharter-else>off</template>"
        '|<template data-cookiecharter-if="embeds"><iframe src="https://map.example/"></iframe></template>'
        "<template data-cookiecharter-else></template></main>"
    )


def test_a_live_block_on_a_purpose_that_cannot_change_renders_as_a_plain_one():
    # An exempt purpose is always allowed and an unknown one never: nothing to follow, no markers.
    template = Template(
        '{% load cookiecharter %}{% ifconsent "necessary" live %}needed{% endifconsent %}'
        "|{% ifconsent 'statistcs' live %}typo{% else %}closed{% endifconsent %}"
    )
    assert render(template=template) == "needed|closed"
    # The plain tag is unchanged: it can still sit inside an attribute.
    plain = Template(
        '{% load cookiecharter %}<iframe {% ifconsent "embeds" %}src{% else %}data-src{% endifconsent %}="x">'
    )
    assert render(template=plain) == '<iframe data-src="x">'
    assert render(template=plain, cookies_preferences=decided("embeds")) == '<iframe src="x">'


def test_live_blocks_nest_and_render_their_context():
    template = Template(
        '{% load cookiecharter %}{% ifconsent "statistics" live %}[{% ifconsent "embeds" live %}{{ n }}'
        "{% else %}no map{% endifconsent %}]{% endifconsent %}"
    )
    request = RequestFactory().get("/fr/")
    request.COOKIES["cookies_preferences"] = decided("statistics")
    through_middleware(request)
    html = template.render(Context({"request": request, "n": "<b>"}))
    assert html == (
        '<template data-cookiecharter-if="statistics" data-on></template>'
        '[<template data-cookiecharter-if="embeds">&lt;b&gt;</template>no map<template data-cookiecharter-else></template>]'
        "<template data-cookiecharter-else></template>"
    )


@pytest.mark.parametrize(
    "source",
    [
        '{% ifconsent "statistics" alive %}x{% endifconsent %}',
        "{% ifconsent live %}x{% endifconsent %}",
        '{% ifconsent "statistics" live live %}x{% endifconsent %}',
    ],
)
def test_live_is_the_only_word_the_tag_takes_after_its_purpose(source):
    with pytest.raises(TemplateSyntaxError, match=r"takes one purpose, in quotes, then optionally live"):
        Template("{% load cookiecharter %}" + source)
