"""The page model and its Django-free renderings: Markdown, PDF, and `cookiecharter render`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cookiecharter.cli import main
from cookiecharter.core.catalogue import translator
from cookiecharter.core.lifetime import Lifetime
from cookiecharter.core.loading import load_charter
from cookiecharter.page import build_page, human_lifetime, to_markdown
from tests.charter_samples import DEMO, NECESSARY, ROOT, SEED, SEED_ROWS, STATISTICS, write_charter


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("declared", "fr", "en"),
    [
        ("session", "Session", "Session"),
        ("2 weeks", "2 semaines", "2 weeks"),
        ("1 week", "1 semaine", "1 week"),
        ("13 months", "13 mois", "13 months"),
        ("1 year", "1 an", "1 year"),
        ("2 years", "2 ans", "2 years"),
        ("1 day", "1 jour", "1 day"),
        ("90 minutes", "90 minutes", "90 minutes"),
    ],
)
def test_lifetimes_read_as_people_say_them(declared: str, fr: str, en: str) -> None:
    lifetime = Lifetime.parse(declared)
    assert human_lifetime(lifetime, translator("fr")) == fr
    assert human_lifetime(lifetime, translator("en")) == en


def test_lifetimes_from_settings_seconds_are_spelled_in_the_largest_exact_unit() -> None:
    assert human_lifetime(Lifetime.of_seconds(31_449_600), translator("fr")) == "52 semaines"
    assert human_lifetime(Lifetime.of_seconds(86_400), translator("fr")) == "1 jour"


def test_the_seed_page_in_french_has_the_four_rows_and_the_seed_structure() -> None:
    page = build_page(load_charter(SEED), "fr")
    assert page.title == "Charte cookies"
    assert [s.heading for s in page.sections] == [
        "Qu'est-ce qu'un cookie\u00a0?", "Les différents types de cookies", "Responsable des cookies",
    ]  # fmt: skip
    assert [t.term for t in page.sections[1].terms] == [
        "Cookies strictement nécessaires", "Cookies statistiques",
        "Cookies internes (\u00ab\u00a0first-party\u00a0\u00bb)", "Cookies tiers (\u00ab\u00a0third-party\u00a0\u00bb)",
    ]  # fmt: skip
    (table,) = page.tables
    assert not table.needs_consent and table.status == "Exemptés de consentement"
    assert [c.label for c in table.columns] == [
        "Prestataire", "Service et emplacement", "Nom du cookie", "Finalité", "Durée de conservation",
    ]  # fmt: skip
    got = [(r.name, r.service, r.purpose, r.lifetime) for r in table.rows]
    assert got == [(name, service_fr, purpose_fr, life) for name, service_fr, _en, purpose_fr, life in SEED_ROWS]
    assert all(r.provider == "Opendatasoft" for r in table.rows)
    # A site whose cookies are all exempt says so instead of talking about consent it never asks.
    assert "exemptés de consentement" in page.lead[1]


def test_consent_purposes_and_third_parties_are_marked() -> None:
    page = build_page(load_charter(DEMO), "en")
    by_key = {t.key: t for t in page.tables}
    assert by_key["statistics"].needs_consent and by_key["statistics"].status == "Consent required"
    embeds = by_key["embeds"]
    assert embeds.status == "Consent required"
    assert [c.key for c in embeds.columns][-1] == "readers"
    (row,) = embeds.rows
    assert row.third_party and row.readers == "localhost (third party)"
    assert row.policy is not None and row.policy.href == "http://localhost:8001/privacy"
    assert "readers" not in [c.key for c in by_key["necessary"].columns]


def test_charter_texts_fall_back_to_the_charter_first_language(tmp_path: Path) -> None:
    charter = load_charter(write_charter(tmp_path, NECESSARY))
    page = build_page(charter, "de")
    # No German catalogue: the general texts are the English source strings...
    assert page.title == "Cookie charter"
    # ...and the charter's own texts come in its first language, which the HTML marks with lang="fr".
    assert page.tables[0].title == "Indispensables"
    assert page.charter_lang == "fr"


def test_markdown_keeps_cells_intact(tmp_path: Path) -> None:
    charter = load_charter(write_charter(tmp_path, NECESSARY.replace("Garder le panier.", "Garder | le panier.")))
    md = to_markdown(build_page(charter, "fr"), pdf_href="pdf/")
    row = next(line for line in md.splitlines() if "`cart`" in line)
    assert "Garder \\| le panier." in row
    assert row.count(" | ") == 4  # five cells: the escaped pipe did not add one
    assert "[Télécharger cette charte en PDF](<pdf/>)" in md


def test_pdf_has_the_rows_metadata_and_page_numbers() -> None:
    from cookiecharter.page.pdf import render_pdf

    charter = load_charter(SEED)
    body = render_pdf(build_page(charter, "fr"), controller=charter.controller.name)
    reader = PdfReader(io.BytesIO(body))
    text = _flat("\n".join(p.extract_text() for p in reader.pages))
    for name, service_fr, _en, _purpose_fr, lifetime in SEED_ROWS:
        assert name in text and lifetime in text
        assert _flat(service_fr) in text
    assert "Qu'est-ce qu'un cookie" in text and "Durée de conservation" in text
    assert reader.metadata.title == "Charte cookies – Ville d'Aix-en-Provence"
    assert f"Page 1 sur {len(reader.pages)}" in text
    # Same charter, same bytes: nothing time- or random-dependent inside.
    assert render_pdf(build_page(charter, "fr"), controller=charter.controller.name) == body


PROBE = """
import json, sys
from cookiecharter.cli import main
for fmt, out in (("md", %(md)r), ("pdf", %(pdf)r)):
    try:
        main(["render", %(charter)r, "--lang", "fr", "--format", fmt, "-o", out], standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, exc.code
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "django")))
"""


def test_render_md_and_pdf_never_import_django(tmp_path: Path) -> None:
    md, pdf = tmp_path / "c.md", tmp_path / "c.pdf"
    probe = PROBE % {"md": str(md), "pdf": str(pdf), "charter": str(SEED)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert "| Opendatasoft | Authentification (front et back office) | `sessionid` |" in md.read_text(encoding="utf-8")
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_render_command_writes_each_format(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["render", str(DEMO), "--lang", "en", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "| Opendatasoft | Authentication (front and back office) | `sessionid` |" in result.stdout
    assert "**Consent required.**" in result.stdout

    html = tmp_path / "page.html"
    result = runner.invoke(main, ["render", str(DEMO), "--lang", "fr", "--format", "html", "-o", str(html)])
    assert result.exit_code == 0, result.output
    doc = html.read_text(encoding="utf-8")
    assert '<html lang="fr">' in doc and "<style>" in doc  # a file that stands on its own
    assert '<th class="cc-col-name" scope="row" data-label="Nom du cookie"><code>sessionid</code></th>' in doc

    pdf = tmp_path / "page.pdf"
    result = runner.invoke(main, ["render", str(DEMO), "--format", "pdf", "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "Mesure d'audience" in _flat(" ".join(page.extract_text() for page in PdfReader(str(pdf)).pages))


def test_render_with_django_cookies_adds_them(tmp_path: Path) -> None:
    path = write_charter(tmp_path, STATISTICS)
    plain = CliRunner().invoke(main, ["render", str(path), "--format", "md"])
    assert "sessionid" not in plain.stdout
    full = CliRunner().invoke(main, ["render", str(path), "--format", "md", "--django-cookies"])
    assert "| Commune de Test | Session de connexion (tout le site) | `sessionid` |" in full.stdout


def test_render_refuses_an_invalid_charter_with_its_problems(tmp_path: Path) -> None:
    path = write_charter(tmp_path, NECESSARY.replace('"1 day"', '"1 dya"'))
    result = CliRunner().invoke(main, ["render", str(path), "--format", "md"])
    assert result.exit_code == 1
    assert "cookies[0].lifetime" in result.stderr and "invalid" in result.stderr
    assert result.stdout == ""


def test_render_html_configures_django_itself_in_a_fresh_process() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cookiecharter", "render", str(SEED), "--lang", "en", "--format", "html",
         "--stylesheet", "/static/cookiecharter/charter.css", "--pdf-href", "cookie-charter-en.pdf"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert '<html lang="en">' in out.stdout
    assert '<link rel="stylesheet" href="/static/cookiecharter/charter.css">' in out.stdout
    assert "<style>" not in out.stdout
    assert '<a href="cookie-charter-en.pdf" type="application/pdf">Download this charter as a PDF</a>' in out.stdout
    assert "Skip to the content" in out.stdout
    assert "Authentication (front and back office)" in out.stdout


def test_markup_in_charter_texts_is_shown_as_text_everywhere(tmp_path: Path) -> None:
    from cookiecharter.page.pdf import render_pdf

    tricky = 'Panier <b>gras</b> & \\"guillemets\\" | barre'  # TOML-escaped quotes
    charter = load_charter(write_charter(tmp_path, NECESSARY.replace("Garder le panier.", tricky)))
    page = build_page(charter, "fr")
    text = _flat(PdfReader(io.BytesIO(render_pdf(page))).pages[-1].extract_text())
    assert 'Panier <b>gras</b> & "guillemets" | barre' in text
    md = to_markdown(page)  # as entities, which Markdown renders as the characters (tests/page/test_markdown.py)
    assert 'Panier &lt;b&gt;gras&lt;/b&gt; &amp; "guillemets" \\| barre' in md
    out = CliRunner().invoke(main, ["render", str(tmp_path / "charter.toml"), "--format", "html"])
    assert "Panier &lt;b&gt;gras&lt;/b&gt; &amp; &quot;guillemets&quot; | barre" in out.stdout


def test_render_refuses_a_language_the_charter_lacks() -> None:
    from tests.charter_samples import DEMO

    result = CliRunner().invoke(main, ["render", str(DEMO), "--format", "md", "--lang", "de"])
    assert result.exit_code == 2
    assert "the charter has texts in fr, en, not in 'de'" in result.output
