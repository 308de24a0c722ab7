"""The cookies a web framework sets by itself, declared from its settings.

A site should not have to copy ``sessionid`` or ``csrftoken`` into its charter and keep the copy in
step with ``SESSION_COOKIE_AGE``: the page would soon lie. ``FrameworkCookies`` carries the names
and lifetimes as plain values (the Django layer fills it from ``settings``; a Flask or Starlette
adapter would fill it from its own configuration) and ``declare_framework_cookies`` appends a
declaration for each one the charter does not already declare. The consent cookie is always
declared: it is this package's own.

Nothing here imports Django.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .catalogue import translator
from .charter import Charter, Cookie, CookieName, Exemption, Party, Purpose
from .consent import SIX_MONTHS
from .lifetime import Lifetime

#: Key of the purpose added when a charter has no strictly-necessary purpose to attach them to.
BUILTIN_PURPOSE_KEY = "necessary"

#: ``translate(msgid, language) -> text``; the default reads the package's catalogues.
Translate = Callable[[str, str], str]


def catalogue_translate(message: str, language: str) -> str:
    return translator(language).gettext(message)


@dataclass(frozen=True)
class FrameworkCookies:
    """Names and lifetimes (seconds; ``None`` = until the browser closes) of the framework's cookies.

    A name set to ``None`` means the framework sets no such cookie (``CSRF_USE_SESSIONS`` keeps the
    token in the session, for example). Defaults are Django's.
    """

    session_name: str | None = "sessionid"
    session_age: int | None = 1_209_600
    csrf_name: str | None = "csrftoken"
    csrf_age: int | None = 31_449_600
    language_name: str | None = "django_language"
    language_age: int | None = None
    consent_name: str = "cookies_preferences"
    consent_age: int | None = SIX_MONTHS
    #: Flash messages kept in a cookie (Django's cookie or fallback message storage); None when
    #: they are kept elsewhere (the session) or the messages framework is not used.
    messages_name: str | None = None
    messages_age: int | None = None

    def expected(self) -> dict[str, tuple[str, Lifetime]]:
        """``{kind: (cookie name, lifetime)}`` for each cookie the framework will set."""
        found: dict[str, tuple[str, Lifetime]] = {}
        for kind in KINDS:
            name = getattr(self, f"{kind}_name")
            if name:
                found[kind] = (name, Lifetime.of_seconds(getattr(self, f"{kind}_age")))
        return found


#: The kinds, in the order they appear on the page.
KINDS = ("session", "csrf", "language", "consent", "messages")

#: The framework's default names: a charter declaring one of these while the settings use another
#: name most likely kept a stale copy (the system checks say so).
DEFAULT_NAMES = {
    "session": "sessionid",
    "csrf": "csrftoken",
    "language": "django_language",
    "consent": "cookies_preferences",
    "messages": "messages",
}


def _texts(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    # English source strings, translated through the catalogue; ``_`` keeps them visible to xgettext.
    return {
        "session": {
            "service": _("Signed-in session (whole site)"),
            "description": _("Recognise a signed-in visitor from one page to the next."),
            "reason": _("Authentication: without it a signed-in visitor would have to sign in again on every page."),
        },
        "csrf": {
            "service": _("Form and API security (whole site)"),
            "description": _("Check that a form or an API call really comes from this site."),
            "reason": _("Security: protects forms and the API against cross-site request forgery (CSRF)."),
        },
        "language": {
            "service": _("Language choice (whole site)"),
            "description": _("Remember the language the visitor chose."),
            "reason": _("Interface personalisation asked for by the visitor (choice of language)."),
        },
        "consent": {
            "service": _("Your choices about cookies (whole site)"),
            "description": _("Remember the visitor's choices about cookies, a refusal included."),
            "reason": _("Keeping the visitor's choice, a refusal included, is exempt from consent."),
        },
        "messages": {
            "service": _("Notices after an action (whole site)"),
            "description": _("Carry a short notice, such as “saved”, to the next page."),
            "reason": _("Needed to show the visitor the outcome of an action they asked for."),
        },
        "purpose": {
            "title": _("Strictly necessary cookies"),
            "description": _("These cookies are needed for the site to work. They are exempt from consent."),
        },
    }


def _in(translate: Translate, language: str, message: str) -> str:
    return translate(message, language)


def builtin_texts(
    languages: Iterable[str], translate: Translate = catalogue_translate
) -> dict[str, dict[str, dict[str, str]]]:
    """``{kind: {field: {language: text}}}`` for the built-in declarations."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for lang in languages:
        for kind, fields in _texts(functools.partial(_in, translate, lang)).items():
            for field_name, text in fields.items():
                out.setdefault(kind, {}).setdefault(field_name, {})[lang] = text
    return out


def declare_framework_cookies(
    charter: Charter,
    framework: FrameworkCookies,
    translate: Translate = catalogue_translate,
) -> Charter:
    """``charter`` plus a declaration for each framework cookie it does not declare itself.

    The new entries go to the charter's first strictly-necessary purpose, or to a built-in
    "necessary" purpose added for them. Their provider is the controller: the site sets them.
    """
    missing = [
        (kind, name, lifetime) for kind, (name, lifetime) in framework.expected().items() if not charter.declares(name)
    ]
    if not missing:
        return charter
    texts = builtin_texts(charter.languages, translate)
    purposes: list[Purpose] = []
    host = next((p for p in charter.purposes if p.exemption is Exemption.STRICTLY_NECESSARY), None)
    if host is None:
        key = BUILTIN_PURPOSE_KEY
        while charter.has_purpose(key):  # a consent-needing "necessary" would be odd, but keep keys unique
            key = "framework-" + key
        host = Purpose(
            key=key,
            title=texts["purpose"]["title"],
            description=texts["purpose"]["description"],
            exemption=Exemption.STRICTLY_NECESSARY,
        )
        purposes.append(host)
    cookies = [
        Cookie(
            name=CookieName.exact(name),
            provider=charter.controller.name,
            purpose=host.key,
            service=texts[kind]["service"],
            description=texts[kind]["description"],
            reason=texts[kind]["reason"],
            lifetime=lifetime,
            party=Party.FIRST,
        )
        for kind, name, lifetime in missing
    ]
    # The built-in purpose goes first, as necessary cookies do on most charters (the seed's too).
    return replace(charter, purposes=tuple(purposes) + charter.purposes, cookies=charter.cookies + tuple(cookies))
