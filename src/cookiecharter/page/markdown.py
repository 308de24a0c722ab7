"""The charter page as Markdown (CommonMark with GitHub-style tables), from the page model."""

from __future__ import annotations

from .model import Page

__all__ = ["to_markdown"]


def _md_cell(text: str) -> str:
    # A pipe would end the cell and a newline the row.
    return " ".join(text.replace("|", "\\|").split())


def to_markdown(page: Page, pdf_href: str | None = None) -> str:
    """The page as CommonMark with GitHub-style tables."""
    out: list[str] = [f"# {page.title}", ""]
    for paragraph in page.lead:
        out += [paragraph, ""]
    for section in page.sections:
        out += [f"## {section.heading}", ""]
        for paragraph in section.paragraphs:
            out += [paragraph, ""]
        if section.terms:
            out += [f"- **{term.term}**: {term.text}" for term in section.terms] + [""]
        if section.links:
            out += [f"- [{link.label}]({link.href})" if link.href else f"- {link.label}" for link in section.links] + [""]
    out += [f"## {page.cookies_heading}", ""]
    if page.site:
        out += [f"<{page.site.href}>", ""]
    for paragraph in page.cookies_intro:
        out += [paragraph, ""]
    for table in page.tables:
        out += [f"### {table.title}", "", table.description, "", f"**{table.status}.** {table.status_detail}", ""]
        out.append("| " + " | ".join(_md_cell(c.label) for c in table.columns) + " |")
        out.append("|" + "|".join("---" for _ in table.columns) + "|")
        for row in table.rows:
            cells = []
            for column in table.columns:
                text = _md_cell(row.cell(column.key))
                if column.key == "name":
                    text = f"`{row.name}`"
                elif column.key == "purpose" and row.reason:
                    text += f"<br>*{_md_cell(page.reason_label)}* {_md_cell(row.reason)}"
                elif column.key == "readers" and row.policy:
                    text += f"<br>[{_md_cell(row.policy.label)}]({row.policy.href})"
                cells.append(text)
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    footer = [s for s in (page.edition_label, page.digest_label) if s]
    out += ["---", "", " · ".join(footer), "", page.generated_note, ""]
    if pdf_href:
        out += [f"[{page.pdf_label}]({pdf_href})", ""]
    return "\n".join(out)
