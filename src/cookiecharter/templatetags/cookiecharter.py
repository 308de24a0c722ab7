"""The consent UI's template tags: ``{% load cookiecharter %}``.

- ``{% cookiecharter_head %}`` in ``<head>``, before any tag: the stylesheet, the page script's
  configuration (a JSON data block, which a Content-Security-Policy does not treat as script) and
  the page script, loaded synchronously so that it queues the Google Consent Mode default before
  anything else can run.
- ``{% cookiecharter_banner %}`` right after ``<body>``: the first layer when a decision is due,
  and the preferences dialog (second layer), open, when the page was asked for with
  ``?cookiecharter=preferences`` (how the preferences open without JavaScript). Otherwise the
  page script fetches the dialog from the ``preferences`` endpoint when a visitor opens it.
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
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .. import conf
from ..charter import get_charter
from ..consent import get_consent
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


# Everything of the consent UI that depends only on the charter, the languages and the URLs, per
# (charter digest, charter language, active language, consent URL, charter URL, preferences URL).
_rendered: dict[tuple[str, ...], _Markup] = {}
# The charter and that markup, found from what is cheap to read off a request: (active language,
# the request's urlconf, script prefix). asgiref's context-local look-ups (get_urlconf and
# friends) cost microseconds each, which is what the whole consent UI is allowed per page.
_by_request: dict[tuple[Any, ...], _Page] = {}
_RENDERED_MAX = 64
_PATHS_MAX = 1024


@conf.on_clear
def _forget_rendered() -> None:
    _rendered.clear()
    _by_request.clear()


class _Markup:
    """The consent UI rendered once: markup split at its markers (literal, marker name, literal,
    ...), so that filling a page is one join, not a template render."""

    __slots__ = ("lang", "consent_url", "config", "head", "banner", "preferences", "link_label", "plain_banner",
                 "by_path")

    def __init__(self, key: tuple[str, ...], charter: Charter) -> None:
        _, lang, _, consent_url, charter_url, preferences_url = key
        self.lang, self.consent_url = lang, consent_url
        context = _template_context(charter, lang, consent_url, charter_url)
        self.banner = _split(render_to_string("cookiecharter/banner.html", context))
        self.preferences = _split(render_to_string("cookiecharter/preferences.html", context))
        self.config = json_script(_script_config(charter, lang, preferences_url), "cookiecharter-config")
        self.head = _head(self.config, "")
        self.link_label = html.escape(gettext("Cookie settings"))
        # A banner without checkboxes (the default one) is the same for every visitor who gets it.
        self.plain_banner = not any(name.startswith("on:") for name in self.banner[1::2])
        # Per page path (for a request without a query string, nearly all of them): the banner
        # split where the CSRF input goes, and the footer link. Bounded: paths come from visitors.
        self.by_path: dict[str, tuple[tuple[str, ...], str]] = {}

    def for_path(self, path: str) -> tuple[tuple[str, ...], str]:
        """(the banner split where the CSRF input goes, the footer link) for a page at ``path``
        asked for without a query string."""
        found = self.by_path.get(path)
        if found is None:
            escaped = html.escape(path)
            values = _marker_values("\ue000", next_url=escaped, here=escaped)
            banner = tuple(_fill(self.banner, Consent.undecided(), values).split("\ue000"))
            found = (banner, _open_link(_preferences_href(path), self.link_label))
            if len(self.by_path) >= _PATHS_MAX:
                self.by_path.clear()
            self.by_path[path] = found
        return found


def _split(markup: str) -> tuple[str, ...]:
    return tuple(_MARK_RE.split(markup))


def _head(config: str, nonce: str) -> str:
    return format_html(
        '<link rel="stylesheet" href="{}">\n{}\n<script src="{}"{}></script>',
        static("cookiecharter/consent.css"),
        mark_safe(config),
        static("cookiecharter/consent.js"),
        format_html(' nonce="{}"', nonce) if nonce else "",
    )


class _Page:
    """What the consent tags of a page share: the charter, and its rendered markup in the page's
    language (``None`` when no purpose of the charter needs consent: then every tag renders
    nothing). The first tag of a page finds it and keeps it on the request for the others."""

    __slots__ = ("charter", "markup")

    def __init__(self, charter: Charter, markup: _Markup | None) -> None:
        self.charter, self.markup = charter, markup


_PAGE_ATTR = "_cookiecharter_page"


def _page(context: template.Context) -> tuple[HttpRequest, _Page]:
    request = _request(context)  # first: a missing request is a configuration error either way
    return request, _page_of(request)


def _page_of(request: HttpRequest) -> _Page:
    page = request.__dict__.get(_PAGE_ATTR)
    if page is None:
        page = request.__dict__[_PAGE_ATTR] = _page_for(request)
    return page


def _page_for(request: HttpRequest) -> _Page:
    active = get_language() or ""
    # The script prefix as the handler set it from this request (path = prefix + path_info); for a
    # request that came through no handler (RequestFactory) that is "", and Django's is used.
    path, path_info = request.path, request.path_info
    prefix = path[: len(path) - len(path_info)] if len(path) != len(path_info) else ""
    # request.urlconf is what a middleware sets to route this request elsewhere; read from the
    # instance's __dict__, as a missing attribute costs an exception every time otherwise.
    fast = (active, request.__dict__.get("urlconf"), prefix)
    # Outside DEBUG the charter is read once and kept until a setting changes, which empties this
    # cache too, so the charter need not be looked at again (under DEBUG nothing is kept here).
    found = _by_request.get(fast)
    if found is not None:
        return found
    charter = get_charter()
    if not charter.needs_consent:
        found = _Page(charter, None)
    else:
        # The charter's language and Django's active one can differ (a "de" page of an fr/en
        # charter gets the charter's first language for its texts but Django's strings): both
        # are in the key.
        key = (charter.digest, _language(charter, active), active, *_urls(active))
        markup = _rendered.get(key)
        if markup is None or conf.debug():
            markup = _Markup(key, charter)
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.clear()
            _rendered[key] = markup
        found = _Page(charter, markup)
    if not conf.debug():  # under DEBUG, every page renders afresh: charter and template edits show
        if len(_by_request) >= _RENDERED_MAX:
            _by_request.clear()
        _by_request[fast] = found
    return found


# -- the tags ------------------------------------------------------------------------------------


class _ConsentUINode(template.Node):
    """A tag of the consent UI: a plain node rather than ``simple_tag``, whose argument resolving
    and output escaping (the markup is safe already) cost microseconds on every page."""

    # No child nodes: {% extends %} walks every node of the layout for blocks on every render,
    # and looking up a ``nodelist`` attribute a node does not have costs a caught AttributeError.
    child_nodelists = ()

    def __init__(self, render: Callable[[template.Context, HttpRequest, _Page, _Markup], str]) -> None:
        self._render = render

    def render(self, context: template.Context) -> str:
        request = getattr(context, "request", None) or _request(context)  # RequestContext has it
        page = request.__dict__.get(_PAGE_ATTR) or _page_of(request)  # found by the page's first tag
        markup = page.markup
        if markup is None:
            return ""
        return self._render(context, request, page, markup)


def _consent_ui_tag(
    render: Callable[[template.Context, HttpRequest, _Page, _Markup], str],
) -> Callable[[template.Context, HttpRequest, _Page, _Markup], str]:
    """Register ``render`` as a tag of the consent UI, which takes no argument and renders nothing
    at all when no purpose of the charter needs consent: there is nothing to choose, so no
    banner, script or link."""
    name = render.__name__

    def compile_tag(parser: template.base.Parser, token: template.base.Token) -> _ConsentUINode:
        if len(token.split_contents()) > 1:
            raise template.TemplateSyntaxError(f"{name} takes no arguments")
        return _ConsentUINode(render)

    compile_tag.__doc__ = render.__doc__
    register.tag(name, compile_tag)
    return render


@_consent_ui_tag
def cookiecharter_head(context: template.Context, request: HttpRequest, page: _Page, markup: _Markup) -> str:
    """Stylesheet, configuration and page script; nothing at all when no purpose needs consent."""
    # The CSP nonce of this response, from Django 6's ``csp`` context processor or django-csp
    # (an attribute its middleware sets on the request).
    nonce = context.get("csp_nonce") or request.__dict__.get("csp_nonce")
    return _head(markup.config, str(nonce)) if nonce else markup.head


@_consent_ui_tag
def cookiecharter_banner(context: template.Context, request: HttpRequest, page: _Page, markup: _Markup) -> str:
    """The banner when a decision is due; the preferences dialog, open, when the page was asked for
    with ``?cookiecharter=preferences`` (how they open without JavaScript). Otherwise the page
    script fetches the dialog from the ``preferences`` endpoint when it is opened: pages do not
    carry 5 KB of markup few visitors open, and a decided visitor's page does not vary with
    their choices."""
    meta = request.META
    if meta.get("HTTP_SEC_GPC"):
        _record_browser_signal(request)
    consent = get_consent(request)
    # Due with no decision, or one that answers another charter. The codec already reads an
    # outdated cookie as undecided; the version is compared again so that the banner never
    # trusts a consent object made elsewhere. (A charter that needs no consent has no markup:
    # no tag gets here.)
    due = not consent.decided or consent.consent_version != page.charter.consent_version
    opened = bool(meta.get("QUERY_STRING")) and request.GET.get(OPEN_PARAM) == OPEN_VALUE
    if not (due or opened):
        return ""
    if due and not opened and markup.plain_banner and not meta.get("QUERY_STRING"):  # a first visit
        return _csrf_input(request, context.get("csrf_token")).join(markup.for_path(request.path)[0])
    values = _request_values(request, context.get("csrf_token"))
    filled = _fill(markup.banner, consent, values) if due else ""
    if opened:
        filled += _fill(markup.preferences, consent, values)
    return filled  # a node's output is not escaped: no SafeString copy needed


def preferences_markup(request: HttpRequest, next_url: str) -> str | None:
    """The preferences dialog alone, closed, for the page at ``next_url`` (a path of this site,
    already checked), with this visitor's choices and CSRF token; ``None`` when no purpose of the
    charter needs consent. What the ``preferences`` endpoint answers."""
    page = _page_of(request)
    if page.markup is None:
        return None
    values = _marker_values(_csrf_input(request), next_url=html.escape(next_url))
    return _fill(page.markup.preferences, get_consent(request), values)


@_consent_ui_tag
def cookiecharter_preferences_link(context: template.Context, request: HttpRequest, page: _Page,
                                   markup: _Markup) -> str:
    """The footer link that reopens the preferences (nothing when no purpose needs consent: the
    site's link to the charter page says it all)."""
    if not request.META.get("QUERY_STRING"):  # not request.GET: parsing an empty query costs µs
        return markup.for_path(request.path)[1]
    query = _query_without_open(request)
    return _open_link(_preferences_href(request.path, query.urlencode()), markup.link_label)


@_consent_ui_tag
def cookiecharter_preferences_button(context: template.Context, request: HttpRequest, page: _Page,
                                     markup: _Markup) -> str:
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
    request, page = _page(context)
    charter, markup = page.charter, page.markup
    if markup is None or not charter.has_purpose(purpose) or not charter.purpose(purpose).needs_consent:
        raise template.TemplateSyntaxError(
            f"cookiecharter_allow: {purpose!r} is not a purpose of the charter that needs consent"
        )
    consent = get_consent(request)
    granted = sorted((consent.granted if consent.decided else frozenset()) | {purpose})
    title = charter.purpose(purpose).text("title", markup.lang, charter.languages[0] if charter.languages else "en")
    query = _query_without_open(request).urlencode()
    return format_html(
        '<form method="post" action="{}" class="cc-allow" data-cookiecharter-form>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}"><input type="hidden" name="choice" value="custom">{}'
        '<button type="submit" class="cc-btn" data-cookiecharter-action="allow">{}</button></form>',
        markup.consent_url,
        get_token(request),
        request.path + ("?" + query if query else ""),
        mark_safe("".join(format_html('<input type="hidden" name="purpose" value="{}">', k) for k in granted)),
        gettext("Allow “%s”") % title,
    )


# -- rendering and the cache -----------------------------------------------------------------------


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


def _script_config(charter: Charter, lang: str, preferences_url: str) -> dict[str, Any]:
    """What the page script needs to know, in as few bytes as stay readable.

    ``cookies`` lists only first-party declarations: those are the ones a script on the page can
    see and delete. Each is ``[kind, value, path, domain]``, kind 0 exact, 1 prefix, 2 regex.
    """
    fallback = charter.languages[0] if charter.languages else "en"
    kinds = {MatchKind.EXACT: 0, MatchKind.PREFIX: 1, MatchKind.REGEX: 2}
    settings_ = conf.config()
    return {
        "cookie": settings_["CONSENT_COOKIE_NAME"],
        # Where the script fetches the preferences dialog when a visitor opens it.
        "preferences": preferences_url,
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


def _request_values(request: HttpRequest, token: Any = None) -> dict[str, str]:
    """What the markers of the cached markup stand for on this request.

    ``token`` is the template context's ``csrf_token`` (the page's own, masked once for all its
    forms); without it, ``get_token`` masks a fresh one, which costs tens of microseconds.
    """
    path = html.escape(request.path)
    values = _marker_values(_csrf_input(request, token), next_url=path, here=path)
    if request.META.get("QUERY_STRING"):  # else the common case: no query to parse or carry over
        query = _query_without_open(request)
        qs = query.urlencode()
        if qs:
            values["next"] = html.escape(f"{request.path}?{qs}")
            values["query"] = str(_query_inputs(query))
        if request.GET.get(OPEN_PARAM) == OPEN_VALUE:
            values["open"] = " open"
    return values


def _marker_values(csrf: str, *, next_url: str, here: str = "") -> dict[str, str]:
    """The markers of the cached markup, for a page without a query string (escaped values)."""
    return {"csrf": csrf, "next": next_url, "here": here, "query": "", "open": ""}


def _csrf_input(request: HttpRequest, token: Any = None) -> str:
    token_text = str(token) if token else ""
    if not token_text or token_text == "NOTPROVIDED":
        token_text = get_token(request)
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{html.escape(token_text)}">'


def _fill(parts: tuple[str, ...], consent: Consent, values: dict[str, str]) -> str:
    """Cached markup, split at its markers, with the request's ``values`` put in."""
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


def _record_browser_signal(request: HttpRequest) -> None:
    """A first page view with ``Sec-GPC: 1`` records the refusal it implies before the banner asks
    about the rest (the middleware sets the cookie on the way out); see ``decisions``."""
    from ..decisions import record_browser_signal  # the ledger and its models: only when needed

    record_browser_signal(request)


def _language(charter: Charter, active: str | None = None) -> str:
    lang = (active if active is not None else get_language() or "").split("-")[0]
    if lang in charter.languages or not charter.languages:
        return lang or "en"
    return charter.languages[0]


def _urls(active: str) -> tuple[str, str, str]:
    """The consent endpoint, the charter page and the preferences endpoint, in the active
    language (reversed when a page's markup is first looked up, then kept with it)."""
    return (reverse("cookiecharter:consent"), reverse(conf.config()["CHARTER_URL_NAME"]),
            reverse("cookiecharter:preferences"))


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


def _preferences_href(path: str, query: str = "") -> str:
    """The page at ``path`` (with its own ``query``, already encoded) with the preferences open."""
    return f"{path}?{query + '&' if query else ''}{OPEN_PARAM}={OPEN_VALUE}"


def _open_link(href: str, label: str) -> str:
    """The footer link that opens the preferences (``label`` already escaped)."""
    return f'<a href="{html.escape(href)}" data-cookiecharter-open>{label}</a>'


# -- enforcement: the same question the middleware asks, for templates -----------------------
@register.filter
def consent_allows(request: HttpRequest, purpose: str) -> bool:
    """``{% if request|consent_allows:"statistics" %}``: may this page use the purpose's cookies?

    True for a purpose the visitor granted, and for an exempt purpose (which needs no consent);
    False for anything else, an unknown purpose included, so a typo fails closed.
    ``{% ifconsent "statistics" %}`` asks the same in one node, for the common case of a block
    shown only with consent.
    """
    page = request.__dict__.get(_PAGE_ATTR)  # the page's consent tags may have found the charter
    charter = page.charter if page is not None else get_charter()
    if purpose in charter.consent_keys:
        return get_consent(request).allows(purpose)
    return charter.has_purpose(purpose)  # exempt: allowed; unknown: refused


class _IfConsentNode(template.Node):
    child_nodelists = ("nodelist_allowed", "nodelist_otherwise")

    def __init__(self, purpose: str, allowed: template.NodeList, otherwise: template.NodeList) -> None:
        self.purpose, self.nodelist_allowed, self.nodelist_otherwise = purpose, allowed, otherwise

    def __repr__(self) -> str:
        return f"<IfConsentNode {self.purpose!r}>"

    def render(self, context: template.Context) -> str:
        request = getattr(context, "request", None) or _request(context)
        if consent_allows(request, self.purpose):
            return self.nodelist_allowed.render(context)
        return self.nodelist_otherwise.render(context)


@register.tag
def ifconsent(parser: template.base.Parser, token: template.base.Token) -> _IfConsentNode:
    """``{% ifconsent "statistics" %}…{% else %}…{% endifconsent %}``: the first part when the page
    may use the purpose's cookies (as ``consent_allows``: granted, or exempt; an unknown purpose
    fails closed), the optional ``{% else %}`` part otherwise.

    One node that reads the request off the context, where ``{% if request|consent_allows:… %}``
    resolves a variable and calls a filter inside an ``if``: a few microseconds less on every page.
    """
    bits = token.split_contents()
    purpose = bits[1] if len(bits) == 2 else ""
    if len(purpose) < 3 or purpose[0] not in "\"'" or purpose[-1] != purpose[0]:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes one purpose, in quotes: {{% {bits[0]} \"statistics\" %}}, not {token.contents!r}"
        )
    allowed = parser.parse(("else", "endifconsent"))
    if parser.next_token().contents == "else":
        otherwise = parser.parse(("endifconsent",))
        parser.delete_first_token()
    else:
        otherwise = template.NodeList()
    return _IfConsentNode(purpose[1:-1], allowed, otherwise)
