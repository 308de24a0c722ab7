"""Each variant's page, as a site would write it: the integration in its base template.

A real site puts a consent package's tags in its own ``base.html``, which its pages extend; the
tags do not add blocks of their own. So every variant here is the same layout
(``templates/page/layout.html``) with that package's snippet written into it at the ``{# slot: … #}``
comments, and the same page (``templates/page/datasets.html``) extending it. The snippets are
spliced as text before Django compiles anything, so a variant's template holds exactly the nodes
that variant's package asks for and no others. The templates are served by Django's ``locmem``
loader under the cached loader, as file templates are outside DEBUG.

``templates_for(snippets)`` builds more variants (bench_consent_parts.py times the UI part by part).
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent / "templates" / "page"
SLOTS = ("load", "head", "banner", "statistics", "footer")
_SLOT_RE = re.compile(r"\{# slot: (\w+) #\}")

STATISTICS = '<script src="/static/audience.js" defer></script>'

#: The same question as the block tag in the cookiecharter page, asked with the filter instead.
CONSENT_ALLOWS = '{% if request|consent_allows:"statistics" %}' + STATISTICS + "{% endif %}"
COOKIECHARTER = {
    "load": "{% load cookiecharter %}",
    "head": "{% cookiecharter_head %}",
    "banner": "{% cookiecharter_banner %}",
    "statistics": '{% ifconsent "statistics" %}' + STATISTICS + "{% endifconsent %}",
    "footer": "{% cookiecharter_preferences_link %}",
}
# django-cookie-consent 1.0's documented integration: the bar's <template>, the cookie groups as
# JSON, the module script, and the template filter.
COOKIE_CONSENT = {
    "load": "{% load static cookie_consent_tags %}",
    "banner": """{% url "cookie_consent_cookie_group_list" as url_cookies %}
<template id="cookie-consent__cookie-bar">
  <div class="cookie-bar">
    This site uses cookies for better performance and user experience.
    <button type="button" class="cookie-consent__accept">Accept</button>
    <button type="button" class="cookie-consent__decline">Decline</button>
    <a href="{{ url_cookies }}">Cookies info</a>
  </div>
</template>
{% all_cookie_groups 'cookie-consent__cookie-groups' %}
{% static "cookie_consent/cookiebar.module.js" as cookiebar_src %}
{% url 'cookie_consent_status' as status_url %}
<script type="module">
  import {showCookieBar} from '{{ cookiebar_src }}';
  showCookieBar({
    statusUrl: '{{ status_url|escapejs }}',
    templateSelector: '#cookie-consent__cookie-bar',
    cookieGroupsSelector: '#cookie-consent__cookie-groups',
  });
</script>""",
    "statistics": '{% if request|cookie_group_accepted:"statistics" %}' + STATISTICS + "{% endif %}",
}
#: What each variant of bench_requests.py writes into the layout; "cookiecharter-mw" is the bare
#: page served through the middleware.
SNIPPETS: dict[str, dict[str, str]] = {
    "bare": {},
    "cookiecharter-mw": {},
    "cookiecharter": COOKIECHARTER,
    "cookiecharter-2sites": COOKIECHARTER,
    "cookiecharter-accounts": COOKIECHARTER,
    "cookie-consent": COOKIE_CONSENT,
}


def template_name(variant: str) -> str:
    return f"page/{variant}.html"


def templates_for(snippets: dict[str, dict[str, str]]) -> dict[str, str]:
    """Template sources, by name: per variant, its layout and the page that extends it."""
    layout = (PAGE / "layout.html").read_text(encoding="utf-8")
    page = (PAGE / "datasets.html").read_text(encoding="utf-8")
    sources = {}
    for variant, parts in snippets.items():
        unknown = set(parts) - set(SLOTS)
        if unknown:
            raise ValueError(f"{variant}: no slot named {', '.join(sorted(unknown))} in layout.html")
        sources[f"layout/{variant}.html"] = _SLOT_RE.sub(lambda m, parts=parts: parts.get(m.group(1), ""), layout)
        sources[template_name(variant)] = f'{{% extends "layout/{variant}.html" %}}' + page
    return sources
