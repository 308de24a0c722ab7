"""The consent UI's template tags: ``{% load cookiecharter %}``.

- ``{% cookiecharter_head %}`` in ``<head>``, before any tag: the stylesheet, the page script's
  configuration (a JSON data block, which a Content-Security-Policy does not treat as script) and
  the page script, loaded synchronously so that it queues the Google Consent Mode default before
  anything else can run.
- ``{% cookiecharter_banner %}`` right after ``<body>``: the first layer when a decision is due,
  and the preferences dialog (second layer), closed unless the page was asked for with
  ``?cookiecharter=preferences`` (how the preferences open without JavaScript).
- ``{% cookiecharter_preferences_link %}`` in the footer of every page: reopens the preferences.
- ``{% cookiecharter_preferences_button %}`` on the charter page: the same, as a button.
- ``{% cookiecharter_allow "PURPOSE" %}`` in the placeholder of a blocked frame: grants that purpose.

Everything works without JavaScript: the decisions are plain form posts to the consent endpoint
and "Customise" is a GET form that re-renders the page with the preferences open.

The banner and the preferences are rendered once per (charter, language, URLs) and cached; what
changes per request (CSRF token, ``next``, the checkboxes' state, whether the dialog is open) is
put in afterwards by replacing markers, so a busy page pays a few string replacements, not a
template render.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from django import template
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .. import conf
from ..core.charter import Charter, Cookie, MatchKind, Party
from ..core.consent import Consent
from ..core.lifetime import Lifetime

register = template.Library()

#: The query parameter that opens the preferences without JavaScript (``?cookiecharter=preferences``).
OPEN_PARAM = "cookiecharter"
OPEN_VALUE = "preferences"

# Markers for the per-request parts of cached markup: private-use code points, which neither the
# charter's texts nor Django's escaping produce.
_MARK_RE = re.compile("\ue000([^\ue001]*)\ue001")


def _mark(name: str) -> SafeString:
    return mark_safe(f"\ue000{name}\ue001")


# (charter digest, charter language, active language, consent URL, charter URL) -> markup
# (banner, preferences, config).
_rendered: dict[tuple[str, ...], tuple[str, str, str]] = {}
_RENDERED_MAX = 64
# Cached markup split once at its markers: literal, marker name, literal, ... (filling a page is
# then one join, not a regex pass over 6 KB of HTML with a callback per marker).
_split: dict[str, tuple[str, ...]] = {}
# The whole head (stylesheet, config, script) per markup key, for pages without a CSP nonce.
_heads: dict[tuple[str, ...], str] = {}


@conf.on_clear
def _forget_rendered() -> None:
    _rendered.clear()
    _split.clear()
    _heads.clear()


# -- the tags ------------------------------------------------------------------------------------


def _consent_ui_tag(
    render: Callable[[template.Context, HttpRequest, Charter], str],
) -> Callable[[template.Context], str]:
    """Register ``render`` as a tag of the consent UI, which renders nothing at all when no
    purpose of the charter needs consent: there is nothing to choose, so no banner, script or link."""

    def tag(context: template.Context) -> str:
        request = _request(context)  # first: a missing request is a configuration error either way
        charter = _charter()
        if not charter.needs_consent:
            return ""
        return render(context, request, charter)

    # Not functools.wraps: Django reads the tag's signature through __wrapped__ and wants ``context``.
    tag.__name__, tag.__doc__ = render.__name__, render.__doc__
    return register.simple_tag(takes_context=True)(tag)


@_consent_ui_tag
def cookiecharter_head(context: template.Context, request: HttpRequest, charter: Charter) -> str:
    """Stylesheet, configuration and page script; nothing at all when no purpose needs consent."""
    nonce = _nonce(context, request)
    key = _markup_key(charter, request)
    if not nonce:
        found = _heads.get(key)
        if found is not None and not settings.DEBUG:
            return found
    _, _, config = _markup(charter, request)
    head = format_html(
        '<link rel="stylesheet" href="{}">\n{}\n<script src="{}"{}></script>',
        static("cookiecharter/consent.css"),
        mark_safe(config),
        static("cookiecharter/consent.js"),
        format_html(' nonce="{}"', nonce) if nonce else "",
    )
    if not nonce:
        _heads[key] = head
    return head


@_consent_ui_tag
def cookiecharter_banner(context: template.Context, request: HttpRequest, charter: Charter) -> str:
    """The banner when a decision is due, then the (closed) preferences dialog."""
    _record_browser_signal(request)
    consent = _consent(request)
    banner, preferences, _ = _markup(charter, request)
    open_preferences = request.GET.get(OPEN_PARAM) == OPEN_VALUE
    values = _request_values(request, open_preferences, context.get("csrf_token"))
    filled = [_fill(banner, consent, values)] if decision_due(charter, consent) else []
    filled.append(_fill(preferences, consent, values))
    return mark_safe("".join(filled))


@_consent_ui_tag
def cookiecharter_preferences_link(context: template.Context, request: HttpRequest, charter: Charter) -> str:
    """The footer link that reopens the preferences (nothing when no purpose needs consent: the
    site's link to the charter page says it all)."""
    return mark_safe(
        f'<a href="{html.escape(_preferences_href(request))}" data-cookiecharter-open>'
        f'{html.escape(gettext("Cookie settings"))}</a>'
    )


@_consent_ui_tag
def cookiecharter_preferences_button(context: template.Context, request: HttpRequest, charter: Charter) -> str:
    """A button (for the charter page) that opens the preferences, with or without JavaScript."""
    return format_html(
        '<form method="get" action="{}" class="cc-open" data-cookiecharter-open>{}'
        '<input type="hidden" name="{}" value="{}">'
        '<button type="submit" class="cc-btn">{}</button></form>',
        request.path,
        _query_inputs(_query_without_open(request)),
        OPEN_PARAM,
        OPEN_VALUE,
        gettext("Change my cookie choices"),
    )


@register.simple_tag(takes_context=True)
def cookiecharter_allow(context: template.Context, purpose: str) -> str:
    """A button that grants one purpose on top of the current choice: for the placeholder of a
    frame or widget blocked until that purpose is granted. A plain form, so it works without
    JavaScript (the page script posts it with fetch and loads the frame without a reload)."""
    request = _request(context)
    charter = _charter()
    if not charter.has_purpose(purpose) or not charter.purpose(purpose).needs_consent:
        raise template.TemplateSyntaxError(
            f"cookiecharter_allow: {purpose!r} is not a purpose of the charter that needs consent"
        )
    consent = _consent(request)
    granted = sorted((consent.granted if consent.decided else frozenset()) | {purpose})
    lang = _language(charter)
    title = charter.purpose(purpose).text("title", lang, charter.languages[0] if charter.languages else "en")
    query = _query_without_open(request).urlencode()
    return format_html(
        '<form method="post" action="{}" class="cc-allow" data-cookiecharter-form>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}"><input type="hidden" name="choice" value="custom">{}'
        '<button type="submit" class="cc-btn" data-cookiecharter-action="allow">{}</button></form>',
        _urls()[0],
        get_token(request),
        request.path + ("?" + query if query else ""),
        mark_safe("".join(format_html('<input type="hidden" name="purpose" value="{}">', k) for k in granted)),
        gettext("Allow “%s”") % title,
    )


# -- when the banner shows ------------------------------------------------------------------------


def decision_due(charter: Charter, consent: Consent) -> bool:
    """True when the visitor must be asked: no decision, or one that answers another charter.

    The consent codec already reads an expired or outdated cookie as "undecided"; the version is
    compared again here so that the banner never trusts a consent object made elsewhere.
    """
    if not charter.needs_consent:
        return False
    return not consent.decided or consent.consent_version != charter.consent_version


# -- rendering and the cache -----------------------------------------------------------------------


_KEY_ATTR = "_cookiecharter_markup_key"


def _markup_key(charter: Charter, request: HttpRequest) -> tuple[str, ...]:
    """What the cached markup depends on; worked out once per request (the tags of a page share it)."""
    found = getattr(request, _KEY_ATTR, None)
    if found is not None and found[0] == charter.digest:
        return found
    active = get_language() or ""
    consent_url, charter_url = _urls(active)
    # The charter's language and Django's active one can differ (a "de" page of an fr/en charter
    # gets the charter's first language for its texts but Django's strings): both are in the key.
    key = (charter.digest, _language(charter, active), active, consent_url, charter_url)
    setattr(request, _KEY_ATTR, key)
    return key


def _markup(charter: Charter, request: HttpRequest) -> tuple[str, str, str]:
    key = _markup_key(charter, request)
    found = _rendered.get(key)
    if found is not None and not settings.DEBUG:
        return found
    _, lang, _, consent_url, charter_url = key
    context = _template_context(charter, lang, consent_url, charter_url)
    banner = render_to_string("cookiecharter/banner.html", context)
    preferences = render_to_string("cookiecharter/preferences.html", context)
    config = json_script(_script_config(charter, lang), "cookiecharter-config")
    if len(_rendered) >= _RENDERED_MAX:
        _rendered.clear()
    _rendered[key] = (banner, preferences, config)
    return _rendered[key]


def _template_context(charter: Charter, lang: str, consent_url: str, charter_url: str) -> dict[str, Any]:
    fallback = charter.languages[0] if charter.languages else "en"
    purposes = []
    third_parties = []
    for purpose in charter.consent_purposes:
        cookies = [_cookie_context(c, lang, fallback) for c in charter.cookies_for(purpose.key)]
        purposes.append(
            {
                "key": purpose.key,
                "title": purpose.text("title", lang, fallback),
                "description": purpose.text("description", lang, fallback),
                "cookies": cookies,
                "checked": _mark(f"on:{purpose.key}"),
            }
        )
        third_parties.extend(c for c in cookies if c["third_party"])
    age = conf.config()["CONSENT_COOKIE_AGE"]
    return {
        "controller": charter.controller,
        "purposes": purposes,
        "third_parties": third_parties,
        "consent_url": consent_url,
        "charter_url": charter_url,
        "choice_lifetime": lifetime_text(Lifetime.of_seconds(int(age))),
        "open_param": OPEN_PARAM,
        "open_value": OPEN_VALUE,
        # Filled in per request by _fill().
        "csrf_input": _mark("csrf"),
        "next": _mark("next"),
        "here": _mark("here"),
        "query_inputs": _mark("query"),
        "open": _mark("open"),
    }


def _cookie_context(cookie: Cookie, lang: str, fallback: str) -> dict[str, Any]:
    third = cookie.party is Party.THIRD
    return {
        "name": cookie.name.display,
        "provider": cookie.provider,
        "service": cookie.text("service", lang, fallback),
        "description": cookie.text("description", lang, fallback),
        "lifetime": lifetime_text(cookie.lifetime),
        "third_party": third,
        "domain": cookie.domain,
        "policy_url": cookie.policy_url,
    }


def _script_config(charter: Charter, lang: str) -> dict[str, Any]:
    """What the page script needs to know, in as few bytes as stay readable.

    ``cookies`` lists only first-party declarations: those are the ones a script on the page can
    see and delete. Each is ``[kind, value, path, domain]``, kind 0 exact, 1 prefix, 2 regex.
    """
    fallback = charter.languages[0] if charter.languages else "en"
    kinds = {MatchKind.EXACT: 0, MatchKind.PREFIX: 1, MatchKind.REGEX: 2}
    settings_ = conf.config()
    return {
        "cookie": settings_["CONSENT_COOKIE_NAME"],
        "version": charter.consent_version,
        "gpc": bool(settings_["HONOUR_GPC"]),
        "purposes": {
            p.key: {
                "title": p.text("title", lang, fallback),
                "modes": list(p.consent_mode),
                "cookies": [
                    [kinds[c.name.kind], c.name.value, c.path or "/", c.cookie_domain]
                    for c in charter.cookies_for(p.key)
                    if c.party is Party.FIRST
                ],
            }
            for p in charter.consent_purposes
        },
        "text": {
            # The placeholder of a frame blocked until its purpose is granted.
            "blocked": gettext("This content is provided by a third party. It is shown only if you allow: %s."),
            "allow": gettext("Allow “%s”"),
            # Announced (role=status) when a choice is saved and the banner goes away.
            "saved": gettext("Your choice is saved. You can change it at any time with the “Cookie settings” link."),
        },
    }


def _request_values(request: HttpRequest, open_preferences: bool, token: Any = None) -> dict[str, str]:
    """What the markers of the cached markup stand for on this request.

    ``token`` is the template context's ``csrf_token`` (the page's own, masked once for all its
    forms); without it, ``get_token`` masks a fresh one, which costs tens of microseconds.
    """
    if request.GET:
        query = _query_without_open(request)
        qs = query.urlencode()
        next_url = request.path + ("?" + qs if qs else "")
        query_inputs = str(_query_inputs(query))
    else:  # the common case: no query string to carry over
        next_url, query_inputs = request.path, ""
    token_text = str(token) if token and str(token) != "NOTPROVIDED" else get_token(request)
    path = html.escape(request.path)
    return {
        "csrf": f'<input type="hidden" name="csrfmiddlewaretoken" value="{html.escape(token_text)}">',
        "next": path if next_url == request.path else html.escape(next_url),
        "here": path,
        "query": query_inputs,
        "open": " open" if open_preferences else "",
    }


def _fill(markup: str, consent: Consent, values: dict[str, str]) -> str:
    """The cached ``markup`` with the request's ``values`` put in at its markers."""
    parts = _split.get(markup)
    if parts is None:
        parts = _split[markup] = tuple(_MARK_RE.split(markup))
    out = list(parts)
    for i in range(1, len(out), 2):
        name = out[i]
        if name.startswith("on:"):
            out[i] = " checked" if consent.decided and consent.allows(name[3:]) else ""
        else:
            out[i] = values[name]
    return "".join(out)


# -- small pieces ------------------------------------------------------------------------------------


def lifetime_text(lifetime: Lifetime) -> str:
    """A lifetime in the page's language ("13 mois"), worded as on the charter page."""
    from django.utils import translation

    from ..page import human_lifetime

    return human_lifetime(lifetime, translation)


def _request(context: template.Context) -> HttpRequest:
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured(
            "The cookiecharter tags need the request in the template context: add "
            "'django.template.context_processors.request' to TEMPLATES' context_processors "
            "and render with render(request, ...)."
        )
    return request


def _charter() -> Charter:
    from ..charter import get_charter  # the Django layer; imported late to keep tag loading cheap

    return get_charter()


def _consent(request: HttpRequest) -> Consent:
    from ..consent import get_consent

    return get_consent(request)


def _record_browser_signal(request: HttpRequest) -> None:
    """A first page view with ``Sec-GPC: 1`` records the refusal it implies before the banner asks
    about the rest (the middleware sets the cookie on the way out); see ``decisions``."""
    from ..decisions import record_browser_signal

    record_browser_signal(request)


def _language(charter: Charter, active: str | None = None) -> str:
    lang = (active if active is not None else get_language() or "").split("-")[0]
    if lang in charter.languages or not charter.languages:
        return lang or "en"
    return charter.languages[0]


def _charter_url() -> str:
    return _urls()[1]


# (urlconf, script prefix, language) -> (consent URL, charter URL): reverse() is a good part of
# the cost of a page otherwise, and these only change with those three.
_reversed: dict[tuple[Any, str, str | None], tuple[str, str]] = {}


@conf.on_clear
def _forget_urls() -> None:
    _reversed.clear()


def _urls(active: str | None = None) -> tuple[str, str]:
    key = (get_urlconf(), get_script_prefix(), active if active is not None else get_language())
    found = _reversed.get(key)
    if found is None:
        found = (reverse("cookiecharter:consent"), reverse(conf.config()["CHARTER_URL_NAME"]))
        if len(_reversed) >= _RENDERED_MAX:
            _reversed.clear()
        _reversed[key] = found
    return found


def _nonce(context: template.Context, request: HttpRequest) -> str:
    """The CSP nonce of this response, from Django 6's ``csp`` context processor or django-csp."""
    nonce = context.get("csp_nonce") or getattr(request, "csp_nonce", None)
    return str(nonce) if nonce else ""


def _query_without_open(request: HttpRequest) -> QueryDict:
    query = request.GET.copy()
    query.pop(OPEN_PARAM, None)
    return query


def _query_inputs(query: QueryDict) -> SafeString:
    """Hidden inputs that keep the page's own query when a GET form opens the preferences."""
    return mark_safe(
        "".join(
            format_html('<input type="hidden" name="{}" value="{}">', name, value)
            for name, values in query.lists()
            for value in values
        )
    )


def _preferences_href(request: HttpRequest) -> str:
    if not request.GET:
        return f"{request.path}?{OPEN_PARAM}={OPEN_VALUE}"
    query = _query_without_open(request)
    query[OPEN_PARAM] = OPEN_VALUE
    return f"{request.path}?{query.urlencode()}"


# -- enforcement: the same question the middleware asks, for templates -----------------------
@register.filter
def consent_allows(request: HttpRequest, purpose: str) -> bool:
    """``{% if request|consent_allows:"statistics" %}``: may this page use the purpose's cookies?

    True for a purpose the visitor granted, and for an exempt purpose (which needs no consent);
    False for anything else, an unknown purpose included, so a typo fails closed.
    """
    charter = _charter()
    if not charter.has_purpose(purpose):
        return False
    if not charter.purpose(purpose).needs_consent:
        return True
    return _consent(request).allows(purpose)
