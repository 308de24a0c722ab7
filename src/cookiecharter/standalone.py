"""The charter page without a Django project: ``cookiecharter render CHARTER --format html|md|pdf``.

For sites built with something else (Flask, Starlette, a static site generator) that still want the
page, and for a charter author checking a draft. Markdown and PDF never import Django. HTML does:
it renders the very template the Django view renders (``cookiecharter/charter_page.html``) after
configuring Django's template engine in-process. Why not a second, hand-written HTML renderer?
Because two renderers of the same page drift apart; with one template, a fix to the page's markup
or accessibility reaches both. The cost is that ``--format html`` needs the ``django`` extra.

The standalone HTML carries its stylesheet in a ``<style>`` element, so the file works on its own;
a site serving it under a strict Content-Security-Policy should link ``cookiecharter/charter.css``
instead (``--stylesheet URL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from .core.charter import Charter
from .core.framework_cookies import FrameworkCookies, declare_framework_cookies
from .page import Page, build_page, to_markdown

Format = Literal["html", "md", "pdf"]
FORMATS: tuple[str, ...] = ("html", "md", "pdf")

STYLESHEET = Path(__file__).resolve().parent / "static" / "cookiecharter" / "charter.css"


def prepare(charter: Charter, *, django_cookies: bool = False) -> Charter:
    """The charter to show: as declared, or with Django's default cookies added (``--django-cookies``)."""
    return declare_framework_cookies(charter, FrameworkCookies()) if django_cookies else charter


def render_markdown(charter: Charter, lang: str, *, pdf_href: str | None = None) -> str:
    return to_markdown(build_page(charter, lang), pdf_href)


def render_pdf_bytes(charter: Charter, lang: str, *, url: str = "") -> bytes:
    from .pdf import render_pdf  # reportlab: the "pdf" extra

    return render_pdf(build_page(charter, lang), controller=charter.controller.name, url=url)


def _configure_django(lang: str) -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        # The app itself, for its templates, template tags and catalogues; nothing touches a database.
        INSTALLED_APPS=["cookiecharter"],
        USE_I18N=True,
        LANGUAGE_CODE=lang,
        LANGUAGES=[(lang, lang)],
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        STATIC_URL="/static/",
        COOKIECHARTER={},
    )
    django.setup()


def render_html(charter: Charter, lang: str, *, stylesheet: str | None = None, pdf_href: str | None = None) -> str:
    """A complete HTML document; ``stylesheet`` is a URL to link instead of embedding the CSS."""
    _configure_django(lang)
    from django.template.loader import render_to_string
    from django.utils import translation

    page: Page = build_page(charter, lang)
    context = {
        "page": page,
        "charter": charter,
        "pdf_url": pdf_href,
        "standalone_stylesheet": None if stylesheet else STYLESHEET.read_text(encoding="utf-8"),
        "standalone_stylesheet_href": stylesheet,
    }
    with translation.override(lang):
        return render_to_string("cookiecharter/charter_page.html", context)


def render(charter: Charter, lang: str, fmt: Format, *, stylesheet: str | None = None, pdf_href: str | None = None) -> bytes:
    if fmt == "md":
        return render_markdown(charter, lang, pdf_href=pdf_href).encode("utf-8")
    if fmt == "pdf":
        return render_pdf_bytes(charter, lang)
    if fmt == "html":
        return render_html(charter, lang, stylesheet=stylesheet, pdf_href=pdf_href).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
