"""The consent UI's template tags: ``{% load cookiecharter %}``.

- ``{% cookiecharter_head %}`` in ``<head>``, before any tag: the stylesheet, the page script's
  configuration (a JSON data block, which a Content-Security-Policy does not treat as script) and
  the page script, loaded synchronously so that it queues the Google Consent Mode default before
  anything else can run.
- ``{% cookiecharter_banner %}`` right after ``<body>``: the first layer when a choice is due,
  and the preferences dialog (second layer), open, when the page was asked for with
  ``?cookiecharter=preferences`` (how the preferences open without JavaScript). Otherwise the
  page script fetches the dialog from the ``preferences`` endpoint when a visitor opens it.
- ``{% cookiecharter_preferences_link %}`` in the footer of every page: reopens the preferences.
- ``{% cookiecharter_preferences_button %}`` on the charter page: the same, as a button.
- ``{% cookiecharter_allow "PURPOSE" %}`` in the placeholder of a blocked frame: grants that purpose.
- ``{% ifconsent "PURPOSE" %}…{% else %}…{% endifconsent %}`` and the filter
  ``request|consent_allows:"PURPOSE"``: may this page use the purpose's cookies? With
  ``{% ifconsent "PURPOSE" live %}`` the block also follows a choice the page script saves
  without a reload (the branch not shown waits, inert, in a ``<template>``).

Every tag asks the request's site (``request.cookiecharter_site``, set by the middleware) for its
consent UI, rendered once per language (``cookiecharter.consent_ui``). Everything works without
JavaScript: choices are plain form posts to the consent endpoint and "Customise" is a GET form
that re-renders the page with the preferences open.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .. import accounts, choices
from ..consent_ui import (
    OPEN_PARAM,
    OPEN_VALUE,
    ConsentUI,
    asks_for_preferences,
    query_inputs,
    query_without_open,
    ui_for,
)
from ..sites import Site, site_for

register = template.Library()


def _request(context: template.Context) -> HttpRequest:
    # A RequestContext carries its request even without the ``request`` context processor.
    request = getattr(context, "request", None) or context.get("request")
    if request is None:
        raise ImproperlyConfigured(
            "The cookiecharter tags need the request in the template context: add "
            "'django.template.context_processors.request' to TEMPLATES' context_processors "
            "and render with render(request, ...) (see cookiecharter.E010)."
        )
    return request


Render = Callable[[template.Context, HttpRequest, Site, ConsentUI], str]


class ConsentUINode(template.Node):
    """A tag of the consent UI: renders nothing at all when no purpose of the charter needs consent
    (there is nothing to choose, so no banner, script or link)."""

    # No child nodes: {% extends %} walks every node of a layout looking for blocks.
    child_nodelists = ()

    def __init__(self, render: Render) -> None:
        self.render_tag = render

    def render(self, context: template.Context) -> str:
        request = _request(context)
        site = site_for(request)
        if not site.charter.needs_consent:
            return ""
        return self.render_tag(context, request, site, ui_for(request, site))


def _consent_ui_tag(render: Render) -> Render:
    """Register ``render`` as an argument-less tag of the consent UI."""
    name = render.__name__

    def compile_tag(parser: template.base.Parser, token: template.base.Token) -> ConsentUINode:
        if len(token.split_contents()) > 1:
            raise template.TemplateSyntaxError(f"{name} takes no arguments")
        return ConsentUINode(render)

    compile_tag.__doc__ = render.__doc__
    register.tag(name, compile_tag)
    return render


@_consent_ui_tag
def cookiecharter_head(context: template.Context, request: HttpRequest, site: Site, ui: ConsentUI) -> str:
    """Stylesheet, configuration and page script; nothing at all when no purpose needs consent."""
    # The CSP nonce of this response, from Django 6's ``csp`` context processor or django-csp
    # (an attribute its middleware sets on the request).
    nonce = context.get("csp_nonce") or getattr(request, "csp_nonce", None)
    return ui.head(str(nonce) if nonce else "")


@_consent_ui_tag
def cookiecharter_banner(context: template.Context, request: HttpRequest, site: Site, ui: ConsentUI) -> str:
    """The banner when a choice is due; the preferences dialog, open, when the page was asked for
    with ``?cookiecharter=preferences`` (how they open without JavaScript). Otherwise the page
    script fetches the dialog from the ``preferences`` endpoint when it is opened: pages do not
    carry 5 KB of markup few visitors open."""
    if choices.browser_signal_due(request):
        choices.record_browser_signal(request)
    request.cookiecharter_varies = True  # this page differs with the visitor's choice
    consent = request.consent
    due = not consent.decided
    opened = asks_for_preferences(request)
    follows = site.config.follow_account
    notice = accounts.take_notice(request) if follows and not due else None
    if not (due or opened or notice):
        return ""
    signed_in = follows and due and accounts.user_id(request) is not None
    values = ui.values(request, consent, context.get("csrf_token"), signed_in=signed_in)
    return (
        (ui.banner.fill(values) if due else "")
        + (ui.notice(request, notice) if notice else "")
        + (ui.preferences.fill(values) if opened else "")
    )


@_consent_ui_tag
def cookiecharter_preferences_link(context: template.Context, request: HttpRequest, site: Site, ui: ConsentUI) -> str:
    """The footer link that reopens the preferences."""
    return ui.link(request)


@_consent_ui_tag
def cookiecharter_preferences_button(context: template.Context, request: HttpRequest, site: Site, ui: ConsentUI) -> str:
    """A button (for the charter page) that opens the preferences, with or without JavaScript."""
    return format_html(
        '<form method="get" action="{}" class="cc-open" data-cookiecharter-open>{}'
        '<input type="hidden" name="{}" value="{}">'
        '<button type="submit" class="cc-btn">{}</button></form>',
        request.path,
        mark_safe(query_inputs(query_without_open(request))),
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
    site = site_for(request)
    charter = site.charter
    if purpose not in charter.consent_keys:
        raise template.TemplateSyntaxError(
            f"cookiecharter_allow: {purpose!r} is not a purpose of the charter that needs consent"
        )
    ui = ui_for(request, site)
    consent = request.consent
    request.cookiecharter_varies = True
    granted = sorted((consent.granted if consent.decided else frozenset()) | {purpose})
    title = charter.purpose(purpose).text("title", ui.language, charter.languages[0])
    query = query_without_open(request).urlencode()
    return format_html(
        '<form method="post" action="{}" class="cc-allow" data-cookiecharter-form>{}'
        '<input type="hidden" name="next" value="{}"><input type="hidden" name="choice" value="custom">{}'
        '<button type="submit" class="cc-btn" data-cookiecharter-action="allow" value="{}">{}</button></form>',
        ui.consent_url,
        mark_safe(ui.values(request, consent, context.get("csrf_token"))["csrf"]),
        request.path + ("?" + query if query else ""),
        mark_safe("".join(format_html('<input type="hidden" name="purpose" value="{}">', k) for k in granted)),
        purpose,  # unnamed, so never posted: the page script reads it to post the current choice plus it
        gettext("Allow “%s”") % title,
    )


# -- may this page use a purpose's cookies? ----------------------------------------------------------
@register.filter
def consent_allows(request: HttpRequest, purpose: str) -> bool:
    """``{% if request|consent_allows:"statistics" %}``: may this page use the purpose's cookies?

    True for a purpose the visitor granted, and for an exempt purpose (which needs no consent);
    False for anything else. An unknown purpose fails closed, and raises under DEBUG, where it is
    a typo to fix. ``{% ifconsent "statistics" %}`` asks the same in one node.
    """
    if request is None or request == "":
        raise ImproperlyConfigured(
            "consent_allows was given no request: add 'django.template.context_processors.request' to "
            "TEMPLATES' context_processors (see cookiecharter.E010)."
        )
    site_for(request)  # the middleware must have seen the request (a clear error otherwise)
    request.cookiecharter_varies = True  # the page differs with the visitor's choice
    return request.consent.allows(purpose)


class IfConsentNode(template.Node):
    child_nodelists = ("nodelist_allowed", "nodelist_otherwise")

    def __init__(
        self, purpose: str, allowed: template.NodeList, otherwise: template.NodeList, live: bool = False
    ) -> None:
        self.purpose, self.nodelist_allowed, self.nodelist_otherwise = purpose, allowed, otherwise
        self.live = live

    def __repr__(self) -> str:
        return f"<IfConsentNode {self.purpose!r}{' live' if self.live else ''}>"

    def render(self, context: template.Context) -> str:
        request = _request(context)
        allowed = consent_allows(request, self.purpose)
        # Live, for a purpose a visitor can grant or withdraw: both branches, the one not shown
        # inside a <template> (inert: nothing in it loads or runs), between two markers the page
        # script finds to swap them after a choice. An exempt or unknown purpose never changes.
        if self.live and self.purpose in site_for(request).charter.consent_keys:
            granted, refused = self.nodelist_allowed.render(context), self.nodelist_otherwise.render(context)
            return format_html(
                '<template data-cookiecharter-if="{}"{}>{}</template>{}<template data-cookiecharter-else>{}</template>',
                self.purpose,
                mark_safe(" data-on" if allowed else ""),
                "" if allowed else granted,  # rendered nodelists are safe strings already
                granted if allowed else refused,
                refused if allowed else "",
            )
        if allowed:
            return self.nodelist_allowed.render(context)
        return self.nodelist_otherwise.render(context)


@register.tag
def ifconsent(parser: template.base.Parser, token: template.base.Token) -> IfConsentNode:
    """``{% ifconsent "statistics" %}…{% else %}…{% endifconsent %}``: the first part when the page
    may use the purpose's cookies (as ``consent_allows``), the optional ``{% else %}`` part otherwise.

    ``{% ifconsent "statistics" live %}`` follows a choice made on the page without a reload (see
    ``IfConsentNode``): for content between elements, not inside a tag or an attribute."""
    bits = token.split_contents()
    live = len(bits) == 3 and bits[2] == "live"
    purpose = bits[1] if len(bits) == 2 or live else ""
    if len(purpose) < 3 or purpose[0] not in "\"'" or purpose[-1] != purpose[0]:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes one purpose, in quotes, then optionally live: "
            f'{{% {bits[0]} "statistics" %}} or {{% {bits[0]} "statistics" live %}}, not {token.contents!r}'
        )
    allowed = parser.parse(("else", "endifconsent"))
    if parser.next_token().contents == "else":
        otherwise = parser.parse(("endifconsent",))
        parser.delete_first_token()
    else:
        otherwise = template.NodeList()
    return IfConsentNode(purpose[1:-1], allowed, otherwise, live)
