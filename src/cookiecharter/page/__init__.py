"""The charter page, rendered without Django: the page model, Markdown, PDF, ``cookiecharter render``.

- ``model``: ``build_page(charter, lang)`` -> ``Page``, every text already translated;
- ``markdown``: ``to_markdown(page)``;
- ``pdf``: ``render_pdf(page)`` (reportlab: the "pdf" extra, so it is imported on its own);
- ``standalone``: what ``cookiecharter render`` needs for Markdown and PDF.

The Django view renders the same ``Page`` through a template (``views.py``), and so does the
standalone HTML (``cookiecharter.standalone_html``): both belong to the Django layer. Nothing in
this package imports Django (a test walks its imports).
"""

from .markdown import to_markdown
from .model import Column, Honoured, Link, Page, Row, Section, Table, Term, build_page, human_lifetime

__all__ = [
    "Column",
    "Honoured",
    "Link",
    "Page",
    "Row",
    "Section",
    "Table",
    "Term",
    "build_page",
    "human_lifetime",
    "to_markdown",
]
