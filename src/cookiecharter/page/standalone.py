"""The charter page without a Django project: ``cookiecharter render CHARTER --format md|pdf``.

For sites built with something else (Flask, Starlette, a static site generator) that still want the
page, and for a charter author checking a draft. Nothing here imports Django.

``--format html`` is the one format that does: it renders the very template the Django view
renders, so it lives with the Django app (``cookiecharter.standalone_html``), not here.
"""

from __future__ import annotations

from ..core.charter import Charter
from ..core.framework_cookies import FrameworkCookies, declare_framework_cookies
from .markdown import to_markdown
from .model import build_page


def prepare(charter: Charter, *, django_cookies: bool = False) -> Charter:
    """The charter to show: as declared, or with Django's default cookies added (``--django-cookies``)."""
    return declare_framework_cookies(charter, FrameworkCookies()) if django_cookies else charter


def render_markdown(charter: Charter, lang: str, *, pdf_href: str | None = None) -> str:
    return to_markdown(build_page(charter, lang), pdf_href)


def render_pdf_bytes(charter: Charter, lang: str, *, url: str = "") -> bytes:
    from .pdf import render_pdf  # reportlab: the "pdf" extra

    return render_pdf(build_page(charter, lang), controller=charter.controller.name, url=url)
