"""The charter page as Markdown (CommonMark with GitHub-style tables), from the page model.

Every text is written so that it reads as text, whatever it holds: a charter is written by people,
and its Markdown ends up rendered as HTML (on a static site, a wiki, a forge). So ``<``, ``>`` and
``&`` become entities (a ``<script>`` in a title stays words on the page), the characters that make
inline structure (emphasis, code, links, table cells) are backslash-escaped, line breaks inside a
text become spaces (as they do in the HTML page), and a text cannot start a heading or a list.
Link destinations are written between ``<`` and ``>``, where nothing but ``<``, ``>`` and line
breaks could end them, and those are percent-encoded.
"""

from __future__ import annotations

import re

from .model import Page

__all__ = ["to_markdown"]

#: Characters that start or end inline structure: escape, code span, emphasis, link, table cell,
#: strikethrough, and a heading's closing "#"s.
_INLINE = re.compile(r"([\\`*_\[\]|~#])")
_WHITE_SPACE = re.compile(r"[ \t\n\r\f\v]+")
#: At the start of a line: a bullet list item, a setext underline, an ordered list item.
_LINE_START = re.compile(r"^([-+=])|^([0-9]{1,9})([.)])")


def _md_text(text: str) -> str:
    """``text`` as Markdown that shows it as written, on one line."""
    # A line break would end the paragraph, or the table row. Only ASCII white space is folded:
    # the no-break spaces of French typography ("cookie ?") stay.
    text = _WHITE_SPACE.sub(" ", text).strip(" ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def _md_code(text: str) -> str:
    """``text`` as a code span (a cookie name or pattern): shown as written, on one line."""
    # In a GitHub table a "|" ends the cell even inside a code span, unless escaped; a line
    # break would end the row.
    text = _WHITE_SPACE.sub(" ", text).replace("|", "\\|")
    # A code span ends at a run of backticks as long as the one that opened it: open with a longer
    # one. Spaces inside the fence are dropped by renderers, so a leading backtick stays visible.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_href(href: str) -> str:
    """``href`` between angle brackets, where only "<", ">", spaces and line breaks could end it.

    As a link's destination (``[label](<href>)``) or alone, as an autolink (``<href>``).
    """
    for char, code in (("<", "%3C"), (">", "%3E"), ("\r", "%0D"), ("\n", "%0A"), ("\\", "%5C"), (" ", "%20")):
        href = href.replace(char, code)
    return f"<{href}>"


def _md_link(label: str, href: str) -> str:
    return f"[{_md_text(label)}]({_md_href(href)})"


def to_markdown(page: Page, pdf_href: str | None = None) -> str:
    """The page as CommonMark with GitHub-style tables; every text escaped (see the module's note)."""
    t = _md_text
    out: list[str] = [f"# {t(page.title)}", ""]
    for paragraph in page.lead:
        out += [t(paragraph), ""]
    for section in page.sections:
        out += [f"## {t(section.heading)}", ""]
        for paragraph in section.paragraphs:
            out += [t(paragraph), ""]
        if section.terms:
            out += [f"- **{t(term.term)}**: {t(term.text)}" for term in section.terms] + [""]
        if section.links:
            out += [
                f"- {_md_link(link.label, link.href)}" if link.href else f"- {t(link.label)}" for link in section.links
            ]
            out += [""]
    out += [f"## {t(page.cookies_heading)}", ""]
    if page.site:
        out += [_md_href(page.site.href), ""]  # <URL>: an autolink, its characters made safe
    for paragraph in page.cookies_intro:
        out += [t(paragraph), ""]
    for table in page.tables:
        out += [
            f"### {t(table.title)}",
            "",
            t(table.description),
            "",
            f"**{t(table.status)}.** {t(table.status_detail)}",
            "",
        ]
        out.append("| " + " | ".join(t(c.label) for c in table.columns) + " |")
        out.append("|" + "|".join("---" for _ in table.columns) + "|")
        for row in table.rows:
            cells = []
            for column in table.columns:
                if column.key == "name":
                    cells.append(_md_code(row.name))
                    continue
                text = t(row.cell(column.key))
                if column.key == "purpose" and row.reason:
                    text += f"<br>*{t(page.reason_label)}* {t(row.reason)}"
                elif column.key == "readers" and row.policy:
                    text += f"<br>{_md_link(row.policy.label, row.policy.href)}"
                cells.append(text)
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    footer = [t(s) for s in (page.edition_label, page.digest_label) if s]
    out += ["---", "", " · ".join(footer), "", t(page.generated_note), ""]
    if pdf_href:
        out += [_md_link(page.pdf_label, pdf_href), ""]
    return "\n".join(out)
