"""The charter page as a PDF, drawn with reportlab's Platypus from the same ``Page`` model as the HTML.

reportlab's standard Type 1 fonts (Helvetica, Courier) use WinAnsi (cp1252) encoding, which covers
French: é è à ç « » ’ œ € and the no-break space. No font file to ship, no system library to install.
The document is built with ``invariant=1`` so the same charter gives byte-identical files (no
timestamp or random id inside), which keeps caches and tests honest.

Nothing here imports Django.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .model import Page, Row
from .model import Table as PurposeTable

# The colours of the HTML page's light theme, so print-outs of both look alike.
INK = colors.HexColor("#1e1e1e")
ACCENT = colors.HexColor("#000091")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#c8c8d8")
HEAD_BG = colors.HexColor("#eeeef8")
CONSENT = colors.HexColor("#8a1c00")
EXEMPT = colors.HexColor("#12603a")

MARGIN = 18 * mm

#: Relative widths of the columns (the "readers" column only appears for third parties).
_WIDTHS = {"provider": 1.1, "service": 1.5, "name": 1.25, "purpose": 2.6, "lifetime": 0.95, "readers": 1.4}


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "cc-body",
        parent=base["BodyText"],
        fontName="Helvetica",
        fontSize=9.5,
        leading=13,
        textColor=INK,
        alignment=TA_LEFT,
    )
    return {
        "title": ParagraphStyle(
            "cc-title",
            parent=base["Title"],
            fontName="Helvetica-Bold",
            fontSize=20,
            leading=24,
            textColor=ACCENT,
            alignment=TA_LEFT,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "cc-h2",
            parent=base["Heading2"],
            fontName="Helvetica-Bold",
            fontSize=13.5,
            leading=17,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "h3": ParagraphStyle(
            "cc-h3",
            parent=base["Heading3"],
            fontName="Helvetica-Bold",
            fontSize=11,
            leading=14,
            textColor=INK,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "body": body,
        "lead": ParagraphStyle("cc-lead", parent=body, fontSize=10.5, leading=14.5),
        "term": ParagraphStyle("cc-term", parent=body, leftIndent=10, bulletIndent=0),
        "status_consent": ParagraphStyle("cc-status-c", parent=body, textColor=CONSENT),
        "status_exempt": ParagraphStyle("cc-status-e", parent=body, textColor=EXEMPT),
        "cell": ParagraphStyle("cc-cell", parent=body, fontSize=8.2, leading=10.4),
        "head": ParagraphStyle("cc-head", parent=body, fontName="Helvetica-Bold", fontSize=8.2, leading=10.4),
        "small": ParagraphStyle("cc-small", parent=body, fontSize=8, leading=10.5, textColor=MUTED),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _link(label: str, href: str) -> str:
    return f"<link href={quoteattr(href)} color='#000091'><u>{escape(label)}</u></link>" if href else escape(label)


def _cell(row: Row, key: str, page: Page, style: ParagraphStyle) -> Paragraph:
    if key == "name":
        return Paragraph(f"<font name='Courier'>{escape(row.name)}</font>", style)
    if key == "purpose" and row.reason:
        return Paragraph(f"{escape(row.purpose)}<br/><i>{escape(page.reason_label)}</i> {escape(row.reason)}", style)
    if key == "readers" and row.policy:
        return Paragraph(f"{escape(row.readers)}<br/>{_link(row.policy.label, row.policy.href)}", style)
    return Paragraph(escape(row.cell(key)), style)


def _longest_word(texts: list[str], font: str, size: float) -> float:
    return max((stringWidth(word, font, size) for text in texts for word in text.split()), default=0.0)


def _column_widths(purpose: PurposeTable, width: float) -> list[float]:
    """Share ``width`` by weight, but never squeeze a column below its longest word.

    Otherwise a cookie name such as ``cookies_preferences`` or a header such as "Durée de
    conservation" would be cut in the middle of a word.
    """
    padding = 9.0
    floors = []
    for column in purpose.columns:
        head = _longest_word([column.label], "Helvetica-Bold", 8.2)
        if column.key == "name":
            body = _longest_word([r.name for r in purpose.rows], "Courier", 8.2)
        else:
            body = _longest_word([r.cell(column.key) for r in purpose.rows], "Helvetica", 8.2)
        # Capped, so one very long regular expression cannot push the table off the page (the
        # paragraph then splits that word, as reportlab does with splitLongWords).
        floors.append(min(max(head, body) + padding, width * 0.35))
    weights = [_WIDTHS[c.key] for c in purpose.columns]
    widths = [width * w / sum(weights) for w in weights]
    # Raise the columns below their floor, taking the difference from the others by weight.
    for _ in range(len(widths)):
        short = [i for i, w in enumerate(widths) if w < floors[i] - 0.01]
        if not short:
            break
        deficit = sum(floors[i] - widths[i] for i in short)
        for i in short:
            widths[i] = floors[i]
        donors = [i for i in range(len(widths)) if i not in short and widths[i] > floors[i]]
        spare = sum(widths[i] - floors[i] for i in donors)
        if spare <= 0:
            break
        for i in donors:
            widths[i] -= deficit * (widths[i] - floors[i]) / spare
    return widths


def _table(purpose: PurposeTable, page: Page, styles: dict[str, ParagraphStyle], width: float) -> list[Any]:
    widths = _column_widths(purpose, width)
    data = [[_p(c.label, styles["head"]) for c in purpose.columns]]
    data += [[_cell(row, c.key, page, styles["cell"]) for c in purpose.columns] for row in purpose.rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    status_style = styles["status_consent" if purpose.needs_consent else "status_exempt"]
    heading = [
        _p(purpose.title, styles["h3"]),
        _p(purpose.description, styles["body"]),
        Paragraph(f"<b>{escape(purpose.status)}.</b> {escape(purpose.status_detail)}", status_style),
        Spacer(1, 4),
    ]
    # Start a purpose on a new page only when its heading and the first rows would not fit; past that
    # the table splits between rows and repeats its header row, so no page is left half empty.
    return [CondPageBreak(55 * mm), *heading, table]


def _numbered_canvas(page: Page) -> type[Canvas]:
    """A canvas that writes "Page n of N" once it knows N (pages are kept until ``save``)."""

    class NumberedCanvas(Canvas):
        # Private parts of reportlab's canvas that its own "page n of N" recipe uses; its stubs list
        # only the public API, so they are declared here for the type checker.
        _pagesize: tuple[float, float]
        _startPage: Callable[[], None]

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            pages = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._footer(pages)
                super().showPage()
            super().save()

        def _footer(self, pages: int) -> None:
            self.saveState()
            self.setFont("Helvetica", 8)
            self.setFillColor(MUTED)
            width, _ = self._pagesize
            footer = " · ".join(s for s in (page.title, page.edition_label) if s)
            self.drawString(MARGIN, 10 * mm, footer)
            self.drawRightString(
                width - MARGIN, 10 * mm, page.page_label % {"page": self.getPageNumber(), "pages": pages}
            )
            self.restoreState()

    return NumberedCanvas


def render_pdf(page: Page, *, controller: str = "", url: str = "") -> bytes:
    """The page as PDF bytes. ``url`` (the HTML page's address) is printed under the title when given."""
    styles = _styles()
    buffer = io.BytesIO()
    title = f"{page.title} – {controller}" if controller else page.title
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=controller or None,
        subject=page.cookies_heading,
        creator="cookiecharter",
        lang=page.lang,
        displayDocTitle=True,
        invariant=1,
    )
    story: list[Any] = [_p(page.title, styles["title"])]
    if url:
        story.append(Paragraph(_link(url, url), styles["small"]))
    story += [_p(text, styles["lead"]) for text in page.lead]
    for section in page.sections:
        story.append(_p(section.heading, styles["h2"]))
        story += [_p(text, styles["body"]) for text in section.paragraphs]
        for term in section.terms:
            story.append(
                Paragraph(f"<b>{escape(term.term)}</b><br/>{escape(term.text)}", styles["term"], bulletText="•")
            )
        for link in section.links:
            story.append(Paragraph(_link(link.label, link.href), styles["body"]))
    story.append(_p(page.cookies_heading, styles["h2"]))
    if page.site:
        story.append(Paragraph(_link(page.site.label, page.site.href), styles["body"]))
    story += [_p(text, styles["body"]) for text in page.cookies_intro]
    for table in page.tables:
        story += _table(table, page, styles, doc.width)
    story.append(Spacer(1, 10))
    story.append(_p(" · ".join(s for s in (page.edition_label, page.digest_label) if s), styles["small"]))
    story.append(_p(page.generated_note, styles["small"]))
    doc.build(story, canvasmaker=_numbered_canvas(page))
    return buffer.getvalue()
