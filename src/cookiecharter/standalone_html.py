"""The charter page as a complete HTML document without a Django project: ``cookiecharter render --format html``.

It renders the very template the Django view renders (``cookiecharter/charter_page.html``) after
configuring Django's template engine in-process. Why not a second, hand-written HTML renderer next
to the Markdown and PDF ones in ``cookiecharter.page``? Because two renderers of the same page drift
apart; with one template, a fix to the page's markup or accessibility reaches both. The cost is
that ``--format html`` needs the ``django`` extra, and that this module belongs to the Django layer.

The standalone HTML carries its stylesheet in a ``<style>`` element, so the file works on its own;
a site serving it under a strict Content-Security-Policy should link ``cookiecharter/charter.css``
instead (``--stylesheet URL``).
"""

from __future__ import annotations

from pathlib import Path

from .core.charter import Charter
from .page import Page, build_page

STYLESHEET = Path(__file__).resolve().parent / "static" / "cookiecharter" / "charter.css"


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
