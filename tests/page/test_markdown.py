"""The Markdown page shows every charter text as written, and nothing in one changes its structure.

Issue 12, problem 7: ``title.en = "<script>x</script>"`` came out of ``render --format md`` as a
script tag. Markdown ends up rendered to HTML, so these tests render it with a CommonMark parser
(markdown-it-py, with GitHub's tables) and look at the HTML: no element a charter author did not
get from the page itself, the same rows and cells, and the texts as they were typed.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from click.testing import CliRunner
from markdown_it import MarkdownIt

from cookiecharter.cli import main
from cookiecharter.core.loading import load_charter
from cookiecharter.page import build_page, to_markdown
from tests.charter_samples import HEAD

#: Texts that would each change the structure of the Markdown, or inject HTML, if written as they are.
TRICKY = {
    "title": "<script>alert(1)</script> & co",
    "description": "*not emphasis* _nor this_ [a link](javascript:alert(1)) `code` ~~struck~~ a|b\n# not a heading",
    "provider": "<img src=x onerror=alert(1)>",
    "service": "- not a list item",
    "cookie_description": "1. not an ordered list | &lt;b&gt; stays as typed \\ backslash",
    "reason": "<b>bold?</b>\n\n    not code\n> not a quote",
    "regex": "x`y|z[0-9]`",
}


def tricky_charter(directory: Path) -> Path:
    t = {key: json.dumps(value) for key, value in TRICKY.items()}
    path = directory / "charter.toml"
    path.write_text(
        HEAD.format(languages='["en"]').replace('name = "Commune de Test"', f"name = {t['provider']}")
        + f"""
[purposes.basics]
exemption = "strictly-necessary"
title.en = {t["title"]}
description.en = {t["description"]}

[[cookies]]
regex = {t["regex"]}
provider = {t["provider"]}
purpose = "basics"
service.en = {t["service"]}
description.en = {t["cookie_description"]}
lifetime = "1 day"
reason.en = {t["reason"]}
party = "third"
domain = "maps.example.net"
policy_url = "https://example.org/privacy)<b>"
""",
        encoding="utf-8",
    )
    return path


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_charter_texts_come_out_as_text_in_the_rendered_markdown(tmp_path: Path) -> None:
    charter = load_charter(tricky_charter(tmp_path))
    markdown = to_markdown(build_page(charter, "en"), pdf_href="cookie-charter-en.pdf")
    page = rendered(markdown)
    # Only the elements the page itself writes: no script, image, emphasis or strikethrough from a text.
    tags = set(re.findall(r"<([a-z0-9]+)", page))
    assert tags <= {"h1", "h2", "h3", "p", "ul", "li", "strong", "em", "a", "hr", "br", "code",
                    "table", "thead", "tbody", "tr", "th", "td"}, tags  # fmt: skip
    assert "<del>" not in page and "<s>" not in page and "<img" not in page and "<script" not in page
    assert [m for m in re.findall(r'href="([^"]*)"', page) if "javascript" in m] == []
    # One h1 (the page's), one h3 per purpose: a text's "#" made no heading, its "-" no list item.
    assert page.count("<h1>") == 1 and page.count("<h3>") == 1
    assert page.count("<li>") == 4 + 1  # the four kinds of cookies and the contact address
    assert "<blockquote>" not in page and "<pre>" not in page and "<ol>" not in page
    # The table has its header and one row, each of six cells (a third party adds "who can read
    # it"): no "|" split a cell.
    (table,) = re.findall(r"<table>.*?</table>", page, re.DOTALL)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    assert len(rows) == 2 and all(len(re.findall(r"<t[hd]>", row)) == 6 for row in rows)
    # Every text reads as it was typed (its line breaks become spaces, as on the HTML page).
    text = flat(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for value in TRICKY.values():
        if value is not TRICKY["regex"]:
            assert flat(value) in text, value
    # The pattern is shown whole in its code span, backticks and pipe included.
    assert f"<code>{html.escape(TRICKY['regex'], quote=False)}</code>" in page
    # The policy link keeps its destination (made safe), and the PDF link is there.
    assert 'href="https://example.org/privacy)%3Cb%3E"' in page
    assert 'href="cookie-charter-en.pdf"' in page


def test_render_md_escapes_the_issues_reproduction(tmp_path: Path) -> None:
    path = tricky_charter(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(json.dumps(TRICKY["title"]), '"<script>x</script>"'))
    result = CliRunner().invoke(main, ["render", str(path), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "<script>" not in result.stdout
    assert "### &lt;script&gt;x&lt;/script&gt;" in result.stdout
