"""The consent UI of one site in one language: rendered once, filled in per request.

The banner (first layer) and the preferences dialog (second layer) depend on the charter, the
language and the site's URLs, which change rarely, and on a few values of each request (the CSRF
token, the page to come back to, the visitor's switches, whether the dialog is open). So each is
rendered once into a :class:`Stencil`: the markup with holes, filled per request by one join. A
site object keeps one ``ConsentUI`` per language (``Site.consent_ui``).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, QueryDict
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .core.charter import Cookie, MatchKind, Party
from .core.consent import Consent
from .core.lifetime import Lifetime

if TYPE_CHECKING:
    from .sites import Site

#: The query parameter that opens the preferences without JavaScript (``?cookiecharter=preferences``).
OPEN_PARAM = "cookiecharter"
OPEN_VALUE = "preferences"


class Holes:
    """Hands out the holes of one rendering: each is a random token unique to it, so no text of
    the charter and nothing a visitor sends can ever be taken for one."""

    def __init__(self) -> None:
        self._token = secrets.token_hex(16)
        self._names: list[str] = []
        self._pattern = re.compile(f"{self._token}-([0-9]+)-")

    def __call__(self, name: str) -> SafeString:
        self._names.append(name)
        return mark_safe(f"{self._token}-{len(self._names) - 1}-")

    def stencil(self, markup: str) -> Stencil:
        parts = self._pattern.split(markup)
        parts[1::2] = [self._names[int(i)] for i in parts[1::2]]
        return Stencil(tuple(parts))


@dataclass(frozen=True)
class Stencil:
    """Rendered markup cut at its holes: literal, hole name, literal, ... (literals already safe)."""

    parts: tuple[str, ...]

    @property
    def holes(self) -> frozenset[str]:
        return frozenset(self.parts[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        """The markup with each hole's value (already escaped) put in."""
        parts = list(self.parts)
        parts[1::2] = [values[name] for name in parts[1::2]]
        return "".join(parts)


class ConsentUI:
    """A site's banner, preferences and page-script configuration in one language."""

    def __init__(self, site: Site, language: str) -> None:
        charter = site.charter
        self.site = site
        self.language = language
        self.consent_url = reverse("cookiecharter:consent")
        self.charter_url = reverse(site.charter_url_name)
        self.preferences_url = reverse("cookiecharter:preferences")
        #: The ``Link`` header value that points ADPC browsers at the consent requests.
        self.adpc_link = f'<{reverse("cookiecharter:adpc")}>; rel="consent-requests"'
        holes = Holes()
        context = _template_context(site, language, self.consent_url, self.charter_url, holes)
        self.banner = holes.stencil(render_to_string("cookiecharter/banner.html", context))
        self.preferences = holes.stencil(render_to_string("cookiecharter/preferences.html", context))
        self.purposes = tuple(p.key for p in charter.consent_purposes)
        fallback = charter.languages[0] if charter.languages else "en"
        self.titles = tuple((p.key, p.text("title", language, fallback)) for p in charter.consent_purposes)
        self.account_sentence = " " + html.escape(gettext("Your choice will follow your account on all your devices."))
        config = json_script(_script_config(site, language, self.preferences_url), "cookiecharter-config")
        self.link_label = html.escape(gettext("Cookie settings"))
        # The head is the same on every page but for a CSP nonce: rendered once, cut where it goes.
        self._head = format_html(
            '<link rel="stylesheet" href="{}">\n{}\n<script src="{}"',
            static("cookiecharter/consent.css"),
            config,
            static("cookiecharter/consent.js"),
        )

    def head(self, nonce: str = "") -> str:
        """Stylesheet, configuration and page script (with the response's CSP nonce, if any)."""
        if nonce:
            return f'{self._head} nonce="{html.escape(nonce)}"></script>'
        return f"{self._head}></script>"

    def values(
        self,
        request: HttpRequest,
        consent: Consent,
        csrf_token: Any = None,
        next_url: str | None = None,
        *,
        signed_in: bool = False,
    ) -> dict[str, str]:
        """What each hole holds on this request (escaped). ``next_url`` is the page a choice returns
        to (a path of this site, already checked); the request's own page by default. ``signed_in``:
        the visitor is signed in on a site whose choices follow accounts (the first layer says so)."""
        path = html.escape(request.path)
        values = {
            "csrf": _csrf_input(request, csrf_token),
            "next": path if next_url is None else html.escape(next_url),
            "here": path,
            "query": "",
            "open": "",
        }
        if request.META.get("QUERY_STRING") and next_url is None:
            query = query_without_open(request)
            if query:
                values["next"] = html.escape(f"{request.path}?{query.urlencode()}")
                values["query"] = query_inputs(query)
            if asks_for_preferences(request):
                values["open"] = " open"
        for key in self.purposes:
            values[f"on:{key}"] = " checked" if consent.decided and consent.allows(key) else ""
        values["account"] = self.account_sentence if signed_in else ""
        return values

    def notice(self, request: HttpRequest, notice: Mapping[str, Any]) -> str:
        """Says, on the device it was just applied on, which choice made while signed in now applies."""
        granted = set(notice.get("granted") or ())
        # "%(purpose)s: %(state)s" is translated: French puts a space before the colon.
        pattern = html.escape(gettext("%(purpose)s: %(state)s"))
        items = mark_safe(
            html.escape(gettext("; ")).join(
                pattern
                % {
                    "purpose": format_html("<strong>{}</strong>", title),
                    "state": html.escape(gettext("accepted") if key in granted else gettext("refused")),
                }
                for key, title in self.titles
            )
        )
        if notice.get("step") == "protect":
            intro = gettext(
                "Two different choices were made on your devices at nearly the same time; the more protective "
                "one now applies on every device where you are signed in:"
            )
        else:
            intro = gettext("The choice you made while signed in on another device now applies on this one:")
        query = query_without_open(request).urlencode() if request.META.get("QUERY_STRING") else ""
        href = f"{request.path}?{query + '&' if query else ''}{OPEN_PARAM}={OPEN_VALUE}"
        return format_html(
            '<section class="cc-banner" role="status" data-cookiecharter-notice><div class="cc-in"><p>{} {}. '
            '<a href="{}" data-cookiecharter-open>{}</a></p></div></section>',
            intro,
            items,
            href,
            gettext("Change it"),
        )

    def link(self, request: HttpRequest) -> str:
        """The footer link that reopens the preferences, on the request's own page."""
        query = query_without_open(request).urlencode() if request.META.get("QUERY_STRING") else ""
        href = f"{request.path}?{query + '&' if query else ''}{OPEN_PARAM}={OPEN_VALUE}"
        return f'<a href="{html.escape(href)}" data-cookiecharter-open>{self.link_label}</a>'


def asks_for_preferences(request: HttpRequest) -> bool:
    """Whether the page was asked for with the preferences open (``?cookiecharter=preferences``).
    Most pages have no query string: then ``request.GET`` is not even parsed."""
    return bool(request.META.get("QUERY_STRING")) and request.GET.get(OPEN_PARAM) == OPEN_VALUE


def url_place(request: HttpRequest) -> tuple[Any, str]:
    """What the site's addresses depend on for this request: its URLconf and its script prefix.

    Both are read off the request: ``request.urlconf`` is where a middleware routes a request to
    another URLconf (what Django's handler then uses), and the script prefix is ``path`` less
    ``path_info``, as Django's docs define the two. Django's own ``get_urlconf()`` and
    ``get_script_prefix()`` answer the same from context-local storage, at a few microseconds each.
    """
    path, info = request.path, request.path_info
    return getattr(request, "urlconf", None), path[: len(path) - len(info)] if path.endswith(info) else ""


def ui_for(request: HttpRequest, site: Site) -> ConsentUI:
    """The request's consent UI: its site's, in the active language, for the URLconf and the script
    prefix the request is served under (what the markup's addresses depend on; ``url_place``).

    Found once per request and kept on it for the page's other tags and the response's ``Link``
    header: reading the active language goes through Django's context-local storage, which costs
    microseconds each time (docs/benchmarks.md). So a page is in one language: a tag inside a
    ``{% language %}`` block still shows the page's."""
    found: ConsentUI | None = getattr(request, "cookiecharter_ui", None)
    if found is None or found.site is not site:
        found = site.consent_ui(translation.get_language(), *url_place(request))
        request.cookiecharter_ui = found
    return found


# -- rendering ---------------------------------------------------------------------------------


def _template_context(site: Site, lang: str, consent_url: str, charter_url: str, holes: Holes) -> dict[str, Any]:
    charter = site.charter
    fallback = charter.languages[0] if charter.languages else "en"
    purposes = []
    third_parties: list[dict[str, Any]] = []
    for purpose in charter.consent_purposes:
        cookies = [_cookie_context(c, lang, fallback) for c in charter.cookies_for(purpose.key)]
        purposes.append(
            {
                "key": purpose.key,
                "title": purpose.text("title", lang, fallback),
                "description": purpose.text("description", lang, fallback),
                "cookies": cookies,
                "checked": holes(f"on:{purpose.key}"),
            }
        )
        third_parties.extend(c for c in cookies if c["third_party"])
    return {
        "controller": charter.controller,
        "purposes": purposes,
        "third_parties": third_parties,
        "consent_url": consent_url,
        "charter_url": charter_url,
        "choice_lifetime": lifetime_text(Lifetime.of_seconds(site.config.consent_cookie.age)),
        "open_param": OPEN_PARAM,
        "open_value": OPEN_VALUE,
        # Filled in per request.
        "csrf_input": holes("csrf"),
        "next": holes("next"),
        "here": holes("here"),
        "query_inputs": holes("query"),
        "open": holes("open"),
        "account": holes("account"),
    }


def _cookie_context(cookie: Cookie, lang: str, fallback: str) -> dict[str, Any]:
    return {
        "name": cookie.name.display,
        "provider": cookie.provider,
        "service": cookie.text("service", lang, fallback),
        "description": cookie.text("description", lang, fallback),
        "lifetime": lifetime_text(cookie.lifetime),
        "third_party": cookie.party is Party.THIRD,
        "domain": cookie.domain,
        "policy_url": cookie.policy_url,
    }


def _script_config(site: Site, lang: str, preferences_url: str) -> dict[str, Any]:
    """What the page script needs to know, in as few bytes as stay readable.

    ``cookies`` lists only first-party declarations: those are the ones a script on the page can
    see and delete. Each is ``[kind, value, path, domain]``, kind 0 exact, 1 prefix, 2 regex.
    """
    charter = site.charter
    fallback = charter.languages[0] if charter.languages else "en"
    kinds = {MatchKind.EXACT: 0, MatchKind.PREFIX: 1, MatchKind.REGEX: 2}
    return {
        "cookie": site.config.consent_cookie.name,
        # Where the script fetches the preferences dialog when a visitor opens it.
        "preferences": preferences_url,
        "version": charter.consent_version,
        "gpc": site.config.honour_gpc,
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


# -- small pieces ------------------------------------------------------------------------------------


def lifetime_text(lifetime: Lifetime) -> str:
    """A lifetime in the page's language ("13 mois"), worded as on the charter page."""
    from .page import human_lifetime

    return human_lifetime(lifetime, translation)


def _csrf_input(request: HttpRequest, token: Any = None) -> str:
    """The CSRF input. ``token`` is the template context's ``csrf_token`` (the page's own, masked
    once for all its forms); without one, ``get_token`` gives this request's."""
    text = str(token) if token else ""
    if not text or text == "NOTPROVIDED":
        text = get_token(request)
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{html.escape(text)}">'


def query_without_open(request: HttpRequest) -> QueryDict:
    query = request.GET.copy()
    query.pop(OPEN_PARAM, None)
    return query


def query_inputs(query: QueryDict) -> str:
    """Hidden inputs that keep the page's own query when a GET form opens the preferences."""
    return "".join(
        format_html('<input type="hidden" name="{}" value="{}">', name, value)
        for name, values in query.lists()
        for value in values
    )
