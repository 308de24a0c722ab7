"""The charter as a PDF: /fr/cookies/pdf/ and /en/cookies/pdf/, parsed back with pypdf."""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings
from django.utils import translation
from pypdf import PdfReader

from cookiecharter.page import build_page
from cookiecharter.sites import registry
from tests.charter_samples import SEED, SEED_ROWS

pytestmark = pytest.mark.django_db


def _text(reader: PdfReader) -> str:
    return " ".join("\n".join(page.extract_text() for page in reader.pages).split())


def test_french_pdf_is_valid_and_has_the_four_rows_with_accents() -> None:
    with override_settings(COOKIECHARTER={"CHARTER": str(SEED)}):
        response = Client().get("/fr/cookies/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "inline; filename=charte-cookies-fr.pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    text = _text(reader)
    for name, service_fr, _en, purpose_fr, lifetime_fr in SEED_ROWS:
        assert name in text
        assert service_fr in text
        assert purpose_fr in text
        assert lifetime_fr in text
    # French accents and typography survive the standard fonts' encoding (no-break spaces read as spaces).
    for word in ("Sélection", "Récupérer", "opéré", "À quoi servent", "« third-party »", "Durée de conservation"):
        assert word in text, word
    assert reader.metadata.title == "Charte cookies – Ville d'Aix-en-Provence"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert f"Page {len(reader.pages)} sur {len(reader.pages)}" in text
    # The address of the HTML page is printed under the title.
    assert "http://testserver/fr/cookies/" in text


def test_english_pdf_has_the_english_texts() -> None:
    response = Client().get("/en/cookies/pdf/")  # the demo charter
    assert response["Content-Disposition"] == "inline; filename=cookie-charter-en.pdf"
    text = _text(PdfReader(io.BytesIO(response.content)))
    assert "Authentication (front and back office)" in text and "Authentification" not in text
    assert "Consent required." in text and "MapWidget" in text and "localhost (third party)" in text


def test_pdf_and_html_show_the_same_rows() -> None:
    client = Client()
    text = _text(PdfReader(io.BytesIO(client.get("/fr/cookies/pdf/").content)))
    html = client.get("/fr/cookies/").content.decode()
    with translation.override("fr"):
        page = build_page(registry.get("default").charter, "fr", translation)
    rows = [row for table in page.tables for row in table.rows]
    assert len(rows) == 6
    for row in rows:
        assert f"<code>{row.name}</code>" in html and row.name in text
        assert row.lifetime in text and f'data-label="Durée de conservation">{row.lifetime}</td>' in html
    for table in page.tables:
        assert table.title.replace("'", "&#x27;") in html and table.title in text


def test_pdf_is_drawn_once_and_revalidates_with_its_etag(tmp_path) -> None:
    from tests.charter_samples import NECESSARY, write_charter

    client = Client()
    first = client.get("/fr/cookies/pdf/")
    again = client.get("/fr/cookies/pdf/")
    assert first.content == again.content and first["ETag"] == again["ETag"]
    assert client.get("/fr/cookies/pdf/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get("/en/cookies/pdf/")["ETag"] != first["ETag"]
    # Another charter (a settings change clears the cache): another document.
    with override_settings(COOKIECHARTER={"CHARTER": str(write_charter(tmp_path, NECESSARY))}):
        other = client.get("/fr/cookies/pdf/")
        assert other["ETag"] != first["ETag"]
        assert "Commune de Test" in _text(PdfReader(io.BytesIO(other.content)))
